"""Small clusters for tests, built from manifest dicts fed through the real loader.

Every object goes through `kubenet_tui.sources.parse.ObjectCollector`, so API defaulting (policyTypes,
protocol TCP, the `kubernetes.io/metadata.name` namespace label) is exercised exactly as for user files.
`cluster()` refuses a manifest the loader reports as invalid, so a typo in a test cannot silently turn
into "no policy".

`xyz_world()` is the upstream e2e network-policy topology: namespaces x, y, z labelled `ns: <name>`,
pods a, b, c in each labelled `pod: <name>`, every pod serving 80 and 81 on TCP, UDP and SCTP with the
e2e port names (`serve-80-tcp`, ...). Addresses: x/a is 10.1.0.1 and fd00:1::1, z/c is 10.3.0.3 and
fd00:3::3, and so on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.evaluate import End, evaluate, resolve_end, resolve_port
from kubenet_tui.engine.explain import DirectionVerdict, PolicyExplanation, RuleRef, Verdict
from kubenet_tui.engine.model import Protocol
from kubenet_tui.sources.parse import ObjectCollector, Problem

Manifest = dict[str, Any]
PortSpec = tuple[str | None, int, str]  # (name, number, protocol)

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
E2E_PORTS: tuple[PortSpec, ...] = tuple(
    (f"serve-{number}-{proto.lower()}", number, proto) for number in (80, 81) for proto in ("TCP", "UDP", "SCTP")
)


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Manifest:
    meta: dict[str, Any] = {"name": name}
    if labels is not None:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def pod(
    ns: str,
    name: str,
    labels: Mapping[str, str] | None = None,
    *,
    ips: Sequence[str] = (),
    ports: Iterable[PortSpec] = (),
    phase: str | None = "Running",
    host_network: bool = False,
) -> Manifest:
    """A Pod manifest; `ips[0]` becomes status.podIP, all of them status.podIPs."""
    container_ports = []
    for pname, number, proto in ports:
        entry: dict[str, Any] = {"containerPort": number, "protocol": proto}
        if pname:
            entry["name"] = pname
        container_ports.append(entry)
    spec: dict[str, Any] = {"containers": [{"name": "main", "image": "registry.k8s.io/e2e-test-images/agnhost:2.53",
                                            "ports": container_ports}]}
    if host_network:
        spec["hostNetwork"] = True
    status: dict[str, Any] = {}
    if phase is not None:
        status["phase"] = phase
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})},
        "spec": spec,
        "status": status,
    }


def netpol(ns: str, name: str, spec: Mapping[str, Any]) -> Manifest:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": dict(spec),
    }


def load(*objects: Manifest | Iterable[Manifest]) -> ObjectCollector:
    """Feed manifests (or iterables of them) through the loader, problems and all."""
    collector = ObjectCollector()
    for obj in _flatten(objects):
        collector.add(obj, f"test:{obj.get('kind')}/{obj.get('metadata', {}).get('name')}")
    return collector


def cluster(*objects: Manifest | Iterable[Manifest]) -> Cluster:
    """The cluster the loader builds; fails loudly if any test manifest is reported invalid."""
    collector = load(*objects)
    errors = [p.describe() for p in collector.problems if p.severity == "error"]
    assert not errors, f"test manifests rejected by the loader: {errors}"
    return collector.cluster()


def errors_of(collector: ObjectCollector) -> list[Problem]:
    return [p for p in collector.problems if p.severity == "error"]


def warnings_of(collector: ObjectCollector) -> list[Problem]:
    return [p for p in collector.problems if p.severity == "warning"]


def check(c: Cluster, source: str, destination: str, port: int | str | None = None, protocol: str = "TCP") -> Verdict:
    """What `kubenet-tui check SOURCE DESTINATION --port PORT --protocol PROTOCOL` computes."""
    index = c.index
    src = resolve_end(index, source)
    dst = resolve_end(index, destination)
    proto = Protocol.parse(protocol)
    number, name = resolve_port(None if port is None else str(port), proto, dst)
    return evaluate(c, src, dst, proto, number, name)


def check_pods(c: Cluster, source: str, destination: str, port: int | None, protocol: Protocol) -> Verdict:
    """`evaluate` on two pods given by key, the way the matrix asks (no port-name resolution)."""
    index = c.index
    return evaluate(c, End(pod=index.pods_by_key[source]), End(pod=index.pods_by_key[destination]), protocol, port)


def refs(direction: DirectionVerdict) -> list[tuple[str, str | None, str, str, int, int | None, int | None]]:
    """Deciding rules of one direction as plain tuples: (kind, namespace, name, direction, rule, peer, port)."""
    return [_ref_tuple(r) for r in direction.deciding_rules]


def _ref_tuple(r: RuleRef) -> tuple[str, str | None, str, str, int, int | None, int | None]:
    return (r.kind, r.namespace, r.name, r.direction.value, r.rule, r.peer, r.port)


def policy(direction: DirectionVerdict, name: str) -> PolicyExplanation:
    """The explanation of one policy, by name, among those the direction considered."""
    found = [p for p in direction.policies if p.name == name]
    assert len(found) == 1, f"policy {name} considered {len(found)} times in {direction.direction.value}"
    return found[0]


def all_reasons(v: Verdict) -> str:
    """Every sentence of the explanation, for 'the reason mentions X' assertions."""
    parts = [v.summary, v.egress.summary, v.ingress.summary]
    for d in (v.egress, v.ingress):
        for t in d.tiers:
            parts.append(t.summary)
        for p in d.policies:
            parts.append(p.selection_reason)
            for rule in p.rules:
                parts.append(rule.reason)
                parts.extend(c.reason for c in rule.peers + rule.ports)
    return "\n".join(parts)


# -- the upstream e2e topology ---------------------------------------------------------------------


def xyz_ip(ns: str, pod_name: str) -> str:
    return f"10.{NAMESPACES.index(ns) + 1}.0.{PODS.index(pod_name) + 1}"


def xyz_ip6(ns: str, pod_name: str) -> str:
    return f"fd00:{NAMESPACES.index(ns) + 1}::{PODS.index(pod_name) + 1}"


def xyz_objects(dual_stack: bool = True) -> list[Manifest]:
    objects: list[Manifest] = [namespace(ns, {"ns": ns}) for ns in NAMESPACES]
    for ns in NAMESPACES:
        for name in PODS:
            ips = [xyz_ip(ns, name)] + ([xyz_ip6(ns, name)] if dual_stack else [])
            objects.append(pod(ns, name, {"pod": name}, ips=ips, ports=E2E_PORTS))
    return objects


XYZ_KEYS = tuple(f"{ns}/{p}" for ns in NAMESPACES for p in PODS)


def xyz_world(*policies: Manifest | Iterable[Manifest], dual_stack: bool = True) -> Cluster:
    return cluster(xyz_objects(dual_stack), *policies)


def _flatten(objects: Iterable[Manifest | Iterable[Manifest]]) -> Iterable[Manifest]:
    for obj in objects:
        if isinstance(obj, dict):
            yield obj
        else:
            yield from obj


__all__ = [
    "E2E_PORTS",
    "XYZ_KEYS",
    "all_reasons",
    "check",
    "check_pods",
    "cluster",
    "errors_of",
    "load",
    "namespace",
    "netpol",
    "pod",
    "policy",
    "refs",
    "warnings_of",
    "xyz_ip",
    "xyz_ip6",
    "xyz_objects",
    "xyz_world",
]
