"""Turn whatever a dashboard module returned into plain dashboard JSON (dicts, lists, scalars)."""

from __future__ import annotations

import enum
import json
from typing import Any

import orjson
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from .board import Board
from .imported import ImportedDashboard
from .model import json_kind


class EncodeError(TypeError):
    """A dashboard module returned something that is not a dashboard."""


# Exact types returned as they are; enum classes the models use join on first sight (see `_leaf_enum`).
_LEAVES: set[type] = {str, int, bool, type(None)}


def to_plain(obj: Any) -> Any:
    """Recursively convert foundation-sdk models (anything with `to_json`) into JSON-ready values."""
    t = type(obj)
    if t is dict:  # the common cases first, by exact type: same result as the general path below
        return {str(k): v if type(v) in _LEAVES else to_plain(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [v if type(v) in _LEAVES else to_plain(v) for v in obj]
    if t in _LEAVES:
        return obj
    to_json = getattr(obj, "to_json", None)
    if callable(to_json):
        return to_plain(to_json())
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer() and abs(obj) < 2**53:
        return int(obj)  # Grafana writes whole numbers without ".0"; keep output stable either way
    if isinstance(obj, enum.Enum) and _leaf_enum(t):
        _LEAVES.add(t)
    return obj


def _leaf_enum(t: type) -> bool:
    """True when every member of enum class `t` takes the last branch of `to_plain` (returned as it is)."""
    return (
        not issubclass(t, (dict, list, tuple, float))
        and not callable(getattr(t, "to_json", None))
        and all("to_json" not in vars(member) for member in t)  # type: ignore[attr-defined]
    )


def dashboard_json(result: Any) -> dict[str, Any]:
    """Dashboard JSON from a `Board`, a foundation-sdk builder or model, a grafanalib Dashboard, or a dict.

    The result must be portable JSON: no NaN, sets or self-references (the json module refuses those for
    plain dicts), integers within 2**53 (what Grafana's JavaScript reads exactly) and under orjson's 254
    levels of nesting; a trial encoding with orjson's strict-integer option checks the last two at C speed.
    Dashboards from the project's `Board` are built by typed builders and skip the trial encoding and the
    shape check (they are a third of a thousand-dashboard build); plain JSON, grafanalib and SDK models
    written by hand get both.
    """
    trusted = isinstance(result, Board)
    try:
        model = _encode(result)
        if isinstance(model, dict) and not trusted:
            orjson.dumps(model, option=orjson.OPT_STRICT_INTEGER | orjson.OPT_SORT_KEYS)
    except RecursionError:
        raise EncodeError("the dashboard refers to itself or nests too deeply") from None
    except (TypeError, ValueError, OverflowError) as exc:  # orjson.JSONEncodeError is a TypeError
        raise EncodeError(f"the dashboard is not portable JSON: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(model, dict):
        raise EncodeError(f"expected the dashboard to encode to a JSON object, got {type(model).__name__}")
    for key in ("uid", "title"):
        if key in model and not isinstance(model[key], str):
            raise EncodeError(f"dashboard {key} must be a string, got {json_kind(model[key])}")
    if not trusted:
        check_shape(model)
    return model


# The fields the engine reads, with the JSON type each must have (a plain-JSON dashboard can hold anything).
_DASHBOARD_FIELDS = {
    "panels": list,
    "templating": dict,
    "links": list,
    "tags": list,
    "time": dict,
    "annotations": dict,
    "refresh": (str, bool),
    "schemaVersion": int,
    "description": str,
}
_PANEL_FIELDS = {
    "panels": list,
    "targets": list,
    "gridPos": dict,
    "title": str,
    "type": str,
    "id": int,
    "description": str,
    "fieldConfig": dict,
    "options": dict,
    "datasource": (dict, str, type(None)),
    "links": list,
    "transformations": list,
}
_NAMES = {list: "a list", dict: "an object", str: "a string", int: "a number", bool: "a boolean", type(None): "null"}


def check_shape(model: dict[str, Any]) -> None:
    """Raise EncodeError naming the first field the engine reads whose JSON type is wrong."""
    _fields(model, _DASHBOARD_FIELDS, "")
    templating = model.get("templating") or {}
    _items(templating.get("list"), "templating.list")
    for i, link in enumerate(_items(model.get("links"), "links")):
        _fields(link, {"url": str, "title": str}, f"links[{i}]")
    stack = [(p, f"panels[{i}]") for i, p in enumerate(_items(model.get("panels"), "panels"))]
    while stack:
        panel, where = stack.pop()
        _fields(panel, _PANEL_FIELDS, where)
        grid = panel.get("gridPos") or {}
        for key in ("x", "y", "w", "h"):
            if key in grid and (type(grid[key]) is not int):
                raise EncodeError(f"{where}.gridPos.{key}: expected a whole number, got {json_kind(grid[key])}")
        _items(panel.get("targets"), f"{where}.targets")
        stack.extend((p, f"{where}.panels[{i}]") for i, p in enumerate(_items(panel.get("panels"), f"{where}.panels")))


def _fields(obj: dict[str, Any], wanted: dict[str, Any], where: str) -> None:
    for key, types in wanted.items():
        if key in obj and obj[key] is not None and not isinstance(obj[key], types):
            shown = " or ".join(_NAMES.get(t, t.__name__) for t in (types if isinstance(types, tuple) else (types,)))
            raise EncodeError(f"{where + '.' if where else ''}{key}: expected {shown}, got {json_kind(obj[key])}")


def _items(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise EncodeError(f"{where}: expected a list, got {json_kind(value)}")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise EncodeError(f"{where}[{i}]: expected an object, got {json_kind(item)}")
    return value


def _encode(result: Any) -> Any:
    if isinstance(result, Board):
        result = result.build()
    if isinstance(result, ImportedDashboard):
        result = result.build()
    if isinstance(result, Builder):
        return to_plain(result.build())
    if callable(getattr(result, "to_json", None)):
        return to_plain(result)
    if callable(getattr(result, "to_json_data", None)):  # grafanalib
        from grafanalib._gen import DashboardEncoder

        return json.loads(json.dumps(result.to_json_data(), cls=DashboardEncoder))
    if isinstance(result, dict):
        return json.loads(json.dumps(result, cls=JSONEncoder, allow_nan=False))
    raise EncodeError(
        f"expected a dashboard (foundation-sdk builder, grafanalib Dashboard or dict), got {type(result).__name__}"
    )
