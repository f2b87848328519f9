"""Dashboards edited in Grafana since our last push are conflicts: reported with a diff, written only with --force."""

from __future__ import annotations

import copy

from grafana_builds import FOLDER, dashboard_model, double, make_build, no_proxies, rule, settings, with_expr  # noqa: F401

from agentgrafana.grafana import GrafanaClient, PushOptions, apply_plan, make_plan, push


def result(report, key):
    return next(r for r in report.results if r.key == key)


def retitle_panel(model):
    model["panels"][0]["title"] = "Edited in the UI"


def test_ui_edit_is_a_conflict_and_is_not_overwritten(double, settings):
    build = make_build()
    push(build, settings)
    double.edit_dashboard("agent-cost", retitle_panel)
    double.reset_log()

    report = push(build, settings)

    cost = result(report, "agent-cost")
    assert cost.state == "conflict" and "edited in Grafana since the last push" in cost.detail
    assert '-        "title": "Edited in the UI"' in cost.diff
    assert '+        "title": "Requests per second"' in cost.diff
    assert double.writes() == []
    assert double.dashboards["agent-cost"].model["panels"][0]["title"] == "Edited in the UI"
    assert double.dashboards["agent-cost"].version == 2
    assert report.exit_code == 1
    assert {result(report, uid).state for uid in ("agent-overview", "agent-tools")} == {"unchanged"}


def test_force_overwrites_the_ui_edit(double, settings):
    build = make_build()
    push(build, settings)
    double.edit_dashboard("agent-cost", retitle_panel)
    double.reset_log()

    report = push(build, settings, PushOptions(force=True))

    cost = result(report, "agent-cost")
    assert cost.state == "updated" and "forced over a conflict" in cost.detail
    assert [(r.method, r.path) for r in double.writes()] == [("POST", "/api/dashboards/db")]
    assert double.dashboards["agent-cost"].model["panels"][0]["title"] == "Requests per second"
    assert double.dashboards["agent-cost"].version == 3
    assert report.exit_code == 0
    double.reset_log()
    assert push(build, settings).exit_code == 0 and double.writes() == []


def test_ui_edit_and_new_generated_version_is_a_conflict(double, settings):
    build = make_build()
    push(build, settings)
    double.edit_dashboard("agent-cost", retitle_panel)
    double.reset_log()

    report = push(with_expr(build, "agent-cost", "sum(agent_cost_usd_total)"), settings)

    assert result(report, "agent-cost").state == "conflict"
    assert double.writes() == []


def test_ui_edit_that_matches_the_build_is_not_a_conflict(double, settings):
    build = make_build()
    push(build, settings)
    changed = with_expr(build, "agent-cost", "sum(agent_cost_usd_total)")
    double.edit_dashboard("agent-cost", lambda m: m["panels"][0]["targets"][0].update(expr="sum(agent_cost_usd_total)"))
    double.reset_log()

    report = push(changed, settings)

    # same content, only our hash tag is stale: refresh it, no conflict
    assert result(report, "agent-cost").state == "updated"
    double.reset_log()
    assert push(changed, settings).exit_code == 0 and double.writes() == []


def test_unowned_dashboard_with_a_generated_uid_is_a_conflict(double, settings):
    double.add_folder(FOLDER.uid, FOLDER.title)
    theirs = dashboard_model("agent-tools", "Somebody's tools board")
    theirs["tags"] = ["team-x"]
    double.add_dashboard(theirs, FOLDER.uid)

    report = push(make_build(), settings)

    tools = result(report, "agent-tools")
    assert tools.state == "conflict" and "without the managed-by-agentgrafana tag" in tools.detail
    assert double.dashboards["agent-tools"].model["title"] == "Somebody's tools board"
    assert [r.path for r in double.writes()] == ["/api/dashboards/db"] * 2 + [  # the two others, and the group
        "/api/v1/provisioning/folder/ai-agents/rule-groups/agent-alerts"
    ]


def test_edit_between_plan_and_write_is_refused_by_version(double, settings):
    build = make_build()
    push(build, settings)
    changed = with_expr(build, "agent-cost", "sum(agent_cost_usd_total)")
    with GrafanaClient(settings) as client:
        plan = make_plan(client, changed, PushOptions())
        double.edit_dashboard("agent-cost", retitle_panel)  # lands after we read it
        results = apply_plan(client, plan, PushOptions())

    cost = next(r for r in results if r.key == "agent-cost")
    assert cost.state == "failed" and "HTTP 412" in cost.detail and "run again" in cost.detail
    assert double.dashboards["agent-cost"].model["panels"][0]["title"] == "Edited in the UI"


def test_unowned_rule_in_our_group_is_a_conflict(double, settings):
    build = make_build()
    push(build, settings)
    theirs = rule("hand-made", "Added in the UI", "up == 0")
    double.add_rule("ai-agents", "agent-alerts", theirs)
    double.reset_log()

    report = push(build, settings)

    group = result(report, "ai-agents/agent-alerts")
    assert group.state == "conflict" and "Added in the UI" in group.detail
    assert double.writes() == []
    assert "hand-made" in double.rules

    double.reset_log()
    forced = push(build, settings, PushOptions(force=True))
    assert result(forced, "ai-agents/agent-alerts").state == "updated"
    assert len(double.writes()) == 1 and "hand-made" not in double.rules


def test_rule_group_read_back_in_grafana_shape_is_unchanged(double, settings):
    """Grafana answers `for` as "5m", adds orgID, id, updated, provenance and model defaults: no phantom diff."""
    build = make_build()
    push(build, settings)
    for stored in double.rules.values():
        for query in stored["data"]:
            if query["refId"] == "A":
                query["model"].update(intervalMs=1000, maxDataPoints=43200)
    double.reset_log()

    report = push(copy.deepcopy(build), settings)

    assert result(report, "ai-agents/agent-alerts").state == "unchanged"
    assert double.writes() == []
