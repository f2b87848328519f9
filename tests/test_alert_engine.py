"""One alerting engine: with the default (Grafana) each alert is deployed by exactly one engine, the twins share
one name, and `prometheus` / `both` deploy what they say."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]


def _engine(engine: str):
    return build(config_mod.from_mapping({"alerting": {"engine": engine}}), ROOT)


def _deployed_prometheus_alerts(b) -> list[str]:
    names = [
        r["alert"]
        for p, body in b.files.items()
        if p.startswith("prometheus/rules/")
        for g in yaml.safe_load(body)["groups"]
        for r in g["rules"]
        if "alert" in r
    ]
    manifest = b.files.get("kubernetes/prometheusrule.yaml")
    if manifest:
        names += [r["alert"] for g in yaml.safe_load(manifest)["spec"]["groups"] for r in g["rules"] if "alert" in r]
    return names


def _grafana_alerts(b) -> list[str]:
    body = b.files.get("grafana/provisioning/alerting/agentgrafana.yaml")
    return [r["title"] for g in yaml.safe_load(body)["groups"] for r in g["rules"]] if body else []


def test_by_default_each_alert_is_deployed_by_grafana_only_and_keeps_its_name(default_build) -> None:
    assert _deployed_prometheus_alerts(default_build) == []
    names = sorted(a.name for a in default_build.alerts)
    assert sorted(_grafana_alerts(default_build)) == names
    assert "kubernetes/grafana-alerts.yaml" in default_build.files
    kept = [
        r["alert"]
        for p, body in default_build.files.items()
        if p.startswith("prometheus/tests/rules/")
        for g in yaml.safe_load(body)["groups"]
        for r in g["rules"]
    ]
    assert sorted(kept) == names  # the same alerts, in Prometheus form, for promtool only
    recording = [
        r["record"]
        for g in yaml.safe_load(default_build.files["kubernetes/prometheusrule.yaml"])["spec"]["groups"]
        for r in g["rules"]
    ]
    assert sorted(recording) == sorted(r.record for r in default_build.recording_rules)


def test_prometheus_engine_deploys_alerts_to_prometheus_only() -> None:
    b = _engine("prometheus")
    names = sorted(a.name for a in b.alerts)
    assert sorted(_deployed_prometheus_alerts(b)) == sorted(names * 2)  # rule files and the PrometheusRule
    assert _grafana_alerts(b) == [] and b.grafana_rule_groups == []
    assert not any(p.startswith("prometheus/tests/rules/") for p in b.files)
    assert "kubernetes/grafana-alerts.yaml" not in b.files


@pytest.mark.parametrize("engine", ["both"])
def test_both_engines_deploy_both_twins_under_one_name(engine) -> None:
    b = _engine(engine)
    assert sorted(_grafana_alerts(b)) == sorted(a.name for a in b.alerts)
    assert set(_deployed_prometheus_alerts(b)) == set(_grafana_alerts(b))


def test_an_unknown_engine_is_a_configuration_error() -> None:
    with pytest.raises(config_mod.ConfigError, match="alerting.engine: expected grafana, prometheus or both"):
        config_mod.from_mapping({"alerting": {"engine": "alertmanager"}})
