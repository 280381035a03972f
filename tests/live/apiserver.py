"""A small Kubernetes API server emulator speaking the real protocol over HTTPS, for the live-source tests.

There is no kube-apiserver on the test machines, so this serves what kubenet-tui and kubectl ask for,
the way the apiserver answers it: discovery (/api, /apis, group versions), list with labelSelector and
limit/continue pagination, watch with resourceVersion/timeoutSeconds/allowWatchBookmarks (chunked JSON
lines, a 410 ERROR event when the resourceVersion is compacted), get by name, and `Status` error bodies.
Authentication is a bearer token or a client certificate signed by the test CA; authorization is a small
RBAC model (denied resources per namespace, or a user confined to some namespaces). Faults can be
injected per resource, the server can go silent (accept, never answer), and every request is recorded
with its method so tests can prove the client only reads.

Run it as a script to serve N generated pods from a subprocess (used by benchmarks/live_list.py).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import itertools
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import trustme
import yaml


@dataclass(frozen=True)
class ResourceDef:
    plural: str
    kind: str
    group: str  # "" for the core group
    versions: tuple[str, ...]
    namespaced: bool
    key: str = ""  # where its objects are kept, when the plural is not unique (Calico's networkpolicies)

    @property
    def builtin(self) -> bool:
        return self.group in ("", "discovery.k8s.io", "networking.k8s.io")

    @property
    def store(self) -> str:
        return self.key or self.plural


RESOURCES: dict[str, ResourceDef] = {
    r.plural: r
    for r in (
        ResourceDef("namespaces", "Namespace", "", ("v1",), False),
        ResourceDef("nodes", "Node", "", ("v1",), False),
        ResourceDef("pods", "Pod", "", ("v1",), True),
        ResourceDef("services", "Service", "", ("v1",), True),
        ResourceDef("secrets", "Secret", "", ("v1",), True),
        ResourceDef("configmaps", "ConfigMap", "", ("v1",), True),
        ResourceDef("endpointslices", "EndpointSlice", "discovery.k8s.io", ("v1",), True),
        ResourceDef("networkpolicies", "NetworkPolicy", "networking.k8s.io", ("v1",), True),
        ResourceDef("adminnetworkpolicies", "AdminNetworkPolicy", "policy.networking.k8s.io", ("v1alpha1",), False),
        ResourceDef("baselineadminnetworkpolicies", "BaselineAdminNetworkPolicy", "policy.networking.k8s.io",
                    ("v1alpha1",), False),
        ResourceDef("clusternetworkpolicies", "ClusterNetworkPolicy", "policy.networking.k8s.io",
                    ("v1alpha2", "v1beta1"), False),
        ResourceDef("ciliumnetworkpolicies", "CiliumNetworkPolicy", "cilium.io", ("v2",), True),
        ResourceDef("ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", "cilium.io", ("v2",), False),
        ResourceDef("ciliumcidrgroups", "CiliumCIDRGroup", "cilium.io", ("v2alpha1",), False),
        ResourceDef("ingresses", "Ingress", "networking.k8s.io", ("v1",), True),
        ResourceDef("ingressclasses", "IngressClass", "networking.k8s.io", ("v1",), False),
        ResourceDef("gatewayclasses", "GatewayClass", "gateway.networking.k8s.io", ("v1", "v1beta1"), False),
        ResourceDef("gateways", "Gateway", "gateway.networking.k8s.io", ("v1", "v1beta1"), True),
        ResourceDef("httproutes", "HTTPRoute", "gateway.networking.k8s.io", ("v1", "v1beta1"), True),
        ResourceDef("grpcroutes", "GRPCRoute", "gateway.networking.k8s.io", ("v1",), True),
        ResourceDef("tlsroutes", "TLSRoute", "gateway.networking.k8s.io", ("v1alpha2",), True),
        ResourceDef("tcproutes", "TCPRoute", "gateway.networking.k8s.io", ("v1alpha2",), True),
        ResourceDef("referencegrants", "ReferenceGrant", "gateway.networking.k8s.io", ("v1beta1",), True),
    )
}
KIND_TO_PLURAL = {r.kind: r.plural for r in RESOURCES.values()}
POLICY_GROUP = "policy.networking.k8s.io"
CILIUM_GROUP = "cilium.io"
GATEWAY_GROUP = "gateway.networking.k8s.io"
INGRESS_PLURALS = ("ingresses", "ingressclasses")
# Calico: the same objects served by its API server (projectcalico.org/v3) and stored as CRDs
# (crd.projectcalico.org/v1); `FakeApiServer.calico_groups` says which of the two are served.
CALICO_GROUPS = {"projectcalico.org": "v3", "crd.projectcalico.org": "v1"}
CALICO_RESOURCES: dict[str, ResourceDef] = {
    r.kind: r
    for r in (
        ResourceDef(plural, kind, "projectcalico.org", ("v3",), namespaced, f"{plural}.projectcalico.org")
        for plural, kind, namespaced in (
            ("tiers", "Tier", False), ("networkpolicies", "NetworkPolicy", True),
            ("globalnetworkpolicies", "GlobalNetworkPolicy", False), ("networksets", "NetworkSet", True),
            ("globalnetworksets", "GlobalNetworkSet", False), ("hostendpoints", "HostEndpoint", False),
            ("stagednetworkpolicies", "StagedNetworkPolicy", True),
            ("stagedglobalnetworkpolicies", "StagedGlobalNetworkPolicy", False),
            ("stagedkubernetesnetworkpolicies", "StagedKubernetesNetworkPolicy", True),
        )
    )
}
RESOURCES["serviceaccounts"] = ResourceDef("serviceaccounts", "ServiceAccount", "", ("v1",), True)
KIND_TO_PLURAL["ServiceAccount"] = "serviceaccounts"


def resource_for(obj: dict[str, Any]) -> ResourceDef:
    """Which resource an object is, by its kind and (for Calico's kinds) its apiVersion's group."""
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    if group in CALICO_GROUPS:
        return CALICO_RESOURCES[obj["kind"]]
    return RESOURCES[KIND_TO_PLURAL[obj["kind"]]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    user: str | None

    @property
    def is_watch(self) -> bool:
        return self.query.get("watch") in ("1", "true")


@dataclass
class Fault:
    """Answer matching requests with an error status. `match` is a resource plural ("pods"), "*" for
    every resource request, or a path prefix ("/apis"); `query_key` narrows it to requests carrying that
    query parameter (e.g. "continue" for the later pages of a list)."""

    match: str
    code: int
    message: str = "injected fault"
    times: int | None = None  # None: every time
    namespace: str | None = None
    watch_only: bool = False
    query_key: str | None = None

    def applies(self, plural: str | None, namespace: str | None, path: str, query: dict[str, str],
                watch: bool) -> bool:
        if self.watch_only and not watch:
            return False
        if self.match.startswith("/"):
            if not path.startswith(self.match):
                return False
        elif plural is None or self.match not in (plural, "*"):
            return False
        if self.namespace is not None and self.namespace != namespace:
            return False
        if self.query_key is not None and self.query_key not in query:
            return False
        return self.times is None or self.times > 0


@dataclass
class _Event:
    rv: int
    plural: str
    type: str
    obj: dict[str, Any]


@dataclass
class Rbac:
    denied: set[tuple[str, str | None]] = field(default_factory=set)  # (plural, None=cluster-wide | ns)
    only_namespaces: set[str] | None = None  # confined user: these namespaces only, nothing cluster-scoped

    def allows(self, plural: str, namespace: str | None) -> bool:
        if (plural, namespace) in self.denied or ("*", namespace) in self.denied:
            return False
        if self.only_namespaces is not None:
            return namespace is not None and namespace in self.only_namespaces
        return True


# -- label selectors (the subset of the apiserver's syntax kubectl and clients send) ---------------

_SET_RE = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return parts


def selector_matches(text: str, labels: dict[str, str]) -> bool:
    for term in _split_selector(text):
        term = term.strip()
        match = _SET_RE.match(term)
        if match:
            key, op, values = match.group(1), match.group(2), {v.strip() for v in match.group(3).split(",")}
            if op == "in" and labels.get(key) not in values:
                return False
            if op == "notin" and key in labels and labels[key] in values:
                return False
        elif "!=" in term:
            key, value = (s.strip() for s in term.split("!=", 1))
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = (s.strip() for s in term.replace("==", "=").split("=", 1))
            if labels.get(key) != value:
                return False
        elif term.startswith("!"):
            if term[1:].strip() in labels:
                return False
        elif term not in labels:
            return False
    return True


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    }
    if details:
        body["details"] = details
    return body


_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
            410: "Expired", 500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout"}


class FakeApiServer:
    """The emulator. Start with `start()`, stop with `stop()` (or use it as a context manager)."""

    def __init__(self, ca: trustme.CA | None = None, token: str = "t0ken-for-tests", user: str = "alice") -> None:
        self.ca = ca or trustme.CA()
        self.tokens: dict[str, str] = {token: user}
        self.token = token
        self.user = user
        self.rbac: dict[str, Rbac] = {}  # per user; absent: everything allowed
        self.policy_versions: set[str] = set()  # served versions of policy.networking.k8s.io
        self.cilium_versions: set[str] = set()  # served versions of cilium.io (Cilium installed: v2, v2alpha1)
        self.calico_groups: set[str] = set()  # served Calico groups (projectcalico.org, crd.projectcalico.org)
        self.ingress_served = True  # networking.k8s.io/v1 serves Ingress and IngressClass (every cluster since 1.19)
        self.gateway_versions: set[str] = set()  # served versions of gateway.networking.k8s.io (Gateway API CRDs)
        self.faults: list[Fault] = []
        self.silent = False  # accept and read requests, never answer
        self.requests: list[Request] = []
        self.gone_sent = 0  # watches answered with a 410 ERROR event
        self.objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {
            r.store: {} for r in (*RESOURCES.values(), *CALICO_RESOURCES.values())}
        self.rv = 100
        self.compacted_rv = 0
        self.max_watch_seconds = 30.0
        self._events: list[_Event] = []
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._watch_sockets: set[socket.socket] = set()
        self._uid = itertools.count(1)
        self._list_cache: dict[tuple[str, str | None, str | None], tuple[int, list[dict[str, Any]]]] = {}
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeApiServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        self.ca.configure_trust(context)
        context.verify_mode = ssl.CERT_OPTIONAL  # client certificates authenticate, tokens too
        self._httpd = _Server(("127.0.0.1", 0), _Handler, context, self)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-apiserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        with self._cond:
            self._cond.notify_all()
        self.drop_watches()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def closing(self) -> threading.Event:
        return self._closing

    def kubeconfig(self, path: Path, context: str = "test", namespace: str | None = None,
                   user: dict[str, Any] | None = None, server: str | None = None) -> Path:
        """Write a kubeconfig for this server: CA data inline, the bearer token unless `user` says otherwise."""
        ctx: dict[str, Any] = {"cluster": context, "user": f"{context}-user"}
        if namespace:
            ctx["namespace"] = namespace
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": context,
            "clusters": [{"name": context, "cluster": {
                "server": server or self.url,
                "certificate-authority-data": base64.b64encode(self.ca.cert_pem.bytes()).decode()}}],
            "users": [{"name": f"{context}-user", "user": user if user is not None else {"token": self.token}}],
            "contexts": [{"name": context, "context": ctx}],
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # -- state ----------------------------------------------------------------------------------

    def _next_rv(self) -> int:
        self.rv += 1
        return self.rv

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create or replace an object (by kind/namespace/name); watchers see ADDED or MODIFIED."""
        obj = copy.deepcopy(obj)
        rdef = resource_for(obj)
        plural = rdef.store
        obj.pop("kind")
        obj.pop("apiVersion", None)  # stored bare, dressed per request with the version asked for
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace", "") if rdef.namespaced else "", meta["name"])
        with self._cond:
            existing = self.objects[plural].get(key)
            meta.setdefault("uid", existing["metadata"]["uid"] if existing else f"uid-{next(self._uid)}")
            meta.setdefault("creationTimestamp", "2024-05-01T10:00:00Z")
            meta["resourceVersion"] = str(self._next_rv())
            self.objects[plural][key] = obj
            self._events.append(_Event(self.rv, plural, "MODIFIED" if existing else "ADDED", obj))
            self._cond.notify_all()
        return obj

    def put_many(self, objects: list[dict[str, Any]]) -> None:
        """All at once: no watcher sees some of them before the others (the lock is re-entrant)."""
        with self._cond:
            for obj in objects:
                self.put(obj)

    def delete(self, kind: str, name: str, namespace: str = "", api_version: str = "") -> None:
        plural = resource_for({"kind": kind, "apiVersion": api_version}).store
        with self._cond:
            obj = self.objects[plural].pop((namespace, name))
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self._next_rv())
            self._events.append(_Event(self.rv, plural, "DELETED", obj))
            self._cond.notify_all()

    def compact(self) -> None:
        """Forget history: watches and continue tokens from before now get 410 Gone."""
        with self._cond:
            self.compacted_rv = self.rv
            self._events.clear()
            self._cond.notify_all()

    def drop_watches(self) -> None:
        """Cut every open watch connection, as a restarting apiserver or a load balancer would."""
        with self._cond:
            sockets = list(self._watch_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def watch_count(self) -> int:
        with self._cond:
            return len(self._watch_sockets)

    def methods(self) -> set[str]:
        return {r.method for r in self.requests}

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if predicate():
                return True
            deadline.wait(0.02)
        return predicate()

    # -- request handling (called from handler threads) -----------------------------------------

    def fault_for(self, plural: str | None, namespace: str | None, path: str, query: dict[str, str],
                  watch: bool) -> Fault | None:
        for fault in self.faults:
            if fault.applies(plural, namespace, path, query, watch):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def list_objects(self, plural: str, namespace: str | None, selector: str | None) -> tuple[list[dict[str, Any]], int]:
        with self._cond:
            # Pages of one list share the result while nothing changed: re-sorting 50,000 pods per page
            # would make the emulator, not the client, the cost being measured.
            cache_key = (plural, namespace, selector)
            cached = self._list_cache.get(cache_key)
            if cached is not None and cached[0] == self.rv:
                return cached[1], self.rv
            items = [
                obj for (ns, _), obj in sorted(self.objects[plural].items())
                if (namespace is None or ns == namespace)
                and (not selector or selector_matches(selector, obj["metadata"].get("labels") or {}))
            ]
            self._list_cache[cache_key] = (self.rv, items)
            return items, self.rv

    def events_after(self, since: int, plural: str, namespace: str | None, selector: str | None,
                     deadline: float) -> Iterator[_Event | None]:
        """Matching events after `since`, waiting for new ones until `deadline` (monotonic).
        Yields None when the history before `since` was compacted (the caller sends 410)."""
        import time

        last = since
        while not self._closing.is_set():
            with self._cond:
                if last < self.compacted_rv:
                    yield None
                    return
                ready = [e for e in self._events if e.rv > last]
                if not ready:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return
                    self._cond.wait(min(remaining, 0.5))
                    continue
            for event in ready:
                last = event.rv
                meta = event.obj["metadata"]
                if event.plural != plural:
                    continue
                if namespace is not None and meta.get("namespace") != namespace:
                    continue
                if selector and not selector_matches(selector, meta.get("labels") or {}):
                    continue
                yield event
            if time.monotonic() >= deadline:
                return

    def register_watch(self, sock: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._watch_sockets.add(sock)
            else:
                self._watch_sockets.discard(sock)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext,
                 api: FakeApiServer) -> None:
        super().__init__(address, handler)
        self.context = context
        self.api = api

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread: a client that connects and never
        # speaks TLS must not stall the accept loop.
        request.settimeout(10)
        # Go's net/http (the real apiserver) disables Nagle; without this, headers and body written
        # separately wait for a delayed ACK: 40 ms per request.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        tls.settimeout(None)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-response is normal in these tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def api(self) -> FakeApiServer:
        return self.server.api

    # Every method is recorded, so a test can prove the client sent nothing but GET.
    def do_POST(self) -> None:
        self._other()

    def do_PUT(self) -> None:
        self._other()

    def do_PATCH(self) -> None:
        self._other()

    def do_DELETE(self) -> None:
        self._other()

    def _other(self) -> None:
        self._record()
        self._status(405, f"method {self.command} is not allowed by this emulator")

    def _record(self) -> tuple[str, dict[str, str], str | None]:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        user = self._authenticate()
        self.api.requests.append(Request(self.command, parts.path, query, user))
        return parts.path, query, user

    def _authenticate(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return self.api.tokens.get(header[7:].strip())
        cert = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        if cert:
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        return str(value)
        return None

    def _send_json(self, code: int, body: Any) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _status(self, code: int, message: str, details: dict[str, Any] | None = None) -> None:
        self._send_json(code, status_body(code, _REASONS.get(code, "Unknown"), message, details))

    def do_GET(self) -> None:
        path, query, user = self._record()
        if self.api.silent:
            # Accept the request and never answer, until the test ends.
            self.api.closing.wait()
            self.close_connection = True
            return
        if path == "/version":
            self._send_json(200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-emulator", "platform": "linux/amd64"})
            return
        if user is None:
            self._status(401, "Unauthorized")
            return
        try:
            self._route(path.rstrip("/") or "/", query, user)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _route(self, path: str, query: dict[str, str], user: str) -> None:
        api = self.api
        segments = [s for s in path.split("/") if s]
        fault = api.fault_for(None, None, path, query, False)
        if fault is not None:
            self._status(fault.code, fault.message)
            return
        if path == "/api":
            self._send_json(200, {"kind": "APIVersions", "versions": ["v1"],
                                  "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]})
            return
        if path == "/apis":
            self._send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": self._groups()})
            return
        if segments[:1] == ["apis"] and len(segments) == 2:
            group = next((g for g in self._groups() if g["name"] == segments[1]), None)
            if group is None:
                self._status(404, "the server could not find the requested resource")
            else:
                self._send_json(200, {"kind": "APIGroup", "apiVersion": "v1", **group})
            return
        if (segments == ["api", "v1"]) or (segments[:1] == ["apis"] and len(segments) == 3):
            group, version = ("", "v1") if segments[0] == "api" else (segments[1], segments[2])
            if not self._served(group, version):
                self._status(404, "the server could not find the requested resource")
                return
            defs = CALICO_RESOURCES.values() if group in CALICO_GROUPS else [
                r for r in RESOURCES.values() if r.group == group and version in r.versions
                and (api.ingress_served or r.plural not in INGRESS_PLURALS)]
            resources = [
                {"name": r.plural, "singularName": r.kind.lower(), "namespaced": r.namespaced, "kind": r.kind,
                 "verbs": ["get", "list", "watch"]}
                for r in defs
            ]
            self._send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                  "groupVersion": f"{group}/{version}" if group else version, "resources": resources})
            return
        # Resource paths: /api/v1[/namespaces/NS]/PLURAL[/NAME], /apis/G/V[/namespaces/NS]/PLURAL[/NAME]
        if segments[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", segments[2:]
        elif segments[:1] == ["apis"] and len(segments) > 3:
            group, version, rest = segments[1], segments[2], segments[3:]
        else:
            self._status(404, "the server could not find the requested resource")
            return
        if not self._served(group, version):
            self._status(404, "the server could not find the requested resource")
            return
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        if group in CALICO_GROUPS:
            rdef = next((r for r in CALICO_RESOURCES.values() if r.plural == plural), None)
        else:
            rdef = RESOURCES.get(plural)
            if rdef is not None and (rdef.group != group or version not in rdef.versions):
                rdef = None
            if rdef is not None and rdef.plural in INGRESS_PLURALS and not api.ingress_served:
                rdef = None
        if rdef is None or (namespace and not rdef.namespaced):
            self._status(404, "the server could not find the requested resource")
            return
        self.group = group
        watch = query.get("watch") in ("1", "true")
        verb = "watch" if watch else ("get" if name else "list")
        fault = api.fault_for(plural, namespace, path, query, watch)
        if fault is not None:
            self._status(fault.code, fault.message)
            return
        rbac = api.rbac.get(user)
        scope_ns = namespace if rdef.namespaced else None
        if rbac is not None and not rbac.allows(rdef.store, scope_ns):
            group_text = group
            where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            resource_text = f"{plural}.{group}" if group else plural
            self._status(403, f'{resource_text} is forbidden: User "{user}" cannot {verb} resource "{plural}" '
                              f'in API group "{group_text}" {where}',
                         {"kind": plural, **({"group": group} if group else {})})
            return
        if name is not None:
            key = (namespace or "", name)
            obj = api.objects[rdef.store].get(key)
            if obj is None:
                self._status(404, f'{plural} "{name}" not found', {"name": name, "kind": plural})
                return
            self._send_json(200, self._dress(obj, rdef, version))
            return
        if watch:
            self._watch(rdef, version, namespace, query)
        else:
            self._list(rdef, version, namespace, query)

    def _groups(self) -> list[dict[str, Any]]:
        groups = [
            {"name": "discovery.k8s.io", "versions": [{"groupVersion": "discovery.k8s.io/v1", "version": "v1"}],
             "preferredVersion": {"groupVersion": "discovery.k8s.io/v1", "version": "v1"}},
            {"name": "networking.k8s.io", "versions": [{"groupVersion": "networking.k8s.io/v1", "version": "v1"}],
             "preferredVersion": {"groupVersion": "networking.k8s.io/v1", "version": "v1"}},
        ]
        versions = sorted(self.api.policy_versions, reverse=True)
        if versions:
            entries = [{"groupVersion": f"{POLICY_GROUP}/{v}", "version": v} for v in versions]
            groups.append({"name": POLICY_GROUP, "versions": entries, "preferredVersion": entries[0]})
        cilium = sorted(self.api.cilium_versions)
        if cilium:
            entries = [{"groupVersion": f"{CILIUM_GROUP}/{v}", "version": v} for v in cilium]
            groups.append({"name": CILIUM_GROUP, "versions": entries, "preferredVersion": entries[0]})
        for name in sorted(self.api.calico_groups):
            entry = {"groupVersion": f"{name}/{CALICO_GROUPS[name]}", "version": CALICO_GROUPS[name]}
            groups.append({"name": name, "versions": [entry], "preferredVersion": entry})
        gateway = sorted(self.api.gateway_versions)
        if gateway:
            entries = [{"groupVersion": f"{GATEWAY_GROUP}/{v}", "version": v} for v in gateway]
            groups.append({"name": GATEWAY_GROUP, "versions": entries, "preferredVersion": entries[0]})
        return groups

    def _served(self, group: str, version: str) -> bool:
        if group == "":
            return version == "v1"
        if group == POLICY_GROUP:
            return version in self.api.policy_versions
        if group == CILIUM_GROUP:
            return version in self.api.cilium_versions
        if group in CALICO_GROUPS:
            return group in self.api.calico_groups and version == CALICO_GROUPS[group]
        if group == GATEWAY_GROUP:
            return version in self.api.gateway_versions
        return group in ("discovery.k8s.io", "networking.k8s.io") and version == "v1"

    group = ""  # the API group of the request being answered (Calico's objects are served under two)

    def _dress(self, obj: dict[str, Any], rdef: ResourceDef, version: str) -> dict[str, Any]:
        group = self.group if rdef.group == "projectcalico.org" else rdef.group
        api_version = f"{group}/{version}" if group else version
        return {**obj, "apiVersion": api_version, "kind": rdef.kind}

    def _list(self, rdef: ResourceDef, version: str, namespace: str | None, query: dict[str, str]) -> None:
        api = self.api
        items, rv = api.list_objects(rdef.store, namespace, query.get("labelSelector"))
        offset = 0
        token = query.get("continue")
        if token:
            state = json.loads(base64.urlsafe_b64decode(token.encode()))
            if state["rv"] < api.compacted_rv:
                self._status(410, "The provided continue parameter is too old to display a consistent list result. "
                                  "You can start a new list without the continue parameter.")
                return
            offset = state["offset"]
        limit = int(query.get("limit") or 0)
        page = items[offset: offset + limit] if limit else items[offset:]
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        following = offset + len(page)
        if limit and following < len(items):
            meta["continue"] = base64.urlsafe_b64encode(json.dumps({"rv": rv, "offset": following}).encode()).decode()
            meta["remainingItemCount"] = len(items) - following
        # Typed lists omit kind/apiVersion on their items; custom resources carry them.
        out_items = page if rdef.builtin else [self._dress(o, rdef, version) for o in page]
        group = self.group if rdef.group == "projectcalico.org" else rdef.group
        api_version = f"{group}/{version}" if group else version
        self._send_json(200, {"kind": f"{rdef.kind}List", "apiVersion": api_version, "metadata": meta,
                              "items": out_items})

    def _watch(self, rdef: ResourceDef, version: str, namespace: str | None, query: dict[str, str]) -> None:
        import time

        api = self.api
        timeout = min(float(query.get("timeoutSeconds") or api.max_watch_seconds), api.max_watch_seconds)
        deadline = time.monotonic() + timeout
        selector = query.get("labelSelector")
        since_text = query.get("resourceVersion") or "0"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        api.register_watch(self.connection, True)
        try:
            if since_text == "0":
                # "Any" resourceVersion: the current state as ADDED events first, then changes.
                items, since = api.list_objects(rdef.store, namespace, selector)
                for obj in items:
                    self._chunk({"type": "ADDED", "object": self._dress(obj, rdef, version)})
            else:
                since = int(since_text)
            for event in api.events_after(since, rdef.store, namespace, selector, deadline):
                if event is None:
                    api.gone_sent += 1
                    self._chunk({"type": "ERROR", "object": status_body(
                        410, "Expired", f"too old resource version: {since} ({api.compacted_rv})")})
                    break
                self._chunk({"type": event.type, "object": self._dress(event.obj, rdef, version)})
            else:
                if query.get("allowWatchBookmarks") in ("1", "true"):
                    self._chunk({"type": "BOOKMARK", "object": {
                        "kind": rdef.kind, "apiVersion": f"{rdef.group}/{version}" if rdef.group else version,
                        "metadata": {"resourceVersion": str(api.rv)}}})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            api.register_watch(self.connection, False)
        self.close_connection = True

    def _chunk(self, body: dict[str, Any]) -> None:
        data = json.dumps(body, separators=(",", ":")).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


def silent_tcp_server() -> tuple[socket.socket, threading.Event]:
    """A listener that accepts connections and never says a word (not even TLS). Returns the socket
    (its port is the address) and an event that releases the held connections when set."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    release = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.1)
        while not release.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            held.append(conn)
        for conn in held:
            conn.close()
        listener.close()

    threading.Thread(target=accept, daemon=True, name="silent-listener").start()
    return listener, release


# -- object builders, shared by tests and the benchmark -------------------------------------------

def namespace(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": "Namespace", "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name,
                                                                        **(labels or {})}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def pod(ns: str, name: str, labels: dict[str, str], ip: str | None, ports: list[dict[str, Any]] | None = None,
        host_network: bool = False, node: str = "node-1", realistic: bool = False) -> dict[str, Any]:
    """A pod as the apiserver returns it. `realistic` adds what real pods carry (managedFields, env,
    statuses, a service-account token volume...) so size and decoding cost are true to life."""
    container: dict[str, Any] = {"name": "main", "image": "registry.example/app:1.2.3", "ports": ports or []}
    obj: dict[str, Any] = {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [container], "nodeName": node, **({"hostNetwork": True} if host_network else {})},
        "status": {"phase": "Running" if ip else "Pending", **({"podIP": ip, "podIPs": [{"ip": ip}]} if ip else {})},
    }
    if realistic:
        container.update({
            "env": [{"name": f"SETTING_{i}", "value": f"value-{i}"} for i in range(6)]
            + [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "volumeMounts": [{"name": "kube-api-access-x7k2p", "readOnly": True,
                              "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}],
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
            "terminationMessagePath": "/dev/termination-log", "imagePullPolicy": "IfNotPresent",
        })
        obj["metadata"].update({
            "generateName": name.rsplit("-", 1)[0] + "-",
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name.rsplit("-", 1)[0],
                                 "uid": "6f1c2a8e-0000-4000-8000-000000000000", "controller": True}],
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-05-01T10:00:00Z"},
            "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                               "time": "2024-05-01T10:00:00Z", "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}},
                                            "f:spec": {"f:containers": {'k:{"name":"main"}': {".": {}, "f:image": {}}}}}},
                              {"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                               "time": "2024-05-01T10:00:05Z", "fieldsType": "FieldsV1", "subresource": "status",
                               "fieldsV1": {"f:status": {"f:conditions": {}, "f:podIP": {}, "f:podIPs": {}}}}],
        })
        obj["spec"].update({
            "volumes": [{"name": "kube-api-access-x7k2p", "projected": {"sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "serviceAccountName": "default",
            "schedulerName": "default-scheduler", "priority": 0, "enableServiceLinks": True,
            "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                             "tolerationSeconds": 300}],
        })
        obj["status"].update({
            "hostIP": "192.168.10.11", "startTime": "2024-05-01T10:00:00Z", "qosClass": "Burstable",
            "conditions": [{"type": t, "status": "True", "lastTransitionTime": "2024-05-01T10:00:05Z"}
                           for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                     "PodScheduled")],
            "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "started": True,
                                   "image": "registry.example/app:1.2.3",
                                   "imageID": "registry.example/app@sha256:" + "ab" * 32,
                                   "containerID": "containerd://" + "cd" * 32,
                                   "state": {"running": {"startedAt": "2024-05-01T10:00:04Z"}}}],
        })
    return obj


def service(ns: str, name: str, selector: dict[str, str] | None, port: int, target: int | str) -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}],
                     "type": "ClusterIP", "clusterIP": "10.96.0.10"}}


def endpoint_slice(ns: str, service_name: str, ips: list[str], port: int) -> dict[str, Any]:
    return {"kind": "EndpointSlice", "metadata": {"name": f"{service_name}-abcde", "namespace": ns,
                                                  "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4", "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
            "ports": [{"port": port, "protocol": "TCP"}]}


def network_policy(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def node(name: str, ip: str) -> dict[str, Any]:
    return {"kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def secret(ns: str, name: str) -> dict[str, Any]:
    return {"kind": "Secret", "metadata": {"name": name, "namespace": ns}, "data": {"password": "aHVudGVyMg=="}}


def generated_pods(count: int, namespaces: int = 50, realistic: bool = True) -> Iterator[dict[str, Any]]:
    """`count` pods spread over `namespaces` namespaces, with unique IPs in 10.0.0.0/8."""
    for i in range(count):
        ns = f"team-{i % namespaces:03d}"
        ip = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"
        yield pod(ns, f"web-{i:06d}-x7k2p", {"app": "web", "team": ns, "tier": "frontend" if i % 2 else "backend"},
                  ip, [{"name": "http", "containerPort": 8080, "protocol": "TCP"}], realistic=realistic)


def _main() -> None:
    """Serve generated pods from a subprocess: prints the kubeconfig path, then serves until stdin closes."""
    import argparse
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    server = FakeApiServer()
    for i in range(args.namespaces):
        server.put(namespace(f"team-{i:03d}"))
    # Straight into the store: put() per object would keep a watch history of every pod.
    for obj in generated_pods(args.pods, args.namespaces):
        del obj["kind"]
        server.rv += 1
        obj["metadata"].update({"uid": f"uid-{server.rv}", "resourceVersion": str(server.rv)})
        server.objects["pods"][(obj["metadata"]["namespace"], obj["metadata"]["name"])] = obj
    server.start()
    directory = Path(args.dir or tempfile.mkdtemp(prefix="kubenet-bench-"))
    path = server.kubeconfig(directory / "kubeconfig")
    print(path, flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    _main()
