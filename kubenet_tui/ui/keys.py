"""Every key and command of the explorer, documented once: the help screen is generated from here and
a test checks that each binding of the app appears in it."""

from __future__ import annotations

from collections.abc import Sequence

from kubenet_tui.engine.evaluate import InputError
from kubenet_tui.engine.records import record


@record
class KeyDoc:
    keys: str
    does: str


HELP: Sequence[tuple[str, Sequence[KeyDoc]]] = (
    ("Ask about a connection", (
        KeyDoc("s", "mark the pod under the cursor as the source"),
        KeyDoc("d", "mark the pod or Service under the cursor as the destination"),
        KeyDoc("S / D", "type a source / destination: NAMESPACE/POD, svc/NAMESPACE/NAME, NAME.NAMESPACE (a "
                        "Service's DNS name), a ClusterIP, a pod IP, a bare name (in the namespace shown), or "
                        "an address outside the cluster; as source also a URL (https://HOST/PATH), "
                        "ingress/NS/NAME, gateway/NS/NAME or route/NS/NAME: the request from outside to every "
                        "backend (a destination narrows it to one)"),
        KeyDoc("x", "swap source and destination"),
        KeyDoc("p", "port and protocol: 6379, 6379/udp, a port name (http); empty: which ports are allowed; "
                    "tab offers the destination's declared ports"),
    )),
    ("Move around", (
        KeyDoc("tab / shift+tab", "next / previous pane: namespaces, pods, policies, services, verdict"),
        KeyDoc("↑ ↓ / j k", "move the cursor"),
        KeyDoc("pgup pgdn / ctrl+b ctrl+f", "a page up / down"),
        KeyDoc("home end / g G", "first / last row"),
        KeyDoc("enter", "details: a pod, a Service, a policy's YAML; in the verdict, the policy's YAML "
                        "with the rule highlighted; on a namespace, show its pods"),
        KeyDoc("space", "fold / unfold a node of the verdict"),
        KeyDoc("v", "jump to the verdict's explanation"),
        KeyDoc("z", "zoom the focused pane (again to restore)"),
        KeyDoc("esc", "back: close a screen or prompt, clear the filter, leave the zoom"),
    )),
    ("Find", (
        KeyDoc("/", "filter the focused table by name, label or IP (role=db, tier!=web, several terms: all must "
                    "match); enter returns to the table on the best match (an exact name first), esc clears"),
        KeyDoc(":", "command line (→ or tab completes)"),
    )),
    ("Commands", (
        KeyDoc(":ns NAME   :ns all", "show one namespace / all namespaces (a live cluster read with -n reads it)"),
        KeyDoc(":ctx [NAME]", "switch to another kubeconfig context, in its own namespace; alone: pick one from a "
                              "list (a credential plugin that wants a login gets the terminal meanwhile)"),
        KeyDoc(":pods  :policies  :svc", "show pods / policies (np, netpol) / services (optionally :pods NS)"),
        KeyDoc(":src END   :dst END", "set the source / destination (as S and D)"),
        KeyDoc(":port P", "set the port (as p)"),
        KeyDoc(":clear", "forget source, destination and port"),
        KeyDoc(":problems", "what loading met: skipped objects, unreadable data, notices"),
        KeyDoc(":map [PORT]", "namespaces × namespaces: the share of pod pairs allowed (any TCP port, or PORT); "
                              "enter drills into a cell's pods, enter again explains a pair (also m)"),
        KeyDoc(":lint", "findings in the policies: selects nothing, a port no pod has, egress without DNS, …; "
                        "enter opens the policy at the finding"),
        KeyDoc(":coverage", "which pods policies isolate, per namespace (the namespace in view); enter shows a "
                            "namespace's pods"),
        KeyDoc(":exposure [all]", "pod ports open from outside or to every namespace (all: every declared port); "
                                  "enter explains one from outside"),
        KeyDoc(":flows FILE", "a flow log (Hubble JSON, Calico, AWS agent; gzip too) against the policies: "
                              "agrees / disagrees per flow; / filters, enter explains one; :flows alone shows it again"),
        KeyDoc(":whatif PATH…", "overlay manifests on the snapshot (-d PATH deletes what PATH names; staged: "
                               "Calico's staged policies committed): the verdict shows now and with the change; "
                               ":whatif off drops it, :whatif alone says what is overlaid"),
        KeyDoc(":changes", "every flow the what-if opens, closes or makes unknown, by namespace pair and port; "
                           "o/c/u/a filter, enter lists a group's flows, enter again explains one"),
        KeyDoc(":ingress-pods NS/SEL", "the pods that carry requests from outside, when the controller is not "
                                       "recognised (as check's --ingress-pods)"),
        KeyDoc(":cni [NAME]", "the network plugin found and how policies are read; NAME (upstream, cilium, calico, "
                              "auto) reads them as that plugin does"),
        KeyDoc(":help   :q", "this help / quit"),
    )),
    ("Other", (
        KeyDoc("m", "the namespace heatmap (as :map), on the port asked about when it is a number"),
        KeyDoc("t", "try the fix a blocked verdict suggests, as a what-if: everything else it changes too"),
        KeyDoc("r", "reload from the cluster or files (and retry after an error)"),
        KeyDoc("c", "copy the explanation, or the selected policy's YAML, to the clipboard (OSC 52: works over SSH)"),
        KeyDoc("?", "this help"),
        KeyDoc("ctrl+p", "command palette: every action by name"),
        KeyDoc("q / ctrl+c", "quit, from any screen (in a text field q is a letter; ctrl+c still quits)"),
    )),
)

