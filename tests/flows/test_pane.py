"""The Flows pane's model, without Textual: rows, the `/` filter, what Enter sets, and a log that arrives
through a slow pipe while the pane is shown."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kubenet_tui.engine.ends import parse_port, resolve_target
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.flowjudge import Agreement
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.flows import open_flows
from kubenet_tui.ui.panes.flows_view import COLUMNS, FlowsSession, FlowsView, batches

SAMPLES = Path(__file__).parent / "samples"
CLUSTER = DemoSource().load().with_profile(Profile.CILIUM).cluster


@pytest.fixture(scope="module")
def view() -> FlowsView:
    session = FlowsSession(CLUSTER)
    with open_flows(str(SAMPLES / "hubble.jsonl")) as stream:
        for batch in batches(stream):
            session.feed(batch)
    session.finish()
    return session.view()


def test_rows_show_what_the_pane_lists(view: FlowsView) -> None:
    assert len(COLUMNS) == len(view.rows[0].cells) == 8
    first = view.rows[0]  # findings first
    assert first.cells == ("09:13:05", "shop/cart", "shop/db", "6379/TCP", "DENIED ingress", "allowed", "✗", "1")
    marks = [row.mark for row in view.rows]
    assert marks == sorted(marks, key="✗?✔·".index)
    assert view.title == "Flows: 23 lines, 13 classes, 4 disagree, 2 unknown, 4 malformed lines"
    icmp = next(row for row in view.rows if row.port == "ICMPv4")
    assert (icmp.ours, icmp.mark) == ("-", "·")


@pytest.mark.parametrize(
    ("text", "count"),
    [("", 13), ("disagrees", 4), ("DISAGREES", 4), ("shop/db 5432", 1), ("denied", 5), ("hubble shop/cart", 2),
     ("not-compared", 2), ("nothing-like-this", 0)],
)
def test_the_filter(view: FlowsView, text: str, count: int) -> None:
    assert len(view.filtered(text)) == count


def test_enter_sets_ends_and_port_the_explorer_reads_to_the_same_verdict(view: FlowsView) -> None:
    index = CLUSTER.index
    checked = 0
    for row in view.rows:
        chosen = row.selection()
        if chosen.source is None or chosen.destination is None or chosen.port is None:
            assert chosen.why_not
            continue
        resolve_target(index, chosen.source)
        resolve_target(index, chosen.destination)
        answer = ask(CLUSTER, Question(chosen.source, chosen.destination, parse_port(chosen.port)))
        if row.flow.agreement is Agreement.NOT_COMPARED:  # a drop that no policy explains: still asked
            continue
        # The same verdict as the row's; a pod the snapshot lacks is set by its address, nothing owns it there.
        assert answer.status is (row.flow.ours or Status.UNKNOWN)
        checked += 1
    assert checked == 11


def test_enter_on_a_pod_that_is_not_in_the_snapshot(view: FlowsView) -> None:
    row = next(r for r in view.rows if r.source == "shop/frontend-v2-5d8f9-abcde")
    chosen = row.selection()
    assert chosen.source == "10.244.1.99"  # its address: the explorer then says nothing owns it
    assert (chosen.destination, chosen.port) == ("shop/db", "6379/tcp")


def test_the_explanation_behind_a_row(view: FlowsView) -> None:
    session = FlowsSession(CLUSTER)
    row = next(r for r in view.rows if r.flow.agreement is Agreement.AGREES and r.flow.ours is Status.BLOCKED)
    answer = session.explain(row)
    assert answer is not None and answer.status is Status.BLOCKED


def test_a_slow_pipe_fills_the_pane_as_lines_arrive() -> None:
    lines = (SAMPLES / "whisker.jsonl").read_bytes().splitlines(keepends=True)
    read_end, write_end = os.pipe()
    more = threading.Event()

    def producer() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as out:
            out.write(lines[0])
            more.wait(10)  # the rest only once the pane showed the first flow
            out.write(b"".join(lines[1:]))

    thread = threading.Thread(target=producer, daemon=True)
    thread.start()
    session = FlowsSession(CLUSTER)
    with os.fdopen(read_end, "rb") as stream:
        pieces = batches(stream)
        session.feed(next(pieces))
        early = session.view()
        assert [row.source for row in early.rows] == ["shop/frontend"] and early.title.endswith("(reading)")
        more.set()
        for batch in pieces:
            session.feed(batch)
    thread.join(5)
    session.finish()
    final = session.view()
    assert len(final.rows) == 2 and not final.title.endswith("(reading)")
