"""Plain data produced by the content modules and consumed by validators, emitters and delivery.

Nothing here does I/O. A `Build` is the whole monitoring set for one configuration, already encoded to
JSON-ready dicts, so every output format and every delivery path (files, Grafana API, diff, preview)
reads the same objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .scenario import Incident


@dataclass(frozen=True, order=True)
class Folder:
    """A Grafana folder the project owns."""

    uid: str
    title: str

    def for_tenant(self, tenant: str) -> Folder:
        """The folder of a tenant's own dashboards (no "/" in the title: the sidecar reads it as a path)."""
        return Folder(f"{self.uid}-{tenant}", f"{self.title}: {tenant}")

    def is_tenant_folder(self, uid: str, title: str) -> bool:
        """Whether a folder with this uid and title is exactly what `for_tenant` makes for some tenant."""
        prefix = f"{self.uid}-"
        return uid.startswith(prefix) and len(uid) > len(prefix) and title == f"{self.title}: {uid[len(prefix) :]}"


@dataclass
class DashboardOut:
    """One dashboard, encoded as Grafana dashboard JSON (`model`), with where it comes from."""

    uid: str
    title: str
    folder: Folder
    model: dict[str, Any]
    source: str  # content module that defined it, e.g. "dashboards/overview.py"
    v2: dict[str, Any] | None = None  # the schema v2 spec (grafana.dashboard_schema: v2); `model` is then its view
    imported: bool = False  # brought in by `agentgrafana import`: kept as written (no house links or drill-downs)


@dataclass(frozen=True)
class Alert:
    """One alert, defined once, compiled to Prometheus, PrometheusRule and Grafana-managed rules.

    The comparison is explicit: `expr` (a value in `unit`) `op` `threshold` (from the configuration key
    `threshold_key`). Prometheus gets `(<expr>) <op> <threshold>`; Grafana gets query A = expr,
    B = reduce(last), C = threshold, so the limit reads the same in both.
    """

    name: str  # CamelCase Prometheus alert name
    title: str  # Grafana rule title
    uid: str  # Grafana rule uid (<= 40 chars)
    expr: str
    op: str  # one of > >= < <=
    threshold: float
    threshold_key: str  # configuration key path the threshold comes from
    unit: str  # Grafana unit id of expr's value and of the threshold (s, percentunit, celsius, short, ...)
    for_: str  # Prometheus duration, "0s" for immediately
    severity: str  # critical | warning | info
    summary: str
    description: str
    runbook: str  # runbook slug, appended to the configured base URL
    dashboard_uid: str
    panel_title: str
    group: str  # rule group name
    labels: tuple[tuple[str, str], ...] = ()
    source: str = ""
    # what the alert must fire on: the generated promtool tests and the live check's incident come from it
    incident: Incident | None = field(default=None, compare=False, repr=False)
    # what on-call does, in order (Markdown): the "What to do" section of the generated runbook
    actions: tuple[str, ...] = ()
    component: str = ""  # routing: agent | llm | tool | vector | gpu | inference | cost | meta
    panel_id: int | None = None  # the linked panel's id, once the dashboards are built (pipeline)

    @property
    def prometheus_expr(self) -> str:
        """The Prometheus alert condition: the query compared with its threshold."""
        return f"({self.expr}) {self.op} {format_number(self.threshold)}"


@dataclass(frozen=True)
class RecordingRule:
    """A Prometheus recording rule named `level:metric:operations`."""

    record: str
    expr: str
    group: str
    labels: tuple[tuple[str, str], ...] = ()
    source: str = ""


@dataclass
class RuleGroup:
    """A group of recording and/or alerting rules sharing an evaluation interval."""

    name: str
    interval: str
    recording: list[RecordingRule] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class GrafanaRuleGroup:
    """A Grafana-managed rule group in the provisioning API shape (rules are API rule dicts)."""

    folder: Folder
    name: str
    interval_seconds: int
    rules: list[dict[str, Any]]


