"""Metric sources: the build rendered for OpenTelemetry GenAI names, proven by promtool, by the OpenTelemetry
SDK's own exposition, and live on a real Prometheus holding data the SDK produced."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana import promql
from agentgrafana.cli import main
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import simulate
from agentgrafana.model import Build, panels_of
from agentgrafana.pipeline import build
from agentgrafana.sources.builtin import OTEL_GENAI

ROOT = Path(__file__).resolve().parents[1]
OTEL = {
    "metrics": {"sources": ["otel-genai", "vllm", "dcgm-exporter"]},
    # the simulated platform's models, all priced (llama as a hosted provider sells it)
    "pricing": {
        "gpt-4o": {"input": 0.0025, "output": 0.01},
        "claude-3-5-sonnet": {"input": 0.003, "output": 0.015},
        "llama-3-70b": {"input": 0.0009, "output": 0.0009},
    },
}
# Seed names no otel-genai query may read (recording-rule names that contain them are fine).
SEED_SERIES = re.compile(
    r"(?<![\w:])(agent_request_duration_seconds_(bucket|count|sum)|agent_errors_total|llm_tokens_total|"
    r"llm_cost_dollars_total|llm_inference_duration_seconds_(bucket|count|sum)|tool_execution_errors_total|"
    r"tool_execution_duration_seconds_(bucket|count|sum)|llm_rate_limit_errors_total|agent_timeout_total)(?![\w:])"
)


@pytest.fixture(scope="module")
def otel_config() -> config_mod.Config:
    return config_mod.from_mapping(OTEL)


@pytest.fixture(scope="module")
def otel_build(otel_config) -> Build:
    return build(otel_config, ROOT)


@pytest.fixture(scope="module")
def otel_dataset(otel_build, otel_config):
    """The whole incident schedule, replayed through the OpenTelemetry SDK (about 20 s)."""
    return simulate(
        otel_config,
        live.default_end(),
        alerts=otel_build.alerts,
        catalog=otel_build.dialect.concepts,
        dialect=otel_build.dialect,
    )


def _queries(b: Build) -> list[str]:
    exprs = [str(t.get("expr", "")) for d in b.dashboards for p in panels_of(d.model) for t in p.get("targets") or []]
    exprs += [r.expr for r in b.recording_rules] + [a.expr for a in b.alerts]
    return [e for e in exprs if e]


def test_otel_build_has_the_core_dashboards_and_alerts(otel_build) -> None:
    uids = {d.uid for d in otel_build.dashboards}
    assert {"agent-overview", "agent-performance", "agent-cost", "agent-traces", "agent-inference"} <= uids
    names = {a.name for a in otel_build.alerts}
    for wanted in (
        "AgentHighLatency",
        "LLMHighInferenceLatency",
        "AgentHighErrorRate",
        "LLMRateLimitErrors",
        "TenantDailyCostBudgetExceeded",
        "LLMModelUnpriced",
        "InferenceQueueGrowing",
        "InferenceKVCachePreemptions",
        "InferenceSlowFirstToken",
    ):
        assert wanted in names, sorted(names)


def test_otel_queries_read_only_otel_names(otel_build) -> None:
    queries = _queries(otel_build)
    assert not [q for q in queries if SEED_SERIES.search(q)], "a query still reads a seed series"
    text = "\n".join(queries)
    for series in (
        "gen_ai_invoke_agent_duration_seconds_bucket",
        "gen_ai_client_operation_duration_seconds_count",
        "gen_ai_client_token_usage_sum",
        "gen_ai_execute_tool_duration_seconds_count",
    ):
        assert series in text
    assert 'error_type!=""' in text and 'error_type=~"429|' in text


def test_what_otel_cannot_fill_is_left_out_with_the_reason(otel_build) -> None:
    left = {(i.kind, i.name): i.reason for i in otel_build.left_out}
    assert "agent_active_sessions" in left[("panel", "agent-overview / Active sessions")]
    assert "otel-genai" in left[("panel", "agent-overview / Active sessions")]
    assert ("alert", "VectorSearchHighLatency") in left
    assert "slos.latency.threshold_seconds" in left[("SLO", "agent-latency")]
    built = {p.get("title") for d in otel_build.dashboards for p in panels_of(d.model)}
    assert "Active sessions" not in built and "Vector search latency P95 / P99" not in built


def test_generate_prints_each_left_out_item_and_json_lists_them(tmp_path) -> None:
    cfg = tmp_path / "monitoring.yaml"
    cfg.write_text(json.dumps(OTEL))
    import io

    out, err = io.StringIO(), io.StringIO()
    code = main(["generate", "--root", str(ROOT), "--config", str(cfg), "--out", str(tmp_path / "g")], out, err)
    assert code == 0, err.getvalue()
    assert "left out panel agent-overview / Active sessions: needs agent_active_sessions" in err.getvalue()
    out = io.StringIO()
    code = main(
        ["generate", "--root", str(ROOT), "--config", str(cfg), "--out", str(tmp_path / "j"), "--format", "json"],
        out,
        io.StringIO(),
    )
    left = json.loads(out.getvalue())["left_out"]
    assert {"kind": "alert", "name": "VectorSearchHighLatency"}.items() <= next(
        i for i in left if i["name"] == "VectorSearchHighLatency"
    ).items()


def test_default_build_has_no_pricing_rules_and_leaves_out_only_the_gateway_dashboard() -> None:
    """The default sources fill everything but the LiteLLM gateway's dashboard, left out in one line."""
    b = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    assert [(x.kind, x.name) for x in b.left_out] == [("dashboard", "agent-gateway")]
    assert "litellm_deployment_state" in b.left_out[0].reason
    assert not [r for r in b.recording_rules if r.record.endswith(":pricing")]
    assert "LLMModelUnpriced" not in {a.name for a in b.alerts}


