"""Text and JSON for `kubenet-tui coverage` and `kubenet-tui exposure`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from kubenet_tui.engine.coverage import EVALUATED, Coverage, Isolation, NamespaceCoverage
from kubenet_tui.engine.explain import Direction
from kubenet_tui.engine.exposure import Exposure, PortExposure, Reach
from kubenet_tui.engine.model import Pod

LISTED = 10
_COLUMNS = (Isolation.BOTH, Isolation.INGRESS, Isolation.EGRESS, Isolation.NEITHER, Isolation.UNKNOWN)
_REACH = {Reach.ALL: "✔", Reach.SOME: "◐", Reach.NONE: "✗", Reach.UNKNOWN: "?"}
_ASCII_REACH = {Reach.ALL: "+", Reach.SOME: "~", Reach.NONE: "x", Reach.UNKNOWN: "?"}


def _names(pods: Sequence[Pod]) -> str:
    shown = ", ".join(p.key for p in pods[:LISTED])
    return shown + (f" and {len(pods) - LISTED} more" if len(pods) > LISTED else "")


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


# -- coverage -----------------------------------------------------------------------------------------


def _coverage_row(name: str, counts: dict[Isolation, int], evaluated: int, width: int) -> str:
    isolated = counts[Isolation.BOTH] + counts[Isolation.INGRESS] + counts[Isolation.EGRESS]
    cells = "".join(f"{counts[c]:>9}" for c in _COLUMNS)
    return (f"{name:<{width}} {sum(counts.values()):>6}{cells} {_share(isolated, evaluated):>9} {counts[Isolation.HOST_NETWORK]:>9}"
            f" {counts[Isolation.NOT_RUNNING]:>12}")


def coverage_lines(found: Coverage, unicode: bool = True) -> Iterator[str]:
    yield ("Isolation: pods that a NetworkPolicy (or a plugin tier's default deny) selects, per direction; "
           "'isolated': share of the running, enforceable pods isolated in at least one direction")
    if not found.namespaces:
        yield "no pods"
        return
    width = max(len("namespace"), len("overall"), *(len(ns.namespace) for ns in found.namespaces))
    yield (f"{'namespace':<{width}} {'pods':>6}" + "".join(f"{c.value:>9}" for c in _COLUMNS)
           + f" {'isolated':>9} {'host-net':>9} {'not running':>12}")
    for ns in found.namespaces:
        yield _coverage_row(ns.namespace, {c: ns.count(c) for c in Isolation}, ns.evaluated, width)
    yield _coverage_row("overall", {c: found.count(c) for c in Isolation}, found.evaluated, width)
    admin_in, admin_out = found.admin(Direction.INGRESS), found.admin(Direction.EGRESS)
    if admin_in or admin_out:
        yield (f"admin-tier policies also govern {admin_in} pods for ingress and {admin_out} for egress "
               "(they deny or allow what their rules match, without isolating)")
    open_pods = [p.pod for ns in found.namespaces for p in ns.pods if p.isolation is Isolation.NEITHER]
    if open_pods:
        yield f"isolated in neither direction: {_names(open_pods)}"
    unknown = [p for ns in found.namespaces for p in ns.pods if p.isolation is Isolation.UNKNOWN]
    if unknown:
        yield f"cannot tell for {_names([p.pod for p in unknown])}: {unknown[0].why_unknown}"


def _namespace_json(ns: NamespaceCoverage) -> dict[str, Any]:
    pods: dict[str, list[str]] = {c.value: [] for c in Isolation}
    for p in ns.pods:
        pods[p.isolation.value].append(p.pod.name)
    return {
        "namespace": ns.namespace,
        "counts": {c.value: ns.count(c) for c in Isolation},
        "evaluated": ns.evaluated,
        "adminGoverned": {d.value: ns.admin(d) for d in Direction},
        "pods": pods,
        "unknownReasons": {p.pod.name: p.why_unknown for p in ns.pods if p.isolation is Isolation.UNKNOWN},
    }


def coverage_json(found: Coverage) -> dict[str, Any]:
    return {
        "namespaces": [_namespace_json(ns) for ns in found.namespaces],
        "overall": {"counts": {c.value: found.count(c) for c in Isolation}, "evaluated": found.evaluated,
                    "adminGoverned": {d.value: found.admin(d) for d in Direction}},
        "states": {c.value: c in EVALUATED for c in Isolation},
    }


# -- exposure -----------------------------------------------------------------------------------------


def _port(e: PortExposure) -> str:
    if e.port is None:
        return f"any {e.protocol.value}"
    return f"{e.port}/{e.protocol.value}" + (f" ({e.port_name})" if e.port_name else "")


def _outside(e: PortExposure, unicode: bool) -> str:
    symbol = (_REACH if unicode else _ASCII_REACH)[e.outside]
    text = f"{symbol} {e.outside.value}"
    if e.outside in (Reach.SOME, Reach.UNKNOWN) and e.ranges:
        shown = ", ".join(e.ranges[:3]) + (f" (+{len(e.ranges) - 3})" if len(e.ranges) > 3 else "")
        text += f": {shown}"
    return text


def _every(e: PortExposure, unicode: bool) -> str:
    symbol = (_REACH if unicode else _ASCII_REACH)[e.namespaces]
    return f"{symbol} {e.namespaces.value} ({e.namespaces_admitted} of {e.namespaces_total} namespaces wholly)"


def exposure_cells(e: PortExposure, unicode: bool = True) -> tuple[str, str, str]:
    """A pod port's row of `exposure_lines` in its parts: the port, from outside, from every namespace."""
    return _port(e), _outside(e, unicode), _every(e, unicode)


