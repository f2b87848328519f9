"""Two clusters in one Prometheus (metrics.cluster_label): their series and their alerts stay apart.

East acts out every incident; west carries normal traffic only. Every alert must fire in its window for east
and never for west, recording rules keep both clusters apart, and a dashboard filtered to one cluster shows
only that cluster's numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana import promql
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import SimOptions, merge, simulate
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {"metrics": {"cluster_label": "cluster"}, "budgets": {"tenants": {"acme": 250, "initech": 50}}}


@pytest.fixture(scope="module")
def clustered():
    config = config_mod.from_mapping(CONFIG)
    return config, build(config, ROOT)


def test_every_dashboard_has_a_cluster_variable_and_every_alert_keeps_the_label(clustered) -> None:
    _, b = clustered
    for d in b.dashboards:
        if d.uid == "agent-health":  # the monitoring's own health: every series, across clusters
            continue
        names = [v["name"] for v in d.model["templating"]["list"]]
        assert "cluster" in names, d.uid
    for a in b.alerts:
        if a.name == "Watchdog":  # vector(1): the dead man's switch is about the whole pipeline
            continue
        labels = promql.analyze(a.prometheus_expr, b.dialect.catalog, _recorded(b)).labels
        assert labels is None or "cluster" in labels, (a.name, sorted(labels or ()))
    for r in b.recording_rules:
        if r.expr.startswith("vector("):  # configured constants (prices, budgets), joined on their own labels
            continue
        labels = promql.analyze(r.expr, b.dialect.catalog, _recorded(b)).labels
        assert labels is None or "cluster" in labels, (r.record, sorted(labels or ()))


def _recorded(b) -> dict[str, frozenset[str]]:
    from agentgrafana.alerting import recorded_series

    return recorded_series(b.rule_groups, b.dialect.catalog)


@pytest.mark.live
def test_two_clusters_live_their_series_and_alerts_apart(clustered, prometheus_binary, promtool) -> None:
    config, b = clustered
    end = live.default_end()
    east = simulate(config, end, SimOptions(extra_labels={"cluster": "east"}), alerts=b.alerts, dialect=b.dialect)
    west = simulate(
        config,
        end,
        SimOptions(extra_labels={"cluster": "west"}, duration=east.end - east.start, incidents=False),
        alerts=b.alerts,
        dialect=b.dialect,
    )
    both = merge(east, west)
    with live_prometheus(both, live.rule_files(b), prometheus_binary, promtool) as server:
        report = live.check(b, server)
        assert not report.failed_alerts and not report.dead_targets, report.text()
        prom = server.prometheus
        # each alert, evaluated in its incident window, fires for east only
        fired = 0
        for window in east.windows:
            if not window.alerts:
                continue
            start, stop = east.window(window.name)
            at = min(stop - 60, start + (stop - start) * 3 // 4)
            for alert in (a for a in b.alerts if a.name in window.alerts):
                series = prom.query(alert.prometheus_expr, at)["result"]
                clusters = {s["metric"].get("cluster") for s in series}
                assert "west" not in clusters, (alert.name, clusters)
                fired += bool(series)
        assert fired >= len(b.alerts) // 2
        # a recording rule keeps the two apart
        normal = east.window("normal")[1] - 60
        rates = prom.query("agent_name:agent_requests:rate5m", normal)["result"]
        assert {s["metric"]["cluster"] for s in rates} == {"east", "west"}
        # a dashboard filtered to west reads west only, and the same numbers as the rule for west, both read at
        # the moment the rule was last evaluated
        panel = next(
            p
            for d in b.dashboards
            if d.uid == "agent-overview"
            for p in panels_of(d.model)
            if p.get("title") == "Request rate by agent"
        )
        expr = panel["targets"][0]["expr"].replace("$__rate_interval", "5m")  # the rule's window
        expr = promql.expand_variables(expr, {"cluster": "west", "tenant": ".*", "agent": ".*"})
        stamp = prom.query('max(timestamp(agent_name:agent_requests:rate5m{cluster="west"}))', normal)["result"]
        at = float(stamp[0]["value"][1])
        shown = {s["metric"]["agent_name"]: float(s["value"][1]) for s in prom.query(expr, at)["result"]}
        west_rule = {
            s["metric"]["agent_name"]: float(s["value"][1])
            for s in prom.query('agent_name:agent_requests:rate5m{cluster="west"}', at)["result"]
        }
        assert shown.keys() == west_rule.keys() and shown
        for agent, value in shown.items():
            assert value == pytest.approx(west_rule[agent], rel=0.01), agent
