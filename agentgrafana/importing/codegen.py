"""Write an imported dashboard as a content module a person would write: settings, variables, rows and panels as
calls, each query's PromQL as its original text, literals laid out to stay within 120 characters a line.

Every literal is placed knowing its column: `lit(value, indent, col)` writes `value` starting at column `col` on
a line indented by `indent`, and breaks it over lines (items at indent + 4) only when it would not fit.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import Any

from ..model import datasource_type

WIDTH = 120
MARKER = "Imported by `agentgrafana import`"
PROMETHEUS_TYPES = ("prometheus", "")
TARGET_NAMED = ("expr", "legendFormat", "refId")
GRID_KEYS = {"x", "y", "w", "h"}


class CodegenError(ValueError):
    """A dashboard whose shape the module cannot state (a malformed gridPos); the message names the panel."""


def module(model: dict[str, Any], origin: str, notes: list[str]) -> str:
    """The module's text (`model` also says which targets are PromQL: their datasource's type)."""
    title = str(model.get("title") or "")
    head = [
        '"""' + _doc(f"{title or model['uid']}: imported from {origin}."),
        "",
        _doc(f"{MARKER}: the queries are the original text; layout, variables, links and panel options as written."),
        *(_doc(f"- {n}", "  ") for n in notes),
        '"""',
        "",
        "from agentgrafana.context import Context",
        "from agentgrafana.imported import panel, target",
        "from agentgrafana.panels import Target",
        "",
        "",
        "def dashboard(ctx: Context):",
    ]
    settings = {k: v for k, v in model.items() if k not in ("uid", "title", "panels", "templating")}
    templating = dict(model.get("templating") or {}) if isinstance(model.get("templating"), dict) else None
    variables = templating.pop("list", None) if templating is not None else None
    if "templating" in model and (templating or not variables):
        settings["templating"] = templating if templating is not None else model["templating"]
    body = ["    board = ctx.imported(", f"        {lit(model['uid'], 8, 8)},", f"        {lit(title, 8, 8)},"]
    body += [f"        {k}={lit(settings[k], 8, 9 + len(k))}," for k in sorted(settings, key=_setting_order)]
    body.append("    )")
    for v in variables or []:
        body.append(f"    board.variable({lit(v, 4, 19)})")
    for p in model.get("panels") or []:
        body += _panel_call(p, "board", model)
    body.append("    return board")
    return "\n".join(head + body) + "\n"


def _setting_order(key: str) -> tuple[int, str]:
    first = ("description", "tags", "time", "refresh", "timezone", "schemaVersion")
    return (first.index(key) if key in first else len(first), key)


def _doc(text: str, hang: str = "") -> str:
    """Docstring text wrapped at WIDTH, without sequences that would end the docstring."""
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > WIDTH - 4:
            out.append(line)
            line = hang + word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\n".join(out)


# --- panels -----------------------------------------------------------------------------------------------------
def _grid(p: dict[str, Any], what: str) -> dict[str, Any]:
    grid = p.get("gridPos")
    if not isinstance(grid, dict) or set(grid) != GRID_KEYS or not all(isinstance(grid[k], int) for k in GRID_KEYS):
        raise CodegenError(f"{what} {p.get('title')!r} (id {p.get('id')}): gridPos {grid!r} is not integer x, y, w, h")
    return grid


def _panel_call(p: dict[str, Any], owner: str, dashboard: dict[str, Any]) -> list[str]:
    if p.get("type") == "row":
        return _row_call(p, owner, dashboard)
    grid = _grid(p, "panel")
    lines = [f"    {owner}.add(", "        panel("]
    lines += [f"            {k + '=' if k else ''}{v}," for k, v in _panel_args(p, dashboard)]
    lines += ["        ),", f"        x={grid['x']}, y={grid['y']}, w={grid['w']}, h={grid['h']},", "    )"]
    return lines


def _row_call(p: dict[str, Any], owner: str, dashboard: dict[str, Any]) -> list[str]:
    grid = _grid(p, "row")
    if "title" not in p:
        raise CodegenError(f"row (id {p.get('id')}) has no title")
    args = [lit(p["title"], 8, 8), f"id={lit(p.get('id'), 8, 11)}", f"y={grid['y']}"]
    args += [f"{k}={grid[k]}" for k, default in (("x", 0), ("w", 24), ("h", 1)) if grid[k] != default]
    if "collapsed" not in p:
        args.append("collapsed=None")
    elif p["collapsed"] is not False:
        args.append(f"collapsed={lit(p['collapsed'], 8, 18)}")
    children = p.get("panels")
    if children is None:
        args.append("no_panels=True")
    extra = {k: v for k, v in p.items() if k not in ("type", "title", "id", "gridPos", "collapsed", "panels")}
    if extra:
        args.append(f"extra={lit(extra, 8, 14)}")
    call = f"{'row = ' if children else ''}{owner}.row("
    one = f"    {call}{', '.join(args)})"
    lines = (
        [one] if len(one) <= WIDTH and "\n" not in one else [f"    {call}", *(f"        {a}," for a in args), "    )"]
    )
    for child in children or []:
        lines += _panel_call(child, "row", dashboard)
    return lines


