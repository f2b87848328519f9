"""`agentgrafana.instrument`: an application emitting exactly what the dashboards read, scraped by a real Prometheus."""

from __future__ import annotations

import random
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from agentgrafana import config as config_mod
from agentgrafana.catalog import HISTOGRAM
from agentgrafana.instrument import METRICS, AgentMetrics
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import Prometheus, free_port
from agentgrafana.pipeline import build
from agentgrafana.promql import expand_variables, selectors

ROOT = Path(__file__).resolve().parents[1]
# 30 days of spend are summed from the hourly pace sampled on the hour (a [30d:1h] subquery): the first value
# comes at the first full hour of data, not within a 30-second test
NEEDS_HISTORY = {"Agent Cost & Usage / Monthly budget utilisation by tenant [A]"}
AGENTS = ("support-bot", "research-agent")
TENANTS = ("acme", "globex")
MODELS = (("gpt-4o", "openai"), ("claude-3-5-sonnet", "anthropic"))
TOOLS = (("web_search", "support-bot"), ("sql_query", "research-agent"))


def families(app: AgentMetrics) -> dict[str, tuple[str, set[str]]]:
    """family -> (type, label names) as the exposition shows them."""
    out: dict[str, tuple[str, set[str]]] = {}
    for f in text_string_to_metric_families(app.exposition().decode()):
        labels = {k for s in f.samples for k in s.labels} - {"le"}  # exemplars are not labels
        out[f.name] = (f.type, labels)
    return out


def test_every_catalog_series_exists_with_its_type_labels_and_buckets() -> None:
    app = AgentMetrics(agents=AGENTS, tenants=TENANTS, models=MODELS, tools=TOOLS)
    for agent in AGENTS:  # one observation each, so the histograms and gauges have samples to show
        app.record_request(agent, "gpt-4o", "acme", 1.0, chain_length=3, tool_calls=2, iterations=1)
        app.record_tool("web_search", agent, 0.2)
        app.record_vector_search("docs", agent, 0.05)
        with app.session(agent, "acme", user="u1"):
            seen = families(app)
    app.record_llm_call("gpt-4o", "openai", 1.0, input_tokens=10, output_tokens=5, tenant="acme")
    app.set_monthly_budget("acme", 1000)
    seen = {**seen, **families(app)}
    for m in METRICS:
        family = m.name.removesuffix("_total")  # the parser names a counter's family without _total
        assert family in seen, f"no {m.name} in the exposition"
        kind, labels = seen[family]
        assert kind == m.type, (m.name, kind)
        assert labels == set(m.labels), (m.name, labels)
    text = app.exposition().decode()
    bounds = {
        float(s.labels["le"])
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if f.name == "agent_request_duration_seconds" and "le" in s.labels
    }
    assert bounds == {*next(m for m in METRICS if m.name == "agent_request_duration_seconds").buckets, float("inf")}
    assert all(m.type != HISTOGRAM or m.buckets for m in METRICS)


def test_error_series_start_at_zero_so_the_first_error_counts() -> None:
    app = AgentMetrics(agents=AGENTS, tenants=TENANTS, models=MODELS, tools=TOOLS)
    text = app.exposition().decode()
    assert 'agent_errors_total{agent_name="support-bot",error_type="validation",tenant_id="globex"} 0.0' in text
    assert 'agent_timeout_total{agent_name="research-agent",tenant_id="acme"} 0.0' in text
    assert 'llm_rate_limit_errors_total{model="claude-3-5-sonnet",provider="anthropic",tenant_id="globex"} 0.0' in text
    assert (
        'tool_execution_errors_total{agent_name="research-agent",error_type="timeout",tool_name="sql_query"} 0.0'
        in text
    )


def test_cost_follows_the_pricing_table_and_the_provider_is_a_parameter() -> None:
    app = AgentMetrics(pricing={"gpt-4o": config_mod.Price(0.0025, 0.01)})
    assert app.record_llm_call(
        "gpt-4o", "azure", 1.0, input_tokens=2000, output_tokens=500, tenant="acme"
    ) == pytest.approx(0.01)
    assert app.record_llm_call("mystery", "local", 1.0, input_tokens=10, output_tokens=10, tenant="acme") is None
    assert (
        app.record_llm_call("mystery", "local", 1.0, input_tokens=10, output_tokens=10, tenant="acme", cost_usd=0.5)
        == 0.5
    )
    text = app.exposition().decode()
    assert 'llm_inference_duration_seconds_count{model="gpt-4o",provider="azure"} 1.0' in text
    assert 'llm_cost_dollars_total{model="mystery",tenant_id="acme"} 0.5' in text
    with pytest.raises(ValueError, match="negative"):
        app.record_request("a", "gpt-4o", "acme", -1)


