"""--prune deletes only owned objects, in our folders, that are no longer generated; nothing else."""

from __future__ import annotations

import pytest
from grafana_builds import (  # noqa: F401
    FOLDER,
    OTHER_FOLDER,
    TOKEN,
    dashboard_model,
    double,
    make_build,
    no_proxies,
    rule,
    settings,
)

from agentgrafana.grafana import PushOptions, push
from agentgrafana.grafana.normalize import OWNER_TAG


def states(report):
    return {(r.kind, r.key): r.state for r in report.results}


def seed_unowned(double):
    """Dashboards and a rule group somebody made by hand, next to ours and elsewhere."""
    double.add_folder(OTHER_FOLDER.uid, OTHER_FOLDER.title)
    mine_too = dashboard_model("hand-made", "Hand made")
    mine_too["tags"] = ["ai-agents"]
    double.add_dashboard(mine_too, FOLDER.uid)
    double.add_dashboard(dashboard_model("their-board", "Their board"), OTHER_FOLDER.uid)  # owned tag, other folder
    double.add_rule(FOLDER.uid, "hand-rules", rule("hand-rule", "Hand rule", "up == 0"))


def test_without_prune_orphans_are_reported_not_deleted(double, settings):
    push(make_build(), settings)
    seed_unowned(double)
    double.reset_log()

    report = push(make_build(uids=("agent-overview", "agent-cost"), groups=()), settings)

    assert states(report)[("dashboard", "agent-tools")] == "orphaned"
    assert states(report)[("rule-group", "ai-agents/agent-alerts")] == "orphaned"
    assert "use --prune" in next(r.detail for r in report.results if r.key == "agent-tools")
    assert double.writes() == []
    assert report.exit_code == 0
    assert {"agent-tools", "hand-made", "their-board"} <= set(double.dashboards)
    assert not {"hand-made", "their-board", "ai-agents/hand-rules"} & {r.key for r in report.results}


def test_prune_deletes_owned_leftovers_and_nothing_else(double, settings):
    push(make_build(), settings)
    seed_unowned(double)
    double.reset_log()

    report = push(make_build(uids=("agent-overview", "agent-cost"), groups=()), settings, PushOptions(prune=True))

    assert report.exit_code == 0
    assert states(report)[("dashboard", "agent-tools")] == "deleted"
    assert states(report)[("rule-group", "ai-agents/agent-alerts")] == "deleted"
    assert sorted((r.method, r.path) for r in double.writes()) == [
        ("DELETE", "/api/dashboards/uid/agent-tools"),
        ("DELETE", "/api/v1/provisioning/alert-rules/agent-alerts-errors"),
        ("DELETE", "/api/v1/provisioning/alert-rules/agent-alerts-latency"),
    ]
    assert set(double.dashboards) == {"agent-overview", "agent-cost", "hand-made", "their-board"}
    assert set(double.rules) == {"hand-rule"}
    search = double.calls("GET", "/api/search")
    assert search and search[0].query["tag"] == [OWNER_TAG] and search[0].query["folderUIDs"] == [FOLDER.uid]
    double.reset_log()
    again = push(make_build(uids=("agent-overview", "agent-cost"), groups=()), settings, PushOptions(prune=True))
    assert double.writes() == [] and "deleted" not in again.counts()


def test_prune_leaves_a_group_holding_an_unowned_rule(double, settings):
    push(make_build(), settings)
    double.add_rule(FOLDER.uid, "agent-alerts", rule("hand-rule", "Hand rule", "up == 0"))
    double.reset_log()

    report = push(make_build(groups=()), settings, PushOptions(prune=True))

    assert ("rule-group", "ai-agents/agent-alerts") not in states(report)
    assert double.writes() == []
    assert len(double.rule_group(FOLDER.uid, "agent-alerts")["rules"]) == 3


def test_prune_of_an_edited_leftover_needs_force(double, settings):
    push(make_build(), settings)
    double.edit_dashboard("agent-tools", lambda m: m.update(title="Tools, annotated by hand"))
    smaller = make_build(uids=("agent-overview", "agent-cost"))
    double.reset_log()

    report = push(smaller, settings, PushOptions(prune=True))

    assert states(report)[("dashboard", "agent-tools")] == "conflict"
    assert double.writes() == [] and "agent-tools" in double.dashboards
    assert report.exit_code == 1

    forced = push(smaller, settings, PushOptions(prune=True, force=True))
    assert states(forced)[("dashboard", "agent-tools")] == "deleted"
    assert "agent-tools" not in double.dashboards


