"""What our recording rules cost the user's Prometheus: samples read by one evaluation of each rule, measured.

A synthetic TSDB holds the spend counter as the seed's platform exposes it (`llm_cost_dollars_total{model,
tenant_id}` scraped from several pods, so `instance` multiplies the series) over 25 hours at a 30 s scrape,
backfilled with promtool; the generated cost group is backfilled over it (promtool create-blocks-from rules,
every minute). Then each rule's expression runs once as an instant query at the end with `stats=all`, and
Prometheus reports `totalQueryableSamples`: the samples that evaluation touched. Samples are machine-independent.

The same is measured for the seed's forms of the same figures (the daily spend as `increase(...[24h])` over
the raw counters, every minute), so the ratio shows. Every query here reads each tenant's series on its own,
so samples grow linearly with tenants; the figures are measured at `tenants` and reported at 500 as
measured x 500 / tenants (stated in the label). The 30-day rule can only read the 25 hours that exist:
its figure is projected to 30 days as measured x 720 / 25 (also stated).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from report import Metric  # noqa: E402

from agentgrafana import config as config_mod  # noqa: E402
from agentgrafana.live.prometheus import live_prometheus  # noqa: E402
from agentgrafana.live.simulator import Dataset  # noqa: E402
from agentgrafana.pipeline import build  # noqa: E402

HOURS = 25
SCRAPE = 30
TARGET_TENANTS = 500
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku", "gemini-2.5-pro", "llama-3-70b")
GROUP = "agent-cost"
# the seed's forms: the daily spend re-read from raw counters every minute, the monthly from 30 days of them
SEED_DAILY = "sum by (tenant_id) (increase(llm_cost_dollars_total[24h]))"
SEED_MONTHLY = "sum by (tenant_id) (increase(llm_cost_dollars_total[30d]))"


def synthetic(tenants: int, pods: int, end: int) -> Dataset:
    """Spend counters of `tenants` x 6 models x `pods` instances, 25 h at 30 s (OpenMetrics text)."""
    start = end - HOURS * 3600
    steps = HOURS * 3600 // SCRAPE
    lines = ["# HELP llm_cost_dollars_total Total LLM cost in USD.", "# TYPE llm_cost_dollars_total counter"]
    series = 0
    for t in range(tenants):
        for m, model in enumerate(MODELS):
            for p in range(pods):
                per_step = 0.001 * (1 + (t * 7 + m * 3 + p) % 5)
                labels = f'instance="10.0.0.{p}:8000",job="agent-platform",model="{model}",tenant_id="t{t:03d}"'
                head = f"llm_cost_dollars_total{{{labels}}} "
                lines.extend(f"{head}{round(per_step * i, 6)} {start + i * SCRAPE}" for i in range(steps))
                series += 1
    lines.append("# EOF")
    text = ("\n".join(lines) + "\n").encode()
    return Dataset(text, start, end, SCRAPE, (), None, series, series * steps)  # type: ignore[arg-type]


def _samples(prom: Any, expr: str, at: int) -> int:
    data = prom._api("query", {"query": expr, "time": at, "stats": "all"})
    return int(data["stats"]["samples"]["totalQueryableSamples"])


def _projected(measured: int, expr: str, scale: float) -> float:
    """At 500 tenants, and over 30 days for a 30-day window (the data holds 25 hours)."""
    return measured * scale * (720 / HOURS if "[30d" in expr else 1)


def rule_group_cost(
    tenants: int, pods: int, prometheus: str = "prometheus", promtool: str = "promtool"
) -> tuple[list[Metric], dict[str, Any]]:
    config = config_mod.load(REPO / "monitoring.yaml")
    b = build(config, REPO)
    path = f"prometheus/rules/{GROUP}.yaml"
    rules_file = b.files[path]
    end = int(time.time()) // 3600 * 3600
    t0 = time.monotonic()
    dataset = synthetic(tenants, pods, end)
    scale = TARGET_TENANTS / tenants
    details: dict[str, Any] = {
        "tenants_measured": tenants,
        "pods": pods,
        "models": len(MODELS),
        "series": dataset.series,
        "samples_in_tsdb": dataset.samples,
        "hours": HOURS,
        "rules": {},
    }
    with live_prometheus(dataset, {path: rules_file}, prometheus, promtool) as server:
        prom = server.prometheus
        ours = 0.0
        for group in yaml.safe_load(rules_file)["groups"]:
            for rule in group["rules"]:
                expr = str(rule["expr"])
                measured = _samples(prom, expr, end)
                name = str(rule["record"]) + (f" {rule['labels']['tenant_id']}" if "labels" in rule else "")
                details["rules"][name] = {
                    "measured": measured,
                    "at_500_tenants": round(_projected(measured, expr, scale)),
                }
                ours += _projected(measured, expr, scale)
        daily = _projected(_samples(prom, SEED_DAILY, end), SEED_DAILY, scale)
        monthly = _projected(_samples(prom, SEED_MONTHLY, end), SEED_MONTHLY, scale)
        details["timings"] = dict(server.timings)
    details["seconds"] = time.monotonic() - t0
    at = f"500 tenants x 6 models x {pods} pods (measured at {tenants} tenants, x{scale:g})"
    metrics = [
        Metric("cost_group_samples_per_eval", f"cost rule group, samples per evaluation, {at}", ours, "samples"),
        Metric(
            "seed_daily_spend_samples_per_eval",
            "the seed's daily spend (increase over 24 h of raw counters), same",
            daily,
            "samples",
        ),
        Metric(
            "seed_monthly_spend_samples_per_eval",
            "the seed's monthly spend (increase over 30 d of raw counters), same",
            monthly,
            "samples",
        ),
        Metric(
            "cost_group_cheaper_x",
            "the seed's daily spend alone / our whole cost group, per evaluation",
            daily / ours,
            "x",
            10.0,
            "higher",
        ),
        Metric(
            "cost_group_samples_per_day",
            "cost rule group, samples read per day (1,440 evaluations at 1 m)",
            ours * 1440,
            "samples",
        ),
    ]
    return metrics, details
