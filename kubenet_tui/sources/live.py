"""The live cluster source: list everything a verdict needs, then watch it so snapshots stay current.

How it reads (all GET, never Secrets):
  1. Discovery (`/apis`): is the cluster reachable, are the credentials good, which optional APIs are
     served (`policy.networking.k8s.io` AdminNetworkPolicy / BaselineAdminNetworkPolicy / ClusterNetworkPolicy).
  2. Lists with `limit`/`continue`, raw JSON decoded and trimmed (`slim`) page by page: Namespaces,
     Nodes (optional), Pods, Services, EndpointSlices, NetworkPolicies, and the optional policy kinds.
     Cluster-wide by default (verdicts need both ends, in any namespace); `-n` reads only those
     namespaces plus the ones a command names.
  3. RBAC: a forbidden cluster-wide list falls back to per-namespace lists of the namespaces the user
     can be expected to see (the context's, `-n`, the ones a command names). Whatever could still not be
     read is recorded as `Unreadable`, so the verdicts that depend on it are unknown, never guessed.
  4. `watch()` watches every list from its resourceVersion, applies events, relists on 410 Gone,
     reconnects with exponential backoff, and posts one fresh Snapshot per burst of events.

Failures that leave nothing to show (unreachable, TLS, silent server, 401, 404, 5xx, everything
forbidden) raise `SourceError` with one line naming the context and the server.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from kubenet_tui.engine.gaps import GapKind, Resource, Unreadable
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record
from kubenet_tui.sources.base import DataState, Snapshot, SourceError, gc_paused
from kubenet_tui.sources.cni import detect_cni
from kubenet_tui.sources.kubeapi import PAGE_SIZE, ApiStatusError, KubeApi, TransportError, WatchStream
from kubenet_tui.sources.kubeconfig import (
    Connection,
    CredentialPlugins,
    exec_error_of,
    load_connection,
    uses_credential_plugin,
)
from kubenet_tui.sources.parse import ObjectCollector, Problem
from kubenet_tui.sources.slim import as_dict, slim

POLICY_GROUP = "policy.networking.k8s.io"
CILIUM_GROUP = "cilium.io"
# Namespaces where network plugin agents run; read for plugin detection even when -n narrows the scope.
CNI_NAMESPACES = ("kube-system", "calico-system", "kube-flannel")


@record(slots=False)
class LiveOptions:
    kubeconfig: str | None = None
    context: str | None = None
    namespaces: tuple[str, ...] = ()  # -n: read only these (plus `needed_namespaces`)
    all_namespaces: bool = False
    request_timeout: float = 10.0  # bound on every request (connect, and each read)
    needed_namespaces: tuple[str, ...] = ()  # namespaces a command names (check's ends): always read
    page_size: int = PAGE_SIZE
    watch_timeout: int = 300  # seconds the server keeps one watch request open before we renew it
    debounce: float = 0.3  # a burst of events is over after this much quiet...
    max_delay: float = 1.5  # ...or after this long, so a steady stream still shows up
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    credential_timeout: float = 120.0  # bound on one run of a credential plugin (a login may take a while)


@record(slots=False)
class Kind:
    """One resource type to read."""

    kind: str
    plural: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    resource_name: str = ""  # its `Resource` when the plural alone is ambiguous (Calico's networkpolicies)

    @property
    def resource(self) -> str:
        """The name gaps record it under (a `Resource` value)."""
        return self.resource_name or self.plural

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


NAMESPACES = Kind("Namespace", "namespaces", "", "v1", False)
NODES = Kind("Node", "nodes", "", "v1", False)
PODS = Kind("Pod", "pods", "", "v1", True)
SERVICES = Kind("Service", "services", "", "v1", True)
ENDPOINT_SLICES = Kind("EndpointSlice", "endpointslices", "discovery.k8s.io", "v1", True)
NETWORK_POLICIES = Kind("NetworkPolicy", "networkpolicies", "networking.k8s.io", "v1", True)
NAMESPACED_KINDS = (PODS, SERVICES, ENDPOINT_SLICES, NETWORK_POLICIES)
# The optional admin-tier kinds, and the versions this tool understands, best first.
ADMIN_KINDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("AdminNetworkPolicy", "adminnetworkpolicies", ("v1alpha1",)),
    ("BaselineAdminNetworkPolicy", "baselineadminnetworkpolicies", ("v1alpha1",)),
    ("ClusterNetworkPolicy", "clusternetworkpolicies", ("v1beta1", "v1alpha2")),
)

# Cilium's kinds, read when discovery serves cilium.io: (kind, plural, versions best first, namespaced).
CILIUM_KINDS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("CiliumNetworkPolicy", "ciliumnetworkpolicies", ("v2",), True),
    ("CiliumClusterwideNetworkPolicy", "ciliumclusterwidenetworkpolicies", ("v2",), False),
    ("CiliumCIDRGroup", "ciliumcidrgroups", ("v2", "v2alpha1"), False),
)

# How traffic comes in from outside: Ingresses and IngressClasses (networking.k8s.io/v1), and the Gateway
# API's kinds when discovery serves gateway.networking.k8s.io: (kind, plural, versions best first, namespaced).
NETWORKING_GROUP = "networking.k8s.io"
INGRESS_KINDS: tuple[tuple[str, str, bool], ...] = (("IngressClass", "ingressclasses", False),
                                                    ("Ingress", "ingresses", True))
GATEWAY_GROUP = "gateway.networking.k8s.io"
GATEWAY_KINDS: tuple[tuple[str, str, tuple[str, ...], bool], ...] = (
    ("GatewayClass", "gatewayclasses", ("v1", "v1beta1"), False),
    ("Gateway", "gateways", ("v1", "v1beta1"), True),
    ("HTTPRoute", "httproutes", ("v1", "v1beta1"), True),
    ("GRPCRoute", "grpcroutes", ("v1", "v1alpha2"), True),
    ("TLSRoute", "tlsroutes", ("v1", "v1alpha3", "v1alpha2"), True),
    ("TCPRoute", "tcproutes", ("v1", "v1alpha2"), True),
    ("ReferenceGrant", "referencegrants", ("v1", "v1beta1", "v1alpha2"), True),
)

SERVICE_ACCOUNTS = Kind("ServiceAccount", "serviceaccounts", "", "v1", True)
# Calico's resources: from its API server (projectcalico.org/v3) when served, else from the CRDs that
# store them (crd.projectcalico.org/v1, the same specs). (kind, plural, namespaced)
CALICO_GROUPS = (("projectcalico.org", "v3"), ("crd.projectcalico.org", "v1"))
CALICO_KINDS: tuple[tuple[str, str, bool], ...] = (
    ("Tier", "tiers", False),
    ("GlobalNetworkPolicy", "globalnetworkpolicies", False),
    ("NetworkPolicy", "networkpolicies", True),
    ("GlobalNetworkSet", "globalnetworksets", False),
    ("NetworkSet", "networksets", True),
    ("HostEndpoint", "hostendpoints", False),
    ("StagedGlobalNetworkPolicy", "stagedglobalnetworkpolicies", False),
    ("StagedNetworkPolicy", "stagednetworkpolicies", True),
    ("StagedKubernetesNetworkPolicy", "stagedkubernetesnetworkpolicies", True),
)

# "unevaluated" last: an object kept only as a policy that is not evaluated (invalid, unsupported).
_MODEL_ATTRS = ("namespaces", "pods", "services", "endpoint_slices", "network_policies", "admin_policies", "nodes",
                "cilium_policies", "cilium_cidr_groups", "calico_tiers", "calico_policies", "calico_staged",
                "calico_staged_kubernetes", "calico_sets", "calico_host_endpoints", "calico_invalid",
                "service_accounts", "routing", "unevaluated")


@record
class _Parsed:
    """One object, trimmed and parsed once: watch events re-parse only what changed."""

    raw: dict[str, Any]
    attr: str | None  # ObjectCollector dict it belongs in; None: invalid or ignored
    key: str
    value: Any
    problems: tuple[Problem, ...]


class _Parser:
    """Parses objects one at a time through one collector, emptied after each: a list of 50,000 pods
    builds one collector, not 50,000, and its `Shared` hands out each repeated label map and port list
    once. One per thread (a list, a watch)."""

    def __init__(self) -> None:
        self.collector = ObjectCollector()

    def __call__(self, raw: dict[str, Any]) -> _Parsed:
        collector = self.collector
        collector.add(raw, "api", string_keys=True)  # decoded from the API's JSON
        parsed = _Parsed(raw, None, "", None, tuple(collector.problems))
        for attr in _MODEL_ATTRS:
            found: dict[str, Any] = getattr(collector, attr)
            if found:
                if parsed.attr is None:
                    key, value = next(iter(found.items()))
                    parsed = _Parsed(raw, attr, key, value, parsed.problems)
                found.clear()
        collector.problems.clear()
        collector.ignored_kinds.clear()
        collector.unreadable.clear()
        collector.notices.clear()
        return parsed


def _parse(raw: dict[str, Any], parser: _Parser | None = None) -> _Parsed:
    return (parser or _Parser())(raw)


def _object_key(obj: dict[str, Any]) -> str:
    meta = as_dict(obj.get("metadata"))
    return f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


@dataclass
class _Unit:
    """One list (and later its watch): a kind, cluster-wide (namespace None) or in one namespace."""

    kind: Kind
    namespace: str | None
    resource_version: str = ""
    entries: dict[str, _Parsed] = field(default_factory=dict)
    for_verdicts: bool = True  # False: read only to recognise the network plugin
    watchable: bool = True  # False: read by a single GET (a user who may get a namespace but not list them)
    error: str | None = None  # why its watch is down, while it is

    def describe(self) -> str:
        what = self.kind.resource
        return f"{what} in namespace {self.namespace}" if self.namespace else f"{what} cluster-wide"


@dataclass
class _State:
    units: list[_Unit]
    unreadable: list[Unreadable]
    problems: list[Problem]
    notices: list[str]
    # kind plural -> why its cluster-wide list was refused; namespaces not read for it are unreadable.
    cluster_denied: dict[str, str]
    cni_unreadable: str | None
    focus: str | None


class LiveSource:
    """Reads the cluster of a kubeconfig context. `load` blocks (call it from a worker thread);
    `watch` blocks until `stop` is set, posting a fresh Snapshot after each burst of changes."""

    def __init__(self, options: LiveOptions | None = None) -> None:
        self.options = options or LiveOptions()
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._connection: Connection | None = None
        self._prepared: Connection | None = None
        self._streams: set[WatchStream] = set()
        self.plugins = CredentialPlugins(self.options.credential_timeout)

    # -- public -----------------------------------------------------------------------------------

    def uses_credential_plugin(self) -> bool:
        """Whether connecting runs a credential plugin that may want the terminal for a login."""
        return uses_credential_plugin(self.options.kubeconfig, self.options.context)

    def prepare(self, interactive: bool = True) -> None:
        """Resolve the kubeconfig and run any credential plugin now, in the caller's thread: the
        explorer calls this while the terminal is its caller's (before it takes the terminal over, or
        while it is suspended), so an interactive login (a plugin printing a URL and waiting) talks to a
        normal terminal. Bounded by `credential_timeout`. The next `load` uses the result."""
        if interactive:
            with self.plugins.interactive():
                self._prepared = self._connect()
        else:
            self._prepared = self._connect()

    def cancel(self) -> None:
        """Stop a credential plugin that is running now (its load then fails, saying so)."""
        self.plugins.cancel()

    def close(self) -> None:
        """The source is dropped (quit, another context): no credential plugin may run on."""
        self.plugins.close()

    def _connect(self) -> Connection:
        return load_connection(self.options.kubeconfig, self.options.context, plugins=self.plugins)

    def load(self) -> Snapshot:
        connection = self._prepared or self._connect()
        self._prepared = None  # a reload (r) reads the kubeconfig and credentials afresh
        self._connection = connection
        api = KubeApi(connection, self.options.request_timeout)
        with gc_paused():
            try:
                state = self._read(api, connection)
            finally:
                api.close()
            with self._lock:
                self._state = state
            return self._snapshot(state, DataState.LIVE)

    def watch(self, on_snapshot: Callable[[Snapshot], None], stop: threading.Event) -> None:
        """Keep the last load's data current until `stop` is set. Without a prior load, loads first
        (retrying with backoff while the cluster cannot be read)."""
        backoff = self.options.backoff_initial
        while self._state is None and not stop.is_set():
            try:
                on_snapshot(self.load())
            except SourceError:
                stop.wait(backoff)
                backoff = min(backoff * 2, self.options.backoff_max)
        state, connection = self._state, self._connection
        if state is None or connection is None:
            return
        api = KubeApi(connection, self.options.request_timeout)
        changed = threading.Event()
        # The watchers' own stop signal: set when the caller stops us, or when publishing fails.
        halt = threading.Event()
        threads = [
            threading.Thread(target=self._watch_unit, args=(api, unit, changed, halt),
                             name=f"watch {unit.describe()}", daemon=True)
            for unit in state.units
            if unit.watchable
        ]
        for thread in threads:
            thread.start()
        try:
            self._publish_loop(state, on_snapshot, changed, stop)
        finally:
            halt.set()
            with self._lock:
                streams = list(self._streams)
            for stream in streams:
                stream.close()
            for thread in threads:
                thread.join(self.options.request_timeout + 1)
            api.close()

    def objects(self) -> list[dict[str, Any]]:
        """What the last load read (trimmed objects, kind and apiVersion set), for snapshot export."""
        state = self._state
        if state is None:
            return []
        order = {k: i for i, k in enumerate(("Namespace", "Node", "Pod", "Service", "EndpointSlice", "NetworkPolicy",
                                              "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
                                              "ClusterNetworkPolicy", "CiliumCIDRGroup",
                                              "CiliumClusterwideNetworkPolicy", "CiliumNetworkPolicy",
                                              "ServiceAccount", "Tier"))}
        with self._lock:
            # Calico's NetworkPolicy is another kind than Kubernetes': the apiVersion tells them apart.
            raws = {(p.raw["kind"], p.raw["apiVersion"], k): p.raw
                    for u in state.units if u.for_verdicts for k, p in u.entries.items()}
        return [raws[key] for key in sorted(raws, key=lambda k: (order.get(k[0], 99), k[1], k[0], k[2]))]

    # -- reading ----------------------------------------------------------------------------------

    def _where(self, connection: Connection) -> str:
        return f"context {connection.context!r} ({connection.server})"

    def _fatal(self, connection: Connection, exc: Exception, doing: str) -> SourceError:
        """One specific line for an error that leaves nothing to show."""
        where = self._where(connection)
        if isinstance(exc, TransportError):
            return SourceError(f"cannot reach the API server of {where}: {exc.detail}")
        assert isinstance(exc, ApiStatusError)
        if exc.code == 401:
            text = (f"the API server of {where} rejected the credentials of user {connection.user!r} "
                    f"(401 Unauthorized)")
            plugin = exec_error_of(connection)
            if plugin:
                return SourceError(f"{text}; its credential plugin failed: {plugin}")
            return SourceError(f"{text}: log in again or renew the token")
        if exc.code == 403:
            return SourceError(f"user {connection.user!r} of {where} may not {doing}: {exc.message or exc.reason}")
        if exc.code == 404:
            return SourceError(f"{where} does not serve the Kubernetes API: 404 Not Found for {exc.path}")
        return SourceError(f"the API server of {where} failed while {doing}: {exc}")

    def _read(self, api: KubeApi, connection: Connection) -> _State:
        opts = self.options
        try:
            groups = api.get_json("/apis")
        except (TransportError, ApiStatusError) as exc:
            raise self._fatal(connection, exc, "read API discovery") from None
        if groups.get("kind") != "APIGroupList":
            raise SourceError(f"{self._where(connection)} does not serve the Kubernetes API "
                              "(/apis is not an API group list)")
        cluster_wide = opts.all_namespaces or not opts.namespaces
        scoped = _unique([*opts.namespaces, *opts.needed_namespaces])
        fallback = _unique([connection.namespace, *opts.namespaces, *opts.needed_namespaces])
        focus = None if opts.all_namespaces else (opts.namespaces[0] if opts.namespaces else connection.namespace)
        state = _State([], [], [], [], {}, None, focus)
        if not connection.configuration.verify_ssl:
            state.problems.append(Problem("warning", "api", f"TLS verification is off for {self._where(connection)} "
                                          "(insecure-skip-tls-verify): the server's identity is not checked"))

        def read(kind: Kind, namespace: str | None, for_verdicts: bool = True) -> _Unit:
            unit = _Unit(kind, namespace, for_verdicts=for_verdicts)
            self._list_into(api, unit)
            state.units.append(unit)
            return unit

        def attempt(kind: Kind, namespace: str | None, doing: str, for_verdicts: bool = True) -> ApiStatusError | None:
            """Read one list; a 403 (or 404 for optional data) is returned, anything else is fatal."""
            try:
                read(kind, namespace, for_verdicts)
            except ApiStatusError as exc:
                if exc.code == 403 or (exc.code == 404 and kind.group not in ("",)):
                    return exc
                raise self._fatal(connection, exc, doing) from None
            except TransportError as exc:
                raise self._fatal(connection, exc, doing) from None
            return None

        # Namespaces: their labels feed namespaceSelectors.
        denied = attempt(NAMESPACES, None, "list namespaces")
        if denied is not None:
            reason = _reason(denied)
            state.problems.append(Problem("warning", "api", f"namespaces cannot be listed ({reason}); reading the "
                                          "labels of the namespaces in scope one by one"))
            for name in (scoped if not cluster_wide else fallback):
                try:
                    obj = api.get_json(NAMESPACES.path() + f"/{name}")
                except ApiStatusError as exc:
                    state.unreadable.append(Unreadable(Resource.NAMESPACES, name, _reason(exc), _gap_kind(exc)))
                    continue
                except TransportError as exc:
                    raise self._fatal(connection, exc, "read a namespace") from None
                unit = _Unit(NAMESPACES, name, watchable=False)
                raw = slim("Namespace", obj, "v1")
                unit.entries[_object_key(raw)] = _parse(raw)
                state.units.append(unit)
            state.cluster_denied["namespaces"] = reason

        def read_namespaced(kind: Kind) -> None:
            """Cluster-wide (or the scope's namespaces); a refused cluster-wide list falls back to the
            namespaces the user can be expected to see, and what is still not read is a gap."""
            if cluster_wide:
                refused = attempt(kind, None, f"list {kind.plural}")
                if refused is None:
                    return
                if refused.code == 404:
                    self._absent(state, kind, refused)
                    return
                state.cluster_denied[kind.resource] = _reason(refused)
                targets = fallback
            else:
                targets = scoped
            for name in targets:
                refused = attempt(kind, name, f"list {kind.plural} in namespace {name}")
                if refused is not None and refused.code == 404:
                    self._absent(state, kind, refused)
                    break
                if refused is not None:
                    state.unreadable.append(Unreadable(Resource(kind.resource), name, _reason(refused)))
                    state.problems.append(Problem("error", "api", f"{kind.resource} in namespace {name} cannot be "
                                                  f"read: {_reason(refused)}; verdicts that depend on them are unknown"))

        # The namespaced kinds that decide verdicts.
        for kind in NAMESPACED_KINDS:
            read_namespaced(kind)

        if not any(u.kind is PODS for u in state.units):
            gaps = [g for g in state.unreadable if g.resource == "pods"]
            detail = gaps[0].reason if gaps else state.cluster_denied.get("pods", "forbidden")
            scope = ", ".join(g.namespace or "cluster-wide" for g in gaps) or "any namespace"
            raise SourceError(f"user {connection.user!r} of {self._where(connection)} may not list pods in "
                              f"{scope}: {detail}")

        # Nodes are only needed for admin-tier `nodes` peers: forbidden is normal for most users.
        node_refusal = attempt(NODES, None, "list nodes")

        # The optional policy.networking.k8s.io kinds, when discovery says they are served.
        served = _served_versions(groups, POLICY_GROUP)
        for kind_name, plural, versions in ADMIN_KINDS:
            version = next((v for v in versions if v in served and self._serves(api, connection, v, plural)), None)
            if version is None:
                continue
            refused = attempt(Kind(kind_name, plural, POLICY_GROUP, version, False), None, f"list {plural}")
            if refused is not None and refused.code == 403:
                state.unreadable.append(Unreadable(Resource(plural), None, _reason(refused)))

        # Cilium's own policies, when discovery says cilium.io is served (absent: not a Cilium cluster).
        served = _served_versions(groups, CILIUM_GROUP)
        for kind_name, plural, versions, namespaced in CILIUM_KINDS:
            version = next((v for v in versions if v in served
                            and self._serves(api, connection, v, plural, CILIUM_GROUP)), None)
            if version is None:
                continue
            kind = Kind(kind_name, plural, CILIUM_GROUP, version, namespaced)
            if namespaced:
                read_namespaced(kind)
                continue
            refused = attempt(kind, None, f"list {plural}")
            if refused is not None and refused.code == 403:
                state.unreadable.append(Unreadable(Resource(plural), None, _reason(refused)))
                state.problems.append(Problem("error", "api", f"{plural} cannot be read: {_reason(refused)}; "
                                              "verdicts that depend on them are unknown"))

        if node_refusal is not None and self._admin_uses_nodes(state):
            state.unreadable.append(Unreadable(Resource.NODES, None, _reason(node_refusal), _gap_kind(node_refusal)))

        # Ingresses and the Gateway API: how requests come in from outside (absent groups are normal).
        for kind in self._routing_kinds(api, connection, groups):
            if kind.namespaced:
                read_namespaced(kind)
                continue
            refused = attempt(kind, None, f"list {kind.plural}")
            if refused is not None and refused.code == 403:
                state.unreadable.append(Unreadable(Resource(kind.plural), None, _reason(refused)))
                state.problems.append(Problem("warning", "api", f"{kind.plural} cannot be read: {_reason(refused)}; "
                                              "verdicts from outside that depend on them are unknown"))

        # Calico's own resources, when its API (or its CRDs) are served.
        calico = self._calico_kinds(api, connection, groups)
        for kind in calico:
            if kind.namespaced:
                read_namespaced(kind)
                continue
            refused = attempt(kind, None, f"list {kind.plural}")
            if refused is not None and refused.code == 403:
                state.unreadable.append(Unreadable(Resource(kind.resource), None, _reason(refused)))
                state.problems.append(Problem("error", "api", f"{kind.resource} cannot be read: {_reason(refused)}; "
                                              "verdicts that depend on them are unknown"))
        if calico and self._calico_reads_accounts(state):
            # Their labels are what serviceAccounts selectors see (pcsa.*): read them only then.
            read_namespaced(SERVICE_ACCOUNTS)

        # The network plugin runs in system namespaces; read them if the scope did not.
        read_everywhere = any(u.kind is PODS and u.namespace is None for u in state.units)
        if not read_everywhere:
            have = {u.namespace for u in state.units if u.kind is PODS}
            for name in CNI_NAMESPACES:
                if name in have:
                    continue
                refused = attempt(PODS, name, f"list pods in namespace {name}", for_verdicts=False)
                if refused is not None and name == "kube-system":
                    state.cni_unreadable = _reason(refused)
        return state

    def _routing_kinds(self, api: KubeApi, connection: Connection, groups: dict[str, Any]) -> list[Kind]:
        """Ingress kinds and the Gateway API's, in the best version this cluster serves (each group
        version's discovery read once)."""
        served: dict[tuple[str, str], set[str]] = {}

        def names(group: str, version: str) -> set[str]:
            key = (group, version)
            if key not in served:
                served[key] = set()
                if version in _served_versions(groups, group):
                    try:
                        resources = api.get_json(f"/apis/{group}/{version}")
                    except ApiStatusError:
                        resources = {}
                    except TransportError as exc:
                        raise self._fatal(connection, exc, "read API discovery") from None
                    served[key] = {str(r.get("name")) for r in resources.get("resources") or [] if isinstance(r, dict)}
            return served[key]

        kinds = [Kind(kind, plural, NETWORKING_GROUP, "v1", namespaced) for kind, plural, namespaced in INGRESS_KINDS
                 if plural in names(NETWORKING_GROUP, "v1")]
        for kind, plural, versions, namespaced in GATEWAY_KINDS:
            version = next((v for v in versions if plural in names(GATEWAY_GROUP, v)), None)
            if version is not None:
                kinds.append(Kind(kind, plural, GATEWAY_GROUP, version, namespaced))
        return kinds

    def _calico_kinds(self, api: KubeApi, connection: Connection, groups: dict[str, Any]) -> list[Kind]:
        """Calico's kinds as this cluster serves them: the first of its groups that discovery lists."""
        for group, version in CALICO_GROUPS:
            if version not in _served_versions(groups, group):
                continue
            try:
                resources = api.get_json(f"/apis/{group}/{version}")
            except ApiStatusError:
                continue
            except TransportError as exc:
                raise self._fatal(connection, exc, "read API discovery") from None
            names = {r.get("name") for r in resources.get("resources") or [] if isinstance(r, dict)}
            kinds = [Kind(kind, plural, group, version, namespaced, f"{plural}.projectcalico.org")
                     for kind, plural, namespaced in CALICO_KINDS if plural in names]
            if kinds:
                return kinds
        return []

    @staticmethod
    def _calico_reads_accounts(state: _State) -> bool:
        """Whether a Calico policy selects by service account labels (pcsa.*)."""
        for unit in state.units:
            for parsed in unit.entries.values():
                if parsed.attr in ("calico_policies", "calico_staged") and (
                        "serviceAccount" in parsed.value.manifest or "pcsa." in parsed.value.manifest):
                    return True
        return False

    def _serves(self, api: KubeApi, connection: Connection, version: str, plural: str,
                group: str = POLICY_GROUP) -> bool:
        try:
            resources = api.get_json(f"/apis/{group}/{version}")
        except ApiStatusError:
            return False
        except TransportError as exc:
            raise self._fatal(connection, exc, "read API discovery") from None
        return any(isinstance(r, dict) and r.get("name") == plural for r in resources.get("resources") or [])

    @staticmethod
    def _absent(state: _State, kind: Kind, exc: ApiStatusError) -> None:
        state.unreadable.append(Unreadable(Resource(kind.resource), None, f"not served by this cluster ({kind.api_version})",
                                           GapKind.NOT_SERVED))
        state.problems.append(Problem("warning", "api", f"{kind.plural} ({kind.api_version}) are not served by this "
                                      f"cluster: {exc.message or exc.reason}"))

    @staticmethod
    def _admin_uses_nodes(state: _State) -> bool:
        for unit in state.units:
            for parsed in unit.entries.values():
                if parsed.attr == "admin_policies":
                    rules = (*parsed.value.ingress, *parsed.value.egress)
                    if any(peer.nodes is not None for rule in rules for peer in rule.peers):
                        return True
        return False

    def _list_into(self, api: KubeApi, unit: _Unit) -> None:
        """List `unit` into fresh entries (swapped in at the end, so a watch-time relist is atomic).
        A 410 on a continue token restarts the list once."""
        kind = unit.kind
        parser = _Parser()
        for attempt in range(2):
            entries: dict[str, _Parsed] = {}

            def take(items: list[dict[str, Any]], entries: dict[str, _Parsed] = entries) -> None:
                for item in items:
                    if isinstance(item, dict):
                        raw = slim(kind.kind, item, kind.api_version)
                        entries[_object_key(raw)] = parser(raw)

            try:
                result = api.list(kind.path(unit.namespace), take, page_size=self.options.page_size)
            except ApiStatusError as exc:
                if exc.code == 410 and attempt == 0:
                    continue
                raise
            with self._lock:
                unit.entries = entries
                unit.resource_version = result.resource_version
            return

    # -- snapshots --------------------------------------------------------------------------------

    def _snapshot(self, state: _State, data_state: DataState) -> Snapshot:
        connection = self._connection
        assert connection is not None
        collector = ObjectCollector()
        detection_pods = []
        with self._lock:
            units = [(u, list(u.entries.values()), u.error) for u in state.units]
        read_in: dict[str, set[str | None]] = {}
        for unit, entries, _ in units:
            read_in.setdefault(unit.kind.resource, set()).add(unit.namespace)
            for parsed in entries:
                if not unit.for_verdicts:
                    if parsed.attr == "pods":
                        detection_pods.append(parsed.value)
                    continue
                if parsed.attr is not None:
                    getattr(collector, parsed.attr)[parsed.key] = parsed.value
                collector.problems.extend(parsed.problems)
        collector.problems.extend(state.problems)
        collector.unreadable.extend(state.unreadable)
        # A cluster-wide list was refused and only some namespaces were read one by one: every other
        # namespace known to exist has that kind unreadable.
        known = set(collector.namespaces) | {p.namespace for p in collector.pods.values()}
        for plural, reason in state.cluster_denied.items():
            if plural == "namespaces" or None in read_in.get(plural, set()):
                continue
            done = read_in.get(plural, set()) | {g.namespace for g in state.unreadable if g.resource == plural}
            for name in sorted(known - {n for n in done if n}):
                collector.unreadable.append(Unreadable(Resource(plural), name, f"not read: listing {plural} cluster-wide "
                                                                               f"is forbidden ({reason})", GapKind.NOT_READ))
        for unit, _, error in units:
            if error:
                collector.problems.append(Problem("warning", "api", f"watch of {unit.describe()} is down: {error}; "
                                                  "showing the last data read, retrying"))
        detection = detect_cni([*collector.pods.values(), *detection_pods], state.cni_unreadable,
                               collector.nodes.values())
        collector.notices.extend(state.notices)
        collector.plugin = detection.plugin(policies_of=Profile.CALICO if collector.calico_policies_read else None)
        down = [f"watch of {unit.describe()} is down: {error}" for unit, _, error in units if error]
        if down:
            data_state = DataState.STALE
        description = f"context {connection.context} at {connection.server}; {detection.summary()}"
        return Snapshot.from_collector(collector, data_state, description, context=connection.context,
                                       server=connection.server, user=connection.user, namespace=state.focus,
                                       stale_reason=down[0] + (f" (and {len(down) - 1} more)" if len(down) > 1 else "")
                                       if down else None)

    # -- watching ---------------------------------------------------------------------------------

    def _publish_loop(self, state: _State, on_snapshot: Callable[[Snapshot], None], changed: threading.Event,
                      stop: threading.Event) -> None:
        opts = self.options
        while not stop.is_set():
            if not changed.wait(0.1):
                continue
            first = time.monotonic()
            changed.clear()
            # Debounce: wait for the burst to end (quiet for `debounce`), but no longer than `max_delay`.
            while not stop.is_set() and time.monotonic() - first < opts.max_delay:
                if not changed.wait(opts.debounce):
                    break
                changed.clear()
            if stop.is_set():
                break
            on_snapshot(self._snapshot(state, DataState.WATCHING))

    def _watch_unit(self, api: KubeApi, unit: _Unit, changed: threading.Event, stop: threading.Event) -> None:
        opts = self.options
        backoff = opts.backoff_initial
        while not stop.is_set():
            try:
                self._watch_once(api, unit, changed, stop)
                backoff = opts.backoff_initial  # a clean end (the server's timeoutSeconds): renew at once
                continue
            except ApiStatusError as exc:
                if exc.code == 410:
                    try:
                        self._list_into(api, unit)
                    except (ApiStatusError, TransportError) as relist_exc:
                        error = f"relisting after 410 Gone failed: {relist_exc}"
                    else:
                        self._set_error(unit, None, changed)
                        changed.set()
                        continue
                else:
                    error = str(exc)
            except TransportError as exc:
                error = exc.detail
            if stop.is_set():
                return
            self._set_error(unit, f"{error} (next attempt in {backoff:.1f} s)", changed)
            # Jitter keeps many watches from reconnecting in lockstep after an apiserver restart.
            stop.wait(backoff * random.uniform(0.8, 1.2))
            backoff = min(backoff * 2, opts.backoff_max)

    def _set_error(self, unit: _Unit, error: str | None, changed: threading.Event) -> None:
        with self._lock:
            before, unit.error = unit.error, error
        if before != error:
            changed.set()

    def _watch_once(self, api: KubeApi, unit: _Unit, changed: threading.Event, stop: threading.Event) -> None:
        kind = unit.kind
        stream = api.watch(kind.path(unit.namespace), unit.resource_version, self.options.watch_timeout)
        with self._lock:
            self._streams.add(stream)
        if stop.is_set():
            stream.close()
        try:
            self._set_error(unit, None, changed)
            for event in stream:
                kind_of_event = event.get("type")
                obj = as_dict(event.get("object"))
                if kind_of_event == "ERROR":
                    code = int(obj.get("code") or 500)
                    raise ApiStatusError(code, str(obj.get("reason") or "Error"), str(obj.get("message") or ""),
                                         kind.path(unit.namespace))
                meta = as_dict(obj.get("metadata"))
                rv = str(meta.get("resourceVersion") or "")
                if kind_of_event == "BOOKMARK":
                    if rv:
                        unit.resource_version = rv
                    continue
                if kind_of_event not in ("ADDED", "MODIFIED", "DELETED"):
                    continue
                raw = slim(kind.kind, obj, kind.api_version)
                key = _object_key(raw)
                parsed = None if kind_of_event == "DELETED" else _parse(raw)
                with self._lock:
                    if parsed is None:
                        unit.entries.pop(key, None)
                    else:
                        unit.entries[key] = parsed
                    if rv:
                        unit.resource_version = rv
                changed.set()
        finally:
            with self._lock:
                self._streams.discard(stream)
            stream.close()


def _gap_kind(exc: ApiStatusError) -> GapKind:
    return GapKind.FORBIDDEN if exc.code == 403 else GapKind.ERROR


def _reason(exc: ApiStatusError) -> str:
    if exc.code == 403:
        return f"forbidden: {exc.message}" if exc.message else "forbidden"
    return f"{exc.code} {exc.reason}" + (f": {exc.message}" if exc.message else "")


def _unique(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return out


def _served_versions(groups: dict[str, Any], name: str) -> set[str]:
    for group in groups.get("groups") or []:
        if isinstance(group, dict) and group.get("name") == name:
            return {str(v.get("version")) for v in group.get("versions") or [] if isinstance(v, dict)}
    return set()
