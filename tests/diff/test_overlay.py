"""Overlays as `kubectl apply` and `kubectl delete -f` would change a snapshot: what replaces what,
what is deleted (a Namespace with what is in it), what an invalid or unreadable manifest does, and how
the result is read; and the SOURCE grammar of `diff --base/--head`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from engine.kit import netpol, pod, xyz_objects

from kubenet_tui.engine.evaluate import End, evaluate
from kubenet_tui.engine.explain import Status
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.sources.base import DataState, Snapshot, SourceError
from kubenet_tui.sources.overlay import (
    ObjectRef,
    derived_overlay,
    load_overlay,
    overlay_from_objects,
    ref_of,
    staged_overlay,
)
from kubenet_tui.sources.parse import ObjectCollector
from kubenet_tui.sources.sides import SideError, SideSpec, parse_side

DENY_X = netpol("x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
NP = ("networking.k8s.io", "NetworkPolicy")


def snapshot(*objects: dict) -> Snapshot:
    collector = ObjectCollector()
    collector.add_many([*xyz_objects(), *objects], "base.yaml")
    return Snapshot.from_collector(collector, DataState.OFFLINE, "base")


def verdict(snap: Snapshot, source: str, destination: str, port: int = 80) -> Status:
    pods = snap.cluster.index.pods_by_key
    return evaluate(snap.cluster, End(pod=pods[source]), End(pod=pods[destination]), Protocol.TCP, port).policies_say


def test_an_object_with_the_same_group_kind_namespace_and_name_replaces() -> None:
    base = snapshot(DENY_X)
    allow = netpol("x", "deny", {"podSelector": {}, "ingress": [{}]})  # same name: replaces
    other = netpol("y", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})  # another namespace: added
    overlaid = overlay_from_objects([allow, other], "fix").apply(base)
    assert overlaid.effect.replaced == (ObjectRef(*NP, "x", "deny"),)
    assert overlaid.effect.added == (ObjectRef(*NP, "y", "deny"),)
    head = overlaid.snapshot
    assert [p.key for p in head.cluster.network_policies] == ["x/deny", "y/deny"]
    assert verdict(base, "y/a", "x/a") is Status.BLOCKED and verdict(head, "y/a", "x/a") is Status.ALLOWED
    assert verdict(head, "x/a", "y/a") is Status.BLOCKED
    assert head.description == "base + fix" and base.cluster.network_policies[0].name == "deny"  # base untouched


def test_the_old_api_group_names_the_same_object() -> None:
    old = dict(netpol("x", "deny", {"podSelector": {}, "ingress": [{}]}), apiVersion="extensions/v1beta1")
    overlaid = overlay_from_objects([old], "old").apply(snapshot(DENY_X))
    assert overlaid.effect.replaced == (ObjectRef(*NP, "x", "deny"),) and not overlaid.effect.added


def test_applying_what_is_there_changes_nothing() -> None:
    overlaid = overlay_from_objects([DENY_X], "same").apply(snapshot(DENY_X))
    assert overlaid.effect.changes == 0 and overlaid.effect.unchanged == (ObjectRef(*NP, "x", "deny"),)
    assert overlaid.effect.summary() == "1 unchanged"


def test_delete_removes_what_the_file_names_whatever_its_spec(tmp_path: Path) -> None:
    named = tmp_path / "gone.yaml"
    named.write_text("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: x}\n"
                     "---\nkind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: nope, namespace: x}\n")
    overlaid = load_overlay([], [str(named)]).apply(snapshot(DENY_X))
    assert overlaid.effect.deleted == (ObjectRef(*NP, "x", "deny"),)
    assert overlaid.effect.missing == (ObjectRef(*NP, "x", "nope"),)
    assert not overlaid.snapshot.cluster.network_policies
    assert overlaid.overlay.label == f"delete {named}"


def test_deleting_a_namespace_deletes_what_is_in_it() -> None:
    overlay = overlay_from_objects([], "none")
    ns = ObjectRef("", "Namespace", None, "x")
    overlaid = type(overlay)("drop x", deletes=(ns,)).apply(snapshot(DENY_X))
    head = overlaid.snapshot.cluster
    assert not any(p.namespace == "x" for p in head.pods) and not head.network_policies
    assert "x" not in {n.name for n in head.namespaces}
    assert any("deletes the 4 objects in them too" in n for n in overlaid.notes)


def test_an_invalid_object_is_reported_and_makes_what_it_replaces_unknown() -> None:
    broken = netpol("x", "deny", {"podSelector": {"matchExpressions": [{"key": "a", "operator": "Bogus"}]},
                                  "policyTypes": ["Ingress"]})
    overlay = overlay_from_objects([broken], "broken.yaml")
    assert [p.severity for p in overlay.problems] == ["error"] and "Bogus" in overlay.problems[0].message
    overlaid = overlay.apply(snapshot(DENY_X))
    assert overlaid.effect.replaced == (ObjectRef(*NP, "x", "deny"),)
    head = overlaid.snapshot
    assert not head.cluster.network_policies and head.cluster.unevaluated
    assert verdict(head, "y/a", "x/a") is Status.UNKNOWN
    assert overlay.problems[0] in head.problems


def test_a_bad_file_is_a_problem_and_a_missing_one_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: NetworkPolicy\nmetadata: [\n")
    overlay = load_overlay([str(bad)])
    assert any("YAML syntax error" in p.message for p in overlay.problems)
    with pytest.raises(SourceError, match="no such file"):
        load_overlay([str(tmp_path / "missing.yaml")])
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n")
    assert any("no object to apply or delete" in p.message for p in load_overlay([str(empty)]).problems)


def test_pods_without_an_address_are_said_to_carry_no_traffic() -> None:
    overlaid = overlay_from_objects([pod("x", "new", {"pod": "new"}, phase=None)], "pod.yaml").apply(snapshot())
    assert overlaid.effect.added == (ObjectRef("", "Pod", "x", "new"),)
    assert any("carry no traffic" in n for n in overlaid.notes)


def test_other_kinds_are_counted_as_ignored() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "x"}}
    overlaid = overlay_from_objects([deployment], "deploy.yaml").apply(snapshot())
    assert overlaid.effect.changes == 0 and overlaid.snapshot.ignored_kinds == {"Deployment": 1}


def test_the_head_is_read_as_the_base_is() -> None:
    cnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": "c", "namespace": "x"},
           "spec": {"endpointSelector": {}, "ingress": [{}]}}
    base = snapshot()
    assert base.cluster.profile is Profile.UPSTREAM
    overlaid = overlay_from_objects([cnp], "cnp.yaml").apply(base)
    # No plugin was identified: the Cilium object alone would make the cluster read as Cilium's.
    assert overlaid.snapshot.cluster.profile is Profile.UPSTREAM
    assert any("read as upstream" in n for n in overlaid.notes)
    assert overlaid.effect.added == (ObjectRef("cilium.io", "CiliumNetworkPolicy", "x", "c"),)
    # Deleted again: the policy and what the other profiles list of it (not evaluated) both go.
    gone = type(overlaid.overlay)("rm", deletes=overlaid.effect.added).apply(overlaid.snapshot)
    assert not gone.snapshot.cluster.cilium_policies and not gone.snapshot.cluster.unevaluated


def test_staged_policies_need_the_calico_profile_and_some_staged() -> None:
    # Without the Calico profile: it says so; with it (Cluster.staged_commit): nothing is staged here.
    with pytest.raises(SourceError, match=r"Calico profile|no policy is staged"):
        staged_overlay().apply(snapshot())


def test_a_derived_view_names_what_it_changed() -> None:
    base = snapshot(DENY_X)
    derived = derived_overlay("no policies", lambda c: dataclasses.replace(c, network_policies=(), notices=("x",)))
    overlaid = derived.apply(base)
    assert overlaid.effect.deleted == (ObjectRef(*NP, "x", "deny"),) and not overlaid.effect.others
    with pytest.raises(SourceError, match="no policies: nothing to apply in base"):
        derived_overlay("no policies", lambda c: None).apply(base)


@pytest.mark.parametrize(("obj", "ref"), [
    (DENY_X, ObjectRef(*NP, "x", "deny")),
    ({"kind": "Pod", "metadata": {"name": "p"}}, ObjectRef("", "Pod", "default", "p")),
    ({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "n", "namespace": "ignored"}},
     ObjectRef("", "Namespace", None, "n")),
    ({"kind": "AdminNetworkPolicy", "apiVersion": "policy.networking.k8s.io/v1alpha1", "metadata": {"name": "a"}},
     ObjectRef("policy.networking.k8s.io", "AdminNetworkPolicy", None, "a")),
    ({"kind": "Pod"}, None),
])
def test_ref_of(obj: dict, ref: ObjectRef | None) -> None:
    assert ref_of(obj) == ref


# -- SOURCE ----------------------------------------------------------------------------------------------

FILES = {"fix.yaml", "a+b.yaml", "dir", "more.yaml"}


@pytest.mark.parametrize(("text", "spec"), [
    ("live", SideSpec("live", None, (), "live")),
    ("demo", SideSpec("demo", "shop", (), "demo")),
    ("demo:cilium", SideSpec("demo", "cilium", (), "demo:cilium")),
    ("dir", SideSpec("files", "dir", (), "dir")),
    ("-", SideSpec("files", "-", (), "-")),
    ("live+fix.yaml", SideSpec("live", None, ("fix.yaml",), "live+fix.yaml")),
    ("live+fix.yaml+more.yaml", SideSpec("live", None, ("fix.yaml", "more.yaml"), "live+fix.yaml+more.yaml")),
    ("demo+a+b.yaml", SideSpec("demo", "shop", ("a+b.yaml",), "demo+a+b.yaml")),
    ("a+b.yaml", SideSpec("files", "a+b.yaml", (), "a+b.yaml")),
    ("dir+staged", SideSpec("files", "dir", ("staged",), "dir+staged")),
    ("live+-", SideSpec("live", None, ("-",), "live+-")),
    ("demo:cilium+fix.yaml", SideSpec("demo", "cilium", ("fix.yaml",), "demo:cilium+fix.yaml")),
])
def test_source_specs(text: str, spec: SideSpec) -> None:
    assert parse_side(text, FILES.__contains__) == spec


@pytest.mark.parametrize(("text", "message"), [
    ("", "an empty source"),
    ("nowhere.yaml", "nowhere.yaml: no such file or directory, and not a source"),
    ("live+missing.yaml", "overlay missing.yaml: no such file"),
    ("live+fix.yaml+missing.yaml", "overlay missing.yaml: no such file"),
    ("live+", "nothing after '+'"),
    ("demo:nope", "no demo cluster named 'nope'"),
    ("demo:nope+fix.yaml", "no demo cluster named 'nope'"),
])
def test_bad_source_specs(text: str, message: str) -> None:
    with pytest.raises(SideError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        parse_side(text, FILES.__contains__)
