"""The explorer's what-if as plain models: the `:whatif` command, the session (overlay, header, both
verdicts of a question), the Changes pane (rows, filter, a group's flows, enter to explain one) and a
suggested fix tried as an overlay, on the small cluster of `data/` and the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubenet_tui.engine.diff import ChangeKind, State
from kubenet_tui.engine.ends import PortSpec
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.query import Question, ask
from kubenet_tui.sources.demo import DemoSource
from kubenet_tui.sources.files import FileSource
from kubenet_tui.sources.overlay import ObjectRef
from kubenet_tui.ui.whatif.changes_view import ChangesView, ExplainFlow
from kubenet_tui.ui.whatif.session import Load, Off, WhatIf, load, parse_command
from kubenet_tui.ui.whatif.session import Status as WhatIfStatus
from kubenet_tui.ui.whatif.suggestion import CannotTry, suggestion_overlay

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("text", "command"), [
    ("", WhatIfStatus()),
    ("off", Off()),
    ("fix.yaml", Load(("fix.yaml",))),
    ("a.yaml 'b c.yaml'", Load(("a.yaml", "b c.yaml"))),
    ("fix.yaml -d old.yaml", Load(("fix.yaml",), ("old.yaml",))),
    ("--delete old.yaml", Load((), ("old.yaml",))),
])
def test_whatif_commands(text: str, command: object) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize("text", ["-d", "'unclosed"])
def test_bad_whatif_commands(text: str) -> None:
    with pytest.raises(InputError, match=":whatif PATH"):
        parse_command(text)


def session() -> WhatIf:
    snapshot = FileSource([str(DATA / "cluster.yaml")]).load()
    return WhatIf.start(load(Load((str(DATA / "fix.yaml"),))), snapshot)


def test_the_session_overlays_and_says_what_it_changes() -> None:
    whatif = session()
    assert whatif.overlaid.effect.added == (ObjectRef("networking.k8s.io", "NetworkPolicy", "shop",
                                                      "db-from-frontend-postgres"),)
    assert whatif.header().endswith("computing what it changes…")
    whatif = whatif.with_diff(whatif.compute())
    assert whatif.header() == (f"what-if: {DATA / 'fix.yaml'} (+1 added (1 NetworkPolicy), ~1 replaced "
                               "(1 NetworkPolicy)) · 2 opened, 3 closed")
    assert whatif.base.cluster is not whatif.head.cluster
    again = whatif.rebased(whatif.base)
    assert again.diff is None and again.overlay is whatif.overlay


def test_the_verdict_panel_compares_now_and_with_the_change() -> None:
    whatif = session()
    opened = whatif.compare(Question("shop/frontend-1", "shop/db-0", PortSpec("5432")))
    assert opened.differs and opened.headline() == "now BLOCKED → with the change ALLOWED"
    same = whatif.compare(Question("shop/frontend-1", "shop/db-0", PortSpec("6379")))
    assert not same.differs and same.headline() == "ALLOWED, with the change too"
    missing = whatif.compare(Question("shop/nobody", "shop/db-0", PortSpec("6379")))
    assert missing.now is None and missing.head is None and not missing.differs


def test_the_changes_pane() -> None:
    whatif = session()
    view = ChangesView(whatif.compute())
    lines = view.lines(80, 8)
    assert lines == [
        "Changes: 5 flows in 2 groups",
        "> ✔ allowed → ✗ blocked  shop → payments  8443/TCP  3",
        "  ✗ blocked → ✔ allowed  shop → shop      5432/TCP  2",
        "", "", "", "",
        "j/k move · o opened · c closed · u unknown · a all · enter: its flows",
    ]
    assert view.lines(80, 8, unicode=False)[1] == "> + allowed -> x blocked  shop -> payments  8443/TCP  3"
    assert view.key("o") is None and [r.group.kind for r in view.rows] == [ChangeKind.OPENED]
    assert view.lines(60, 4)[0] == "Changes: 5 flows in 2 groups, showing opened (1 groups)"
    view.key("a")
    assert view.row == 1  # the cursor stays on the group it was on
    assert view.key("enter") is None  # into the group's flows
    assert view.lines(80, 5)[:3] == ["shop → shop on 5432/TCP: 2 flows blocked → allowed",
                                     "> shop/frontend-1 → shop/db-0", "  shop/frontend-2 → shop/db-0"]
    view.key("j")
    effect = view.key("enter")
    assert effect == ExplainFlow(Question("shop/frontend-2", "shop/db-0", PortSpec("5432", Protocol.TCP)),
                                 State.BLOCKED, State.ALLOWED)
    assert whatif.compare(effect.question).differs
    view.key("escape")
    assert view.group is None and view.row == 1
    view.key("G")
    view.key("pageup")
    assert view.row == 0


def test_no_changes_pane() -> None:
    snapshot = FileSource([str(DATA / "cluster.yaml")]).load()
    whatif = WhatIf.start(load(Load((str(DATA / "cluster.yaml"),))), snapshot)
    view = ChangesView(whatif.compute())
    assert view.lines(40, 3) == ["Changes: no flow changes", "  no flow changes",
                                 "j/k move · o opened · c closed · u unkno"]
    assert view.key("enter") is None


def test_trying_a_suggested_fix_shows_its_side_effects() -> None:
    snapshot = DemoSource().load()
    question = Question("shop/frontend", "shop/db", PortSpec("5432"))
    verdict = ask(snapshot.cluster, question)
    assert isinstance(verdict, Verdict) and verdict.status is Status.BLOCKED
    by_kind = {s.kind: s for s in verdict.suggestions}
    assert {"add-port", "new-policy"} <= set(by_kind)
    for kind in ("add-port", "new-policy"):
        whatif = WhatIf.start(suggestion_overlay(by_kind[kind], snapshot.cluster), snapshot)
        assert whatif.compare(question).headline() == "now BLOCKED → with the change ALLOWED"
        diff = whatif.compute()
        opened = {(s, d) for g in diff.groups if g.kind is ChangeKind.OPENED and g.question.port == 5432
                  for s, d in diff.pod_pairs(g)}
        assert ("shop/frontend", "shop/db") in opened
        assert {g.kind for g in diff.groups} == {ChangeKind.OPENED}
        if kind == "add-port":  # the rule's other peers get 5432 too: the side effect to see before copying
            assert len(opened) > 1
            assert whatif.overlaid.effect.replaced and not whatif.overlaid.effect.added
        else:
            assert opened == {("shop/frontend", "shop/db")} and whatif.overlaid.effect.added


def test_an_admin_decision_cannot_be_tried() -> None:
    snapshot = DemoSource().load()
    verdict = ask(snapshot.cluster, Question("shop/frontend", "vault/vault-0", PortSpec("8200")))
    assert isinstance(verdict, Verdict)
    admin = next(s for s in verdict.suggestions if s.kind == "admin")
    with pytest.raises(CannotTry, match="nothing to try"):
        suggestion_overlay(admin, snapshot.cluster)
