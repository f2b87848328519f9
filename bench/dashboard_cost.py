"""What our dashboards and rule groups cost the user's Prometheus: samples touched, measured by Prometheus itself.

The live check's simulated platform (its tenants, agents, models, pods and GPUs, 15 s scrape, several hours) is
backfilled into a real Prometheus with the generated recording rules. Then:

- **a dashboard's full load** over 6 h and over 7 d: every Prometheus target of every panel run as Grafana runs it
  (variables at "All"; a range query with the step Grafana picks for a 1,600 px wide screen, so a panel `w`
  columns wide asks for `w / 24 x 1,600` points; `$__rate_interval` = max(step + scrape, 4 x scrape); instant
  targets once with `$__range`), summing Prometheus' `stats=all` `totalQueryableSamples`;
- **a rule group's evaluation**: every rule's expression once, as an instant query at the end.

The data holds a few hours, not 7 days: a range longer than the data is measured over the data with the long
range's step and projected by range / measured span (steady traffic reads the same samples per step). To show
500 tenants, a target that reads series carrying `tenant_id` is projected by 500 / the simulated tenants (series,
and so samples, grow linearly with tenants there); others (GPUs, model servers) are not. The simulator runs the
agent application as one instance, while the target scale has 8 pods each exposing every tenant's series: a read
of those raw series is projected x8 more (recording rules' outputs, summed over pods, are not). The projections
are named in the report. Samples are machine-independent.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if __name__ == "__main__" and "--root" in sys.argv:  # measure another checkout (the baseline) with this code
    REPO = Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from report import Metric  # noqa: E402

from agentgrafana import config as config_mod  # noqa: E402
from agentgrafana import promql  # noqa: E402
from agentgrafana.catalog import CATALOG  # noqa: E402
from agentgrafana.live.check import default_end, interval_values, rule_files, variable_values  # noqa: E402
from agentgrafana.live.prometheus import live_prometheus  # noqa: E402
from agentgrafana.live.simulator import SimOptions, simulate  # noqa: E402
from agentgrafana.model import datasource_type, panels_of  # noqa: E402
from agentgrafana.pipeline import build  # noqa: E402

TARGET_TENANTS = 500
SCREEN_PX = 1600
RANGES = {"6h": 6 * 3600, "7d": 7 * 86400}
TENANT_LABEL = "tenant_id"
PODS = 8  # the agent application's replicas at the target scale (the 500 tenants x 6 models x 8 pods)
COSTLIEST = 25  # the targets and rules listed by cost (6 h loads and one evaluation), to show where to look next


def _interval(range_s: int, width: int, scrape: int) -> int:
    """Grafana's step for a panel `width` columns wide: range / its pixels, at least the scrape interval."""
    points = max(1, width * SCREEN_PX // 24)
    return max(scrape, math.ceil(range_s / points / scrape) * scrape)


def _seconds(text: str) -> int:
    """A Grafana min interval such as 15m, in seconds (0 when unset)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(text[:-1]) * units[text[-1]] if text[:-1].isdigit() and text[-1:] in units else 0


def _scale(expr: str, recorded: set[str], tenant_scale: float) -> float:
    """How much more `expr` reads at the target scale than on the simulated data.

    Series carrying tenant_id grow linearly with tenants (x `tenant_scale`). The agent application's raw series
    (those carrying tenant_id) are also exposed by each of its PODS pods, as every pod serves every tenant;
    the simulator runs one instance, so a read of them is x PODS. A recording rule's output has no pod label.
    A target mixing both is counted at the raw series' scale (an upper bound)."""
    tenants, pods = False, False
    for name, _ in promql.selectors(expr):
        series = CATALOG.series(name)
        if series is not None and TENANT_LABEL in series.labels:
            tenants = pods = True
        elif name in recorded and TENANT_LABEL in name.split(":")[0]:  # level:metric:operations names its labels
            tenants = True
    return (tenant_scale if tenants else 1) * (PODS if pods else 1)


def invariant_parts(expr: str) -> list[str]:
    """The largest sub-expressions whose every selector is pinned with `@` (such as a top-N ranked `@ end()`).

    Prometheus evaluates such a part once per query but adds its samples at every step of the range (engine.go,
    StepInvariantExpr), so the benchmark counts it once: range samples - (steps - 1) x its instant samples.
    """
    import promql_parser as pp

    found: list[str] = []

    def selectors(node: Any) -> list[Any]:
        out: list[Any] = []

        def pre(n: Any) -> None:
            vs = n.vector_selector if isinstance(n, pp.MatrixSelector) else n
            if isinstance(vs, pp.VectorSelector):
                out.append(vs)

        pp.walk(node, pre, None)
        return out

    def visit(node: Any) -> None:
        pinned = selectors(node)
        if pinned and all(vs.at is not None for vs in pinned) and not isinstance(node, pp.VectorSelector):
            found.append(node.prettify())
            return
        for child in ("expr", "lhs", "rhs", "param", "vector_selector"):
            if getattr(node, child, None) is not None:
                visit(getattr(node, child))
        for arg in getattr(node, "args", None) or []:
            visit(arg)

    visit(promql.parse(expr))
    return found


def _samples(prom: Any, path: str, params: dict[str, Any]) -> int:
    data = prom._api(path, {**params, "stats": "all"})
    return int(data["stats"]["samples"]["totalQueryableSamples"])


BASELINE = Path(__file__).resolve().parent / "results" / "full-loads-baseline.json"


def measure() -> tuple[list[Metric], dict[str, Any]]:
    config = config_mod.load(REPO / "monitoring.yaml")
    b = build(config, REPO)
    concepts = b.dialect.concepts if b.dialect is not None else CATALOG
    dataset = simulate(config, default_end(), SimOptions(), concepts, alerts=b.alerts, dialect=b.dialect)
    tenants = len(dataset.topology.tenants)
    scale = TARGET_TENANTS / tenants
    recorded = {r.record for g in b.rule_groups for r in g.recording}
    span = dataset.end - dataset.start
    details: dict[str, Any] = {
        "simulated": {
            "tenants": tenants,
            "agents": len(dataset.topology.agents),
            "series": dataset.series,
            "samples": dataset.samples,
            "hours": round(span / 3600, 2),
            "scrape_s": dataset.step,
        },
        "dashboards": {},
        "rule_groups": {},
        "costliest": [],
    }
    costs: list[tuple[float, str]] = []
    metrics: list[Metric] = []
    with live_prometheus(dataset, rule_files(b), "prometheus", "promtool") as server:
        prom, d = server.prometheus, server.dataset
        for dash in b.dashboards:
            base = variable_values(dash.model, prom, d)
            row: dict[str, Any] = {}
            for label, range_s in RANGES.items():
                measured_span = min(range_s, span)
                total = 0.0
                for panel in panels_of(dash.model):
                    width = int((panel.get("gridPos") or {}).get("w") or 12)
                    for t in panel.get("targets") or []:
                        if (datasource_type(t, panel) or "prometheus") != "prometheus" or not t.get("expr"):
                            continue
                        step = max(_interval(range_s, width, dataset.step), _seconds(str(t.get("interval") or "")))
                        expr = promql.expand_variables(
                            str(t["expr"]), {**base, **interval_values(step, dataset.step, measured_span)}
                        )
                        if t.get("instant"):
                            n = _samples(prom, "query", {"query": expr, "time": d.end})
                        else:
                            start = d.end - measured_span
                            n = _samples(
                                prom, "query_range", {"query": expr, "start": start, "end": d.end, "step": step}
                            )
                            steps = (d.end - start) // step + 1
                            for part in invariant_parts(expr):  # evaluated once, counted at every step
                                n -= (steps - 1) * _samples(prom, "query", {"query": part, "time": d.end})
                        cost = n * (range_s / measured_span) * _scale(expr, recorded, scale)
                        total += cost
                        if label == "6h":
                            costs.append((cost, f"{dash.uid} / {panel.get('title')} / {t.get('refId')}"))
                row[label] = round(total)
                metrics.append(
                    Metric(
                        f"dashboard_{dash.uid}_{label}_samples",
                        f"{dash.title}: one full load over {label}, samples at {TARGET_TENANTS} tenants",
                        total,
                        "samples",
                    )
                )
            details["dashboards"][dash.uid] = row
        minute = 0.0
        for group in b.rule_groups:
            total = 0.0
            for rule in [*group.recording, *group.alerts]:
                expr = rule.expr
                n = _samples(prom, "query", {"query": expr, "time": d.end})
                cost = n * _scale(expr, recorded, scale)
                total += cost
                costs.append((cost, f"rule {group.name} / {getattr(rule, 'record', None) or rule.name}"))
            details["rule_groups"][group.name] = round(total)
            minute += total
            metrics.append(
                Metric(
                    f"rules_{group.name}_samples_per_eval",
                    f"rule group {group.name}: one evaluation, samples at {TARGET_TENANTS} tenants",
                    total,
                    "samples",
                )
            )
        metrics.append(
            Metric(
                "rules_all_samples_per_minute",
                f"every rule group, one evaluation each (a minute at 1m), {TARGET_TENANTS} tenants",
                minute,
                "samples",
            )
        )
    details["costliest"] = [
        {"samples": round(c), "what": w} for c, w in sorted(costs, key=lambda cw: (-cw[0], cw[1]))[:COSTLIEST]
    ]
    details["projection"] = (
        f"measured on {tenants} simulated tenants and one agent pod over {span / 3600:.1f} h; targets reading "
        f"tenant_id series x{scale:g}, and the agent application's raw series x{PODS} pods more; ranges longer "
        f"than the data x range / {span / 3600:.1f} h"
    )
    return metrics, details


def with_baseline(metrics: list[Metric], details: dict[str, Any]) -> list[Metric]:
    """Ratios against the recorded baseline (`--record-baseline`): how much cheaper than before this round."""
    if not BASELINE.is_file():
        return metrics
    base = json.loads(BASELINE.read_text())
    details["baseline"] = base
    out = list(metrics)
    for uid, row in details["dashboards"].items():
        before = base["dashboards"].get(uid)
        if before:
            for label in RANGES:
                out.append(
                    Metric(
                        f"dashboard_{uid}_{label}_cheaper_x",
                        f"{uid}, {label} load: baseline ({base['commit']}) / now",
                        before[label] / max(1, row[label]),
                        "x",
                    )
                )
    before, now = sum(base["rule_groups"].values()), sum(details["rule_groups"].values())
    out.append(
        Metric(
            "rules_all_cheaper_x", f"a minute of every rule group: baseline ({base['commit']}) / now", before / now, "x"
        )
    )
    return out


def _short(n: float) -> str:
    for unit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= unit:
            return f"{n / unit:.3g}{suffix}"
    return f"{n:.0f}"


def before_after(details: dict[str, Any]) -> str:
    """The samples tables with before (the baseline) and now columns, as Markdown (the README's tables)."""
    base = details.get("baseline")
    if not base:
        return ""
    scale = f"{TARGET_TENANTS} tenants x {PODS} pods"
    ranges = list(RANGES)
    head = " | ".join(f"{r} before | {r} now | cheaper" for r in ranges) + " |"
    lines = [f"| one full load at {scale} | {head}", "|---|" + "---:|---:|---:|" * len(ranges)]
    for uid, row in details["dashboards"].items():
        before = base["dashboards"].get(uid)
        if before:
            cells = " | ".join(
                f"{_short(before[r])} | {_short(row[r])} | {before[r] / max(1, row[r]):.3g}x" for r in ranges
            )
            lines.append(f"| {uid} | {cells} |")
    lines += ["", f"| one evaluation at {scale} | before | now | cheaper |", "|---|---:|---:|---:|"]
    for group, now in details["rule_groups"].items():
        before = base["rule_groups"].get(group, 0)
        lines.append(f"| {group} | {_short(before)} | {_short(now)} | {before / max(1, now):.3g}x |")
    before, now = sum(base["rule_groups"].values()), sum(details["rule_groups"].values())
    lines.append(f"| a minute of every group | {_short(before)} | {_short(now)} | {before / max(1, now):.3g}x |")
    return f"baseline: {base['commit']}\n" + "\n".join(lines)


def main() -> int:
    import argparse
    import subprocess

    ap = argparse.ArgumentParser(description="measure full-load samples; --record-baseline writes the baseline")
    ap.add_argument("--root", help="the checkout to measure (default: this one)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    _, details = measure()
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    doc = {"commit": commit, **details}
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if args.json:
        args.json.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
