"""Numbers under one selected agent, model and tenant, on a real Prometheus, against the simulated data itself.

The expected figures are computed from the OpenMetrics text the simulator wrote (the counters' values at the
window's ends), not from PromQL, so a query that mixes filter scopes or windows shows up as a wrong number.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana import promql
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import simulate
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]
# initech runs two agents on gpt-4o (research and code): a per-request figure filtered by agent on one side only
# would divide both agents' spend by one agent's requests
AGENT, MODEL, TENANT = "research-agent", "gpt-4o", "initech"
SELECTED = {"agent": AGENT, "model": MODEL, "tenant": TENANT}
LINE = re.compile(r"^([a-zA-Z_:][\w:]*)\{(.*)\} (\S+) (\d+)$")


class Truth:
    """Counter values by series and timestamp, read back from the simulator's text."""

    def __init__(self, text: str) -> None:
        self.points: dict[tuple[str, tuple[tuple[str, str], ...]], dict[int, float]] = defaultdict(dict)
        for line in text.splitlines():
            m = LINE.match(line)
            if m:
                labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2))))
                self.points[(m.group(1), labels)][int(m.group(4))] = float(m.group(3))

    def increase(self, name: str, start: int, end: int, **match: str) -> float:
        """The sum over matching series of (value at end - value at start), both the last sample at or before."""
        total = 0.0
        for (series, labels), points in self.points.items():
            have = dict(labels)
            if series != name or any(have.get(k) != v for k, v in match.items()):
                continue
            at = sorted(points)

            def value(t: int, at: list[int] = at, points: dict[int, float] = points) -> float:
                before = [ts for ts in at if ts <= t]
                return points[before[-1]] if before else 0.0

            total += value(end) - value(start)
        return total


@pytest.fixture(scope="module")
def selected(prometheus_binary, promtool):
    config = config_mod.load(ROOT / "monitoring.yaml")
    b = build(config, ROOT)
    d = simulate(config, live.default_end(), alerts=b.alerts, dialect=b.dialect)
    with live_prometheus(d, live.rule_files(b), prometheus_binary, promtool) as server:
        yield b, d, Truth(d.text.decode()), server.prometheus


def _panel(b, uid: str, title: str) -> dict:
    return next(p for d in b.dashboards if d.uid == uid for p in panels_of(d.model) if p.get("title") == title)


def last_evaluation(prom, at: int) -> int:
    """When the agent-recording group last ran at or before `at`: what a panel reading its rules describes.

    Prometheus offsets each group's evaluations within the interval by a hash of its name and file, so a
    recorded figure at `at` covers the data up to one interval (1 m) before it."""
    query = "max(timestamp(agent_name_model_tenant_id:agent_request_duration_seconds_count:rate5m))"
    return int(float(prom.query(query, at)["result"][0]["value"][1]))


def _value(prom, panel: dict, at: int, window: str) -> float:
    expr = panel["targets"][0]["expr"].replace("$__range", window).replace("$__rate_interval", window)
    result = prom.query(promql.expand_variables(expr, SELECTED), at)["result"]
    assert len(result) == 1, (panel["title"], result)
    return float(result[0]["value"][1])


def test_the_right_now_stats_share_one_window(selected) -> None:
    b, _, _, _ = selected
    for title in ("Total requests", "Success rate", "Average latency", "P99 latency"):
        target = _panel(b, "agent-overview", title)["targets"][0]
        assert target.get("instant") is True and "[$__range]" in target["expr"], title
        assert "$__rate_interval" not in target["expr"], title


def test_numbers_under_one_agent_model_and_tenant_match_the_simulated_data(selected) -> None:
    b, d, truth, prom = selected
    start, at = d.window("normal")
    at -= at % d.step  # when the dashboard is read; its figures describe the data up to the last evaluation
    end = last_evaluation(prom, at)
    start = end - 3000  # 50 minutes of normal traffic
    window = "50m"
    requests = truth.increase(
        "agent_request_duration_seconds_count", start, end, agent_name=AGENT, model=MODEL, tenant_id=TENANT
    )
    assert requests > 100
    # Total requests: this agent, this model, this tenant
    shown = _value(prom, _panel(b, "agent-overview", "Total requests"), at, window)
    assert shown == pytest.approx(requests, rel=0.01)
    # Success rate: errors carry no model, so both sides follow agent and tenant only (the panel says so)
    errors = truth.increase("agent_errors_total", start, end, agent_name=AGENT, tenant_id=TENANT)
    all_models = truth.increase("agent_request_duration_seconds_count", start, end, agent_name=AGENT, tenant_id=TENANT)
    success = _panel(b, "agent-overview", "Success rate")
    assert "Not filtered by $model" in success["description"]
    assert _value(prom, success, at, window) == pytest.approx(1 - errors / all_models, rel=0.01)
    # Error rate by agent: the recorded 5-minute rates, so the last 5 minutes
    recent = end - 300
    errors_5m = truth.increase("agent_errors_total", recent, end, agent_name=AGENT, tenant_id=TENANT)
    all_5m = truth.increase("agent_request_duration_seconds_count", recent, end, agent_name=AGENT, tenant_id=TENANT)
    error_rate = _value(prom, _panel(b, "agent-overview", "Error rate by agent"), at, window)
    assert error_rate == pytest.approx(errors_5m / all_5m, rel=0.01)
    # Cost and tokens per request: spend and tokens carry no agent, so both sides follow tenant and model only
    tenant_model = truth.increase("agent_request_duration_seconds_count", start, end, model=MODEL, tenant_id=TENANT)
    cost = truth.increase("llm_cost_dollars_total", start, end, model=MODEL, tenant_id=TENANT)
    tokens = truth.increase("llm_tokens_total", start, end, model=MODEL, tenant_id=TENANT)
    assert cost > 0 and tokens > 0
    one_agent = truth.increase(
        "agent_request_duration_seconds_count", start, end, agent_name=AGENT, model=MODEL, tenant_id=TENANT
    )
    assert cost / one_agent > 1.1 * cost / tenant_model  # the one-sided filter would be visibly wrong here
    # per request (rate panels): over the last 5 minutes
    tenant_model_5m = truth.increase("agent_request_duration_seconds_count", recent, end, model=MODEL, tenant_id=TENANT)
    cost_5m = truth.increase("llm_cost_dollars_total", recent, end, model=MODEL, tenant_id=TENANT)
    tokens_5m = truth.increase("llm_tokens_total", recent, end, model=MODEL, tenant_id=TENANT)
    cost_panel = _panel(b, "agent-cost", "Cost per request")
    assert _value(prom, cost_panel, at, window) == pytest.approx(cost_5m / tenant_model_5m, rel=0.01)
    tokens_panel = _panel(b, "agent-cost", "Tokens per request")
    assert _value(prom, tokens_panel, at, window) == pytest.approx(tokens_5m / tenant_model_5m, rel=0.01)
