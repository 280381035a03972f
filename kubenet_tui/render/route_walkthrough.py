"""A `RouteVerdict` (from outside, through an Ingress or a Gateway) as a walkthrough: the same nodes as
every other answer, in the order a request travels.

    headline, why, summary
    for each frontend (an IngressClass's controller, or a Gateway):
        FRONTEND   the controller, its data-plane pods and how they were found
        BACKEND    outside -> each data-plane pod (the controller's own ingress), with its walk
        for each rule that takes the request:
            ROUTE         the Ingress path or route rule, how the request matched, what else was considered
            SERVICE_PORT  each backendRef's Service port
            BACKEND       data-plane pod -> each backend pod, with the verdict's own walk beneath
    notes, caveats

Every leg that has a verdict is a BACKEND node holding that verdict's body (`verdict_body`), so text
renders it as a section, the explorer as a subtree, and the focus lands on the first blocked rule.
"""

from __future__ import annotations

from dataclasses import replace

from kubenet_tui.engine.explain import Status, Verdict
from kubenet_tui.engine.outside import BackendHop, EntryHop, Frontend, RoutePath, RouteVerdict
from kubenet_tui.engine.services import Backend, ServiceVerdict
from kubenet_tui.render.walkthrough import (
    STATUS_WORDS,
    Kind,
    Mark,
    Node,
    PolicyLink,
    Walkthrough,
    caveat_nodes,
    mark_of,
    one_focus,
    one_line,
    side_word,
    status_mark,
    verdict_body,
    verdict_why,
)


def _leg(name: str, verdict: Verdict, allowed: bool | None, shown: frozenset[str] = frozenset()) -> Node:
    # Caveats the whole answer states already are not repeated under each leg.
    body = verdict_body(replace(verdict, caveats=tuple(c for c in verdict.caveats if c.message not in shown)))
    if allowed is True:
        body = tuple(replace(n, open=False, focus=False) for n in body)
    return Node(Kind.BACKEND, f"{name} on port {verdict.port_text()}", f": {side_word(allowed)}", mark_of(allowed),
                (Node(Kind.SUMMARY, verdict.summary), *body), open=allowed is not True)


def _entry(hop: EntryHop, shown: frozenset[str]) -> list[Node]:
    port = f" on {hop.port}/TCP" if hop.port is not None else ""
    head = f"outside → {hop.target}{port}"
    notes = [Node(Kind.NOTE, f"as seen there: {hop.sources}")] if hop.sources else []
    if not hop.verdicts:
        return [Node(Kind.BACKEND, head, f": {hop.summary}", status_mark(hop.status), tuple(notes))]
    if len(hop.verdicts) == 1:
        verdict = hop.verdicts[0]
        leg = _leg(f"outside ({verdict.source.name}) → {hop.target}", verdict, verdict.allowed, shown)
        said = (Node(Kind.NOTE, hop.summary, mark=status_mark(hop.status)),) if hop.reach else ()
        return [replace(leg, tail=f": {side_word(hop.status.allowed)}", mark=status_mark(hop.status),
                        children=(leg.children[0], *said, *notes, *leg.children[1:]))]
    found = [Node(Kind.BACKEND, head, f": {hop.summary}", status_mark(hop.status), tuple(notes),
                  open=hop.status is not Status.ALLOWED)]
    found.extend(_leg(f"{v.source.name} → {hop.target}", v, v.allowed, shown) for v in hop.verdicts)
    return found


def _frontend(frontend: Frontend) -> list[Node]:
    plane = frontend.plane
    product = plane.product or (f"controller {plane.controller!r}" if plane.controller else "an unknown controller")
    how = frontend.how if frontend.kind == "Gateway" else f"the Ingress's class comes from {frontend.how}"
    children: list[Node] = [Node(Kind.NOTE, how)] if frontend.how else []
    if plane.identity is not None:
        tail = f": Cilium's own proxy, the reserved identity {plane.identity} (no pods)"
    elif plane.pods:
        names = ", ".join(p.key for p in plane.pods[:4]) + (" …" if len(plane.pods) > 4 else "")
        count = f"{len(plane.pods)} data-plane pod{'s' if len(plane.pods) > 1 else ''}"
        tail = f": {count} ({names}), found by {plane.found_by}"
    else:
        tail = ": data plane unknown"
    if plane.unknown:
        children.append(Node(Kind.NOTE, plane.unknown, mark=Mark.UNKNOWN))
    children.extend(Node(Kind.NOTE, note) for note in plane.notes)
    if frontend.exposure:
        children.append(Node(Kind.NOTE, f"clients reach it through {frontend.exposure}"))
    if frontend.addresses:
        children.append(Node(Kind.NOTE, f"published at {', '.join(frontend.addresses)}"))
    mark = Mark.UNKNOWN if plane.unknown else Mark.NONE
    return [Node(Kind.FRONTEND, f"{frontend.label} → {product}", tail, mark, tuple(children), open=True)]


def _route(path: RoutePath) -> Node:
    ref = path.route
    children: list[Node] = []
    if path.conditions:
        children.append(Node(Kind.NOTE, "only for requests with " + ", ".join(path.conditions)
                                        + ": a URL does not say whether it has them", mark=Mark.UNKNOWN))
    if path.answers:
        children.append(Node(Kind.NOTE, f"the controller answers itself: {path.answers}", mark=Mark.NOT_EVALUATED))
    children.extend(Node(Kind.NOTE, f"also matches: {c}", mark=Mark.SKIP, verbose=True) for c in path.considered)
    head = ref.label() if ref.where else f"{ref.kind} {ref.key}".strip()
    link = PolicyLink(ref.kind, ref.namespace or None, ref.name, path=ref.yaml_path) if ref.where else None
    return Node(Kind.ROUTE, head, f": {path.match}", status_mark(path.status), tuple(children), link=link, open=True)


