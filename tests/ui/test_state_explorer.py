"""The explorer's flows as a state machine: the same keys a user presses, routed through the app's key
table (statekit), asserting on the state and on the texts the app draws from it. No event loop: each
test runs in milliseconds. GIVEN the demo scoped to shop unless said otherwise."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kubenet_tui.engine.explain import Status
from kubenet_tui.render.walkthrough import walkthrough
from kubenet_tui.sources.base import DataState
from kubenet_tui.sources.spec import SourceSpec
from kubenet_tui.ui.explain_tree import panel_text, verdict_items
from kubenet_tui.ui.lines import connection_text, header_text
from kubenet_tui.ui.model import ExplorerModel
from kubenet_tui.ui.state.effects import (
    ComputeCoverage,
    ComputeSelections,
    Copy,
    PickContext,
    Quit,
    Reload,
    ShowDetails,
    ShowHelp,
    ShowPolicy,
    ShowProblems,
    UseSource,
)
from kubenet_tui.ui.state.explorer import ExplorerState
from kubenet_tui.ui.state.focus import Pane
from tests.ui.helpers import ALLOWED_6379, BLOCKED_5432, PICK_FRONTEND_AND_DB
from tests.ui.statekit import DEMO_SHOP, demo_model, demo_snapshot, keys_of, loaded, press


def shown(state: ExplorerState, width: int = 200) -> str:
    """The words the header, the connection bar, the flash and the verdict panel show."""
    parts = [header_text(state.header_info(), width).plain,
             connection_text(state.connection, state.evaluation, width, state.verdict_stale_note() is not None).plain]
    if state.flash.message is not None:
        parts.append(state.flash.message.line)
    evaluation = state.evaluation
    answer = evaluation.answer if evaluation is not None else None
    if answer is not None:
        parts.append(panel_text(walkthrough(answer)))  # what the verdict panel shows
    elif evaluation is not None and evaluation.error:
        parts.append(evaluation.error)
    return "\n".join(parts)


# --- the issue's flow --------------------------------------------------------------------------------


def test_issue_flow_allowed_then_blocked() -> None:
    state = loaded()
    press(state, *ALLOWED_6379)
    assert state.evaluation is not None and state.evaluation.status is Status.ALLOWED
    text = shown(state)
    assert "✔ ALLOWED" in text and "test-network-policy" in text
    assert state.marks(Pane.PODS) == {"shop/frontend": "S", "shop/db": "D"}
    press(state, "p", "5432", "enter")
    text = shown(state)
    assert "✗ BLOCKED" in text and "5432/TCP" in text
    assert "isolated for ingress" in text and "no ingress rule" in text
    assert press(state, "q") == [Quit(0)]


def test_enter_on_a_filter_lands_on_the_exact_name_before_other_matches() -> None:
    """Issue 9: `/db` Enter picked kube-system/coredns-7db6d8… before shop/db with -A."""
    state = loaded(SourceSpec(demo="shop", all_namespaces=True))
    press(state, "/", "db")
    matches = keys_of(state, Pane.PODS)
    assert matches.index("kube-system/coredns-7db6d8ff4d-4n2xz") < matches.index("shop/db")
    press(state, "enter", "d")
    assert state.connection.destination is not None and state.connection.destination.ref == "shop/db"
    press(state, "/", "migr", "enter")  # no exact name: the first name containing it
    assert state.cursor[Pane.PODS] == "shop/migrate-schema-x7k2p"


def test_the_filter_matches_ip_addresses_too() -> None:
    state = loaded(SourceSpec(demo="shop", all_namespaces=True))
    press(state, "/", "10.244.2.20")
    assert keys_of(state, Pane.PODS) == ["shop/db"]
    press(state, "escape", ":", "svc", "enter", "/", "10.96.")
    assert len(keys_of(state, Pane.SERVICES)) > 1  # cluster IPs of Services


# --- filters ------------------------------------------------------------------------------------------


def test_filter_by_label_then_escape_clears() -> None:
    state = loaded(SourceSpec(demo="shop", all_namespaces=True))
    press(state, "/", "tier=api")
    assert set(keys_of(state, Pane.PODS)) == {"payments/api-6c5f7b-2xkqp", "payments/api-6c5f7b-9wzrt", "shop/cart"}
    press(state, "enter")
    assert state.focus.current is Pane.PODS and state.cursor[Pane.PODS] == keys_of(state, Pane.PODS)[0]
    assert "/tier=api" in state.title(Pane.PODS).plain
    press(state, "escape")
    assert len(keys_of(state, Pane.PODS)) == len(demo_snapshot().cluster.pods)
    assert "/tier=api" not in state.title(Pane.PODS).plain


def test_a_filter_with_no_match_says_so_and_names_the_way_back() -> None:
    state = loaded()
    press(state, "/", "zzz", "enter")
    assert keys_of(state, Pane.PODS) == [] and state.empty_text(Pane.PODS) == "No pods match /zzz"
    assert "nothing matches /zzz (esc clears the filter)" in shown(state)
    press(state, "escape")  # the message first, then the filter
    press(state, "escape")
    assert len(keys_of(state, Pane.PODS)) == 5


def test_prompt_escape_cancels_and_letters_typed_in_it_do_not_act() -> None:
    state = loaded()
    assert press(state, ":", "q") == []  # q typed in the prompt must not quit
    assert state.prompt.is_open and state.prompt.text == "q" and state.focus.current is None
    press(state, "escape")
    assert not state.prompt.is_open and state.focus.current is Pane.PODS
    assert press(state, ":", "q", "ctrl+c") == [Quit(0)]  # ctrl+c quits from inside a prompt


# --- commands ---------------------------------------------------------------------------------------------


def test_command_line_switches_views_and_namespaces() -> None:
    state = loaded()
    effects = press(state, ":", "policies", "enter")
    assert state.focus.view is Pane.POLICIES and state.focus.current is Pane.POLICIES
    assert ComputeSelections(state.generation) in effects  # the PODS column, only once Policies is shown
    assert "shop/test-network-policy" in keys_of(state, Pane.POLICIES)
    press(state, ":", "ns payments", "enter")
    assert state.scope == "payments" and "payments/default-deny-all" in keys_of(state, Pane.POLICIES)
    press(state, ":", "svc", "enter")
    assert state.focus.view is Pane.SERVICES and "payments/ledger" in keys_of(state, Pane.SERVICES)
    press(state, ":", "pods", "enter")
    assert state.focus.view is Pane.PODS and "payments/ledger-0" in keys_of(state, Pane.PODS)
    press(state, ":", "ns nope", "enter")
    assert "no namespace nope in the loaded data" in shown(state)
    press(state, ":", "ctx prod", "enter")
    assert "only be switched on a live cluster" in shown(state)
    press(state, ":", "ns all", "enter")
    assert state.scope is None
    press(state, ":", "pods shop", "enter")
    assert state.scope == "shop"
    press(state, ":", "frob", "enter")
    assert "unknown command :frob" in shown(state)


def test_command_line_sets_ends_port_and_clears() -> None:
    state = loaded()
    press(state, ":", "src shop/frontend", "enter", ":", "dst svc/shop/db", "enter", ":", "port redis", "enter")
    assert state.evaluation is not None and state.evaluation.status is Status.ALLOWED
    press(state, ":", "clear", "enter")
    assert state.evaluation is None and "cleared source, destination and port" in shown(state)
    assert press(state, ":", "help", "enter") == [ShowHelp()]
    assert press(state, ":", "q", "enter") == [Quit(0)]


def test_command_line_completes_namespaces_and_contexts() -> None:
    state = loaded(contexts=("prod", "staging"))
    press(state, ":", "ns p")
    assert state.prompt.suggestion == "ns payments"
    press(state, "escape", ":", "ctx s")
    assert state.prompt.suggestion == "ctx staging"


# --- the connection ---------------------------------------------------------------------------------------


def test_port_errors_are_explained_without_leaving_the_flow() -> None:
    state = loaded()
    press(state, *PICK_FRONTEND_AND_DB, "p", "99999", "enter")
    assert "out of range" in shown(state)
    press(state, "p", "nosuch", "enter")
    assert "no TCP port named 'nosuch'" in shown(state)
    press(state, "p", "redis", "enter")
    assert "✔ ALLOWED" in shown(state)


def test_the_port_prompt_offers_the_destinations_declared_ports() -> None:
    """Issue 9: `p` offers the destination's declared ports (a pod's, or a Service's)."""
    state = loaded()
    press(state, *PICK_FRONTEND_AND_DB, "p")
    assert state.prompt.suggestions == ("6379", "redis", "9121", "metrics")
    assert "shop/db declares 6379 (redis), 9121 (metrics)" in state.prompt.placeholder
    press(state, "tab", "tab", "enter")  # the first, then the next one: redis
    assert state.connection.port.text == "redis"
    press(state, ":", "dst svc/kube-system/kube-dns", "enter", "p")
    assert state.prompt.suggestions == ("53", "dns-tcp", "53/udp", "dns/udp")
    press(state, "tab", "tab", "tab", "enter")
    assert state.connection.port.label == "53/UDP"