def test_pricing_becomes_one_rule_per_model_and_token_type(otel_build, otel_config) -> None:
    prices = {
        (dict(r.labels)["model"], dict(r.labels)["token_type"]): r.expr
        for r in otel_build.recording_rules
        if r.record == "model_token_type:llm_price_dollars_per_token:pricing"
    }
    assert len(prices) == 2 * len(otel_config.pricing)
    assert prices[("gpt-4o", "input")] == "vector(0.0000025)"  # $0.0025 per 1K tokens
    assert prices[("claude-3-5-sonnet", "output")] == "vector(0.000015)"


@pytest.mark.promtool
def test_promtool_proves_the_otel_rules_and_alerts(promtool, otel_build, tmp_path) -> None:
    """Every generated alert test (inputs in otel names) passes, the unpriced-model alert's among them."""
    for rel, body in otel_build.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(body)
    rules = sorted((tmp_path / "prometheus" / "rules").glob("*.yaml"))
    tests = sorted((tmp_path / "prometheus" / "tests").glob("*.yaml"))
    cost = (tmp_path / "prometheus" / "tests" / "cost-alerts.yaml").read_text()
    assert "LLMModelUnpriced fires" in cost and "gen_ai_client_token_usage_sum{" in cost
    checked = subprocess.run([promtool, "check", "rules", *map(str, rules)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    ran = subprocess.run([promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]


@pytest.mark.slow
def test_the_sdk_exposition_has_exactly_the_names_the_source_assumes(otel_build, otel_dataset) -> None:
    """Replayed through the OpenTelemetry SDK, every family, suffix, label and bucket bound builtin.py assumes
    is in the exporter's output: a wrong assumption (a unit suffix, an attribute name) fails here."""
    text = otel_dataset.text.decode()
    seen: dict[str, set[str]] = {}
    les: dict[str, set[str]] = {}
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)\{(.*)\} ", line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
            seen.setdefault(m.group(1), set()).update(labels)
            if "le" in labels:
                les.setdefault(m.group(1), set()).add(labels["le"])
    dialect = otel_build.dialect
    for metric in OTEL_GENAI.metrics:
        for suffix in ("_bucket", "_sum", "_count"):
            assert metric.name + suffix in seen, f"the SDK wrote no {metric.name + suffix}"
        expected = {float(b) for b in dialect.catalog.metric(metric.name).buckets} | {float("inf")}
        assert {float(le) for le in les[metric.name + "_bucket"]} == expected, metric.name
    for concept, mapping in OTEL_GENAI.concepts.items():
        if mapping.priced:
            continue
        resolved = dialect.resolve(concept if concept.endswith("_total") else concept + "_count")
        assert resolved is not None
        family = mapping.family if mapping.part else resolved.series.removesuffix("_count")
        labels = seen[family + "_count"]
        for label in resolved.labels.values():
            assert label in labels, f"{concept}: the SDK writes no label {label} on {family} ({sorted(labels)})"
        for label, _ in re.findall(r"(\w+)\s*(=~|!~|!=|=)", resolved.matchers):
            assert label in labels, f"{concept}: matcher on {label}, which the SDK never writes"
    assert "otel_scope_name" in seen["gen_ai_client_token_usage_sum"]


def test_every_otel_series_is_valid_for_the_build(otel_build) -> None:
    for expr in _queries(otel_build):
        analysis = promql.analyze(promql.expand_variables(expr), otel_build.dialect.catalog)
        unknown = [p for p in analysis.problems if "unknown metric" in p]
        assert not unknown or "recording rule" in " ".join(unknown), (expr, unknown)


@pytest.mark.live
def test_otel_build_is_proven_live_on_data_the_sdk_produced(otel_build, otel_dataset, prometheus_binary, promtool):
    t0 = time.monotonic()
    dataset = otel_dataset
    assert b"gen_ai_invoke_agent_duration_seconds_bucket{" in dataset.text
    assert b"agent_request_duration_seconds_bucket{" not in dataset.text  # only what the SDK wrote
    with live_prometheus(dataset, live.rule_files(otel_build), prometheus_binary, promtool) as server:
        report = live.check(otel_build, server)
    print(f"\n{report.text()}\n({time.monotonic() - t0:.0f} s)")
    assert report.targets and not report.dead_targets, report.text()
    assert not report.dead_rules and not report.dead_variables, report.text()
    assert len(report.alerts) == len(otel_build.alerts) and not report.failed_alerts, report.text()
