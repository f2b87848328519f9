"""The seed dialect checked against prometheus_client: the seed's exporter code (its metric definitions,
copied as written in the seed's metrics_exporter.py), rendered by the real library, has exactly the series,
labels and buckets the catalog and the simulator assume."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agentgrafana.catalog import CATALOG, SEED_EXPORTER
from agentgrafana.config import Config
from agentgrafana.live.check import default_end
from agentgrafana.live.simulator import SimOptions, simulate


def seed_exporter() -> CollectorRegistry:
    """The seed's definitions (names, help, labels, buckets as its code has them), one sample each."""
    r = CollectorRegistry()
    Histogram(
        "agent_request_duration_seconds",
        "Agent request duration in seconds",
        ["agent_name", "model", "tenant_id"],
        buckets=[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0],
        registry=r,
    ).labels("a", "m", "t").observe(1.2)
    Histogram(
        "llm_inference_duration_seconds",
        "LLM inference duration in seconds",
        ["model", "provider"],
        buckets=[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0],
        registry=r,
    ).labels("m", "p").observe(0.7)
    Counter("llm_tokens_total", "Total LLM tokens used", ["model", "token_type", "tenant_id"], registry=r).labels(
        "m", "input", "t"
    ).inc(100)
    Counter("llm_cost_dollars_total", "Total LLM cost in USD", ["model", "tenant_id"], registry=r).labels("m", "t").inc(
        0.5
    )
    Counter("agent_errors_total", "Total agent errors", ["agent_name", "error_type", "tenant_id"], registry=r).labels(
        "a", "timeout", "t"
    ).inc()
    Histogram(
        "tool_execution_duration_seconds",
        "Tool execution duration in seconds",
        ["tool_name", "agent_name"],
        buckets=[0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0],
        registry=r,
    ).labels("x", "a").observe(0.2)
    Gauge("agent_active_sessions", "Number of active agent sessions", ["agent_name", "tenant_id"], registry=r).labels(
        "a", "t"
    ).set(3)
    return r


def exposed(registry: CollectorRegistry) -> dict[str, set[str]]:
    """Series name -> label names, as the library's text exposition has them (without `_created`)."""
    out: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            if not s.name.endswith("_created"):
                out.setdefault(s.name, set()).update(s.labels)
    return out


@pytest.fixture(scope="module")
def exporter() -> dict[str, set[str]]:
    return exposed(seed_exporter())


def test_every_seed_exporter_series_is_in_the_catalog_with_its_labels(exporter) -> None:
    seed_metrics = [m for m in CATALOG if m.source == SEED_EXPORTER]
    assert len(seed_metrics) == 7
    expected = {}
    for m in seed_metrics:
        for name in m.series_names():
            expected[name] = set(CATALOG.series(name).labels) - {"job", "instance"}
    assert exporter == expected


def test_bucket_bounds_match(exporter) -> None:
    text = generate_latest(seed_exporter()).decode()
    for m in (m for m in CATALOG if m.source == SEED_EXPORTER and m.buckets):
        les = set(re.findall(rf'^{m.name}_bucket{{.*le="([^"]+)"', text, re.M))
        assert {float(x) for x in les} == {*map(float, m.buckets), float("inf")}, m.name


def test_the_simulator_writes_the_seed_exporter_series_as_the_library_does(exporter) -> None:
    d = simulate(Config(), default_end(), SimOptions(duration=600))
    written: dict[str, set[str]] = {}
    for line in d.text.decode().splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)\{(.*)\} ", line)
        if m and m.group(1) in exporter:
            written.setdefault(m.group(1), set()).update(re.findall(r'(\w+)="', m.group(2)))
    assert written.keys() == exporter.keys()
    for name, labels in exporter.items():
        assert written[name] - {"job", "instance"} == labels, name
