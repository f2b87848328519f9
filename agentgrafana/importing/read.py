"""Find the dashboards in a file, whatever shape it has: Grafana's JSON model, an HTTP API export
(`{"dashboard": ..., "meta": ...}`), a ConfigMap (or a List of them) holding dashboard JSON in `data`, or an
app-platform resource file (`kind: Dashboard`, the dashboard in `spec`; a v2 spec is read back as classic JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..emit.schema_v2 import SchemaError, from_v2

MAX_BYTES = 16 * 1024 * 1024


class ImportFailed(ValueError):
    """A file that holds no dashboard we can read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Found:
    origin: str  # "path", or "path: data.<key>" for one of several in a file
    model: dict[str, Any]


def read(path: Path) -> list[Found]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise ImportFailed(f"{path}: larger than {MAX_BYTES // 1024 // 1024} MiB; not a dashboard file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(f"{path}: not UTF-8 text (byte {exc.start})") from None
    data = _parse(text, path)
    found = _dashboards(data, str(path))
    if not found:
        raise ImportFailed(
            f"{path}: no dashboard found (expected dashboard JSON with panels, an API export with `dashboard`, "
            "a ConfigMap with dashboard JSON in `data`, or a resource file of kind Dashboard)"
        )
    return found


def _parse(text: str, path: Path) -> Any:
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ImportFailed(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ImportFailed(f"{path}: invalid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    return docs[0] if len(docs) == 1 else {"kind": "List", "items": docs}


def _dashboards(data: Any, origin: str) -> list[Found]:
    if not isinstance(data, dict):
        return []
    kind = data.get("kind")
    if kind == "List" or (kind or "").endswith("List"):
        return [f for i, item in enumerate(data.get("items") or []) for f in _dashboards(item, f"{origin}: items[{i}]")]
    if kind == "ConfigMap":
        found = []
        for key, value in sorted((data.get("data") or {}).items()):
            if not str(key).endswith(".json"):
                continue
            where = f"{origin}: data.{key}"
            try:
                model = json.loads(value)
            except (TypeError, json.JSONDecodeError) as exc:
                raise ImportFailed(f"{where}: not dashboard JSON ({exc})") from None
            found += _dashboards(model, where)
        return found
    if kind == "Dashboard" and isinstance(data.get("spec"), dict):
        spec = data["spec"]
        name = str((data.get("metadata") or {}).get("name") or spec.get("uid") or "")
        if "elements" in spec and "layout" in spec:  # schema v2
            try:
                return [Found(origin, from_v2(spec, name))]
            except (SchemaError, KeyError, TypeError) as exc:
                raise ImportFailed(f"{origin}: a v2 dashboard this importer cannot read: {exc}") from None
        return [Found(origin, {**spec, "uid": spec.get("uid") or name})]
    if isinstance(data.get("dashboard"), dict) and "panels" not in data:  # an HTTP API export
        return _dashboards(data["dashboard"], origin)
    if isinstance(data.get("panels"), list) or isinstance(data.get("rows"), list):
        return [Found(origin, data)]
    return []
