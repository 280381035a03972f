"""The progress line (issue 9, item 6): on a terminal's stderr only, a phase and the elapsed time,
erased before anything else is written; never in a pipe, never in the output."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kubenet_tui.cli import main
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.terminal import progress as progress_module
from kubenet_tui.terminal.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "DELAY", 0.0)
    monkeypatch.setattr(progress_module, "INTERVAL", 0.01)


def drawn(stream: io.StringIO) -> None:
    """Until the progress thread has drawn a line (a loaded machine may run it late)."""
    deadline = time.monotonic() + 30
    while "kubenet-tui:" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_phase_is_drawn_with_its_elapsed_time_and_erased(fast: None) -> None:
    stream = Terminal()
    progress = Progress(stream)
    with progress.phase("computing connectivity between 9 pods"):
        drawn(stream)
    written = stream.getvalue()
    progress.close()
    assert re.search(r"\r\x1b\[2Kkubenet-tui: computing connectivity between 9 pods \.\.\. \d+\.\d s", written)
    assert written.endswith("\r\x1b[2K"), repr(written[-40:])  # erased when the phase ended
    assert "\n" not in written


def test_nothing_is_drawn_for_a_quick_command() -> None:
    stream = Terminal()
    progress = Progress(stream)
    with progress.phase("reading the demo cluster"):
        pass
    progress.close()
    assert stream.getvalue() == ""


def test_not_a_terminal_means_no_progress(fast: None) -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    assert not progress.enabled
    with progress.phase("reading"):
        time.sleep(0.05)
    progress.close()
    assert stream.getvalue() == ""


def test_a_slow_load_shows_progress_on_stderr_and_nothing_in_the_json(
    fast: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_load = DemoSource.load

    def slow_load(self: DemoSource) -> object:
        drawn(terminal)
        return real_load(self)

    monkeypatch.setattr(DemoSource, "load", slow_load)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    code = main(["matrix", "--demo", "--port", "6379", "-o", "json"])
    assert code == 0
    out = capsys.readouterr().out
    assert json.loads(out)["port"] == 6379 and "\x1b" not in out
    err = terminal.getvalue()
    assert "reading the demo cluster ... " in err
    # every drawing is erased: what remains on the terminal's line is nothing
    assert err.endswith("\r\x1b[2K")


def test_through_pipes_stderr_carries_no_progress(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    items = [{"kind": "Pod", "metadata": {"name": f"p{i}", "namespace": f"n{i % 40}", "labels": {"app": f"a{i}"}},
              "status": {"podIP": f"10.1.{i // 250}.{i % 250 + 1}"}} for i in range(3000)]
    big.write_text(json.dumps({"kind": "List", "items": items}))
    result = subprocess.run([sys.executable, "-m", "kubenet_tui", "matrix", "-o", "summary", "-f", str(big)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_on_a_real_terminal_the_line_is_drawn_and_erased(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal, stdout a pipe; the half-second grace is turned off so that a
    small load is enough (the process is otherwise the real command)."""
    big = tmp_path / "big.json"
    items = [{"kind": "Pod", "metadata": {"name": f"p{i}", "namespace": f"n{i % 40}", "labels": {"app": f"a{i % 97}"}},
              "status": {"podIP": f"10.1.{i // 250}.{i % 250 + 1}"}} for i in range(5000)]
    big.write_text(json.dumps({"kind": "List", "items": items}))
    program = ("import sys\nimport kubenet_tui.terminal.progress as p\np.DELAY, p.INTERVAL = 0.0, 0.005\n"
               "from kubenet_tui.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-c", program, "matrix", "-n", "n1", "-o", "json", "-f", str(big)],
                                stdout=subprocess.PIPE, stderr=terminal)
        os.close(terminal)
        out, _ = proc.communicate(timeout=120)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(controller)
    assert proc.returncode == 0
    assert json.loads(out)["pods"]
    text = seen.decode()
    assert re.search(r"\r\x1b\[2Kkubenet-tui: (reading /|\.\.\.).*big\.json \.\.\. \d+\.\d s", text), text
    assert text.endswith("\r\x1b[2K")


def test_a_long_phase_keeps_the_elapsed_time_within_the_width(fast: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "get_terminal_size", lambda fd=None: os.terminal_size((60, 24)))

    class Narrow(Terminal):
        def fileno(self) -> int:
            return 2

    stream = Narrow()
    progress = Progress(stream)
    with progress.phase("reading /a/very/long/path/" + "x" * 80 + "/cluster.yaml"):
        time.sleep(0.1)
    progress.close()
    drawn = [line for line in stream.getvalue().split("\r\x1b[2K") if line]
    assert drawn
    for line in drawn:
        assert len(line) <= 59
        assert re.fullmatch(r"kubenet-tui: \.\.\.x*/cluster\.yaml \.\.\. \d+\.\d s", line), line
