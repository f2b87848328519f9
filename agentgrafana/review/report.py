"""The review report: what changed between two generated file sets, as plain data (no formatting)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DASHBOARDS, ALERTS, RECORDING = "dashboards", "alert rules", "recording rules"
SECTIONS = (DASHBOARDS, ALERTS, RECORDING)


@dataclass(frozen=True)
class Detail:
    """One change inside an entry: a panel added, a query changed, a threshold changed, ..."""

    ref: str  # stable id of the thing changed: "panel:id:9", "variable:tenant", "dashboard", "rule"
    what: str  # human name: `panel 9 “Request rate” (timeseries)`, `variable $tenant`, `threshold`
    action: str  # added | removed | changed | moved | retitled
    field: str = ""  # what of it changed: "query A", "unit", "thresholds", "position", ...
    before: str | None = None
    after: str | None = None
    code: bool = False  # before/after are PromQL: shown as code blocks
    where: tuple[str, ...] = ()  # alert targets this applies to (Grafana, Prometheus)


@dataclass
class Entry:
    """A dashboard, alert or recording rule that was added, removed or changed."""

    section: str
    key: str
    title: str
    status: str  # added | removed | changed
    summary: str = ""  # one line for added/removed entries
    code: str = ""  # the expression of an added rule
    where: tuple[str, ...] = ()
    details: list[Detail] = field(default_factory=list)

    @property
    def panel_refs(self) -> set[str]:
        """Panel refs touched by this entry (for preview highlighting)."""
        return {d.ref for d in self.details if d.ref.startswith("panel:")}


@dataclass
class Report:
    entries: list[Entry] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)  # changed files the sections do not explain

    @property
    def empty(self) -> bool:
        return not self.entries and not self.other_files

    def section(self, name: str) -> list[Entry]:
        return [e for e in self.entries if e.section == name]

    def entry(self, section: str, key: str) -> Entry | None:
        return next((e for e in self.entries if e.section == section and e.key == key), None)

    def summary(self) -> str:
        if self.empty:
            return "No changes: the generated dashboards, alerts and rules are identical."
        parts = []
        for section in SECTIONS:
            entries = self.section(section)
            for status in ("added", "removed", "changed"):
                n = sum(1 for e in entries if e.status == status)
                if n:
                    noun = section if n != 1 else section.removesuffix("s")
                    parts.append(f"{n} {noun} {status}")
        if self.other_files:
            n = len(self.other_files)
            parts.append(f"{n} other generated file{'s' if n != 1 else ''} changed")
        return ", ".join(parts) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "empty": self.empty,
            "entries": [asdict(e) for e in self.entries],
            "other_files": list(self.other_files),
        }
