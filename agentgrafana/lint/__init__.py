"""Validation and lint: one `Rule` interface over dashboards, panels, targets, alerts and recording rules.

Modelled on grafana/dashboard-linter: each rule inspects one kind of object through an adapter method;
the runner walks every object once and collects findings in one list, sorted, so reports are stable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, with everything a reader needs to find it."""

    file: str  # content module or generated file
    object: str  # e.g. "dashboard agent-overview", "alert AgentHighLatency"
    location: str  # e.g. 'panel "P99 latency" (id 5) refId A'
    rule: str  # e.g. "target-promql"
    message: str
    expr: str = ""

    def text(self) -> str:
        where = ", ".join(part for part in (self.object, self.location) if part)
        out = f"{self.file}: {where}: {self.message} ({self.rule})"
        if self.expr:
            out += "\n    expr: " + " ".join(self.expr.split())
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ValidationFailed(Exception):
    """Raised with every finding when the set must not be written."""

    def __init__(self, findings: list[Finding]):
        self.findings = sorted(set(findings))
        super().__init__(f"{len(self.findings)} problem(s) found")
