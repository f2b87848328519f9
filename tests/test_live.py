"""The live check on the real build: one Prometheus for the module, every panel, rule and alert proven."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from agentgrafana.alerting import template
from agentgrafana.config import Config, load
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import SimOptions, simulate
from agentgrafana.model import Build, panels_of
from agentgrafana.pipeline import build

pytestmark = pytest.mark.live


def project_config(root: Path) -> Config:
    path = root / "monitoring.yaml"
    return load(path if path.is_file() else None)


@pytest.fixture(scope="module")
def live_run(root, prometheus_binary, promtool):
    """(build, config, server, report): the real build checked on one Prometheus, stopped after the module."""
    config = project_config(root)
    the_build = build(config, root)
    t0 = time.monotonic()
    dataset = simulate(config, live.default_end(), alerts=the_build.alerts)
    simulated = time.monotonic() - t0
    with live_prometheus(dataset, live.rule_files(the_build), prometheus_binary, promtool) as server:
        report = live.check(the_build, server)
        report.timings = {"simulate": simulated, **report.timings, "total": time.monotonic() - t0}
        print("\n" + report.text())
        yield the_build, config, server, report


def test_no_dead_panels(live_run):
    _, _, _, report = live_run
    assert report.targets, "no panel target was checked"
    assert not report.dead_targets, report.text()


def test_every_dashboard_variable_finds_values(live_run):
    _, _, _, report = live_run
    assert report.variables
    assert not report.dead_variables, report.text()


def test_every_recording_rule_has_data(live_run):
    the_build, _, _, report = live_run
    assert len(report.rules) == len(the_build.recording_rules)
    assert not report.dead_rules, report.text()


def test_every_alert_fires_in_its_incident_and_is_silent_in_normal_traffic(live_run):
    the_build, _, _, report = live_run
    assert [a.name for a in report.alerts] == [a.name for a in the_build.alerts]
    assert not report.failed_alerts, report.text()
    assert report.ok and report.text().endswith("PASSED")


def test_only_tempo_panels_are_left_unchecked(live_run):
    the_build, _, _, report = live_run
    total = sum(
        len(p.get("targets") or []) for d in the_build.dashboards for p in panels_of(d.model) if p.get("type") != "row"
    )
    assert len(report.targets) + len(report.not_checked) == total
    assert {n.datasource for n in report.not_checked} <= {"tempo"}
    for n in report.not_checked:
        assert f"NOT CHECKED {n.dashboard} / {n.panel}" in report.text()


BUDGET_ALERT = "TenantDailyCostBudgetExceeded"


def assert_budget_override_respected(config: Config, server, report) -> None:
    """The tenant with a higher override spends more than the default budget, and the alert spares it."""
    d = server.dataset
    rich = d.topology.rich_tenant
    assert rich is not None, "the configuration must override a tenant's budget above the default"
    _, end = d.window(BUDGET_ALERT)
    spent = server.prometheus.query(f'sum(increase(llm_cost_dollars_total{{tenant_id="{rich}"}}[1d]))', end)
    value = float(spent["result"][0]["value"][1])
    ratio = config.thresholds.budget_utilisation_alert
    assert config.budgets.daily_usd_default * ratio < value < config.budgets.for_tenant(rich) * ratio
    budget_alerts = [a for a in report.alerts if a.scenario == BUDGET_ALERT]
    assert budget_alerts and all(not a.leaked and not a.problems for a in budget_alerts), report.text()


def assert_budget_alert_tells_utilisation_and_dollars(the_build: Build, config: Config, server) -> None:
    """Where the budget alert fires, its value is the tenant's 24 h spend over its own budget, and the budget in
    dollars is a label, so the description prints both."""
    d = server.dataset
    alert = next(a for a in the_build.alerts if a.name == BUDGET_ALERT)
    tenant, at = d.topology.overspender, d.window(BUDGET_ALERT)[1] - 5 * 60
    budget = config.budgets.for_tenant(tenant)
    firing = server.prometheus.query(alert.prometheus_expr, at)["result"]
    (series,) = [s for s in firing if s["metric"].get("tenant_id") == tenant]
    spent = server.prometheus.query(f'tenant_id:llm_cost_dollars:increase24h{{tenant_id="{tenant}"}}', at)
    dollars = float(spent["result"][0]["value"][1])
    assert dollars > budget * config.thresholds.budget_utilisation_alert
    assert float(series["value"][1]) == pytest.approx(dollars / budget, rel=1e-3)  # rules evaluate apart
    assert series["metric"]["budget_usd"] == f"{budget:.2f}"
    description = template.render(alert.description, series["metric"], float(series["value"][1]))
    shown = template.humanize_percentage(float(series["value"][1]))
    assert f"spent {shown} of its daily budget of ${budget:.2f} " in description, description


def test_budget_alert_fires_for_the_overspender_only(live_run):
    the_build, config, server, report = live_run
    budget_alerts = [a for a in report.alerts if a.scenario == BUDGET_ALERT]
    assert budget_alerts and not any(a.problems for a in budget_alerts)
    assert_budget_alert_tells_utilisation_and_dollars(the_build, config, server)
    if server.dataset.topology.rich_tenant is not None:
        assert_budget_override_respected(config, server, report)


def test_results_are_recorded_for_previews(live_run, tmp_path):
    the_build, _, _, report = live_run
    path = tmp_path / "build" / "live-results.json"
    live.write_results(report, path)
    data = json.loads(path.read_text())
    assert set(data) == {"dashboards", "queries"}  # the queries the results came from, so stale ones show
    prometheus_uids = {t.dashboard_uid for t in report.targets}
    for uid, panels in data["dashboards"].items():
        assert set(data["queries"][uid]) == set(panels), uid
        model = next(d.model for d in the_build.dashboards if d.uid == uid)
        for panel_id, queries in data["queries"][uid].items():
            panel = next(p for p in panels_of(model) if str(p.get("id")) == panel_id)
            assert queries == [str(t.get("expr") or t.get("query") or "") for t in panel.get("targets") or []]
    assert set(data["dashboards"]) == {d.uid for d in the_build.dashboards}
    for uid in prometheus_uids:
        panels = data["dashboards"][uid]
        assert panels, uid
        for panel_id, series in panels.items():
            assert panel_id.isdigit() and 1 <= len(series) <= live.MAX_SERIES
            for s in series:
                assert isinstance(s["labels"], dict) and 1 <= len(s["values"]) <= live.MAX_POINTS
                assert all(isinstance(ts, int) and isinstance(v, float) for ts, v in s["values"])


def test_timings_stay_within_budget(live_run):
    _, _, _, report = live_run
    assert report.timings["total"] < 60, report.timings


def test_prometheus_is_stopped_when_the_check_fails(prometheus_binary, promtool):
    dataset = simulate(Config(), live.default_end(), SimOptions(duration=600))
    with pytest.raises(RuntimeError, match="boom"):
        with live_prometheus(dataset, {}, prometheus_binary, promtool) as server:
            process, workdir = server.prometheus.process, server.workdir
            assert process is not None and process.poll() is None
            raise RuntimeError("boom")
    assert process.poll() is not None
    assert not workdir.exists()
