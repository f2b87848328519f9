"""App-platform resource files (Grafana 12+, Git Sync, gcx): one per dashboard and folder, the spec unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agentgrafana import config as config_mod
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ROOT / "generated"
RESOURCES = GENERATED / "grafana" / "resources"
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,40}$")  # what the app-platform API accepts as a dashboard or folder name


def _load(kind: str) -> dict[str, dict]:
    folder = {"Dashboard": "Dashboard.v1beta1.dashboard.grafana.app", "Folder": "Folder.v1beta1.folder.grafana.app"}
    return {p.stem: json.loads(p.read_text()) for p in sorted((RESOURCES / folder[kind]).glob("*.json"))}


def test_one_dashboard_resource_per_dashboard_whose_spec_is_the_dashboard_json() -> None:
    dashboards = {
        p.stem: (p.parent.name, json.loads(p.read_text())) for p in (GENERATED / "dashboards").glob("*/*.json")
    }
    resources = _load("Dashboard")
    assert set(resources) == set(dashboards) and len(resources) == 8
    for uid, resource in resources.items():
        folder_uid, model = dashboards[uid]
        assert resource["apiVersion"] == "dashboard.grafana.app/v1beta1" and resource["kind"] == "Dashboard"
        assert resource["metadata"]["name"] == uid == model["uid"] and NAME_RE.match(uid)
        assert resource["metadata"]["annotations"] == {"grafana.app/folder": folder_uid}
        assert resource["spec"] == model
        assert "namespace" not in resource["metadata"]  # the instance pushed to decides it


def test_every_folder_a_dashboard_names_has_a_folder_resource() -> None:
    folders = _load("Folder")
    named = {r["metadata"]["annotations"]["grafana.app/folder"] for r in _load("Dashboard").values()}
    assert set(folders) == named == {"ai-agents"}
    folder = folders["ai-agents"]
    assert folder["apiVersion"] == "folder.grafana.app/v1beta1" and folder["kind"] == "Folder"
    assert folder["spec"] == {"title": "AI Agents"} and NAME_RE.match(folder["metadata"]["name"])


def test_tenant_dashboards_get_their_tenant_folders_as_resources() -> None:
    config = config_mod.from_mapping(
        {"budgets": {"per_tenant_dashboards": True, "tenants": {"acme": 100, "globex": 50}}}
    )
    files = build(config, ROOT).files
    folders = {
        json.loads(body)["metadata"]["name"]: json.loads(body)["spec"]["title"]
        for path, body in files.items()
        if path.startswith("grafana/resources/Folder.")
    }
    assert folders == {
        "ai-agents": "AI Agents",
        "ai-agents-acme": "AI Agents: acme",
        "ai-agents-globex": "AI Agents: globex",
    }
    acme = json.loads(files["grafana/resources/Dashboard.v1beta1.dashboard.grafana.app/agent-cost-acme.json"])
    assert acme["metadata"]["annotations"]["grafana.app/folder"] == "ai-agents-acme"
