"""The Grafana double answers like the reference page says; the push tests are only as good as it is."""

from __future__ import annotations

import pytest
import requests
from grafana_builds import FOLDER, TOKEN, dashboard_model, double, no_proxies, rule  # noqa: F401
from grafana_double import DROP, Fault, GrafanaDouble

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def call(double: GrafanaDouble, method: str, path: str, **kw) -> requests.Response:
    headers = {**AUTH, **kw.pop("headers", {})}
    return requests.request(method, double.url + path, headers=headers, timeout=5, **kw)


def save(double, dashboard, **body):
    return call(double, "POST", "/api/dashboards/db", json={"dashboard": dashboard, **body})


def group_body(interval=60, rules=None):
    return {
        "title": "g",
        "folderUid": FOLDER.uid,
        "interval": interval,
        "rules": rules if rules is not None else [rule("r1", "Rule one", "up == 0")],
    }


def test_health_needs_no_auth_and_reports_the_database(double):
    assert requests.get(double.url + "/api/health", timeout=5).json()["database"] == "ok"
    double.healthy = False
    answer = requests.get(double.url + "/api/health", timeout=5)
    assert answer.status_code == 503 and answer.json()["database"] == "failing"


def test_auth(double):
    wrong = requests.get(double.url + "/api/folders", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.json() == {"message": "Invalid API key", "messageId": "api-key.invalid", "statusCode": 401}
    assert requests.get(double.url + "/api/folders", timeout=5).status_code == 401
    double.read_only_token = "ro"
    ro = {"Authorization": "Bearer ro"}
    assert requests.get(double.url + "/api/folders", headers=ro, timeout=5).status_code == 200
    denied = requests.post(double.url + "/api/folders", json={"title": "x"}, headers=ro, timeout=5)
    assert denied.status_code == 403 and "dashboards:write" in denied.json()["message"]
    double.user, double.password = "admin", "pw"
    assert requests.get(double.url + "/api/folders", auth=("admin", "pw"), timeout=5).status_code == 200
    assert requests.get(double.url + "/api/folders", auth=("admin", "no"), timeout=5).status_code == 401


def test_folders(double):
    created = call(double, "POST", "/api/folders", json={"uid": FOLDER.uid, "title": FOLDER.title})
    assert created.status_code == 200 and created.json()["uid"] == FOLDER.uid
    assert call(double, "POST", "/api/folders", json={"uid": FOLDER.uid, "title": "Again"}).status_code == 409
    assert call(double, "POST", "/api/folders", json={"uid": "x", "title": ""}).status_code == 400
    assert call(double, "POST", "/api/folders", data=b"{not json").status_code == 400
    assert call(double, "GET", f"/api/folders/{FOLDER.uid}").json()["title"] == FOLDER.title
    missing = call(double, "GET", "/api/folders/nope")
    assert missing.status_code == 404 and missing.json() == {"status": "not-found", "message": "folder not found"}
    assert [f["uid"] for f in call(double, "GET", "/api/folders").json()] == [FOLDER.uid]


def test_folder_list_is_paged_and_shows_one_level(double):
    for i in range(5):
        call(double, "POST", "/api/folders", json={"uid": f"f{i}", "title": f"Folder {i}"})
    call(double, "POST", "/api/folders", json={"uid": "child", "title": "A child", "parentUid": "f0"})

    def listed(**params):
        return [f["uid"] for f in call(double, "GET", "/api/folders", params=params).json()]

    assert listed() == ["f0", "f1", "f2", "f3", "f4"]  # top level only
    assert [listed(limit=2, page=p) for p in (1, 2, 3)] == [["f0", "f1"], ["f2", "f3"], ["f4"]]
    assert listed(parentUid="f0") == ["child"]


def test_dashboard_save_versions_and_errors(double):
    double.add_folder(FOLDER.uid, FOLDER.title)
    model = dashboard_model("d1", "One")
    first = save(double, model, folderUid=FOLDER.uid, message="m1")
    assert first.status_code == 200
    assert first.json() == {
        "id": first.json()["id"],
        "uid": "d1",
        "url": "/d/d1/one",
        "status": "success",
        "version": 1,
        "slug": "one",
    }
    stale = save(double, model, folderUid=FOLDER.uid)
    assert stale.status_code == 412 and stale.json()["status"] == "version-mismatch"
    assert save(double, {**model, "version": 1}, folderUid=FOLDER.uid).json()["version"] == 2
    assert save(double, model, folderUid=FOLDER.uid, overwrite=True).json()["version"] == 3
    unknown = save(double, model, folderUid="nope", overwrite=True)
    assert unknown.status_code == 400 and unknown.json() == {"message": "Folder not found"}
    assert call(double, "POST", "/api/dashboards/db", data=b"[1,").json() == {"message": "bad request data"}
    assert save(double, {**model, "title": ""}, overwrite=True).json()["status"] == "empty-name"
    assert save(double, {**model, "uid": "x" * 41}, overwrite=True).status_code == 400

    got = call(double, "GET", "/api/dashboards/uid/d1").json()
    assert got["dashboard"]["version"] == 3 and got["dashboard"]["id"] == first.json()["id"]
    assert got["meta"]["folderUid"] == FOLDER.uid and got["meta"]["version"] == 3
    assert call(double, "GET", "/api/dashboards/uid/nope").status_code == 404
    deleted = call(double, "DELETE", "/api/dashboards/uid/d1")
    assert deleted.json()["message"] == "Dashboard One deleted"
    assert call(double, "DELETE", "/api/dashboards/uid/d1").status_code == 404


def test_search_filters_and_pages(double):
    double.add_folder(FOLDER.uid, FOLDER.title)
    for i in range(5):
        model = dashboard_model(f"d{i}", f"Board {i}")
        model["tags"] = ["a", "b"] if i % 2 else ["a"]
        double.add_dashboard(model, FOLDER.uid if i < 4 else "")

    def uids(**params):
        return [h["uid"] for h in call(double, "GET", "/api/search", params=params).json()]

    assert uids(type="dash-db", tag="a") == ["d0", "d1", "d2", "d3", "d4"]
    assert uids(type="dash-db", tag=["a", "b"]) == ["d1", "d3"]
    assert uids(type="dash-db", folderUIDs=FOLDER.uid, limit=2, page=2) == ["d2", "d3"]
    assert uids(type="dash-db", dashboardUIDs=["d4", "d0"]) == ["d0", "d4"]
    assert uids(type="dash-folder") == [FOLDER.uid]
    assert uids(query="board 3") == ["d3"]
    hit = call(double, "GET", "/api/search", params={"dashboardUIDs": "d0"}).json()[0]
    assert hit["type"] == "dash-db" and hit["folderUid"] == FOLDER.uid and hit["tags"] == ["a"]


def test_rule_group_put_replaces_the_group(double):
    double.add_folder(FOLDER.uid, FOLDER.title)
    path = f"/api/v1/provisioning/folder/{FOLDER.uid}/rule-groups/g"
    assert call(double, "GET", path).status_code == 404
    two = [rule("r1", "Rule one", "up == 0"), rule("r2", "Rule two", "up == 1", for_="90s")]
    put = call(double, "PUT", path, json=group_body(rules=two))
    assert put.status_code == 200 and [r["uid"] for r in put.json()["rules"]] == ["r1", "r2"]
    stored = call(double, "GET", path).json()
    assert stored["interval"] == 60 and stored["rules"][1]["for"] == "1m30s"
    assert {r["provenance"] for r in stored["rules"]} == {"api"}
    assert stored["rules"][0]["orgID"] == 1 and stored["rules"][0]["folderUID"] == FOLDER.uid

    call(double, "PUT", path, json=group_body(rules=two[:1]))
    assert [r["uid"] for r in call(double, "GET", "/api/v1/provisioning/alert-rules").json()] == ["r1"]


@pytest.mark.parametrize("interval", [0, -10, 15, "1m"])
def test_rule_group_interval_must_be_a_positive_multiple_of_10(double, interval):
    double.add_folder(FOLDER.uid, FOLDER.title)
    answer = call(
        double, "PUT", f"/api/v1/provisioning/folder/{FOLDER.uid}/rule-groups/g", json=group_body(interval=interval)
    )
    assert answer.status_code == 400 and "interval" in answer.json()["message"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": ""}, "title"),
        ({"data": []}, "no queries"),
        ({"condition": "Z"}, "condition"),
        ({"noDataState": "Maybe"}, "noDataState"),
        ({"execErrState": "x"}, "execErrState"),
        ({"for": 300}, "for"),
    ],
)
def test_rule_validation(double, change, message):
    double.add_folder(FOLDER.uid, FOLDER.title)
    bad = {**rule("r1", "Rule one", "up == 0"), **change}
    answer = call(
        double, "PUT", f"/api/v1/provisioning/folder/{FOLDER.uid}/rule-groups/g", json=group_body(rules=[bad])
    )
    assert answer.status_code == 400 and message in answer.json()["message"]