def test_search_is_paged(double, settings, monkeypatch):
    import agentgrafana.grafana.stores as stores

    monkeypatch.setattr(stores, "SEARCH_PAGE", 2)
    uids = tuple(f"agent-{i}" for i in range(5))
    push(make_build(uids=uids, groups=()), settings)
    double.reset_log()

    report = push(make_build(uids=uids[:1], groups=()), settings, PushOptions(prune=True))

    assert [r.query["page"] for r in double.calls("GET", "/api/search")] == [["1"], ["2"], ["3"]]
    assert report.counts() == {"unchanged": 2, "deleted": 4}  # folder, agent-0; four pruned
    assert set(double.dashboards) == {"agent-0"}


@pytest.mark.parametrize("version", ["11.6.0", "13.0.1"])
def test_prune_finds_removed_tenants_by_their_folders_not_by_the_configuration(version, monkeypatch, tmp_path):
    """12 tenants pushed, then 6: --prune deletes exactly the 6 removed tenants' dashboards and folders, through
    the legacy API on Grafana 11 and the app-platform API on 13."""
    from grafana_double import GrafanaDouble

    with GrafanaDouble(token=TOKEN, version=version) as double:
        _prune_tenants(double, version.startswith("13"), monkeypatch, tmp_path)
        assert double.errors == []


def _prune_tenants(double, apps: bool, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    import io

    from agentgrafana.cli import main

    dashboards = (
        "/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards/" if apps else "/api/dashboards/uid/"
    )
    folders = "/apis/folder.grafana.app/v1beta1/namespaces/default/folders/" if apps else "/api/folders/"

    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    root = __import__("pathlib").Path(__file__).resolve().parents[1]

    def push_tenants(n: int, *extra: str) -> tuple[int, str]:
        config = tmp_path / f"tenants-{n}.yaml"
        tenants = ", ".join(f"t{i:02d}: {50 + i}" for i in range(n))
        config.write_text(f"budgets:\n  tenants: {{{tenants}}}\n  per_tenant_dashboards: true\n")
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["push", "--root", str(root), "--config", str(config), "--from-source", "--url", double.url, *extra],
            stdout=out,
            stderr=err,
        )
        return code, out.getvalue() + err.getvalue()

    code, text = push_tenants(12)
    assert code == 0, text
    assert {f"ai-agents-t{i:02d}" for i in range(12)} <= set(double.folders)
    hand_made = dashboard_model("hand-made-t05", "Hand made in a tenant folder")
    hand_made["tags"] = ["ai-agents"]  # no ownership tag: not ours
    double.add_dashboard(hand_made, "ai-agents-t11")
    double.add_folder("ai-agents-staging", "AI Agents Staging")  # looks related, is not a tenant folder of ours

    code, text = push_tenants(6)
    assert code == 0, text
    assert text.count("orphaned  dashboard") == 6 and text.count("orphaned  folder") == 6
    assert set(double.folders) >= {f"ai-agents-t{i:02d}" for i in range(12)}  # nothing deleted without --prune

    double.reset_log()
    code, text = push_tenants(6, "--prune")
    assert code == 0, text
    deleted = sorted(w.path for w in double.writes() if w.method == "DELETE")
    removed = range(6, 12)
    assert [p for p in deleted if p.startswith(dashboards)] == [f"{dashboards}agent-cost-t{i:02d}" for i in removed]
    assert [p for p in deleted if p.startswith(folders)] == [
        f"{folders}ai-agents-t{i:02d}" for i in removed if i != 11
    ]  # t11 still holds a hand-made dashboard
    assert set(double.folders) == {
        "ai-agents",
        "ai-agents-staging",
        "ai-agents-t11",
        *(f"ai-agents-t{i:02d}" for i in range(6)),
    }
    assert "hand-made-t05" in double.dashboards and "left alone" in text
    double.reset_log()
    code, text = push_tenants(6, "--prune")
    assert code == 0 and [w for w in double.writes()] == []
