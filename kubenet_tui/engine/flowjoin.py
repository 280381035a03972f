"""A flow's ends, as the plugin logged them, joined to the snapshot: which pod, Service, node or outside
address each one is, and every sign that the snapshot and the log disagree about it.

The plugin's names win over its addresses: a pod name was true when the flow was seen, while an
address may since belong to another pod. When the two point at different pods, or the pod the plugin
named is not in the snapshot, or its labels differ from the ones the plugin saw, the join says so
(`Evidence`): the snapshot and the flow are from different times, and the verdict cannot be trusted
blindly. Each distinct end is joined once (`Joiner` caches), however many flows name it.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import NamedTuple

from kubenet_tui.engine.cluster import Cluster, ClusterIndex
from kubenet_tui.engine.ends import End, ServiceTarget, Target, resolve_target
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.flows import EndHint, FlowEnd
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import IPAddress, Pod
from kubenet_tui.engine.records import record


class Evidence(StrEnum):
    """What the join found about an end, beyond which object it is."""

    NOT_IN_SNAPSHOT = "not-in-snapshot"  # the pod (or pods) the plugin named are not in the snapshot
    ADDRESS_ELSEWHERE = "address-elsewhere"  # the address and the name point at different pods
    IN_CLUSTER_RANGE = "in-cluster-range"  # an address of the cluster's ranges that nothing in the snapshot has
    LABELS_DIFFER = "labels-differ"  # the plugin saw other labels than the snapshot has
    NOT_READ = "not-read"  # the objects that would say could not be read (RBAC), or are of a kind not read
    HOST_NETWORK = "host-network"  # a node, or a pod on the host network: pod policies do not govern it
    AGGREGATED = "aggregated"  # the plugin logged a set of pods by a name prefix: each is evaluated
    NO_ADDRESS = "no-address"  # neither an address nor a pod name: nothing to evaluate
    BAD_ADDRESS = "bad-address"  # the log's address is not an IP address


class EndNote(NamedTuple):
    evidence: Evidence
    detail: str


@record
class JoinedEnd:
    """One end of a flow in the snapshot's terms."""

    key: str  # identity: flows whose ends have the same keys are one class
    label: str  # as shown: `shop/db`, `svc/shop/db`, `8.8.8.8`, `shop/frontend-7d9f8-* (3 pods)`
    targets: tuple[Target, ...]  # what the engine evaluates; () when nothing can be
    logged: FlowEnd  # as the plugin named it (the first such, when several join here)
    notes: tuple[EndNote, ...] = ()
    typed: str | None = None  # the end as the explorer's prompt (and `check`) accepts it
    alike: bool = False  # the targets are pods no policy tells apart: the first stands for all

    def has(self, evidence: Evidence) -> bool:
        return any(n.evidence is evidence for n in self.notes)


# Label keys the plugins add to what they log, which are no pod label (or which selectors see under
# another name): left out of the comparison with the snapshot's labels.
_ADDED_KEY_PREFIXES = ("io.kubernetes.pod.namespace", "io.cilium.", "io.cilium.k8s.", "projectcalico.org/")
# Cilium prefixes every label with where it came from; only `k8s:` ones are pod labels.
_SOURCE_PREFIXES = ("k8s:", "container:", "unspec:", "any:")
_NOT_POD_SOURCES = ("reserved:", "cidr:", "fqdn:", "cidrgroup:")
MAX_PODS = 16  # pods of one aggregated name evaluated (the log says which set, not which pod)


def logged_labels(labels: tuple[str, ...]) -> dict[str, str]:
    """The pod labels among the logged ones, without Cilium's source prefix or the plugins' own keys."""
    found: dict[str, str] = {}
    for item in labels:
        if item.startswith(_NOT_POD_SOURCES):
            continue
        for prefix in _SOURCE_PREFIXES:
            if item.startswith(prefix):
                item = item[len(prefix):]
                break
        key, sep, value = item.partition("=")
        if not sep or not key or key.startswith(_ADDED_KEY_PREFIXES):
            continue
        found[key] = value
    return found


def label_differences(logged: dict[str, str], pod: Pod) -> list[str]:
    """Logged labels the pod in the snapshot has with another value or not at all. Labels the pod has
    and the log lacks say nothing: Cilium leaves some out of identities, Calico's aggregates keep only
    the labels all their pods share."""
    found = []
    for key, value in sorted(logged.items()):
        have = pod.labels.get(key)
        if have != value:
            found.append(f"{key}={value} (the snapshot has {key + '=' + have if have is not None else 'no ' + key})")
    return found


