"""The requests a push makes: list reads instead of one read per object, only existing objects read, in parallel."""

from __future__ import annotations

import pytest
from grafana_builds import (  # noqa: F401
    FOLDER,
    TOKEN,
    dashboard,
    dashboard_model,
    double,
    no_proxies,
    rule_group,
    settings,
    settings_for,
    with_expr,
)
from grafana_double import Fault, GrafanaDouble

import agentgrafana.grafana.plan as plan_module
import agentgrafana.grafana.stores as stores
from agentgrafana.grafana import PushOptions, push
from agentgrafana.model import Build, Folder

TENANTS = 12


def per_tenant_build(tenants: int = TENANTS) -> Build:
    """One dashboard per tenant, each in its own folder, plus a rule group in the shared folder."""
    dashboards = [
        dashboard(f"tenant-{i}-cost", f"Tenant {i} cost", Folder(f"tenant-{i}", f"Tenant {i}")) for i in range(tenants)
    ]
    return Build(dashboards, [], [rule_group()], files={})


def gets(double: GrafanaDouble, path: str = "") -> list[str]:
    return [r.path for r in double.calls("GET", path)]


def states(report) -> dict[str, str]:
    return {r.key: r.state for r in report.results}


def test_first_push_lists_folders_once_and_reads_nothing_that_does_not_exist(double, settings):
    report = push(per_tenant_build(), settings)

    assert report.exit_code == 0 and set(states(report).values()) == {"created"}
    assert gets(double, "/api/folders") == ["/api/folders"]  # one list, no GET per folder
    assert len(double.calls("POST", "/api/folders")) == TENANTS + 1
    assert gets(double, "/api/dashboards/uid/") == []  # nothing to read: the search found none
    assert gets(double, "/api/v1/provisioning/folder/") == []  # no rules listed in that group
    assert sorted(gets(double)) == sorted(
        ["/api/health", "/api/folders", "/api/search", "/api/search", "/api/v1/provisioning/alert-rules"]
    )
    owned, by_uid = double.calls("GET", "/api/search")
    assert owned.query["tag"] and "dashboardUIDs" not in owned.query
    assert sorted(by_uid.query["dashboardUIDs"]) == sorted(d.uid for d in per_tenant_build().dashboards)
    assert "tag" not in by_uid.query  # unowned dashboards with our uids must be found too


def test_no_op_re_push_writes_nothing_and_reads_each_object_once(double, settings):
    build = per_tenant_build()
    push(build, settings)
    double.reset_log()

    report = push(build, settings)

    assert double.writes() == [] and set(states(report).values()) == {"unchanged"}
    assert gets(double, "/api/folders") == ["/api/folders"]
    assert sorted(gets(double, "/api/dashboards/uid/")) == sorted(
        f"/api/dashboards/uid/{d.uid}" for d in build.dashboards
    )
    assert gets(double, "/api/v1/provisioning/folder/") == [
        "/api/v1/provisioning/folder/ai-agents/rule-groups/agent-alerts"
    ]
    assert len(double.calls("GET", "/api/search")) == 1  # the owned search found every generated dashboard
    assert len(double.calls("GET")) == 1 + 1 + 1 + TENANTS + 1 + 1  # health, folders, search, dashboards, rules, group


def test_only_dashboards_that_exist_are_read(double, settings):
    build = per_tenant_build()
    double.add_folder("tenant-3", "Tenant 3")
    theirs = dashboard_model("tenant-3-cost", "Somebody's board")
    theirs["tags"] = ["team-x"]  # not ours, so only the search by uid can find it
    double.add_dashboard(theirs, "tenant-3")

    report = push(build, settings)

    assert gets(double, "/api/dashboards/uid/") == ["/api/dashboards/uid/tenant-3-cost"]
    assert states(report)["tenant-3-cost"] == "conflict"
    assert states(report)["tenant-3"] == "unchanged"
    assert len(double.calls("POST", "/api/folders")) == TENANTS  # the other tenants' folders and ai-agents


def test_a_dashboard_gone_between_search_and_read_is_created(double, settings):
    build = per_tenant_build(1)
    double.add_folder("tenant-0", "Tenant 0")
    double.add_dashboard(dashboard_model("tenant-0-cost", "Old"), "tenant-0")
    double.script_faults([Fault.http(404)], path="/api/dashboards/uid/tenant-0-cost", method="GET")

    report = push(build, settings, PushOptions(dry_run=True))

    assert states(report)["tenant-0-cost"] == "create"


