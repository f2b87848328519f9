"""The registry of output formats: every file the build writes comes from exactly one `Format` listed here.

A format declares the paths it writes (a pattern), the role readers look for (the review diff parses
dashboards and rule files by role, the live check loads the Prometheus rule files, the ConfigMap size rule
reads the Kubernetes manifests) and the function that makes its bytes. Adding a format (resource files,
Mimir namespaces, Alertmanager) is one entry here and one emitter module; nothing else needs to know its paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .alerting import alertmanager, grafana_policies, prometheus, promtool_tests, runbooks
from .alerting import grafana as grafana_rules
from .config import Config
from .emit import dashboards as dashboard_emit
from .emit import resources
from .model import DashboardOut, GrafanaRuleGroup, RuleGroup
from .sources import Dialect

DASHBOARD, PROVISIONING, KUBERNETES = "dashboard", "grafana-provisioning", "kubernetes"
RESOURCE = "grafana-resource"
GRAFANA_ALERTING, PROMETHEUS_RULES, PROMTOOL_TESTS = "grafana-alerting", "prometheus-rules", "promtool-tests"
PROMTOOL_TEST_RULES = "promtool-test-rules"
RUNBOOK = "runbook"
NOTIFICATION_POLICIES = "grafana-notification-policies"
ALERTMANAGER = "alertmanager"
MIMIR_RULES = "mimir-rules"


@dataclass(frozen=True)
class Inputs:
    """What every emitter may read: the configuration and the built objects."""

    config: Config
    dashboards: list[DashboardOut]
    groups: list[RuleGroup]
    grafana_groups: list[GrafanaRuleGroup]
    dialect: Dialect | None = None  # the metric sources: test inputs are written in their names


@dataclass(frozen=True)
class Format:
    name: str
    paths: str  # the paths it writes, as documented
    pattern: re.Pattern[str]
    role: str
    description: str
    emit: Callable[[Inputs], dict[str, bytes]]

    def owns(self, path: str) -> bool:
        return bool(self.pattern.match(path))


def _deployed(i: Inputs) -> bool:
    return bool(prometheus.deployed_groups(i.config, i.groups))


FORMATS: tuple[Format, ...] = (
    Format(
        "dashboard-json",
        "dashboards/<folder-uid>/<uid>.json",
        re.compile(r"^dashboards/(?P<folder>[^/]+)/(?P<uid>[^/]+)\.json$"),
        DASHBOARD,
        "Grafana dashboard JSON (file provisioning, API push)",
        lambda i: {dashboard_emit.dashboard_path(d): dashboard_emit.dashboard_json(d) for d in i.dashboards},
    ),
    Format(
        "dashboard-provisioning",
        dashboard_emit.PROVISIONING_PATH,
        re.compile(rf"^{re.escape(dashboard_emit.PROVISIONING_PATH)}$"),
        PROVISIONING,
        "dashboard providers, one per folder",
        lambda i: {dashboard_emit.PROVISIONING_PATH: dashboard_emit.provisioning(i.dashboards)},
    ),
    Format(
        "dashboard-configmaps",
        "kubernetes/dashboards/<folder-uid>/<uid>.yaml",
        re.compile(r"^kubernetes/dashboards/[^/]+/[^/]+\.yaml$"),
        KUBERNETES,
        "one ConfigMap per dashboard for the Grafana sidecar",
        lambda i: {
            dashboard_emit.configmap_path(d): dashboard_emit.dashboard_configmap(i.config, d) for d in i.dashboards
        },
    ),
    Format(
        "grafana-resources",
        f"{resources.ROOT}/<Kind>.<version>.<group>/<name>.json",
        re.compile(
            rf"^{re.escape(resources.ROOT)}/"
            r"(Dashboard\.v[12]beta1\.dashboard|Folder\.v1beta1\.folder)\.grafana\.app/[^/]+\.json$"
        ),
        RESOURCE,
        "app-platform resources (Grafana 12+): one per dashboard and folder, for Git Sync and gcx resources push",
        lambda i: resources.files(i.dashboards),
    ),
    Format(
        "prometheus-rules",
        "prometheus/rules/<group>.yaml",
        re.compile(r"^prometheus/rules/[^/]+\.yaml$"),
        PROMETHEUS_RULES,
        "Prometheus recording and alerting rules",
        lambda i: prometheus.rule_files(i.config, i.groups),
    ),
    Format(
        "promtool-tests",
        "prometheus/tests/<group>.yaml",
        re.compile(r"^prometheus/tests/[^/]+\.yaml$"),
        PROMTOOL_TESTS,
        "promtool unit tests for every alert (promtool test rules)",
        lambda i: promtool_tests.test_files(i.config, i.groups, i.dialect),
    ),
    Format(
        "promtool-test-rules",
        "prometheus/tests/rules/<group>.yaml",
        re.compile(r"^prometheus/tests/rules/[^/]+\.yaml$"),
        PROMTOOL_TEST_RULES,
        "the alerting rules promtool tests run when Grafana evaluates the alerts (not deployed)",
        lambda i: prometheus.test_rule_files(i.config, i.groups),
    ),
    Format(
        "runbooks",
        "runbooks/<alert>.md",
        re.compile(r"^runbooks/[a-z0-9-]+\.md$"),
        RUNBOOK,
        "one runbook per alert: what fired, where to look, what to do (runbook_url points here)",
        lambda i: {
            runbooks.runbook_path(a): runbooks.runbook(i.config, a, i.dashboards) for g in i.groups for a in g.alerts
        },
    ),
    Format(
        "alertmanager",
        alertmanager.PATH,
        re.compile(rf"^{re.escape(alertmanager.PATH)}$"),
        ALERTMANAGER,
        "Alertmanager routes (cost to FinOps, critical to the pager) and inhibit rules; amtool check-config",
        lambda i: alertmanager.files(i.config, i.groups),
    ),
    Format(
        "grafana-notification-policies",
        grafana_policies.PATH,
        re.compile(rf"^{re.escape(grafana_policies.PATH)}$"),
        NOTIFICATION_POLICIES,
        "the Alertmanager routes as a Grafana notification policy tree (engine grafana; copy on purpose)",
        lambda i: grafana_policies.files(i.config, i.groups),
    ),
    Format(
        "prometheusrule",
        prometheus.PROMETHEUS_RULE_PATH,
        re.compile(rf"^{re.escape(prometheus.PROMETHEUS_RULE_PATH)}$"),
        KUBERNETES,
        "PrometheusRule for prometheus-operator (release label set)",
        lambda i: (
            {prometheus.PROMETHEUS_RULE_PATH: prometheus.prometheus_rule(i.config, i.groups)} if _deployed(i) else {}
        ),
    ),
    Format(
        "mimir-rules",
        "mimir/<namespace>.yaml",
        re.compile(rf"^{re.escape(prometheus.MIMIR_DIR)}/[a-z0-9.-]+\.yaml$"),
        MIMIR_RULES,
        "the same groups as one Mimir / Cortex ruler namespace (mimirtool rules load or sync)",
        lambda i: (
            {prometheus.mimir_namespace_path(i.config): prometheus.mimir_rules(i.config, i.groups)}
            if _deployed(i)
            else {}
        ),
    ),
    Format(
        "grafana-alerting",
        grafana_rules.PROVISIONING_PATH,
        re.compile(rf"^{re.escape(grafana_rules.PROVISIONING_PATH)}$"),
        GRAFANA_ALERTING,
        "Grafana-managed alert rules (query A -> reduce B -> threshold C)",
        lambda i: (
            {grafana_rules.PROVISIONING_PATH: grafana_rules.provisioning(i.grafana_groups)} if i.grafana_groups else {}
        ),
    ),
    Format(
        "grafana-alerts-configmap",
        grafana_rules.CONFIGMAP_PATH,
        re.compile(rf"^{re.escape(grafana_rules.CONFIGMAP_PATH)}$"),
        KUBERNETES,
        "ConfigMap labelled grafana_alert for the alerting sidecar",
        lambda i: (
            {grafana_rules.CONFIGMAP_PATH: grafana_rules.configmap(i.config, i.grafana_groups)}
            if i.grafana_groups
            else {}
        ),
    ),
)


def emit_all(inputs: Inputs) -> dict[str, bytes]:
    """Every format's files. A format writing outside its declared paths is a programming error."""
    files: dict[str, bytes] = {}
    for fmt in FORMATS:
        for path, body in fmt.emit(inputs).items():
            if not fmt.owns(path):
                raise AssertionError(f"format {fmt.name} wrote {path}, outside its paths {fmt.paths}")
            files[path] = body
    return files


def format_of(path: str) -> Format | None:
    return next((f for f in FORMATS if f.owns(path)), None)


def files_with_role(files: dict[str, bytes], role: str) -> dict[str, bytes]:
    """The files of every format with this role (e.g. the Prometheus rule files the live check loads)."""
    return {p: b for p, b in files.items() if (f := format_of(p)) is not None and f.role == role}
