"""`agentgrafana doctor`: the build's panels, variables, recording rules and alerts against a user's Prometheus.

The live check proves the monitoring on simulated data; doctor asks the user's question: with what my agents
emit today, which panels and alerts would have data? It runs on the same engine as the live check (the panel
and variable runner of `check.py`, over a `Span` that is the recent window instead of a dataset) and adds:

- which metric sources have series there, and the source the data looks like when the configured ones have
  none (`gen_ai_client_token_usage_*` there, `seed` configured: "set metrics.sources: [otel-genai]");
- for everything without data, the first missing piece: the series, the label or label value a matcher needs
  (with the values that do exist), or a recording rule that Prometheus does not load;
- cardinality warnings: families the build reads with more series than a budget, labels with too many values.

Alert expressions are run without their comparison (the value the threshold applies to), so a healthy system
that fires nothing still shows each alert's inputs as live.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..model import Build
from ..promql import expand_variables, selectors
from ..sources import Source
from ..sources.builtin import BUILTIN
from .check import LiveReport, TargetCheck, VariableCheck, check_dashboards, check_rules, query_step, recorded_exprs
from .prometheus import QueryApi, QueryError, finite_points

RECORDING_NAME_RE = re.compile(r"^[a-zA-Z_]\w*:[\w:]*$")
ANY_VALUE = (".*", ".+", "")
SHOWN_VALUES = 5


@dataclass(frozen=True)
class Known:
    """What the Prometheus holds: series names, the recording rules it loads (None: it does not say), and the
    build's recording-rule expressions (to follow an empty rule to its own missing input)."""

    names: set[str]
    loaded: set[str] | None
    exprs: dict[str, str]


@dataclass(frozen=True)
class Window:
    """The recent window checked, aligned to the scrape interval."""

    start: int
    end: int
    step: int


@dataclass
class SourceSeen:
    name: str
    configured: bool
    present: list[str]  # the source's series that exist there
    families: int  # how many series names the source defines


@dataclass
class Finding:
    """One checked thing: a panel target, a variable, a recording rule or an alert's input."""

    kind: str  # panel | variable | recording rule | alert
    name: str
    state: str  # live | empty | error
    query: str
    detail: str = ""  # for empty ones: the first missing piece; for errors: the error


@dataclass
class DoctorReport:
    url: str
    prometheus_version: str
    window: Window
    sources: list[SourceSeen] = field(default_factory=list)
    suggestion: str = ""
    findings: list[Finding] = field(default_factory=list)
    cardinality: list[str] = field(default_factory=list)

    @property
    def broken(self) -> list[Finding]:
        return [f for f in self.findings if f.state != "live"]

    @property
    def exit_code(self) -> int:
        return 1 if self.broken else 0

    def to_dict(self) -> dict[str, Any]:
        counts: dict[str, dict[str, int]] = {}
        for f in self.findings:
            counts.setdefault(f.kind, {"live": 0, "empty": 0, "error": 0})[f.state] += 1
        return {
            "prometheus": self.url,
            "prometheus_version": self.prometheus_version,
            "window": {
                "start": self.window.start,
                "end": self.window.end,
                "seconds": self.window.end - self.window.start,
            },
            "ok": not self.broken,
            "sources": [s.__dict__ for s in self.sources],
            "suggestion": self.suggestion,
            "summary": counts,
            "problems": [f.__dict__ for f in self.broken],
            "cardinality": self.cardinality,
        }

    def text(self) -> str:
        hours = (self.window.end - self.window.start) / 3600
        lines = [f"Doctor on {self.url} (Prometheus {self.prometheus_version}), the last {hours:g} h"]
        lines.append("Sources:")
        for s in self.sources:
            mark = "configured" if s.configured else "not configured"
            seen = f"{len(s.present)} of {s.families} series names there" if s.present else "no series there"
            lines.append(f"  {s.name} ({mark}): {seen}")
        if self.suggestion:
            lines.append(f"  SUGGESTION {self.suggestion}")
        by_kind: dict[str, list[Finding]] = {}
        for f in self.findings:
            by_kind.setdefault(f.kind, []).append(f)
        for kind, found in by_kind.items():
            broken = [f for f in found if f.state != "live"]
            lines.append(
                f"{kind.capitalize()}s: {len(found)} checked, {len(found) - len(broken)} live, {len(broken)} not"
            )
            for f in broken:
                lines.append(f"  {f.state.upper()} {f.name}: {f.detail}")
        if self.cardinality:
            lines.append("Cardinality:")
            lines += [f"  WARN {c}" for c in self.cardinality]
        lines.append("ALL LIVE" if not self.broken else f"{len(self.broken)} without data or failing")
        return "\n".join(lines)


