"""The live check: every panel target, recording rule and alert of a build, queried on a real Prometheus.

- Panel targets run as range queries over the simulated window with variables expanded as a user selecting
  "All" sees them; a target is dead when it errors or returns no finite value. Tempo (TraceQL) targets are
  listed as not checked; nothing else is skipped.
- Recording rules must produce series (their backfilled output).
- Each alert's Prometheus condition must return series inside its incident window for at least its `for`
  duration, and nothing in the normal window.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from ..catalog import CATALOG
from ..config import Config
from ..model import Build, datasource_type, hidden_ref_ids, panels_of
from ..outputs import PROMETHEUS_RULES, files_with_role
from ..promql import expand_variables
from ..scenario import ALWAYS
from . import scenarios as sc
from .prometheus import LiveServer, QueryApi, QueryError, finite_points, live_prometheus
from .simulator import Dataset, SimOptions, simulate

MAX_POINTS = 120  # per series in the recorded results (and the panel query resolution)
MAX_SERIES = 8  # per panel in the recorded results
ALERT_STEP = 30  # seconds between alert evaluations over a window
NOT_CHECKED_TYPES = ("tempo",)
IMPORTED = "imported"  # NotChecked.datasource of a whole imported dashboard
PANELS_WITHOUT_QUERIES = ("row", "text", "news", "dashlist", "alertlist", "annolist", "welcome")
DURATION_RE = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


class Span(Protocol):
    """The time range checked: a simulated dataset's, or the recent window of a user's Prometheus (doctor)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def step(self) -> int:
        """The scrape interval."""
        ...


def parse_duration(text: str) -> float:
    """Seconds of a Prometheus duration such as `5m` or `1h30m` (0 for empty)."""
    return sum(int(n) * DURATION_UNITS[u] for n, u in DURATION_RE.findall(text or ""))


# --- results -----------------------------------------------------------------------------------------------


@dataclass
class TargetCheck:
    dashboard_uid: str
    dashboard: str
    panel_id: int
    panel: str
    ref_id: str
    query: str  # as sent, variables expanded
    series: int = 0
    finite: int = 0
    error: str = ""
    missing_labels: list[str] = field(default_factory=list)  # shown by the legend/table, on no series

    @property
    def dead(self) -> bool:
        return bool(self.error) or self.finite == 0 or bool(self.missing_labels)

    @property
    def reason(self) -> str:
        if self.error:
            return f"query error: {self.error}"
        if self.series == 0:
            return "no series"
        if self.finite == 0:
            return f"{self.series} series but no finite value (NaN/Inf only)"
        return (
            f"no series carries label(s) {', '.join(self.missing_labels)} that the legend or table shows "
            "(every series would look the same)"
        )

    @property
    def name(self) -> str:
        return f"{self.dashboard} / {self.panel} [{self.ref_id}]"


@dataclass
class VariableCheck:
    dashboard: str
    name: str
    query: str  # as sent, other variables expanded
    values: int = 0
    error: str = ""

    @property
    def dead(self) -> bool:
        return bool(self.error) or self.values == 0


@dataclass
class NotChecked:
    dashboard: str
    panel: str
    ref_id: str
    datasource: str


@dataclass
class RuleCheck:
    record: str
    file: str
    series: int = 0
    finite: int = 0
    error: str = ""

    @property
    def dead(self) -> bool:
        return bool(self.error) or self.finite == 0


@dataclass
class AlertCheck:
    name: str
    scenario: str | None
    for_seconds: float
    always: bool = False  # a dead man's switch: it must fire in the normal window too
    fired_series: int = 0
    longest_seconds: float = -1.0  # longest continuous true stretch in the incident window (-1: never true)
    normal_hits: list[dict[str, str]] = field(default_factory=list)
    leaked: list[dict[str, str]] = field(default_factory=list)  # series that must stay silent in the incident
    off_target: list[dict[str, str]] = field(default_factory=list)  # fires, but never for the broken thing
    unlabelled: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # annotation label -> series lacking it
    error: str = ""

    @property
    def problems(self) -> list[str]:
        out = []
        if self.error:
            out.append(f"query error: {self.error}")
        if self.scenario is None:
            out.append("no incident declared (`incident=`), so nothing simulates this alert's condition")
        elif self.fired_series == 0 and not self.error:
            out.append(f"silent in its incident window '{self.scenario}'")
        elif self.longest_seconds < self.for_seconds and not self.error:
            out.append(
                f"true for at most {self.longest_seconds:.0f} s in '{self.scenario}', less than "
                f"for: {self.for_seconds:.0f} s, so it would never fire"
            )
        if self.always and not self.normal_hits and not self.error:
            out.append("silent in the normal window: a dead man's switch must always fire")
        elif self.normal_hits and not self.always:
            out.append(f"fires in the normal window for {_labels_text(self.normal_hits)}")
        if self.leaked:
            out.append(f"fires for series that must stay silent: {_labels_text(self.leaked)}")
        if self.off_target:
            out.append(f"fires only for series other than the incident's subject: {_labels_text(self.off_target)}")
        for label, series in self.unlabelled.items():
            out.append(
                f"its annotations print {{{{ $labels.{label} }}}} but it fires for series without "
                f"'{label}': {_labels_text(series)}"
            )
        return out


