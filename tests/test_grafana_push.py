"""Push to the Grafana double: first push creates everything, a repeat writes nothing, a change writes once."""

from __future__ import annotations

import copy

from grafana_builds import TOKEN, UIDS, double, make_build, no_proxies, settings, settings_for, with_expr  # noqa: F401
from grafana_double import GrafanaDouble

from agentgrafana.grafana import PushOptions, push
from agentgrafana.grafana.normalize import HASH_TAG_PREFIX, OWNER_TAG, dashboard_content_hash, recorded_hash


def states(report):
    return {(r.kind, r.key): r.state for r in report.results}


def test_first_push_creates_folder_dashboards_and_rule_group(double, settings):
    build = make_build()
    report = push(build, settings, PushOptions(message="agentgrafana push abc1234"))

    assert report.exit_code == 0
    assert states(report) == {
        ("folder", "ai-agents"): "created",
        **{("dashboard", uid): "created" for uid in UIDS},
        ("rule-group", "ai-agents/agent-alerts"): "created",
    }
    assert [(r.method, r.path) for r in double.writes()] == (
        [("POST", "/api/folders")]
        + [("POST", "/api/dashboards/db")] * 3
        + [("PUT", "/api/v1/provisioning/folder/ai-agents/rule-groups/agent-alerts")]
    )
    assert double.folders["ai-agents"]["title"] == "AI Agents"
    for uid in UIDS:
        stored = double.dashboards[uid]
        assert stored.folder_uid == "ai-agents" and stored.version == 1
        assert stored.message == "agentgrafana push abc1234"
        assert OWNER_TAG in stored.model["tags"]
        assert recorded_hash(stored.model) == dashboard_content_hash(stored.model)
    group = double.rule_group("ai-agents", "agent-alerts")
    assert group["interval"] == 60
    assert [r["uid"] for r in group["rules"]] == ["agent-alerts-latency", "agent-alerts-errors"]
    assert {r["provenance"] for r in group["rules"]} == {"api"}
    assert all(r["labels"] == {"severity": "warning", "managed_by": "agentgrafana"} for r in group["rules"])
    assert group["rules"][1]["for"] == "10m"
    # the report counts what the double saw
    seen: dict[str, int] = {}
    for r in double.requests:
        seen[r.method] = seen.get(r.method, 0) + 1
    assert report.requests == seen and report.retries == 0


def test_second_push_writes_nothing(double, settings):
    build = make_build()
    push(build, settings)
    double.reset_log()

    report = push(build, settings)

    assert double.writes() == []
    assert set(states(report).values()) == {"unchanged"}
    assert report.exit_code == 0 and set(report.requests) == {"GET"}


def test_changing_one_query_writes_exactly_one_dashboard(double, settings):
    build = make_build()
    push(build, settings)
    double.reset_log()

    report = push(with_expr(build, "agent-cost", "sum(rate(agent_cost_usd_total[5m]))"), settings)

    assert [(r.method, r.path) for r in double.writes()] == [("POST", "/api/dashboards/db")]
    assert states(report)[("dashboard", "agent-cost")] == "updated"
    stored = double.dashboards["agent-cost"]
    assert stored.version == 2
    assert stored.model["panels"][0]["targets"][0]["expr"] == "sum(rate(agent_cost_usd_total[5m]))"
    assert len([t for t in stored.model["tags"] if t.startswith(HASH_TAG_PREFIX)]) == 1
    assert "agent_cost_usd_total" in next(r.diff for r in report.results if r.key == "agent-cost")
    double.reset_log()
    push(with_expr(build, "agent-cost", "sum(rate(agent_cost_usd_total[5m]))"), settings)
    assert double.writes() == []


def test_changing_a_threshold_puts_exactly_the_group(double, settings):
    build = make_build()
    push(build, settings)
    double.reset_log()
    changed = copy.deepcopy(build)
    changed.grafana_rule_groups[0].rules[0]["data"][2]["model"]["conditions"][0]["evaluator"]["params"] = [45]

    report = push(changed, settings)

    assert [(r.method, r.path) for r in double.writes()] == [
        ("PUT", "/api/v1/provisioning/folder/ai-agents/rule-groups/agent-alerts")
    ]
    assert states(report)[("rule-group", "ai-agents/agent-alerts")] == "updated"
    stored = double.rule_group("ai-agents", "agent-alerts")["rules"][0]
    assert stored["data"][2]["model"]["conditions"][0]["evaluator"]["params"] == [45]


def test_editable_rules_send_disable_provenance(double, settings):
    push(make_build(), settings, PushOptions(disable_provenance=True))

    puts = double.calls("PUT")
    assert len(puts) == 1 and puts[0].disable_provenance
    assert {r["provenance"] for r in double.rule_group("ai-agents", "agent-alerts")["rules"]} == {""}
    double.reset_log()
    push(make_build(), settings, PushOptions(disable_provenance=True))
    assert double.writes() == []


def test_dry_run_plans_without_writing(double, settings):
    report = push(make_build(), settings, PushOptions(dry_run=True))

    assert double.writes() == []
    assert report.dry_run and report.exit_code == 0
    assert report.counts() == {"create": 5}
    assert double.dashboards == {} and double.folders == {}


def test_org_id_header_and_basic_auth(double):
    double.user, double.password = "admin", "s3cret pass"
    settings = settings_for(double.url, token=None, user="admin", password="s3cret pass", org_id=3)

    report = push(make_build(), settings)

    assert report.exit_code == 0
    authed = [r for r in double.requests if r.path != "/api/health"]
    assert authed and all(r.org_id == "3" and r.auth == "basic" for r in authed)
    assert {r["orgID"] for r in double.rule_group("ai-agents", "agent-alerts")["rules"]} == {3}


def test_a_netrc_entry_does_not_replace_the_token(double, settings, tmp_path, monkeypatch):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password elsewhere\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))

    assert push(make_build(), settings).exit_code == 0

    authed = [r for r in double.requests if r.path != "/api/health"]
    assert authed and {r.auth for r in authed} == {"bearer"}


def test_dashboard_writes_are_concurrent_but_bounded():
    with GrafanaDouble(token=TOKEN, latency=0.05) as server:
        build = make_build(uids=tuple(f"agent-{i}" for i in range(9)), groups=())
        report = push(build, settings_for(server.url, concurrency=3))

        assert report.exit_code == 0
        assert len(server.dashboards) == 9
        assert 2 <= server.max_in_flight[("POST", "/api/dashboards/db")] <= 3


def test_moving_a_dashboard_back_to_our_folder_is_an_update(double, settings):
    build = make_build()
    push(build, settings)
    double.add_folder("elsewhere", "Elsewhere")
    double.dashboards["agent-tools"].folder_uid = "elsewhere"  # moved in the UI: content unchanged
    double.reset_log()

    report = push(build, settings)

    assert states(report)[("dashboard", "agent-tools")] == "updated"
    assert double.dashboards["agent-tools"].folder_uid == "ai-agents"
    assert len(double.writes()) == 1


def test_model_without_owner_tag_gets_it(double, settings):
    build = make_build(uids=("agent-overview",), groups=())
    build.dashboards[0].model["tags"] = ["ai-agents"]

    push(build, settings)

    assert OWNER_TAG in double.dashboards["agent-overview"].model["tags"]
