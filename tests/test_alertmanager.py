"""Routing: every alert carries severity and component; the generated Alertmanager configuration passes the real
`amtool check-config`, and `amtool config routes test` sends cost to FinOps and critical alerts to the pager."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.alerting.lint import COMPONENTS
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
PATH = "alertmanager/alertmanager.yaml"


@pytest.fixture(scope="module")
def config_file(default_build, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("am") / "alertmanager.yaml"
    path.write_bytes(default_build.files[PATH])
    return path


def test_every_alert_carries_severity_and_component(default_build) -> None:
    grafana = yaml.safe_load(default_build.files["grafana/provisioning/alerting/agentgrafana.yaml"])
    for rule in (r for g in grafana["groups"] for r in g["rules"]):
        assert rule["labels"]["component"] in COMPONENTS and rule["labels"]["severity"], rule["title"]


def test_amtool_accepts_the_configuration(amtool, config_file) -> None:
    done = subprocess.run([amtool, "check-config", str(config_file)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "SUCCESS" in done.stdout, done.stdout + done.stderr


@pytest.mark.parametrize(
    "labels,receiver",
    [
        (
            ["alertname=TenantDailyCostBudgetExceeded", "component=cost", "severity=warning", "tenant_id=globex"],
            "finops",
        ),
        (["alertname=AgentAvailabilityBudgetBurn1h", "component=agent", "severity=critical", "agent_name=a"], "pager"),
        (["alertname=GPUXidHardwareError", "component=gpu", "severity=critical", "host=h", "gpu=0"], "pager"),
        (["alertname=Watchdog", "component=meta", "severity=info"], "watchdog"),
        (["alertname=TargetDown", "component=meta", "severity=warning"], "default"),
        (["alertname=GPUHighTemperature", "component=gpu", "severity=warning"], "default"),
        (["alertname=LLMRateLimitErrors", "component=llm", "severity=warning", "model=gpt-4o"], "default"),
    ],
)
def test_routes_send_each_alert_to_its_receiver(amtool, config_file, labels, receiver) -> None:
    done = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config_file}", *labels],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == receiver, done.stdout + done.stderr


def test_a_team_routes_and_labels_every_alert(amtool, tmp_path) -> None:
    b = build(config_mod.from_mapping({"alerting": {"team": "ml-platform", "receiver_pager": "ml-pager"}}), ROOT)
    path = tmp_path / "am.yaml"
    path.write_bytes(b.files[PATH])
    assert all(dict(a.labels).get("team") == "ml-platform" for a in b.alerts)
    done = subprocess.run(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={path}",
            "severity=critical",
            "component=agent",
            "team=ml-platform",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "ml-pager", done.stdout + done.stderr
    other = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={path}", "severity=critical", "team=someone-else"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert other.stdout.strip() == "default"


def test_inhibitions_never_let_rate_limits_silence_a_page(default_build) -> None:
    rules = yaml.safe_load(default_build.files[PATH])["inhibit_rules"]
    rate = next(r for r in rules if r["source_matchers"] == ['alertname="LLMRateLimitErrors"'])
    assert 'severity="warning"' in rate["target_matchers"]
    critical = next(r for r in rules if 'severity="critical"' in r["source_matchers"])
    assert critical["equal"] == ["agent_name"] and 'component="agent"' in critical["source_matchers"]


POLICIES = "grafana/notification-policies/agentgrafana.yaml"


def _grafana_receiver(policy: dict, labels: dict[str, str]) -> str:
    """Grafana's routing: the first child policy whose object matchers all hold, recursively; else this one."""
    import re

    def holds(matcher: list[str]) -> bool:
        label, op, value = matcher
        have = labels.get(label, "")
        return {
            "=": have == value,
            "!=": have != value,
            "=~": re.fullmatch(value, have) is not None,
            "!~": re.fullmatch(value, have) is None,
        }[op]

    for child in policy.get("routes") or []:
        if all(holds(m) for m in child.get("object_matchers") or []):
            return _grafana_receiver(child, labels)
    return policy["receiver"]


def test_the_grafana_policy_tree_routes_every_alert_as_alertmanager_does(amtool, default_build, config_file) -> None:
    """With the default engine Grafana notifies: its policy tree sends each of the build's alerts to the same
    receiver as `amtool config routes test` finds in the Alertmanager configuration."""
    text = default_build.files[POLICIES].decode()
    assert "REPLACES the organisation's whole tree" in text  # said where it matters
    tree = yaml.safe_load(text)
    assert tree["apiVersion"] == 1 and len(tree["policies"]) == 1 and tree["policies"][0]["orgId"] == 1
    root = tree["policies"][0]
    assert root["group_by"][0] == "alertname" and root["repeat_interval"] == "4h"
    seen = set()
    for alert in default_build.alerts:
        labels = {
            "alertname": alert.name,
            "severity": alert.severity,
            "component": alert.component,
            **dict(alert.labels),
        }
        done = subprocess.run(
            [
                amtool,
                "config",
                "routes",
                "test",
                f"--config.file={config_file}",
                *(f"{k}={v}" for k, v in labels.items()),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        assert _grafana_receiver(root, labels) == done.stdout.strip(), (alert.name, labels)
        seen.add(done.stdout.strip())
    assert seen == {"default", "pager", "finops", "watchdog"}


def test_the_policy_tree_exists_only_where_grafana_notifies() -> None:
    prometheus_only = build(config_mod.from_mapping({"alerting": {"engine": "prometheus"}}), ROOT)
    assert POLICIES not in prometheus_only.files and PATH in prometheus_only.files
    both = build(config_mod.from_mapping({"alerting": {"engine": "both"}}), ROOT)
    assert POLICIES in both.files
