"""Panels that compare tenants draw the top N over the whole time range, plus 'other', never more."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana import promql
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import simulate
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
TENANT_PANELS = ("Cost by tenant", "Daily cost by tenant", "Daily budget utilisation by tenant")


def _panels(b, titles=TENANT_PANELS) -> dict[str, dict]:
    return {
        p["title"]: p for d in b.dashboards if d.uid == "agent-cost" for p in panels_of(d.model) if p["title"] in titles
    }


def test_every_panel_comparing_tenants_is_capped_at_top_n() -> None:
    b = build(config_mod.from_mapping({"grafana": {"top_n": 7}}), ROOT)
    panels = _panels(b, (*TENANT_PANELS, "Monthly budget utilisation by tenant"))
    assert len(panels) == 4
    for title, p in panels.items():
        assert "topk(7, " in p["targets"][0]["expr"], title


@pytest.mark.live
def test_cost_by_tenant_draws_two_tenants_and_other_over_the_whole_range(prometheus_binary, promtool) -> None:
    config = config_mod.from_mapping({"grafana": {"top_n": 2}})
    b = build(config, ROOT)
    d = simulate(config, live.default_end(), alerts=b.alerts, dialect=b.dialect)
    expr = _panels(b)["Cost by tenant"]["targets"][0]["expr"]
    start, end = d.start + 3600, d.end - 60
    window = f"{end - start}s"
    query = promql.expand_variables(expr.replace("$__range", window).replace("$__rate_interval", "5m"))
    with live_prometheus(d, live.rule_files(b), prometheus_binary, promtool) as server:
        prom = server.prometheus
        series = prom.query_range(query, start, end, 300)
        shown = {s["metric"]["tenant_id"] for s in series}
        assert len(shown) == 3 and "other" in shown, shown  # 4 tenants: the top 2 and the rest
        last = max(float(s["values"][-1][0]) for s in series)
        at_end = {s["metric"]["tenant_id"]: float(v) for s in series for t, v in s["values"] if float(t) == last}
        lines = promql.expand_variables(expr.split("\nand on")[0].replace("$__rate_interval", "5m"))  # every tenant's
        total = float(prom.query(f"sum({lines})", last)["result"][0]["value"][1])
        assert sum(at_end.values()) == pytest.approx(total, rel=1e-9)  # nothing lost, nothing counted twice
        top = prom.query(f"topk(2, sum by (tenant_id) (increase(llm_cost_dollars_total[{window}])))", end)["result"]
        assert shown - {"other"} == {s["metric"]["tenant_id"] for s in top}
