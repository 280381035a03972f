"""What the plugin did with each class of flows, against what the policies in the snapshot say.

Each class (same joined source, destination, protocol, port and observed verdict) is evaluated once
through the engine (`evaluate`, `evaluate_service`), and the verdict is compared with the observation
on the side where the plugin saw it: a drop at ingress is compared with the ingress side, and it
also says the source's egress let the packet out. A class then *agrees*, *disagrees*, is *unknown*
(the verdict, or an end, cannot be decided from the snapshot) or is *not compared* (the drop was not
a policy decision, or the protocol is one NetworkPolicy does not name).

A disagreement is a finding, never hidden: it comes with the likely causes, ranked by the evidence
found for each (`Cause`, `LikelyCause`). An agreement comes with what decided it: the deciding rule,
or the default deny and the policies that switched it on, the nearest miss and the smallest fix
(`Decision`, from the verdict's own suggestions).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from kubenet_tui.engine.caveats import Caveat, CaveatCode
from kubenet_tui.engine.cluster import Cluster, Enforcement
from kubenet_tui.engine.compile import PROFILE_COMPILERS
from kubenet_tui.engine.ends import End, ServiceTarget, Target, resolve_port
from kubenet_tui.engine.errors import InputError
from kubenet_tui.engine.evaluate import evaluate
from kubenet_tui.engine.explain import (
    Direction,
    DirectionVerdict,
    Outcome,
    RuleRef,
    Status,
    Suggestion,
    Tier,
    Verdict,
)
from kubenet_tui.engine.flowjoin import EndNote, Evidence, JoinedEnd, Joiner, merge_alike
from kubenet_tui.engine.flows import FlowAggregator, Observed, Plugin, PluginPolicy, RawClass
from kubenet_tui.engine.gaps import UnevaluatedPolicy
from kubenet_tui.engine.model import Protocol
from kubenet_tui.engine.profiles import Profile
from kubenet_tui.engine.records import record
from kubenet_tui.engine.services import ServiceVerdict, evaluate_service
from kubenet_tui.engine.suggest import suggest

if TYPE_CHECKING:  # numpy behind them: imported when a pod pair is first judged
    from kubenet_tui.engine.classes import BoolArray, PodClasses
    from kubenet_tui.engine.fast import ClassEvaluator

Answer = Verdict | ServiceVerdict


class Agreement(StrEnum):
    AGREES = "agrees"
    DISAGREES = "disagrees"
    UNKNOWN = "unknown"  # the verdict (or an end) cannot be decided from the snapshot
    NOT_COMPARED = "not-compared"  # not a policy question: a non-policy drop, ICMP, no port, no pod at either end


class Cause(StrEnum):
    """Why the plugin and the snapshot's policies may disagree."""

    SNAPSHOT_TIME = "snapshot-time"  # the snapshot and the flow are from different times
    NOT_READ = "not-read"  # an object that decides it was not read, or not evaluated
    HOST_NETWORK = "host-network"  # a node or a host-network pod: pod policies do not govern it
    L7_OR_DNS = "l7-or-dns"  # an L7 (HTTP, Kafka) or DNS (toFQDNs) rule decides it, offline unknowable
    PROFILE = "profile-mismatch"  # the policies were read as another plugin than the one that logged
    ENFORCEMENT = "enforcement"  # whether the plugin enforces policies at all is unknown or no


T = TypeVar("T")
_Add = Callable[["Cause", int, str], None]  # how the cause finders record evidence


class LikelyCause(NamedTuple):
    cause: Cause
    score: int  # higher: more evidence; causes are listed by score
    evidence: tuple[str, ...]


class SnapshotTime(NamedTuple):
    """When the snapshot was read (seconds since the epoch), and how that is known."""

    at: float | None
    how: str


UNKNOWN_TIME = SnapshotTime(None, "unknown")


class SideCheck(NamedTuple):
    """One claim of the observation, and what the verdict says about it."""

    side: Direction | None  # None: the whole connection (the log does not say where)
    observed_allows: bool
    ours: bool | None  # None: unknown
    implied: bool = False  # not observed itself: a packet seen at ingress got out of the source's egress


class Decision(NamedTuple):
    """What decided one side of our verdict."""

    side: Direction
    allowed: bool | None
    tier: Tier | None
    rules: tuple[RuleRef, ...]  # the deciding rules (none for a default deny)
    isolating: tuple[str, ...]  # the NetworkPolicies that switched the default deny on
    summary: str  # the side's own words; empty when judged by other pods of the same classes
    nearest: Suggestion | None  # the rule that came closest (matches the peer or the port, not both)
    fix: Suggestion | None  # the smallest change that would allow it


