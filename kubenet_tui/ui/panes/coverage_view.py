"""Coverage for the Namespaces pane: per namespace, the cells a row adds (isolated share, both, ingress
only, egress only, neither, unknown), and the overall line."""

from __future__ import annotations

from kubenet_tui.engine.coverage import Coverage, Isolation, NamespaceCoverage
from kubenet_tui.engine.records import record

COLUMNS = ("ISOLATED", "BOTH", "IN", "EG", "NONE", "?")
BAR = 8  # characters of the isolated-share bar


@record
class CoverageRow:
    namespace: str
    evaluated: int  # running, enforceable pods
    both: int
    ingress: int
    egress: int
    neither: int
    unknown: int

    @classmethod
    def of(cls, ns: NamespaceCoverage | Coverage, name: str) -> CoverageRow:
        return cls(name, ns.evaluated, ns.count(Isolation.BOTH), ns.count(Isolation.INGRESS),
                   ns.count(Isolation.EGRESS), ns.count(Isolation.NEITHER), ns.count(Isolation.UNKNOWN))

    @property
    def isolated(self) -> int:
        """Pods isolated in at least one direction."""
        return self.both + self.ingress + self.egress

    def bar(self, unicode: bool = True) -> str:
        """The isolated share as a bar and a percentage: `█████░░░  63%` (`#####...  63%`)."""
        full, empty = ("█", "░") if unicode else ("#", ".")
        if not self.evaluated:
            return " " * BAR + "    -"
        filled = round(BAR * self.isolated / self.evaluated)
        return full * filled + empty * (BAR - filled) + f" {100 * self.isolated // self.evaluated:>3}%"

    def cells(self, unicode: bool = True) -> tuple[str, ...]:
        return (self.bar(unicode), str(self.both), str(self.ingress), str(self.egress), str(self.neither),
                str(self.unknown) if self.unknown else "")


def coverage_rows(found: Coverage) -> dict[str, CoverageRow]:
    """Per namespace name; `"*"` is the whole cluster."""
    rows = {ns.namespace: CoverageRow.of(ns, ns.namespace) for ns in found.namespaces}
    rows["*"] = CoverageRow.of(found, "*")
    return rows