def test_provenance(double):
    double.add_folder(FOLDER.uid, FOLDER.title)
    path = f"/api/v1/provisioning/folder/{FOLDER.uid}/rule-groups/g"
    editable = call(double, "PUT", path, json=group_body(), headers={"X-Disable-Provenance": "true"})
    assert editable.json()["rules"][0]["provenance"] == ""
    assert call(double, "PUT", path, json=group_body()).json()["rules"][0]["provenance"] == "api"
    back = call(double, "PUT", path, json=group_body(), headers={"X-Disable-Provenance": "true"})
    assert back.status_code == 403 and back.json()["messageId"] == "alerting.notifications.invalidProvenance"
    assert call(double, "PUT", "/api/v1/provisioning/folder/nope/rule-groups/g", json=group_body()).status_code == 400
    assert call(double, "DELETE", "/api/v1/provisioning/alert-rules/r1").status_code == 204
    assert call(double, "GET", path).status_code == 404


def test_faults_and_request_log(double):
    double.script_faults([Fault.http(429, "3")], path="/api/folders")
    limited = call(double, "GET", "/api/folders")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert call(double, "GET", "/api/folders").status_code == 200
    double.script_faults([DROP], path="/api/folders")
    with pytest.raises(requests.ConnectionError):
        call(double, "GET", "/api/folders")
    assert [(r.method, r.path, r.status) for r in double.requests] == [
        ("GET", "/api/folders", 429),
        ("GET", "/api/folders", 200),
        ("GET", "/api/folders", 0),
    ]