def test_searches_by_uid_are_split_to_keep_urls_short(double, settings, monkeypatch):
    monkeypatch.setattr(stores, "QUERY_BUDGET", 100)
    build = per_tenant_build()
    for d in build.dashboards:  # unowned copies: the search by uid must find every one, in any batch
        double.add_folder(d.folder.uid, d.folder.title)
        double.add_dashboard({**d.model, "tags": ["team-x"]}, d.folder.uid)
    double.reset_log()

    report = push(build, settings, PushOptions(dry_run=True))

    batches = [r.query["dashboardUIDs"] for r in double.calls("GET", "/api/search") if "dashboardUIDs" in r.query]
    assert len(batches) > 1 and all(sum(len("&dashboardUIDs=" + u) for u in b) <= 100 for b in batches)
    assert sorted(u for b in batches for u in b) == sorted(d.uid for d in build.dashboards)
    assert {states(report)[d.uid] for d in build.dashboards} == {"conflict"}
    folder_batches = [r.query["folderUIDs"] for r in double.calls("GET", "/api/search") if "folderUIDs" in r.query]
    assert len(folder_batches) > 1 and sorted(u for b in folder_batches for u in b) == sorted(
        f.uid for f in build.folders
    )


def test_folder_list_is_paged(double, settings, monkeypatch):
    monkeypatch.setattr(stores, "FOLDER_PAGE", 2)
    build = per_tenant_build(4)
    for folder in build.folders:
        double.add_folder(folder.uid, folder.title)

    report = push(build, settings, PushOptions(dry_run=True))

    assert [r.query["page"] for r in double.calls("GET", "/api/folders")] == [["1"], ["2"], ["3"]]
    assert {states(report)[f.uid] for f in build.folders} == {"unchanged"}


@pytest.mark.parametrize("concurrency", [1, 3])
def test_folder_creates_and_reads_are_parallel_but_bounded(concurrency):
    with GrafanaDouble(token=TOKEN, latency=0.015) as server:
        build = per_tenant_build(9)
        settings = settings_for(server.url, concurrency=concurrency)
        assert push(build, settings).exit_code == 0
        assert server.max_in_flight[("POST", "/api/folders")] == concurrency
        server.reset_log()

        assert push(build, settings).exit_code == 0
        assert server.max_in_flight[("GET", "*")] == concurrency
        assert server.writes() == []


def test_folder_that_fails_to_be_created_holds_back_only_what_is_in_it(double, settings):
    double.script_faults([Fault.http(400)], path="/api/folders", method="POST")  # whichever create comes first
    build = per_tenant_build(4)

    report = push(build, settings)  # folders created in parallel

    failed_folders = [r.key for r in report.of("failed") if r.kind == "folder"]
    assert len(failed_folders) == 1
    held_back = {d.uid for d in build.dashboards if d.folder.uid == failed_folders[0]}
    held_back |= {f"{g.folder.uid}/{g.name}" for g in build.grafana_rule_groups if g.folder.uid == failed_folders[0]}
    assert held_back and {r.key: r.detail for r in report.of("failed") if r.kind != "folder"} == {
        key: f"not attempted: folder {failed_folders[0]} could not be created" for key in held_back
    }
    assert len(report.of("created")) == len(report.results) - 1 - len(held_back)


def test_only_changed_objects_are_pretty_printed(double, settings, monkeypatch):
    build = per_tenant_build()
    push(build, settings)
    printed = []
    real = plan_module.pretty
    monkeypatch.setattr(plan_module, "pretty", lambda value: printed.append(value) or real(value))

    report = push(with_expr(build, "tenant-5-cost", "sum(agent_cost_usd_total)"), settings)

    assert states(report)["tenant-5-cost"] == "updated"
    assert len(printed) == 2  # the updated dashboard's two sides, for its diff; nothing for the unchanged ones


def test_a_dashboard_grafana_saved_with_defaults_spelled_out_is_unchanged(double, settings):
    build = per_tenant_build(2)
    push(build, settings)

    def as_the_ui_saves(model):
        model.update(weekStart="", liveNow=False, links=[])
        model["panels"][0]["pluginVersion"] = "11.6.0"
        model["annotations"] = {"list": [{"builtIn": 1, "name": "Annotations & Alerts", "enable": True}]}

    double.edit_dashboard("tenant-1-cost", as_the_ui_saves)
    double.reset_log()

    report = push(build, settings)

    assert states(report)["tenant-1-cost"] == "unchanged" and double.writes() == []
