"""A build on the `litellm` source: the LiteLLM proxy's names alone fill the overview, performance and cost
dashboards and the gateway dashboard, proven on a real Prometheus with data that prometheus_client wrote
under LiteLLM's metric names and label lists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from test_selection import Truth, last_evaluation

from agentgrafana import config as config_mod
from agentgrafana import promql
from agentgrafana.catalog import COUNTER, HISTOGRAM, LITELLM_LATENCY
from agentgrafana.live import check as live
from agentgrafana.live.litellm import registered_name
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import simulate
from agentgrafana.model import Build, panels_of
from agentgrafana.pipeline import build
from agentgrafana.sources.litellm import GATEWAY, LITELLM_FAMILIES, LITELLM_PROXY

ROOT = Path(__file__).resolve().parents[1]
SEED_SERIES = re.compile(
    r"(?<![\w:])(agent_request_duration_seconds_(bucket|count|sum)|agent_errors_total|llm_tokens_total|"
    r"llm_cost_dollars_total|llm_inference_duration_seconds_(bucket|count|sum)|llm_rate_limit_errors_total|"
    r"agent_timeout_total)(?![\w:])"
)


@pytest.fixture(scope="module")
def litellm_config() -> config_mod.Config:
    return config_mod.from_mapping({"metrics": {"sources": ["litellm"]}})


@pytest.fixture(scope="module")
def litellm_build(litellm_config) -> Build:
    return build(litellm_config, ROOT)


@pytest.fixture(scope="module")
def litellm_dataset(litellm_build, litellm_config):
    """The whole incident schedule, replayed through prometheus_client (about 10 s)."""
    return simulate(
        litellm_config,
        live.default_end(),
        alerts=litellm_build.alerts,
        catalog=litellm_build.dialect.concepts,
        dialect=litellm_build.dialect,
    )


def _exprs(b: Build) -> list[str]:
    exprs = [str(t.get("expr", "")) for d in b.dashboards for p in panels_of(d.model) for t in p.get("targets") or []]
    return [e for e in exprs + [r.expr for r in b.recording_rules] + [a.expr for a in b.alerts] if e]


def test_the_proxy_alone_fills_overview_performance_cost_and_the_gateway(litellm_build) -> None:
    uids = {d.uid for d in litellm_build.dashboards}
    assert {"agent-overview", "agent-performance", "agent-cost", "agent-gateway"} <= uids
    assert "agent-inference" not in uids and "agent-gpu" not in uids  # no vLLM, no DCGM
    left = {x.name for x in litellm_build.left_out}
    # what a gateway cannot know: tools, sessions, vector search
    assert "agent-overview / Active sessions" in left and "agent-performance / Tool error rate by tool" in left
    assert "agent-overview / Success rate" not in left and "agent-cost / Cost per request" not in left
    alerts = {a.name for a in litellm_build.alerts}
    assert {"AgentHighErrorRate", "LLMRateLimitErrors", "TenantDailyCostBudgetExceeded"} <= alerts


def test_queries_read_only_litellm_names_and_validate(litellm_build) -> None:
    for expr in _exprs(litellm_build):
        assert not SEED_SERIES.search(expr), expr
        analysis = promql.analyze(promql.expand_variables(expr), litellm_build.dialect.catalog)
        unknown = [p for p in analysis.problems if "unknown metric" in p]
        assert not unknown or "recording rule" in " ".join(unknown), (expr, unknown)


def test_tokens_read_both_counters_and_a_token_type_matcher_picks_one(litellm_build) -> None:
    cost = next(d for d in litellm_build.dashboards if d.uid == "agent-cost")
    by_title = {p["title"]: p["targets"][0]["expr"] for p in panels_of(cost.model) if p.get("targets")}
    inputs = next(e for t, e in by_title.items() if t.startswith("Input tokens"))
    assert re.search(r':llm_tokens:rate5m\{[^}]*token_type="input"', inputs), inputs  # the matcher picks one part
    # the panel reads the rule that sums both counters over pods, each part given its token_type
    (record,) = set(re.findall(r"[\w]+:llm_tokens:rate5m", by_title["Tokens per request"]))
    assert "token_type" in record.split(":")[0]
    rule = next(r for g in litellm_build.rule_groups for r in g.recording if r.record == record)
    assert "litellm_input_tokens_metric_total" in rule.expr and "litellm_output_tokens_metric_total" in rule.expr
    assert (
        "label_replace(rate(litellm_output_tokens_metric_total[5m])" in rule.expr
        and '"token_type", "output"' in rule.expr
    )


def test_prometheus_client_exposes_exactly_the_catalog_names() -> None:
    """LiteLLM registers prometheus_client metrics under names without `_total`: what the library then exposes
    (suffixes, labels, bucket bounds) is what the catalog and the source assume."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    kinds = {COUNTER: Counter, HISTOGRAM: Histogram}
    for metric in (*LITELLM_FAMILIES, *GATEWAY):
        registry = CollectorRegistry()
        kind = kinds.get(metric.type, Gauge)
        extra = {"buckets": metric.buckets} if metric.type == HISTOGRAM else {}
        child = kind(registered_name(metric), metric.help, list(metric.labels), registry=registry, **extra)
        labelled = child.labels(**{label: "x" for label in metric.labels})
        labelled.observe(1.0) if metric.type == HISTOGRAM else (labelled.inc() if metric.type == COUNTER else None)
        text = generate_latest(registry).decode()
        samples = {s.name: s for f in text_string_to_metric_families(text) for s in f.samples}
        for series in metric.series_names():
            assert series in samples, f"prometheus_client exposes no {series}: {sorted(samples)}"
            assert set(samples[series].labels) - {"le"} == set(metric.labels), series
        if metric.type == HISTOGRAM:
            les = {
                float(s.labels["le"])
                for f in text_string_to_metric_families(text)
                for s in f.samples
                if "le" in s.labels
            }
            assert les == {*LITELLM_LATENCY, float("inf")}, metric.name
    assert {m.name for m in LITELLM_PROXY.metrics} == {m.name for m in (*LITELLM_FAMILIES, *GATEWAY)}


