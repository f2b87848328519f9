"""SLO burn-rate alerts on promtool, told as the on-call engineer would: a trickle never pages, a fast burn
pages within minutes, a 20x burn within the hour, a 2x burn never, and the page stops soon after the burn."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from agentgrafana.alerting.slo import BURN_WINDOWS
from agentgrafana.config import ConfigError, from_mapping, load
from agentgrafana.model import Build
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 'agent_request_duration_seconds_count{agent_name="checkout-agent", model="gpt-4o", tenant_id="acme"}'
ERRORS = 'agent_errors_total{agent_name="checkout-agent", error_type="llm_error", tenant_id="acme"}'
PAGE = "AgentAvailabilityBudgetBurn1h"


def counter(*stretches: tuple[int, float]) -> str:
    """A counter in promtool's expanding notation from (minutes, increase per minute) stretches, from 0."""
    parts, value = ["0"], 0.0
    for minutes, per_minute in stretches:
        parts.append(
            f"{value + per_minute:g}+{per_minute:g}x{minutes - 1}" if per_minute else f"{value:g}x{minutes - 1}"
        )
        value += per_minute * minutes
    return " ".join(parts)


def critical(b: Build) -> list[str]:
    return [a.name for a in b.alerts if a.severity == "critical"]


def condition(b: Build, name: str) -> str:
    alert = next(a for a in b.alerts if a.name == name)
    return f"count({alert.prometheus_expr})"


def run(promtool: str, b: Build, tmp: Path, tests: list[dict]) -> str:
    for rel, body in b.files.items():
        path = tmp / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    rules = sorted((tmp / "prometheus" / "rules").glob("*.yaml")) + sorted(
        (tmp / "prometheus" / "tests" / "rules").glob("*.yaml")
    )
    groups = [g for g in b.rule_groups if g.recording] + [g for g in b.rule_groups if not g.recording]
    doc = {
        "rule_files": [str(p) for p in rules],
        "evaluation_interval": "1m",
        "group_eval_order": [g.name for g in groups],
        "tests": tests,
    }
    path = tmp / "slo-story.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    done = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def expr_test(expr: str, minute: int, fires: bool) -> dict:
    return {"expr": expr, "eval_time": f"{minute}m", "exp_samples": [{"labels": "{}", "value": 1}] if fires else []}


@pytest.fixture(scope="module")
def shipped() -> Build:
    return build(load(ROOT / "monitoring.yaml"), ROOT)


@pytest.mark.promtool
def test_burn_rate_story(promtool, shipped, tmp_path) -> None:
    page = condition(shipped, PAGE)
    slow_page = condition(shipped, "AgentAvailabilityBudgetBurn6h")
    silent = [
        {"eval_time": f"{m}m", "alertname": name, "exp_alerts": []} for name in critical(shipped) for m in (5, 9, 15)
    ]
    tests = [
        {
            "name": "one failed request out of five in 5 minutes fires no critical alert",
            "interval": "1m",
            "input_series": [
                {"series": REQUESTS, "values": counter((10, 0), (5, 1), (5, 0))},
                {"series": ERRORS, "values": counter((14, 0), (1, 1), (5, 0))},
            ],
            "alert_rule_test": silent,
        },
        {
            # The 1 h window sums recorded 5-minute rates, which ramp up over the burn's first 5 minutes: it
            # passes 14.4 at minute 11 (raw counters: 9), the price of reading 5 m of raw samples, not 1 h.
            "name": "after an hour of clean traffic, a 100x burn pages within 11 minutes and stops 10 minutes after it",
            "interval": "1m",
            "input_series": [
                {"series": REQUESTS, "values": counter((100, 600))},
                {"series": ERRORS, "values": counter((60, 0), (20, 600), (20, 0))},
            ],
            "promql_expr_test": [
                expr_test(page, 60, False),
                expr_test(page, 70, False),
                expr_test(page, 71, True),
                expr_test(page, 80, True),
                expr_test(page, 90, False),
            ],
        },
        {
            "name": "a 20x burn pages as the 1 h window fills (about 45 minutes), not before 40",
            "interval": "1m",
            "input_series": [
                {"series": REQUESTS, "values": counter((130, 600))},
                {"series": ERRORS, "values": counter((60, 0), (70, 120))},
            ],
            "promql_expr_test": [expr_test(page, 100, False), expr_test(page, 106, True)],
        },
        {
            "name": "a 2x burn for 6 hours never pages",
            "interval": "1m",
            "input_series": [
                {"series": REQUESTS, "values": counter((420, 600))},
                {"series": ERRORS, "values": counter((60, 0), (360, 12))},
            ],
            "promql_expr_test": [expr_test(e, m, False) for e in (page, slow_page) for m in (70, 120, 240, 419)],
        },
    ]
    run(promtool, shipped, tmp_path, tests)


def test_every_slo_has_the_workbook_windows_and_names_its_slo(shipped) -> None:
    for slo_name, title in (("agent-availability", "Availability"), ("agent-latency", "Latency")):
        alerts = {a.name: a for a in shipped.alerts if dict(a.labels).get("slo") == slo_name}
        assert set(alerts) == {f"Agent{title}BudgetBurn{w.long}" for w in BURN_WINDOWS}
        for w in BURN_WINDOWS:
            a = alerts[f"Agent{title}BudgetBurn{w.long}"]
            assert a.threshold == w.factor and a.severity == w.severity and a.unit == "short"
            assert f"ratio_rate{w.long}" in a.expr and f"ratio_rate{w.short}" in a.expr
    assert next(a for a in shipped.alerts if a.name == "AgentHighErrorRate").severity == "warning"


def test_per_agent_objectives_become_error_budget_series() -> None:
    config = from_mapping({"slos": {"availability": {"objective": 0.99, "agents": {"research-agent": 0.999}}}})
    b = build(config, ROOT)
    (budget,) = [
        r
        for g in b.rule_groups
        for r in g.recording
        if r.record == "slo:error_budget:ratio" and ("slo", "agent-availability") in r.labels
    ]
    # read off the agent's own series (so it keeps their labels, a cluster's too), budget exactly 1 - 0.999
    assert (
        'slo:sli_error:ratio_rate3d{slo="agent-availability", agent_name="research-agent"} * 0 + 0.001' in budget.expr
    )
    assert "* 0 + 0.01" in budget.expr  # everyone else: the default budget, exactly 1 - 0.99


def test_a_latency_target_that_is_not_a_bucket_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"slos.latency.threshold_seconds: 4 is not a bucket boundary"):
        build(from_mapping({"slos": {"latency": {"threshold_seconds": 4}}}), ROOT)


def test_the_gates_keep_the_comparison_in_the_threshold(shipped) -> None:
    """The long window's burn is the value; the short window and the volume are 0/1 factors."""
    alert = next(a for a in shipped.alerts if a.name == PAGE)
    assert "> bool 14.4" in alert.expr and ">= bool 20" in alert.expr
    assert alert.prometheus_expr.endswith(") > 14.4")
