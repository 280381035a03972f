"""Who carries a request from outside to the backends: the controller named by an IngressClass or a
GatewayClass (`spec.controller`, `spec.controllerName`), and its data-plane pods, found by the labels
each product's installation gives them. Those pods open the connections the backends' policies see.

Recognised: ingress-nginx, F5 NGINX Ingress Controller, Traefik, HAProxy (haproxy.org and
haproxy-ingress), Contour (its Envoy pods), Istio, Cilium (no pods: Cilium's Envoy proxies as the
`ingress` identity), Envoy Gateway, Kong, NGINX Gateway Fabric, Emissary-ingress, Apache APISIX,
kgateway; cloud load balancers (AWS, GKE, Azure), whose data plane is outside the cluster. Any Gateway
whose pods carry the Gateway API's `gateway.networking.k8s.io/gateway-name` label. Anything else is
unknown, and says how to name the pods (`--ingress-pods NAMESPACE/SELECTOR`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field
from weakref import WeakKeyDictionary

from kubenet_tui.engine.cluster import Cluster, ClusterIndex
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.gaps import Resource
from kubenet_tui.engine.model import LabelSelector, Operator, Pod
from kubenet_tui.engine.records import record
from kubenet_tui.engine.route_model import Gateway, GatewayClass, IngressClass
from kubenet_tui.engine.selector_syntax import SelectorError, parse_label_selector
from kubenet_tui.engine.selectors import from_map, selector_matches

GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
HOW_TO_NAME = "name its data-plane pods with --ingress-pods NAMESPACE/SELECTOR (e.g. ingress-nginx/app=ingress-nginx)"


@record
class Product:
    name: str
    ingress: tuple[str, ...] = ()  # IngressClass controller values (a trailing "/" matches any suffix)
    gateway: tuple[str, ...] = ()  # GatewayClass controllerName values
    selectors: tuple[str, ...] = ()  # kubectl selectors of its data-plane pods, most specific first
    # Gateway API: labels a per-Gateway deployment's pods carry: {gateway} / {namespace} are filled in.
    per_gateway: tuple[str, ...] = ()
    identity: str | None = None  # a proxy of the network plugin itself: its reserved identity (Cilium)
    outside: bool = False  # a cloud load balancer: no pods in the cluster
    legacy_classes: tuple[str, ...] = ()  # kubernetes.io/ingress.class values it answers by default

    def claims(self, controller: str, gateway: bool) -> bool:
        for known in (self.gateway if gateway else self.ingress):
            if controller == known or (known.endswith("/") and controller.startswith(known)):
                return True
        return False


_PER_GATEWAY = (f"{GATEWAY_NAME_LABEL}={{gateway}}",)

PRODUCTS: tuple[Product, ...] = (
    Product("ingress-nginx", ("k8s.io/ingress-nginx",), (),
            ("app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller",
             "app.kubernetes.io/name=ingress-nginx", "app=ingress-nginx", "app=nginx-ingress,component=controller"),
            legacy_classes=("nginx",)),
    Product("F5 NGINX Ingress Controller", ("nginx.org/ingress-controller",), (),
            ("app.kubernetes.io/name=nginx-ingress", "app=nginx-ingress"), legacy_classes=("nginx",)),
    Product("Traefik", ("traefik.io/ingress-controller",), ("traefik.io/gateway-controller",),
            ("app.kubernetes.io/name=traefik", "app=traefik"), legacy_classes=("traefik",)),
    Product("HAProxy Kubernetes Ingress", ("haproxy.org/ingress-controller/",), (),
            ("app.kubernetes.io/name=kubernetes-ingress", "run=haproxy-ingress"), legacy_classes=("haproxy",)),
    Product("HAProxy Ingress", ("haproxy-ingress.github.io/controller",), (),
            ("app.kubernetes.io/name=haproxy-ingress",), legacy_classes=("haproxy",)),
    Product("Contour (Envoy)", ("projectcontour.io/ingress-controller", "projectcontour.io/contour"),
            ("projectcontour.io/gateway-controller", "projectcontour.io/projectcontour/contour"),
            ("app.kubernetes.io/name=contour,app.kubernetes.io/component=envoy", "app=envoy"),
            ("projectcontour.io/owning-gateway-name={gateway}", *_PER_GATEWAY), legacy_classes=("contour",)),
    Product("Istio", ("istio.io/ingress-controller",), ("istio.io/gateway-controller",),
            ("istio=ingressgateway", "app=istio-ingressgateway"), _PER_GATEWAY, legacy_classes=("istio",)),
    Product("Cilium", ("cilium.io/ingress-controller",), ("io.cilium/gateway-controller",), identity="ingress",
            legacy_classes=("cilium",)),
    Product("Envoy Gateway", (), ("gateway.envoyproxy.io/gatewayclass-controller",), (),
            ("gateway.envoyproxy.io/owning-gateway-name={gateway},"
             "gateway.envoyproxy.io/owning-gateway-namespace={namespace}",)),
    Product("Kong", ("ingress-controllers.konghq.com/kong",),
            ("konghq.com/kic-gateway-controller", "konghq.com/gateway-operator"),
            ("app.kubernetes.io/name=kong", "app=kong", "app=ingress-kong"), _PER_GATEWAY, legacy_classes=("kong",)),
    Product("NGINX Gateway Fabric", (), ("gateway.nginx.org/nginx-gateway-controller",),
            ("app.kubernetes.io/name=nginx-gateway",), _PER_GATEWAY),
    Product("Emissary-ingress", ("getambassador.io/ingress-controller",), (),
            ("app.kubernetes.io/name=emissary-ingress", "service=ambassador"), legacy_classes=("ambassador",)),
    Product("Apache APISIX", ("apisix.apache.org/apisix-ingress-controller",), ("apisix.apache.org/gateway-controller",),
            ("app.kubernetes.io/name=apisix",), legacy_classes=("apisix",)),
    Product("kgateway", (), ("kgateway.dev/kgateway", "solo.io/gloo-gateway"), (), _PER_GATEWAY),
    Product("AWS Load Balancer Controller", ("ingress.k8s.aws/alb",), ("gateway.k8s.aws/alb", "gateway.k8s.aws/nlb"),
            outside=True, legacy_classes=("alb",)),
    Product("GKE load balancing", ("networking.gke.io/ingress-controller",), ("networking.gke.io/gateway",),
            outside=True, legacy_classes=("gce", "gce-internal")),
    Product("Azure Application Gateway", ("azure/application-gateway",), ("alb.networking.azure.io/alb-controller",),
            outside=True, legacy_classes=("azure/application-gateway",)),
)


@record
class PodsOverride:
    """`--ingress-pods NAMESPACE/SELECTOR` (`*/SELECTOR`, or a selector alone: every namespace)."""

    namespace: str | None
    selector: LabelSelector
    text: str


def parse_pods_override(text: str) -> PodsOverride:
    raw = text.strip()
    head, slash, rest = raw.partition("/")
    # A namespace is a DNS label: no dots, no '='. Anything else before the first '/' is a label key's prefix.
    if slash and head and not any(c in head for c in ".=!(), "):
        namespace: str | None = None if head == "*" else head
        selector_text = rest
    else:
        namespace, selector_text = None, raw
    if not selector_text.strip():
        raise InputError(f"--ingress-pods {raw!r}: give NAMESPACE/SELECTOR, e.g. ingress-nginx/app=ingress-nginx")
    try:
        selector = parse_label_selector(selector_text)
    except SelectorError as exc:
        raise InputError(f"--ingress-pods: {exc}") from None
    if selector.is_empty:
        raise InputError(f"--ingress-pods {raw!r}: the selector is empty; it would take every pod")
    return PodsOverride(namespace, selector, raw)


@record
class DataPlane:
    """Who opens the connections to the backends for one IngressClass or Gateway."""

    controller: str  # as the class names it ("" when no class could be read)
    product: str | None  # recognised product, if any
    pods: tuple[Pod, ...] = ()
    found_by: str = ""  # how the pods were found, in words
    identity: str | None = None  # Cilium: its proxy's reserved identity instead of pods
    unknown: str | None = None  # why the data plane is not known, and how to name it
    notes: tuple[str, ...] = field(default=())

    @property
    def known(self) -> bool:
        return self.unknown is None and (bool(self.pods) or self.identity is not None)


def _selectors(texts: Sequence[str], gateway: Gateway | None = None) -> list[tuple[str, LabelSelector]]:
    found = []
    for text in texts:
        if gateway is not None:
            text = text.format(gateway=gateway.name, namespace=gateway.namespace)
        found.append((text, parse_label_selector(text)))
    return found


# Pods by the labels the products' selectors name, built once per loaded cluster: a controller is
# looked for on every answer from outside, and scanning 50,000 pods per selector would dominate it.
_BY_LABEL: WeakKeyDictionary[ClusterIndex, dict[tuple[str, str], list[Pod]]] = WeakKeyDictionary()


def _label_keys() -> frozenset[str]:
    keys = {GATEWAY_NAME_LABEL}
    for product in PRODUCTS:
        for text in (*product.selectors, *product.per_gateway):
            keys.update(term.partition("=")[0] for term in text.split(","))
    return frozenset(keys)


_KEYS = _label_keys()


def _by_label(cluster: Cluster) -> dict[tuple[str, str], list[Pod]]:
    index = cluster.index
    found = _BY_LABEL.get(index)
    if found is None:
        found = {}
        for pod in cluster.pods:
            for key, value in pod.labels.items():
                if key in _KEYS:
                    found.setdefault((key, value), []).append(pod)
        _BY_LABEL[index] = found
    return found


def _pods(cluster: Cluster, selector: LabelSelector, namespace: str | None = None) -> list[Pod]:
    index = cluster.index
    if namespace is not None:
        pool: Sequence[Pod] = index.pods_by_namespace.get(namespace, ())
    else:
        pool = cluster.pods
        terms = [(k, v) for k, v in selector.match_labels] + [
            (r.key, r.values[0]) for r in selector.match_expressions if r.operator is Operator.IN and len(r.values) == 1]
        indexed = next(((k, v) for k, v in terms if k in _KEYS), None)
        if indexed is not None:
            pool = _by_label(cluster).get(indexed, [])
    return [p for p in pool if selector_matches(selector, p.labels)]


def _pods_gap(cluster: Cluster, namespace: str | None = None) -> str:
    gaps = sorted({g.namespace or "cluster-wide" for g in cluster.unreadable
                   if g.resource is Resource.PODS and g.hides_objects and g.namespace in (None, namespace)})
    return f"; pods in {', '.join(gaps)} could not be read" if gaps else ""


def _running(pods: list[Pod]) -> tuple[Pod, ...]:
    return tuple(sorted((p for p in pods if p.carries_traffic), key=lambda p: p.key))


def _from_override(cluster: Cluster, controller: str, product: str | None, override: PodsOverride) -> DataPlane:
    pods = _pods(cluster, override.selector, override.namespace)
    running = _running(pods)
    if not running:
        where = f"namespace {override.namespace}" if override.namespace else "any namespace"
        what = f"{len(pods)} pods, none of them running" if pods else "no pod"
        return DataPlane(controller, product, (), f"--ingress-pods {override.text}",
                         unknown=f"--ingress-pods {override.text} selects {what} in {where}"
                                 f"{_pods_gap(cluster, override.namespace)}")
    return DataPlane(controller, product, running, f"--ingress-pods {override.text}")


def _search(cluster: Cluster, product: Product, controller: str, gateway: Gateway | None,
            instance: str | None) -> DataPlane:
    """The pods of `product` (for `gateway`, its own deployment first), narrowed to one installation."""
    if product.identity is not None:
        return DataPlane(controller, product.name, (), f"{product.name} proxies with its own Envoy",
                         identity=product.identity)
    if product.outside:
        return DataPlane(controller, product.name,
                         unknown=f"{product.name} runs its data plane outside the cluster: the backends see the load "
                                 "balancer's addresses, which this tool cannot know; " + HOW_TO_NAME.replace(
                                     "name its data-plane pods", "if its traffic enters through pods, name them"))
    attempts: list[tuple[str, LabelSelector, str | None]] = []
    if gateway is not None:
        for text, selector in _selectors(product.per_gateway, gateway):
            scope = None if "owning-gateway-namespace" in text else gateway.namespace
            attempts.append((text, selector, scope))
    attempts.extend((text, selector, None) for text, selector in _selectors(product.selectors))
    for text, selector, scope in attempts:
        pods = _pods(cluster, selector, scope)
        if not pods:
            continue
        if instance is not None:
            narrowed = [p for p in pods if p.labels.get("app.kubernetes.io/instance") == instance]
            if narrowed:
                pods = narrowed
                text += f" (and app.kubernetes.io/instance={instance}, as the class is labelled)"
        instances = sorted({p.labels.get("app.kubernetes.io/instance") or "" for p in pods} - {""})
        if len(instances) > 1:
            return DataPlane(controller, product.name, (), f"labels {text}",
                             unknown=f"{product.name} pods with labels {text} belong to {len(instances)} installations "
                                     f"(app.kubernetes.io/instance {', '.join(instances)}) and the class names none of "
                                     "them: which one serves this cannot be told; " + HOW_TO_NAME)
        namespaces = sorted({p.namespace for p in pods})
        if len(namespaces) > 1:
            return DataPlane(controller, product.name, (), f"labels {text}",
                             unknown=f"{product.name} pods with labels {text} run in {len(namespaces)} namespaces "
                                     f"({', '.join(namespaces)}): which installation serves this cannot be told; "
                                     + HOW_TO_NAME)
        running = _running(pods)
        where = f" in namespace {namespaces[0]}"
        if not running:
            return DataPlane(controller, product.name, (), f"labels {text}{where}",
                             unknown=f"{len(pods)} {product.name} pods found by labels {text}{where}, none of them "
                                     "running: nothing carries the traffic now")
        return DataPlane(controller, product.name, running, f"labels {text}{where}")
    looked = ", ".join(t for t, _, _ in attempts) or "(no labels known)"
    read = len(cluster.index.pods_by_namespace)
    return DataPlane(controller, product.name,
                     unknown=f"no {product.name} pods were found among the pods of the {read} namespaces read (looked "
                             f"for labels {looked}){_pods_gap(cluster)}; " + HOW_TO_NAME)


def _product(controller: str, gateway: bool) -> Product | None:
    return next((p for p in PRODUCTS if p.claims(controller, gateway)), None)


def ingress_data_plane(cluster: Cluster, class_name: str | None, class_from: str,
                       override: PodsOverride | None = None) -> DataPlane:
    """The data plane of an Ingress whose class is `class_name` (None: it names none)."""
    routes = cluster.routes
    classes_gap = cluster.index.unreadable_for(Resource.INGRESS_CLASSES, None)
    ingress_class: IngressClass | None = None
    if class_name is not None and routes is not None:
        ingress_class = routes.ingress_class(class_name)
    if class_name is None and routes is not None:
        defaults = routes.default_ingress_classes()
        if len(defaults) == 1:
            ingress_class = defaults[0]
            class_name, class_from = ingress_class.name, "the default IngressClass"
        elif len(defaults) > 1:
            names = ", ".join(c.name for c in defaults)
            if override is not None:
                return _from_override(cluster, "", None, override)
            return DataPlane("", None, unknown=f"the Ingress names no class and {len(defaults)} IngressClasses are "
                                               f"marked default ({names}): the API rejects new Ingresses then; "
                                               + HOW_TO_NAME)
    if ingress_class is not None:
        product = _product(ingress_class.controller, gateway=False)
        if override is not None:
            return _from_override(cluster, ingress_class.controller, product.name if product else None, override)
        if product is None:
            return DataPlane(ingress_class.controller, None,
                             unknown=f"IngressClass {ingress_class.name} names controller {ingress_class.controller!r}, "
                                     "which this tool does not recognise; " + HOW_TO_NAME)
        return _search(cluster, product, ingress_class.controller, None,
                       ingress_class.labels.get("app.kubernetes.io/instance"))
    if override is not None:
        return _from_override(cluster, "", None, override)
    if class_name is None:
        return DataPlane("", None, unknown="the Ingress names no class and no IngressClass is marked default: only a "
                                           "controller that watches Ingresses without class serves it (ingress-nginx: "
                                           "--watch-ingress-without-class); " + HOW_TO_NAME)
    # The class object is not there (not in the input, or not readable): a legacy class name known to
    # exactly one product whose pods run here identifies it.
    why = (f"IngressClass {class_name} could not be read ({classes_gap.reason})" if classes_gap is not None
           and classes_gap.hides_objects else f"no IngressClass {class_name} was loaded")
    candidates = [p for p in PRODUCTS if class_name in p.legacy_classes]
    running = [(p, _search(cluster, p, "", None, None)) for p in candidates]
    plausible = [(p, d) for p, d in running if d.known]
    if len(plausible) == 1:
        product, plane = plausible[0]
        return DataPlane(plane.controller, product.name, plane.pods, plane.found_by, plane.identity,
                         notes=(f"{why}: class {class_name!r} ({class_from}) is {product.name}'s by default, and "
                                f"only its pods were found",))
    if len(plausible) > 1:
        names = ", ".join(p.name for p, _ in plausible)
        return DataPlane("", None, unknown=f"{why}; class {class_name!r} may be served by {names}, whose pods all run "
                                           "here; " + HOW_TO_NAME)
    return DataPlane("", None, unknown=f"{why}, so its controller is unknown; " + HOW_TO_NAME)


def gateway_data_plane(cluster: Cluster, gateway: Gateway, override: PodsOverride | None = None) -> DataPlane:
    routes = cluster.routes
    gateway_class: GatewayClass | None = routes.gateway_class(gateway.class_name) if routes is not None else None
    product = _product(gateway_class.controller, gateway=True) if gateway_class is not None else None
    controller = gateway_class.controller if gateway_class is not None else ""
    if override is not None:
        return _from_override(cluster, controller, product.name if product else None, override)
    if product is not None:
        found = _search(cluster, product, controller, gateway, None)
        if found.known or product.outside:
            return found
    # Gateway API implementations that deploy pods per Gateway label them with its name.
    own = _running(_pods(cluster, parse_label_selector(f"{GATEWAY_NAME_LABEL}={gateway.name}"), gateway.namespace))
    if own and (product is None or not product.outside):
        return DataPlane(controller, product.name if product else None, own,
                         f"labels {GATEWAY_NAME_LABEL}={gateway.name} in namespace {gateway.namespace}")
    if product is not None:
        return found
    if gateway_class is None:
        gap = cluster.index.unreadable_for(Resource.GATEWAY_CLASSES, None)
        why = (f"GatewayClass {gateway.class_name} could not be read ({gap.reason})" if gap is not None
               and gap.hides_objects else f"no GatewayClass {gateway.class_name} was loaded")
        return DataPlane("", None, unknown=f"{why}, and no pod carries label {GATEWAY_NAME_LABEL}={gateway.name}; "
                                           + HOW_TO_NAME)
    return DataPlane(controller, None, unknown=f"GatewayClass {gateway_class.name} names controller {controller!r}, "
                                               f"which this tool does not recognise, and no pod carries label "
                                               f"{GATEWAY_NAME_LABEL}={gateway.name}; " + HOW_TO_NAME)


def pods_of_selector(cluster: Cluster, namespace: str, selector: dict[str, str]) -> list[Pod]:
    """The pods of `namespace` a Service selector selects."""
    chosen = from_map(selector)
    return [p for p in cluster.index.pods_by_namespace.get(namespace, ()) if selector_matches(chosen, p.labels)]