def _drive(app: AgentMetrics, stop: threading.Event, late_error: threading.Event) -> None:
    """Seeded traffic: requests, model calls, tools, searches, a few errors, timeouts and rate limits."""
    rng = random.Random(7)
    for tenant in TENANTS:
        app.set_monthly_budget(tenant, 5000)
    while not stop.is_set():
        agent, tenant = rng.choice(AGENTS), rng.choice(TENANTS)
        model, provider = rng.choice(MODELS)
        trace = f"{rng.getrandbits(128):032x}"
        with app.session(agent, tenant, user=f"u{rng.randint(1, 5)}"):
            app.record_llm_call(
                model,
                provider,
                rng.uniform(0.2, 3),
                input_tokens=rng.randint(200, 2000),
                output_tokens=rng.randint(50, 500),
                tenant=tenant,
                trace_id=trace,
            )
            tool = next(t for t, a in TOOLS if a == agent)
            app.record_tool(
                tool, agent, rng.uniform(0.01, 1.5), error_type="http_error" if rng.random() < 0.02 else None
            )
            app.record_vector_search("docs", agent, rng.uniform(0.01, 0.5))
            if rng.random() < 0.01:
                app.record_rate_limit(model, provider, tenant)
            failed = rng.random() < 0.02
            app.record_request(
                agent,
                model,
                tenant,
                rng.uniform(0.3, 8),
                error_type="llm_error" if failed else None,
                timed_out=rng.random() < 0.005,
                trace_id=trace,
                chain_length=rng.randint(1, 6),
                tool_calls=rng.randint(0, 4),
                iterations=rng.randint(1, 3),
            )
        if late_error.is_set():
            late_error.clear()
            app.record_request("support-bot", "gpt-4o", "globex", 1.0, error_type="validation")  # pre-created: counts
            app.record_request("support-bot", "gpt-4o", "globex", 1.0, error_type="surprise")  # not: invisible
        time.sleep(0.02)


@pytest.mark.live
def test_an_instrumented_app_scraped_by_prometheus_fills_every_panel_it_can(prometheus_binary, tmp_path) -> None:
    """No simulator: a real Prometheus scrapes the application every second for 30 s, with the generated rules
    loaded; then every panel target reading only what the module emits (directly or through a recording rule)
    must have data, and the first error of a pre-created series shows in increase() while a new one does not."""
    config = config_mod.load(ROOT / "monitoring.yaml")
    b = build(config, ROOT)
    app = AgentMetrics(agents=AGENTS, tenants=TENANTS, models=MODELS, tools=TOOLS)
    port = free_port()
    server, thread = app.serve(port)
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    rule_paths = []
    for path, body in live.rule_files(b).items():  # the generated rules, evaluated every second here
        doc = yaml.safe_load(body)
        for group in doc["groups"]:
            group["interval"] = "1s"
        target = rules_dir / Path(path).name
        target.write_text(yaml.safe_dump(doc))
        rule_paths.append(str(target))
    cfg = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": rule_paths,
        "scrape_configs": [{"job_name": "agent-platform", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(cfg))
    stop, late_error = threading.Event(), threading.Event()
    driver = threading.Thread(target=_drive, args=(app, stop, late_error), daemon=True)
    prom = Prometheus(prometheus_binary, tmp_path / "prometheus.yml", tmp_path / "data", tmp_path / "prometheus.log")
    try:
        prom.start()
        start = int(time.time())
        driver.start()
        time.sleep(12)
        late_error.set()
        time.sleep(18)
        end = int(time.time())
        first_error = prom.query('increase(agent_errors_total{error_type="validation", tenant_id="globex"}[25s])', end)[
            "result"
        ]
        unseen = prom.query('increase(agent_errors_total{error_type="surprise"}[25s])', end)["result"]
        report = live.LiveReport(_Span(start, end, 1), prom.version())
        live.check_dashboards(b, prom, _Span(start, end, 1), report)
    finally:
        stop.set()
        prom.stop()
        server.shutdown()
    assert sum(float(r["value"][1]) for r in first_error) >= 1, first_error
    assert all(float(r["value"][1]) == 0 for r in unseen), unseen  # why the module pre-creates error series

    emitted = {m.name for m in METRICS}
    rules = live.recorded_exprs(b)

    def fed(expr: str, seen: frozenset[str] = frozenset()) -> bool:
        names = [n for n, _ in selectors(expr)]
        for n in names:
            base = n.removesuffix("_bucket").removesuffix("_sum").removesuffix("_count")
            if n in rules and n not in seen:
                if not fed(rules[n], seen | {n}):
                    return False
            elif base not in emitted and n not in emitted and n != "up":
                return False
        return bool(names)

    checked = [t for t in report.targets if fed(expand_variables(t.query))]
    assert len(checked) >= 50, len(checked)
    dead = [f"{t.name}: {t.reason}" for t in checked if t.dead and t.name not in NEEDS_HISTORY]
    assert not dead, "\n".join(dead)
    assert NEEDS_HISTORY <= {t.name for t in checked}


class _Span:
    def __init__(self, start: int, end: int, step: int) -> None:
        self.start, self.end, self.step = start, end, step


def test_the_module_imports_without_a_scrape_server() -> None:
    """Importing it starts nothing and needs no network (the app decides when to serve)."""
    done = subprocess.run(["python", "-c", "import agentgrafana.instrument"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_exemplars_are_asked_for_once_per_panel() -> None:
    """A panel asks for exemplars on one query, not on every line: the first (Grafana skips a target's exemplar
    query when an earlier one names the histogram), hidden, reading the raw buckets (recorded series have no
    exemplars) without a range function at a 5-minute step, while the drawn lines read recorded rates."""
    from agentgrafana.model import hidden_ref_ids, panels_of

    b = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    with_exemplars = 0
    for d in b.dashboards:
        for panel in panels_of(d.model):
            targets = panel.get("targets") or []
            asking = [t for t in targets if t.get("exemplar")]
            assert len(asking) <= 1, (d.uid, panel["title"], [t.get("legendFormat") for t in asking])
            if asking:
                (t,) = asking
                assert t is targets[0] and hidden_ref_ids(panel) == {t["refId"]}, (d.uid, panel["title"])
                assert re.fullmatch(r"group\(\w+_bucket\{[^{}]*\}\)", t["expr"]) and t["interval"] == "5m", t
                assert all(":" in u["expr"] for u in targets[1:]), (d.uid, panel["title"])  # lines: recorded
            with_exemplars += bool(asking)
    assert with_exemplars >= 4
