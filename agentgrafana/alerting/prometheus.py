"""Prometheus outputs: one rule file per group, and the same groups as a prometheus-operator PrometheusRule."""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..emit import k8s_name, yaml_bytes
from ..model import OWNERSHIP_LABEL, Alert, RecordingRule, RuleGroup
from ..queries import VARIABLE_FOR_LABEL


def runbook_url(config: Config, alert: Alert) -> str:
    """The alert's generated runbook (`runbooks/<slug>.md`) under the configured base URL."""
    return f"{config.alerting.runbook_base_url.rstrip('/')}/{alert.runbook}.md"


def alert_annotations(config: Config, alert: Alert) -> dict[str, str]:
    """The annotations both targets share (templates in Prometheus form)."""
    return {"summary": alert.summary, "description": alert.description, "runbook_url": runbook_url(config, alert)}


def prometheus_annotations(config: Config, alert: Alert) -> dict[str, str]:
    """The shared annotations plus `dashboard_url`: Alertmanager notifications have no other way to the panel
    (Grafana links its own rules through `__dashboardUid__` / `__panelId__`). The dashboard's variables are
    set to the labels that name the alert's subject."""
    notes = alert_annotations(config, alert)
    if alert.panel_id is not None:
        subject = alert.incident.subject if alert.incident else ()
        variables = "".join(
            f"&var-{VARIABLE_FOR_LABEL[label]}={{{{ $labels.{label} }}}}"
            for label in subject
            if label in VARIABLE_FOR_LABEL
        )
        base = config.alerting.grafana_url.rstrip("/")
        notes["dashboard_url"] = f"{base}/d/{alert.dashboard_uid}?viewPanel={alert.panel_id}{variables}"
    return notes


def alert_labels(alert: Alert) -> dict[str, str]:
    """severity and component (what routing reads), the alert's own labels (team, when configured), then the
    ownership label (what push and the overview's alert list recognise the project's alerts by)."""
    routing = (
        {"severity": alert.severity, "component": alert.component} if alert.component else {"severity": alert.severity}
    )
    return {**routing, **dict(alert.labels), OWNERSHIP_LABEL[0]: OWNERSHIP_LABEL[1]}


def recording_rule(rule: RecordingRule) -> dict[str, Any]:
    out: dict[str, Any] = {"record": rule.record, "expr": rule.expr}
    if rule.labels:
        out["labels"] = dict(rule.labels)
    return out


def alerting_rule(config: Config, alert: Alert) -> dict[str, Any]:
    return {
        "alert": alert.name,
        "expr": alert.prometheus_expr,
        "for": alert.for_,
        "labels": alert_labels(alert),
        "annotations": prometheus_annotations(config, alert),
    }


def group_dict(config: Config, group: RuleGroup, *, alerts: bool = True, recording: bool = True) -> dict[str, Any]:
    rules = [recording_rule(r) for r in group.recording] if recording else []
    rules += [alerting_rule(config, a) for a in group.alerts] if alerts else []
    return {"name": group.name, "interval": group.interval, "rules": rules}


PROMETHEUS_RULE_PATH = "kubernetes/prometheusrule.yaml"
MIMIR_DIR = "mimir"


def rule_file_path(group: RuleGroup) -> str:
    return f"prometheus/rules/{group.name}.yaml"


def test_rule_file_path(group: RuleGroup) -> str:
    """Where the alerting rules live when Grafana evaluates the alerts: beside the promtool tests, never deployed."""
    return f"prometheus/tests/rules/{group.name}.yaml"


def deployed_groups(config: Config, groups: list[RuleGroup]) -> list[dict[str, Any]]:
    """The groups Prometheus loads: recording rules always, alerting rules only when Prometheus evaluates them
    (with the default Grafana engine the same alerts in both engines would notify twice)."""
    out = [group_dict(config, g, alerts=config.prometheus_alerts) for g in groups]
    return [g for g in out if g["rules"]]


def rule_files(config: Config, groups: list[RuleGroup]) -> dict[str, bytes]:
    files = {}
    for g in groups:
        body = group_dict(config, g, alerts=config.prometheus_alerts)
        if body["rules"]:
            files[rule_file_path(g)] = yaml_bytes({"groups": [body]})
    return files


def test_rule_files(config: Config, groups: list[RuleGroup]) -> dict[str, bytes]:
    """The alerting rules as Prometheus rules for `promtool test rules` when Prometheus does not load them: they
    prove the queries, thresholds, `for` and messages the Grafana rules are compiled from."""
    if config.prometheus_alerts:
        return {}
    return {
        test_rule_file_path(g): yaml_bytes({"groups": [group_dict(config, g, recording=False)]})
        for g in groups
        if g.alerts
    }


def mimir_namespace_path(config: Config) -> str:
    return f"{MIMIR_DIR}/{mimir_namespace(config)}.yaml"


def mimir_namespace(config: Config) -> str:
    """The Mimir (and Cortex) ruler namespace of the build's groups: one per project, like the PrometheusRule."""
    return k8s_name(f"{config.grafana.uid_prefix}-agentgrafana")


def mimir_rules(config: Config, groups: list[RuleGroup]) -> bytes:
    """The deployed groups as one `mimirtool rules load` file: a `namespace` key over the Prometheus groups.

    Mimir's ruler parses rule files strictly (unknown keys are errors) and keeps groups per namespace, so the
    groups are exactly the deployed Prometheus ones, under one namespace that `mimirtool rules sync` owns."""
    return yaml_bytes({"namespace": mimir_namespace(config), "groups": deployed_groups(config, groups)})


def prometheus_rule(config: Config, groups: list[RuleGroup]) -> bytes:
    """monitoring.coreos.com/v1 PrometheusRule; `release` makes kube-prometheus-stack select it."""
    k8s = config.kubernetes
    labels = {**k8s.common_labels, "release": config.alerting.prometheusrule_release}
    return yaml_bytes(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {
                "name": k8s_name(f"{config.grafana.uid_prefix}-agentgrafana-rules"),
                "namespace": k8s.namespace,
                "labels": dict(sorted(labels.items())),
            },
            "spec": {"groups": deployed_groups(config, groups)},
        }
    )