@record
class FlowClass:
    """Every observation of one flow class, our verdict for it, and the comparison."""

    plugin: Plugin
    source: JoinedEnd
    destination: JoinedEnd
    protocol: str
    port: int | None
    observed: Observed
    count: int
    records: int
    first: float | None
    last: float | None
    first_line: int
    sides: tuple[Direction | None, ...]
    reasons: tuple[str, ...]
    policies: tuple[PluginPolicy, ...]
    l7: tuple[str, ...]
    dns_names: tuple[str, ...]
    nodes: tuple[str, ...]
    answer: Answer | None
    ours: Status | None  # None: not evaluated (see `note`)
    agreement: Agreement
    note: str = ""  # why it is not compared, or why our verdict is unknown
    checks: tuple[SideCheck, ...] = ()
    decisions: tuple[Decision, ...] = ()
    causes: tuple[LikelyCause, ...] = ()
    names_match: bool | None = None  # whether the policies the plugin names are the ones that decide ours

    @property
    def verdict(self) -> Verdict | None:
        """The pod-to-pod verdict that stands for the class (a Service's: the backend that decides)."""
        return representative(self.answer)


@record
class FlowReport:
    classes: tuple[FlowClass, ...]  # disagreements first, then unknown, agreements, not compared
    records: int  # flow records read
    replies: int  # of which replies, not new connections
    first: float | None
    last: float | None
    snapshot: SnapshotTime
    profile: Profile  # the reading of the policies the verdicts used

    def count(self, agreement: Agreement) -> int:
        return sum(1 for c in self.classes if c.agreement is agreement)

    def events(self, agreement: Agreement) -> int:
        return sum(c.count for c in self.classes if c.agreement is agreement)

    @property
    def all_agree(self) -> bool:
        """No class disagrees or is unknown (classes that are not compared do not count)."""
        return not any(c.agreement in (Agreement.DISAGREES, Agreement.UNKNOWN) for c in self.classes)


def representative(answer: Answer | None) -> Verdict | None:
    if answer is None or isinstance(answer, Verdict):
        return answer
    evaluated = [b.verdict for b in answer.backends if b.verdict is not None]
    wanted = {Status.BLOCKED: False, Status.ALLOWED: True}.get(answer.status)
    return next((v for v in evaluated if v.allowed is wanted), evaluated[0] if evaluated else None)


