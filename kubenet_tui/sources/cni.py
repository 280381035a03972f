"""Which network plugin runs in the cluster, and whether it enforces NetworkPolicy at all.

Pure: reads model pods (their names and labels: the agents run as DaemonSet pods whose labels and name
prefixes are stable across installs) and nodes (k3s and RKE2 embed their network plugin in the node
binary: their nodes say so in labels, annotations and the kubelet version), so the live, file and demo
sources can all use it. Verdicts assume NetworkPolicy is enforced; when the plugin found does not enforce
it (Flannel alone is the classic case) or nothing can be identified, the notices returned here go on
every verdict as caveats. Where several plugins run (Calico for policy beside the AWS VPC CNI for the
network, Canal = Flannel + Calico), the one that enforces decides whose reading of the policies applies.

Use from any source, before `collector.cluster()`:
    collector.plugin = detect_cni(collector.pods.values(), nodes=collector.nodes.values()).plugin()
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from kubenet_tui.engine.cluster import Enforcement, NetworkPlugin, Profile
from kubenet_tui.engine.model import Node, Pod
from kubenet_tui.engine.records import record


@record(slots=False)
class Plugin:
    name: str
    enforces: bool | None  # None: depends on how it was configured
    labels: tuple[tuple[str, str], ...]  # any one of these labels identifies its agent pods
    prefix: str  # DaemonSet pod name prefix ("calico-node-"), used when labels were customised
    note: str = ""
    profile: Profile = Profile.UPSTREAM  # whose policy engine enforces policies with this plugin


PLUGINS: tuple[Plugin, ...] = (
    Plugin("Calico", True, (("k8s-app", "calico-node"),), "calico-node-", profile=Profile.CALICO),
    Plugin("Canal (Calico policy, Flannel network)", True, (("k8s-app", "canal"),), "canal-",
           profile=Profile.CALICO),
    Plugin("Cilium", True, (("k8s-app", "cilium"),), "cilium-", profile=Profile.CILIUM),
    Plugin("Weave Net", True, (("name", "weave-net"),), "weave-net-",
           "Weave Net enforces NetworkPolicy (weave-npc) but has been unmaintained since 2024"),
    Plugin("Antrea", True, (("component", "antrea-agent"),), "antrea-agent-"),
    Plugin("OVN-Kubernetes", True, (("app", "ovnkube-node"),), "ovnkube-node-"),
    Plugin("Kube-OVN", True, (("app", "kube-ovn-cni"),), "kube-ovn-cni-"),
    Plugin("kube-router", True, (("k8s-app", "kube-router"),), "kube-router-"),
    Plugin("Azure Network Policy Manager", True, (("k8s-app", "azure-npm"),), "azure-npm-"),
    Plugin("kube-network-policies", True, (("k8s-app", "kube-network-policies"),), "kube-network-policies-"),
    Plugin("AWS VPC CNI", None, (("k8s-app", "aws-node"),), "aws-node-",
           "it enforces NetworkPolicy only when its network policy agent is enabled "
           "(enableNetworkPolicy on the aws-node DaemonSet / EKS add-on)"),
    Plugin("kindnet", None, (("app", "kindnet"),), "kindnet-",
           "recent kindnet versions (kind v0.24 and later) enforce NetworkPolicy, older ones do not"),
    Plugin("Flannel", False, (("app", "flannel"), ("k8s-app", "flannel")), "kube-flannel-ds-",
           "Flannel provides pod networking only and does not enforce NetworkPolicy"),
)

SYSTEM_NAMESPACES = frozenset({
    "kube-system", "calico-system", "tigera-operator", "kube-flannel", "cilium", "antrea-system",
    "ovn-kubernetes", "openshift-ovn-kubernetes", "kube-ovn", "weave",
})


# k3s runs Flannel and kube-router's network policy controller inside its own binary (no pods), RKE2
# deploys its CNI as pods (rke2-canal by default: Calico's policy engine over Flannel).
K3S_POLICY = Plugin("k3s (Flannel with the embedded kube-router network policy controller)", True, (), "",
                    "k3s enforces NetworkPolicy with its embedded kube-router controller unless started with "
                    "--disable-network-policy")
K3S_NO_POLICY = Plugin("k3s (Flannel; network policy controller disabled)", False, (), "",
                       "k3s was started with --disable-network-policy, and Flannel does not enforce NetworkPolicy")
K3S_MAYBE = Plugin("k3s (Flannel with the embedded kube-router network policy controller)", None, (), "",
                   "k3s enforces NetworkPolicy unless started with --disable-network-policy, which its nodes' "
                   "k3s.io/node-args annotation tells: the nodes could not be read")
RKE2_UNSEEN = Plugin("RKE2 (its CNI pods were not seen; Canal by default)", None, (), "",
                     "RKE2 deploys Canal (Calico policy over Flannel) unless configured otherwise, but no CNI pod "
                     "was found among the pods read")

# Lookups built once: detection runs on every snapshot, over every pod of a large cluster.
_BY_LABEL: dict[tuple[str, str], Plugin] = {label: p for p in PLUGINS for label in p.labels}
_BY_PREFIX: dict[str, Plugin] = {p.prefix: p for p in PLUGINS}
_BY_PREFIX["rke2-canal-"] = next(p for p in PLUGINS if p.name.startswith("Canal"))
_BY_PREFIX["rke2-cilium-"] = next(p for p in PLUGINS if p.name == "Cilium")


def _plugins_by_labels(labels: Mapping[str, str]) -> list[Plugin]:
    return [_BY_LABEL[item] for item in labels.items() if item in _BY_LABEL]


def _plugin_by_name(name: str) -> Plugin | None:
    # Name prefix followed by the DaemonSet's 5-character suffix only (calico-node-x7k2p, not
    # calico-node-exporter-...): covers installs whose labels were customised.
    if len(name) > 6 and name[-6] == "-":
        return _BY_PREFIX.get(name[:-5])
    return None


def _flag_set(args: list[object], flag: str) -> bool:
    """Whether `flag` is on in k3s/RKE2 node-args (`--flag`, `--flag=true`, or `--flag` `true`)."""
    for i, arg in enumerate(args):
        if not isinstance(arg, str):
            continue
        if arg == flag:
            following = args[i + 1] if i + 1 < len(args) else None
            return following not in ("false", "False")
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1] not in ("false", "False")
    return False


def _node_args(node: Node, key: str) -> list[object] | None:
    text = node.distribution.get(key)
    if text is None:
        return None
    try:
        args = json.loads(text)
    except ValueError:
        return None
    return args if isinstance(args, list) else None


def _k3s_pod(pod: Pod) -> bool:
    """Pods only k3s runs: its ServiceLB (klipper-lb) and the Traefik it installs by Helm chart."""
    labels = pod.labels
    return (any(key.startswith("svccontroller.k3s.cattle.io/") for key in labels)
            or labels.get("helmcharts.helm.cattle.io/chart") in ("traefik", "traefik-crd"))


def distribution(nodes: Iterable[Node]) -> tuple[str | None, str, bool]:
    """("k3s" | "rke2" | None, the node that says so, whether k3s's network policy controller was
    disabled on some server)."""
    found: str | None = None
    evidence = ""
    disabled = False
    for node in nodes:
        instance = node.labels.get("node.kubernetes.io/instance-type") or node.labels.get(
            "beta.kubernetes.io/instance-type")
        for name in ("k3s", "rke2"):
            args = _node_args(node, f"{name}.io/node-args")
            if args is not None or instance == name or f"+{name}" in node.kubelet_version:
                if found is None:
                    found, evidence = name, f"node {node.name}"
                if name == "k3s" and args is not None and _flag_set(args, "--disable-network-policy"):
                    disabled = True
    return found, evidence, disabled


@record(slots=False)
class CniDetection:
    plugins: tuple[Plugin, ...]
    evidence: tuple[str, ...]  # pod keys (or nodes) that identified the plugins
    system_pods_seen: bool  # whether any pod of a system namespace was there to look at
    unreadable: str | None = None  # why the system pods could not be read, if they could not

    @property
    def enforcement(self) -> str:
        """"enforced", "not-enforced", "unknown" (depends on configuration) or "unidentified"."""
        if not self.plugins:
            return "unidentified"
        if any(p.enforces for p in self.plugins):
            return "enforced"
        if any(p.enforces is None for p in self.plugins):
            return "unknown"
        return "not-enforced"

    def summary(self) -> str:
        """One line for a status bar: "network plugin: Calico (enforces NetworkPolicy)"."""
        if not self.plugins:
            return "network plugin: not identified"
        names = ", ".join(p.name for p in self.plugins)
        words = {"enforced": "enforces NetworkPolicy", "not-enforced": "does NOT enforce NetworkPolicy",
                 "unknown": "NetworkPolicy enforcement depends on its configuration"}
        text = f"network plugin: {names} ({words[self.enforcement]})"
        plugin = self.plugin()
        if plugin is not None and plugin.profile is not Profile.UPSTREAM:
            text += f"; policies read as {plugin.profile.value} reads them"
        remarks = [p.note for p in self.plugins if p.enforces and p.note]
        return text + "".join(f"; {r}" for r in remarks)

    def plugin(self, quiet_without_system_pods: bool = False,
               policies_of: Profile | None = None) -> NetworkPlugin | None:
        """What every verdict must say about enforcement. With `quiet_without_system_pods` (manifest
        files that are not a cluster dump), nothing when no system pod was there to look at.
        `policies_of`: a plugin whose own policies were read (Calico's): when no plugin that enforces
        could be identified, they are read as that plugin reads them, and every verdict says why."""
        names = tuple(p.name for p in self.plugins)
        hint = (f"; the policies read include {policies_of.value}'s own, so they are read as {policies_of.value} "
                "reads them (--cni chooses another reading)" if policies_of is not None else "")
        guess = policies_of or Profile.UPSTREAM
        state = self.enforcement
        if state == "enforced":
            # The plugin whose policy engine enforces (Calico beside the VPC CNI: Calico's reading).
            profile = next((p.profile for p in self.plugins if p.enforces and p.profile is not Profile.UPSTREAM),
                           Profile.UPSTREAM)
            notes = "; ".join(p.note for p in self.plugins if p.enforces and p.note)
            return NetworkPlugin(names, Enforcement.ENFORCED, notes, profile=profile)
        if state == "not-enforced":
            notes = "; ".join(p.note for p in self.plugins if p.note)
            return NetworkPlugin(names, Enforcement.NOT_ENFORCED,
                                 f"NOT ENFORCED: the network plugin is {', '.join(names)}, which does not enforce "
                                 f"NetworkPolicy ({notes}). Policies exist but nothing enforces them, so this traffic "
                                 "is in fact allowed; the explanation shows what the policies say.")
        if state == "unknown":
            notes = "; ".join(f"{p.name}: {p.note}" for p in self.plugins if p.enforces is None and p.note)
            return NetworkPlugin(names, Enforcement.DEPENDS,
                                 f"network plugin {', '.join(names)}: whether NetworkPolicy is enforced depends on its "
                                 f"configuration ({notes}); the verdict assumes it is{hint}.", profile=guess)
        if quiet_without_system_pods and not self.system_pods_seen and self.unreadable is None:
            if policies_of is None:
                return None
            return NetworkPlugin((), Enforcement.UNIDENTIFIED, f"network plugin not identified (no system pod was "
                                 f"read){hint}.", profile=guess)
        why = (f"the pods of kube-system could not be read ({self.unreadable})" if self.unreadable
               else "no known network plugin agent was found among the pods read")
        return NetworkPlugin((), Enforcement.UNIDENTIFIED,
                             f"network plugin not identified: {why}; the verdict assumes NetworkPolicy is enforced, "
                             f"which depends on the plugin{hint}.", profile=guess)


def detect_cni(pods: Iterable[Pod], unreadable: str | None = None, nodes: Iterable[Node] = ()) -> CniDetection:
    """The plugins whose agent pods are present, and k3s's embedded one when its nodes say k3s.
    `unreadable`: why system pods could not be read."""
    found: dict[str, Plugin] = {}
    evidence: dict[str, str] = {}
    seen_system = False
    k3s_pod: str | None = None
    # Replicas share one label map (the load interns them): each distinct map is looked at once.
    by_labels: dict[int, tuple[bool, list[Plugin]]] = {}
    kept: list[Mapping[str, str]] = []  # keeps each id() above from being reused while this runs
    for pod in pods:
        if pod.namespace in SYSTEM_NAMESPACES:
            seen_system = True
        labels = pod.labels
        seen = by_labels.get(id(labels))
        if seen is None:
            seen = by_labels[id(labels)] = (_k3s_pod(pod), _plugins_by_labels(labels))
            kept.append(labels)
        if k3s_pod is None and seen[0]:
            k3s_pod = pod.key
        by_name = _plugin_by_name(pod.name)
        for plugin in seen[1] if by_name is None else [*seen[1], by_name]:
            if plugin.name not in found:
                found[plugin.name] = plugin
                evidence[plugin.name] = pod.key
    order = [p for p in PLUGINS if p.name in found]
    proof = [evidence[p.name] for p in order]
    kind, node, disabled = distribution(nodes)
    if kind == "k3s":
        # Flannel and the policy controller run inside k3s itself: no pod shows them.
        order.append(K3S_NO_POLICY if disabled else K3S_POLICY)
        proof.append(node)
    elif kind == "rke2" and not order:
        order.append(RKE2_UNSEEN)
        proof.append(node)
    elif kind is None and k3s_pod is not None:
        order.append(K3S_MAYBE)  # whether its policy controller was disabled is on the nodes
        proof.append(k3s_pod)
    return CniDetection(tuple(order), tuple(proof), seen_system or kind is not None, unreadable)