def _labels_text(items: list[dict[str, str]], limit: int = 3) -> str:
    texts = ["{" + ", ".join(f'{k}="{v}"' for k, v in sorted(x.items())) + "}" for x in items[:limit]]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(texts) + more


@dataclass
class LiveReport:
    dataset: Any  # Dataset (the live check) or Span (doctor)
    prometheus_version: str
    targets: list[TargetCheck] = field(default_factory=list)
    variables: list[VariableCheck] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    rules: list[RuleCheck] = field(default_factory=list)
    alerts: list[AlertCheck] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)  # recorded query results for previews
    queries: dict[str, Any] = field(default_factory=dict)  # the panel queries those results came from
    errors: list[str] = field(default_factory=list)  # setup steps that failed (kept going)

    @property
    def dead_targets(self) -> list[TargetCheck]:
        return [t for t in self.targets if t.dead]

    @property
    def dead_panels(self) -> list[str]:
        """Dashboard / panel titles with at least one dead target."""
        return list(dict.fromkeys(f"{t.dashboard} / {t.panel}" for t in self.dead_targets))

    @property
    def dead_variables(self) -> list[VariableCheck]:
        return [v for v in self.variables if v.dead]

    @property
    def dead_rules(self) -> list[RuleCheck]:
        return [r for r in self.rules if r.dead]

    @property
    def failed_alerts(self) -> list[AlertCheck]:
        return [a for a in self.alerts if a.problems]

    @property
    def ok(self) -> bool:
        return not (self.dead_targets or self.dead_variables or self.dead_rules or self.failed_alerts or self.errors)

    def text(self) -> str:
        d = self.dataset
        panels = {(t.dashboard_uid, t.panel_id) for t in self.targets}
        lines = [
            f"Live check on Prometheus {self.prometheus_version}: {d.series} simulated series, {d.samples:,} "
            f"samples, {(d.end - d.start) // 3600} h {(d.end - d.start) % 3600 // 60:02d} min at {d.step} s "
            f"({time.strftime('%Y-%m-%d %H:%M', time.gmtime(d.start))} to "
            f"{time.strftime('%H:%M', time.gmtime(d.end))} UTC)",
            f"Panels: {len(panels)} checked ({len(self.targets)} targets), {len(self.dead_panels)} dead, "
            f"{len(self.not_checked)} not checked",
        ]
        lines += [f"  ERROR {e}" for e in self.errors]
        for t in self.dead_targets:
            lines.append(f"  DEAD {t.name}: {t.reason}\n       {_one_line(t.query)}")
        for n in self.not_checked:
            if n.datasource == IMPORTED:
                lines.append(
                    f"  NOT CHECKED {n.dashboard}: imported, its metrics are not simulated "
                    "(`agentgrafana doctor` checks it on your Prometheus)"
                )
                continue
            lines.append(
                f"  NOT CHECKED {n.dashboard} / {n.panel} [{n.ref_id}]: {n.datasource} datasource "
                "(Prometheus cannot serve it)"
            )
        lines.append(f"Variables: {len(self.variables)} checked, {len(self.dead_variables)} without values")
        for v in self.dead_variables:
            lines.append(f"  DEAD {v.dashboard} / ${v.name}: {v.error or 'no values'}\n       {_one_line(v.query)}")
        lines.append(f"Recording rules: {len(self.rules)} checked, {len(self.dead_rules)} without data")
        for r in self.dead_rules:
            lines.append(f"  DEAD {r.record} ({r.file}): {r.error or 'no series'}")
        lines.append(f"Alerts: {len(self.alerts)} checked, {len(self.failed_alerts)} wrong")
        for a in self.alerts:
            state = "FAIL" if a.problems else "ok  "
            detail = (
                "; ".join(a.problems)
                if a.problems
                else (
                    f"fires in '{a.scenario}' ({a.fired_series} series, true for {a.longest_seconds:.0f} s), "
                    + ("fires in 'normal' too (always)" if a.always else "silent in 'normal'")
                )
            )
            lines.append(f"  {state} {a.name}: {detail}")
        if self.timings:
            lines.append(
                "Timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items() if k != "rule levels")
            )
        lines.append("PASSED" if self.ok else "FAILED")
        return "\n".join(lines)