def test_pending_destination_is_not_evaluated() -> None:
    state = loaded()
    press(state, "/", "frontend", "enter", "s", "/", "pending", "enter", "d")
    text = shown(state)
    assert "- NOT EVALUATED" in text and "has no IP address yet" in text


def test_typed_ends_and_swap() -> None:
    state = loaded()
    press(state, "S", "172.17.0.5", "enter", "/", "db", "enter", "d", "p", "6379", "enter")
    assert state.evaluation is not None and state.evaluation.status is Status.ALLOWED
    press(state, "S", "172.17.1.5", "enter")  # inside the except of the ipBlock
    assert state.evaluation is not None and state.evaluation.status is Status.BLOCKED
    press(state, "x")
    assert state.connection.source is not None and state.connection.source.ref == "shop/db"
    assert state.evaluation is not None and state.evaluation.status is Status.BLOCKED



@pytest.mark.parametrize(
    ("typed", "label", "says"),
    [
        ("db.shop", "svc/shop/db", "db.shop"),  # a Service's DNS name
        ("db.shop.svc.cluster.local", "svc/shop/db", "svc/shop/db"),
        ("10.96.10.20", "svc/shop/db", "10.96.10.20"),  # its ClusterIP
        ("db", "shop/db", "shop/db"),  # a bare name: the pod, in the namespace in view
        ("10.244.1.10", "shop/frontend", "shop/frontend"),  # a pod's IP stands for the pod
    ],
)
def test_typed_ends_read_like_the_command_line(typed: str, label: str, says: str) -> None:
    """GIVEN the shop scope WHEN the destination is typed as the command line accepts it THEN the bar
    names what it resolved to, and the verdict is the command line's."""
    state = loaded()
    press(state, "/", "frontend", "enter", "s", "D", typed, "enter", "p", "6379", "enter")
    destination = state.connection.destination
    assert destination is not None and destination.label == label
    assert state.evaluation is not None and state.evaluation.status is not None, shown(state)
    assert says in shown(state)


