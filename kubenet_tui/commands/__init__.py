"""Headless commands that live in modules of their own (each: `add_parser(subparsers)` and `run(...)`),
hooked into `kubenet_tui.cli` with a line each."""