def _one_line(expr: str) -> str:
    return " ".join(expr.split())


# --- running -----------------------------------------------------------------------------------------------


def rule_files(build: Build) -> dict[str, bytes]:
    """The generated Prometheus rule files of a build."""
    return files_with_role(build.files, PROMETHEUS_RULES)


def default_end(now: float | None = None) -> int:
    """The end of the simulated window: the last full hour, so runs within an hour are byte-identical."""
    now = time.time() if now is None else now
    return int(now) // 3600 * 3600


def run(
    build: Build,
    config: Config,
    prometheus_binary: str = "prometheus",
    promtool: str = "promtool",
    options: SimOptions | None = None,
    end: int | None = None,
    keep_going: bool = False,
    engine: str = "prometheus",
    victoriametrics: str = "victoria-metrics",
    vmalert: str = "vmalert",
) -> LiveReport:
    """Simulate, backfill, start Prometheus (or VictoriaMetrics with vmalert), check everything, stop it."""
    options = options or SimOptions()
    t0 = time.monotonic()
    imported = [d for d in build.dashboards if d.imported]  # their metrics have no traffic model to simulate
    build = replace(build, dashboards=[d for d in build.dashboards if not d.imported])
    dialect = build.dialect
    concepts = dialect.concepts if dialect is not None else CATALOG
    dataset = simulate(
        config, default_end() if end is None else end, options, concepts, alerts=build.alerts, dialect=dialect
    )
    simulated = time.monotonic() - t0
    if engine == "victoriametrics":
        from .victoriametrics import live_victoriametrics

        with live_victoriametrics(dataset, rule_files(build), victoriametrics, vmalert) as server:
            report = check(build, server)
        report.prometheus_version = "(VictoriaMetrics + vmalert)"
    else:
        with live_prometheus(dataset, rule_files(build), prometheus_binary, promtool, keep_going=keep_going) as server:
            report = check(build, server)
    report.timings = {"simulate": simulated, **report.timings, "total": time.monotonic() - t0}
    report.not_checked += [NotChecked(d.title, "", "", IMPORTED) for d in imported]
    return report


def check(build: Build, server: LiveServer) -> LiveReport:
    """Run every check of `build` against a running server (shareable between checks)."""
    prom, d = server.prometheus, server.dataset
    report = LiveReport(d, prom.version(), timings=dict(server.timings), errors=list(server.errors))
    t0 = time.monotonic()
    check_dashboards(build, prom, d, report)
    report.timings["panel queries"] = time.monotonic() - t0
    t0 = time.monotonic()
    check_rules(build, prom, d, report)
    check_alerts(build, prom, d, report)
    report.timings["rule and alert queries"] = time.monotonic() - t0
    return report


def query_step(d: Span) -> int:
    """Range-query resolution: at most MAX_POINTS points over the window, a multiple of the scrape step."""
    steps = math.ceil((d.end - d.start) / MAX_POINTS / d.step)
    return max(1, steps) * d.step


def builtin_values(d: Span) -> dict[str, str]:
    """Grafana's interval variables for a panel showing the whole simulated window."""
    return {
        **interval_values(query_step(d), d.step, d.end - d.start),
        "__from": str(d.start * 1000),
        "__to": str(d.end * 1000),
    }


