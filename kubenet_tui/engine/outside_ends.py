"""How an end from outside is written: a URL, or an Ingress, Gateway or route object by name. Apart from
`outside` so that telling such an end from a pod or a Service costs no import of the route model: a
`check` between two pods never loads it."""

from __future__ import annotations

ROUTE_HEADS = {"route": None, "routes": None, "httproute": "HTTPRoute", "grpcroute": "GRPCRoute",
               "tlsroute": "TLSRoute", "tcproute": "TCPRoute", "udproute": "UDPRoute"}
OBJECT_HEADS = ("ingress", "ingresses", "ing", "gateway", "gateways", "gtw", *ROUTE_HEADS)


def is_url(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


def is_outside_end(text: str) -> bool:
    """Whether an end as typed is a URL or an Ingress / Gateway / route object (not a pod or Service)."""
    text = text.strip()
    if is_url(text):
        return True
    head, slash, rest = text.partition("/")
    return bool(slash) and head.lower() in OBJECT_HEADS and rest.count("/") == 1


def named_namespace(text: str) -> str | None:
    """The namespace an Ingress, Gateway or route end names, if it is one."""
    head, slash, rest = text.strip().partition("/")
    if slash and head.lower() in OBJECT_HEADS and rest.count("/") == 1:
        return rest.split("/")[0] or None
    return None
