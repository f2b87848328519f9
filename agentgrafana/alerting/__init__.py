"""Alerts and recording rules: collect from content, infer recorded series, and build Grafana's rule groups.

Every output format is derived from the same `Alert` and `RecordingRule` objects (see `agentgrafana.model`); the
emitters are `prometheus` (rule files, PrometheusRule), `grafana` (Grafana-managed rules) and `promtool_tests`,
listed with their paths in `agentgrafana.outputs`. Their lint rules are in `lint`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..catalog import Catalog
from ..model import DashboardOut, GrafanaRuleGroup, RuleGroup
from . import collect, grafana

if TYPE_CHECKING:
    from ..context import Context
    from ..discovery import ContentModule


def collect_rule_groups(ctx: Context, modules: list[ContentModule]) -> list[RuleGroup]:
    """Rule groups from `recording_rules/` and `alerts/` modules, in a stable order."""
    return collect.collect_rule_groups(ctx, modules)


def recorded_series(groups: list[RuleGroup], catalog: Catalog) -> dict[str, frozenset[str]]:
    """Series name -> labels, for every recording rule's output."""
    return collect.recorded_series(groups, catalog)


def grafana_rule_groups(
    ctx: Context, groups: list[RuleGroup], dashboards: list[DashboardOut]
) -> list[GrafanaRuleGroup]:
    """Grafana-managed rule groups (API shape) for every alert."""
    return grafana.grafana_rule_groups(ctx.config, groups, dashboards)


def link_panels(groups: list[RuleGroup], dashboards: list[DashboardOut]) -> list[RuleGroup]:
    """The groups with each alert's `panel_id` set from the dashboards (the panel its title names)."""
    out = []
    for g in groups:
        alerts = []
        for a in g.alerts:
            link = grafana.panel_link(a, dashboards)
            alerts.append(replace(a, panel_id=link[1]) if link else a)
        out.append(replace(g, alerts=alerts))
    return out
