"""Alert and recording-rule lint, offline like mixtool and pint, on the one `Rule` interface of `agentgrafana.lint`.

Each rule inspects an alert or a recording rule through an adapter and yields (message, expr); checks across
rules (duplicates) and against dashboards (panel links) look at the whole build.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator

from .. import promql
from ..catalog import COUNTER, PROMETHEUS, Catalog
from ..lint import WARNING, BuildView, Finding, Plain, Rule, units
from ..model import Alert, RecordingRule, RuleGroup, panels_of
from . import template
from .duration import is_duration, seconds
from .grafana import EVALUATORS, panel_link

READ_NAME = re.compile(r"(?<![\w:])([a-zA-Z_]\w*:[\w:]+)(?![\w:])")  # a level:metric:operations name in a query
CAMEL_CASE = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
RECORD_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+$")
UID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-/]*$")
SEVERITIES = ("critical", "warning", "info")
GRAFANA_SCHEDULER_SECONDS = 10

Result = Plain


class Expression(Rule):
    """Every expression parses and matches the catalog and the recording rules (pint promql/*, rule/dependency)."""

    name = "rule-promql"
    description = "every expression parses and matches the catalog and the recording rules"

    def __init__(self, catalog: Catalog, recorded: dict[str, frozenset[str]]):
        self.catalog, self.recorded = catalog, recorded

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        for problem in promql.analyze(a.expr, self.catalog, self.recorded).problems:
            yield problem, a.expr

    def recording(self, r: RecordingRule, group: RuleGroup) -> Result:
        for problem in promql.analyze(r.expr, self.catalog, self.recorded).problems:
            yield problem, r.expr


class GrafanaVariables(Rule):
    """Rules run outside dashboards: no `$variable` may appear in a query."""

    name = "rule-variables"
    description = "no dashboard $variable in a rule's query"
    VARIABLE = re.compile(r"\$(\{?[A-Za-z_]\w*)")

    def _check(self, expr: str) -> Result:
        # label_replace replacement strings ("$1") are not variables
        names = [m.group(1) for m in self.VARIABLE.finditer(expr)]
        if names:
            yield f"uses the dashboard variable ${names[0].lstrip('{')}; rules have no variables", expr

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        return self._check(a.expr)

    def recording(self, r: RecordingRule, group: RuleGroup) -> Result:
        return self._check(r.expr)


class AlertName(Rule):
    name = "alert-name"
    description = "CamelCase alert names; Grafana titles of 1-190 characters"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if not CAMEL_CASE.match(a.name):
            yield f"alert name {a.name!r} must be CamelCase (e.g. AgentHighLatency)", ""
        if not a.title.strip() or len(a.title) > 190:
            yield "Grafana rule title must be 1-190 characters", ""


class Severity(Rule):
    name = "alert-severity"
    description = "severity is critical, warning or info, set through `severity`"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if a.severity not in SEVERITIES:
            yield f"severity {a.severity!r} must be one of {', '.join(SEVERITIES)}", ""
        if "severity" in dict(a.labels):
            yield "set the severity through `severity`, not through `labels`", ""


class Annotations(Rule):
    """mixtool: summary and description present; the description templated, the summary naming its subject
    (on-call reads "Agent support: ..." in the notification list) without values, which belong in the description."""

    name = "alert-annotations"
    description = "a summary naming its subject without values, a templated description and a runbook slug"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if not a.summary.strip():
            yield "summary annotation is missing", ""
        elif "$value" in a.summary or "humanize" in a.summary:
            yield "summary must name its subject ($labels) but not print values; put values into the description", ""
        if not a.description.strip():
            yield "description annotation is missing", ""
        elif "{{" not in a.description:
            yield "description must use templates ({{ $labels.<name> }}, {{ $value | humanize }}, ...)", ""
        if not a.runbook.strip() or not SLUG.match(a.runbook):
            yield f"runbook slug {a.runbook!r} must be lower-case words joined by '-'", ""


class Template(Rule):
    """pint alerts/template: templates only use labels the query keeps, in a form both targets render."""

    name = "alert-template"
    description = "templates use only labels the query keeps, in a form both engines render"

    def __init__(self, catalog: Catalog, recorded: dict[str, frozenset[str]]):
        self.catalog, self.recorded = catalog, recorded

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        for text in (a.summary, a.description):
            for problem in template.problems(text):
                yield problem, ""
        kept = promql.analyze(a.prometheus_expr, self.catalog, self.recorded).labels
        if kept is None:
            return
        static = {k for k, _ in a.labels} | {"severity"}
        for label in sorted((template.labels_used(a.description) | template.labels_used(a.summary)) - static):
            if label not in kept:
                yield (
                    f"template uses $labels.{label}, which the query does not keep (it keeps: "
                    f"{', '.join(sorted(kept)) or 'no labels'})",
                    a.expr,
                )


class Comparison(Rule):
    """pint alerts/comparison: the Prometheus alert compares; the shared query does not, so Grafana can."""

    name = "alert-comparison"
    description = "the alert compares; the shared query does not (Grafana's threshold owns it)"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        try:
            if not promql.has_comparison(a.prometheus_expr):
                yield "the alert expression has no comparison, so it would always fire", a.prometheus_expr
            elif promql.has_comparison(a.expr):
                yield (
                    (
                        "the query already filters at the top; keep the comparison in op/threshold so Grafana's "
                        "threshold step and the configuration own it"
                    ),
                    a.expr,
                )
        except ValueError:
            return  # rule-promql reports the parse error


class Threshold(Rule):
    name = "alert-threshold"
    description = "the comparison is > or < and the threshold a finite number"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if a.op not in EVALUATORS:
            extra = (
                (
                    " (Grafana's threshold step has only gt and lt, so the two targets could not agree at the "
                    "threshold itself; use > or < with an adjusted threshold)"
                )
                if a.op in (">=", "<=")
                else ""
            )
            yield f"comparison {a.op!r} is not allowed; use > or <{extra}", ""
        if not isinstance(a.threshold, (int, float)) or not math.isfinite(a.threshold):
            yield f"threshold {a.threshold!r} must be a finite number", ""


class For(Rule):
    """pint alerts/for: a valid duration, not shorter than the evaluation interval (it would round up)."""

    name = "alert-for"
    description = "`for` is a duration, not shorter than the group interval"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if not is_duration(a.for_):
            yield f"for {a.for_!r} is not a Prometheus duration (use 0s for immediately)", ""
            return
        wait = seconds(a.for_)
        if is_duration(group.interval) and 0 < wait < seconds(group.interval):
            yield (
                (
                    f"for {a.for_} is shorter than the group interval {group.interval}: the alert can only fire "
                    f"after a whole interval; use 0s or at least {group.interval}"
                ),
                "",
            )


class Uid(Rule):
    name = "alert-uid"
    description = "Grafana rule uids of 1-40 letters, digits, '-' or '_'"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if not UID.match(a.uid):
            yield f"Grafana rule uid {a.uid!r} must be 1-40 characters of letters, digits, '-' or '_'", ""


class DeclaredIncident(Rule):
    """Every alert declares its incident: the promtool tests and the live check prove it fires and stays silent."""

    name = "alert-test"
    description = "every alert declares the incident its promtool tests and live check act out"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if a.incident is None:
            yield (
                "no incident: set `incident=` so promtool tests and the live check prove the alert fires and stays "
                "silent",
                "",
            )


COMPONENTS = ("agent", "llm", "tool", "vector", "gpu", "inference", "cost", "meta")


class Component(Rule):
    """Routing reads `component`: cost alerts go to FinOps, and inhibitions match on it."""

    name = "alert-component"
    description = f"every alert names its component ({', '.join(COMPONENTS)}) for routing"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if a.component not in COMPONENTS:
            yield f"component {a.component!r} must be one of {', '.join(COMPONENTS)} (routing reads it)", ""


class RunbookActions(Rule):
    """The generated runbook tells on-call what to do only if the alert says so."""

    name = "alert-runbook-actions"
    description = "every alert lists what on-call does (`actions=`), the heart of its generated runbook"
    severity = WARNING

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if not a.actions:
            yield "no actions: its runbook cannot say what to do (set `actions=` in the alert's definition)", ""


class RecordName(Rule):
    name = "recording-name"
    description = "recording rules are named level:metric:operations"

    def recording(self, r: RecordingRule, group: RuleGroup) -> Result:
        if not RECORD_NAME.match(r.record):
            yield f"recording rule name {r.record!r} must be level:metric:operations", r.expr


class GroupInterval(Rule):
    name = "rule-group-interval"
    description = "group intervals are durations in multiples of Grafana's 10 s"

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        if not is_duration(group.interval):
            yield f"group interval {group.interval!r} is not a Prometheus duration", ""
        elif seconds(group.interval) % GRAFANA_SCHEDULER_SECONDS:
            yield (
                (
                    f"group interval {group.interval} must be a multiple of {GRAFANA_SCHEDULER_SECONDS}s for "
                    "Grafana's scheduler"
                ),
                "",
            )


class GroupName(Rule):
    """A group's name becomes a file name (prometheus/rules/<group>.yaml) and a Grafana rule-group title."""

    name = "rule-group-name"
    description = "group names are safe file names (they name prometheus/rules/<group>.yaml)"
    PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")

    def _check(self, group: RuleGroup) -> Result:
        if not self.PATTERN.match(group.name) or ".." in group.name:
            shown = group.name if len(group.name) <= 60 else group.name[:60] + "..."
            yield (
                (
                    f"rule group name {shown!r} must be 1-100 letters, digits, '_', '-' or '.', starting with a "
                    "letter or digit (it names the file prometheus/rules/<group>.yaml)"
                ),
                "",
            )

    def alert(self, a: Alert, group: RuleGroup) -> Result:
        return self._check(group)

    def recording(self, r: RecordingRule, group: RuleGroup) -> Result:
        return self._check(group)


def checks(catalog: Catalog, recorded: dict[str, frozenset[str]]) -> list[Rule]:
    return [
        Expression(catalog, recorded),
        GrafanaVariables(),
        AlertName(),
        Severity(),
        Annotations(),
        Template(catalog, recorded),
        Comparison(),
        Threshold(),
        For(),
        Uid(),
        DeclaredIncident(),
        RunbookActions(),
        Component(),
        RecordName(),
        GroupInterval(),
        GroupName(),
        Duplicates(),
        RecordingRead(),
        PanelLinks(),
        AlertUnit(),
        Presence(catalog),
    ]


class RecordingRead(Rule):
    """A recording rule costs an evaluation every interval: one that no panel, alert or rule reads is pure cost
    (unless something outside the project reads it; then exclude it with that reason)."""

    name = "recording-unread"
    description = "every recording rule is read by a dashboard panel, variable or annotation, an alert or a rule"
    severity = WARNING

    def build(self, view: BuildView) -> Iterator[Finding]:
        texts: list[str] = [a.expr for g in view.groups for a in g.alerts]
        texts += [r.expr for g in view.groups for r in g.recording]
        for d in view.dashboards:
            texts += [str(t.get("expr") or "") for p in panels_of(d.model) for t in p.get("targets") or []]
            templating = d.model.get("templating")
            for v in (templating.get("list") if isinstance(templating, dict) else None) or []:
                query = v.get("query") if isinstance(v, dict) else None
                texts.append(str(query.get("query", "")) if isinstance(query, dict) else str(query or ""))
            annotations = d.model.get("annotations")
            for a in (annotations.get("list") if isinstance(annotations, dict) else None) or []:
                texts.append(str(a.get("expr") or "") if isinstance(a, dict) else "")
        read = {name for text in texts for name in READ_NAME.findall(text)}
        for g in view.groups:
            for r in g.recording:
                if r.record not in read:
                    yield Finding(
                        r.source,
                        f"recording rule {r.record}",
                        "",
                        self.name,
                        "nothing in the project reads it: it costs an evaluation every interval for no panel or alert",
                        r.expr,
                        severity=WARNING,
                    )


class Duplicates(Rule):
    """pint rule/duplicate: alert names, Grafana uids and (record, labels) pairs are unique."""

    name = "rule-duplicate"
    description = "alert names, Grafana rule uids, group names and (record, labels) pairs are unique"

    def build(self, view: BuildView) -> Iterator[Finding]:
        groups = view.groups
        alerts = [a for g in groups for a in g.alerts]
        names = Counter(a.name for a in alerts)
        uids = Counter(a.uid for a in alerts)
        for a in alerts:
            if names[a.name] > 1:
                yield Finding(
                    a.source,
                    f"alert {a.name}",
                    "",
                    "rule-duplicate",
                    f"alert {a.name} is defined {names[a.name]} times",
                )
            if uids[a.uid] > 1:
                yield Finding(
                    a.source,
                    f"alert {a.name}",
                    "",
                    "rule-duplicate",
                    f"Grafana rule uid {a.uid} is used by {uids[a.uid]} alerts",
                )
        records = Counter((r.record, r.labels) for g in groups for r in g.recording)
        for g in groups:
            for r in g.recording:
                if records[(r.record, r.labels)] > 1:
                    yield Finding(
                        r.source,
                        f"recording rule {r.record}",
                        "",
                        "rule-duplicate",
                        f"{r.record} with labels {dict(r.labels)} is recorded {records[(r.record, r.labels)]} times",
                    )
        group_names = Counter(g.name for g in groups)
        for name, count in group_names.items():
            if count > 1:
                yield Finding("", f"rule group {name}", "", "rule-duplicate", f"group {name} is defined {count} times")


class AlertUnit(Rule):
    """An alert states the unit of its value and threshold, and it is the unit of the panel on-call opens.

    A threshold of 0.05 reads as 5 % only next to `percentunit`; when the linked panel shows the same quantity
    in another unit (per-second rates beside a count per 5 minutes), on-call compares numbers that differ."""

    name = "alert-unit"
    description = "an alert's unit is a Grafana unit id and the unit of the panel it links to"

    def build(self, view: BuildView) -> Iterator[Finding]:
        for g in view.groups:
            for a in g.alerts:
                where = f"alert {a.name}"
                if not units.known(a.unit):
                    yield Finding(a.source, where, "unit", self.name, f"unit {a.unit!r} is not a Grafana unit id")
                    continue
                link = panel_link(a, view.dashboards)
                if link is None:
                    continue  # alert-dashboard-link reports it
                dashboard = next(d for d in view.dashboards if d.uid == link[0])
                panel = next(p for p in panels_of(dashboard.model) if p.get("id") == link[1])
                shown = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
                if shown and shown != a.unit:
                    yield Finding(
                        a.source,
                        where,
                        "unit",
                        self.name,
                        f"the alert's value is in {a.unit!r} but its panel {a.panel_title!r} shows {shown!r}: on-call "
                        "compares the alert's number with the panel's",
                        severity=WARNING,
                    )


class Presence(Rule):
    """pint's promql/series, at build time: a family the alerts read has an alert for when it goes missing.

    An alert on a series that stopped returns nothing, and nothing is green: without a presence alert the
    monitoring goes blind in silence. Histograms and gauges exist whenever their exporter runs, so each one an
    alert reads (directly or through recording rules) must appear in some alert's `absent_over_time`.
    Counters are exempt: a labelled counter appears only with its first event, so its absence is normal."""

    name = "alert-presence"
    description = "every histogram and gauge an alert reads is watched by an absent_over_time alert"
    severity = WARNING

    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def build(self, view: BuildView) -> Iterator[Finding]:
        recorded = {r.record: r.expr for g in view.groups for r in g.recording}
        alerts = [a for g in view.groups for a in g.alerts]
        watched = {self._family(name) for a in alerts if _watches(a.expr) for name in self._reads(a.expr, recorded)}
        for a in alerts:
            if _watches(a.expr):
                continue
            for name in sorted(self._reads(a.expr, recorded)):
                metric = self.catalog.series(name)
                if metric is None or metric.metric.type == COUNTER or metric.metric.source == PROMETHEUS:
                    continue
                if metric.metric.name not in watched:
                    yield Finding(
                        a.source,
                        f"alert {a.name}",
                        "",
                        self.name,
                        f"reads {metric.metric.name}, which no absent_over_time alert watches: if it stops, this "
                        "alert goes silent and looks green",
                        severity=WARNING,
                    )

    def _family(self, name: str) -> str:
        series = self.catalog.series(name)
        return series.metric.name if series else name

    def _reads(self, expr: str, recorded: dict[str, str], seen: frozenset[str] = frozenset()) -> set[str]:
        try:
            names = promql.analyze(expr, self.catalog).metrics
        except ValueError:
            return set()
        out: set[str] = set()
        for name in names:
            if name in recorded and name not in seen:
                out |= self._reads(recorded[name], recorded, seen | {name})
            elif name not in recorded:
                out.add(name)
        return out


def _watches(expr: str) -> bool:
    """An alert on series stopping: absent_over_time, or per cluster `... unless present_over_time(...)`."""
    return "absent" in expr or "present_over_time" in expr


class PanelLinks(Rule):
    """Every alert links to exactly one panel of a generated dashboard."""

    name = "alert-dashboard-link"
    description = "every alert links to exactly one panel of a generated dashboard"

    def build(self, view: BuildView) -> Iterator[Finding]:
        groups, dashboards = view.groups, view.dashboards
        by_uid = {d.uid: d for d in dashboards}
        for g in groups:
            for a in g.alerts:
                if panel_link(a, dashboards):
                    continue
                d = by_uid.get(a.dashboard_uid)
                if d is None:
                    message = f"links to dashboard {a.dashboard_uid!r}, which is not generated"
                else:
                    titles = [p.get("title") for p in panels_of(d.model)]
                    count = titles.count(a.panel_title)
                    message = (
                        f"dashboard {a.dashboard_uid} has {count} panels titled {a.panel_title!r}"
                        if count
                        else f"dashboard {a.dashboard_uid} has no panel titled {a.panel_title!r}"
                    )
                yield Finding(a.source, f"alert {a.name}", "", self.name, message)