COMMANDS = {
    "ns": "ns", "namespace": "ns", "namespaces": "ns",
    "ctx": "ctx", "context": "ctx", "contexts": "ctx",
    "pods": "pods", "pod": "pods", "po": "pods",
    "policies": "policies", "policy": "policies", "pol": "policies", "np": "policies", "netpol": "policies",
    "netpols": "policies", "networkpolicies": "policies",
    "svc": "svc", "service": "svc", "services": "svc",
    "src": "src", "source": "src",
    "dst": "dst", "dest": "dst", "destination": "dst",
    "port": "port",
    "clear": "clear",
    "problems": "problems", "problem": "problems", "errors": "problems",
    "map": "map", "heatmap": "map",
    "lint": "lint",
    "coverage": "coverage", "isolation": "coverage",
    "exposure": "exposure", "exposed": "exposure",
    "flows": "flows", "flow": "flows",
    "cni": "cni", "plugin": "cni",
    "ingress-pods": "ingress-pods",
    "whatif": "whatif", "what-if": "whatif",
    "changes": "changes",
    "help": "help", "h": "help",
    "q": "quit", "quit": "quit", "q!": "quit", "exit": "quit",
}

COMMAND_SUGGESTIONS = ("ns ", "ns all", "ctx", "pods", "policies", "svc", "src ", "dst ", "port ", "clear", "problems",
                       "map", "lint", "coverage", "exposure", "flows ", "cni", "whatif ", "whatif off", "changes", "help", "quit")


@record
class Command:
    name: str  # canonical: a value of COMMANDS
    arg: str


def parse_command(text: str) -> Command:
    """`:ns shop` → Command("ns", "shop"). Unknown commands raise InputError naming the known ones."""
    text = text.strip().lstrip(":").strip()
    word, _, arg = text.partition(" ")
    name = COMMANDS.get(word.lower())
    if name is None:
        raise InputError(f"unknown command :{word} (try :ns NAME, :pods, :policies, :svc, :map, :lint, :coverage, :exposure, :flows FILE, "
                         ":ctx NAME, :help)"
                         if word else "type a command, e.g. :ns shop (:help lists them)")
    return Command(name, arg.strip())