def shown_ports(found: Exposure, every_port: bool = False) -> list[PortExposure]:
    """The pod ports `exposure_lines` lists: open from outside or to every namespace (or every one)."""
    return [e for e in found.ports
            if every_port or e.outside is not Reach.NONE or e.namespaces in (Reach.ALL, Reach.UNKNOWN)]


def exposure_lines(found: Exposure, unicode: bool = True, every_port: bool = False) -> Iterator[str]:
    yield ("Exposure, from the pod's ingress: 'outside' = addresses outside the cluster (0.0.0.0/0, ::/0), "
           "'namespaces' = every pod of every namespace")
    shown = shown_ports(found, every_port)
    if shown:
        pod_width = max(len("pod"), *(len(e.pod.key) for e in shown))
        port_width = max(len("port"), *(len(_port(e)) for e in shown))
        yield f"{'pod':<{pod_width}}  {'port':<{port_width}}  {'outside':<34}  namespaces"
        for e in shown:
            yield f"{e.pod.key:<{pod_width}}  {_port(e):<{port_width}}  {_outside(e, unicode):<34}  {_every(e, unicode)}"
    else:
        yield "no port is reachable from outside or from every namespace"
    all_outside = found.pods(outside=Reach.ALL)
    some_outside = [p for p in found.pods(outside=Reach.SOME) if p not in all_outside]
    every_ns = found.pods(namespaces=Reach.ALL)
    yield (f"{len(all_outside)} pods reachable from every outside address on some port, {len(some_outside)} more "
           f"from some outside addresses; {len(every_ns)} admit every pod of every namespace on some port")
    unknown = found.pods(outside=Reach.UNKNOWN) + found.pods(namespaces=Reach.UNKNOWN)
    if unknown:
        yield f"cannot tell for {_names(sorted(set(unknown), key=lambda p: p.key))}: data that decides it was not read"
    if found.host_network:
        yield f"host network, not enforceable (pod policies do not govern them): {_names(found.host_network)}"


def exposure_json(found: Exposure) -> dict[str, Any]:
    return {
        "ports": [{
            "pod": e.pod.key,
            "protocol": e.protocol.value,
            "port": e.port,
            "portName": e.port_name,
            "outside": {"reach": e.outside.value, "ranges": list(e.ranges), "unknownRanges": list(e.unknown_ranges)},
            "namespaces": {"reach": e.namespaces.value, "admittedWholly": e.namespaces_admitted,
                           "of": e.namespaces_total},
        } for e in found.ports],
        "hostNetwork": [p.key for p in found.host_network],
        "summary": {
            "outsideAll": [p.key for p in found.pods(outside=Reach.ALL)],
            "outsideSome": [p.key for p in found.pods(outside=Reach.SOME)],
            "everyNamespace": [p.key for p in found.pods(namespaces=Reach.ALL)],
        },
    }