def test_a_typed_name_that_resolves_to_nothing_keeps_the_old_end_and_says_why() -> None:
    state = loaded()
    press(state, *ALLOWED_6379)
    press(state, "D", "nosuch.shop", "enter")
    assert state.connection.destination is not None and state.connection.destination.ref == "shop/db"
    assert state.flash.message is not None and "destination:" in state.flash.message.line
    assert "nosuch" in state.flash.message.line


def test_no_port_answers_which_ports() -> None:
    """GIVEN frontend → db WHEN the port is emptied THEN the answer lists the ports that are allowed."""
    state = loaded()
    press(state, *ALLOWED_6379)
    press(state, "p", "backspace", "backspace", "backspace", "backspace", "enter")
    assert state.connection.port.text is None
    text = shown(state)
    assert "6379/TCP" in text and "BLOCKED" in text

def test_marking_needs_a_row_and_a_service_is_never_a_source() -> None:
    state = loaded()
    press(state, "x")
    assert "nothing to swap yet" in shown(state)
    press(state, ":", "svc", "enter", "/", "db", "enter", "s")
    assert "cannot be a source" in shown(state) and state.connection.source is None
    press(state, "d", "x")
    assert "a Service cannot be a source" in shown(state)
    press(state, "tab", "s")  # the namespaces pane: nothing to mark there
    assert "s marks the pod (or Service) under the cursor" in shown(state)


