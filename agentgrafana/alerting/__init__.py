"""Alerts and recording rules: collect from content, infer recorded series, lint, compile to every target.

The pipeline calls exactly these functions; each output format is derived from the same `Alert` and
`RecordingRule` objects (see `agentgrafana.model`):

- `prometheus/rules/<group>.yaml` and `kubernetes/prometheusrule.yaml` (`prometheus`),
- `grafana/provisioning/alerting/agentgrafana.yaml` and `kubernetes/grafana-alerts.yaml` (`grafana`),
- `prometheus/tests/<group>.yaml`, promtool unit tests generated from each alert's scenario
  (`promtool_tests`), so `promtool test rules` proves the shipped rule files without Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import Catalog
from ..lint import Finding
from ..model import DashboardOut, GrafanaRuleGroup, RuleGroup
from . import collect, grafana, lint, prometheus, promtool_tests

if TYPE_CHECKING:
    from ..context import Context
    from ..discovery import ContentModule

GRAFANA_PROVISIONING = "grafana/provisioning/alerting/agentgrafana.yaml"
PROMETHEUS_RULE = "kubernetes/prometheusrule.yaml"
GRAFANA_CONFIGMAP = "kubernetes/grafana-alerts.yaml"


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


def lint_rules(
    groups: list[RuleGroup], catalog: Catalog, recorded: dict[str, frozenset[str]], dashboards: list[DashboardOut]
) -> list[Finding]:
    """Every alert and recording-rule finding (empty when the set is fine)."""
    return lint.lint_rules(groups, catalog, recorded, dashboards)


def rule_files(ctx: Context, groups: list[RuleGroup], grafana_groups: list[GrafanaRuleGroup]) -> dict[str, bytes]:
    """Prometheus rule files and their promtool tests, Grafana alerting provisioning, PrometheusRule and the
    alert ConfigMap."""
    if not groups:
        return {}
    files = prometheus.rule_files(ctx.config, groups)
    files.update(promtool_tests.test_files(ctx.config, groups))
    files[PROMETHEUS_RULE] = prometheus.prometheus_rule(ctx.config, groups)
    if grafana_groups:
        files[GRAFANA_PROVISIONING] = grafana.provisioning(grafana_groups)
        files[GRAFANA_CONFIGMAP] = grafana.configmap(ctx.config, grafana_groups)
    return files
