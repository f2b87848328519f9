"""Push over the app-platform API (Grafana 12+) to the double, which serves it strictly; and the legacy API for 11.x."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from grafana_builds import TOKEN, UIDS, make_build, no_proxies, settings_for, with_expr  # noqa: F401
from grafana_double import GrafanaDouble

import agentgrafana.grafana.stores as stores
from agentgrafana.grafana import GrafanaClient, PushOptions, apply_plan, make_plan, push
from agentgrafana.grafana.stores import AppsStore, LegacyStore, major_version, store_for

DASHBOARDS = "/apis/dashboard.grafana.app/v1beta1/namespaces/default/dashboards"
FOLDERS = "/apis/folder.grafana.app/v1beta1/namespaces/default/folders"
LEGACY_PATHS = ("/api/dashboards", "/api/folders", "/api/search")


@pytest.fixture
def grafana13() -> Iterator[GrafanaDouble]:
    with GrafanaDouble(token=TOKEN, version="13.0.1") as server:
        yield server
        assert server.errors == []


def states(report):
    return {(r.kind, r.key): r.state for r in report.results}


def legacy_calls(double: GrafanaDouble) -> list[str]:
    return [f"{r.method} {r.path}" for r in double.requests if r.path.startswith(LEGACY_PATHS)]


def test_first_push_creates_everything_through_the_app_platform_api(grafana13) -> None:
    report = push(make_build(), settings_for(grafana13.url))
    assert report.exit_code == 0 and report.api == "apps"
    assert set(states(report).values()) == {"created"}
    assert legacy_calls(grafana13) == []  # nothing through the deprecated API
    posts = {r.path for r in grafana13.calls("POST")}
    assert posts == {FOLDERS, DASHBOARDS}
    assert len(grafana13.calls("POST", DASHBOARDS)) == len(UIDS)
    for uid in UIDS:
        stored = grafana13.dashboards[uid]
        assert stored.folder_uid == "ai-agents" and stored.labels["app.kubernetes.io/managed-by"] == "agentgrafana"
        assert stored.message.startswith("agentgrafana push")
    body = grafana13.calls("POST", DASHBOARDS)[0].body
    assert body["kind"] == "Dashboard" and "resourceVersion" not in body["metadata"]
    assert {"id", "uid", "version"}.isdisjoint(body["spec"])
    # rule groups stay on the provisioning API
    assert grafana13.calls("PUT", "/api/v1/provisioning/folder/ai-agents/rule-groups/")


def test_a_second_push_writes_nothing_and_reads_one_listing(grafana13) -> None:
    settings = settings_for(grafana13.url)
    push(make_build(), settings)
    grafana13.reset_log()
    report = push(make_build(), settings)
    assert set(states(report).values()) == {"unchanged"}
    assert grafana13.writes() == []
    # one page of dashboards (with their specs) and one of folders: no read per dashboard
    assert len(grafana13.calls("GET", DASHBOARDS)) == 1 and len(grafana13.calls("GET", FOLDERS)) == 1
    assert report.requests == {"GET": 5}  # health, folders, dashboards, alert rules, the rule group


def test_a_one_panel_change_is_one_update_carrying_the_resource_version_read(grafana13) -> None:
    settings = settings_for(grafana13.url)
    build = make_build()
    push(build, settings)
    before = grafana13.dashboards[UIDS[1]]
    grafana13.reset_log()
    report = push(with_expr(build, UIDS[1], "sum(rate(agent_requests_total[10m]))"), settings)
    assert states(report)[("dashboard", UIDS[1])] == "updated"
    assert [(r.method, r.path) for r in grafana13.writes()] == [("PUT", f"{DASHBOARDS}/{UIDS[1]}")]
    sent = grafana13.writes()[0].body
    assert sent["metadata"]["resourceVersion"] == before.resource_version
    after = grafana13.dashboards[UIDS[1]]
    assert after.generation == before.generation + 1 and after.resource_version != before.resource_version


def test_an_edit_in_grafana_is_a_conflict_and_force_overwrites_it(grafana13) -> None:
    settings = settings_for(grafana13.url)
    build = make_build()
    push(build, settings)
    grafana13.edit_dashboard(UIDS[0], lambda m: m.update(title="Edited in the UI"))
    grafana13.reset_log()
    changed = with_expr(build, UIDS[0], "sum(rate(agent_requests_total[15m]))")
    report = push(changed, settings)
    assert states(report)[("dashboard", UIDS[0])] == "conflict" and report.exit_code == 1
    assert grafana13.writes() == []
    forced = push(changed, settings, PushOptions(force=True))
    assert states(forced)[("dashboard", UIDS[0])] == "updated"
    put = grafana13.calls("PUT", f"{DASHBOARDS}/{UIDS[0]}")[-1].body
    assert "resourceVersion" not in put["metadata"]  # --force: an unchecked overwrite
    assert grafana13.dashboards[UIDS[0]].model["title"] != "Edited in the UI"


def test_a_save_between_plan_and_write_is_reported_not_overwritten(grafana13) -> None:
    settings = settings_for(grafana13.url)
    build = make_build()
    push(build, settings)
    changed = with_expr(build, UIDS[2], "sum(rate(agent_requests_total[20m]))")
    with GrafanaClient(settings) as client:
        store = AppsStore(client)
        plan = make_plan(client, changed, PushOptions(), store)
        grafana13.edit_dashboard(UIDS[2], lambda m: m.update(description="saved meanwhile"))
        results = {r.key: r for r in apply_plan(client, plan, PushOptions(), store=store)}
    failed = results[UIDS[2]]
    assert failed.state == "failed" and "409" in failed.detail and "run again to re-plan" in failed.detail
    assert "modified" in failed.detail  # the Status message, named as Grafana gives it
    assert grafana13.dashboards[UIDS[2]].model.get("description") == "saved meanwhile"


def test_listings_follow_continue_until_it_is_absent(grafana13, monkeypatch) -> None:
    monkeypatch.setattr(stores, "APPS_PAGE", 2)
    settings = settings_for(grafana13.url)
    uids = tuple(f"agent-{i}" for i in range(5))
    push(make_build(uids=uids), settings)
    grafana13.reset_log()
    report = push(make_build(uids=uids), settings)
    assert set(states(report).values()) == {"unchanged"}
    pages = grafana13.calls("GET", DASHBOARDS)
    assert len(pages) == 3 and [bool(p.query.get("continue")) for p in pages] == [False, True, True]


def test_a_listing_past_the_page_bound_is_stopped(grafana13, monkeypatch) -> None:
    """The bound that stops a server whose `continue` never ends (200 pages; 3 here)."""
    settings = settings_for(grafana13.url)
    uids = tuple(f"agent-{i}" for i in range(5))
    push(make_build(uids=uids), settings)
    monkeypatch.setattr(stores, "APPS_PAGE", 1)
    monkeypatch.setattr(stores, "MAX_PAGES", 3)
    with pytest.raises(Exception, match="more than 3 pages"):
        push(make_build(uids=uids), settings)


def test_prune_deletes_through_the_app_platform_api(grafana13) -> None:
    settings = settings_for(grafana13.url)
    push(make_build(), settings)
    grafana13.reset_log()
    report = push(make_build(uids=UIDS[:2]), settings, PushOptions(prune=True))
    assert states(report)[("dashboard", UIDS[2])] == "deleted"
    assert [(r.method, r.path) for r in grafana13.writes()] == [("DELETE", f"{DASHBOARDS}/{UIDS[2]}")]
    assert UIDS[2] not in grafana13.dashboards


def test_grafana_11_gets_the_legacy_api_and_a_hidden_version_too() -> None:
    for version in ("11.6.0", None):
        with GrafanaDouble(token=TOKEN, version=version) as server:
            report = push(make_build(), settings_for(server.url))
            assert report.api == "legacy" and report.exit_code == 0
            assert not server.calls(path="/apis/") and server.calls("POST", "/api/dashboards/db")


def test_forcing_apps_on_grafana_11_fails_with_a_clear_message() -> None:
    with GrafanaDouble(token=TOKEN, version="11.6.0") as server:
        with pytest.raises(Exception) as caught:
            push(make_build(), settings_for(server.url), PushOptions(api="apps"))
    assert "list of folders: HTTP 404" in str(caught.value)


def test_the_store_follows_grafana_api_and_the_health_version() -> None:
    client = GrafanaClient(settings_for("http://127.0.0.1:1"))
    assert major_version({"version": "12.4.1"}) == 12 and major_version({"version": "13.0.0-pre"}) == 13
    assert major_version({}) is None and major_version({"version": "weird"}) is None
    assert isinstance(store_for(client, "auto", "default", {"version": "12.0.0"}), AppsStore)
    assert isinstance(store_for(client, "auto", "default", {"version": "11.6.3"}), LegacyStore)
    assert isinstance(store_for(client, "auto", "default", {}), LegacyStore)
    assert isinstance(store_for(client, "legacy", "default", {"version": "13.0.0"}), LegacyStore)
    stacks = store_for(client, "apps", "stacks-123", {"version": "11.6.0"})
    assert isinstance(stacks, AppsStore) and stacks.namespace == "stacks-123"


def test_the_double_is_strict_like_the_app_platform(grafana13) -> None:
    """What the store relies on the double to refuse, so a client bug shows up here as it would on Grafana."""
    settings = settings_for(grafana13.url)
    push(make_build(), settings)
    with GrafanaClient(settings) as client:
        body = {
            "apiVersion": "dashboard.grafana.app/v1beta1",
            "kind": "Dashboard",
            "metadata": {"name": UIDS[0]},
            "spec": {"title": "x", "schemaVersion": 42},
        }
        cases = [
            ("POST", DASHBOARDS, body, 409, "AlreadyExists"),
            ("POST", DASHBOARDS, {**body, "metadata": {"name": "new-one", "resourceVersion": "1"}}, 400, "BadRequest"),
            (
                "PUT",
                f"{DASHBOARDS}/{UIDS[0]}",
                {**body, "metadata": {"name": UIDS[0], "resourceVersion": "1"}},
                409,
                "Conflict",
            ),
            (
                "POST",
                DASHBOARDS,
                {**body, "metadata": {"name": "new-two", "annotations": {"grafana.app/folder": "nope"}}},
                404,
                "NotFound",
            ),
            ("POST", DASHBOARDS, {**body, "metadata": {"name": "bad/name"}}, 400, "BadRequest"),
            (
                "POST",
                DASHBOARDS,
                {**body, "metadata": {"name": "new-3"}, "spec": {"title": "x", "schemaVersion": 99}},
                422,
                "Invalid",
            ),
        ]
        for method, path, sent, code, reason in cases:
            with pytest.raises(Exception) as caught:
                client.request(method, path, body=sent)
            assert getattr(caught.value, "status", None) == code, (method, sent, caught.value)
            assert reason in str(caught.value), (reason, str(caught.value))
