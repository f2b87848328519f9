"""Grafana-managed rules in the modern form: query A, reduce B (last), threshold C; condition C.

The API shape (`GrafanaRuleGroup`) feeds the push client; the file-provisioning YAML and the sidecar
ConfigMap are written from the same rule dicts.
"""

from __future__ import annotations

from typing import Any

from .. import promql
from ..catalog import Catalog
from ..config import Config
from ..emit import k8s_name, yaml_bytes, yaml_text
from ..model import Alert, DashboardOut, Folder, GrafanaRuleGroup, RuleGroup, panels_of
from . import template
from .duration import seconds
from .prometheus import alert_annotations, alert_labels

EVALUATORS = {">": "gt", "<": "lt"}  # Grafana's threshold has no >= or <= (lint forbids them)
CONDITION = "C"
DEFAULT_RANGE_SECONDS = 600
EXPR_DATASOURCE = {"type": "__expr__", "uid": "__expr__"}


PROVISIONING_PATH = "grafana/provisioning/alerting/agentgrafana.yaml"
CONFIGMAP_PATH = "kubernetes/grafana-alerts.yaml"


def panel_link(alert: Alert, dashboards: list[DashboardOut]) -> tuple[str, int] | None:
    """(dashboard uid, panel id) of the panel an alert belongs to, when exactly one panel has that title."""
    for d in dashboards:
        if d.uid == alert.dashboard_uid:
            ids = [p.get("id") for p in panels_of(d.model) if p.get("title") == alert.panel_title]
            if len(ids) == 1 and isinstance(ids[0], int):
                return d.uid, ids[0]
    return None


NO_CATALOG = Catalog(())  # only the windows are read: no metric needs to be known


def query_range_seconds(expr: str) -> int:
    """How far back query A looks: its longest range window (at least 10 minutes)."""
    windows = [w.total_seconds() for _, w in promql.analyze(expr, NO_CATALOG).ranges if w is not None]
    return int(max([DEFAULT_RANGE_SECONDS, *windows]))


def rule_data(config: Config, alert: Alert) -> list[dict[str, Any]]:
    ds = config.grafana.datasources.prometheus_uid
    return [
        {
            "refId": "A",
            "relativeTimeRange": {"from": query_range_seconds(alert.expr), "to": 0},
            "datasourceUid": ds,
            "model": {
                "refId": "A",
                "expr": alert.expr,
                "instant": True,
                "range": False,
                "intervalMs": 1000,
                "maxDataPoints": 43200,
                "datasource": {"type": "prometheus", "uid": ds},
            },
        },
        {
            "refId": "B",
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": "__expr__",
            "model": {
                "refId": "B",
                "type": "reduce",
                "expression": "A",
                "reducer": "last",
                "datasource": dict(EXPR_DATASOURCE),
            },
        },
        {
            "refId": CONDITION,
            "relativeTimeRange": {"from": 0, "to": 0},
            "datasourceUid": "__expr__",
            "model": {
                "refId": CONDITION,
                "type": "threshold",
                "expression": "B",
                "conditions": [
                    {"evaluator": {"type": EVALUATORS.get(alert.op, alert.op), "params": [_number(alert.threshold)]}}
                ],
                "datasource": dict(EXPR_DATASOURCE),
            },
        },
    ]


def _number(value: float) -> float | int:
    """Integers without a fraction, as in the Prometheus rule."""
    return int(value) if float(value).is_integer() else value


def grafana_rule(config: Config, alert: Alert, folder: Folder, dashboards: list[DashboardOut]) -> dict[str, Any]:
    """One rule in the provisioning API shape."""
    notes = {k: template.for_grafana(v) for k, v in alert_annotations(config, alert).items()}
    link = panel_link(alert, dashboards)
    if link:
        notes["__dashboardUid__"], notes["__panelId__"] = link[0], str(link[1])
    return {
        "uid": alert.uid,
        "title": alert.title,
        "condition": CONDITION,
        "data": rule_data(config, alert),
        "noDataState": config.alerting.no_data_state,
        "execErrState": config.alerting.exec_err_state,
        "for": alert.for_,
        "annotations": notes,
        "labels": alert_labels(alert),
        "isPaused": False,
        "folderUID": folder.uid,
        "ruleGroup": alert.group,
        "orgID": 1,
    }


def grafana_rule_groups(
    config: Config, groups: list[RuleGroup], dashboards: list[DashboardOut]
) -> list[GrafanaRuleGroup]:
    folder = Folder(config.grafana.folder.uid, config.grafana.folder.title)
    out = []
    for g in groups:
        if g.alerts:
            out.append(
                GrafanaRuleGroup(
                    folder=folder,
                    name=g.name,
                    interval_seconds=int(seconds(g.interval)),
                    rules=[grafana_rule(config, a, folder, dashboards) for a in g.alerts],
                )
            )
    return out


FILE_KEYS = (
    "uid",
    "title",
    "condition",
    "data",
    "noDataState",
    "execErrState",
    "for",
    "annotations",
    "labels",
    "isPaused",
)


def provisioning(groups: list[GrafanaRuleGroup]) -> bytes:
    """`provisioning/alerting/*.yaml`: the same rules, folder by title, interval as a duration."""
    return yaml_bytes(_provisioning(groups))


def _provisioning(groups: list[GrafanaRuleGroup]) -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": g.name,
                "folder": g.folder.title,
                "interval": f"{g.interval_seconds}s",
                "rules": [{k: r[k] for k in FILE_KEYS} for r in g.rules],
            }
            for g in groups
        ],
    }


def configmap(config: Config, groups: list[GrafanaRuleGroup]) -> bytes:
    """ConfigMap for the Grafana alerting sidecar, holding the provisioning YAML."""
    k8s = config.kubernetes
    labels = {**k8s.common_labels, **k8s.alert_label}
    return yaml_bytes(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": k8s_name(f"{config.grafana.uid_prefix}-agentgrafana-alerts"),
                "namespace": k8s.namespace,
                "labels": dict(sorted(labels.items())),
            },
            "data": {"agentgrafana-alerts.yaml": yaml_text(_provisioning(groups))},
        }
    )
