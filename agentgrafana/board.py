"""`Board`: a dashboard under construction, with the variables every agent dashboard shares and a grid layout.

Content modules call `ctx.board(...)`, then `row()` and `add(panel, w, h)`; the board assigns panel ids in
order and places panels left to right on Grafana's 24-column grid, wrapping when a row is full.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as dm

from .panels import PROMETHEUS

if TYPE_CHECKING:
    from .config import Config
    from .queries import Queries

GRID_COLUMNS = 24
OWNERSHIP_TAG = "managed-by-agentgrafana"

# (variable, label, concept label, concepts it is read from, first that has it) for the variables every dashboard
# carries; each is filtered by the variables before it.
SHARED_VARIABLES = (
    ("tenant", "Tenant", "tenant_id", ("agent_request_duration_seconds_count", "llm_tokens_total")),
    ("agent", "Agent", "agent_name", ("agent_request_duration_seconds_count", "tool_execution_duration_seconds_count")),
    ("model", "Model", "model", ("llm_tokens_total", "llm_inference_duration_seconds_count")),
)


@dataclass(frozen=True)
class LeftOut:
    """A dashboard, panel, rule or alert left out of the build, and why (the sources cannot fill it)."""

    kind: str  # dashboard | panel | recording rule | alert
    name: str
    reason: str
    source: str = ""  # content file

    def line(self) -> str:
        return f"left out {self.kind} {self.name}: {self.reason}"


def shared_variable_queries(
    q: Queries | None,
    tenant: str | None = None,
    only: set[str] | None = None,
    series_for: Mapping[str, tuple[str, ...]] | None = None,
) -> list[tuple[str, str, str | None]]:
    """(variable, label, query) of the variables every dashboard carries, each filtered by those before it;
    the query is None for a constant (a tenant's own dashboard, or a label no configured source has).
    `only`: the variables to make (the ones a dashboard's panels honour); None: all of them. `series_for`: the
    concepts a variable's values are read from on this dashboard (tenants from spend on the cost dashboard)."""
    cluster = q.cluster_label if q is not None else ""
    earlier: dict[str, str] = {}
    out: list[tuple[str, str, str | None]] = []
    if cluster and q is not None and (only is None or "cluster" in only):
        query = q.label_values(cluster, SHARED_VARIABLES[0][3], {})
        out.append(("cluster", "Cluster", query or f"label_values(up, {cluster})"))
        earlier[cluster] = "cluster"
    for name, label, series_label, default_series in SHARED_VARIABLES:
        if only is not None and name not in only:
            continue
        series: tuple[str, ...] = (series_for or {}).get(name, default_series)
        if name == "tenant" and tenant is not None:
            out.append((name, label, None))
        elif q is None:  # a Board made outside a build: the seed's names
            where = ", ".join(f'{k}=~"${v}"' for k, v in earlier.items())
            selector = f"{series[0]}{{{where}}}" if where else series[0]
            out.append((name, label, f"label_values({selector}, {series_label})"))
        else:
            out.append((name, label, q.label_values(series_label, series, earlier)))
        if name == "tenant":
            earlier[series_label] = name
    return out


class Board:
    """A dashboard being built; `build()` returns the foundation-sdk dashboard builder."""

    def __init__(
        self,
        config: Config,
        uid: str,
        title: str,
        description: str,
        tags: tuple[str, ...] = (),
        tenant: str | None = None,
        q: Queries | None = None,
        variable_series: Mapping[str, tuple[str, ...]] | None = None,
    ):
        self.config = config
        self.q = q
        self.variable_series = dict(variable_series or {})
        self.left_out: list[LeftOut] = []
        self._pending_row: str | None = None
        self.panel_count = 0
        self.tenant = tenant  # set for a tenant's own dashboard: it goes to the tenant's folder
        self.uid = uid
        self.title = title
        cfg = config.grafana
        self.sdk = (
            dashboard.Dashboard(title)
            .uid(self.uid)
            .description(description)
            .tags(sorted({*cfg.tags, *tags, OWNERSHIP_TAG}))
            .refresh(cfg.refresh)
            .time(cfg.time_from, "now")
            .timezone("browser")
            .tooltip(dm.DashboardCursorSync.CROSSHAIR)
            .editable()
        )
        self._next_id = 1
        self._x = 0
        self._y = 0
        self._row_height = 0
        self._own_variables: list[Any] = []  # content's own (host, gpu, tempo), after the shared ones
        self._queries: list[str] = []  # every panel query, to know which shared variables they honour
        self._built = False

    # --- variables ---------------------------------------------------------------------------------
    SHARED = ("cluster", "tenant", "agent", "model")

    def _variables(self) -> None:
        """The datasource, then the shared variables the panels honour (a variable that filters nothing would
        make a reader believe the panels are filtered), then the content's own."""
        ds = self.config.grafana.datasources
        self.sdk = self.sdk.with_variable(
            dashboard.DatasourceVariable("datasource")
            .label("Prometheus")
            .type("prometheus")
            .current(dm.VariableOption(text=ds.prometheus_uid, value=ds.prometheus_uid))
        )
        text = "\n".join(self._queries)
        used = {v for v in self.SHARED if re.search(rf"\$(\{{)?{v}\b", text)} if self.q is not None else None
        for name, label, query in shared_variable_queries(self.q, self.tenant, used, self.variable_series):
            if query is None:  # the tenant of a tenant's own dashboard; or no configured source has the label
                value = self.tenant if name == "tenant" and self.tenant is not None else ".*"
                self.sdk = self.sdk.with_variable(dashboard.ConstantVariable(name).value(value).label(label))
            else:
                self.sdk = self.sdk.with_variable(self._query_variable(name, label, query))
        for var in self._own_variables:
            self.sdk = self.sdk.with_variable(var)

    def query_variable(self, name: str, label: str, query: str, regex: str = "") -> Board:
        """A multi-value variable with "All" (expanding to `.*`), refreshed when the time range changes."""
        self._own_variables.append(self._query_variable(name, label, query, regex))
        return self

    @staticmethod
    def _query_variable(name: str, label: str, query: str, regex: str = "") -> Any:
        var = (
            dashboard.QueryVariable(name)
            .label(label)
            .datasource(PROMETHEUS)
            .query(
                {
                    "query": query,
                    "refId": "PrometheusVariableQueryEditor-VariableQuery",
                    "qryType": 1 if query.startswith("label_values") else 3,
                }
            )
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(dm.VariableSort.ALPHABETICAL_ASC)
            .current(dm.VariableOption(text="All", value="$__all", selected=True))
        )
        if regex:
            var = var.regex(regex)
        return var

    def tempo_variable(self) -> Board:
        uid = self.config.grafana.datasources.tempo_uid
        self._own_variables.append(
            dashboard.DatasourceVariable("tempo")
            .label("Tempo")
            .type("tempo")
            .current(dm.VariableOption(text=uid, value=uid))
        )
        return self

    # --- annotations -------------------------------------------------------------------------------
    def _annotations(self) -> None:
        """Deployments marked on the time axis (optional): "did this start with the deploy?" is the first question."""
        settings = self.config.annotations
        if settings.deploy_tag:
            self.sdk = self.sdk.annotation(
                dashboard.AnnotationQuery()
                .name("Deployments")
                .datasource(dm.DataSourceRef(type_val="grafana", uid="-- Grafana --"))
                .enable(True)
                .icon_color("purple")
                # the SDK types `target` as a datasource query; Grafana's tag filter is this AnnotationTarget
                .target(
                    cast(
                        Any,
                        dashboard.AnnotationTarget()
                        .type("tags")
                        .tags([settings.deploy_tag])
                        .match_any(True)
                        .limit(100),
                    )
                )
            )
        if settings.deploy_metric and self.q is not None:
            expr = f"changes({self.q.sel(settings.deploy_metric)}[$__interval]) > 0"
            self._queries.append(expr)
            self.sdk = self.sdk.annotation(
                dashboard.AnnotationQuery()
                .name("Deployments (metric)")
                .datasource(PROMETHEUS)
                .enable(True)
                .icon_color("purple")
                .expr(expr)
                .step("60s")
                .title_format(f"{settings.deploy_metric} changed")
            )

    # --- layout ------------------------------------------------------------------------------------
    def row(self, title: str) -> Board:
        """Start a new (expanded) row below everything placed so far (placed with its first panel, so a row
        whose panels are all left out does not appear)."""
        self._pending_row = title
        return self

    def _place_row(self, title: str) -> None:
        self._newline()
        row = dashboard.Row(title).id(self._take_id()).grid_pos(dm.GridPos(h=1, w=GRID_COLUMNS, x=0, y=self._y))
        self.sdk = self.sdk.with_row(row)
        self._y += 1

    def add(self, panel: Any, w: int = 12, h: int = 8) -> Board:
        """Place a panel builder `w` columns wide and `h` units high after the previous one.

        A panel whose queries need a concept no configured source provides is left out (`left_out` says why):
        it could only ever show "No data".
        """
        missing = self._missing(panel)
        if missing:
            title = getattr(panel.build(), "title", "") or "untitled"
            self.left_out.append(LeftOut("panel", f"{self.uid} / {title}", missing))
            return self
        if self._pending_row is not None:
            self._place_row(self._pending_row)
            self._pending_row = None
        self.panel_count += 1
        if self._x + w > GRID_COLUMNS:
            self._newline()
        panel = panel.id(self._take_id()).grid_pos(dm.GridPos(h=h, w=w, x=self._x, y=self._y))
        self.sdk = self.sdk.with_panel(panel)
        self._x += w
        self._row_height = max(self._row_height, h)
        return self

    def _missing(self, panel: Any) -> str:
        if self.q is None:
            return ""
        targets = getattr(panel.build(), "targets", None) or []
        exprs = [str(getattr(t, "expr", "") or getattr(t, "query", "") or "") for t in targets]
        reason = self.q.missing(exprs)
        if not reason:
            self._queries.extend(exprs)
        return reason

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x, self._row_height = 0, 0

    def _take_id(self) -> int:
        panel_id = self._next_id
        self._next_id += 1
        return panel_id

    def build(self) -> dashboard.Dashboard:
        if not self._built:
            self._annotations()
            self._variables()
            self._built = True
        return self.sdk