def run_doctor(
    build: Build,
    api: QueryApi,
    end: int,
    window_seconds: int,
    scrape_seconds: int,
    project_sources: dict[str, Source] | None = None,
    series_budget: int = 10_000,
    label_budget: int = 1_000,
) -> DoctorReport:
    """Check every panel, variable, recording rule and alert input of `build` over the window ending at `end`."""
    end -= end % scrape_seconds
    window = Window(end - window_seconds, end, scrape_seconds)
    report = DoctorReport(api.url, api.version(), window)
    names = set(api.api_get("label/__name__/values", {"start": window.start, "end": window.end}))
    _sources(build, names, {**BUILTIN, **(project_sources or {})}, report)
    known = Known(names, _loaded_rules(api), recorded_exprs(build))
    live = LiveReport(window, report.prometheus_version)
    check_dashboards(build, api, window, live)
    for t in live.targets:
        report.findings.append(_target_finding(t, api, known, window))
    for v in live.variables:
        report.findings.append(_variable_finding(v, api, known, window))
    check_rules(build, api, window, live)
    for r in live.rules:
        expr = known.exprs.get(r.record, "")
        if not r.dead:
            state, detail = "live", ""
        elif r.error:
            state, detail = "error", r.error
        elif known.loaded is not None and r.record not in known.loaded:
            state, detail = "empty", f"not loaded there: load generated/{r.file}"
        else:
            state, detail = "empty", "loaded, but " + (_missing(api, expr, known, window) or "no data")
        report.findings.append(Finding("recording rule", r.record, state, expr, detail))
    for alert in build.alerts:
        report.findings.append(_alert_finding(alert.name, alert.expr, api, known, window))
    report.cardinality = _cardinality(build, api, window, series_budget, label_budget)
    return report


# --- sources ---------------------------------------------------------------------------------------------
def _sources(build: Build, names: set[str], known: dict[str, Source], report: DoctorReport) -> None:
    configured = set(build.dialect.names) if build.dialect is not None else {"seed"}
    for name, source in known.items():
        families = {series for m in source.metrics for series in m.series_names()}
        report.sources.append(SourceSeen(name, name in configured, sorted(families & names), len(families)))
    app = [s for s in report.sources if known[s.name].application]
    if any(s.configured and s.present for s in app):
        return
    candidates = sorted((s for s in app if not s.configured and s.present), key=lambda s: -len(s.present))
    if candidates:
        best = candidates[0]
        shown = ", ".join(sorted({_family(n) for n in best.present})[:3])
        have = ", ".join(sorted(configured)) or "none"
        report.suggestion = (
            f"your Prometheus has {shown}, which the configured sources ({have}) do not read: "
            f"set `metrics.sources: [{best.name}]`"
        )


def _family(series: str) -> str:
    return re.sub(r"_(bucket|sum|count)$", "_*", series)


# --- the first missing piece -----------------------------------------------------------------------------
def _count(api: QueryApi, selector: str, window: Window) -> int:
    rng = window.end - window.start
    result = api.query(f"count(last_over_time({selector}[{rng}s]))", window.end).get("result", [])
    return int(float(result[0]["value"][1])) if result else 0


def _selector(name: str, matchers: list[tuple[str, str, str]]) -> str:
    body = ", ".join(f'{label}{op}"{_escape(value)}"' for label, op, value in matchers)
    return f"{name}{{{body}}}" if body else name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _missing(api: QueryApi, expr: str, known: Known, window: Window, depth: int = 0) -> str:
    """The first piece of `expr` that has no data there ('' when every selector has some); through an empty
    recording rule that Prometheus loads, down to that rule's own missing input."""
    try:
        found = selectors(expr)
    except ValueError:  # the query's own error says more
        return ""
    for name, matchers in found:
        if name not in known.names:
            if not RECORDING_NAME_RE.match(name):
                return f"no series {name}"
            if known.loaded is not None and name not in known.loaded:
                return f"reads the recording rule {name}, which is not loaded there (load generated/prometheus/rules)"
            inner = _missing(api, known.exprs.get(name, ""), known, window, depth + 1) if depth < 5 else ""
            return f"reads the recording rule {name}, loaded but without data" + (f": {inner}" if inner else "")
        kept: list[tuple[str, str, str]] = []
        for label, op, value in matchers:
            if op == "=~" and value in ANY_VALUE:
                continue
            trial = [*kept, (label, op, value)]
            if _count(api, _selector(name, trial), window) == 0:
                values = api.api_get(
                    f"label/{label}/values",
                    {"match[]": _selector(name, kept), "start": window.start, "end": window.end},
                )
                if not values:
                    return f'{name} has no label {label} (the matcher {label}{op}"{value}" needs it)'
                shown = ", ".join(map(str, values[:SHOWN_VALUES])) + (
                    f", ... ({len(values)})" if len(values) > SHOWN_VALUES else ""
                )
                return f'no {name} series with {label}{op}"{value}" ({label} has: {shown})'
            kept = trial
    return ""


