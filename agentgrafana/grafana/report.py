"""What a push or plan did, per object and in total, as text lines or JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

# Applied states, then planned states (dry run / diff).
STATES = ("created", "updated", "unchanged", "deleted", "conflict", "failed", "orphaned")
PLANNED_STATES = ("create", "update", "unchanged", "delete", "conflict", "orphaned")


@dataclass
class ObjectResult:
    """The outcome for one folder, dashboard or rule group."""

    kind: str
    key: str
    title: str
    state: str
    detail: str = ""
    diff: str = ""

    def line(self) -> str:
        shows_title = self.title and self.title != self.key.rsplit("/", 1)[-1]
        name = self.key + (f' "{self.title}"' if shows_title else "")
        text = f"{self.state:<9} {self.kind:<10} {name}"
        return f"{text}: {self.detail}" if self.detail else text


@dataclass
class PushReport:
    """Every object's outcome plus HTTP counts; `exit_code` follows the CLI convention (0 done, 1 failures)."""

    url: str
    dry_run: bool
    force: bool = False
    results: list[ObjectResult] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    seconds: float = 0.0
    api: str = "legacy"  # the API dashboards and folders went through: legacy | apps

    def counts(self) -> dict[str, int]:
        found = Counter(r.state for r in self.results)
        order = PLANNED_STATES if self.dry_run else STATES
        return {state: found[state] for state in order if found[state]}

    def of(self, state: str) -> list[ObjectResult]:
        return [r for r in self.results if r.state == state]

    @property
    def ok(self) -> bool:
        """No failures, and no conflicts that stop a push (a dry run says 1 too: the real push would stop)."""
        return not self.of("failed") and (self.force or not self.of("conflict"))

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "grafana": self.url,
            "api": self.api,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "summary": self.counts(),
            "objects": [asdict(r) for r in self.results],
            "http": {
                "requests": dict(sorted(self.requests.items())),
                "total": sum(self.requests.values()),
                "retries": self.retries,
            },
            "seconds": round(self.seconds, 3),
        }


def summary_line(report: PushReport) -> str:
    counts = ", ".join(f"{n} {state}" for state, n in report.counts().items()) or "nothing to do"
    methods = ", ".join(f"{m} {n}" for m, n in sorted(report.requests.items()))
    total = sum(report.requests.values())
    head = "Plan" if report.dry_run else "Push"
    text = (
        f"{head}: {counts}. HTTP requests: {total} ({methods}), {report.retries} retried; {report.seconds:.1f} s"
        f" ({'app-platform' if report.api == 'apps' else 'legacy'} API)"
    )
    if report.of("conflict") and not report.dry_run:
        text += "\nConflicts were not written: review the diffs, then re-run with --force to overwrite."
    if report.of("failed"):
        text += "\nSome objects failed; what is listed as created/updated/deleted was applied. Re-run to finish."
    return text


def render_result(result: ObjectResult, *, diffs: bool) -> str:
    """One progress line, followed by the indented diff when asked for and available."""
    if diffs and result.diff:
        return result.line() + "\n" + "\n".join("    " + line for line in result.diff.splitlines())
    return result.line()


def render_text(report: PushReport, *, diffs: bool = False) -> str:
    lines = [render_result(r, diffs=diffs) for r in report.results]
    return "\n".join(lines + [summary_line(report)]) + "\n"


def render_markdown(report: PushReport) -> str:
    """For pull-request comments: one bullet per object that is not unchanged, diffs in fenced blocks."""
    head = "Plan against" if report.dry_run else "Push to"
    lines = [f"### {head} {report.url}", ""]
    for r in report.results:
        if r.state == "unchanged":
            continue
        name = f"`{r.key}`" + (f" ({r.title})" if r.title and r.title != r.key.rsplit("/", 1)[-1] else "")
        lines.append(f"- **{r.state}** {r.kind} {name}" + (f": {r.detail}" if r.detail else ""))
        if r.diff:
            lines += ["", "  ```diff", *("  " + line for line in r.diff.splitlines()), "  ```", ""]
    lines += ["", summary_line(report)]
    return "\n".join(lines) + "\n"


def render_json(report: PushReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n"
