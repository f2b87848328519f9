"""Bring an imported dashboard to the shape the generated module writes, as Grafana itself would on load.

- `rows` (schemaVersion < 16) become row panels and `gridPos`, with Grafana's own arithmetic
  (`DashboardMigrator.upgradeToGridLayout`: 12 spans -> 24 columns, heights in 30 px cells with 8 px margins,
  panels packed left to right and wrapped within their row);
- an export's inputs (`__inputs`: `${DS_PROMETHEUS}`) become the dashboard's datasource variable of that type,
  added when the dashboard has none, and `__inputs` / `__requires` / `__elements` are dropped (export-only);
- the numeric dashboard `id` is dropped (the Grafana instance's, not the dashboard's), and a missing uid is made
  from the title.

What changed is returned as notes, for the importer to tell the user.
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any

from ..model import panels_of

GRID_COLUMNS = 24
CELL_HEIGHT, CELL_MARGIN = 30, 8
DEFAULT_ROW_HEIGHT, DEFAULT_SPAN, MIN_PANEL_HEIGHT = 250, 4, 90
EXPORT_ONLY = ("__inputs", "__requires", "__elements", "id", "version", "iteration")  # export- or instance-only
UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


def migrate(model: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    model = _without_hash_keys(copy.deepcopy(model))
    notes: list[str] = []
    if model.get("gnetId"):
        notes.append(f"grafana.com dashboard {model['gnetId']}")
    inputs = _inputs(model)
    if isinstance(model.get("rows"), list):
        rows = model.pop("rows")
        if rows:
            model["panels"] = _rows_to_panels(rows) + list(model.get("panels") or [])
            notes.append(
                f"schemaVersion {model.get('schemaVersion')}: {len(rows)} rows laid out as a grid as Grafana does"
            )
    for key in EXPORT_ONLY:
        model.pop(key, None)
    if inputs:
        model = _substitute(model, inputs)
        _ensure_datasource_variables(model, inputs)
        notes.append("export inputs " + ", ".join(f"${{{n}}} -> ${{{v}}}" for n, (v, _) in sorted(inputs.items())))
    if not isinstance(model.get("uid"), str) or not UID_RE.match(model.get("uid") or ""):
        old = model.get("uid")
        model["uid"] = slug(str(model.get("title") or "imported"))[:40]
        notes.append(f"uid {old!r} is not a Grafana uid: {model['uid']!r} made from the title")
    libraries = sorted(
        {str((p.get("libraryPanel") or {}).get("uid")) for p in panels_of(model) if p.get("libraryPanel")}
    )
    if libraries:
        notes.append(f"library panels kept as references (their definitions stay in Grafana): {', '.join(libraries)}")
    return model, notes


def _without_hash_keys(value: Any) -> Any:
    """Without AngularJS's `$$hashKey` bookkeeping (Grafana drops it when it saves)."""
    if isinstance(value, dict):
        return {k: _without_hash_keys(v) for k, v in value.items() if k != "$$hashKey"}
    if isinstance(value, list):
        return [_without_hash_keys(v) for v in value]
    return value


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "imported"