def _panel_args(p: dict[str, Any], dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    if not isinstance(p.get("type"), str) or not isinstance(p.get("title"), str):
        raise CodegenError(f"panel (id {p.get('id')}) needs a type and a title (strings)")
    rest = {k: v for k, v in p.items() if k not in ("type", "title", "gridPos")}
    out: list[tuple[str, str]] = [("", lit(p["type"], 12, 12)), ("", lit(p["title"], 12, 12))]
    for key in ("id", "description", "datasource"):
        if key in rest and rest[key] is not None:
            out.append((key, lit(rest.pop(key), 12, 13 + len(key))))
    field_config = rest.get("fieldConfig")
    if isinstance(field_config, dict):
        rest.pop("fieldConfig")
        defaults = field_config.get("defaults")
        if isinstance(defaults, dict) and isinstance(defaults.get("unit"), str):
            out.append(("unit", lit(defaults["unit"], 12, 17)))
            field_config = {**field_config, "defaults": {k: v for k, v in defaults.items() if k != "unit"}}
        out.append(("field_config", lit(field_config, 12, 25)))
    targets = rest.get("targets")
    if isinstance(targets, list) and targets:
        rest.pop("targets")
        out.append(("targets", _targets(targets, p, dashboard)))
    if "options" in rest and rest["options"] is not None:
        out.append(("options", lit(rest.pop("options"), 12, 20)))
    if rest:
        out.append(("extra", lit(rest, 12, 18)))
    return out


def is_promql(target: Any, panel: dict[str, Any], dashboard: dict[str, Any]) -> bool:
    """A target whose datasource (its own, else its panel's, a variable resolved to its type; none: the default)
    is Prometheus, with an expression: written as a `Target`, and its metrics inferred."""
    if not isinstance(target, dict) or not isinstance(target.get("expr"), str):
        return False
    return datasource_type(target, panel, dashboard=dashboard) in PROMETHEUS_TYPES


def _targets(targets: list[Any], panel: dict[str, Any], dashboard: dict[str, Any]) -> str:
    items = [_target_call(t) if is_promql(t, panel, dashboard) else lit(t, 16, 16) for t in targets]
    return "[\n" + "".join(f"                {i},\n" for i in items) + "            ]"


def _target_call(t: dict[str, Any]) -> str:
    """`target(Target(expr, legend), ref_id=..., extra={...})` at column 16 (inside a panel's targets list)."""
    rest = {k: v for k, v in t.items() if k not in TARGET_NAMED}
    legend = t.get("legendFormat")
    if not isinstance(legend, str) or not legend:
        if "legendFormat" in t:
            rest["legendFormat"] = legend
        legend = ""
    tail = [f"ref_id={lit(t['refId'], 20, 27)}"] if "refId" in t else []
    if rest:
        tail.append(f"extra={lit(rest, 20, 26)}")
    inner = [lit(t["expr"], 24, 24)] + ([lit(legend, 24, 24)] if legend else [])
    one = "target(Target(" + ", ".join(inner) + ")" + "".join(", " + a for a in tail) + ")"
    if 16 + len(one) <= WIDTH and "\n" not in one:
        return one
    target_one = "Target(" + ", ".join(inner) + ")"
    if 20 + len(target_one) > WIDTH - 1 or "\n" in target_one:  # with its comma
        target_one = "Target(\n" + "".join(f"{' ' * 24}{i},\n" for i in inner) + " " * 20 + ")"
    return "target(\n" + "".join(f"{' ' * 20}{a},\n" for a in [target_one, *tail]) + " " * 16 + ")"


# --- literals ---------------------------------------------------------------------------------------------------
def lit(value: Any, indent: int, col: int) -> str:
    """A Python literal of a JSON value starting at column `col` of a line indented by `indent`."""
    flat = _flat(value)
    if col + len(flat) <= WIDTH - 1:  # room for the trailing comma
        return flat
    inner = indent + 4
    pad = " " * inner
    if isinstance(value, dict) and value:
        items = []
        for k, v in value.items():
            key = repr(k)
            items.append(f"{pad}{key}: {lit(v, inner, inner + len(key) + 2)},")
        return "{\n" + "\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(value, list) and value:
        return "[\n" + "\n".join(f"{pad}{lit(v, inner, inner)}," for v in value) + "\n" + " " * indent + "]"
    if isinstance(value, str):
        return _long_string(value, indent)
    return flat


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        raise CodegenError(f"{value} is not a JSON number")
    return repr(value)


def _long_string(value: str, indent: int) -> str:
    """A long string as adjacent literals in parentheses, cut after a space or a line break where there is one."""
    room = WIDTH - indent - 6
    pieces: list[str] = []
    rest = value
    while rest:
        cut = len(rest)
        while len(repr(rest[:cut])) > room:
            over = len(repr(rest[:cut])) - room
            cut = max(1, cut - over)
        if cut < len(rest):
            space = max(rest.rfind(" ", 0, cut), rest.rfind("\n", 0, cut))
            if space >= cut // 2:
                cut = space + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    pad = " " * (indent + 4)
    return "(\n" + "\n".join(pad + repr(p) for p in pieces) + "\n" + " " * indent + ")"


def module_name(uid: str) -> str:
    """A module file name (without .py) for a dashboard uid."""
    name = re.sub(r"[^a-z0-9]+", "_", uid.lower()).strip("_") or "imported"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "d_" + name
    return name