def iso(t: float | None) -> str:
    if t is None:
        return "unknown"
    stamp = datetime.datetime.fromtimestamp(t, datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + (f".{stamp.microsecond // 1000:03d}Z" if stamp.microsecond else "Z")


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


_PROTOCOLS = {"TCP": Protocol.TCP, "UDP": Protocol.UDP, "SCTP": Protocol.SCTP}
_AGREEMENT_ORDER = {Agreement.DISAGREES: 0, Agreement.UNKNOWN: 1, Agreement.AGREES: 2, Agreement.NOT_COMPARED: 3}
_OBSERVED_ORDER = {Observed.DENIED: 0, Observed.AUDIT: 1, Observed.ALLOWED: 2, Observed.DROPPED: 3}
MAX_PAIRS = 64  # pod pairs evaluated for one class of aggregated names
# Kinds the plugins name that are Kubernetes NetworkPolicies (Cilium and Calico spell them their way).
_NETWORK_POLICY_KINDS = frozenset({"NetworkPolicy", "KubernetesNetworkPolicy"})
_ADMIN_KINDS = frozenset({"AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"})
_NOT_POLICIES = frozenset({"Profile", "EndOfTier", ""})


class _Ours(NamedTuple):
    answer: Answer | None  # the verdict of `pair`, or of a pair of the same pod classes (`exact` False)
    status: Status | None
    note: str = ""
    compared: bool = True
    pair: tuple[End, Target] | None = None  # the pair the class stands for
    exact: bool = True


class FlowJudge:
    """Joins, evaluates and compares classes against one snapshot. Joins and verdicts are cached, so
    asking for a report again as more records arrive only evaluates the new classes."""

    def __init__(self, cluster: Cluster, snapshot: SnapshotTime = UNKNOWN_TIME) -> None:
        self.cluster = cluster
        self.snapshot = snapshot
        self.joiner = Joiner(cluster)
        self._ours: dict[tuple[Profile, str, str, Protocol, int], _Ours] = {}
        self._alternatives: dict[Profile, Cluster] = {}
        # Pods no matcher can tell apart get the same verdict (classes.partition): one evaluation per pair
        # of pod classes and port answers for every pair of their pods, a pair's own explanation (which
        # names it) is computed only where it is shown.
        self._pod_classes: dict[Profile, tuple[PodClasses, dict[str, int]]] = {}
        self._evaluators: dict[tuple[Protocol, int], ClassEvaluator] = {}
        self._rows: dict[tuple[Protocol, int, int, Direction], BoolArray] = {}
        self._groups: dict[str, str] = {}  # a joined end's key -> its row's
        self._by_classes: dict[tuple[object, ...], Answer] = {}
        self._exact: dict[tuple[Profile, str, str, Protocol, int], Answer] = {}

    def report(self, aggregator: FlowAggregator) -> FlowReport:
        """Every class of flows so far, judged: one row per (source, destination, protocol, port, observed
        verdict), where pods no policy tells apart (replicas, most often) are one source or destination."""
        groups: dict[tuple[object, ...], list[tuple[RawClass, JoinedEnd, JoinedEnd]]] = defaultdict(list)
        for raw in aggregator.classes():
            source = self.joiner.join(raw.source, destination=False)
            destination = self.joiner.join(raw.destination, destination=True)
            key: tuple[object, ...] = (raw.plugin, self._group(source), self._group(destination), raw.protocol,
                                       raw.port, raw.observed)
            groups[key].append((raw, source, destination))
        classes = []
        for key, members in groups.items():
            source = _merged([s for _, s, _ in members], str(key[1]))
            destination = _merged([d for _, _, d in members], str(key[2]))
            classes.append(self._class([raw for raw, _, _ in members], source, destination))
        classes.sort(key=lambda c: (_AGREEMENT_ORDER[c.agreement], _OBSERVED_ORDER[c.observed], -c.count,
                                    c.source.label, c.destination.label, c.port or 0))
        return FlowReport(tuple(classes), aggregator.records, aggregator.replies, aggregator.first, aggregator.last,
                          self.snapshot, self.cluster.profile)

    def _group(self, end: JoinedEnd) -> str:
        """What puts an end in a row: its pod class, for a pod that carries traffic; else what it is."""
        found = self._groups.get(end.key)
        if found is None:
            found = end.key
            if len(end.targets) == 1:
                target = end.targets[0]
                if isinstance(target, End) and target.pod is not None and target.pod.carries_traffic:
                    found = f"class:{self._classes_of(self.cluster)[1][target.pod.key]}"
            self._groups[end.key] = found
        return found

    # -- one class -------------------------------------------------------------------------------------

    def _class(self, raws: Sequence[RawClass], source: JoinedEnd, destination: JoinedEnd) -> FlowClass:
        head = raws[0]
        firsts = [r.first for r in raws if r.first is not None]
        lasts = [r.last for r in raws if r.last is not None]
        sides: set[Direction | None] = _union(r.sides for r in raws)
        policies = sorted(_union(r.policies or set() for r in raws),
                          key=lambda p: (p.side or "", p.key, p.rule or 0, p.pending, p.kind, p.action, p.tier or ""))
        base = FlowClass(
            head.plugin, source, destination, head.protocol, head.port, head.observed,
            sum(r.count for r in raws), sum(r.records for r in raws), min(firsts) if firsts else None,
            max(lasts) if lasts else None, min(r.first_line for r in raws),
            tuple(sorted(sides, key=lambda s: (s is None, s or ""))),
            tuple(sorted(_union(r.reasons or set() for r in raws))), tuple(policies),
            tuple(sorted(_union(r.l7 or set() for r in raws))),
            tuple(sorted(_union(r.dns_names or set() for r in raws))),
            tuple(sorted(_union(r.nodes or set() for r in raws))), None, None, Agreement.NOT_COMPARED,
        )
        protocol = _PROTOCOLS.get(head.protocol.upper())
        if head.observed is Observed.DROPPED:
            reasons = ", ".join(base.reasons) or "no reason given"
            return replace(base, note=f"dropped for a reason that is not policy ({reasons}): the policies do not "
                                      "explain it")
        if protocol is None:
            return replace(base, note=f"{head.protocol or 'this protocol'} is not one NetworkPolicy ports name "
                                      "(TCP, UDP, SCTP): whether it passes depends on the plugin")
        if not head.port:
            return replace(base, note=f"the log gives no destination port for this {protocol.value} flow")
        alike = max(len(source.targets) if source.alike else 1, 1) * max(
            len(destination.targets) if destination.alike else 1, 1)
        shared = f"judged once for these {alike} pairs of pods: no policy tells them apart" if alike > 1 else ""
        if (head.observed is Observed.ALLOWED and not base.policies
                and self._fast_allowed(source, destination, protocol, head.port)):
            # Allowed, as the policies say, and the plugin names no policy to compare: nothing to explain
            # (the walkthrough, when asked for: `explain`).
            confirmed = [SideCheck(side, True, True) for side in base.sides]
            if Direction.INGRESS in base.sides and Direction.EGRESS not in base.sides:
                confirmed.append(SideCheck(Direction.EGRESS, True, True, implied=True))
            return replace(base, ours=Status.ALLOWED, agreement=Agreement.AGREES, checks=tuple(confirmed),
                           note=shared)
        ours = self._evaluate(source, destination, protocol, head.port)
        base = replace(base, ours=ours.status, note="; ".join(n for n in (ours.note, shared) if n))
        if not ours.compared:
            return replace(base, answer=ours.answer)
        checks = _checks(head.observed, base.sides, ours)
        agreement = _agreement(checks)
        if agreement is Agreement.AGREES:
            # What decides it is the same for every pod of these classes (rules, not names), and the fixes
            # are made for this pair's own pods; its walkthrough is computed when asked for (`explain`).
            verdict = representative(ours.answer)
            decisions = _decisions(verdict, ours.pair if not ours.exact else None) if verdict is not None else ()
            base = replace(base, answer=ours.answer if ours.exact else None)
        else:
            answer = self._exact_answer(ours, protocol, head.port)
            verdict = representative(answer)
            decisions = _decisions(verdict) if verdict is not None else ()
            base = replace(base, answer=answer)
        judged = replace(base, checks=checks, agreement=agreement, decisions=decisions,
                         names_match=_names_match(base, decisions))
        if agreement in (Agreement.DISAGREES, Agreement.UNKNOWN):
            judged = replace(judged, causes=self._causes(judged, protocol))
        return judged

    # -- our verdict ------------------------------------------------------------------------------------

    def _evaluate(self, source: JoinedEnd, destination: JoinedEnd, protocol: Protocol, port: int,
                  cluster: Cluster | None = None) -> _Ours:
        cluster = cluster or self.cluster
        key = (cluster.profile, source.key, destination.key, protocol, port)
        found = self._ours.get(key)
        if found is None:
            found = self._ours[key] = self._decide(source, destination, protocol, port, cluster)
        return found

    def _decide(self, source: JoinedEnd, destination: JoinedEnd, protocol: Protocol, port: int,
                cluster: Cluster) -> _Ours:
        for end, word in ((source, "source"), (destination, "destination")):
            if not end.targets:
                why = end.notes[0].detail if end.notes else "it is not in the snapshot"
                return _Ours(None, None, f"the {word} {end.label} cannot be evaluated: {why}")
        if all(_outside(t) for t in source.targets) and all(_outside(t) for t in destination.targets):
            return _Ours(None, None, "neither end is a pod of the cluster: no pod policy applies", compared=False)
        answers: list[tuple[End, Target, Answer, bool]] = []
        for src in source.targets[: 1 if source.alike else MAX_PAIRS]:
            if not isinstance(src, End):
                continue
            for dst in destination.targets[: 1 if destination.alike else MAX_PAIRS]:
                if len(answers) >= MAX_PAIRS:
                    break
                try:
                    answer, exact = self._shared(cluster, src, dst, protocol, port)
                except InputError as exc:
                    return _Ours(None, None, f"{src.name} -> {_name(dst)} on {port}/{protocol.value}: {exc}")
                answers.append((src, dst, answer, exact))
        if not answers:
            return _Ours(None, None, "no pair of ends could be evaluated")
        statuses = {a.status for _, _, a, _ in answers}
        if len(statuses) == 1:
            src, dst, answer, exact = answers[0]
            note = f"the same for all {len(answers)} pairs of pods" if len(answers) > 1 else ""
            return _Ours(answer, answer.status, note, pair=(src, dst), exact=exact)
        by_status: dict[Status, list[str]] = defaultdict(list)
        for src, dst, answer, _ in answers:
            by_status[answer.status].append(f"{src.name} -> {_name(dst)}")
        parts = "; ".join(f"{status.value.upper()} for {', '.join(names[:4])}{' ...' if len(names) > 4 else ''}"
                          for status, names in sorted(by_status.items()))
        src, dst, chosen, exact = next((a for a in answers if a[2].status is Status.BLOCKED), answers[0])
        return _Ours(chosen, Status.UNKNOWN, f"the pods the plugin logged as one do not all get the same verdict: "
                                             f"{parts}", pair=(src, dst), exact=exact)

    def _shared(self, cluster: Cluster, source: End, destination: Target, protocol: Protocol,
                port: int) -> tuple[Answer, bool]:
        """The verdict of this pair, or of the first pair of the same pod classes asked about (the status,
        the sides and the deciding rules are the same; only names differ). True: it is this pair's own."""
        if isinstance(destination, ServiceTarget) or source.pod is None or destination.pod is None:
            return self._exact_pair(cluster, source, destination, protocol, port), True
        classes = self._classes_of(cluster)[1]
        key = (cluster.profile, classes[source.pod.key], classes[destination.pod.key],
               source.pod is destination.pod, protocol, port)
        found = self._by_classes.get(key)
        if found is None:
            found = self._by_classes[key] = self._exact_pair(cluster, source, destination, protocol, port)
            return found, True
        mine = self._exact.get((cluster.profile, source.name, destination.name, protocol, port))
        return (mine, True) if mine is not None else (found, False)

    def _exact_pair(self, cluster: Cluster, source: End, destination: Target, protocol: Protocol,
                    port: int) -> Answer:
        key = (cluster.profile, source.name, _name(destination), protocol, port)
        found = self._exact.get(key)
        if found is None:
            found = self._exact[key] = _answer(cluster, source, destination, protocol, port)
        return found

    def _exact_answer(self, ours: _Ours, protocol: Protocol, port: int) -> Answer | None:
        if ours.exact or ours.pair is None:
            return ours.answer
        return self._exact_pair(self.cluster, ours.pair[0], ours.pair[1], protocol, port)

    def _classes_of(self, cluster: Cluster) -> tuple[PodClasses, dict[str, int]]:
        """The pods in classes no policy of `cluster` (as its profile reads them) tells apart."""
        found = self._pod_classes.get(cluster.profile)
        if found is None:
            from kubenet_tui.engine.classes import partition  # numpy: only once there is a pod pair to judge

            parted = partition(cluster.program, cluster.index, cluster.pods)
            found = self._pod_classes[cluster.profile] = (parted, {
                pod.key: int(c) for pod, c in zip(parted.pods, parted.class_of, strict=True)})
        return found

    def _fast_allowed(self, source: JoinedEnd, destination: JoinedEnd, protocol: Protocol, port: int) -> bool:
        """Whether both sides surely allow this pod pair, from the class rows (`fast.ClassEvaluator`: the
        same compiled rules, folded over classes; unknown is not allowed there). False: not known this way."""
        cluster = self.cluster
        if cluster.plugin is not None and cluster.plugin.enforcement is Enforcement.NOT_ENFORCED:
            return False
        if not (source.targets and destination.targets):
            return False
        src, dst = source.targets[0], destination.targets[0]
        if not (isinstance(src, End) and isinstance(dst, End) and src.pod is not None and dst.pod is not None
                and src.pod is not dst.pod and src.pod.carries_traffic and dst.pod.carries_traffic):
            return False
        if (len(source.targets) > 1 and not source.alike) or (len(destination.targets) > 1 and not destination.alike):
            return False
        parted, classes = self._classes_of(cluster)
        evaluator = self._evaluators.get((protocol, port))
        if evaluator is None:
            from kubenet_tui.engine.fast import ClassEvaluator

            evaluator = self._evaluators[(protocol, port)] = ClassEvaluator(cluster, parted, protocol, port)
        s, d = classes[src.pod.key], classes[dst.pod.key]
        return bool(self._row(evaluator, protocol, port, s, Direction.EGRESS)[d]) and bool(self._row(
            evaluator, protocol, port, d, Direction.INGRESS)[s])

    def _row(self, evaluator: ClassEvaluator, protocol: Protocol, port: int, cls: int,
             direction: Direction) -> BoolArray:
        """A class's row, kept: the evaluator shares rows by what selects the class, but works that out on
        every call, and a busy log asks about the same classes again and again."""
        key = (protocol, port, cls, direction)
        found = self._rows.get(key)
        if found is None:
            found = self._rows[key] = evaluator.row(cls, direction)
        return found

    def explain(self, cls: FlowClass) -> Answer | None:
        """The class's own verdict in full (an agreeing, allowed class is judged by its pod classes and
        keeps no walkthrough: this computes it)."""
        if cls.answer is not None or cls.ours is None or cls.port is None:
            return cls.answer
        protocol = _PROTOCOLS.get(cls.protocol.upper())
        if protocol is None:
            return None
        ours = self._evaluate(cls.source, cls.destination, protocol, cls.port)
        return self._exact_answer(ours, protocol, cls.port)

    def _alternative(self, profile: Profile) -> Cluster:
        """The same snapshot read as `profile` (the plugin that wrote the log) reads the policies."""
        found = self._alternatives.get(profile)
        if found is None:
            found = self._alternatives[profile] = replace(self.cluster, profile_override=profile)
        return found

    # -- likely causes ----------------------------------------------------------------------------------

    def _causes(self, cls: FlowClass, protocol: Protocol) -> tuple[LikelyCause, ...]:
        found: dict[Cause, tuple[list[int], list[str]]] = {}

        def add(cause: Cause, score: int, evidence: str) -> None:
            scores, texts = found.setdefault(cause, ([], []))
            scores.append(score)
            if evidence not in texts:
                texts.append(evidence)

        for role, end in (("source", cls.source), ("destination", cls.destination)):
            for note in end.notes:
                weight = _NOTE_WEIGHTS.get(note.evidence)
                if weight is not None:
                    add(weight[0], weight[1], f"{role}: {note.detail}")
        self._time_cause(cls, add)
        self._named_policy_causes(cls, add)
        verdict = cls.verdict
        expected = cls.observed.policy_allows
        if cls.ours is Status.UNKNOWN or cls.ours is Status.NOT_EVALUATED or cls.answer is None:
            gaps = _gap_texts(cls.answer)
            for text in gaps:
                add(Cause.NOT_READ, 60, text)
            if verdict is not None and verdict.assumed_status is not None and cls.ours is Status.UNKNOWN:
                said = verdict.assumed_status.value.upper()
                agrees = (verdict.assumed_status is Status.ALLOWED) is expected
                add(Cause.NOT_READ, 30 if agrees else 10,
                    f"the policies that were read say {said} on their own"
                    + (", as the plugin did" if agrees else ", unlike the plugin"))
        for caveat in _caveats(cls.answer):
            if caveat.code in (CaveatCode.NOT_ENFORCED, CaveatCode.ENFORCEMENT_UNKNOWN, CaveatCode.PLUGIN_UNIDENTIFIED):
                add(Cause.ENFORCEMENT, 40 if caveat.code is CaveatCode.ENFORCEMENT_UNKNOWN else 30, caveat.message)
            elif caveat.code in (CaveatCode.HOST_NETWORK, CaveatCode.HOST_NETWORK_PEER):
                add(Cause.HOST_NETWORK, 40, caveat.message)
            elif caveat.code is CaveatCode.NODE_TRAFFIC and cls.source.has(Evidence.HOST_NETWORK):
                add(Cause.HOST_NETWORK, 20, caveat.message)
            elif caveat.code is CaveatCode.PROFILE_DIFFERS:
                add(Cause.PROFILE, 30, caveat.message)
            elif caveat.code is CaveatCode.UNEVALUATED_POLICY:
                add(Cause.NOT_READ, 40, caveat.message)
        if cls.source.has(Evidence.HOST_NETWORK) and expected is True and cls.plugin is Plugin.HUBBLE:
            add(Cause.HOST_NETWORK, 20, "Cilium lets a node reach the pods on it whatever the policies say "
                                        "(allow-localhost)")
        self._l7_causes(cls, protocol, add)
        self._profile_cause(cls, protocol, add)
        causes = [LikelyCause(cause, max(scores) + 5 * (len(scores) - 1), tuple(texts))
                  for cause, (scores, texts) in found.items()]
        causes.sort(key=lambda c: (-c.score, list(Cause).index(c.cause)))
        return tuple(causes)

    def _time_cause(self, cls: FlowClass, add: _Add) -> None:
        at, how = self.snapshot
        flows = f"{iso(cls.first)} to {iso(cls.last)}" if cls.first != cls.last else iso(cls.first)
        if cls.first is None:
            add(Cause.SNAPSHOT_TIME, 5, f"the log gives no time for these flows; the snapshot: {iso(at)} ({how})")
        elif at is None:
            add(Cause.SNAPSHOT_TIME, 5, f"flows at {flows}; when the snapshot was taken is not known ({how})")
        elif cls.last is not None and cls.last > at:
            add(Cause.SNAPSHOT_TIME, 20, f"flows at {flows}, the snapshot at {iso(at)} ({how}): the flows are "
                                         f"{_span(cls.last - at)} newer, and what changed since is not in it")
        else:
            add(Cause.SNAPSHOT_TIME, 10, f"flows at {flows}, the snapshot at {iso(at)} ({how}): the snapshot is "
                                         f"{_span(at - (cls.last or at))} newer; the cluster may have changed since")

    @cached_property
    def _policy_names(self) -> tuple[frozenset[str], frozenset[str], dict[tuple[str, str], UnevaluatedPolicy]]:
        """The NetworkPolicies, admin policies and unevaluated policies of the snapshot, by name."""
        cluster = self.cluster
        return (frozenset(p.key for p in cluster.network_policies), frozenset(p.name for p in cluster.admin_policies),
                {(u.kind, u.key): u for u in cluster.unevaluated})

    def _named_policy_causes(self, cls: FlowClass, add: _Add) -> None:
        netpols, admin, unevaluated = self._policy_names
        for policy in cls.policies:
            if policy.pending or policy.kind in _NOT_POLICIES:
                continue
            name = f"{policy.kind} {policy.key}"
            if policy.kind in _NETWORK_POLICY_KINDS:
                if policy.key not in netpols:
                    add(Cause.SNAPSHOT_TIME, 45, f"the plugin names {name}, which is not in the snapshot")
            elif policy.kind in _ADMIN_KINDS:
                if policy.name not in admin:
                    add(Cause.SNAPSHOT_TIME, 45, f"the plugin names {name}, which is not in the snapshot")
            elif (policy.kind, policy.key) in unevaluated:
                add(Cause.NOT_READ, 45, f"the plugin names {name}: {unevaluated[(policy.kind, policy.key)].reason}")
            else:
                add(Cause.NOT_READ, 45, f"the plugin names {name}, a kind of policy that was not read")

    def _l7_causes(self, cls: FlowClass, protocol: Protocol, add: _Add) -> None:
        if cls.l7:
            add(Cause.L7_OR_DNS, 60, f"an L7 proxy handled these flows ({', '.join(cls.l7)}): the verdict here is "
                                     "L3/L4 only, and L7 rules decide each request")
        if cls.dns_names and not cls.destination.has(Evidence.HOST_NETWORK) and all(
                _outside(t) for t in cls.destination.targets):
            add(Cause.L7_OR_DNS, 45, f"the destination had the DNS names {', '.join(cls.dns_names[:3])}: a DNS rule "
                                     "(toFQDNs) may decide it, and which names an address has is not known offline")
        if cls.port == 53 and protocol in (Protocol.UDP, Protocol.TCP):
            add(Cause.L7_OR_DNS, 10, "DNS traffic: plugins often handle it apart (DNS proxies, node-local caches)")

    def _profile_cause(self, cls: FlowClass, protocol: Protocol, add: _Add) -> None:
        expected = cls.plugin.profile
        used = self.cluster.profile
        if used is expected:
            return
        add(Cause.PROFILE, 35, f"the flows come from {_PLUGIN_NAMES[cls.plugin]}, which reads the policies as "
                               f"{expected.value}, but the verdict read them as {used.value} (--cni {expected.value} "
                               "reads them as the plugin does)")
        if cls.port is None or (expected not in PROFILE_COMPILERS and used not in PROFILE_COMPILERS):
            return  # both read the policies as upstream does: no other answer to find
        other = self._evaluate(cls.source, cls.destination, protocol, cls.port, self._alternative(expected))
        if other.status is None or other.status is cls.ours:
            return
        said = other.status.value.upper()
        agrees = _agreement(_checks(cls.observed, cls.sides, other)) is Agreement.AGREES
        add(Cause.PROFILE, 65 if agrees else 20, f"read as {expected.value}, the policies say {said}"
                                                 + (", as the plugin did" if agrees else ""))


_PLUGIN_NAMES = {Plugin.HUBBLE: "Cilium (Hubble)", Plugin.CALICO: "Calico", Plugin.AWS: "the AWS network policy agent"}
_NOTE_WEIGHTS: dict[Evidence, tuple[Cause, int]] = {
    Evidence.NOT_IN_SNAPSHOT: (Cause.SNAPSHOT_TIME, 50),
    Evidence.ADDRESS_ELSEWHERE: (Cause.SNAPSHOT_TIME, 50),
    Evidence.LABELS_DIFFER: (Cause.SNAPSHOT_TIME, 45),
    Evidence.IN_CLUSTER_RANGE: (Cause.SNAPSHOT_TIME, 40),
    Evidence.NOT_READ: (Cause.NOT_READ, 50),
    Evidence.HOST_NETWORK: (Cause.HOST_NETWORK, 50),
}


# -- helpers ------------------------------------------------------------------------------------------


def _merged(ends: Sequence[JoinedEnd], key: str) -> JoinedEnd:
    """The ends one row stands for, as one: the pods of a class, or one end logged in several ways (a pod
    with and without its labels), with every note kept."""
    distinct = list({e.key: e for e in ends}.values())
    if len(distinct) > 1:
        return merge_alike(distinct, key)
    first = distinct[0]
    extra: list[EndNote] = []
    for end in ends[1:]:
        extra.extend(n for n in end.notes if n not in first.notes and n not in extra)
    return replace(first, notes=first.notes + tuple(extra)) if extra else first


def _union(sets: Iterable[set[T]]) -> set[T]:
    found: set[T] = set()
    for one in sets:
        found |= one
    return found


def _outside(target: Target) -> bool:
    return isinstance(target, End) and target.pod is None


def _name(target: Target) -> str:
    return target.name


def _answer(cluster: Cluster, source: End, destination: Target, protocol: Protocol, port: int) -> Answer:
    if isinstance(destination, ServiceTarget):
        return evaluate_service(cluster, source, destination.service, protocol, str(port), destination.via)
    number, name = resolve_port(str(port), protocol, destination)
    return evaluate(cluster, source, destination, protocol, number, name)


def _status_allows(status: Status | None) -> bool | None:
    return None if status is None else status.allowed


def _checks(observed: Observed, sides: Iterable[Direction | None], ours: _Ours) -> tuple[SideCheck, ...]:
    expect = observed.policy_allows
    assert expect is not None  # non-policy drops are not compared
    answer = ours.answer
    if not isinstance(answer, Verdict) or ours.status is not answer.status:
        # A Service, or pods that do not all agree: only the connection as a whole.
        return (SideCheck(None, expect, _status_allows(ours.status)),)
    wire = answer.enforced is False  # a plugin that enforces nothing lets every side through
    found: list[SideCheck] = []
    for side in sides:
        if side is None:
            found.append(SideCheck(None, expect, _status_allows(answer.status)))
            continue
        verdict = answer.egress if side is Direction.EGRESS else answer.ingress
        found.append(SideCheck(side, expect, True if wire else verdict.allowed))
    if Direction.INGRESS in sides and not any(c.side is Direction.EGRESS and c.observed_allows for c in found):
        # Seen at the destination: the source's egress let it out.
        found.append(SideCheck(Direction.EGRESS, True, True if wire else answer.egress.allowed, implied=True))
    return tuple(found)


def _agreement(checks: Sequence[SideCheck]) -> Agreement:
    if any(c.ours is not None and c.ours is not c.observed_allows for c in checks):
        return Agreement.DISAGREES
    if any(c.ours is None for c in checks):
        return Agreement.UNKNOWN
    return Agreement.AGREES


def _decisions(verdict: Verdict, pair: tuple[End, Target] | None = None) -> tuple[Decision, ...]:
    """What decided each evaluated side. `pair`: the verdict is of other pods of the same classes (which
    rules matched is the same for them), and the suggestions are made again for these two pods; the
    summaries, which name the other pods, are left out."""
    found = []
    for side in (verdict.egress, verdict.ingress):
        if not side.evaluated:
            continue
        if pair is None:
            mine = [s for s in verdict.suggestions if s.direction is side.direction]
        else:
            mine = list(_suggest_for(side, pair, verdict))
        nearest = next((s for s in mine if s.kind in ("add-port", "add-peer")), None)
        isolating = side.isolating_policies if side.decided_by is Tier.NETWORK_POLICY else ()
        if side.decided_by is not None and side.decided_by is not Tier.NETWORK_POLICY:
            # A first-match tier's default (a Calico tier's end, Cilium's default deny) names who selected it.
            tier = next((t for t in side.tiers if t.tier is side.decided_by and t.outcome is Outcome.DENY), None)
            if tier is not None and not side.deciding_rules:
                isolating = tuple(p.key for p in tier.policies if p.selects)
        found.append(Decision(side.direction, side.allowed, side.decided_by, side.deciding_rules, isolating,
                              side.summary if pair is None else "", nearest, mine[0] if mine else None))
    return tuple(found)


def _suggest_for(side: DirectionVerdict, pair: tuple[End, Target], verdict: Verdict) -> tuple[Suggestion, ...]:
    """`suggest` for this pair's own pods, on a side verdict of their class-mates."""
    source, destination = pair
    if not isinstance(destination, End):
        return ()
    subject, peer = (source, destination) if side.direction is Direction.EGRESS else (destination, source)
    if subject.pod is None:
        return ()
    peer_ips = peer.pod.ips if peer.pod is not None else ((peer.ip,) if peer.ip is not None else ())
    if not peer_ips:
        return ()
    return suggest(side, subject.pod, peer.pod, peer_ips, verdict.protocol, verdict.port)


def _names_match(cls: FlowClass, decisions: Sequence[Decision]) -> bool | None:
    expect = cls.observed.policy_allows
    action = {True: "allow", False: "deny"}.get(expect) if expect is not None else None
    named = [p for p in cls.policies if not p.pending and p.kind not in _NOT_POLICIES and p.action == action]
    if not named:
        return None
    ours: set[tuple[Direction, str]] = set()
    for decision in decisions:
        ours.update((decision.side, f"{r.namespace}/{r.name}" if r.namespace else r.name) for r in decision.rules)
        if decision.allowed is False:  # the policies that switched a default deny on decide it too
            ours.update((decision.side, key) for key in decision.isolating)
    return any((side, p.key) in ours for p in named for side in ((p.side,) if p.side else tuple(Direction)))


def _caveats(answer: Answer | None) -> list[Caveat]:
    if answer is None:
        return []
    found = list(answer.caveats)
    if isinstance(answer, ServiceVerdict):
        for backend in answer.backends:
            if backend.verdict is not None:
                found.extend(c for c in backend.verdict.caveats if c not in found)
    return found


def _gap_texts(answer: Answer | None) -> list[str]:
    """What could not be read or evaluated, as the verdict says it."""
    verdict = representative(answer)
    if verdict is None:
        return []
    found = []
    for side in (verdict.egress, verdict.ingress):
        for tier in side.tiers:
            if tier.outcome is Outcome.UNKNOWN:
                found.append(f"{side.direction.value} at {side.endpoint}: {tier.summary}")
        if side.allowed is None and not side.tiers and side.summary:
            found.append(side.summary)
    for caveat in verdict.caveats:
        if caveat.code in (CaveatCode.PODS_UNREADABLE, CaveatCode.NAMESPACE_NOT_LOADED, CaveatCode.IN_CLUSTER_RANGE):
            found.append(caveat.message)
    if not found and verdict.status is Status.UNKNOWN:
        found.append(verdict.summary)
    return found
