"""Context on the dashboards: the overview lists the project's firing alerts, and deployments are marked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.lint import ValidationFailed
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
DEPLOYS = {
    "annotations": {"deploy_tag": "deploy", "deploy_metric": "kube_pod_container_status_restarts_total"},
    "metrics": {"cluster_label": "cluster"},
}


def matches(label_filter: str, labels: dict[str, str]) -> bool:
    """Grafana's alert-list instance filter, for the one `{name="value"}` form the overview uses."""
    name, _, value = label_filter.strip("{}").partition("=")
    return labels.get(name) == value.strip('"')


@pytest.mark.parametrize("engine", ["grafana", "prometheus"])
def test_the_overviews_alert_list_shows_every_alert_the_project_writes(engine: str) -> None:
    b = build(config_mod.from_mapping({"alerting": {"engine": engine}}), ROOT)
    overview = next(d for d in b.dashboards if d.uid == "agent-overview")
    (panel,) = [p for p in panels_of(overview.model) if p["type"] == "alertlist"]
    assert panel["gridPos"]["w"] == 24 and panel["gridPos"]["y"] < 10  # right under the first row, full width
    options = panel["options"]
    assert (
        options["stateFilter"]["firing"] and options["stateFilter"]["pending"] and not options["stateFilter"]["normal"]
    )
    label_filter = options["alertInstanceLabelFilter"]
    rule_files = [
        yaml.safe_load(body)
        for path, body in b.files.items()
        if path.startswith(("prometheus/rules/", "grafana/provisioning/alerting/"))
    ]
    alerts = [
        r for f in rule_files for g in f["groups"] for r in g["rules"] if "alert" in r or ("title" in r and "data" in r)
    ]
    assert len(alerts) == len(b.alerts) > 20
    assert all(matches(label_filter, r["labels"]) for r in alerts)
    assert not matches(label_filter, {"severity": "critical", "alertname": "KubePodCrashLooping"})  # not others'


def test_deployments_are_marked_on_every_dashboard_when_configured() -> None:
    b = build(config_mod.from_mapping(DEPLOYS), ROOT)
    for d in b.dashboards:
        annotations = {a["name"]: a for a in d.model["annotations"]["list"]}
        tag = annotations["Deployments"]
        assert tag["datasource"]["type"] == "grafana" and tag["target"]["tags"] == ["deploy"], d.uid
        metric = annotations["Deployments (metric)"]
        assert metric["expr"].startswith("changes(kube_pod_container_status_restarts_total{cluster=~"), d.uid
        assert "cluster" in {v["name"] for v in d.model["templating"]["list"]}, d.uid  # its filter is a variable
    plain = build(config_mod.from_mapping({}), ROOT)
    assert all(not d.model.get("annotations") for d in plain.dashboards)


def test_a_deploy_metric_outside_the_catalog_fails_naming_it() -> None:
    with pytest.raises(ValidationFailed) as raised:
        build(config_mod.from_mapping({"annotations": {"deploy_metric": "kube_deployment_generation"}}), ROOT)
    messages = {(f.object, f.location, f.message.split(":")[0]) for f in raised.value.findings}
    assert len(raised.value.findings) == 8  # every dashboard
    assert (
        "dashboard agent-overview",
        "annotation 'Deployments (metric)'",
        "unknown metric 'kube_deployment_generation'",
    ) in messages
