"""How a tier decision is explained: the chain per direction in text and JSON, the deciding rule
(kind, name, direction, index, rule name, action), why rules before it did not match, and the
`check` command end to end (files and the demo's admin layer)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kubenet_tui.cli import main
from kubenet_tui.engine.explain import Status, Tier
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.render.text import verdict_text

from .kit import (
    CNP_STYLES,
    STYLES,
    Obj,
    Style,
    all_ns_peer,
    base_objects,
    check,
    house_selector,
    load,
    netpol,
    ns_peer,
    ns_subject,
    rule,
)

GRYF = ns_subject("gryffindor")
DRACO, HARRY = "slytherin/draco-0", "gryffindor/harry-0"
by_style = pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)


def allow_slytherin_policy() -> Obj:
    return netpol("gryffindor", "allow-web", {}, ["Ingress"], ingress=[{"from": [{"namespaceSelector": house_selector("slytherin")}]}])


def chain_line(text: str, direction: str) -> str:
    """The `chain:` line of one direction's block in the text walkthrough."""
    block = text.split(f"{direction} at the ")[1]
    return next(line.strip() for line in block.splitlines() if line.strip().startswith("chain:"))


@by_style
def test_pass_then_networkpolicy_chain_in_text_and_json(style: Style) -> None:
    loaded = load(style.admin("tenant-pass", 81, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="pass-81")]),
                  allow_slytherin_policy())
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    text = verdict_text(verdict).plain

    line = chain_line(text, "Ingress")
    kind = style.admin_kind()
    assert re.fullmatch(
        rf'chain: \[Admin\] Pass \({kind} tenant-pass ingress\[0\] "pass-81"\) → '
        r"\[NetworkPolicy\] Allow \(NetworkPolicy gryffindor/allow-web ingress\[0\]\)", line), line
    assert text.startswith("✔ ALLOWED")

    data = verdict_json(verdict)
    assert data["allowed"] is True
    ingress = data["ingress"]
    assert ingress["decidedBy"] == "NetworkPolicy"
    assert ingress["chain"] == ["[Admin] Pass", "[NetworkPolicy] Allow"]
    (np_ref,) = ingress["decidingRules"]
    assert (np_ref["kind"], np_ref["namespace"], np_ref["name"], np_ref["direction"], np_ref["rule"]) == (
        "NetworkPolicy", "gryffindor", "allow-web", "ingress", 0)
    (pass_ref,) = ingress["tiers"][0]["deciding"]
    assert pass_ref == {"kind": kind, "namespace": None, "name": "tenant-pass", "direction": "ingress", "rule": 0,
                        "peer": 0, "port": None, "ruleName": "pass-81", "action": "Pass"}
    assert data["decidingRules"] == [np_ref]
    assert data["egress"]["decidedBy"] == "Default"


