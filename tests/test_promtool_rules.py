"""promtool proves the generated rules: `check rules` on every file, the generated alert tests for the shipped
configuration and for one with every threshold changed, recording-rule values, and per-tenant budgets."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.alerting import template
from agentgrafana.model import Build
from agentgrafana.pipeline import build

pytestmark = pytest.mark.promtool

ROOT = Path(__file__).resolve().parents[1]

# every threshold moved, several off a histogram bucket boundary, one GPU ratio close to 1
CHANGED = {
    "thresholds": {
        "latency_seconds": {
            "agent": {"p99_alert": 7},
            "llm": {"p99_alert": 4},
            "tool": {"p99_alert": 0.7},
            "vector_search": {"p99_alert": 0.15},
        },
        "agent_error_rate_alert": 0.2,
        "tool_error_rate_alert": 0.03,
        "rate_limit_errors_per_5m_alert": 3,
        "timeouts_per_minute_alert": 2,
        "budget_utilisation_alert": 0.8,
        "gpu": {"memory_used_alert_ratio": 0.95, "temperature_alert_celsius": 70},
    },
    "budgets": {"daily_usd_default": 40, "tenants": {"acme": 250, "initech": 20}},
}
BUDGET_STORY = {"budgets": {"daily_usd_default": 100, "tenants": {"acme": 250}}}


def _write(b: Build, out: Path) -> Path:
    for rel, body in b.files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return out


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, tuple[Build, Path]]:
    """Generated trees for the shipped configuration, one with every threshold changed, and the budget story."""
    configs = {
        "shipped": config_mod.load(ROOT / "monitoring.yaml"),
        "changed": config_mod.from_mapping(CHANGED),
        "budget": config_mod.from_mapping(BUDGET_STORY),
    }
    out = {}
    for name, cfg in configs.items():
        b = build(cfg, ROOT)
        out[name] = (b, _write(b, tmp_path_factory.mktemp(name)))
    return out


def _run(promtool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120
    )


def _rule_files(root: Path) -> list[Path]:
    """Deployed rule files and the alerting rules kept for promtool (default Grafana engine)."""
    return sorted((root / "prometheus" / "rules").glob("*.yaml")) + sorted(
        (root / "prometheus" / "tests" / "rules").glob("*.yaml")
    )


def test_promtool_check_rules_accepts_every_generated_rule_file(promtool, projects) -> None:
    files = [f for _, root in projects.values() for f in _rule_files(root)]
    assert len(files) >= 3 * 7
    result = _run(promtool, "check", "rules", "--lint-fatal", *files)
    assert result.returncode == 0, result.stdout


def _recording_tests(root: Path) -> Path:
    """Hand-computed values of the recording rules for known traffic (shipped budgets: acme 250, initech 50)."""

    def counter(series: str, per_minute: float) -> dict[str, str]:
        return {"series": series, "values": f"0+{per_minute}x60"}

    def buckets(metric: str, labels: str, upper: list[str], inside: str, per_minute: int) -> list[dict[str, str]]:
        """All observations in the bucket whose upper bound is `inside`."""
        out, reached = [], False
        for le in [*upper, "+Inf"]:
            reached = reached or le == inside
            out.append(counter(f'{metric}_bucket{{{labels}, le="{le}"}}', per_minute if reached else 0))
        return [*out, counter(f"{metric}_count{{{labels}}}", per_minute)]

    agent = 'agent_name="support-bot", model="gpt-4o"'
    series = [  # support-bot: 10 requests/s (its histogram's _count), 0.5 errors/s
        counter('agent_errors_total{agent_name="support-bot", error_type="llm_error", tenant_id="acme"}', 30),
        counter('agent_request_duration_seconds_count{agent_name="quiet-bot", model="gpt-4o", tenant_id="acme"}', 60),
        counter('agent_request_duration_seconds_count{agent_name="idle-bot", model="gpt-4o", tenant_id="acme"}', 0),
        counter('agent_errors_total{agent_name="idle-bot", error_type="llm_error", tenant_id="acme"}', 0),
        *buckets(
            "agent_request_duration_seconds",
            f'{agent}, tenant_id="acme"',
            ["0.1", "0.5", "1", "2", "5", "10", "30", "60"],
            "2",
            600,
        ),
        *buckets(
            "llm_inference_duration_seconds",
            'model="gpt-4o", provider="openai"',
            ["0.1", "0.5", "1", "2", "5", "10", "30"],
            "5",
            600,
        ),
        *buckets(
            "tool_execution_duration_seconds",
            'tool_name="web_search", agent_name="support-bot"',
            ["0.01", "0.05", "0.1", "0.5", "1", "5", "10"],
            "0.5",
            120,
        ),
        *buckets(
            "vector_search_duration_seconds",
            'collection="docs", agent_name="support-bot"',
            ["0.01", "0.05", "0.1", "0.2", "0.5", "1", "2"],
            "0.1",
            600,
        ),
        counter(
            'tool_execution_errors_total{tool_name="web_search", agent_name="support-bot", error_type="timeout"}', 12
        ),
        counter('llm_cost_dollars_total{model="gpt-4o", tenant_id="acme"}', 4),  # $240 by 60m, budget 250
        counter('llm_cost_dollars_total{model="gpt-4o", tenant_id="globex"}', 3),  # $180, default budget 100
        counter('llm_cost_dollars_total{model="gpt-4o", tenant_id="initech"}', 0.5),  # $30, budget 50
    ]

    def exp(expr: str, *samples: tuple[str, float], at: str = "10m") -> dict:
        return {
            "expr": expr,
            "eval_time": at,
            "exp_samples": [{"labels": labels, "value": value} for labels, value in samples],
        }

    summed = "agent_name_le_model_tenant_id:agent_request_duration_seconds_bucket:rate5m"
    tests = [
        exp(
            "agent_name:agent_requests:rate5m",
            ('agent_name:agent_requests:rate5m{agent_name="idle-bot"}', 0),
            ('agent_name:agent_requests:rate5m{agent_name="quiet-bot"}', 1),
            ('agent_name:agent_requests:rate5m{agent_name="support-bot"}', 10),
        ),
        exp(
            "agent_name:agent_errors:rate5m",
            ('agent_name:agent_errors:rate5m{agent_name="idle-bot"}', 0),
            ('agent_name:agent_errors:rate5m{agent_name="support-bot"}', 0.5),
        ),
        # quiet-bot: traffic, no errors -> 0; idle-bot: no traffic -> no sample at all (never NaN)
        exp(
            "agent_name:agent_error_ratio:rate5m",
            ('agent_name:agent_error_ratio:rate5m{agent_name="quiet-bot"}', 0),
            ('agent_name:agent_error_ratio:rate5m{agent_name="support-bot"}', 0.05),
        ),
        exp(
            "agent_name:agent_request_duration_seconds:p99_rate5m",
            ('agent_name:agent_request_duration_seconds:p99_rate5m{agent_name="support-bot"}', 1.99),
        ),
        # the buckets summed over pods, what the dashboards' quantiles read: the same P95 and P50 as the raw
        # buckets give, and the +Inf bucket is the request rate
        exp(
            f'histogram_quantile(0.95, sum by (le, agent_name) ({summed}{{agent_name="support-bot"}}))',
            ('{agent_name="support-bot"}', 1.95),
        ),
        exp(
            f'histogram_quantile(0.5, sum by (le, agent_name) ({summed}{{agent_name="support-bot"}}))',
            ('{agent_name="support-bot"}', 1.5),
        ),
        exp(
            f'sum by (agent_name) ({summed}{{le="+Inf"}})',  # the others have no buckets in this data
            ('{agent_name="support-bot"}', 10),
        ),
        exp(
            "model:llm_inference_duration_seconds:p99_rate5m",
            ('model:llm_inference_duration_seconds:p99_rate5m{model="gpt-4o"}', 4.97),
        ),
        exp(
            "tool_name:tool_execution_duration_seconds:p99_rate5m",
            ('tool_name:tool_execution_duration_seconds:p99_rate5m{tool_name="web_search"}', 0.496),
        ),
        exp(
            "collection:vector_search_duration_seconds:p99_rate5m",
            ('collection:vector_search_duration_seconds:p99_rate5m{collection="docs"}', 0.0995),
        ),
        exp(
            "tool_name:tool_execution_error_ratio:rate5m",
            ('tool_name:tool_execution_error_ratio:rate5m{tool_name="web_search"}', 0.1),
        ),
        # spend is summed from the recorded 5-minute rates, which see a counter that starts at minute 0 two
        # minutes late: $232 of acme's $240 (58 of 60 minutes at $4), $174 of globex's $180, $29 of initech's $30
        exp(  # rounded to a tenth of a cent: the sum of recorded per-second rates is not exact in binary
            "round(tenant_id:llm_cost_dollars:increase24h * 1000) / 1000",
            ('{tenant_id="acme"}', 232),
            ('{tenant_id="globex"}', 174),
            ('{tenant_id="initech"}', 29),
            at="60m",
        ),
        exp(
            "tenant_id:llm_cost_budget_dollars:daily",
            ('tenant_id:llm_cost_budget_dollars:daily{budget_usd="250.00", tenant_id="acme"}', 250),
            ('tenant_id:llm_cost_budget_dollars:daily{budget_usd="50.00", tenant_id="initech"}', 50),
            at="60m",
        ),
        # each tenant against its own budget, which it carries as a label: acme 232/250, globex 174/100
        # (default), initech 30/50
        exp(
            "round(tenant_id:llm_cost_budget:utilisation24h * 100000) / 100000",
            ('{budget_usd="250.00", tenant_id="acme"}', 0.928),
            ('{budget_usd="100.00", tenant_id="globex"}', 1.74),
            ('{budget_usd="50.00", tenant_id="initech"}', 0.58),
            at="60m",
        ),
    ]
    path = root / "handwritten" / "recording-values.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {
                "rule_files": [f"../{f.relative_to(root).as_posix()}" for f in _rule_files(root)],
                "evaluation_interval": "1m",
                "tests": [
                    {
                        "name": "recording rules produce the expected values",
                        "interval": "1m",
                        "input_series": series,
                        "promql_expr_test": tests,
                    }
                ],
            },
            sort_keys=False,
        )
    )
    return path


UTILISATION = "tenant_id:llm_cost_budget:utilisation24h"


def _budget_story(b: Build, root: Path) -> Path:
    """acme (override $250) spending $4 a minute stays silent; globex (default $100) spending $3 a minute fires
    at 50 minutes: $144 recorded (the 5-minute rates see a counter that starts at minute 0 two minutes late)."""
    alert = next(a for a in b.alerts if a.name == "TenantDailyCostBudgetExceeded")
    labels = {
        "tenant_id": "globex",
        "budget_usd": "100.00",
        "severity": "warning",
        "component": "cost",
        "managed_by": "agentgrafana",
    }
    notes = {
        "summary": "Tenant globex: LLM spend over the last 24 hours is above its daily budget.",
        "description": template.render(alert.description, labels, 1.44),
        "runbook_url": f"https://runbooks.example.com/ai-agents/{alert.runbook}.md",
        # Alertmanager's way to the panel, with the dashboard's tenant variable set to the alert's tenant
        "dashboard_url": "https://grafana.example.com/d/agent-cost?viewPanel=7&var-tenant=globex",
    }
    assert notes["description"] == (
        "Tenant globex spent 144% of its daily budget of $100.00 on LLM calls in the last 24 hours (limit 100%)."
    )
    path = root / "handwritten" / "budget-story.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        yaml.safe_dump(
            {
                "rule_files": [f"../{f.relative_to(root).as_posix()}" for f in _rule_files(root)],
                "evaluation_interval": "1m",
                "group_eval_order": ["agent-recording", "agent-cost", "cost-alerts"],
                "tests": [
                    {
                        "name": "per-tenant budgets",
                        "interval": "1m",
                        "input_series": [
                            {"series": 'llm_cost_dollars_total{model="gpt-4o", tenant_id="acme"}', "values": "0+4x50"},
                            {
                                "series": 'llm_cost_dollars_total{model="gpt-4o", tenant_id="globex"}',
                                "values": "0+3x50",
                            },
                        ],
                        "alert_rule_test": [
                            {
                                "eval_time": "50m",
                                "alertname": alert.name,
                                "exp_alerts": [{"exp_labels": labels, "exp_annotations": notes}],
                            }
                        ],
                        # the shared query (Grafana's A): every tenant's utilisation of its own budget; the
                        # comparison keeps only globex
                        "promql_expr_test": [
                            {
                                "expr": alert.expr,
                                "eval_time": "50m",
                                "exp_samples": [
                                    {
                                        "labels": UTILISATION + '{budget_usd="250.00", tenant_id="acme"}',
                                        "value": 0.768,
                                    },
                                    {
                                        "labels": UTILISATION + '{budget_usd="100.00", tenant_id="globex"}',
                                        "value": 1.44,
                                    },
                                ],
                            },
                            {
                                "expr": alert.prometheus_expr,
                                "eval_time": "50m",
                                "exp_samples": [
                                    {
                                        "labels": UTILISATION + '{budget_usd="100.00", tenant_id="globex"}',
                                        "value": 1.44,
                                    }
                                ],
                            },
                        ],
                    }
                ],
            },
            sort_keys=False,
        )
    )
    return path


@pytest.fixture(scope="module")
def promtool_tests(promtool, projects) -> dict[str, tuple[Path, str]]:
    """Every promtool test file, run in one promtool invocation: name -> (file, promtool's report for it)."""
    files = {
        f"{name}/{f.name}": f
        for name, (_, root) in projects.items()
        if name != "budget"
        for f in sorted((root / "prometheus" / "tests").glob("*.yaml"))
    }
    shipped_root, budget_b, budget_root = projects["shipped"][1], *projects["budget"]
    files["recording values"] = _recording_tests(shipped_root)
    files["budget story"] = _budget_story(budget_b, budget_root)
    result = _run(promtool, "test", "rules", *files.values())
    report = result.stdout
    sections = {chunk.split("\n", 1)[0].strip(): chunk for chunk in report.split("Unit Testing:")[1:]}
    return {name: (path, sections.get(str(path), report)) for name, path in files.items()}


def _names(projects, name: str) -> list[str]:
    return sorted(f"{name}/{f.name}" for f in (projects[name][1] / "prometheus" / "tests").glob("*.yaml"))


@pytest.mark.parametrize("config", ["shipped", "changed"])
def test_generated_alert_tests_pass(promtool_tests, projects, config) -> None:
    names = _names(projects, config)
    rule_names = {f.name for f in _rule_files(projects[config][1])}
    assert names and all(Path(n).name in rule_names for n in names)  # one test file per alerting group
    for name in names:
        path, report = promtool_tests[name]
        assert "SUCCESS" in report and "FAILED" not in report, f"{path}:\n{report}"


def test_recording_rules_produce_the_expected_values(promtool_tests) -> None:
    path, report = promtool_tests["recording values"]
    assert "SUCCESS" in report and "FAILED" not in report, f"{path}:\n{report}"


def test_each_tenant_is_judged_by_its_own_budget(promtool_tests) -> None:
    path, report = promtool_tests["budget story"]
    assert "SUCCESS" in report and "FAILED" not in report, f"{path}:\n{report}"