def test_service_destination_marks_the_service_row() -> None:
    state = loaded()
    press(state, "/", "frontend", "enter", "s", ":", "svc", "enter", "/", "db", "enter", "d", "p", "6379", "enter")
    assert state.marks(Pane.SERVICES) == {"shop/db": "D"}
    text = shown(state)
    assert "✔ ALLOWED" in text and "svc/shop/db" in text and "backend shop/db" in text


# --- panes, details, zoom ------------------------------------------------------------------------------------


def test_tab_cycles_panes_and_the_namespace_cursor_scopes_the_tables() -> None:
    state = loaded()
    assert state.focus.current is Pane.PODS
    press(state, "tab")
    assert state.focus.view is Pane.POLICIES and state.focus.current is Pane.POLICIES
    press(state, "tab")
    assert state.focus.view is Pane.SERVICES
    press(state, "tab")  # no verdict yet: on to namespaces
    assert state.focus.current is Pane.NAMESPACES and state.focus.namespaces_open
    press(state, "down")  # the cursor scopes the other panes
    assert state.scope == "vault"
    press(state, "enter")
    assert state.focus.current is Pane.SERVICES and not state.focus.namespaces_open
    press(state, ":", "ns", "enter")
    assert state.focus.current is Pane.NAMESPACES


def test_enter_asks_for_details_and_the_verdict_tree_for_the_policy() -> None:
    state = loaded()
    assert press(state, "/", "db", "enter", "enter") == [ShowDetails(Pane.PODS, "shop/db")]
    assert press(state, ":", "policies", "enter", "/", "test", "enter", "enter")[-1] == \
        ShowDetails(Pane.POLICIES, "shop/test-network-policy")
    press(state, ":", "pods", "enter", "escape")
    press(state, *ALLOWED_6379)
    tree = verdict_items(state.evaluation.verdict)  # type: ignore[union-attr]
    link = next(n.link for item in tree for n in item.walk() if n.focus)
    assert link is not None
    state.open_policy(link)
    assert state.take().effects == [ShowPolicy(link)]
    state.open_policy(replace(link, name="gone"))
    assert "is not in the loaded data any more" in shown(state)


def test_v_enters_the_verdict_and_z_zooms_until_escape() -> None:
    state = loaded()
    press(state, "v")
    assert "no verdict yet" in shown(state)
    press(state, *BLOCKED_5432, "v", "z")
    assert state.focus.current is Pane.VERDICT and state.focus.zoomed is Pane.VERDICT
    press(state, "escape")
    assert state.focus.zoomed is None and state.focus.current is Pane.VERDICT
    press(state, "escape")
    assert state.focus.current is Pane.PODS
    press(state, ":", "svc", "enter", "tab")  # the verdict is in the ring now, after the services
    assert state.focus.current is Pane.VERDICT


def test_copy_the_explanation_or_a_policys_yaml() -> None:
    state = loaded()
    press(state, "c")
    assert "nothing to copy yet" in shown(state)
    copied = press(state, *BLOCKED_5432, "c")[-1]
    assert isinstance(copied, Copy) and copied.text.startswith("✗ BLOCKED") and "test-network-policy" in copied.text
    assert "copied the explanation" in shown(state)
    copied = press(state, ":", "policies", "enter", "/", "test", "enter", "c")[-1]
    assert isinstance(copied, Copy) and "name: test-network-policy" in copied.text


def test_help_and_problems() -> None:
    assert press(ExplorerState(DEMO_SHOP), "?") == [ShowHelp()]  # before any data too
    state = loaded()
    assert press(state, "?") == [ShowHelp()]
    assert press(state, ":", "problems", "enter") == [ShowProblems()]
    unloaded = ExplorerState(DEMO_SHOP)
    press(unloaded, ":", "problems", "enter")
    assert "nothing loaded yet" in shown(unloaded)


# --- loading, errors, watching ------------------------------------------------------------------------------


