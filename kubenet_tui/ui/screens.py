"""Full-screen views pushed over the explorer: help, a policy's YAML (with a rule highlighted), a pod,
a Service. Each is handed its data when created (attributes down) and posts `EndPicked` when the
user marks an end from it (messages up); esc goes back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from kubenet_tui.engine.explain import section_label
from kubenet_tui.engine.model import Pod, Service
from kubenet_tui.render.yaml_locate import RuleLines, locate, locate_rule, manifest_yaml
from kubenet_tui.sources.base import Snapshot
from kubenet_tui.ui.connection import EndSpec
from kubenet_tui.ui.explain_tree import PolicyLink
from kubenet_tui.ui.keys import HELP
from kubenet_tui.ui.messages import EndPicked
from kubenet_tui.ui.model import PodPolicies, PolicyItem, label_text


class Scroller(VerticalScroll):
    """A scrolling body that also answers to j/k and g/G."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
        Binding("g", "scroll_home", "Top", show=False),
        Binding("G", "scroll_end", "Bottom", show=False),
    ]


class HelpScreen(ModalScreen[None]):
    """Every key and command, generated from `keys.HELP`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with Scroller(id="help-body"):
            yield Static(help_table(), id="help-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-body").border_title = "kubenet-tui keys"
        self.query_one("#help-body").border_subtitle = "esc closes"
        self.query_one("#help-body").focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", max_width=24)
    table.add_column()
    for section, docs in HELP:
        table.add_row(Text(section, style="bold underline"), "")
        for doc in docs:
            table.add_row(doc.keys, doc.does)
        table.add_row("", "")
    table.add_row(Text("Reading a verdict", style="bold underline"), "")
    table.add_row("✔ / ✗", "allowed / blocked (colour is never the only sign)")
    table.add_row("I E", "in the pods table: isolated for Ingress / Egress by some NetworkPolicy")
    table.add_row("S D", "the pods marked as source / destination")
    table.add_row("◀ decides", "the rule that decides a direction")
    return table


class ProblemsScreen(Screen[None]):
    """What loading met: objects skipped or doubtful, data that could not be read, cluster notices."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", show=True),
    ]

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Loading report: {self.snapshot.load_summary()}", style="bold"), id="detail-title")
        with Scroller(id="detail-body"):
            yield Static(problems_text(self.snapshot))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()


def problems_text(snapshot: Snapshot) -> Text:
    text = Text()
    cluster = snapshot.cluster
    for notice in cluster.notices:
        text.append("! ", style="bold yellow")
        text.append(f"{notice}\n")
    for gap in cluster.unreadable:
        text.append("? unreadable ", style="bold yellow")
        text.append(f"{gap.describe()}: verdicts that depend on it are UNKNOWN\n")
    for problem in snapshot.problems:
        style = "bold red" if problem.severity == "error" else "bold yellow"
        text.append(f"{problem.severity} ", style=style)
        text.append(f"{problem.describe()}\n")
    if snapshot.ignored_kinds:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(snapshot.ignored_kinds.items()))
        text.append(f"ignored (kinds the engine does not use): {kinds}\n", style="dim")
    if not text:
        text.append("Nothing to report: every object loaded cleanly.", style="dim")
    return text


