"""`python -m kubenet_tui` runs the same entry point as the `kubenet-tui` command."""

from kubenet_tui.cli import main

raise SystemExit(main())