def test_loading_then_data() -> None:
    state = ExplorerState(DEMO_SHOP)
    state.begin_load()
    notice = state.notice()
    assert notice is not None and "Loading bundled demo cluster" in notice.plain
    assert "◌ loading" in header_text(state.header_info(), 80).plain
    assert state.empty_text(Pane.PODS) == "◌ Loading: bundled demo cluster…"
    state.data_loaded(state.generation, demo_model())
    assert state.notice() is None and state.scope == "shop"
    text = header_text(state.header_info(), 120).plain
    assert "● demo" in text and "◌ loading" not in text and "frontend" not in text
    assert "shop/frontend" in keys_of(state, Pane.PODS)


def test_error_state_then_r_retries() -> None:
    state = ExplorerState(DEMO_SHOP)
    state.load_failed(state.begin_load(), "cannot reach https://10.0.0.1:6443: connection refused")
    notice = state.notice()
    assert notice is not None and "connection refused" in notice.plain and "r retries" in notice.plain
    assert "✗ error" in header_text(state.header_info(), 80).plain
    assert press(state, "r") == [Reload(login=True)]  # after a failure a login may be what is missing
    state.data_loaded(state.begin_load(), demo_model())
    assert state.take().effects == [ComputeCoverage(state.generation)]  # the Namespaces pane's ISO column
    assert state.notice() is None and state.data_state is DataState.DEMO
    assert press(state, "r") == [Reload(login=False)]


def test_a_namespace_asked_for_that_has_nothing_shows_all_and_says_so() -> None:
    state = loaded(SourceSpec(demo="shop", namespaces=("nope",)))
    assert state.scope is None and "namespace nope has nothing loaded; showing all namespaces" in shown(state)


def test_results_of_an_older_load_are_dropped() -> None:
    state = ExplorerState(DEMO_SHOP)
    old = state.begin_load()
    state.begin_load()
    state.data_loaded(old, demo_model())
    state.load_failed(old, "too late")
    assert state.model is None and state.load_error is None


def test_a_pushed_snapshot_re_evaluates_and_says_the_verdict_changed() -> None:
    state = loaded()
    press(state, *ALLOWED_6379)
    snapshot = demo_snapshot()
    cluster = snapshot.cluster
    # The pushed cluster lost test-network-policy: db is still isolated (allow-metrics-scrape), so 6379 blocks.
    pruned = replace(cluster, network_policies=tuple(p for p in cluster.network_policies
                                                     if p.name != "test-network-policy"))
    press(state, ":", "ns payments", "enter")
    state.data_loaded(state.generation, ExplorerModel(replace(snapshot, cluster=pruned)), pushed=True)
    assert state.evaluation is not None and state.evaluation.status is Status.BLOCKED
    assert state.scope == "payments"  # a push keeps where the user is
    assert "the cluster changed: the verdict is now BLOCKED (was ALLOWED)" in shown(state)


def test_stale_data_says_since_when_and_why_and_marks_the_verdict() -> None:
    """Issue 9: stale data shows why and since when; the verdict is marked stale."""
    clock = [1_700_000_000.0]
    state = loaded(wall_clock=lambda: clock[0])
    press(state, *BLOCKED_5432)
    clock[0] += 60
    press(state, "r")
    state.load_failed(state.begin_load(), "cannot reach https://10.0.0.1:6443: connection refused")
    assert state.data_state is DataState.STALE and state.model is not None
    from kubenet_tui.ui.state.explorer import clock_text

    since = clock_text(clock[0])
    header = header_text(state.header_info(), 80).plain
    assert f"◐ stale since {since}" in header
    assert "connection refused" in header_text(state.header_info(), 300).plain
    note = state.verdict_stale_note()
    assert note is not None and since in note and "connection refused" in note
    assert "✗ BLOCKED ◐ stale" in shown(state)
    clock[0] += 60
    state.load_failed(state.begin_load(), "still refused")
    assert f"since {since}" in header_text(state.header_info(), 80).plain  # since the first failure
    state.data_loaded(state.begin_load(), demo_model())
    assert state.verdict_stale_note() is None and "stale" not in shown(state)


def test_a_snapshot_stale_from_a_dropped_watch_says_why() -> None:
    state = loaded()
    press(state, *ALLOWED_6379)
    stale = replace(demo_snapshot(), state=DataState.STALE,
                    stale_reason="watch of pods cluster-wide is down: connection reset (next attempt in 2.0 s)")
    state.data_loaded(state.generation, ExplorerModel(stale), pushed=True)
    note = state.verdict_stale_note()
    assert note is not None and "watch of pods cluster-wide is down" in note
    assert "watch of pods" in header_text(state.header_info(), 300).plain