class YamlView(Widget):
    """YAML with line numbers; the lines of a rule marked │ and its matching peer and port ▶, so the
    highlight reads without colour too."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"yaml-view--gutter", "yaml-view--rule", "yaml-view--match"}

    def __init__(self, text: str, lines: RuleLines | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self.lines = lines

    def render(self) -> Text:
        highlighted = Syntax(self.text, "yaml", theme="ansi_dark", background_color="default").highlight(self.text)
        gutter = self.get_component_rich_style("yaml-view--gutter")
        rule_style = self.get_component_rich_style("yaml-view--rule")
        match_style = self.get_component_rich_style("yaml-view--match")
        out = Text(no_wrap=True)
        rows = highlighted.split("\n", allow_blank=True)
        width = len(str(len(rows)))
        spans = self.lines
        for number, row in enumerate(rows):
            if number == len(rows) - 1 and not row.plain:
                break
            in_rule = spans is not None and number in spans.rule
            is_match = spans is not None and any(s is not None and number in s for s in (spans.peer, spans.port))
            marker = "▶" if is_match else ("│" if in_rule else " ")
            out.append(f"{number + 1:>{width}} ", style=gutter)
            out.append(f"{marker} ", style="bold" if in_rule else "")
            line = row.copy()
            if is_match:
                line.stylize(match_style)
            elif in_rule:
                line.stylize(rule_style)
            out.append_text(line)
            out.append("\n")
        return out


class PolicyScreen(Screen[None]):
    """A policy's YAML, syntax-highlighted, with the deciding rule marked, and the pods it selects."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", show=True),
        Binding("c", "copy", "Copy YAML", show=True),
    ]

    def __init__(self, item: PolicyItem, selected: Sequence[Pod], link: PolicyLink | None = None,
                 path: Sequence[str | int] | None = None, why: str = "") -> None:
        """`link`: the rule an explanation names; `path`: a node of the YAML to mark instead (a lint
        finding's), with `why` in the title."""
        super().__init__()
        self.item = item
        self.selected = selected
        self.link = link
        self.why = why
        self.yaml_text = manifest_yaml(item.manifest)
        self.rule_lines = locate_rule(self.yaml_text, link.rule) if link is not None and link.rule else None
        if path is not None and self.rule_lines is None:
            span = locate(self.yaml_text, path)
            self.rule_lines = RuleLines(span) if span is not None else None

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="detail-title")
        with Scroller(id="detail-body"):
            yield YamlView(self.yaml_text or "# no manifest was kept for this policy\n", self.rule_lines, id="yaml")
        yield Static(self._selected_text(), id="detail-foot")
        yield Footer(compact=True)

    def _title(self) -> Text:
        text = Text.assemble((self.item.title, "bold"))
        if self.link is not None and self.link.rule is not None:
            ref = self.link.rule
            what = "deciding rule" if self.link.deciding else "rule"
            where = section_label(ref.section, ref.direction)  # ingressDeny, specs[1].egress, ...
            text.append(f"   {what} {where}[{ref.rule}]", style="bold reverse" if self.link.deciding else "bold")
            if ref.peer is not None or ref.port is not None:
                text.append("  ▶ matches", style="dim")
        if self.why:
            text.append(f"   {self.why}", style="bold")
        return text

    def _selected_text(self) -> Text:
        if self.item.route:
            return Text(self.item.selector, style="dim")
        count = len(self.selected)
        names = ", ".join(p.name if p.namespace == self.item.namespace else p.key for p in self.selected[:12])
        more = f" … and {count - 12} more" if count > 12 else ""
        text = Text.assemble((f"selects {count} pod{'s' if count != 1 else ''}", "bold"), ": " if count else "")
        text.append(names + more)
        text.append(f"   ({self.item.selector})", style="dim")
        return text

    def on_mount(self) -> None:
        body = self.query_one("#detail-body", Scroller)
        body.border_title = f"{self.item.kind} YAML"
        body.border_subtitle = "c copies · esc back"
        body.focus()
        if self.rule_lines is not None:
            first = self.rule_lines.rule.first
            self.call_after_refresh(body.scroll_to, y=max(0, first - 2), animate=False)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.yaml_text)
        self.notify(f"copied the YAML of {self.item.title} ({len(self.yaml_text.splitlines())} lines)",
                    title="clipboard (OSC 52)", timeout=3)