@pytest.mark.promtool
def test_promtool_proves_the_litellm_rules_and_alerts(promtool, litellm_build, tmp_path) -> None:
    for rel, body in litellm_build.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(body)
    rules = sorted((tmp_path / "prometheus" / "rules").glob("*.yaml"))
    tests = sorted((tmp_path / "prometheus" / "tests").glob("*.yaml"))
    agent_tests = (tmp_path / "prometheus" / "tests" / "agent-alerts.yaml").read_text()
    assert "litellm_proxy_failed_requests_metric_total{" in agent_tests
    assert "litellm_proxy_total_requests_metric_total{" in agent_tests
    checked = subprocess.run([promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]


@pytest.mark.live
def test_litellm_build_is_proven_live_with_right_numbers(litellm_build, litellm_dataset, prometheus_binary, promtool):
    """Every panel, variable, rule and alert live on prometheus_client's data; and the numbers are right: a
    request count that missed the failures (the latency histogram's) would show a too-high success rate."""
    b, d = litellm_build, litellm_dataset
    text = d.text.decode()
    assert "litellm_proxy_total_requests_metric_total{" in text and "litellm_spend_metric_total{" in text
    assert "agent_request_duration_seconds" not in text and "_created{" not in text
    truth = Truth(text)
    with live_prometheus(d, live.rule_files(b), prometheus_binary, promtool) as server:
        report = live.check(b, server)
        assert report.targets and not report.dead_targets, report.text()
        assert not report.dead_rules and not report.dead_variables, report.text()
        assert len(report.alerts) == len(b.alerts) and not report.failed_alerts, report.text()

        # in the error-rate incident a fifth of the subject's requests fail: counting only the successful ones
        # (the latency histogram's count) would be 25 % off
        start, at = d.window("AgentHighErrorRate")
        at -= at % d.step  # when the dashboard is read; its figures describe the data up to the last evaluation
        end = last_evaluation(server.prometheus, at)
        # an hour ending with the incident: the range figures sum the recorded 5-minute rates (an edge term
        # makes that exact for traffic steady within 5 minutes)
        start, window = end - 3600, "1h"
        failures = {
            labels: truth.increase("litellm_proxy_failed_requests_metric_total", start, end, **dict(labels))
            for (name, labels) in truth.points
            if name == "litellm_proxy_failed_requests_metric_total"
        }
        worst = dict(max(failures, key=lambda k: failures[k]))
        agent, tenant = worst["api_key_alias"], worst["team_alias"]
        key = {"api_key_alias": agent, "team_alias": tenant}
        model = next(
            dict(labels)["requested_model"]
            for name, labels in truth.points
            if name == "litellm_proxy_total_requests_metric_total" and key.items() <= dict(labels).items()
        )
        selected = {"agent": agent, "model": model, "tenant": tenant}

        def shown(uid: str, title: str) -> float:
            panel = next(p for x in b.dashboards if x.uid == uid for p in panels_of(x.model) if p["title"] == title)
            expr = panel["targets"][0]["expr"].replace("$__range", window).replace("$__rate_interval", window)
            result = server.prometheus.query(promql.expand_variables(expr, selected), at)["result"]
            assert len(result) == 1, (title, result)
            return float(result[0]["value"][1])

        requests = truth.increase("litellm_proxy_total_requests_metric_total", start, end, **key)
        failed = truth.increase("litellm_proxy_failed_requests_metric_total", start, end, **key)
        successes = truth.increase("litellm_request_total_latency_metric_count", start, end, **key)
        assert requests > 100 and failed > 0.1 * requests and successes == pytest.approx(requests - failed, abs=1)
        assert 1 - shown("agent-overview", "Success rate") == pytest.approx(failed / requests, rel=0.02)
        one_model = truth.increase(
            "litellm_proxy_total_requests_metric_total", start, end, requested_model=model, **key
        )
        assert one_model > 0
        assert shown("agent-overview", "Total requests") == pytest.approx(one_model, rel=0.02)
        latency = {**key, "model": model}
        mean = truth.increase("litellm_request_total_latency_metric_sum", start, end, **latency) / truth.increase(
            "litellm_request_total_latency_metric_count", start, end, **latency
        )
        assert shown("agent-overview", "Average latency") == pytest.approx(mean, rel=0.01)
        # a rate panel reads the recorded 5-minute rates: the last 5 minutes' spend per request
        spend = truth.increase("litellm_spend_metric_total", end - 300, end, model=model, team_alias=tenant)
        tenant_requests = truth.increase(
            "litellm_proxy_total_requests_metric_total", end - 300, end, requested_model=model, team_alias=tenant
        )
        assert shown("agent-cost", "Cost per request") == pytest.approx(spend / tenant_requests, rel=0.01)
