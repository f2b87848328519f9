"""Alerts and recording rules: collect from content, infer recorded series, lint, compile to every target.

The pipeline calls exactly these functions; each output format is derived from the same `Alert` and
`RecordingRule` objects (see `agentgrafana.model`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import Catalog
from ..lint import Finding
from ..model import DashboardOut, GrafanaRuleGroup, RuleGroup

if TYPE_CHECKING:
    from ..context import Context
    from ..discovery import ContentModule


def collect_rule_groups(ctx: "Context", modules: list["ContentModule"]) -> list[RuleGroup]:
    """Rule groups from `recording_rules/` and `alerts/` modules, in a stable order."""
    return []


def recorded_series(groups: list[RuleGroup], catalog: Catalog) -> dict[str, frozenset[str]]:
    """Series name -> labels, for every recording rule's output."""
    return {}


def grafana_rule_groups(ctx: "Context", groups: list[RuleGroup],
                        dashboards: list[DashboardOut]) -> list[GrafanaRuleGroup]:
    """Grafana-managed rule groups (API shape) for every alert."""
    return []


def lint_rules(groups: list[RuleGroup], catalog: Catalog, recorded: dict[str, frozenset[str]],
               dashboards: list[DashboardOut]) -> list[Finding]:
    return []


def rule_files(ctx: "Context", groups: list[RuleGroup], grafana: list[GrafanaRuleGroup]) -> dict[str, bytes]:
    """Prometheus rule files, Grafana alerting provisioning, PrometheusRule and the alert ConfigMap."""
    return {}
