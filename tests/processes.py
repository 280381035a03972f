"""Whether a child process the app started still runs (credential-plugin tests)."""

from __future__ import annotations

import os
from pathlib import Path


def alive(pid_file: Path) -> bool:
    """The process whose pid the file holds runs: it exists and is not a zombie (killed, not yet reaped).
    It may be reaped between any two of these reads: gone at any step is not alive."""
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text() or 0)
    try:
        os.kill(pid, 0)
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except (ProcessLookupError, FileNotFoundError):
        return False