@by_style
def test_admin_deny_chain_stops_at_the_admin_tier(style: Style) -> None:
    loaded = load(style.admin("protect", 5, GRYF, ingress=[rule("allow", ns_peer("ravenclaw"), name="allow-ravenclaw"),
                                                             rule("deny", ns_peer("slytherin"), name="deny-slytherin")]),
                  netpol("gryffindor", "allow-all", {}, ["Ingress"], ingress=[{}]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    text = verdict_text(verdict).plain
    assert text.startswith("✗ BLOCKED")
    assert chain_line(text, "Ingress") == f'chain: [Admin] Deny ({style.admin_kind()} protect ingress[1] "deny-slytherin")'
    # the rule before the deciding one is shown with why it did not match
    assert "ingress[0] \"allow-ravenclaw\"" in text
    assert "namespace slytherin" in text
    data = verdict_json(verdict)
    assert data["allowed"] is False
    assert data["ingress"]["decidedBy"] == "Admin"
    assert data["ingress"]["chain"] == ["[Admin] Deny"]
    (ref,) = data["decidingRules"]
    assert (ref["kind"], ref["name"], ref["direction"], ref["rule"], ref["ruleName"], ref["action"]) == (
        style.admin_kind(), "protect", "ingress", 1, "deny-slytherin", "Deny")


@by_style
def test_rules_are_considered_in_order_until_the_first_match(style: Style) -> None:
    loaded = load(style.admin("ordered", 5, GRYF, ingress=[rule("deny", ns_peer("ravenclaw"), name="r0"),
                                                             rule("allow", ns_peer("slytherin"), name="r1"),
                                                             rule("deny", all_ns_peer(), name="r2")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    (policy,) = verdict.ingress.tiers[0].policies
    assert [(r.index, r.name, r.matched) for r in policy.rules] == [(0, "r0", False), (1, "r1", True)]
    assert policy.rules[1].action == style.allow
    assert "label kubernetes.io/metadata.name is 'slytherin', not 'ravenclaw'" in policy.rules[0].peers[0].reason
    assert policy.priority == 5


@by_style
def test_pass_then_baseline_chain(style: Style) -> None:
    loaded = load(style.admin("tenant-pass", 81, GRYF, ingress=[rule("pass", ns_peer("slytherin"), name="pass-81")]),
                  style.baseline(GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="baseline-deny")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    line = chain_line(verdict_text(verdict).plain, "Ingress")
    assert re.fullmatch(
        rf'chain: \[Admin\] Pass \({style.admin_kind()} tenant-pass ingress\[0\] "pass-81"\) → '
        r"\[NetworkPolicy\] NoDecision → "
        rf'\[Baseline\] Deny \({style.baseline_kind()} default ingress\[0\] "baseline-deny"\)', line), line
    data = verdict_json(verdict)
    assert data["ingress"]["chain"] == ["[Admin] Pass", "[NetworkPolicy] NoDecision", "[Baseline] Deny"]
    assert data["ingress"]["isolated"] is False
    assert data["decidingRules"][0]["kind"] == style.baseline_kind()


@pytest.mark.parametrize("style", CNP_STYLES, ids=lambda s: s.name)
def test_baseline_pass_chain_ends_in_default_allow(style: Style) -> None:
    loaded = load(style.baseline(GRYF, name="delegate", priority=1, ingress=[rule("pass", ns_peer("slytherin"), name="p")]),
                  style.baseline(GRYF, name="deny-all", priority=2, ingress=[rule("deny", all_ns_peer(), name="d")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert verdict.status is Status.ALLOWED
    line = chain_line(verdict_text(verdict).plain, "Ingress")
    assert line.endswith('[Baseline] Pass (ClusterNetworkPolicy delegate ingress[0] "p") → [Default] Allow'), line
    assert verdict_json(verdict)["ingress"]["decidedBy"] == "Default"


@by_style
def test_ambiguous_priority_caveat_in_text_and_json(style: Style) -> None:
    loaded = load(style.admin("tie-a", 7, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="d")]),
                  style.admin("tie-b", 7, GRYF, ingress=[rule("allow", ns_peer("slytherin"), name="a")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    (caveat,) = [c for c in verdict_json(verdict)["caveats"] if c["code"] == "ambiguous-priority"]
    assert "tie-a" in caveat["message"] and "tie-b" in caveat["message"]
    assert caveat["message"] in verdict_text(verdict).plain.split("Caveats:")[1]


@by_style
def test_same_priority_policy_without_rules_for_the_direction_is_not_ambiguous(style: Style) -> None:
    loaded = load(style.admin("ingress-rules", 7, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="d")]),
                  style.admin("egress-rules", 7, GRYF, egress=[rule("deny", ns_peer("slytherin"), name="d")]))
    verdict = check(loaded.cluster, DRACO, HARRY, 80)
    assert "ambiguous-priority" not in [c.code for c in verdict.caveats]


# -- the check command end to end -------------------------------------------------------------------


def write_manifests(tmp_path: Path, objects: list[Obj]) -> str:
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [*base_objects(), *objects]}))
    return str(path)


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.name)
def test_check_command_on_files(style: Style, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_manifests(tmp_path, [
        style.admin("protect", 5, GRYF, ingress=[rule("deny", ns_peer("slytherin"), name="deny-slytherin")]),
        style.baseline(GRYF, ingress=[rule("deny", ns_peer("ravenclaw"), name="baseline-deny-ravenclaw")]),
    ])
    assert main(["check", DRACO, HARRY, "--port", "80", "-f", path, "-o", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["allowed"] is False
    assert data["ingress"]["decidedBy"] == "Admin"
    assert data["decidingRules"][0]["ruleName"] == "deny-slytherin"

    assert main(["check", "ravenclaw/luna-0", HARRY, "--port", "web", "-f", path]) == 1
    out = capsys.readouterr().out
    assert f'[Baseline] Deny ({style.baseline_kind()} default ingress[0] "baseline-deny-ravenclaw")' in out

    assert main(["check", "hufflepuff/cedric-0", HARRY, "--port", "80", "-f", path]) == 0


# -- the demo's admin layer ---------------------------------------------------------------------------


def demo_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", *args, "--demo", "-o", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_demo_admin_deny_overrides_the_namespace_allow_all(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = demo_json(capsys, "shop/frontend", "vault/vault-0", "--port", "8200")
    assert code == 1
    ingress = data["ingress"]
    assert ingress["decidedBy"] == "Admin"
    (ref,) = ingress["decidingRules"]
    assert (ref["kind"], ref["name"], ref["rule"], ref["ruleName"], ref["action"]) == (
        "AdminNetworkPolicy", "protect-vault", 2, "deny-everyone-else", "Deny")


def test_demo_admin_allow_for_the_payments_team(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = demo_json(capsys, "payments/api-6c5f7b-2xkqp", "vault/vault-0", "--port", "8200")
    assert code == 0
    assert data["ingress"]["decidingRules"][0]["ruleName"] == "allow-payments-team"


def test_demo_monitoring_is_passed_to_the_namespace_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = demo_json(capsys, "monitoring/prometheus-0", "vault/vault-0", "--port", "8200")
    assert code == 0
    ingress = data["ingress"]
    # The demo runs Calico: the admin kinds act in the tiers Calico converts them to, and the
    # NetworkPolicies in tier default.
    assert ingress["chain"] == ["[Calico tier adminnetworkpolicy] Pass", "[Calico tier kube-admin] Pass",
                                "[Calico tier default] Allow"]
    assert ingress["tiers"][0]["deciding"][0]["ruleName"] == "allow-monitoring"
    assert ingress["decidingRules"][0]["name"] == "allow-all-ingress"


def test_demo_baseline_blocks_metadata_only_for_pods_not_isolated_for_egress(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = demo_json(capsys, "shop/frontend", "169.254.169.254", "--port", "80")
    assert code == 1
    egress = data["egress"]
    assert egress["decidedBy"] == "Baseline"
    assert egress["decidingRules"][0]["ruleName"] == "deny-cloud-metadata"
    # payments/api is isolated for egress by its own NetworkPolicies, which allow 443 to public addresses:
    # the baseline is never consulted for it
    code, data = demo_json(capsys, "payments/api-6c5f7b-2xkqp", "169.254.169.254", "--port", "443")
    assert code == 0
    egress = data["egress"]
    assert egress["decidedBy"] == Tier.NETWORK_POLICY.value
    assert [t.rsplit(" ", 1)[0] for t in egress["chain"]] == [
        "[Calico tier adminnetworkpolicy]", "[Calico tier kube-admin]", "[Calico tier default]"]
