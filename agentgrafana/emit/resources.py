"""App-platform resource files: the dashboards and folders as Grafana 12+ stores them, for Git Sync and gcx.

Grafana 12 serves dashboards and folders as Kubernetes-style objects (`dashboard.grafana.app`,
`folder.grafana.app`): `metadata.name` is the uid, the folder is the `grafana.app/folder` annotation, `spec` is
the dashboard JSON unchanged. Files are laid out as `gcx resources pull` writes them
(`{Kind}.{version}.{group}/{name}.json`), which `gcx resources push -p grafana/resources` and Git Sync read.
No namespace: the Grafana instance (or gcx context) it is pushed to decides it.
"""

from __future__ import annotations

from typing import Any

from ..model import DashboardOut, Folder
from . import json_bytes

ROOT = "grafana/resources"
DASHBOARD_GROUP, FOLDER_GROUP = "dashboard.grafana.app", "folder.grafana.app"
VERSION = "v1beta1"  # served by 12.x and 13.x (13 adds v1)
V2_VERSION = "v2beta1"  # schema v2 dashboards (grafana.dashboard_schema: v2)
FOLDER_ANNOTATION = "grafana.app/folder"
MANAGER = {"app.kubernetes.io/managed-by": "agentgrafana"}


def dashboard_resource_path(uid: str, version: str = VERSION) -> str:
    return f"{ROOT}/Dashboard.{version}.{DASHBOARD_GROUP}/{uid}.json"


def folder_resource_path(uid: str) -> str:
    return f"{ROOT}/Folder.{VERSION}.{FOLDER_GROUP}/{uid}.json"


def dashboard_resource(d: DashboardOut) -> dict[str, Any]:
    """Classic JSON as v1beta1, or the schema v2 spec as v2beta1 when the build makes one."""
    return {
        "apiVersion": f"{DASHBOARD_GROUP}/{V2_VERSION if d.v2 is not None else VERSION}",
        "kind": "Dashboard",
        "metadata": {"name": d.uid, "annotations": {FOLDER_ANNOTATION: d.folder.uid}, "labels": dict(MANAGER)},
        "spec": d.v2 if d.v2 is not None else d.model,
    }


def folder_resource(f: Folder) -> dict[str, Any]:
    return {
        "apiVersion": f"{FOLDER_GROUP}/{VERSION}",
        "kind": "Folder",
        "metadata": {"name": f.uid, "labels": dict(MANAGER)},
        "spec": {"title": f.title},
    }


def files(dashboards: list[DashboardOut]) -> dict[str, bytes]:
    """One resource per dashboard and one per folder that holds one."""
    out = {
        dashboard_resource_path(d.uid, V2_VERSION if d.v2 is not None else VERSION): json_bytes(dashboard_resource(d))
        for d in dashboards
    }
    for folder in sorted({d.folder for d in dashboards}):
        out[folder_resource_path(folder.uid)] = json_bytes(folder_resource(folder))
    return out
