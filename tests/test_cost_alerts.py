"""Cost alerts on promtool, in the order FinOps sees them: the forecast warns first, then the 80 % warning,
then the budget is exceeded; and the seed's monthly budget comes from the tenant_monthly_budget_usd gauge when
the platform exports it, from the configuration otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_slo import counter, expr_test, run

from agentgrafana.config import load
from agentgrafana.model import Build
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
GLOBEX = 'llm_cost_dollars_total{model="gpt-4o", tenant_id="globex"}'  # default budget: $100 a day
ACME = 'llm_cost_dollars_total{model="gpt-4o", tenant_id="acme"}'
pytestmark = pytest.mark.promtool


@pytest.fixture(scope="module")
def shipped() -> Build:
    return build(load(ROOT / "monitoring.yaml"), ROOT)


def fires(b: Build, name: str, minute: int, yes: bool) -> dict:
    """Whether the alert is firing (its `for` passed) for globex at `minute`: Prometheus' own ALERTS series."""
    assert any(a.name == name for a in b.alerts), name
    return expr_test(f'count(ALERTS{{alertname="{name}", alertstate="firing", tenant_id="globex"}})', minute, yes)


def test_the_forecast_and_the_80_percent_warning_come_before_the_budget_is_gone(promtool, shipped, tmp_path) -> None:
    # $2 a minute from minute 5: $80 (80 %) near minute 47, $100 near minute 57 (the recorded rates lag ~2 min)
    tests = [
        {
            "name": "a tenant spending $2 a minute against its $100 daily budget",
            "interval": "1m",
            "input_series": [{"series": GLOBEX, "values": counter((5, 0), (80, 2))}],
            "promql_expr_test": [
                fires(shipped, "TenantDailyCostBudgetForecast", 15, False),  # for: 15m not yet over
                fires(shipped, "TenantDailyCostBudgetForecast", 25, True),
                fires(shipped, "TenantDailyCostBudgetWarning", 25, False),
                fires(shipped, "TenantDailyCostBudgetWarning", 50, True),
                fires(shipped, "TenantDailyCostBudgetExceeded", 50, False),
                fires(shipped, "TenantDailyCostBudgetExceeded", 62, True),
            ],
        }
    ]
    run(promtool, shipped, tmp_path, tests)


def test_the_monthly_budget_gauge_wins_where_it_exists(promtool, shipped, tmp_path) -> None:
    default = load(ROOT / "monitoring.yaml").budgets.monthly_usd_default
    budget = "round(tenant_id:llm_cost_dollars:increase30d / tenant_id:llm_cost_budget:utilisation30d)"
    tests = [
        {
            "name": "acme exports a $1,000 monthly budget; globex has none, so the configured default applies",
            "interval": "1m",
            "input_series": [
                {"series": GLOBEX, "values": counter((180, 1))},
                {"series": ACME, "values": counter((180, 1))},
                {"series": 'tenant_monthly_budget_usd{tenant_id="acme"}', "values": "1000x180"},
            ],
            "promql_expr_test": [
                {
                    "expr": budget,
                    "eval_time": "150m",
                    "exp_samples": [
                        {"labels": '{tenant_id="acme"}', "value": 1000},
                        {"labels": '{tenant_id="globex"}', "value": default},
                    ],
                }
            ],
        }
    ]
    run(promtool, shipped, tmp_path, tests)
