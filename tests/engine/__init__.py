"""Semantics tests of the policy engine, and `kit`, the small-cluster builder the other test packages share."""
