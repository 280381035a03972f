"""Calico manifests for tests, fed through the real loader and read with the calico profile.

The world is the upstream e2e topology of `engine.kit` (namespaces x, y, z labelled `ns: <name>`,
pods a, b, c labelled `pod: <name>` serving 80/81 on TCP, UDP and SCTP with the e2e port names;
x/a is 10.1.0.1, y/b 10.2.0.2, ...), plus whatever Calico objects a test adds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from engine.kit import Manifest, load, xyz_objects

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.profiles import Profile

API = "projectcalico.org/v3"


def obj(kind: str, name: str, spec: Mapping[str, Any] | None = None, namespace: str | None = None,
        labels: Mapping[str, str] | None = None, api: str = API) -> Manifest:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    if labels is not None:
        meta["labels"] = dict(labels)
    out: Manifest = {"apiVersion": api, "kind": kind, "metadata": meta}
    if spec is not None:
        out["spec"] = dict(spec)
    return out


def tier(name: str, order: float | None = None, default_action: str | None = None) -> Manifest:
    spec: dict[str, Any] = {}
    if order is not None:
        spec["order"] = order
    if default_action is not None:
        spec["defaultAction"] = default_action
    return obj("Tier", name, spec)


def gnp(name: str, **spec: Any) -> Manifest:
    return obj("GlobalNetworkPolicy", name, spec)


def np(namespace: str, name: str, **spec: Any) -> Manifest:
    return obj("NetworkPolicy", name, spec, namespace)


def staged_gnp(name: str, **spec: Any) -> Manifest:
    return obj("StagedGlobalNetworkPolicy", name, spec)


def staged_np(namespace: str, name: str, **spec: Any) -> Manifest:
    return obj("StagedNetworkPolicy", name, spec, namespace)


def global_set(name: str, nets: Iterable[str], **labels: str) -> Manifest:
    return obj("GlobalNetworkSet", name, {"nets": list(nets)}, labels=labels)


def network_set(namespace: str, name: str, nets: Iterable[str], **labels: str) -> Manifest:
    return obj("NetworkSet", name, {"nets": list(nets)}, namespace, labels)


def service_account(namespace: str, name: str, **labels: str) -> Manifest:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace,
                                                                       "labels": labels}}


def rule(action: str, **fields: Any) -> dict[str, Any]:
    return {"action": action, **fields}


def calico(*objects: Manifest | Iterable[Manifest], world: bool = True) -> Cluster:
    """The cluster read with the calico profile; fails if the loader rejects a test manifest."""
    collector = load(*((xyz_objects(),) if world else ()), *objects)
    errors = [p.describe() for p in collector.problems if p.severity == "error"]
    assert not errors, f"test manifests rejected by the loader: {errors}"
    return replace(collector.cluster(), profile_override=Profile.CALICO)