def pod_text(pod: Pod, policies: PodPolicies, services: Sequence[Service]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("pod", pod.key)
    grid.add_row("phase", pod.phase.value + ("" if pod.carries_traffic else "  (carries no traffic: not evaluated)"))
    grid.add_row("IPs", ", ".join(str(ip) for ip in pod.ips) or "-")
    grid.add_row("node", pod.node_name or "-")
    if pod.host_network:
        grid.add_row("network", Text("host network: pod policies do not govern it", style="yellow"))
    grid.add_row("labels", "\n".join(f"{k}={v}" for k, v in sorted(pod.labels.items())) or "-")
    ports = [f"{c.port}/{c.protocol.value}" + (f" ({c.name})" if c.name else "") for c in pod.ports]
    grid.add_row("ports", ", ".join(ports) or "-")
    grid.add_row("ingress", _isolation(policies.ingress, "ingress"))
    grid.add_row("egress", _isolation(policies.egress, "egress"))
    if policies.admin:
        grid.add_row("cluster policies", ", ".join(policies.admin))
    if services:
        grid.add_row("services", ", ".join(s.name for s in services))
    return grid


def _isolation(keys: Sequence[str], direction: str) -> Text:
    if not keys:
        return Text(f"not isolated: every {direction} connection is allowed by NetworkPolicies", style="dim")
    return Text(f"isolated by {', '.join(keys)}")


def service_text(service: Service, backends: Sequence[Pod], slices: int) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("service", f"svc/{service.key}")
    grid.add_row("type", service.type + (f" (externalTrafficPolicy {service.external_traffic_policy})"
                                         if service.external_traffic_policy else ""))
    grid.add_row("cluster IPs", ", ".join(str(ip) for ip in service.cluster_ips) or "None")
    ports = []
    for sp in service.ports:
        name = f" ({sp.name})" if sp.name else ""
        node = f", nodePort {sp.node_port}" if sp.node_port else ""
        ports.append(f"{sp.port}/{sp.protocol.value}{name} → targetPort {sp.target_port}{node}")
    grid.add_row("ports", "\n".join(ports) or "-")
    grid.add_row("selector", label_text(service.selector) if service.selector else "none (endpoints managed elsewhere)")
    grid.add_row("endpoint slices", str(slices))
    grid.add_row("selected pods", ", ".join(p.name for p in backends) or "-")
    return grid


class PodScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", show=True),
        Binding("s", "pick('source')", "Source", show=True),
        Binding("d", "pick('destination')", "Destination", show=True),
    ]

    def __init__(self, pod: Pod, policies: PodPolicies, services: Sequence[Service]) -> None:
        super().__init__()
        self.pod = pod
        self.policies = policies
        self.services = services

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Pod {self.pod.key}", style="bold"), id="detail-title")
        with Scroller(id="detail-body"):
            yield Static(pod_text(self.pod, self.policies, self.services))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()

    def action_pick(self, role: str) -> None:
        self.app.post_message(EndPicked(role, EndSpec.pod(self.pod.key)))
        self.app.pop_screen()


class ServiceScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back", show=True),
        Binding("d", "pick('destination')", "Destination", show=True),
    ]

    def __init__(self, service: Service, backends: Sequence[Pod], slices: int) -> None:
        super().__init__()
        self.service = service
        self.backends = backends
        self.slices = slices

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Service {self.service.key}", style="bold"), id="detail-title")
        with Scroller(id="detail-body"):
            yield Static(service_text(self.service, self.backends, self.slices))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-body").focus()

    def action_pick(self, role: str) -> None:
        self.app.post_message(EndPicked(role, EndSpec.service(self.service.key)))
        self.app.pop_screen()


class ContextScreen(ModalScreen[str | None]):
    """The kubeconfig's contexts (`:ctx` alone): arrows or j/k move, enter switches, esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=True),
        Binding("j", "cursor('down')", "Down", show=False),
        Binding("k", "cursor('up')", "Up", show=False),
    ]

    def __init__(self, contexts: Sequence[str], current: str | None) -> None:
        super().__init__()
        self.contexts = tuple(contexts)
        self.current = current

    def compose(self) -> ComposeResult:
        options = [Option(Text.assemble(("● " if name == self.current else "  ", "bold"), name), id=name)
                   for name in self.contexts]
        picker = OptionList(*options, id="contexts")
        picker.border_title = "Switch context"
        picker.border_subtitle = "enter switches · esc cancels"
        yield picker
        yield Footer(compact=True)

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        if self.current in self.contexts:
            picker.highlighted = self.contexts.index(self.current)
        elif self.contexts:
            picker.highlighted = 0
        picker.focus()

    def action_cursor(self, direction: str) -> None:
        picker = self.query_one(OptionList)
        if direction == "down":
            picker.action_cursor_down()
        else:
            picker.action_cursor_up()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