def _empty_detail(api: QueryApi, query: str, known: Known, window: Window) -> str:
    return (
        _missing(api, query, known, window)
        or "every series it reads has data, but the expression gives none (a join or filter matches nothing)"
    )


def _target_finding(t: TargetCheck, api: QueryApi, known: Known, window: Window) -> Finding:
    name = f"{t.dashboard} / {t.panel} [{t.ref_id}]"
    if t.error:
        return Finding("panel", name, "error", t.query, t.error)
    if t.dead:
        detail = t.reason if t.series else _empty_detail(api, t.query, known, window)
        return Finding("panel", name, "empty", t.query, detail)
    return Finding("panel", name, "live", t.query)


def _variable_finding(v: VariableCheck, api: QueryApi, known: Known, window: Window) -> Finding:
    name = f"{v.dashboard} / ${v.name}"
    if v.error:
        return Finding("variable", name, "error", v.query, v.error)
    if v.dead:
        inner = re.sub(r"^\s*label_values\((.*),\s*\w+\)\s*$", r"\1", v.query, flags=re.S)
        detail = _missing(api, inner, known, window) or "no values"
        return Finding("variable", name, "empty", v.query, f"an empty dropdown: {detail}")
    return Finding("variable", name, "live", v.query)


def _alert_finding(name: str, expr: str, api: QueryApi, known: Known, window: Window) -> Finding:
    expanded = expand_variables(expr)
    try:
        result = api.query_range(expanded, window.start, window.end, query_step(window))
    except QueryError as exc:
        return Finding("alert", name, "error", expanded, str(exc))
    if any(finite_points(s) for s in result):
        return Finding("alert", name, "live", expanded)
    return Finding(
        "alert",
        name,
        "empty",
        expanded,
        "its input has no data, so it can never fire: " + _empty_detail(api, expanded, known, window),
    )


# --- what Prometheus loads, and what it holds --------------------------------------------------------------
def _loaded_rules(api: QueryApi) -> set[str] | None:
    """Names of the recording rules Prometheus loads (None when it does not say)."""
    try:
        data = api.api_get("rules", {"type": "record"})
    except QueryError:
        return None
    return {str(r.get("name")) for g in data.get("groups") or [] for r in g.get("rules") or []}


def _cardinality(build: Build, api: QueryApi, window: Window, series_budget: int, label_budget: int) -> list[str]:
    """Families the build reads with more series than `series_budget`; labels with more than `label_budget` values."""
    if build.dialect is None:
        return []
    families = sorted({m.name for m in build.dialect.catalog})
    if not families:
        return []
    pattern = "|".join(re.escape(n) + ("(_bucket|_sum|_count|_total)?" if ":" not in n else "") for n in families)
    out = []
    try:
        result = api.query(f'count by (__name__) ({{__name__=~"{pattern}"}})', window.end).get("result", [])
    except QueryError as exc:
        return [f"series counts could not be read: {exc}"]
    for r in sorted(result, key=lambda r: -float(r["value"][1])):
        n = int(float(r["value"][1]))
        if n > series_budget:
            out.append(f"{r['metric'].get('__name__')}: {n:,} series (budget {series_budget:,})")
    # values per label of the build's series, counted over those series only (the TSDB status page counts the
    # head block alone, and every label of every job)
    for label in sorted({label for m in build.dialect.catalog for label in m.labels}):
        query = f'count(group by ({label}) ({{__name__=~"{pattern}", {label}!=""}}))'
        try:
            counted = api.query(query, window.end).get("result", [])
        except QueryError:
            continue
        n = int(float(counted[0]["value"][1])) if counted else 0
        if n > label_budget:
            out.append(f"label {label}: {n:,} values on the series the build reads (budget {label_budget:,})")
    return out
