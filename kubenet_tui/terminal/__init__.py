"""The terminal the command line writes to: encodings, pipes, colour, progress lines."""
