"""The pure policy engine: model, evaluation and explanations. No I/O, no UI, no kube client."""
