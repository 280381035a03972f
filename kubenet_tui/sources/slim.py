"""Trim API objects to what the policy engine reads, as they arrive, before anything keeps them.

A real pod is several kilobytes of JSON (managedFields, env, volumes, statuses); 50,000 of them kept
whole would cost hundreds of megabytes for nothing. Trimming also keeps what a snapshot export writes
free of environment variables and other values that do not belong in a bug report.
"""

from __future__ import annotations

from typing import Any

_DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
_ROUTING_KINDS = frozenset({"Ingress", "IngressClass", "GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute",
                            "TCPRoute", "UDPRoute", "ReferenceGrant"})


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else an empty one: API objects may omit any section."""
    return value if isinstance(value, dict) else {}


def _meta(obj: dict[str, Any], annotations: bool = False) -> dict[str, Any]:
    meta = as_dict(obj.get("metadata"))
    out: dict[str, Any] = {k: meta[k] for k in ("name", "namespace", "labels", "uid", "resourceVersion") if k in meta}
    if annotations and isinstance(meta.get("annotations"), dict):
        kept = {k: v for k, v in meta["annotations"].items() if k not in _DROPPED_ANNOTATIONS}
        if kept:
            out["annotations"] = kept
    return out


def _containers(spec: dict[str, Any], group: str) -> list[dict[str, Any]] | None:
    containers = spec.get(group)
    if not isinstance(containers, list):
        return None
    out = []
    for c in containers:
        if isinstance(c, dict):
            # restartPolicy tells a sidecar (whose ports count) from a plain init container.
            out.append({k: c[k] for k in ("name", "image", "ports", "restartPolicy") if k in c})
    return out


def slim(kind: str, obj: dict[str, Any], api_version: str) -> dict[str, Any]:
    """The object reduced to what the parser uses, with `kind` and `apiVersion` set (list items lack them)."""
    head: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    if kind == "Pod":
        spec = as_dict(obj.get("spec"))
        status = as_dict(obj.get("status"))
        slim_spec: dict[str, Any] = {k: spec[k] for k in ("hostNetwork", "nodeName", "serviceAccountName") if k in spec}
        for group in ("initContainers", "containers"):
            containers = _containers(spec, group)
            if containers is not None:
                slim_spec[group] = containers
        return {**head, "metadata": _meta(obj), "spec": slim_spec,
                "status": {k: status[k] for k in ("phase", "podIP", "podIPs") if k in status}}
    if kind in ("Namespace", "ServiceAccount"):
        return {**head, "metadata": _meta(obj)}
    if kind == "Node":
        status = as_dict(obj.get("status"))
        spec = as_dict(obj.get("spec"))
        meta = _meta(obj)
        # k3s and RKE2 say how they were started in annotations: what tells their network plugin.
        marks = {k: v for k, v in as_dict(as_dict(obj.get("metadata")).get("annotations")).items()
                 if k.startswith(("k3s.io/", "rke2.io/"))}
        if marks:
            meta["annotations"] = marks
        kept = {k: status[k] for k in ("addresses",) if k in status}
        version = as_dict(status.get("nodeInfo")).get("kubeletVersion")
        if version:
            kept["nodeInfo"] = {"kubeletVersion": version}
        return {**head, "metadata": meta, "spec": {k: spec[k] for k in ("podCIDR", "podCIDRs") if k in spec},
                "status": kept}
    if kind == "Service":
        spec = as_dict(obj.get("spec"))
        keep = ("selector", "ports", "type", "clusterIP", "clusterIPs", "externalTrafficPolicy",
                "loadBalancerSourceRanges")
        return {**head, "metadata": _meta(obj), "spec": {k: spec[k] for k in keep if k in spec}}
    if kind == "EndpointSlice":
        return {**head, "metadata": _meta(obj),
                **{k: obj[k] for k in ("addressType", "endpoints", "ports") if k in obj}}
    if kind in _ROUTING_KINDS:
        # Where a controller published it (addresses) and whether it accepted a route are status;
        # route precedence reads the creation time.
        meta = _meta(obj, annotations=True)
        created = as_dict(obj.get("metadata")).get("creationTimestamp")
        if created:
            meta["creationTimestamp"] = created
        return {**head, "metadata": meta, **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}}
    # Policies of every tier: the spec is the point; status and bookkeeping are not.
    return {**head, "metadata": _meta(obj, annotations=True),
            **{k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata", "status")}}