def merge_alike(ends: list[JoinedEnd], key: str) -> JoinedEnd:
    """Pods no policy tells apart (one pod class), each named by the plugin, as one end of one row:
    `shop/api-6c5f7b-* (3 pods)`, or `shop/a (+2 like it)` when their names share no prefix."""
    first = ends[0]
    pods = list(dict.fromkeys(e.label for e in ends))
    names = [p.split("/", 1)[-1] for p in pods]
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix[: prefix.rfind("-") + 1] if "-" in prefix else prefix
    namespace = pods[0].split("/", 1)[0]
    label = (f"{namespace}/{prefix}* ({len(pods)} pods)" if len(prefix) >= 2
             else f"{pods[0]} (+{len(pods) - 1} like it)")
    notes: list[EndNote] = []
    targets: list[Target] = []
    for end in ends:
        notes.extend(n for n in end.notes if n not in notes)
        targets.extend(t for t in end.targets if t not in targets)
    return JoinedEnd(key, label, tuple(targets[:MAX_PODS]), first.logged, tuple(notes), first.typed, alike=True)


class Joiner:
    """Joins flow ends to one snapshot; every distinct end once."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.index: ClusterIndex = cluster.index
        self._cache: dict[tuple[FlowEnd, bool], JoinedEnd] = {}
        self._host_pods: dict[IPAddress, list[Pod]] = {}
        for pod in cluster.pods:
            if pod.host_network and pod.carries_traffic:
                for ip in pod.ips:
                    self._host_pods.setdefault(ip, []).append(pod)

    def join(self, end: FlowEnd, destination: bool) -> JoinedEnd:
        key = (end, destination)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._join(end, destination)
        return found

    # -- the join ------------------------------------------------------------------------------------

    def _join(self, end: FlowEnd, destination: bool) -> JoinedEnd:
        notes: list[EndNote] = []
        ip: IPAddress | None = None
        if end.ip:
            try:
                ip = ipaddress.ip_address(end.ip)
            except ValueError:
                notes.append(EndNote(Evidence.BAD_ADDRESS, f"{end.ip!r} is not an IP address"))
        if end.namespace and end.name and end.hint in (EndHint.POD, EndHint.UNKNOWN):
            return self._named_pod(end, ip, notes)
        if end.namespace and end.prefix is not None:
            return self._pod_set(end, notes)
        if ip is not None:
            return self._address(end, ip, destination, notes)
        return self._nameless(end, notes)

    def _named_pod(self, end: FlowEnd, ip: IPAddress | None, notes: list[EndNote]) -> JoinedEnd:
        index = self.index
        name = f"{end.namespace}/{end.name}"
        pod = index.pods_by_key.get(name)
        at_ip = index.pod_by_ip.get(ip) if ip is not None else None
        if pod is None:
            gap = index.unreadable_for(Resource.PODS, end.namespace)
            if gap is not None and gap.hides_objects:
                notes.append(EndNote(Evidence.NOT_READ, f"pods in namespace {end.namespace} could not be read "
                                                        f"({gap.reason}): {name} may be one of them"))
            elif end.namespace not in index.loaded_namespaces and not index.pods_by_namespace.get(end.namespace or ""):
                notes.append(EndNote(Evidence.NOT_READ, f"namespace {end.namespace} is not in the snapshot (not "
                                                        f"read, or not in the files): {name} may be there"))
            else:
                notes.append(EndNote(Evidence.NOT_IN_SNAPSHOT, f"the plugin names pod {name}, which is not in the "
                                                               "snapshot"))
            if at_ip is not None:
                notes.append(EndNote(Evidence.ADDRESS_ELSEWHERE, f"its address {ip} belongs to {at_ip.key} in the "
                                                                 "snapshot"))
            return JoinedEnd(f"pod:{name}", name, (), end, tuple(notes), str(ip) if ip is not None else None)
        if ip is not None and ip not in pod.ips:
            where = f"; the snapshot gives {ip} to {at_ip.key}" if at_ip is not None else ""
            have = ", ".join(str(i) for i in pod.ips) or "no address"
            notes.append(EndNote(Evidence.ADDRESS_ELSEWHERE, f"the plugin saw {name} at {ip}, the snapshot has it at "
                                                             f"{have}{where}"))
        return self._pod(pod, end, notes)

    def _pod(self, pod: Pod, end: FlowEnd, notes: list[EndNote]) -> JoinedEnd:
        differ = label_differences(logged_labels(end.labels), pod)
        if differ:
            notes.append(EndNote(Evidence.LABELS_DIFFER, f"the plugin saw {pod.key} with {'; '.join(differ)}"))
        if pod.host_network:
            notes.append(EndNote(Evidence.HOST_NETWORK, f"{pod.key} uses the host network"))
        if not pod.carries_traffic:
            why = f"is {pod.phase.value}" if pod.finished else "has no IP address"
            notes.append(EndNote(Evidence.NOT_IN_SNAPSHOT, f"{pod.key} {why} in the snapshot, yet it had traffic"))
        return JoinedEnd(f"pod:{pod.key}", pod.key, (End(pod=pod),), end, tuple(notes), pod.key)

    def _pod_set(self, end: FlowEnd, notes: list[EndNote]) -> JoinedEnd:
        prefix = end.prefix or ""
        label = f"{end.namespace}/{prefix}*"
        pods = [p for p in self.index.pods_by_namespace.get(end.namespace or "", ())
                if p.name.startswith(prefix) and p.carries_traffic]
        if not pods:
            gap = self.index.unreadable_for(Resource.PODS, end.namespace)
            if gap is not None and gap.hides_objects:
                notes.append(EndNote(Evidence.NOT_READ, f"pods in namespace {end.namespace} could not be read "
                                                        f"({gap.reason})"))
            else:
                notes.append(EndNote(Evidence.NOT_IN_SNAPSHOT, f"no running pod of the snapshot is named {label}"))
            return JoinedEnd(f"set:{label}", label, (), end, tuple(notes), None)
        if len(pods) == 1:
            notes.append(EndNote(Evidence.AGGREGATED, f"the plugin logged the pods named {label}: one in the "
                                                      "snapshot"))
            joined = self._pod(pods[0], end, notes)
            return JoinedEnd(joined.key, joined.label, joined.targets, end, joined.notes, joined.typed)
        logged = logged_labels(end.labels)
        for pod in pods:
            differ = label_differences(logged, pod)
            if differ:
                notes.append(EndNote(Evidence.LABELS_DIFFER, f"the plugin saw {pod.key} with {'; '.join(differ)}"))
            if pod.host_network:
                notes.append(EndNote(Evidence.HOST_NETWORK, f"{pod.key} uses the host network"))
        shown = pods[:MAX_PODS]
        more = f"; the first {MAX_PODS} are evaluated" if len(pods) > MAX_PODS else ""
        notes.append(EndNote(Evidence.AGGREGATED, f"the plugin logged the {len(pods)} pods named {label} as one "
                                                  f"({', '.join(p.name for p in shown)}){more}"))
        return JoinedEnd(f"set:{label}", f"{label} ({len(pods)} pods)", tuple(End(pod=p) for p in shown),
                         end, tuple(notes), shown[0].key)

    def _address(self, end: FlowEnd, ip: IPAddress, destination: bool, notes: list[EndNote]) -> JoinedEnd:
        index = self.index
        pod = index.pod_by_ip.get(ip)
        if pod is not None:
            return self._pod(pod, end, notes)
        node = index.node_by_ip.get(ip)
        hosts = self._host_pods.get(ip, [])
        if node is not None or hosts or end.hint is EndHint.HOST:
            what = f"node {node.name}" if node is not None else (
                f"the node of host-network pod{'s' if len(hosts) > 1 else ''} {', '.join(p.key for p in hosts)}"
                if hosts else "a node (so the plugin says)")
            notes.append(EndNote(Evidence.HOST_NETWORK, f"{ip} is {what}"))
            label = f"{ip} ({'node ' + node.name if node is not None else 'host'})"
            return JoinedEnd(f"ip:{ip}", label, (End(ip=ip),), end, tuple(notes), str(ip))
        try:
            target = resolve_target(index, str(ip))
        except InputError as exc:  # a well-formed address always resolves; kept for safety
            notes.append(EndNote(Evidence.NO_ADDRESS, str(exc)))
            return JoinedEnd(f"ip:{ip}", str(ip), (), end, tuple(notes), str(ip))
        if isinstance(target, ServiceTarget):
            key = target.service.key
            if not destination:
                notes.append(EndNote(Evidence.NO_ADDRESS, f"{ip} is the ClusterIP of Service {key}, which sends "
                                                          "nothing itself"))
                return JoinedEnd(f"ip:{ip}", str(ip), (), end, tuple(notes), str(ip))
            return JoinedEnd(f"svc:{key}", f"svc/{key} ({ip})", (target,), end, tuple(notes), f"svc/{key}")
        if target.unowned is not None:
            notes.append(EndNote(Evidence.IN_CLUSTER_RANGE, target.unowned))
        return JoinedEnd(f"ip:{ip}", str(ip), (target,), end, tuple(notes), str(ip))

    def _nameless(self, end: FlowEnd, notes: list[EndNote]) -> JoinedEnd:
        said = end.describe()
        if end.hint is EndHint.NETWORK_SET:
            notes.append(EndNote(Evidence.NOT_READ, f"the plugin names NetworkSet {said} without its addresses; "
                                                    "NetworkSets are not read"))
        elif end.hint is EndHint.WORLD:
            notes.append(EndNote(Evidence.NO_ADDRESS, f"the plugin logged only {said!r} (an address outside the "
                                                      "cluster), not which address"))
        elif end.hint is EndHint.HOST:
            notes.append(EndNote(Evidence.HOST_NETWORK, f"{said} is a host (the plugin logged no address)"))
        else:
            notes.append(EndNote(Evidence.NO_ADDRESS, f"the log names no address and no pod for this end ({said})"))
        return JoinedEnd(f"none:{end.hint.value}:{said}", said, (), end, tuple(notes), None)
