"""What-if overlays: manifests applied on top of a snapshot as `kubectl apply` would (an object with
the same API group, kind, namespace and name replaces the one there), and objects deleted as
`kubectl delete -f` would (a Namespace takes what is in it along).

One mechanism for `diff --head SOURCE+PATH`, the explorer's `:whatif PATH`, a suggested fix tried
before it is copied, and any view derived from a snapshot (Calico's staged policies committed): an
`Overlay` is a function from a base `Snapshot` to the overlaid one, and says what it adds, replaces
and deletes. It works on decoded objects turned into the model by the same loader as everything else
(`parse.ObjectCollector`): defaulting, validation and problems are those of `-f`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field
from typing import Any, NamedTuple

from kubenet_tui.engine.cluster import Cluster
from kubenet_tui.engine.records import record
from kubenet_tui.sources.base import Snapshot, SourceError
from kubenet_tui.sources.files import read_paths
from kubenet_tui.sources.kinds import identify, is_cluster_scoped
from kubenet_tui.sources.parse import ObjectCollector, Problem

# Kinds without a namespace besides the cluster-scoped policy kinds `kinds.is_cluster_scoped` knows.
_CLUSTER_KINDS = frozenset({"Namespace", "Node", "ServiceCIDR", "CiliumCIDRGroup", "ClusterRole",
                            "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume", "StorageClass"})
# A kind read under an older group is the same object (`kubectl apply` of either replaces it).
_SAME_GROUP = {("extensions", "NetworkPolicy"): "networking.k8s.io"}


class ObjectRef(NamedTuple):
    """What names a Kubernetes object: API group ("" for the core group), kind, namespace, name.
    (A tuple: every object of a snapshot gets one when an overlay is applied.)"""

    group: str
    kind: str
    namespace: str | None
    name: str

    def describe(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"


def _order(ref: ObjectRef) -> tuple[str, str, str, str]:
    return ref.group, ref.kind, ref.namespace or "", ref.name


def _ref(group: str, kind: str, namespace: str | None, name: str) -> ObjectRef:
    return ObjectRef(_SAME_GROUP.get((group, kind), group), kind, namespace, name)


def _group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


# The fields of a Cluster that hold objects an overlay can add, replace and delete, and how each of
# their objects is named. A field missing here keeps the base's value (and an overlay cannot touch it:
# its objects are reported, never silently dropped).
REFS: dict[str, Callable[[Any], ObjectRef]] = {
    "namespaces": lambda o: _ref("", "Namespace", None, o.name),
    "pods": lambda o: _ref("", "Pod", o.namespace, o.name),
    "services": lambda o: _ref("", "Service", o.namespace, o.name),
    "endpoint_slices": lambda o: _ref("discovery.k8s.io", "EndpointSlice", o.namespace, o.name),
    "network_policies": lambda o: _ref("networking.k8s.io", "NetworkPolicy", o.namespace, o.name),
    "admin_policies": lambda o: _ref("policy.networking.k8s.io", o.kind, None, o.name),
    "nodes": lambda o: _ref("", "Node", None, o.name),
    "cilium_policies": lambda o: _ref("cilium.io", o.kind, o.namespace, o.name),
    "cilium_cidr_groups": lambda o: _ref("cilium.io", "CiliumCIDRGroup", None, o.name),
    # Policies read but not evaluated (invalid, another version, a plugin's kind): objects too.
    "unevaluated": lambda o: _ref(_group_of(o.api_version), o.kind, o.namespace, o.name),
}
# Fields that describe the read rather than hold objects: the base's are kept.
_READ_FIELDS = frozenset({"unreadable", "notices", "plugin", "profile_override"})


def ref_of(obj: Mapping[str, Any]) -> ObjectRef | None:
    """The name of a decoded object (None: it has no kind or name)."""
    kind = obj.get("kind")
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if not isinstance(kind, str) or not kind or not isinstance(name, str) or not name:
        return None
    identity = identify(kind, obj.get("apiVersion"))
    namespace: str | None = None
    if not (is_cluster_scoped(identity) or kind in _CLUSTER_KINDS):
        raw = meta.get("namespace") if isinstance(meta, Mapping) else None
        namespace = raw if isinstance(raw, str) and raw else "default"  # as the loader defaults it
    return _ref(identity.group, kind, namespace, name)


def objects_of(cluster: Cluster) -> dict[ObjectRef, tuple[str, Any]]:
    """Every object of `cluster` an overlay can touch, by name: (its field, the object)."""
    found: dict[ObjectRef, tuple[str, Any]] = {}
    for name, ref in REFS.items():
        for obj in getattr(cluster, name):
            found.setdefault(ref(obj), (name, obj))
    return found


@record
class Effect:
    """What an overlay did to one snapshot."""

    added: tuple[ObjectRef, ...] = ()
    replaced: tuple[ObjectRef, ...] = ()
    deleted: tuple[ObjectRef, ...] = ()
    unchanged: tuple[ObjectRef, ...] = ()  # applied, but identical to what was there
    missing: tuple[ObjectRef, ...] = ()  # asked to delete, but not there
    # Parts of the cluster that changed but hold no objects named here (a plugin's own resources).
    others: tuple[str, ...] = ()

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.replaced) + len(self.deleted) + len(self.others)

    def summary(self) -> str:
        """`+1 added, ~1 replaced, -2 deleted` (and what changed nothing), or `no change`."""
        parts = []
        for sign, refs, word in (("+", self.added, "added"), ("~", self.replaced, "replaced"),
                                 ("-", self.deleted, "deleted")):
            if refs:
                parts.append(f"{sign}{len(refs)} {word} ({_kinds(refs)})")
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} unchanged")
        if self.missing:
            parts.append(f"{len(self.missing)} to delete not found")
        parts.extend(f"{name} changed" for name in self.others)
        return ", ".join(parts) or "no change"


def _kinds(refs: Sequence[ObjectRef]) -> str:
    counts = Counter(r.kind for r in refs)
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))


@record(slots=False)
class Overlaid:
    """A snapshot with an overlay applied: the head of a what-if, the base it came from, what changed."""

    snapshot: Snapshot
    base: Snapshot
    overlay: Overlay
    effect: Effect
    notes: tuple[str, ...] = ()  # what the overlay could not do, or did that needs saying


@record(slots=False)
class Overlay:
    """Manifests to apply and objects to delete (or a derived view: `transform`), named `label`."""

    label: str
    objects: Cluster = field(default_factory=Cluster)  # the manifests to apply, loaded
    deletes: tuple[ObjectRef, ...] = ()
    problems: tuple[Problem, ...] = ()
    ignored_kinds: Mapping[str, int] = field(default_factory=dict)
    # A view computed from the base cluster instead of manifests (Calico's staged policies committed);
    # it returns None when there is nothing to apply, which `empty` words.
    transform: Callable[[Cluster], Cluster | None] | None = None
    empty: str = "nothing to apply"

    @property
    def applies(self) -> tuple[ObjectRef, ...]:
        return tuple(objects_of(self.objects))

    def apply(self, base: Snapshot) -> Overlaid:
        if self.transform is not None:
            derived = self.transform(base.cluster)
            if derived is None:
                raise SourceError(f"{self.label}: {self.empty} in {base.description}")
            old, new = objects_of(base.cluster), objects_of(derived)
            others = tuple(f.name for f in dataclasses.fields(Cluster)
                           if f.name not in REFS and f.name not in _READ_FIELDS
                           and getattr(base.cluster, f.name) is not getattr(derived, f.name)
                           and getattr(base.cluster, f.name) != getattr(derived, f.name))
            return self._finish(base, derived, Effect(
                added=tuple(sorted((r for r in new if r not in old), key=_order)),
                replaced=tuple(sorted((r for r in new if r in old and (
                    old[r][0] != new[r][0] or (old[r][1] is not new[r][1] and old[r][1] != new[r][1]))), key=_order)),
                deleted=tuple(sorted((r for r in old if r not in new), key=_order)), others=others))
        notes: list[str] = []
        before = objects_of(base.cluster)
        applied = objects_of(self.objects)
        removed = set(applied) | set(self.deletes)
        gone_namespaces = {r.name for r in self.deletes if r.kind == "Namespace" and r.group == ""}
        cascaded = [r for r in before if r.namespace in gone_namespaces and r not in removed]
        if cascaded:
            notes.append(f"deleting namespace(s) {', '.join(sorted(gone_namespaces))} deletes the "
                         f"{len(cascaded)} objects in them too ({_kinds(cascaded)})")
        removed.update(cascaded)
        changes: dict[str, Any] = {}
        for name in REFS:
            kept = [o for o in getattr(base.cluster, name) if REFS[name](o) not in removed]
            changes[name] = (*kept, *getattr(self.objects, name))
        new_cidrs = [c for c in self.objects.service_cidrs if c not in base.cluster.service_cidrs]
        if new_cidrs:
            changes["service_cidrs"] = (*base.cluster.service_cidrs, *new_cidrs)
        head = dataclasses.replace(base.cluster, **changes)
        notes.extend(self._notes(head))
        unchanged = tuple(r for r, (where, obj) in applied.items()
                          if r in before and before[r][0] == where and before[r][1] == obj)
        missing = tuple(r for r in self.deletes if r not in before)
        effect = Effect(
            added=tuple(sorted((r for r in applied if r not in before), key=_order)),
            replaced=tuple(sorted((r for r in applied if r in before and r not in unchanged), key=_order)),
            deleted=tuple(sorted((r for r in removed if r in before and r not in applied), key=_order)),
            unchanged=tuple(sorted(unchanged, key=_order)),
            missing=tuple(sorted(missing, key=_order)),
        )
        return self._finish(base, head, effect, notes)

    def _notes(self, head: Cluster) -> list[str]:
        notes = []
        for f in dataclasses.fields(Cluster):
            if f.name in REFS or f.name in _READ_FIELDS or f.name == "service_cidrs":
                continue
            value = getattr(self.objects, f.name)
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            if value != default:
                notes.append(f"{self.label}: objects held in {f.name!r} cannot be overlaid yet and were left out")
        if self.objects.unreadable or self.objects.notices:
            notes.append(f"{self.label}: a snapshot's record of what was not read applies to the base only; "
                         "it was left out")
        silent = [p.key for p in self.objects.pods if not p.carries_traffic]
        if silent:
            notes.append(f"{len(silent)} pod(s) of {self.label} have no IP address or have finished, so they carry "
                         f"no traffic and no flow of theirs is compared ({', '.join(silent[:3])}"
                         f"{', ...' if len(silent) > 3 else ''}); give status.podIP to include them")
        return notes

    def _finish(self, base: Snapshot, head: Cluster, effect: Effect, notes: Sequence[str] = ()) -> Overlaid:
        notes = list(notes)
        # The same cluster read the same way: a profile guessed from the objects (no plugin identified)
        # must not flip because the overlay adds or removes a plugin's policies.
        if head.profile_override is None and head.profile is not base.cluster.profile:
            notes.append(f"read as {base.cluster.profile.value}, as the base is (the overlay alone would make it "
                         f"look like {head.profile.value})")
            head = dataclasses.replace(head, profile_override=base.cluster.profile)
        ignored = Counter(dict(base.ignored_kinds))
        ignored.update(self.ignored_kinds)
        snapshot = dataclasses.replace(
            base, cluster=head, description=f"{base.description} + {self.label}",
            problems=(*base.problems, *self.problems), ignored_kinds=dict(ignored))
        return Overlaid(snapshot, base, self, effect, tuple(notes))


# -- reading overlays -----------------------------------------------------------------------------------


class _Names(ObjectCollector):
    """Records the name of every object it is given, and reads nothing else (what `delete -f` needs)."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[ObjectRef] = []

    def _add_object(self, obj: Mapping[str, Any], origin: str, string_keys: bool = False) -> None:
        ref = ref_of(obj)
        if ref is None:
            self.problems.append(Problem("error", origin, "object has no kind or no metadata.name: cannot delete it"))
        elif ref not in self.refs:
            self.refs.append(ref)


