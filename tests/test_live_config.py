"""The live check with non-default thresholds and budgets: incidents follow whatever is configured."""

from __future__ import annotations

import pytest
from test_live import assert_budget_alert_tells_utilisation_and_dollars, assert_budget_override_respected

from agentgrafana.config import from_mapping
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import simulate
from agentgrafana.pipeline import build

pytestmark = pytest.mark.live

CONFIG = {
    "thresholds": {
        "latency_seconds": {
            "agent": {"p95_target": 8, "p99_alert": 20},
            "llm": {"p95_target": 2, "p99_alert": 4},
            "tool": {"p95_target": 0.3, "p99_alert": 0.8},
            "vector_search": {"p95_target": 0.08, "p99_alert": 0.15},
        },
        "agent_error_rate_alert": 0.2,
        "tool_error_rate_alert": 0.3,
        "rate_limit_errors_per_5m_alert": 40,
        "timeouts_per_minute_alert": 2,
        "budget_utilisation_alert": 0.8,
        "gpu": {"memory_used_alert_ratio": 0.8, "temperature_alert_celsius": 75},
    },
    "budgets": {
        "daily_usd_default": 60,
        "tenants": {"acme": 500, "umbrella": 20, "hooli": 90},
        "per_tenant_dashboards": True,
    },
}


@pytest.fixture(scope="module")
def configured(root, prometheus_binary, promtool):
    config = from_mapping(CONFIG)
    the_build = build(config, root)
    dataset = simulate(config, live.default_end(), alerts=the_build.alerts)
    with live_prometheus(dataset, live.rule_files(the_build), prometheus_binary, promtool) as server:
        report = live.check(the_build, server)
        print("\n" + report.text())
        yield config, server, report, the_build


def test_check_passes_with_other_thresholds(configured):
    _, _, report, _ = configured
    assert report.alerts and report.ok, report.text()


def test_tenant_dashboards_are_checked_with_their_tenant(configured):
    _, _, report, _ = configured
    checked = {t.dashboard for t in report.targets}
    for tenant in ("acme", "umbrella", "hooli"):
        assert any(title.endswith(tenant) for title in checked), tenant
        assert any(f'tenant_id=~"{tenant}"' in t.query for t in report.targets)


def test_override_above_default_is_respected(configured):
    config, server, report, the_build = configured
    assert server.dataset.topology.rich_tenant == "acme"
    assert_budget_override_respected(config, server, report)
    assert_budget_alert_tells_utilisation_and_dollars(the_build, config, server)