@dataclass
class Build:
    """Everything generated for one configuration; `files` maps a path under the output dir to bytes."""

    dashboards: list[DashboardOut]
    rule_groups: list[RuleGroup]
    grafana_rule_groups: list[GrafanaRuleGroup]
    files: dict[str, bytes]
    main_folder: Folder | None = None  # tenants' folders derive from it; push finds removed tenants' by it
    warnings: list[Any] = field(default_factory=list)  # lint findings of severity warning (agentgrafana.lint)
    left_out: list[Any] = field(default_factory=list)  # board.LeftOut: what the configured sources cannot fill
    dialect: Any = None  # sources.Dialect: the metric sources the build was rendered for

    @property
    def folders(self) -> list[Folder]:
        seen = {d.folder for d in self.dashboards} | {g.folder for g in self.grafana_rule_groups}
        return sorted(seen)

    @property
    def alerts(self) -> list[Alert]:
        return [a for g in self.rule_groups for a in g.alerts]

    @property
    def recording_rules(self) -> list[RecordingRule]:
        return [r for g in self.rule_groups for r in g.recording]


def format_number(value: float) -> str:
    """Render a threshold the same way in every output: integers without a fraction, no exponent, and
    exactly the float's shortest repr (1e-11 stays 0.00000000001, never rounds to 0)."""
    if float(value).is_integer():
        return str(int(value))
    return format(Decimal(repr(float(value))), "f")


def display_number(value: float) -> str:
    """A number for people (test names): rounded to 10 decimals, so 0.055 does not read 0.05500000000000001."""
    return format_number(round(value, 10) if abs(value) >= 1e-9 else value)


# The label on every alert this project writes, whichever engine evaluates it: what push reads to never touch rules
# it did not write, and what the overview's alert list filters on.
OWNERSHIP_LABEL = ("managed_by", "agentgrafana")

UNIT_SUFFIXES = {"s": " s", "ms": " ms", "celsius": " °C", "watt": " W", "mbytes": " MiB", "percent": "%"}


def display_value(value: float, unit: str) -> str:
    """A value in its Grafana unit, for people (runbooks): 0.05 percentunit reads 5%, 85 celsius reads 85 °C."""
    if unit == "percentunit":
        return f"{display_number(value * 100)}%"
    if unit == "currencyUSD":
        return f"${display_number(value)}"
    return display_number(value) + UNIT_SUFFIXES.get(unit, "")


# --- the dashboard view: one way to walk a dashboard's JSON ------------------------------------------------


def panels_of(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows, rows themselves included."""
    out: list[dict[str, Any]] = []
    for p in model.get("panels") or []:
        out.append(p)
        out.extend(p.get("panels") or [])
    return out


def hidden_ref_ids(panel: dict[str, Any]) -> set[str]:
    """The refIds whose series the panel runs but does not draw (an override by query hiding them from the
    visualisation, as `panels.exemplars` sets): previews leave them out."""
    hidden: set[str] = set()
    for o in (panel.get("fieldConfig") or {}).get("overrides") or []:
        matcher = o.get("matcher") or {}
        if matcher.get("id") == "byFrameRefID" and any(
            p.get("id") == "custom.hideFrom" and (p.get("value") or {}).get("viz") for p in o.get("properties") or []
        ):
            hidden.add(str(matcher.get("options")))
    return hidden


def datasource_type(*holders: dict[str, Any], dashboard: dict[str, Any] | None = None) -> str:
    """The datasource type named by the first holder that names a datasource (a target, then its panel); "" if
    none. A reference to a datasource variable (`"$datasource"`, `{"uid": "${loki}"}`, as older and imported
    dashboards write them) takes that variable's plugin type from `dashboard`'s templating."""
    for holder in holders:
        ds = holder.get("datasource")
        if isinstance(ds, dict) and ds.get("type"):
            return str(ds["type"])
        ref = ds.get("uid") if isinstance(ds, dict) else ds
        if isinstance(ref, str) and ref.startswith("$") and dashboard is not None:
            name = ref.removeprefix("$").strip("{}").split(":")[0]
            templating = dashboard.get("templating")
            for v in (templating.get("list") if isinstance(templating, dict) else None) or []:
                if isinstance(v, dict) and v.get("name") == name and v.get("type") == "datasource":
                    return str(v.get("query") or "")
        if ds:
            return ""
    return ""


def panel_label(p: dict[str, Any]) -> str:
    """How findings and reports name a panel: its title and id."""
    return f'panel "{p.get("title", "")}" (id {p.get("id")})'


_JSON_KINDS = {
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def json_kind(value: Any) -> str:
    """How messages name a JSON value's type ("a list", "an object", ...)."""
    return _JSON_KINDS.get(type(value), type(value).__name__)
