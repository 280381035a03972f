"""The walkthrough: one tree of lines per answer, which text, the explorer's tree and its copy render.

One case per kind of answer (blocked, allowed, unknown, not enforced, a Service, every port), each
checking the node kinds, marks, verbose levels and explorer hints the renderers rely on, then the
renderers themselves: the text is the nodes' labels, nothing else.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from engine.kit import check, load, namespace, netpol, pod

from kubenet_tui.engine.cluster import Cluster, Unreadable
from kubenet_tui.engine.ends import parse_port
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.ports import PortsVerdict
from kubenet_tui.engine.query import Answer, Question, ask
from kubenet_tui.engine.services import ServiceVerdict
from kubenet_tui.render.answer import answer_brief, answer_text
from kubenet_tui.render.text import node_label, nodes_text, walkthrough_text
from kubenet_tui.render.walkthrough import Kind, Mark, Node, Walkthrough, walkthrough
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.files import FileSource
from kubenet_tui.ui.explain_tree import items, panel_text

ROOT = Path(__file__).resolve().parents[2]
CLUSTERS = ROOT / "tests" / "golden" / "clusters"


@pytest.fixture(scope="module")
def demo() -> Cluster:
    return DemoSource().load().cluster


def asked(cluster: Cluster, source: str, destination: str, port: str | None = None) -> Answer:
    return ask(cluster, Question(source, destination, parse_port(port)))


def verdict(cluster: Cluster, source: str, destination: str, port: str | None) -> Verdict:
    answer = asked(cluster, source, destination, port)
    assert isinstance(answer, Verdict)
    return answer


def every(nodes: Iterable[Node]) -> list[Node]:
    return [n for node in nodes for n in node.walk()]


def of_kind(nodes: Iterable[Node], kind: Kind) -> list[Node]:
    return [n for n in every(nodes) if n.kind is kind]


def direction(w: Walkthrough, word: str) -> Node:
    (node,) = [n for n in w.body if n.kind is Kind.DIRECTION and n.head.startswith(word)]
    return node


# -- a blocked verdict ---------------------------------------------------------------------------------------


def test_blocked_verdict_is_headed_by_its_side_and_starts_on_the_rule_to_fix(demo: Cluster) -> None:
    w = walkthrough(verdict(demo, "shop/frontend", "shop/db", "5432"))
    assert (w.headline.kind, w.headline.mark, w.headline.head) == (Kind.HEADLINE, Mark.NOT, "BLOCKED")
    assert [n.kind for n in w.body] == [Kind.DIRECTION, Kind.DIRECTION, Kind.SUGGESTIONS]
    egress, ingress = direction(w, "Egress"), direction(w, "Ingress")
    assert (egress.mark, egress.open, ingress.mark, ingress.open) == (Mark.MATCHED, False, Mark.NOT, True)
    # -q's why is the side that blocks; the glance lines are one per side.
    assert w.why.text.startswith("shop/db is isolated for ingress by")
    assert [(n.mark, n.head) for n in w.glance] == [(Mark.MATCHED, "egress: "), (Mark.NOT, "ingress: ")]
    # One cursor: the rule the engine's suggestion edits, linked to the policy's YAML.
    (focused,) = [n for n in w.nodes() if n.focus]
    assert focused.kind is Kind.RULE and focused.head == "ingress[0]" and focused.open
    assert focused.link is not None and focused.link.name == "test-network-policy"
    assert focused.link.rule is not None and focused.link.rule.rule == 0 and not focused.link.deciding
    # Its checks say which peer matched and that no port did; each links the rule with itself marked.
    marks = [(c.head.split()[0], c.mark) for c in focused.children]
    assert marks == [("from[0]", Mark.NOT), ("from[1]", Mark.MATCHED), ("from[2]", Mark.MATCHED),
                     ("ports[0]", Mark.NOT)]
    assert [c.link.rule.peer if c.link and c.link.rule else None for c in focused.children] == [0, 1, 2, None]
    # Nothing decides a NetworkPolicy deny: no rule is marked as deciding.
    assert not [n for n in w.nodes() if n.decides]


def test_blocked_verdict_suggestions_carry_their_yaml(demo: Cluster) -> None:
    w = walkthrough(verdict(demo, "shop/frontend", "shop/db", "5432"))
    (group,) = of_kind(w.body, Kind.SUGGESTIONS)
    first = group.children[0]
    assert first.kind is Kind.SUGGESTION and first.text.startswith("add 5432/TCP to the ports of")
    assert [c.text for c in first.children] == ["ports:", "- protocol: TCP", "  port: 5432"]


def test_policies_that_do_not_select_the_pod_are_verbose_skips(demo: Cluster) -> None:
    w = walkthrough(verdict(demo, "shop/frontend", "shop/db", "5432"))
    skips = [n for n in of_kind(w.body, Kind.POLICY) if n.mark is Mark.SKIP]
    assert skips and all(n.verbose and n.link is not None and n.link.rule is None for n in skips)
    brief, full = walkthrough_text(w, verbose=False).plain, walkthrough_text(w).plain
    assert "· NetworkPolicy shop/cart-from-frontend" in full and "shop/cart-from-frontend" not in brief


# -- an allowed verdict --------------------------------------------------------------------------------------


def test_allowed_verdict_marks_and_focuses_the_deciding_rule(demo: Cluster) -> None:
    w = walkthrough(verdict(demo, "shop/frontend", "shop/db", "6379"))
    assert (w.headline.mark, w.headline.head) == (Mark.MATCHED, "ALLOWED")
    (deciding,) = [n for n in w.nodes() if n.decides]
    assert deciding.kind is Kind.RULE and deciding.focus and deciding.open and deciding.mark is Mark.MATCHED
    assert deciding.link is not None and deciding.link.deciding and deciding.link.rule is not None
    assert (deciding.link.name, deciding.link.rule.peer, deciding.link.rule.port) == ("test-network-policy", 1, 0)
    assert node_label(deciding).plain.endswith("◀ decides")
    # The checks of a matched rule are detail: verbose only.
    assert deciding.children and all(c.verbose for c in deciding.children)
    assert w.why.text == "allowed by NetworkPolicy shop/test-network-policy ingress[0]"


def test_allowed_side_keeps_only_what_allows_it_unless_verbose(demo: Cluster) -> None:
    w = walkthrough(verdict(demo, "shop/frontend", "shop/db", "6379"))
    ingress = direction(w, "Ingress")
    policies = of_kind([ingress], Kind.POLICY)
    assert {p.head: p.verbose for p in policies if p.mark is not Mark.SKIP} == {
        "ClusterNetworkPolicy monitoring-pass (priority 50)": True, "NetworkPolicy shop/allow-metrics-scrape": True,
        "NetworkPolicy shop/test-network-policy": False}
    brief = walkthrough_text(w, verbose=False).plain
    assert "shop/test-network-policy" in brief and "shop/allow-metrics-scrape selects" not in brief
    # Egress is allowed by default: not unfolded in the explorer, and the isolation line is detail.
    egress = direction(w, "Egress")
    assert not egress.open
    (isolation,) = of_kind([egress], Kind.ISOLATION)
    assert isolation.verbose and isolation.text.startswith("not isolated for egress")


# -- unknown ---------------------------------------------------------------------------------------------------


def test_unknown_verdict_says_what_the_readable_policies_alone_say() -> None:
    cluster = FileSource([str(CLUSTERS / "antrea-unknown.yaml")]).load().cluster
    w = walkthrough(verdict(cluster, "y/b", "x/a", "80"))
    assert (w.headline.mark, w.headline.head) == (Mark.UNKNOWN, "UNKNOWN")
    assert w.headline.tail.endswith("(the readable policies alone: BLOCKED)")
    top = w.body[0]
    assert (top.kind, top.mark) == (Kind.ASSUMED, Mark.NOT)
    ingress = direction(w, "Ingress")
    assert ingress.mark is Mark.UNKNOWN and ingress.open
    (assumed,) = [n for n in ingress.children if n.kind is Kind.ASSUMED]
    assert assumed.mark is Mark.NOT and "x/only-web" in assumed.tail
    chain, tier = assumed.children
    assert chain.kind is Kind.CHAIN and chain.tail == "[Plugin] NoDecision (assumed) → [NetworkPolicy] Deny"
    assert tier.kind is Kind.TIER and tier.children[0].head == "NetworkPolicy x/only-web"


def test_checks_and_rules_that_might_match_are_marked_unknown() -> None:
    collector = load(
        namespace("prod"),
        pod("prod", "db", {"app": "db"}, ips=["10.0.0.1"]),
        pod("dev", "client", {"app": "client"}, ips=["10.0.1.1"]),
        netpol("prod", "from-team", {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {
            "matchLabels": {"team": "a"}}}]}]}),
    )
    collector.unreadable.append(Unreadable("namespaces", None, "namespaces is forbidden"))
    v = check(collector.cluster(), "dev/client", "prod/db", 80)
    assert v.status is Status.UNKNOWN
    w = walkthrough(v)
    (rule,) = of_kind(w.body, Kind.RULE)
    assert rule.mark is Mark.UNKNOWN and rule.focus
    peer, port = rule.children
    assert (peer.mark, port.mark) == (Mark.UNKNOWN, Mark.MATCHED)
    (policy,) = [p for p in of_kind(w.body, Kind.POLICY) if p.head == "NetworkPolicy prod/from-team"]
    assert policy.mark is Mark.UNKNOWN
    assert node_label(rule).plain.startswith("? ingress[0]")


def test_isolation_that_cannot_be_decided_says_so() -> None:
    collector = load(namespace("app"), namespace("web"), pod("app", "api", {"app": "api"}, ips=["10.0.0.1"]),
                     pod("web", "fe", {"app": "fe"}, ips=["10.0.1.1"]))
    collector.unreadable.append(Unreadable("networkpolicies", "app", "forbidden"))
    v = check(collector.cluster(), "web/fe", "app/api", 80)
    assert v.ingress.isolated is None
    (isolation,) = of_kind([direction(walkthrough(v), "Ingress")], Kind.ISOLATION)
    assert isolation.mark is Mark.UNKNOWN and not isolation.verbose
    assert isolation.head == "isolation for ingress unknown"


# -- a plugin that enforces nothing ------------------------------------------------------------------------------


def test_not_enforced_verdict_is_allowed_on_the_wire_and_says_what_the_policies_say() -> None:
    cluster = FileSource([str(CLUSTERS / "flannel-not-enforced.yaml")]).load().cluster
    v = verdict(cluster, "x/a", "x/b", "80")
    assert (v.status, v.policies_say, v.enforced) == (Status.ALLOWED, Status.BLOCKED, False)
    w = walkthrough(v)
    assert (w.headline.mark, w.headline.head) == (Mark.MATCHED, "ALLOWED")
    assert w.headline.tail.endswith("(not enforced: the policies say BLOCKED)")
    assert (w.body[0].kind, w.body[0].mark) == (Kind.ENFORCEMENT, Mark.NOT)
    # -q's why does not contradict the headline: it is the engine's summary, which says both.
    assert w.why.text.startswith("ALLOWED: not enforced")
    # What the policies say is still walked: the side they block is unfolded.
    assert direction(w, "Ingress").open and not direction(w, "Egress").open
    brief = answer_brief(v).plain.splitlines()
    assert len(brief) == 2 and "not enforced" in brief[0]


# -- a Service and every port -----------------------------------------------------------------------------------


def test_service_backends_are_sections_blocked_first_with_one_cursor(demo: Cluster) -> None:
    sv = asked(demo, "payments/worker-58d4c-hq7vn", "svc/payments/api", "https")
    assert isinstance(sv, ServiceVerdict)
    w = walkthrough(sv)
    assert w.headline.tail.endswith("(0 of 2 backends allowed)")
    assert [n.kind for n in w.body] == [Kind.SERVICE_PORT, Kind.BACKEND, Kind.BACKEND]
    backend = w.body[1]
    assert backend.mark is Mark.NOT and backend.open and backend.head.endswith("on port 8443/TCP (https)")
    assert [c.kind for c in backend.children][:3] == [Kind.SUMMARY, Kind.DIRECTION, Kind.DIRECTION]
    assert len([n for n in w.nodes() if n.focus]) == 1
    text = walkthrough_text(w).plain
    assert "── ✗ backend payments/api-6c5f7b-2xkqp on port 8443/TCP (https): BLOCKED ──" in text
    assert answer_brief(sv).plain.splitlines()[1].startswith("backend payments/api-6c5f7b-2xkqp: ")


def test_allowed_service_backends_stay_folded(demo: Cluster) -> None:
    sv = asked(demo, "shop/frontend", "svc/payments/api", "https")
    w = walkthrough(sv)
    backends = [n for n in w.body if n.kind is Kind.BACKEND]
    assert backends and all(b.mark is Mark.MATCHED and not b.open for b in backends)
    assert not any(c.open for b in backends for c in b.children)


def test_every_port_lists_ranges_with_the_undeclared_blocked_ones_verbose(demo: Cluster) -> None:
    pv = asked(demo, "shop/frontend", "shop/db")
    assert isinstance(pv, PortsVerdict)
    w = walkthrough(pv)
    assert w.headline.head == "SOME PORTS ALLOWED"
    assert all(n.kind is Kind.SEGMENT for n in w.body)
    shown = {n.head: (n.mark, n.verbose) for n in w.body}
    assert shown["6379/TCP (redis)"] == (Mark.MATCHED, False)
    assert shown["9121/TCP (metrics)"] == (Mark.NOT, False)  # declared: always shown
    assert shown["1-6378/TCP"] == (Mark.NOT, True)
    (allowed,) = [n for n in w.body if n.mark is Mark.MATCHED]
    assert allowed.link is not None and allowed.link.name == "test-network-policy" and allowed.link.deciding
    brief = walkthrough_text(w, verbose=False).plain
    assert "6379/TCP (redis)" in brief and "1-6378/TCP" not in brief


# -- the renderers -------------------------------------------------------------------------------------------------


ANSWERS = [("shop/frontend", "shop/db", "5432"), ("shop/frontend", "shop/db", "6379"),
           ("shop/frontend", "vault/vault-0", "8200"), ("payments/worker-58d4c-hq7vn", "svc/payments/api", "https"),
           ("shop/frontend", "shop/db", None), ("shop/frontend", "shop/search-7d9f8-pending", "9200")]


@pytest.mark.parametrize("question", ANSWERS, ids=lambda q: "-".join(str(p) for p in q))
def test_text_is_every_node_label_in_order(demo: Cluster, question: tuple[str, str, str | None]) -> None:
    w = walkthrough(asked(demo, *question))
    text = answer_text(asked(demo, *question)).plain
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    expected = [node_label(n).plain.strip() for n in every((w.headline, w.summary, *w.body))]
    # A backend heads its section: its label stands between two rules.
    assert [line.removeprefix("── ").removesuffix(" ──") for line in lines] == expected
    brief = answer_brief(asked(demo, *question)).plain.splitlines()
    assert brief == [node_label(w.headline).plain, node_label(w.why).plain]


@pytest.mark.parametrize("question", ANSWERS, ids=lambda q: "-".join(str(p) for p in q))
def test_the_explorer_tree_and_its_copy_are_the_same_nodes(demo: Cluster, question: tuple[str, str, str | None]) -> None:
    w = walkthrough(asked(demo, *question))
    tree = [i for top in items(w) for i in top.walk()]
    body = every(w.body)
    assert [i.label.plain for i in tree] == [node_label(n).plain for n in body]
    assert [(i.expand, i.focus, i.link) for i in tree] == [(n.open, n.focus, n.link) for n in body]
    copied = panel_text(w)
    assert copied == nodes_text((w.headline, *w.glance, *w.body)).plain
    assert copied.splitlines()[0] == node_label(w.headline).plain
    for node in (*w.glance, *body):
        assert node_label(node).plain in copied


def test_the_walkthrough_imports_neither_rich_nor_textual() -> None:
    probe = ("import json, sys\nimport kubenet_tui.render.walkthrough\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'textual'))))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