# --- re-scoping a live cluster (issue 9, item 12) ------------------------------------------------------------


LIVE_SHOP = SourceSpec(kubeconfig="/kc", context="prod", namespaces=("shop",))


def test_ns_on_a_live_cluster_read_with_n_reads_that_namespace() -> None:
    state = loaded(LIVE_SHOP, contexts=("prod", "staging"))
    press(state, *PICK_FRONTEND_AND_DB)
    effects = press(state, ":", "ns payments", "enter")
    assert effects == [UseSource(SourceSpec(kubeconfig="/kc", context="prod", namespaces=("payments",),
                                            needed_namespaces=("shop",)), login=False)]
    assert state.model is None and state.loading_text == "namespace payments"
    state.data_loaded(state.begin_load(), demo_model())
    assert state.scope == "payments"  # not "No pods" in a namespace that was never read
    assert state.connection.source is not None  # the question stays, and its namespaces were read
    state.take()
    assert press(state, ":", "ns shop", "enter") == []  # read already (needed): no new read
    assert state.scope == "shop"
    effects = press(state, ":", "ns all", "enter")
    assert effects == [UseSource(SourceSpec(kubeconfig="/kc", context="prod", all_namespaces=True), login=False)]
    state.data_loaded(state.begin_load(), demo_model())
    assert state.scope is None


def test_ns_on_files_or_a_cluster_read_whole_just_shows_it() -> None:
    state = loaded(SourceSpec(kubeconfig="/kc", context="prod"))
    assert press(state, ":", "ns payments", "enter") == [] and state.scope == "payments"


def test_ctx_takes_the_new_contexts_own_namespace_and_clears_old_news() -> None:
    state = loaded(LIVE_SHOP, contexts=("prod", "staging"))
    press(state, *ALLOWED_6379, "x")  # leaves a message up
    press(state, "/", "zzz", "enter")
    assert state.flash.shown
    effects = press(state, ":", "ctx staging", "enter")
    assert effects == [UseSource(SourceSpec(kubeconfig="/kc", context="staging"))]  # no -n shop any more
    assert not state.flash.shown and state.connection.source is None
    assert state.context == "staging" and state.header_info().context == "staging"
    staging = replace(demo_snapshot(), namespace="payments", context="staging")
    state.data_loaded(state.begin_load(), ExplorerModel(staging))
    assert state.scope == "payments"
    press(state, ":", "ctx nope", "enter")
    assert "no context nope in the kubeconfig" in shown(state)


def test_ctx_alone_asks_for_the_picker() -> None:
    state = loaded(LIVE_SHOP, contexts=("prod", "staging"), context="prod")
    assert press(state, ":", "ctx", "enter") == [PickContext(("prod", "staging"), "prod")]
    state.switch_context("staging")
    assert isinstance(state.take().effects[-1], UseSource)


@pytest.mark.parametrize("all_namespaces", [False, True])
def test_ctx_keeps_all_namespaces_when_asked_for(all_namespaces: bool) -> None:
    spec = SourceSpec(context="prod", all_namespaces=all_namespaces)
    state = loaded(spec, contexts=("prod", "staging"))
    press(state, ":", "ctx staging", "enter")
    state.data_loaded(state.begin_load(), ExplorerModel(replace(demo_snapshot(), namespace="payments")))
    assert state.scope == (None if all_namespaces else "payments")


def test_problems_are_counted_in_the_header_at_80_columns() -> None:
    """Issue 9: at 80 columns the header dropped '⚠ N problems' exactly when there were problems."""
    from kubenet_tui.sources.parse import Problem

    snapshot = replace(demo_snapshot(), problems=(Problem("error", "x.yaml", "unknown operator 'Foo'"),),
                       context="a-rather-long-context-name", server="https://api.example.com:6443", user="admin")
    state = loaded(model=ExplorerModel(snapshot))
    text = header_text(state.header_info(), 80).plain
    assert "⚠ 1 problem" in text and "● demo" in text and len(text) <= 80
    assert "(:problems)" in header_text(state.header_info(), 200).plain