def _overlay(label: str, collector: ObjectCollector, deletes: Sequence[ObjectRef] = (),
             problems: Sequence[Problem] = ()) -> Overlay:
    return Overlay(label, collector.cluster(), tuple(deletes), (*collector.problems, *problems),
                   dict(collector.ignored_kinds))


def load_overlay(paths: Sequence[str], deletes: Sequence[str] = (), label: str | None = None,
                 stdin_text: Callable[[], str] | None = None) -> Overlay:
    """Manifests from files, directories or stdin ('-') to apply, and the objects named in `deletes`
    to delete. A missing path raises SourceError; a bad file or object is a problem, the rest loads."""
    collector = ObjectCollector()
    read_paths(paths, collector, stdin_text)
    names = _Names()
    read_paths(deletes, names, stdin_text)
    if not label:
        shown = [*paths, *(f"delete {d}" for d in deletes)]
        label = ", ".join(shown) if len(shown) <= 2 else f"{len(shown)} paths"
    problems = list(names.problems)
    if not collector.loaded and not collector.unevaluated and not names.refs and not collector.problems:
        problems.append(Problem("warning", label, "the overlay holds no object to apply or delete"))
    return _overlay(label, collector, names.refs, problems)


def overlay_from_objects(objects: Iterable[Mapping[str, Any]], label: str, origin: str = "") -> Overlay:
    """Decoded manifests (a suggested fix, objects made by a program) as an overlay."""
    collector = ObjectCollector()
    for i, obj in enumerate(objects):
        collector.add(obj, f"{origin or label}[{i}]")
    return _overlay(label, collector)


def derived_overlay(label: str, transform: Callable[[Cluster], Cluster | None],
                    empty: str = "nothing to apply") -> Overlay:
    """A view computed from the base cluster (Calico's staged policies committed), as an overlay."""
    return Overlay(label, transform=transform, empty=empty)


def staged_overlay() -> Overlay:
    """The pending view: the base with its staged policies committed (Calico's StagedNetworkPolicy,
    StagedGlobalNetworkPolicy, StagedKubernetesNetworkPolicy: `stagedAction` Set applies, Delete
    deletes). The Calico profile computes it (`Cluster.staged_commit`)."""

    def commit(cluster: Cluster) -> Cluster | None:
        committed = getattr(cluster, "staged_commit", None)
        if committed is None and not hasattr(cluster, "staged_commit"):
            raise SourceError("staged policies are read by the Calico profile, which this build does not have")
        return committed if isinstance(committed, Cluster) else None

    return derived_overlay("staged policies committed", commit, "no policy is staged")
