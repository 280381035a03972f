"""`check` answers one question: it must not pay for the matrix, the explorer, the live client or the
dialects and routes a cluster does not have (issue 10: its wall time is mostly imports)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

UPSTREAM_CLUSTER = {"kind": "List", "items": [
    {"kind": "Namespace", "metadata": {"name": "a", "labels": {"kubernetes.io/metadata.name": "a"}}},
    {"kind": "Pod", "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}},
     "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
     "status": {"phase": "Running", "podIP": "10.0.0.1"}},
    {"kind": "Pod", "metadata": {"name": "client", "namespace": "a", "labels": {"app": "client"}},
     "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Running", "podIP": "10.0.0.2"}},
    {"kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "a"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"ports": [{"port": 80}]}]}},
]}

PROBE = """
import io, json, sys
from kubenet_tui.cli import main
out, sys.stdout = sys.stdout, io.StringIO()
code = main(sys.argv[1:])
sys.stdout = out
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

NEVER = ("numpy", "textual", "kubernetes", "kubenet_tui.engine.fast", "kubenet_tui.engine.classes",
         "kubenet_tui.ui")
NOT_WITHOUT_THEM = ("kubenet_tui.engine.dialects.calico_model", "kubenet_tui.engine.dialects.cilium_model",
                    "kubenet_tui.engine.dialects.calico", "kubenet_tui.engine.dialects.cilium",
                    "kubenet_tui.engine.route_model", "kubenet_tui.engine.outside")


def loaded_by(*argv: str) -> tuple[int, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60,
                            check=False)
    data = json.loads(result.stdout.splitlines()[-1])
    return data["code"], data["modules"]


def imported(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_check_on_an_upstream_cluster_loads_no_dialect_route_matrix_or_ui_code(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps(UPSTREAM_CLUSTER))
    code, modules = loaded_by("check", "a/client", "a/web", "--port", "80", "-f", str(path))
    assert code == 0
    assert imported(modules, NEVER + NOT_WITHOUT_THEM) == []


def test_check_on_the_demo_loads_no_matrix_ui_or_client_code() -> None:
    code, modules = loaded_by("check", "shop/frontend", "shop/db", "--port", "6379", "--demo")
    assert code == 0
    assert imported(modules, NEVER) == []
    # The demo ships parsed (tests/loader/test_demo_parsed.py) and an allowed verdict shows no YAML; it
    # is read as Calico, but holds no Calico policy whose selectors would need their grammar; the
    # walkthrough writes its own styles (render/styled.py).
    assert imported(modules, ("yaml", "importlib.resources", "kubenet_tui.engine.dialects.calico_selector",
                              "rich", "shutil")) == []