def interval_values(step: int, scrape: int, range_s: int) -> dict[str, str]:
    """`$__interval`, `$__rate_interval` (Grafana: max($__interval + scrape, 4 x scrape)) and `$__range`."""
    rate_interval = max(step + scrape, 4 * scrape)
    return {
        "__interval": f"{step}s",
        "__interval_ms": str(step * 1000),
        "__rate_interval": f"{rate_interval}s",
        "__range": f"{range_s}s",
        "__range_s": str(range_s),
        "__range_ms": str(range_s * 1000),
        "__auto": f"{step}s",
    }


def variable_values(
    model: dict[str, Any], prom: QueryApi, d: Span, checks: list[VariableCheck] | None = None
) -> dict[str, str]:
    """What each dashboard variable expands to when the user selects "All" (or its first value).

    Every query variable is also run over the window: one that finds no values is an empty dropdown (its
    `VariableCheck` goes to `checks`).
    """
    values = builtin_values(d)
    title = str(model.get("title", ""))
    for var in (model.get("templating") or {}).get("list") or []:
        name, kind = str(var.get("name", "")), var.get("type", "")
        current = (var.get("current") or {}).get("value")
        found: list[str] = []
        if kind == "query" and _datasource_type({}, var) == "prometheus":
            vc = _check_variable(title, name, var, values, prom, d)
            found = vc.found
            if checks is not None:
                checks.append(vc.result)
        if kind == "constant":
            values[name] = str(var.get("query", ""))
        elif kind in ("query", "custom") and var.get("includeAll"):
            values[name] = var.get("allValue") or ".*"
        elif kind == "query":
            values[name] = re.escape(sorted(found)[0]) if found else ".*"
        elif kind == "datasource":
            values[name] = str(current or var.get("query", ""))
        elif isinstance(current, str) and current and current != "$__all":
            values[name] = current
        elif kind == "custom":
            values[name] = str(var.get("query", "")).split(",")[0].strip()
    return values


@dataclass
class _VariableRun:
    result: VariableCheck
    found: list[str]


LABEL_VALUES_RE = re.compile(r"\s*label_values\(\s*(?:(.*),\s*)?([A-Za-z_]\w*)\s*\)\s*", re.S)
QUERY_RESULT_RE = re.compile(r"\s*query_result\((.*)\)\s*", re.S)


def _check_variable(
    dashboard: str, name: str, var: dict[str, Any], values: dict[str, str], prom: QueryApi, d: Span
) -> _VariableRun:
    """Run a Prometheus query variable as Grafana would (label_values, query_result or a PromQL query)."""
    query = var.get("query")
    query = str(query.get("query", "")) if isinstance(query, dict) else str(query or "")
    expanded = expand_variables(query, values)
    vc = VariableCheck(dashboard, name, expanded)
    found: list[str] = []
    try:
        m = LABEL_VALUES_RE.fullmatch(expanded)
        if m:
            params: dict[str, Any] = {"start": d.start, "end": d.end}
            if m.group(1):
                params["match[]"] = m.group(1)
            found = [str(v) for v in prom.api_get(f"label/{m.group(2)}/values", params)]
        else:
            q = QUERY_RESULT_RE.fullmatch(expanded)
            result = prom.query(q.group(1) if q else expanded, d.end).get("result", [])
            found = [_query_result_text(r) for r in result]
    except QueryError as exc:
        vc.error = str(exc)
    regex = str(var.get("regex") or "")
    if regex and found:
        try:
            found = _apply_regex(regex, found)
        except re.error as exc:
            vc.error = f"variable regex {regex!r} does not compile: {exc}"
    vc.values = len(found)
    return _VariableRun(vc, found)


def _query_result_text(r: dict[str, Any]) -> str:
    """The text Grafana shows for one `query_result()` series: `name{a="x",b="y"} value timestamp_ms`."""
    metric = dict(r.get("metric", {}))
    name = metric.pop("__name__", "")
    ts, value = r.get("value", [0, ""])
    labels = ",".join(f'{k}="{v}"' for k, v in metric.items())
    return f"{name}{{{labels}}} {value} {int(float(ts) * 1000)}"


def _apply_regex(regex: str, found: list[str]) -> list[str]:
    """Grafana's variable regex: keep matching values; with a capture group, the group is the value."""
    m = re.fullmatch(r"/(.*)/([a-z]*)", regex, re.S)
    pattern = re.compile(m.group(1) if m else regex, re.I if m and "i" in m.group(2) else 0)
    out: list[str] = []
    for text in found:
        hit = pattern.search(text)
        if hit:
            value = hit.groupdict().get("value") or (hit.group(1) if pattern.groups else text)
            if value and value not in out:
                out.append(value)
    return out