def _service(hop: BackendHop, shown: frozenset[str]) -> list[Node]:
    ref = hop.ref
    weight = f", weight {ref.weight}" if ref.weight != 1 else ""
    what = f"svc/{ref.key} port {ref.port}" if ref.is_service else f"{ref.kind} {ref.key}"
    mirror = " (a mirrored copy)" if hop.mirror else ""
    if not hop.verdicts:
        mark = Mark.UNKNOWN if hop.status is Status.UNKNOWN else Mark.NOT_EVALUATED
        return [Node(Kind.SERVICE_PORT, f"{what}{weight}{mirror}", f": {hop.note}", mark)]
    sv = hop.verdicts[0]
    sp = sv.service_port
    tail = f" → targetPort {sp.target_port} ({sp.port}/{sp.protocol.value}); backends from {sv.backends_from}"
    nodes = [Node(Kind.SERVICE_PORT, f"{what}{weight}{mirror}", tail, status_mark(hop.status))]
    for service_verdict in hop.verdicts:
        nodes.extend(_backends(service_verdict, shown))
    return nodes


def _backends(sv: ServiceVerdict, shown: frozenset[str]) -> list[Node]:
    order = sorted(sv.backends, key=lambda b: {False: 0, None: 1, True: 2}[b.allowed])
    if not order:
        return [Node(Kind.BACKEND, f"{sv.source.name} → svc/{sv.service}", f": {sv.summary}", status_mark(sv.status))]
    return [_backend(sv, b, shown) for b in order]


def _backend(sv: ServiceVerdict, b: Backend, shown: frozenset[str]) -> Node:
    name = f"{sv.source.name} → {b.name}"
    if b.verdict is None:
        return Node(Kind.BACKEND, name, f": not evaluated: {b.note}", Mark.SKIP)
    return _leg(name, b.verdict, b.allowed, shown)


def _legs(rv: RouteVerdict) -> list[tuple[str, Verdict]]:
    found: list[tuple[str, Verdict]] = []
    for frontend in rv.frontends:
        for hop in frontend.entry:
            found.extend((f"outside → {hop.target}", v) for v in hop.verdicts)
    for _, _, sv in rv.legs():
        found.extend((f"{sv.source.name} → {b.name}", b.verdict) for b in sv.backends if b.verdict is not None)
    return found


def _counts(rv: RouteVerdict) -> tuple[int, int]:
    legs = [b for path in rv.paths for hop in path.backends if not hop.mirror for sv in hop.verdicts
            for b in sv.backends if b.verdict is not None]
    return sum(1 for b in legs if b.allowed is True), len(legs)


def route_why(rv: RouteVerdict) -> str:
    """The first thing that decides it: a blocked step (and how many more), the unknown, or what allows."""
    if rv.status is Status.BLOCKED:
        entry = [h for f in rv.frontends for h in f.entry if h.status is Status.BLOCKED]
        if entry:
            return one_line(f"outside → {entry[0].target}: {entry[0].summary}")
        blocked = [(n, v) for n, v in _legs(rv) if v.status is Status.BLOCKED]
        if blocked:
            name, verdict = blocked[0]
            more = f"; and {len(blocked) - 1} more blocked" if len(blocked) > 1 else ""
            return one_line(f"{name}: {verdict_why(verdict)}{more}")
    if rv.status is Status.UNKNOWN:
        return one_line(rv.summary)
    if rv.status is Status.ALLOWED:
        legs = _legs(rv)
        if legs:
            name, verdict = legs[-1]
            return one_line(f"{name}: {verdict_why(verdict)}")
    return one_line(rv.summary)


def route_walkthrough(rv: RouteVerdict) -> Walkthrough:
    allowed, total = _counts(rv)
    word = STATUS_WORDS[rv.status]
    if rv.status is Status.BLOCKED and allowed:
        word = "SOME BLOCKED"
    elif rv.status is Status.NOT_EVALUATED:
        word = "NO ROUTE" if not rv.paths else "NOTHING RECEIVES IT"
    to = f" → {rv.destination}" if rv.destination else ""
    headline = Node(Kind.HEADLINE, word, f"  {rv.end}{to}  ({allowed} of {total} backend connections allowed)",
                    status_mark(rv.status))
    body: list[Node] = []
    shown = frozenset(c.message for c in rv.caveats)
    for i, frontend in enumerate(rv.frontends):
        paths = [p for p in rv.paths if p.frontend == i]
        if not paths:
            continue
        body.extend(_frontend(frontend))
        for entry in frontend.entry:
            body.extend(_entry(entry, shown))
        for path in paths:
            body.append(_route(path))
            for hop in path.backends:
                body.extend(_service(hop, shown))
    if rv.unknown:
        body.append(Node(Kind.NOTE, rv.unknown, mark=Mark.UNKNOWN))
    body.extend(Node(Kind.NOTE, note) for note in rv.notes)
    body.extend(caveat_nodes([c.message for c in rv.caveats]))
    body = one_focus(body)  # the blocked legs' walks carry theirs: the first one keeps it
    glance = (Node(Kind.GLANCE, f"{allowed} of {total} backend connections allowed: ", rv.summary,
                   mark_of(rv.allowed)),)
    return Walkthrough(headline, Node(Kind.WHY, route_why(rv)), Node(Kind.SUMMARY, rv.summary), glance, tuple(body))
