"""`kubenet-tui flows`: exit codes, filters, text for people, stdin and a slow pipe."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.cli import main
from kubenet_tui.commands import flows_run
from kubenet_tui.engine.flows import FlowRecord
from kubenet_tui.sources.flows import read_flows

SAMPLES = Path(__file__).parent / "samples"
ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["flows", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_exit_0_when_every_class_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, str(SAMPLES / "whisker.jsonl"), "--demo")
    assert code == 0
    assert "2 classes: 0 disagree, 0 unknown, 2 agree, 0 not compared" in out


def test_exit_1_when_some_disagree(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, str(SAMPLES / "goldmane.jsonl"), "--demo")[0] == 1


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "it is empty"),
        ("\n\n", "it is empty"),
        ("garbage\nmore garbage\n", "2 malformed lines"),
        ('{"node_status": {"state_change": "NODE_CONNECTED"}}\n', "1 Hubble status events"),
    ],
)
def test_exit_2_when_nothing_usable_was_read(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str,
                                             why: str) -> None:
    log = tmp_path / "flows.jsonl"
    log.write_text(content)
    code, out, err = run(capsys, str(log), "--demo")
    assert code == 2 and out == ""
    assert "nothing usable was read" in err and why in err


def test_replies_alone_are_nothing_usable(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    reply = json.loads((SAMPLES / "hubble.jsonl").read_text().splitlines()[2])
    assert reply["flow"]["is_reply"] is True
    log = tmp_path / "replies.jsonl"
    log.write_text(json.dumps(reply) + "\n")
    code, _, err = run(capsys, str(log), "--demo")
    assert code == 2 and "1 reply (not new connections)" in err


def test_a_log_that_cannot_be_opened(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, str(tmp_path / "missing.jsonl"), "--demo")
    assert code == 2 and "cannot read" in err and "missing.jsonl" in err


def test_stdin_cannot_be_both_the_log_and_the_manifests(capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, _, err = run(capsys, "-", "-f", "-")
    assert code == 2 and "cannot both be read from stdin" in err


def test_only_filters_the_classes_not_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    hubble = str(SAMPLES / "hubble.jsonl")
    _, out, _ = run(capsys, hubble, "--demo", "--cni", "cilium", "-o", "json", "--only", "dropped")
    dropped = json.loads(out)
    assert {c["observed"]["verdict"] for c in dropped["classes"]} == {"denied", "audit", "dropped"}
    assert dropped["summary"]["classes"]["total"] == 13 and dropped["summary"]["only"] == "dropped"
    _, out, _ = run(capsys, hubble, "--demo", "--cni", "cilium", "-o", "json", "--only", "disagree")
    assert {c["agreement"] for c in json.loads(out)["classes"]} == {"disagrees", "unknown"}


def test_text_shows_findings_in_full_and_agreements_with_their_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, str(SAMPLES / "hubble.jsonl"), "--demo", "--cni", "cilium")
    assert code == 1
    assert "Flows: 23 lines read: 16 Cilium (Hubble) flow records; 1 reply not counted" in out
    assert "13 classes: 4 disagree, 2 unknown, 5 agree, 2 not compared" in out
    cart = out.split("✗ DISAGREES  shop/cart → shop/db  6379/TCP  ×1\n")[1].split("\n\n✗")[0]
    assert "the plugin names: CiliumNetworkPolicy shop/deny-cart-to-redis (deny, ingress)" in cart
    assert "1. an object that decides it was not read, or not evaluated [not-read, score 45]" in cart
    assert "our verdict in full:" in cart and "ingress[0]: peer and port match" in cart
    agreed = out.split("✔ AGREES  shop/frontend → shop/db  5432/TCP  ×1\n")[1].split("\n\n")[0]
    assert "ingress: default deny, switched on by shop/allow-metrics-scrape, shop/test-network-policy" in agreed
    assert "nearest miss: shop/test-network-policy ingress[0] matches the peer but not the port" in agreed
    assert "smallest fix: add 5432/TCP to the ports of shop/test-network-policy ingress[0]" in agreed
    assert "our verdict in full" not in agreed
    assert "skipped line 19: not valid JSON" in err


def test_the_profile_mismatch_is_named_when_the_plugin_is_not_the_detected_one(
        capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, str(SAMPLES / "hubble.jsonl"), "--demo", "-o", "json", "--only", "disagree")
    report = json.loads(out)
    assert report["summary"]["cluster"]["profile"] == "calico"  # the demo runs calico-node
    for cls in report["classes"]:
        assert any(c["cause"] == "profile-mismatch" for c in cls["causes"])


def test_ctrl_c_keeps_what_was_read(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(lines: Any, report: Any, fmt: Any) -> Iterator[FlowRecord]:
        yield from read_flows(list(lines)[:1], report, fmt)
        raise KeyboardInterrupt

    monkeypatch.setattr(flows_run, "read_flows", interrupted)
    code, out, err = run(capsys, str(SAMPLES / "whisker.jsonl"), "--demo")
    assert code == 0 and "1 class: " in out and "interrupted after 1 line:" in err


def test_a_slow_producer_through_a_pipe() -> None:
    """`hubble observe -o json | kubenet-tui flows -`: lines arrive one by one, with pauses."""
    lines = (SAMPLES / "whisker.jsonl").read_text().splitlines()
    producer = ("import sys, time\n"
                f"for line in {lines!r}:\n"
                "    sys.stdout.write(line + '\\n'); sys.stdout.flush(); time.sleep(0.15)\n")
    with subprocess.Popen([sys.executable, "-c", producer], stdout=subprocess.PIPE) as source:
        result = subprocess.run([sys.executable, "-m", "kubenet_tui", "flows", "-", "--demo", "-o", "json"],
                                stdin=source.stdout, capture_output=True, text=True, timeout=120, check=False,
                                cwd=ROOT)
        assert source.stdout is not None
        source.stdout.close()
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["read"]["lines"] == 4 and report["summary"]["classes"]["agrees"] == 2


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_reader_that_stops_early_keeps_the_exit_code(tmp_path: Path, output: str) -> None:
    # Every pair of the demo's pods on three ports, and one disagreement: far more than a pipe holds.
    flows = (SAMPLES / "hubble.jsonl").read_text().splitlines()[5:6]  # shop/cart -> shop/db, disagrees
    addresses = [f"10.244.{node}.{host}" for node, host in ((1, 10), (2, 20), (1, 11), (1, 30), (2, 30), (2, 31),
                                                            (1, 31), (1, 40), (2, 40), (1, 2), (2, 50))]
    for source in addresses:
        for destination in addresses:
            for port in (80, 443, 8080):
                flows.append(json.dumps({"flow": {"verdict": "FORWARDED", "IP": {"source": source,
                                                                              "destination": destination},
                                                  "l4": {"TCP": {"destination_port": port}}}}))
    log = tmp_path / "flows.jsonl"
    log.write_text("\n".join(flows) + "\n")
    proc = subprocess.Popen([sys.executable, "-m", "kubenet_tui", "flows", str(log), "--demo", "--cni", "cilium",
                             "-o", output, "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # like `head -1`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert "Traceback" not in err


def test_the_parsers_formats_are_the_readers() -> None:
    """The parser names the formats without importing the readers (start-up time): the same list."""
    from kubenet_tui.commands.flows import FORMATS
    from kubenet_tui.sources.flows import Format

    assert tuple(f.value for f in Format) == FORMATS
