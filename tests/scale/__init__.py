"""The scale work: the class-based matrix agrees with `evaluate` pair by pair; the benchmark generator is deterministic."""
