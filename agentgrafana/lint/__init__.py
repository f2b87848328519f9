"""Validation and lint: one `Rule` interface over dashboards, panels, targets, alerts, recording rules and the
whole build, after grafana/dashboard-linter and pint.

A rule has a name, a one-line description and a severity, and overrides the adapters for the objects it looks
at. `agentgrafana.lint.runner` walks every object once, asks the rules that look at it, applies the project's
exclusions (each with a reason) and returns every finding in one sorted list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ..model import datasource_type

if TYPE_CHECKING:
    from ..model import Alert, DashboardOut, RecordingRule, RuleGroup

ERROR, WARNING = "error", "warning"

# What an adapter yields. Dashboards, panels and targets: (location, message, expr); alerts and recording rules
# (which have no smaller parts): (message, expr); the whole build: complete Findings.
Located = Iterator[tuple[str, str, str]]
Plain = Iterator[tuple[str, str]]


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, with everything a reader needs to find it."""

    file: str  # content module or generated file
    object: str  # e.g. "dashboard agent-overview", "alert AgentHighLatency"
    location: str  # e.g. 'panel "P99 latency" (id 5) refId A'
    rule: str  # e.g. "target-promql"
    message: str
    expr: str = ""
    severity: str = ERROR

    def text(self) -> str:
        where = ", ".join(part for part in (self.object, self.location) if part)
        label = f"{self.rule}" if self.severity == ERROR else f"{self.rule}, warning"
        out = f"{self.file}: {where}: {self.message} ({label})"
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


@dataclass(frozen=True)
class TargetView:
    """A target with the context rules need: the dashboard, the panel, and the target itself."""

    dashboard: DashboardOut
    panel: dict[str, Any]
    target: dict[str, Any]

    @property
    def ref_id(self) -> str:
        return str(self.target.get("refId", ""))

    @property
    def datasource_type(self) -> str:
        return datasource_type(self.target, self.panel, dashboard=self.dashboard.model)


@dataclass(frozen=True)
class BuildView:
    """Everything one build holds, for rules that compare objects with each other. `files` (the emitted bytes)
    is empty before emission; rules that read files run after it."""

    dashboards: list[DashboardOut]
    groups: list[RuleGroup]
    files: dict[str, bytes] = field(default_factory=dict)


class Rule:
    """Base rule: set `name`, `description` (one line, shown by `lint --list`) and `severity`, and override
    whichever adapters apply. `needs_files` rules run once the outputs are emitted."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    severity: ClassVar[str] = ERROR
    needs_files: ClassVar[bool] = False

    def dashboard(self, d: DashboardOut) -> Located:
        return iter(())

    def panel(self, d: DashboardOut, p: dict[str, Any]) -> Located:
        return iter(())

    def target(self, t: TargetView) -> Located:
        return iter(())

    def alert(self, a: Alert, group: RuleGroup) -> Plain:
        return iter(())

    def recording(self, r: RecordingRule, group: RuleGroup) -> Plain:
        return iter(())

    def build(self, view: BuildView) -> Iterator[Finding]:
        return iter(())

    @classmethod
    def adapters(cls) -> list[str]:
        """The objects this rule looks at (the adapters it overrides)."""
        return [
            a
            for a in ("dashboard", "panel", "target", "alert", "recording", "build")
            if getattr(cls, a) is not getattr(Rule, a)
        ]
