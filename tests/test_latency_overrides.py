"""Per-agent and per-model latency limits (`p99_alert_overrides`), the budgets' mechanism for latency: each
subject judged by its own limit, the limit visible (1 = 100 % of it) and carried as `limit_seconds`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
OVERRIDES = {
    "thresholds": {
        "latency_seconds": {
            "agent": {"p99_alert_overrides": {"code-agent": 30}},  # a slower agent: a higher limit
            "llm": {"p99_alert_overrides": {"claude-3-5-sonnet": 5}},  # a stricter one
        }
    }
}


@pytest.fixture(scope="module")
def overridden():
    return build(config_mod.from_mapping(OVERRIDES), ROOT)


def test_each_subject_is_judged_by_its_own_limit(overridden) -> None:
    agent = next(a for a in overridden.alerts if a.name == "AgentHighLatency")
    assert agent.threshold == 1 and agent.op == ">" and agent.unit == "percentunit"
    assert 'agent_name!~"code\\\\-agent"} / 10, "limit_seconds", "10"' in agent.expr
    assert 'agent_name="code-agent"} / 30, "limit_seconds", "30"' in agent.expr
    assert "{{ $labels.limit_seconds }} s" in agent.summary and "code-agent 30 s" in agent.description
    assert agent.panel_title == "Agent P99 against its limit"
    llm = next(a for a in overridden.alerts if a.name == "LLMHighInferenceLatency")
    assert 'model="claude-3-5-sonnet"} / 5' in llm.expr and "/ 8," in llm.expr
    # the tools keep the plain form: no overrides there
    tool = next(a for a in overridden.alerts if a.name == "ToolHighExecutionLatency")
    assert tool.unit == "s" and tool.expr == "tool_name:tool_execution_duration_seconds:p99_rate5m"


def test_the_dashboard_shows_each_subject_against_its_limit(overridden) -> None:
    perf = next(d for d in overridden.dashboards if d.uid == "agent-performance")
    titles = {p["title"]: p for p in panels_of(perf.model)}
    panel = titles["Agent P99 against its limit"]
    assert panel["fieldConfig"]["defaults"]["unit"] == "percentunit"
    assert 'agent_name=~"$agent"' in panel["targets"][0]["expr"]  # the panel follows the variable
    assert "LLM inference P99 against its limit" in titles and "Tool execution P99 against its limit" not in titles
    plain = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    perf = next(d for d in plain.dashboards if d.uid == "agent-performance")
    assert not [p for p in panels_of(perf.model) if "against its limit" in p["title"]]


@pytest.mark.promtool
def test_promtool_proves_the_override_cases(promtool, overridden, tmp_path) -> None:
    for rel, body in overridden.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(body)
    tests = tmp_path / "prometheus" / "tests"
    agents, llm = (tests / "agent-alerts.yaml").read_text(), (tests / "llm-alerts.yaml").read_text()
    assert "code-agent at P99 20 s, judged by its own 30 s limit, is silent" in agents
    assert "claude-3-5-sonnet at P99 6.5 s, judged by its own 5 s limit, fires" in llm
    ran = subprocess.run(
        [promtool, "test", "rules", str(tests / "agent-alerts.yaml"), str(tests / "llm-alerts.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-1000:]


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"code-agent": 90}, "p99_alert_overrides.code-agent: 90 is at or above the highest bucket"),
        ({"code-agent": -1}, "p99_alert_overrides.code-agent"),
        ({'bad"name': 3}, "names must be 1-100 printable characters"),
    ],
)
def test_a_bad_override_is_a_clear_error(overrides, message) -> None:
    data = {"thresholds": {"latency_seconds": {"agent": {"p99_alert_overrides": overrides}}}}
    with pytest.raises(config_mod.ConfigError, match=message):
        build(config_mod.from_mapping(data), ROOT)
