"""kubenet-tui: why can A not reach B? NetworkPolicy verdicts, explained, in the terminal."""

__version__ = "0.1.0"
