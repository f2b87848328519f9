"""Dashboard outputs: one JSON file per dashboard, Grafana file provisioning, ConfigMaps for the sidecar."""

from __future__ import annotations

import json

from ..config import Config
from ..model import DashboardOut, Folder
from . import compact_json_bytes, json_bytes, k8s_name, yaml_bytes

CONFIGMAP_LIMIT_BYTES = 1024 * 1024
GRAFANA_DASHBOARD_ROOT = "/var/lib/grafana/dashboards"


def dashboard_path(d: DashboardOut) -> str:
    return f"dashboards/{d.folder.uid}/{d.uid}.json"


def configmap_path(d: DashboardOut) -> str:
    return f"kubernetes/dashboards/{d.folder.uid}/{d.uid}.yaml"


PROVISIONING_PATH = "grafana/provisioning/dashboards/agentgrafana.yaml"


def dashboard_json(d: DashboardOut) -> bytes:
    """The reviewed copy: indented, sorted JSON."""
    return json_bytes(d.model)


def dashboard_configmap(config: Config, d: DashboardOut) -> bytes:
    return configmap(config, d, compact_json_bytes(d.model))


def provisioning(dashboards: list[DashboardOut]) -> bytes:
    """One file provider per folder, reading the JSON files copied under /var/lib/grafana/dashboards."""
    folders: list[Folder] = sorted({d.folder for d in dashboards})
    providers = [
        {
            "name": f"agentgrafana-{f.uid}",
            "orgId": 1,
            "folder": f.title,
            "folderUid": f.uid,
            "type": "file",
            "disableDeletion": False,
            "allowUiUpdates": False,
            "updateIntervalSeconds": 30,
            "options": {"path": f"{GRAFANA_DASHBOARD_ROOT}/{f.uid}", "foldersFromFilesStructure": False},
        }
        for f in folders
    ]
    return yaml_bytes({"apiVersion": 1, "providers": providers})


def configmap(config: Config, d: DashboardOut, body: bytes) -> bytes:
    """A ConfigMap for the Grafana sidecar holding the dashboard as compact JSON.

    Compact, because the whole object must stay under 1 MiB and the indented copy for reviewers is the
    file under dashboards/. Written by hand rather than through a YAML emitter: the envelope is fixed and
    the JSON goes in verbatim as a one-line literal block (a double-quoted scalar when the JSON holds a
    character YAML would read as a line break). Tests round-trip it through PyYAML.
    """
    k8s = config.kubernetes
    labels = {**k8s.common_labels, **k8s.dashboard_label}
    text = body.decode("utf-8")
    key = json.dumps(d.uid + ".json")
    value = f"{key}: |\n    {text}" if not any(ch in text for ch in _LINE_BREAKS) else f"{key}: {json.dumps(text)}"
    lines = [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata:",
        f"  name: {json.dumps(k8s_name('grafana-dashboard-' + d.uid))}",
        f"  namespace: {json.dumps(k8s.namespace)}",
        "  labels:",
        *(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(labels.items())),
        "  annotations:",
        f"    {json.dumps(k8s.folder_annotation)}: {json.dumps(d.folder.title, ensure_ascii=False)}",
        "data:",
        f"  {value}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # what YAML or str.splitlines() break on


def configmap_sizes(manifests: dict[str, bytes]) -> dict[str, int]:
    """Size of every Kubernetes manifest (the 1 MiB limit applies to the whole object)."""
    return {path: len(body) for path, body in manifests.items()}
