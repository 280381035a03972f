"""`kubectl kubenet ...`: the project installs a `kubectl-kubenet` plugin that kubectl finds on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubenet_tui import cli

BIN = Path(sys.executable).parent


def test_the_plugin_names_itself_as_kubectl_says_it(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["kubectl-kubenet", "check", "--help"])
    with pytest.raises(SystemExit):
        cli.plugin_main()
    assert capsys.readouterr().out.startswith("usage: kubectl kubenet check")


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.skipif(not (BIN / "kubectl-kubenet").exists(), reason="the plugin script is not installed here")
@pytest.mark.parametrize(("port", "code"), [("6379", 0), ("5432", 1)])
def test_kubectl_runs_the_plugin_and_passes_its_exit_code_on(port: str, code: int) -> None:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(["kubectl", "kubenet", "check", "shop/frontend", "shop/db", "--port", port, "--demo", "-q"],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == code, result.stderr
    assert ("ALLOWED" if code == 0 else "BLOCKED") in result.stdout
