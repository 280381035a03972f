"""From-outside answers (`RouteVerdict`) as JSON: the path a request takes, each step's verdicts in the
same shape as the other answers (Service verdicts per data-plane source, explained verdicts)."""

from __future__ import annotations

from typing import Any

from kubenet_tui.engine.outside import BackendHop, EntryHop, Frontend, RoutePath, RouteVerdict
from kubenet_tui.render.json_out import verdict_json
from kubenet_tui.render.services_out import service_verdict_json


def _entry_json(hop: EntryHop) -> dict[str, Any]:
    return {
        "target": hop.target,
        "port": hop.port,
        "sources": hop.sources,
        "allowed": hop.status.allowed,
        "status": hop.status.value,
        "summary": hop.summary,
        "reach": hop.reach or None,
        "ranges": list(hop.ranges),
        "verdicts": [verdict_json(v) for v in hop.verdicts],
    }


def _frontend_json(frontend: Frontend) -> dict[str, Any]:
    plane = frontend.plane
    return {
        "kind": frontend.kind,
        "name": frontend.name,
        "how": frontend.how,
        "controller": plane.controller or None,
        "product": plane.product,
        "dataPlane": {
            "pods": [p.key for p in plane.pods],
            "identity": plane.identity,
            "foundBy": plane.found_by or None,
            "unknown": plane.unknown,
            "notes": list(plane.notes),
        },
        "exposure": frontend.exposure or None,
        "addresses": list(frontend.addresses),
        "allowed": frontend.status.allowed,
        "status": frontend.status.value,
        "entry": [_entry_json(h) for h in frontend.entry],
    }


def _backend_json(hop: BackendHop) -> dict[str, Any]:
    ref = hop.ref
    return {
        "kind": ref.kind,
        "group": ref.group,
        "namespace": ref.namespace,
        "name": ref.name,
        "port": ref.port,
        "weight": ref.weight,
        "mirror": hop.mirror,
        "allowed": hop.status.allowed,
        "status": hop.status.value,
        "note": hop.note or None,
        "sources": [service_verdict_json(sv) for sv in hop.verdicts],
    }


def _path_json(path: RoutePath) -> dict[str, Any]:
    ref = path.route
    return {
        "route": {"kind": ref.kind, "namespace": ref.namespace or None, "name": ref.name, "where": ref.where or None,
                  "yamlPath": list(ref.yaml_path)},
        "frontend": path.frontend,
        "match": path.match,
        "conditions": list(path.conditions),
        "answers": path.answers,
        "allowed": path.status.allowed,
        "status": path.status.value,
        "considered": list(path.considered),
        "backends": [_backend_json(h) for h in path.backends],
    }


def route_verdict_json(rv: RouteVerdict) -> dict[str, Any]:
    request = rv.request
    return {
        "allowed": rv.allowed,
        "status": rv.status.value,
        "summary": rv.summary,
        "source": {
            "kind": rv.kind,
            "name": rv.end,
            "url": {"scheme": request.scheme, "host": request.host, "port": request.port, "path": request.path}
            if request is not None else None,
        },
        "destination": rv.destination,
        "unknown": rv.unknown,
        "frontends": [_frontend_json(f) for f in rv.frontends],
        "paths": [_path_json(p) for p in rv.paths],
        "notes": list(rv.notes),
        "caveats": [{"code": c.code, "message": c.message} for c in rv.caveats],
    }