def _datasource_type(target: dict[str, Any], panel: dict[str, Any]) -> str:
    """A target without a datasource of its own or its panel's uses the default one: Prometheus here."""
    return datasource_type(target, panel) or "prometheus"


LEGEND_LABEL_RE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}")
TABLE_FIELDS = re.compile(r"^(Time|Value( #\w+)?|Metric|__name__)$")


def check_dashboards(build: Build, prom: QueryApi, d: Span, report: LiveReport) -> None:
    for dash in build.dashboards:
        values = variable_values(dash.model, prom, d, report.variables)
        recorded: dict[str, list[dict[str, Any]]] = {}
        for panel in panels_of(dash.model):
            if panel.get("type") == "row":
                continue
            targets = panel.get("targets") or []
            checks = [
                tc
                for tc in (_check_target(dash, panel, target, values, prom, d, report, recorded) for target in targets)
                if tc is not None
            ]
            if not targets and panel.get("type") not in PANELS_WITHOUT_QUERIES:
                checks.append(
                    TargetCheck(
                        dash.uid,
                        dash.title,
                        int(panel.get("id") or 0),
                        str(panel.get("title", "")),
                        "-",
                        "",
                        error="the panel has no query",
                    )
                )
            _check_table_columns(panel, checks, recorded.get(str(panel.get("id")), []))
            report.targets.extend(checks)
        report.results[dash.uid] = {pid: _downsample(series) for pid, series in recorded.items()}
        report.queries[dash.uid] = {
            str(p.get("id")): [str(t.get("expr") or t.get("query") or "") for t in p.get("targets") or []]
            for p in panels_of(dash.model)
            if str(p.get("id")) in recorded
        }


def _check_target(
    dash: Any,
    panel: dict[str, Any],
    target: dict[str, Any],
    values: dict[str, str],
    prom: QueryApi,
    d: Span,
    report: LiveReport,
    recorded: dict[str, list[dict[str, Any]]],
) -> TargetCheck | None:
    title = str(panel.get("title", "")) or f"panel {panel.get('id')}"
    ds = _datasource_type(target, panel)
    ref = str(target.get("refId", ""))
    if ds in NOT_CHECKED_TYPES:
        report.not_checked.append(NotChecked(dash.title, title, ref, ds))
        return None
    expr = expand_variables(str(target.get("expr", "")), values)
    tc = TargetCheck(dash.uid, dash.title, int(panel.get("id") or 0), title, ref, expr)
    if ds != "prometheus":
        tc.error = f"datasource type '{ds}' cannot be checked on Prometheus"
        return tc
    if not expr.strip():
        tc.error = "empty expression"
        return tc
    step = query_step(d)
    try:
        result = prom.query_range(expr, d.end - (MAX_POINTS - 1) * step, d.end, step)
    except QueryError as exc:
        tc.error = str(exc)
        return tc
    tc.series = len(result)
    tc.finite = sum(finite_points(s) for s in result)
    if tc.finite:
        legend = str(target.get("legendFormat") or "")
        have = {k for s in result for k, v in s.get("metric", {}).items() if v}
        tc.missing_labels = [x for x in dict.fromkeys(LEGEND_LABEL_RE.findall(legend)) if x not in have]
    if ref in hidden_ref_ids(panel):  # checked, but not drawn: the preview leaves it out as Grafana does
        return tc
    legend = str(target.get("legendFormat") or "")
    for series in result:  # the name Grafana shows for it, so previews tell the panel's series apart
        series["legend"] = legend_name(legend, series.get("metric", {}))
    recorded.setdefault(str(panel.get("id")), []).extend(result)
    return tc


def legend_name(legend: str, labels: dict[str, str]) -> str:
    """A legendFormat rendered as Grafana does: `{{label}}` becomes the label's value (empty when absent)."""
    return LEGEND_LABEL_RE.sub(lambda m: str(labels.get(m.group(1), "")), legend).strip()


