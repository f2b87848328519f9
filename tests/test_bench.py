"""The benchmark script runs end to end in quick mode and reports every metric (figures are not judged here)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {
    "cold_generate_s",
    "cold_generate_peak_rss_mb",
    "bare_python_s",
    "cold_start_ratio",
    "cold_unchanged_s",
    "cold_unchanged_ratio",
    *(
        f"{variant}_{size}_{what}"
        for variant in ("scale", "scale30")
        for size in ("small", "medium", "large")
        for what in ("seconds", "write_s", "wall_s", "ms_per_dashboard", "peak_rss_mb")
    ),
    "scale_linearity",
    "scale_panels_per_dashboard",
    "scale30_linearity",
    "scale30_panels_per_dashboard",
    "builders_agentgrafana_ms",
    "builders_grafanalib_ms",
    "builders_speedup",
    "promql_cold_per_s",
    "promql_cached_per_s",
    "push_first_s",
    "push_noop_s",
    "push_noop_writes",
    *(f"push_{run}_{method}" for run in ("first", "noop") for method in ("get", "post", "put", "delete")),
    "cost_group_samples_per_eval",
    "seed_daily_spend_samples_per_eval",
    "seed_monthly_spend_samples_per_eval",
    "cost_group_cheaper_x",
    "cost_group_samples_per_day",
    "rules_all_samples_per_minute",
    "rules_all_cheaper_x",
}
BUILT = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
EXPECTED |= {f"dashboard_{d.uid}_{r}_samples" for d in BUILT.dashboards for r in ("6h", "7d")}
EXPECTED |= {f"rules_{g.name}_samples_per_eval" for g in BUILT.rule_groups}
BASELINE = json.loads((ROOT / "bench" / "results" / "full-loads-baseline.json").read_text())
EXPECTED |= {f"dashboard_{uid}_{r}_cheaper_x" for uid in BASELINE["dashboards"] for r in ("6h", "7d")}


@pytest.mark.slow
def test_quick_run_reports_every_metric_with_a_number(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["mode"] == "quick"
    assert {"cpu", "cores", "python", "date"} <= set(doc["machine"])
    metrics = doc["metrics"]
    assert set(metrics) == EXPECTED
    for key, metric in metrics.items():
        value = metric["value"]
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), key
        assert metric["label"] and metric["pass"] in (True, False, None), key
    assert metrics["scale30_panels_per_dashboard"]["value"] == 30
    assert metrics["push_noop_writes"]["value"] == 0  # a count, not a timing: a re-push never writes
    # samples are counted by Prometheus, not timed: the cost group must read 10x less than the seed's daily rule
    assert metrics["cost_group_cheaper_x"]["value"] >= 10, metrics["cost_group_cheaper_x"]
    assert metrics["builders_speedup"]["label"] in done.stdout  # the table is printed
    assert "| a minute of every group |" in done.stdout and "6h before | 6h now" in done.stdout  # before/after
    # counted by Prometheus against the baseline measured before the aggregating rules: never more expensive,
    # and the dashboards they were made for clearly cheaper
    for key in (k for k in metrics if k.endswith("_cheaper_x")):
        assert metrics[key]["value"] >= 0.99, (key, metrics[key])
    # issue 18's bar, at 500 tenants x 8 pods: the dashboards that read the agents' series, and the rules
    for uid in ("agent-overview", "agent-performance", "agent-traces", "agent-inference", "agent-cost"):
        assert metrics[f"dashboard_{uid}_6h_cheaper_x"]["value"] >= 10, uid
    assert metrics["rules_all_cheaper_x"]["value"] >= 10
    for d in BUILT.dashboards:  # every dashboard reads something, and a week reads more than six hours
        six, week = (metrics[f"dashboard_{d.uid}_{r}_samples"]["value"] for r in ("6h", "7d"))
        assert 0 < six < week, d.uid
