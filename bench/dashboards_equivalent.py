"""One 30-panel dashboard written twice: with this project's builders and with grafanalib.

Both versions come from the same `ROWS` spec (titles, descriptions, units, queries, thresholds, sizes), use
the same four variables and the same grid layout, and are encoded to JSON text the way each library
documents: `json_bytes(dashboard_json(board))` here, `grafanalib._gen.write_dashboard` there.
`summary()` reduces either JSON to what a reader sees, so the benchmark can check the two agree.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grafanalib import core as gl
from grafanalib._gen import write_dashboard

from agentgrafana.board import GRID_COLUMNS, shared_variable_queries
from agentgrafana.config import Config
from agentgrafana.context import Context
from agentgrafana.emit import json_bytes
from agentgrafana.encode import dashboard_json
from agentgrafana.panels import (
    GREEN,
    ORANGE,
    RED,
    YELLOW,
    Target,
    bargauge_panel,
    pie_panel,
    stat_panel,
    table_panel,
    timeseries_panel,
)

TITLE = "Bench: agent platform overview"
DESCRIPTION = "Thirty panels over the agent metric catalog, written once per library for the benchmark."
KEY = "bench-equivalent"
REQUESTS = "agent_request_duration_seconds_count"
q = Context(Config()).q  # the query builders for the default sources (seed)
Steps = tuple[tuple[str, float | None], ...]


@dataclass(frozen=True)
class PanelSpec:
    kind: str  # stat | timeseries | bargauge | pie | table
    title: str
    description: str
    unit: str
    targets: tuple[Target, ...]
    w: int = 12
    h: int = 8
    steps: Steps = ((GREEN, None),)
    maximum: float | None = None


def _stat(title: str, expr: str, unit: str, steps: Steps = ((GREEN, None),)) -> PanelSpec:
    return PanelSpec("stat", title, f"{title}, over the selected agents.", unit, (Target(expr),), 4, 4, steps)


def _series(title: str, expr: str, legend: str, unit: str, w: int = 12) -> PanelSpec:
    return PanelSpec("timeseries", title, f"{title} by {legend.strip('{}')}.", unit, (Target(expr, legend),), w)


def _latency(title: str, histogram: str, group: str) -> PanelSpec:
    targets = tuple(
        Target(q.quantile(p, histogram, [group]), f"P{round(p * 100)} {{{{{group}}}}}") for p in (0.5, 0.95, 0.99)
    )
    return PanelSpec(
        "timeseries",
        title,
        f"{title}: P50, P95 and P99 by {group}.",
        "s",
        targets,
        8,
        8,
        ((GREEN, None), (YELLOW, 1.0), (RED, 5.0)),
    )


ERRORS = q.ratio(q.rate("agent_errors_total"), q.rate(REQUESTS))
TENANT_SPEND = q.increase("llm_cost_dollars_total", ["tenant_id"], window="$__range")
ROWS: tuple[tuple[str, tuple[PanelSpec, ...]], ...] = (
    (
        "Health",
        (
            _stat("Requests per second", q.rate(REQUESTS), "reqps"),
            _stat("Error rate", ERRORS, "percentunit", ((GREEN, None), (ORANGE, 0.01), (RED, 0.05))),
            _stat(
                "P95 latency",
                q.quantile(0.95, "agent_request_duration_seconds"),
                "s",
                ((GREEN, None), (YELLOW, 5.0), (RED, 10.0)),
            ),
            _stat("Active sessions", q.aggregate("sum", q.sel("agent_active_sessions")), "short"),
            _stat("Active users", q.aggregate("sum", q.sel("agent_active_users")), "short"),
            _stat("Timeouts per minute", f"60 * {q.rate('agent_timeout_total')}", "short", ((GREEN, None), (RED, 5.0))),
        ),
    ),
    (
        "Traffic",
        (
            _series("Requests by agent", q.rate(REQUESTS, ["agent_name"]), "{{agent_name}}", "reqps", 8),
            _series("Requests by tenant", q.rate(REQUESTS, ["tenant_id"]), "{{tenant_id}}", "reqps", 8),
            _series("Requests by model", q.rate(REQUESTS, ["model"]), "{{model}}", "reqps", 8),
            _series("Errors by type", q.rate("agent_errors_total", ["error_type"]), "{{error_type}}", "reqps", 8),
            _series("Timeouts by agent", q.rate("agent_timeout_total", ["agent_name"]), "{{agent_name}}", "reqps", 8),
            _series(
                "Rate-limit errors by provider",
                q.rate("llm_rate_limit_errors_total", ["provider"]),
                "{{provider}}",
                "reqps",
                8,
            ),
        ),
    ),
    (
        "Latency",
        (
            _latency("Agent latency", "agent_request_duration_seconds", "agent_name"),
            _latency("LLM latency", "llm_inference_duration_seconds", "model"),
            _latency("Tool latency", "tool_execution_duration_seconds", "tool_name"),
            _latency("Vector search latency", "vector_search_duration_seconds", "collection"),
            _latency("Agent latency by model", "agent_request_duration_seconds", "model"),
            _latency("LLM latency by provider", "llm_inference_duration_seconds", "provider"),
        ),
    ),
    (
        "Cost and tokens",
        (
            _series(
                "Input tokens by model",
                q.rate("llm_tokens_total", ["model"], matchers='token_type="input"'),
                "{{model}}",
                "short",
            ),
            _series(
                "Output tokens by model",
                q.rate("llm_tokens_total", ["model"], matchers='token_type="output"'),
                "{{model}}",
                "short",
            ),
            _series(
                "Cost by model", f"3600 * {q.rate('llm_cost_dollars_total', ['model'])}", "{{model}}", "currencyUSD"
            ),
            _series(
                "Cost by tenant",
                f"3600 * {q.rate('llm_cost_dollars_total', ['tenant_id'])}",
                "{{tenant_id}}",
                "currencyUSD",
            ),
            PanelSpec(
                "pie",
                "Model cost share",
                "Each model's share of the spend in the selected range.",
                "currencyUSD",
                (
                    Target(
                        q.increase("llm_cost_dollars_total", ["model"], window="$__range"), "{{model}}", instant=True
                    ),
                ),
                8,
                9,
            ),
            PanelSpec(
                "table",
                "Top tenants by cost",
                "The ten tenants that spent most in the selected range.",
                "currencyUSD",
                (Target(f"topk(10, {TENANT_SPEND})", instant=True, table=True),),
                16,
                9,
            ),
        ),
    ),
    (
        "Tools and agents",
        (
            PanelSpec(
                "bargauge",
                "Tool error ratio",
                "Tool errors / tool executions by tool.",
                "percentunit",
                (
                    Target(
                        q.ratio(
                            q.rate("tool_execution_errors_total", ["tool_name"]),
                            q.rate("tool_execution_duration_seconds_count", ["tool_name"]),
                            ["tool_name"],
                        ),
                        "{{tool_name}}",
                    ),
                ),
                8,
                8,
                ((GREEN, None), (ORANGE, 0.05), (RED, 0.1)),
                1.0,
            ),
            PanelSpec(
                "bargauge",
                "Agent error ratio",
                "Agent errors / requests by agent.",
                "percentunit",
                (
                    Target(
                        q.ratio(
                            q.rate("agent_errors_total", ["agent_name"]),
                            q.rate(REQUESTS, ["agent_name"]),
                            ["agent_name"],
                        ),
                        "{{agent_name}}",
                    ),
                ),
                8,
                8,
                ((GREEN, None), (ORANGE, 0.01), (RED, 0.05)),
                1.0,
            ),
            PanelSpec(
                "table",
                "Slowest tools",
                "Tools by P95 duration over the selected range.",
                "s",
                (
                    Target(
                        f"topk(10, {q.quantile(0.95, 'tool_execution_duration_seconds', ['tool_name'])})",
                        instant=True,
                        table=True,
                    ),
                ),
                8,
                8,
            ),
            _series(
                "Tool calls by tool",
                q.rate("tool_execution_duration_seconds_count", ["tool_name"]),
                "{{tool_name}}",
                "reqps",
                8,
            ),
            _series(
                "Chain length P95", q.quantile(0.95, "agent_chain_length", ["agent_name"]), "{{agent_name}}", "short", 8
            ),
            _series(
                "Iterations P95", q.quantile(0.95, "agent_iterations", ["agent_name"]), "{{agent_name}}", "short", 8
            ),
        ),
    ),
)
PANEL_COUNT = sum(len(panels) for _, panels in ROWS)


def layout() -> list[tuple[str | PanelSpec, dict[str, int]]]:
    """Every row title and panel with its gridPos, left to right, wrapping at 24 columns (as `Board` does)."""
    placed: list[tuple[str | PanelSpec, dict[str, int]]] = []
    y = 0
    for title, panels in ROWS:
        placed.append((title, {"h": 1, "w": GRID_COLUMNS, "x": 0, "y": y}))
        y += 1
        x = row_height = 0
        for p in panels:
            if x + p.w > GRID_COLUMNS:
                y, x, row_height = y + row_height, 0, 0
            placed.append((p, {"h": p.h, "w": p.w, "x": x, "y": y}))
            x, row_height = x + p.w, max(row_height, p.h)
        y += row_height
    return placed


# --- this project's builders ----------------------------------------------------------------------


def _ours(p: PanelSpec) -> Any:
    targets = list(p.targets)
    if p.kind == "stat":
        return stat_panel(p.title, p.description, targets, p.unit, steps=p.steps)
    if p.kind == "timeseries":
        steps = p.steps if len(p.steps) > 1 else None
        return timeseries_panel(p.title, p.description, targets, p.unit, steps=steps, minimum=0)
    if p.kind == "bargauge":
        return bargauge_panel(p.title, p.description, targets, p.unit, steps=p.steps, maximum=p.maximum)
    if p.kind == "pie":
        return pie_panel(p.title, p.description, targets, p.unit)
    return table_panel(p.title, p.description, targets, p.unit, sort_by="Value")


def build_agentgrafana(ctx: Context) -> Any:
    board = ctx.board(KEY, TITLE, DESCRIPTION)
    for title, panels in ROWS:
        board.row(title)
        for p in panels:
            board.add(_ours(p), w=p.w, h=p.h)
    return board


def encode_agentgrafana(board: Any) -> bytes:
    return json_bytes(dashboard_json(board))


# --- grafanalib -------------------------------------------------------------------------------------

DS = {"type": "prometheus", "uid": "${datasource}"}


def _gl_targets(p: PanelSpec) -> list[gl.Target]:
    return [
        gl.Target(
            expr=t.expr,
            legendFormat=t.legend,
            refId="ABCDEFGHIJ"[i],
            instant=t.instant,
            format="table" if t.table else "time_series",
            datasource=DS,
        )
        for i, t in enumerate(p.targets)
    ]


def _gl_steps(steps: Steps) -> list[dict[str, Any]]:
    return [{"color": colour, "value": value} for colour, value in steps]


def _gl_panel(p: PanelSpec, panel_id: int, pos: dict[str, int]) -> Any:
    common = dict(
        title=p.title,
        description=p.description,
        dataSource=DS,
        targets=_gl_targets(p),
        id=panel_id,
        gridPos=gl.GridPos(**pos),
    )
    if p.kind == "stat":
        return gl.Stat(
            format=p.unit,
            reduceCalc="lastNotNull",
            colorMode="value",
            graphMode="area",
            thresholds=_gl_steps(p.steps),
            **common,
        )
    if p.kind == "timeseries":
        extra = dict(thresholds=_gl_steps(p.steps), thresholdsStyleMode="dashed") if len(p.steps) > 1 else {}
        return gl.TimeSeries(
            unit=p.unit,
            lineWidth=1,
            fillOpacity=10,
            valueMin=0,
            legendDisplayMode="table",
            legendPlacement="bottom",
            legendCalcs=["mean", "max", "lastNotNull"],
            **extra,
            **common,
        )
    if p.kind == "bargauge":
        return gl.BarGauge(
            format=p.unit,
            min=0,
            max=p.maximum,
            thresholds=_gl_steps(p.steps),
            orientation="horizontal",
            displayMode="gradient",
            calc="lastNotNull",
            **common,
        )
    if p.kind == "pie":
        return gl.PieChartv2(
            unit=p.unit,
            pieType="donut",
            legendDisplayMode="table",
            legendPlacement="right",
            legendValues=["percent"],
            **common,
        )
    return gl.Table(
        unit=p.unit,
        sortBy=[gl.TableSortByField(displayName="Value", desc=True)],
        transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}, "renameByName": {}}}],
        **common,
    )


def _gl_variables(config: Config) -> list[gl.Template]:
    uid = config.grafana.datasources.prometheus_uid
    variables = [gl.Template(name="datasource", query="prometheus", type="datasource", label="Prometheus", default=uid)]
    for name, label, query in shared_variable_queries(q):
        variables.append(
            gl.Template(
                name=name,
                label=label,
                query=query,
                dataSource=DS,
                multi=True,
                includeAll=True,
                allValue=".*",
                refresh=2,
                sort=1,
            )
        )
    return variables


def build_grafanalib(config: Config) -> gl.Dashboard:
    cfg = config.grafana
    panels = []
    for panel_id, (item, pos) in enumerate(layout(), start=1):
        if isinstance(item, str):
            panels.append(gl.RowPanel(title=item, id=panel_id, gridPos=gl.GridPos(**pos)))
        else:
            panels.append(_gl_panel(item, panel_id, pos))
    return gl.Dashboard(
        title=TITLE,
        uid=config.uid(KEY),
        description=DESCRIPTION,
        tags=sorted({*cfg.tags, "managed-by-agentgrafana"}),
        refresh=cfg.refresh,
        time=gl.Time(cfg.time_from, "now"),
        timezone="browser",
        graphTooltip=1,
        editable=True,
        templating=gl.Templating(list=_gl_variables(config)),
        panels=panels,
    )


def encode_grafanalib(dashboard: gl.Dashboard) -> bytes:
    out = io.StringIO()
    write_dashboard(dashboard, out)
    return out.getvalue().encode("utf-8")


# --- both -------------------------------------------------------------------------------------------


def builders(config: Config) -> dict[str, Callable[[], bytes]]:
    """name -> a function that builds and encodes the dashboard once."""
    ctx = Context(config)
    return {
        "agentgrafana": lambda: encode_agentgrafana(build_agentgrafana(ctx)),
        "grafanalib": lambda: encode_grafanalib(build_grafanalib(config)),
    }


def summary(text: bytes) -> dict[str, Any]:
    """What both versions must agree on: variables and, per panel, id, type, title, layout, unit and queries."""
    model = json.loads(text)
    panels = []
    for p in model["panels"]:
        defaults = (p.get("fieldConfig") or {}).get("defaults", {})
        legacy = (p.get("options") or {}).get("fieldOptions", {}).get("defaults", {})  # grafanalib's BarGauge
        unit = defaults.get("unit") or legacy.get("unit")
        panels.append(
            (
                p["id"],
                p["type"],
                p["title"],
                p.get("description") or "",
                p["gridPos"],
                unit,
                [(t["refId"], t["expr"], t.get("legendFormat") or "") for t in p.get("targets") or []],
            )
        )
    variables = [v["name"] for v in model["templating"]["list"]]
    return {"uid": model["uid"], "title": model["title"], "variables": variables, "panels": panels}