# --- inputs ----------------------------------------------------------------------------------------------------
def _inputs(model: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """`${DS_X}` input name -> (variable name, plugin id) for each datasource input of an export."""
    out = {}
    for item in model.get("__inputs") or []:
        if isinstance(item, dict) and item.get("type") == "datasource" and item.get("name"):
            plugin = str(item.get("pluginId") or "prometheus")
            out[str(item["name"])] = ("datasource" if plugin == "prometheus" else f"{plugin}_datasource", plugin)
    return out


def _substitute(value: Any, inputs: dict[str, tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for name, (variable, _) in inputs.items():
            value = value.replace("${" + name + "}", "${" + variable + "}")
        return value
    if isinstance(value, list):
        return [_substitute(v, inputs) for v in value]
    if isinstance(value, dict):
        return {k: _substitute(v, inputs) for k, v in value.items()}
    return value


def _ensure_datasource_variables(model: dict[str, Any], inputs: dict[str, tuple[str, str]]) -> None:
    templating = model.setdefault("templating", {})
    variables = templating.setdefault("list", [])
    have = {v.get("name") for v in variables if isinstance(v, dict)}
    added = []
    for variable, plugin in sorted(set(inputs.values())):
        if variable not in have:
            added.append(
                {
                    "name": variable,
                    "label": plugin.title(),
                    "type": "datasource",
                    "query": plugin,
                    "current": {},
                    "hide": 0,
                    "options": [],
                    "refresh": 1,
                    "regex": "",
                }
            )
    templating["list"] = added + variables


# --- rows -> grid (Grafana's DashboardMigrator.upgradeToGridLayout) --------------------------------------------
def _grid_height(height: Any) -> int:
    if isinstance(height, str):
        match = re.match(r"\s*(\d+)", height)
        height = int(match.group(1)) if match else DEFAULT_ROW_HEIGHT
    height = max(float(height or 0), MIN_PANEL_HEIGHT)
    return math.ceil(height / (CELL_HEIGHT + CELL_MARGIN))


class _RowArea:
    """Which columns of the current row band are taken, and how far down (Grafana's RowArea)."""

    def __init__(self, height: int, y: int):
        self.area = [0] * GRID_COLUMNS
        self.y = y
        self.height = height

    def add(self, x: int, y: int, w: int, h: int) -> None:
        for i in range(x, x + w):
            if not self.area[i] or y + h - self.y > self.area[i]:
                self.area[i] = y + h - self.y

    def position(self, w: int, once: bool = False) -> tuple[int, int] | None:
        start = end = None
        for i in range(len(self.area) - 1, -1, -1):
            if self.height - self.area[i] > 0:
                if end is None:
                    end = i
                elif i < len(self.area) - 1 and self.area[i] <= self.area[i + 1]:
                    start = i
                else:
                    break
            else:
                break
        if start is not None and end is not None and end - start >= w - 1:
            return start, max(self.area[start:])
        if once:
            return None
        self.y += self.height
        self.area = [0] * GRID_COLUMNS
        return self.position(w, once=True)


def _rows_to_panels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [p.get("id") for r in rows for p in r.get("panels") or [] if isinstance(p.get("id"), int)]
    next_row_id = max(ids, default=0) + 1
    show_rows = any(r.get("collapse") or r.get("showTitle") or r.get("repeat") for r in rows)
    out: list[dict[str, Any]] = []
    y = 0
    for row in rows:
        if row.get("repeatIteration"):
            continue
        height = _grid_height(row.get("height") or DEFAULT_ROW_HEIGHT)
        row_panel: dict[str, Any] | None = None
        if show_rows:
            row_panel = {
                "id": next_row_id,
                "type": "row",
                "title": str(row.get("title") or ""),
                "collapsed": bool(row.get("collapse")),
                **({"repeat": row["repeat"]} if row.get("repeat") else {}),
                "panels": [],
                "gridPos": {"x": 0, "y": y, "w": GRID_COLUMNS, "h": height},
            }
            next_row_id += 1
            y += 1
        area = _RowArea(height, y)
        for p in row.get("panels") or []:
            p = dict(p)
            span = p.pop("span", None) or DEFAULT_SPAN
            if p.get("minSpan"):
                p["minSpan"] = min(GRID_COLUMNS, (GRID_COLUMNS // 12) * p["minSpan"])
            w = math.floor(span) * (GRID_COLUMNS // 12)
            h = _grid_height(p["height"]) if p.get("height") else height
            place = area.position(w) or (0, 0)
            y = area.y
            p["gridPos"] = {"x": place[0], "y": y + place[1], "w": w, "h": h}
            area.add(place[0], y + place[1], w, h)
            if row_panel is not None and row_panel["collapsed"]:
                row_panel["panels"].append(p)
            else:
                out.append(p)
        if row_panel is not None:
            out.append(row_panel)
        if not (row_panel is not None and row_panel["collapsed"]):
            y += height
    return sorted(out, key=lambda p: (p["gridPos"]["y"], p["gridPos"]["x"]))
