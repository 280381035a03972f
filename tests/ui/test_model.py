"""The explorer's pure parts: filters, column fitting, rows, prompts' parsing, the explanation tree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from kubenet_tui.engine.evaluate import InputError
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import Protocol
from kubenet_tui.sources.base import DataState
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.ui.connection import (
    Connection,
    EndKind,
    EndSpec,
    PortSpec,
    evaluate_connection,
    parse_end,
    parse_port,
)
from kubenet_tui.ui.explain_tree import ExplainItem, verdict_items
from kubenet_tui.ui.keys import parse_command
from kubenet_tui.ui.lines import HeaderInfo, connection_text, header_text
from kubenet_tui.ui.model import ExplorerModel, Filter
from kubenet_tui.ui.tables import Column, NamespaceRows, PodRows, PolicyRows, ServiceRows, fit_columns

SNAPSHOT = DemoSource().load()


@pytest.fixture(scope="module")
def model() -> ExplorerModel:
    return ExplorerModel(SNAPSHOT)


# --- filters -------------------------------------------------------------------------------------------


def test_filter_terms_all_must_hold() -> None:
    flt = Filter("role=db tier!=web, redis")
    assert flt.labels == [("role", "db", True), ("tier", "web", False)]
    assert flt.substrings == ["redis"]
    assert flt.matches({"role": "db"}, "shop/db\x00app=redis")
    assert not flt.matches({"role": "db", "tier": "web"}, "shop/db\x00app=redis")
    assert not flt.matches({"role": "db-migration"}, "x\x00app=redis")
    assert not Filter("  ")
    assert Filter("role=").substrings == ["role="]


def test_narrowing_is_only_claimed_when_safe() -> None:
    assert Filter("paym").narrows(Filter("pay"))
    assert Filter("pay x").narrows(Filter("pay"))
    assert not Filter("pa").narrows(Filter("pay"))
    assert Filter("role=db x").narrows(Filter("role=db"))
    assert not Filter("role=db").narrows(Filter("role="))


@settings(deadline=None)  # the suite runs on a loaded machine: no per-example time limit
@given(st.lists(st.sampled_from(["a", "b", "ab", "ba", "x"]), min_size=1, max_size=4))
def test_refined_filtering_equals_filtering_everything(words: list[str]) -> None:
    model = ExplorerModel(SNAPSHOT)
    base = PodRows(model, model.pods(None), show_namespace=True)
    previous = base
    text = ""
    for word in words:
        text = (text + word).strip()
        fresh = base.filtered(Filter(text))
        refined = base.filtered(Filter(text), previous)
        assert [refined.key(i) for i in range(len(refined))] == [fresh.key(i) for i in range(len(fresh))]
        previous = refined


def test_previous_rows_of_another_origin_are_ignored(model: ExplorerModel) -> None:
    shop = PodRows(model, model.pods("shop"), show_namespace=False)
    everything = PodRows(model, model.pods(None), show_namespace=True)
    only_shop = shop.filtered(Filter("a"))
    result = everything.filtered(Filter("ap"), only_shop)
    assert any(result.key(i).startswith("payments/") for i in range(len(result)))


def test_pod_filter_by_name_and_label(model: ExplorerModel) -> None:
    rows = PodRows(model, model.pods("shop"), show_namespace=False)
    db = rows.filtered(Filter("db"))
    assert [db.key(i) for i in range(len(db))] == ["shop/db", "shop/migrate-schema-x7k2p"]
    exact = rows.filtered(Filter("role=db"))
    assert [exact.key(i) for i in range(len(exact))] == ["shop/db"]


def test_namespace_filter_keeps_the_all_row(model: ExplorerModel) -> None:
    rows = NamespaceRows(model.namespace_summaries()).filtered(Filter("pay"))
    assert [rows.key(i) for i in range(len(rows))] == ["", "payments"]


# --- columns and rows -------------------------------------------------------------------------------


def test_fit_columns_flex_takes_the_rest_and_shrinks_first() -> None:
    cols = [Column("A", 10, min_width=4), Column("B", 5), Column("L", 6, flex=True, min_width=3)]
    assert fit_columns(cols, 40) == [10, 5, 23]
    assert fit_columns(cols, 20) == [10, 5, 3]  # flex at its minimum... and then A gives way
    assert sum(fit_columns(cols, 16)) + 2 <= 16
    assert fit_columns(cols, 5)[-1] == 0  # what cannot fit is dropped from the right


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_fit_columns_never_exceeds_the_width(total: int) -> None:
    cols = [Column("N", 20, min_width=8), Column("P", 9), Column("IP", 15, min_width=7), Column("L", 6, flex=True)]
    widths = fit_columns(cols, total)
    shown = [w for w in widths if w > 0]
    assert sum(shown) + max(0, len(shown) - 1) <= max(total, 0) or not shown


def test_pod_rows_show_phase_isolation_and_policy_count(model: ExplorerModel) -> None:
    rows = PodRows(model, model.pods("shop"), show_namespace=False)
    cells = [Text(c).plain if isinstance(c, str) else c.plain for c in rows.cells(rows.position("shop/db") or 0)]
    assert cells[:5] == ["db", "Running", "10.244.2.20", "IE", "4"]
    assert cells[5] == "app=redis,role=db"
    host = PodRows(model, model.pods("kube-system"), show_namespace=False)
    calico = host.position("kube-system/calico-node-8x2kq")
    assert calico is not None and "host" in str(host.cells(calico)[3])


def test_policy_and_service_rows() -> None:
    model = ExplorerModel(SNAPSHOT)  # fresh: nothing computed yet
    policies = PolicyRows(model, model.policies("shop"), show_namespace=False)
    keys = [policies.key(i) for i in range(len(policies))]
    assert keys[:4] == ["shop/allow-ingress-nginx", "shop/allow-metrics-scrape", "shop/cart-from-frontend",
                        "shop/test-network-policy"]
    assert any(k.startswith("anp/") for k in keys)  # cluster-scoped policies apply everywhere
    assert str(policies.cells(3)[3]) == "…"  # until the selections are worked out (a worker, in the app)
    model.compute_selections()
    test_np = policies.cells(3)
    assert test_np[2] == "IE" and test_np[3] == "1"
    services = ServiceRows(model, model.services("shop"), show_namespace=False)
    db = services.position("shop/db")
    assert db is not None and services.cells(db)[3] == "6379(redis)"


def test_model_counts_and_lookups(model: ExplorerModel) -> None:
    summaries = {s.name: s for s in model.namespace_summaries()}
    assert (summaries["shop"].pods, summaries["shop"].policies, summaries["shop"].services) == (5, 4, 3)
    assert summaries[None].pods == len(SNAPSHOT.cluster.pods)
    item = model.policy_for("NetworkPolicy", "shop", "test-network-policy")
    assert item is not None and [p.name for p in model.selected_pods(item)] == ["db"]
    db = model.pod("shop/db")
    assert db is not None and [s.name for s in model.services_of(db)] == ["db"]
    svc = model.service("shop/db")
    assert svc is not None and [p.name for p in model.service_pods(svc)] == ["db"]


# --- parsing what the user types ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", PortSpec()),
        ("6379", PortSpec("6379")),
        ("6379/udp", PortSpec("6379", Protocol.UDP)),
        ("http", PortSpec("http")),
        ("DNS/UDP", PortSpec("dns", Protocol.UDP)),
        ("udp", PortSpec(None, Protocol.UDP)),
        ("any", PortSpec()),
    ],
)
def test_parse_port(text: str, expected: PortSpec) -> None:
    assert parse_port(text) == expected


@pytest.mark.parametrize(("text", "error"), [("0", "out of range"), ("70000", "out of range"),
                                             ("80/icmp", "unknown protocol"), ("a b", "neither")])
def test_parse_port_errors(text: str, error: str) -> None:
    with pytest.raises(InputError, match=error):
        parse_port(text)


def test_parse_end() -> None:
    assert parse_end("shop/db") == EndSpec(EndKind.POD, "shop/db")
    assert parse_end("svc/shop/db") == EndSpec(EndKind.SERVICE, "shop/db")
    assert parse_end(" 10.0.0.1 ") == EndSpec(EndKind.IP, "10.0.0.1")
    assert parse_end("fd00::1").kind is EndKind.IP
    for bad in ("", "db", "a/b/c", "svc/shop"):
        with pytest.raises(InputError):
            parse_end(bad)


def test_parse_command() -> None:
    assert parse_command(":ns shop").name == "ns" and parse_command("ns shop").arg == "shop"
    assert parse_command("netpol").name == "policies" and parse_command("services").name == "svc"
    assert parse_command("q").name == "quit"
    with pytest.raises(InputError, match="unknown command :frob"):
        parse_command("frob")


# --- evaluation and its explanation ------------------------------------------------------------------


def test_evaluate_connection_pod_ip_service_and_errors() -> None:
    cluster = SNAPSHOT.cluster
    frontend, db = EndSpec.pod("shop/frontend"), EndSpec.pod("shop/db")
    allowed = evaluate_connection(cluster, Connection(frontend, db, PortSpec("6379")))
    assert allowed.status is Status.ALLOWED and allowed.verdict is not None
    blocked = evaluate_connection(cluster, Connection(frontend, db, PortSpec("5432")))
    assert blocked.status is Status.BLOCKED
    service = evaluate_connection(cluster, Connection(frontend, EndSpec.service("shop/db"), PortSpec("6379")))
    assert service.service_verdict is not None and service.status is Status.ALLOWED
    wrong = evaluate_connection(cluster, Connection(EndSpec.service("shop/db"), db))
    assert wrong.error is not None and "cannot be a source" in wrong.error
    missing = evaluate_connection(cluster, Connection(EndSpec.pod("shop/nope"), db))
    assert missing.error is not None and "not found" in missing.error
    outside = evaluate_connection(cluster, Connection(EndSpec(EndKind.IP, "172.17.0.5"), db, PortSpec("6379")))
    assert outside.status is Status.ALLOWED


def _find(items: list[ExplainItem], text: str) -> ExplainItem:
    for item in items:
        for node in item.walk():
            if text in node.label.plain:
                return node
    raise AssertionError(f"{text!r} not in the tree")


def test_tree_marks_and_links_the_deciding_rule() -> None:
    v = evaluate_connection(SNAPSHOT.cluster, Connection(EndSpec.pod("shop/frontend"), EndSpec.pod("shop/db"),
                                                         PortSpec("6379"))).verdict
    assert v is not None
    items = verdict_items(v)
    rule = _find(items, "◀ decides")
    assert rule.focus and rule.expand and rule.link is not None and rule.link.deciding
    assert rule.link.name == "test-network-policy" and rule.link.rule is not None and rule.link.rule.rule == 0
    # A check links to the same rule with its own peer marked.
    peer = _find(items, "from[2]")
    assert peer.link is not None and peer.link.rule is not None and peer.link.rule.peer == 2


def test_blocked_tree_folds_the_allowing_direction_and_focuses_the_rule_to_fix() -> None:
    v = evaluate_connection(SNAPSHOT.cluster, Connection(EndSpec.pod("shop/frontend"), EndSpec.pod("shop/db"),
                                                         PortSpec("5432"))).verdict
    assert v is not None
    egress, ingress = verdict_items(v)[:2]
    assert not egress.expand and ingress.expand
    focused = [n for n in ingress.walk() if n.focus]
    assert len(focused) == 1 and "the peer matches but no port does" in focused[0].label.plain
    assert focused[0].link is not None and focused[0].link.name == "test-network-policy"


# --- bars fit 80 columns -----------------------------------------------------------------------------


def test_header_drops_low_priority_parts_first() -> None:
    info = HeaderInfo(DataState.WATCHING, "prod-eu-1", "https://very-long-api-server.example.com:6443",
                      "admin@prod", "payments", "1234 pods 321 netpol 88 svc", "context prod-eu-1")
    text = header_text(info, 80).plain
    assert len(text) <= 80 and "● watching" in text and "ns payments" in text
    assert "server" not in text
    assert "server https://very-long" in header_text(info, 200).plain


def test_header_keeps_a_long_what_if_at_80_columns() -> None:
    # Before: the state and the what-if were both priority 0, and the what-if was dropped as the later one.
    info = HeaderInfo(DataState.DEMO, "demo", None, None, "shop", "5 pods 4 netpol 3 svc", cni="cni calico",
                      whatif="what-if the suggested change to shop/test-network-policy · 2 flows change")
    text = header_text(info, 80).plain
    assert len(text) <= 80 and text.startswith("● demo  ⚑ what-if the suggested change") and text.endswith("…")


def test_connection_bar_always_shows_the_verdict_word() -> None:
    from kubenet_tui.ui.connection import Evaluation

    conn = Connection(EndSpec.pod("a-very-long-namespace-name/a-very-long-pod-name-abcdef"),
                      EndSpec.service("another-long-namespace/service-name"), PortSpec("8443"))
    v = evaluate_connection(SNAPSHOT.cluster, Connection(EndSpec.pod("shop/frontend"), EndSpec.pod("shop/db"),
                                                         PortSpec("5432")))
    text = connection_text(conn, Evaluation(conn, answer=v.answer), 80).plain
    assert text.startswith("✗ BLOCKED") and len(text) <= 80
    assert "mark a source with s" in connection_text(Connection(), None, 120).plain


def test_big_verdict_words_have_even_rows_and_plain_fallback() -> None:
    from kubenet_tui.ui.widgets.verdict import big_word

    for word in ("ALLOWED", "BLOCKED", "UNKNOWN"):
        rows = big_word(word)
        assert rows is not None and len(rows[0]) == len(rows[1])
    assert big_word("NOT EVALUATED") is None  # no glyphs for every letter: the plain word is used