def _check_table_columns(panel: dict[str, Any], checks: list[TargetCheck], result: list[dict[str, Any]]) -> None:
    """Columns a table renames or shows must come from some series' labels."""
    live = [c for c in checks if not c.dead]
    if not live or not result:
        return
    have = {k for s in result for k, v in s.get("metric", {}).items() if v}
    columns: list[str] = []
    for t in panel.get("transformations") or []:
        if t.get("id") == "organize":
            columns += [c for c in (t.get("options") or {}).get("renameByName") or {}]
    missing = [c for c in dict.fromkeys(columns) if not TABLE_FIELDS.match(c) and c not in have]
    if missing:
        live[0].missing_labels += missing


def _downsample(result: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in result:
        points = [
            [int(float(ts)), float(f"{float(v):.6g}")] for ts, v in s.get("values", []) if math.isfinite(float(v))
        ]
        if not points:
            continue
        every = math.ceil(len(points) / MAX_POINTS)
        entry = {"labels": dict(s.get("metric", {})), "values": points[::every]}
        if s.get("legend"):
            entry["legend"] = s["legend"]
        out.append(entry)
        if len(out) == MAX_SERIES:
            break
    return out


def check_rules(build: Build, prom: QueryApi, d: Span, report: LiveReport) -> None:
    step = query_step(d)
    for path, body in sorted(rule_files(build).items()):
        for group in (yaml.safe_load(body) or {}).get("groups") or []:
            for rule in group.get("rules") or []:
                if "record" not in rule:
                    continue
                rc = RuleCheck(str(rule["record"]), path)
                try:
                    result = prom.query_range(rc.record, d.start, d.end, step)
                    rc.series, rc.finite = len(result), sum(finite_points(s) for s in result)
                except QueryError as exc:
                    rc.error = str(exc)
                report.rules.append(rc)


def recorded_exprs(build: Build) -> dict[str, str]:
    out = {}
    for body in rule_files(build).values():
        for group in (yaml.safe_load(body) or {}).get("groups") or []:
            for rule in group.get("rules") or []:
                if "record" in rule:
                    out[str(rule["record"])] = str(rule["expr"])
    return out


ANNOTATION_LABEL_RE = re.compile(r"\$labels\.([A-Za-z_]\w*)")


def check_alerts(build: Build, prom: QueryApi, d: Dataset, report: LiveReport) -> None:
    normal = d.window(sc.NORMAL)
    for alert in build.alerts:
        scenario = sc.window_for(alert, d.windows)
        always = bool(alert.incident and alert.incident.signal.kind == ALWAYS)
        ac = AlertCheck(alert.name, scenario.name if scenario else None, parse_duration(alert.for_), always)
        try:
            if scenario is not None:
                result = prom.query_range(alert.prometheus_expr, *d.window(scenario.name), ALERT_STEP)
                firing = [s for s in result if finite_points(s)]
                ac.fired_series = len(firing)
                ac.longest_seconds = max((_longest_run(s) for s in firing), default=-1.0)
                ac.leaked = [s["metric"] for s in firing if any(s["metric"].get(k) == v for k, v in scenario.silent)]
                aim = [scenario.on_target(s["metric"]) for s in firing]
                if firing and False in aim and True not in aim:
                    ac.off_target = [s["metric"] for s in firing]
                static = {k for k, _ in alert.labels}
                for label in dict.fromkeys(ANNOTATION_LABEL_RE.findall(alert.summary + " " + alert.description)):
                    lacking = [s["metric"] for s in firing if not s["metric"].get(label) and label not in static]
                    if lacking:
                        ac.unlabelled[label] = lacking
            result = prom.query_range(alert.prometheus_expr, *normal, ALERT_STEP)
            ac.normal_hits = [s["metric"] for s in result if finite_points(s)]
        except QueryError as exc:
            ac.error = str(exc)
        report.alerts.append(ac)


def _longest_run(series: dict[str, Any]) -> float:
    """Longest stretch (seconds) of consecutive evaluations that returned a value."""
    stamps = [float(ts) for ts, v in series.get("values", []) if math.isfinite(float(v))]
    best, first = 0.0, None
    for i, ts in enumerate(stamps):
        if first is None or ts - stamps[i - 1] > ALERT_STEP * 1.5:
            first = ts
        best = max(best, ts - first)
    return best if stamps else -1.0


def write_results(report: LiveReport, path: Path) -> None:
    """Query results for previews: {"dashboards": {uid: {panel id: [{"labels", "values"}]}}}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"dashboards": report.results, "queries": report.queries}, sort_keys=True, separators=(",", ":"))
    path.write_text(body + "\n", encoding="utf-8")
