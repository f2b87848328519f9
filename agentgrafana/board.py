"""`Board`: a dashboard under construction, with the variables every agent dashboard shares and a grid layout.

Content modules call `ctx.board(...)`, then `row()` and `add(panel, w, h)`; the board assigns panel ids in
order and places panels left to right on Grafana's 24-column grid, wrapping when a row is full.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.models import dashboard as dm

from .panels import PROMETHEUS

if TYPE_CHECKING:
    from .config import Config

GRID_COLUMNS = 24
OWNERSHIP_TAG = "managed-by-agentgrafana"

# (variable, label, series it is read from) for the variables every dashboard carries.
SHARED_VARIABLES = (
    ("tenant", "Tenant", "tenant_id", "agent_request_duration_seconds_count"),
    ("agent", "Agent", "agent_name", 'agent_request_duration_seconds_count{tenant_id=~"$tenant"}'),
    ("model", "Model", "model", 'llm_tokens_total{tenant_id=~"$tenant"}'),
)


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
    ):
        self.config = config
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
        self._variables()

    # --- variables ---------------------------------------------------------------------------------
    def _variables(self) -> None:
        ds = self.config.grafana.datasources
        self.sdk = self.sdk.with_variable(
            dashboard.DatasourceVariable("datasource")
            .label("Prometheus")
            .type("prometheus")
            .current(dm.VariableOption(text=ds.prometheus_uid, value=ds.prometheus_uid))
        )
        for name, label, series_label, series in SHARED_VARIABLES:
            if name == "tenant" and self.tenant is not None:
                self.sdk = self.sdk.with_variable(dashboard.ConstantVariable(name).value(self.tenant).label(label))
                continue
            self.query_variable(name, label, f"label_values({series}, {series_label})")

    def query_variable(self, name: str, label: str, query: str, regex: str = "") -> Board:
        """A multi-value variable with "All" (expanding to `.*`), refreshed when the time range changes."""
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
        self.sdk = self.sdk.with_variable(var)
        return self

    def tempo_variable(self) -> Board:
        uid = self.config.grafana.datasources.tempo_uid
        self.sdk = self.sdk.with_variable(
            dashboard.DatasourceVariable("tempo")
            .label("Tempo")
            .type("tempo")
            .current(dm.VariableOption(text=uid, value=uid))
        )
        return self

    # --- layout ------------------------------------------------------------------------------------
    def row(self, title: str) -> Board:
        """Start a new (expanded) row below everything placed so far."""
        self._newline()
        row = dashboard.Row(title).id(self._take_id()).grid_pos(dm.GridPos(h=1, w=GRID_COLUMNS, x=0, y=self._y))
        self.sdk = self.sdk.with_row(row)
        self._y += 1
        return self

    def add(self, panel: Any, w: int = 12, h: int = 8) -> Board:
        """Place a panel builder `w` columns wide and `h` units high after the previous one."""
        if self._x + w > GRID_COLUMNS:
            self._newline()
        panel = panel.id(self._take_id()).grid_pos(dm.GridPos(h=h, w=w, x=self._x, y=self._y))
        self.sdk = self.sdk.with_panel(panel)
        self._x += w
        self._row_height = max(self._row_height, h)
        return self

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x, self._row_height = 0, 0

    def _take_id(self) -> int:
        panel_id = self._next_id
        self._next_id += 1
        return panel_id

    def build(self) -> dashboard.Dashboard:
        return self.sdk
