"""The quick way through a pod read from JSON gives exactly what the validating parser gives: the same
Pod, or the same reason to skip it, whatever the shape of the object."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubenet_tui.sources.parse import parse_pod
from kubenet_tui.sources.shared import Shared
from kubenet_tui.sources.validate import Invalid

# Values of the wrong type where a field is expected, and the usual ones.
ODD: st.SearchStrategy[Any] = st.sampled_from([None, True, 0, 1.0, "", [], {}, "x"])


def _maybe(strategy: st.SearchStrategy[Any], key: str) -> st.SearchStrategy[dict[str, Any]]:
    present = strategy.map(lambda value: {key: value})
    return st.one_of(st.just({}), present, present, present)


def pod_objects(odd: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Pods of the shape clusters hand out (odd=False), or with a value of the wrong type or an invalid
    one anywhere (odd=True)."""

    def mostly(usual: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(usual, usual, usual, usual, usual, usual, ODD) if odd else usual

    def pick(usual: list[Any], wrong: list[Any]) -> st.SearchStrategy[Any]:
        return mostly(st.sampled_from(usual + wrong if odd else usual))

    cport = st.builds(lambda a, b, c: {**a, **b, **c},
                      _maybe(pick([53, 80, 8080, 9153, 65535], [0, 70000, True, 80.0, "80"]), "containerPort"),
                      _maybe(pick(["TCP", "UDP", "SCTP"], ["tcp", "ICMP"]), "protocol"),
                      _maybe(pick(["http", "dns-tcp", "metrics", "dns", ""], ["HTTP", "a--b", "80", "x" * 16]), "name"))
    container = mostly(st.builds(lambda ports, restart: {"name": "c", **ports, **restart},
                                 _maybe(mostly(st.lists(mostly(cport), max_size=3)), "ports"),
                                 _maybe(st.sampled_from(["Always", "Never", None]), "restartPolicy")))
    labels = mostly(st.dictionaries(st.sampled_from(["app", "tier", "pod-template-hash", *([""] if odd else [])]),
                                    pick(["web", "db", ""], []), max_size=3))
    ip = pick(["10.0.0.1", "10.0.0.2", "fd00::1", "fd00:0::1", "999.1.1.1"], ["", None, 5])
    status = mostly(st.builds(lambda a, b, c: {**a, **b, **c},
                              _maybe(ip, "podIP"),
                              _maybe(mostly(st.lists(mostly(ip.map(lambda v: {"ip": v})), max_size=3)), "podIPs"),
                              _maybe(pick(["Running", "Pending", "Succeeded", "Weird"], []), "phase")))
    spec = mostly(st.builds(lambda a, b, c, d, e: {**a, **b, **c, **d, **e},
                            _maybe(mostly(st.lists(container, max_size=2)), "containers"),
                            _maybe(mostly(st.lists(container, max_size=2)), "initContainers"),
                            _maybe(pick(["node-1"], []), "nodeName"),
                            _maybe(pick(["builder", ""], []), "serviceAccountName"),
                            _maybe(st.sampled_from([True, False, None, 1]), "hostNetwork")))
    named = _maybe if odd else (lambda strategy, key: strategy.map(lambda value: {key: value}))
    metadata = mostly(st.builds(lambda a, b, c: {**a, **b, **c},
                                named(pick(["web-1"], []), "name"),
                                named(pick(["shop"], []), "namespace"),
                                _maybe(labels, "labels")))
    return st.builds(lambda a, b, c: {"apiVersion": "v1", "kind": "Pod", **a, **b, **c},
                     named(metadata, "metadata"), _maybe(spec, "spec"), _maybe(status, "status"))


def outcome(obj: dict[str, Any], shared: Shared, string_keys: bool) -> Any:
    try:
        return parse_pod(obj, shared, string_keys)
    except Invalid as exc:
        return f"invalid: {exc}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(pod_objects(False), pod_objects(True)), min_size=1, max_size=4))
def test_quick_and_validating_ways_agree(objects: list[dict[str, Any]]) -> None:
    # One Shared for the whole batch on each side: answers kept from one pod must not leak into the next.
    quick, checked = Shared(), Shared()
    for obj in objects:
        assert outcome(obj, quick, True) == outcome(obj, checked, False)


def test_a_cached_port_list_never_stands_for_one_equal_only_in_value() -> None:
    shared = Shared()
    good = {"kind": "Pod", "metadata": {"name": "a", "namespace": "n"},
            "spec": {"containers": [{"ports": [{"containerPort": 1}]}]}}
    assert parse_pod(good, shared, True).ports[0].port == 1
    for odd in (True, 1.0):
        bad = {**good, "spec": {"containers": [{"ports": [{"containerPort": odd}]}]}}
        assert outcome(bad, shared, True) == outcome(bad, Shared(), False)
        assert str(outcome(bad, shared, True)).startswith("invalid:")


def test_a_list_of_pods_reads_alike_either_way_duplicates_included() -> None:
    from kubenet_tui.sources.parse import ObjectCollector

    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "n", "labels": {"app": "x"}},
           "status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}]}}
    odd = {**pod, "metadata": {"name": "b", "namespace": "n", "labels": {"app": 1}}}
    items = [pod, dict(pod), odd, {**pod, "apiVersion": "v2"}]
    quick, checked = ObjectCollector(), ObjectCollector()
    for i, item in enumerate(items):
        quick.add_list_item(item, f"f:{i}", "List", True)
        checked.add_list_item(item, f"f:{i}", "List", False)
    assert quick.pods == checked.pods and list(quick.pods) == ["n/a"]
    assert quick.problems == checked.problems
    assert [p.message.split(":")[0] for p in quick.problems] == [
        "loaded more than once", "invalid, skipped"]
    assert quick.ignored_kinds == checked.ignored_kinds == {"Pod": 1}
