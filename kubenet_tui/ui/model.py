"""What the explorer's panes list, computed from a Snapshot without Textual: scoped lists, counts, filters.

Everything policy-related is asked of the engine (the compiled policies' subjects, `isolation`,
`selector_matches`); this module only groups, counts and caches. Built in a worker thread (it touches
`cluster.index`, which builds the index once); per-row facts are computed lazily and cached, so a
50,000-pod cluster costs only the rows that are actually drawn.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.model import AdminPolicy, NetworkPolicy, Pod, Service
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record
from kubenet_tui.engine.rules import CompiledPolicy
from kubenet_tui.engine.selectors import from_map, selector_matches
from kubenet_tui.engine.tiers import isolation
from kubenet_tui.sources.base import Snapshot

if TYPE_CHECKING:
    from kubenet_tui.engine.coverage import Coverage
    from kubenet_tui.ui.panes.coverage_view import CoverageRow

KIND_SHORT = {
    "NetworkPolicy": "netpol",
    "AdminNetworkPolicy": "anp",
    "BaselineAdminNetworkPolicy": "banp",
    "ClusterNetworkPolicy": "cnp",
    "CiliumNetworkPolicy": "cilnp",
    "CiliumClusterwideNetworkPolicy": "ccnp",
    "Calico NetworkPolicy": "calnp",
    "GlobalNetworkPolicy": "gnp",
    "StagedNetworkPolicy": "snp",
    "StagedGlobalNetworkPolicy": "sgnp",
    "StagedKubernetesNetworkPolicy": "sknp",
}


@record
class NamespaceSummary:
    """One row of the Namespaces pane; `name` None is the "all namespaces" row."""

    name: str | None
    pods: int
    policies: int
    services: int

    @property
    def label(self) -> str:
        return self.name if self.name is not None else "all"


@record
class PolicyItem:
    """A NetworkPolicy or a cluster-scoped policy, as the Policies pane lists it."""

    kind: str
    namespace: str | None
    name: str
    manifest: str
    netpol: NetworkPolicy | None = None
    admin: AdminPolicy | None = None
    # A network plugin's own policy (Cilium, Calico), as its dialect compiles it.
    plugin: CompiledPolicy | None = None
    plugin_tier: str = ""  # Calico's tier
    route: bool = False  # not a policy: an Ingress, Gateway or route an outside answer names

    @property
    def key(self) -> str:
        """Unique among all policies: `namespace/name` for NetworkPolicies, `kind/[namespace/]name` otherwise."""
        if self.netpol is not None:
            return f"{self.namespace}/{self.name}"
        short = KIND_SHORT.get(self.kind, self.kind)
        return f"{short}/{self.namespace}/{self.name}" if self.namespace else f"{short}/{self.name}"

    @property
    def title(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"

    @property
    def types(self) -> str:
        """`I E`-style marks for the directions the policy has (NetworkPolicy: its policyTypes)."""
        if self.netpol is not None:
            kinds = {t.value for t in self.netpol.policy_types}
            ingress, egress = "Ingress" in kinds, "Egress" in kinds
        elif self.plugin is not None:
            ingress = Direction.INGRESS in self.plugin.directions
            egress = Direction.EGRESS in self.plugin.directions
        elif self.route:
            return ""
        elif self.admin is None:
            return "??"  # a plugin policy its dialect does not compile (a staged one): not enforced
        else:
            assert self.admin is not None
            ingress, egress = bool(self.admin.ingress), bool(self.admin.egress)
        return ("I" if ingress else "·") + ("E" if egress else "·")

    @property
    def selector(self) -> str:
        if self.netpol is not None:
            return f"podSelector {self.netpol.pod_selector.describe()}"
        if self.plugin is not None:
            return self.plugin.subject.description
        if self.route:
            return "routes requests from outside to its backends"
        if self.admin is None:
            return "not evaluated (staged policies are never enforced)"
        return f"subject {self.admin.subject.describe()}"

    @property
    def tier(self) -> str:
        if self.plugin is not None:
            return self.plugin_tier
        if self.admin is None:
            return ""
        return f"{self.admin.tier.value} {self.admin.priority}"


@record
class PodPolicies:
    """The policies that select a pod: NetworkPolicies isolating it per direction, and admin subjects."""

    ingress: tuple[str, ...]
    egress: tuple[str, ...]
    admin: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(set(self.ingress) | set(self.egress)) + len(self.admin)

    @property
    def marks(self) -> str:
        return ("I" if self.ingress else "·") + ("E" if self.egress else "·")


def plugin_policy_items(cluster: Cluster) -> tuple[PolicyItem, ...]:
    """Cilium's and Calico's own policies, compiled as their plugin reads them (whatever profile the
    verdicts use: the Policies pane lists what was read)."""
    items: list[PolicyItem] = []
    if cluster.cilium_policies:
        program = cluster.program_for(Profile.CILIUM)
        for cp in cluster.cilium_policies:
            items.append(PolicyItem(cp.kind, cp.namespace, cp.name, cp.manifest,
                                    plugin=program.policy(cp.kind, cp.namespace, cp.name)))
    calico = cluster.calico
    if calico is not None and (calico.policies or calico.staged):
        program = cluster.program_for(Profile.CALICO)
        for kp in (*calico.policies, *calico.staged):
            compiled = program.policy(kp.kind.value, kp.namespace, kp.name)
            items.append(PolicyItem(kp.kind.value, kp.namespace, kp.name, kp.manifest, plugin=compiled,
                                    plugin_tier=f"tier {kp.tier}" + (" · staged" if kp.kind.staged else "")))
    return tuple(items)


def problem_count(snapshot: Snapshot) -> int:
    """What `:problems` lists: load problems, data that could not be read, cluster notices."""
    cluster = snapshot.cluster
    return len(snapshot.problems) + len(cluster.unreadable) + len(cluster.notices)


def label_text(labels: Mapping[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def search_text(name: str, labels: Mapping[str, str], addresses: Sequence[object] = ()) -> str:
    """What a plain filter term is searched in: the name, every `key=value`, and the addresses (a
    pod's IPs, a Service's cluster IPs), lowercased."""
    return "\x00".join([name, *(f"{k}={v}" for k, v in labels.items()), *map(str, addresses)]).lower()


_TERM = re.compile(r"^([^=!]+)(!=|==|=)(.*)$")


class Filter:
    """The `/` filter. Terms separated by spaces or commas must all hold: `key=value` (or `==`) and
    `key!=value` compare a label exactly, any other term is a case-insensitive substring of the name or
    of a `key=value` label. The empty filter matches everything."""

    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.substrings: list[str] = []
        self.labels: list[tuple[str, str, bool]] = []  # key, value, wanted equal
        for term in re.split(r"[\s,]+", self.text):
            if not term:
                continue
            match = _TERM.match(term)
            if match and match.group(3):
                key, op, value = match.groups()
                self.labels.append((key, value, op != "!="))
            else:
                self.substrings.append(term.lower())

    def __bool__(self) -> bool:
        return bool(self.substrings or self.labels)

    def matches(self, labels: Mapping[str, str], search: str) -> bool:
        for key, value, equal in self.labels:
            if (labels.get(key) == value) is not equal:
                return False
        return all(s in search for s in self.substrings)

    def narrows(self, other: Filter) -> bool:
        """True when everything this filter keeps, `other` keeps too (each of its terms is implied by
        one of ours), so typing `pay` → `paym` can filter the previous result instead of everything."""
        return all(any(term in mine for mine in self.substrings) for term in other.substrings) and all(
            term in self.labels for term in other.labels
        )


class ExplorerModel:
    """One snapshot, grouped for the panes. Cheap to build; expensive facts are cached on demand."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.cluster = snapshot.cluster
        self.index = self.cluster.index
        index = self.index
        self.namespace_names: tuple[str, ...] = tuple(sorted(index.namespaces))
        services: dict[str, list[Service]] = defaultdict(list)
        for svc in self.cluster.services:
            services[svc.namespace].append(svc)
        self._services: dict[str, tuple[Service, ...]] = {
            ns: tuple(sorted(items, key=lambda s: s.name)) for ns, items in services.items()
        }
        self.cluster_policies: tuple[PolicyItem, ...] = tuple(
            PolicyItem(p.kind, None, p.name, p.manifest, admin=p)
            for p in (*index.admin_policies, *index.baseline_policies)
        )
        self._netpol_items: dict[str, tuple[PolicyItem, ...]] = {
            ns: tuple(PolicyItem("NetworkPolicy", np.namespace, np.name, np.manifest, netpol=np) for np in nps)
            for ns, nps in index.policies_by_namespace.items()
        }
        # The network plugin's own policies: namespaced ones listed with their namespace's, clusterwide
        # ones with the cluster-scoped policies.
        plugin_items = plugin_policy_items(self.cluster)
        for ns in sorted({i.namespace for i in plugin_items if i.namespace is not None}):
            own = tuple(i for i in plugin_items if i.namespace == ns)
            self._netpol_items[ns] = (*self._netpol_items.get(ns, ()), *own)
        self.cluster_policies = (*self.cluster_policies, *(i for i in plugin_items if i.namespace is None))
        self._by_name: dict[tuple[str, str | None, str], PolicyItem] = {
            (i.kind, i.namespace, i.name): i
            for i in (*self.cluster_policies, *(i for items in self._netpol_items.values() for i in items))
        }
        self._all_pods: tuple[Pod, ...] | None = None
        self._pod_policies: dict[tuple[str, tuple[tuple[str, str], ...]], PodPolicies] = {}
        # Built here, in the loading thread, so the first `/` keystroke does not pay for it.
        self._search: dict[str, str] = {p.key: search_text(p.key, p.labels, p.ips) for p in self.cluster.pods}
        self._selected: dict[str, tuple[Pod, ...]] = {}
        # Per namespace ("*": the whole cluster), once a worker has worked it out (`compute_coverage`).
        self.coverage: dict[str, CoverageRow] | None = None
        self.coverage_found: Coverage | None = None  # the same, whole: what `:coverage` shows

    # --- scoped lists (namespace None: all namespaces) -------------------------------------------

    def namespace_summaries(self) -> tuple[NamespaceSummary, ...]:
        index = self.index
        rows = [
            NamespaceSummary(
                None,
                len(self.cluster.pods),
                sum(len(items) for items in self._netpol_items.values()) + len(self.cluster_policies),
                len(self.cluster.services),
            )
        ]
        for ns in self.namespace_names:
            rows.append(
                NamespaceSummary(
                    ns,
                    len(index.pods_by_namespace.get(ns, ())),
                    len(self._netpol_items.get(ns, ())),
                    len(self._services.get(ns, ())),
                )
            )
        return tuple(rows)

    def pods(self, namespace: str | None) -> Sequence[Pod]:
        if namespace is not None:
            return self.index.pods_by_namespace.get(namespace, ())
        if self._all_pods is None:
            by_ns = self.index.pods_by_namespace
            self._all_pods = tuple(p for ns in sorted(by_ns) for p in by_ns[ns])
        return self._all_pods

    def policies(self, namespace: str | None) -> Sequence[PolicyItem]:
        """The namespace's NetworkPolicies, then the cluster-scoped policies (which apply everywhere)."""
        if namespace is not None:
            return (*self._netpol_items.get(namespace, ()), *self.cluster_policies)
        return (*(i for ns in sorted(self._netpol_items) for i in self._netpol_items[ns]), *self.cluster_policies)

    def services(self, namespace: str | None) -> Sequence[Service]:
        if namespace is not None:
            return self._services.get(namespace, ())
        return tuple(s for ns in sorted(self._services) for s in self._services[ns])

    # --- lookups ----------------------------------------------------------------------------------

    def pod(self, key: str) -> Pod | None:
        return self.index.pods_by_key.get(key)

    def service(self, key: str) -> Service | None:
        return self.index.services_by_key.get(key)

    def policy(self, key: str) -> PolicyItem | None:
        namespace, _, name = key.partition("/")
        for item in self._netpol_items.get(namespace, ()):
            if item.name == name and item.netpol is not None:
                return item
        return next((p for p in self._by_name.values() if p.key == key), None)

    def policy_for(self, kind: str, namespace: str | None, name: str) -> PolicyItem | None:
        """The policy an engine explanation names, or the Ingress, Gateway or route an answer from
        outside names (shown the same way: its YAML, the rule that decides marked)."""
        found = self._by_name.get((kind, namespace, name))
        if found is None and self.cluster.routes is not None:
            from kubenet_tui.engine.outside import route_manifest

            manifest = route_manifest(self.cluster, kind, namespace, name)
            if manifest is not None:
                found = self._by_name[(kind, namespace, name)] = PolicyItem(kind, namespace, name, manifest,
                                                                            route=True)
        return found

    # --- per-row facts, cached ---------------------------------------------------------------------

    def pod_search(self, pod: Pod) -> str:
        found = self._search.get(pod.key)
        if found is None:
            found = self._search[pod.key] = search_text(pod.key, pod.labels, pod.ips)
        return found

    def pod_policies(self, pod: Pod) -> PodPolicies:
        """Policies selecting `pod`. Selection depends only on the namespace and the labels, so pods
        of one Deployment share one cache entry."""
        cache_key = (pod.namespace, tuple(sorted(pod.labels.items())))
        found = self._pod_policies.get(cache_key)
        if found is None:
            admin = tuple(p.key for p in self.cluster_policies if self._selects(p, pod))
            program = self.snapshot.cluster.program
            found = PodPolicies(
                isolation(program, pod, Direction.INGRESS, self.index)[1],
                isolation(program, pod, Direction.EGRESS, self.index)[1],
                admin,
            )
            if not pod.host_network:
                self._pod_policies[cache_key] = found
        return found

    def selected_pods(self, item: PolicyItem) -> tuple[Pod, ...]:
        """Pods the policy applies to: its podSelector in its namespace, or an admin policy's subject.
        May take a while on a big cluster (every pod for a cluster-scoped policy): the app computes
        them all in a worker (`compute_selections`) and tables show `selected_count` meanwhile."""
        found = self._selected.get(item.key)
        if found is not None:
            return found
        if item.netpol is not None:
            selector = item.netpol.pod_selector
            found = tuple(p for p in self.pods(item.netpol.namespace) if selector_matches(selector, p.labels))
        elif item.plugin is not None:
            subject = item.plugin.subject
            found = tuple(p for p in self.pods(item.namespace) if subject.explain(p, self.index).selects is True)
        elif item.admin is not None:
            found = tuple(p for p in self.pods(None) if self._selects(item, p))
        else:
            found = ()  # not compiled: nothing it selects is governed by it
        self._selected[item.key] = found
        return found

    def _selects(self, item: PolicyItem, pod: Pod) -> bool:
        """Whether the cluster-scoped policy surely selects `pod` (the engine's compiled subject)."""
        compiled = self.snapshot.cluster.program.policy(item.kind, None, item.name)
        return compiled is not None and compiled.subject.explain(pod, self.index).selects is True

    def selected_count(self, item: PolicyItem) -> int | None:
        """How many pods the policy selects, if already known (None: still being computed)."""
        found = self._selected.get(item.key)
        return None if found is None else len(found)

    def compute_selections(self, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Fill the selection of every policy (run in a worker thread: it may take a second at 50k pods)."""
        for items in self._netpol_items.values():
            for item in items:
                if cancelled():
                    return
                self.selected_pods(item)
        for item in self.cluster_policies:
            if cancelled():
                return
            self.selected_pods(item)

    def compute_coverage(self) -> None:
        """Which pods policies isolate, per namespace (a worker: pod classes, a second at 50k pods)."""
        from kubenet_tui.engine.coverage import coverage  # numpy: not before the first paint
        from kubenet_tui.ui.panes.coverage_view import coverage_rows

        self.coverage_found = coverage(self.cluster)
        self.coverage = coverage_rows(self.coverage_found)

    def service_pods(self, service: Service) -> tuple[Pod, ...]:
        """Pods the Service's selector picks (the backends' candidates when there are no EndpointSlices)."""
        if service.selector is None:
            return ()
        selector = from_map(service.selector)
        return tuple(p for p in self.pods(service.namespace) if selector_matches(selector, p.labels))

    def services_of(self, pod: Pod) -> tuple[Service, ...]:
        """Services whose selector picks `pod`."""
        return tuple(
            s for s in self._services.get(pod.namespace, ())
            if s.selector and selector_matches(from_map(s.selector), pod.labels)
        )
