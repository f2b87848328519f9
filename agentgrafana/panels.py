"""Panel helpers over grafana-foundation-sdk builders: a content module states intent, not JSON plumbing.

Every helper requires a title, a description and a unit, sets the datasource to the dashboard's
datasource variable and returns an SDK panel builder (so modules can still call any builder method).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import (
    bargauge,
    common,
    dashboard,
    heatmap,
    piechart,
    prometheus,
    stat,
    table,
    tempo,
    text,
    timeseries,
)
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import heatmap as hm
from grafana_foundation_sdk.models import piechart as pm
from grafana_foundation_sdk.models import prometheus as prom
from grafana_foundation_sdk.models import tempo as tpm
from grafana_foundation_sdk.models import text as tm

PROMETHEUS = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")
TEMPO = dm.DataSourceRef(type_val="tempo", uid="${tempo}")
REF_IDS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

GREEN, YELLOW, ORANGE, RED, BLUE = "green", "yellow", "orange", "red", "blue"


@dataclass(frozen=True)
class Target:
    """One Prometheus query of a panel."""

    expr: str
    legend: str = ""
    instant: bool = False
    exemplar: bool = False
    table: bool = False  # format the result as a table (instant tables)
    min_interval: str = ""  # Grafana's min step: "15m" for a figure "per 15 min" (non-overlapping windows)
    hidden: bool = False  # run, but its series not drawn, listed or in the tooltip (`exemplars`)


EXEMPLAR_STEP = "5m"
HIDDEN = {"legend": True, "tooltip": True, "viz": True}


def exemplars(expr: str) -> Target:
    """The query a panel runs only for its exemplars: first among its targets, its series hidden.

    Exemplars exist on the raw bucket series only, while the panel's lines read the recorded bucket rates (one
    series per label set and one sample per step instead of every pod's buckets over $__rate_interval). `expr`
    selects the raw buckets without a range function (`Queries.exemplar_source`) at a 5 m step, so the range
    query behind the exemplars touches one sample per bucket series every 5 minutes; the exemplars themselves
    come from Prometheus' exemplar storage over the whole range, whatever the step. It is first because
    Grafana's Prometheus datasource skips the exemplar query of a target when an earlier one mentions the same
    histogram (`shouldRunExemplarQuery`), and the recorded series' names contain it.
    """
    return Target(expr, "exemplars", exemplar=True, min_interval=EXEMPLAR_STEP, hidden=True)


Steps = Sequence[tuple[str, float | None]]  # (colour, lower bound); the first bound is None (base)


def _thresholds(steps: Steps) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=value, color=colour) for colour, value in steps])
    )


def _targets(panel: Any, targets: Sequence[Target | str]) -> Any:
    for i, t in enumerate(targets):
        t = Target(t) if isinstance(t, str) else t
        q = prometheus.Dataquery().expr(t.expr).ref_id(REF_IDS[i]).datasource(PROMETHEUS)
        if t.legend:
            q = q.legend_format(t.legend)
        if t.instant:
            q = q.instant()
        if t.exemplar:
            q = q.exemplar(True)
        if t.table:
            q = q.format(prom.PromQueryFormat.TABLE)
        if t.min_interval:
            q = q.interval(t.min_interval)
        panel = panel.with_target(q)
        if t.hidden:
            panel = panel.override_by_query(REF_IDS[i], [dm.DynamicConfigValue(id_val="custom.hideFrom", value=HIDDEN)])
    return panel


def _common(panel: Any, title: str, description: str, unit: str, targets: Sequence[Target | str]) -> Any:
    panel = panel.title(title).description(description).unit(unit).datasource(PROMETHEUS)
    return _targets(panel, targets)


def stat_panel(
    title: str,
    description: str,
    targets: Sequence[Target | str],
    unit: str,
    steps: Steps = ((GREEN, None),),
    decimals: int | None = None,
    sparkline: bool = True,
) -> stat.Panel:
    """A single big number, coloured by `steps`."""
    panel = _common(stat.Panel(), title, description, unit, targets)
    panel = (
        panel.thresholds(_thresholds(steps))
        .color_mode(cm.BigValueColorMode.VALUE)
        .graph_mode(cm.BigValueGraphMode.AREA if sparkline else cm.BigValueGraphMode.NONE)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def timeseries_panel(
    title: str,
    description: str,
    targets: Sequence[Target | str],
    unit: str,
    steps: Steps | None = None,
    stacked: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> timeseries.Panel:
    """Lines over time; `steps` are drawn as dashed threshold lines (targets and alert limits)."""
    panel = _common(timeseries.Panel(), title, description, unit, targets)
    panel = (
        panel.line_width(1)
        .fill_opacity(10)
        .legend(
            common.VizLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.BOTTOM)
            .show_legend(True)
            .calcs(["mean", "max", "lastNotNull"])
        )
    )
    if steps:
        panel = panel.thresholds(_thresholds(steps)).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.DASHED)
        )
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(cm.StackingMode.NORMAL))
    if minimum is not None:
        panel = panel.min(minimum)
    if maximum is not None:
        panel = panel.max(maximum)
    return panel


def heatmap_panel(title: str, description: str, expr: str, unit: str) -> heatmap.Panel:
    """A latency-distribution heatmap of a histogram's buckets (Prometheus heatmap format). No exemplars: it reads
    the recorded bucket rates, which have none; the quantile panel beside it shows them."""
    q = (
        prometheus.Dataquery()
        .expr(expr)
        .ref_id("A")
        .datasource(PROMETHEUS)
        .legend_format("{{le}}")
        .format(prom.PromQueryFormat.HEATMAP)
    )
    return (
        heatmap.Panel()
        .title(title)
        .description(description)
        .unit(unit)
        .datasource(PROMETHEUS)
        .with_target(q)
        .calculate(False)
        .color(heatmap.HeatmapColorOptions().mode(hm.HeatmapColorMode.SCHEME).scheme("Oranges").steps(64))
        .y_axis(heatmap.YAxisConfig().unit(unit))
        .cell_values(heatmap.CellValues().unit("reqps"))
    )


def bargauge_panel(
    title: str, description: str, targets: Sequence[Target | str], unit: str, steps: Steps, maximum: float | None = None
) -> bargauge.Panel:
    panel = _common(bargauge.Panel(), title, description, unit, targets)
    panel = (
        panel.thresholds(_thresholds(steps))
        .min(0)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.GRADIENT)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    )
    if maximum is not None:
        panel = panel.max(maximum)
    return panel


def pie_panel(title: str, description: str, targets: Sequence[Target | str], unit: str) -> piechart.Panel:
    panel = _common(piechart.Panel(), title, description, unit, targets)
    return (
        panel.pie_type(pm.PieChartType.DONUT)
        .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .legend(
            piechart.PieChartLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.RIGHT)
            .show_legend(True)
            .values([pm.PieChartLegendValues.PERCENT])
        )
    )


def table_panel(
    title: str,
    description: str,
    targets: Sequence[Target | str],
    unit: str,
    hide: Sequence[str] = ("Time",),
    rename: dict[str, str] | None = None,
    sort_by: str | None = None,
) -> table.Panel:
    """An instant-query table; `Value` columns get the unit, `hide` columns are dropped."""
    panel = _common(table.Panel(), title, description, unit, targets)
    panel = panel.with_transformation(
        dm.DataTransformerConfig(
            id_val="organize",
            options={
                "excludeByName": {name: True for name in hide},
                "renameByName": dict(rename or {}),
            },
        )
    )
    if sort_by:
        panel = panel.sort_by([common.TableSortByFieldState().display_name(sort_by).desc(True)])
    return panel


def traceql_table(
    title: str, description: str, query: str, links: Sequence[tuple[str, str]], limit: int = 20
) -> table.Panel:
    """A Tempo TraceQL search as a table; each trace id carries `links` (title, url), Tempo's own trace view first.

    An override of a field's links replaces the ones the datasource sets, so Tempo's link is given again.
    """
    q = (
        tempo.Dataquery()
        .query(query)
        .ref_id("A")
        .datasource(TEMPO)
        .limit(limit)
        .query_type("traceql")
        .table_type(tpm.SearchTableType.TRACES)
    )
    return (
        table.Panel()
        .title(title)
        .description(description)
        .unit("short")
        .datasource(TEMPO)
        .with_target(q)
        .override_by_name(
            "traceID",
            [
                dm.DynamicConfigValue(
                    id_val="links",
                    value=[{"title": name, "url": url, "targetBlank": not url.startswith("/")} for name, url in links],
                ),
            ],
        )
        .override_by_name("Duration", [dm.DynamicConfigValue(id_val="unit", value="ms")])
    )


def text_panel(title: str, description: str, markdown: str) -> text.Panel:
    """A Markdown panel (links out, notes); it has no query."""
    return (
        text.Panel().title(title).description(description).mode(tm.TextMode.MARKDOWN).content(markdown).overrides([])
    )  # as Grafana saves it


def alert_list_panel(title: str, description: str, label_filter: str, max_items: int = 20) -> dashboard.Panel:
    """Grafana's alert list: the firing and pending alerts whose labels match `label_filter`, Grafana-managed and
    Prometheus/Alertmanager ones alike (the SDK has no builder for this core panel, so its options are set here)."""
    options = {
        "viewMode": "list",
        "groupMode": "default",
        "groupBy": [],
        "maxItems": max_items,
        "sortOrder": 3,  # by importance (severity), then time
        "dashboardAlerts": False,
        "alertName": "",
        "alertInstanceLabelFilter": label_filter,
        "datasource": "",
        "showInstances": True,
        "stateFilter": {"firing": True, "pending": True, "noData": True, "error": True, "normal": False},
    }
    return (
        dashboard.Panel()
        .type("alertlist")
        .title(title)
        .description(description)
        .options(options)
        .field_config(dm.FieldConfigSource(defaults=dm.FieldConfig(), overrides=[]))
    )
