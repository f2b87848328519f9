"""Dashboard schema v2 (`dashboard.grafana.app/v2beta1`, Grafana 12+ "dynamic dashboards") from the classic JSON.

The build writes each dashboard once, as classic JSON; `to_v2` turns it into a v2 spec (elements by key, a
rows layout of grids, typed variables, time settings) and has the foundation SDK's v2beta1 model parse it
(`Dashboard.from_json`), so what is emitted is what the SDK writes. `from_v2` reads a v2 spec back into the
classic shape: with `grafana.dashboard_schema: v2` validation, lint, the review diff, previews and the live
check all run on `from_v2(to_v2(...))`, one view of a dashboard over both shapes, so they check what v2
carries. A panel or variable field with no place in v2 is an error naming it, never dropped quietly; the few
classic fields v2 does not have (`V1_ONLY`: the schema version, ids of rows, interval-variable defaults the
builders write on every variable) are the only difference between the two.
"""

from __future__ import annotations

import warnings
from typing import Any

GRAPH_TOOLTIP = {0: "Off", 1: "Crosshair", 2: "Tooltip"}
HIDE = {0: "dontHide", 1: "hideLabel", 2: "hideVariable"}
REFRESH = {0: "never", 1: "onDashboardLoad", 2: "onTimeRangeChanged"}
SORT = {
    0: "disabled",
    1: "alphabeticalAsc",
    2: "alphabeticalDesc",
    3: "numericalAsc",
    4: "numericalDesc",
    5: "alphabeticalCaseInsensitiveAsc",
    6: "alphabeticalCaseInsensitiveDesc",
    7: "naturalAsc",
    8: "naturalDesc",
}
SCHEMA_VERSION = 42  # what the classic view says; v2 has no schema version
# classic fields with no v2 counterpart (the round trip leaves them out; Grafana writes them back on export)
V1_ONLY_DASHBOARD = ("schemaVersion", "uid", "id", "version")
V1_ONLY_VARIABLE = ("auto", "auto_count", "auto_min")  # interval-variable defaults the SDK puts on every variable
V1_ONLY_CONSTANT = ("allowCustomValue", "includeAll", "multi", "current")  # builder defaults, no meaning for a constant
V1_ONLY_PANEL = ("repeatDirection",)  # the SDK's default, meaningless without `repeat`
PANEL_KEYS = {
    "id",
    "type",
    "title",
    "description",
    "gridPos",
    "datasource",
    "targets",
    "fieldConfig",
    "options",
    "transformations",
    "transparent",
    "links",
    *V1_ONLY_PANEL,
}


class SchemaError(ValueError):
    """A classic dashboard field with no place in schema v2 (named, so nothing is dropped quietly)."""


def _sdk() -> Any:
    with warnings.catch_warnings():  # the SDK marks v2beta1 deprecated in favour of v2 (Grafana 13)
        warnings.simplefilter("ignore", DeprecationWarning)
        from grafana_foundation_sdk.models import dashboardv2beta1

    return dashboardv2beta1


# --- classic -> v2 ---------------------------------------------------------------------------------------------
def to_v2(model: dict[str, Any]) -> dict[str, Any]:
    """The v2beta1 spec of a classic dashboard, as the SDK's model writes it."""
    where = f"dashboard {model.get('uid')}"
    elements: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    row: dict[str, Any] | None = None
    top = 0  # the y where the current row's grid starts
    for panel in model.get("panels") or []:
        if panel.get("type") == "row":
            if panel.get("panels"):
                raise SchemaError(f"{where}: row {panel.get('title')!r} holds collapsed panels (not supported in v2)")
            top = int(panel["gridPos"]["y"]) + 1
            row = {"title": panel.get("title", ""), "collapse": bool(panel.get("collapsed")), "items": []}
            rows.append(row)
            continue
        if row is None:  # panels above the first row: a row without a header
            row = {"title": "", "collapse": False, "items": [], "hideHeader": True}
            rows.append(row)
        key = f"panel-{panel['id']}"
        elements[key] = _panel(panel, where)
        grid = panel["gridPos"]
        row["items"].append(
            {
                "kind": "GridLayoutItem",
                "spec": {
                    "x": grid["x"],
                    "y": grid["y"] - top,
                    "width": grid["w"],
                    "height": grid["h"],
                    "element": {"kind": "ElementReference", "name": key},
                },
            }
        )
    layout_rows = []
    for r in rows:
        spec: dict[str, Any] = {
            "title": r["title"],
            "collapse": r["collapse"],
            "layout": {"kind": "GridLayout", "spec": {"items": r["items"]}},
        }
        if r.get("hideHeader"):
            spec["hideHeader"] = True
        layout_rows.append({"kind": "RowsLayoutRow", "spec": spec})
    time = model.get("time") or {}
    spec = {
        "title": model.get("title", ""),
        "description": model.get("description", ""),
        "tags": list(model.get("tags") or []),
        "editable": bool(model.get("editable", True)),
        "cursorSync": GRAPH_TOOLTIP.get(int(model.get("graphTooltip") or 0), "Off"),
        "preload": False,
        "links": [dict(link) for link in model.get("links") or []],
        "annotations": [_annotation(a) for a in (model.get("annotations") or {}).get("list") or []],
        "timeSettings": {
            "from": time.get("from", "now-6h"),
            "to": time.get("to", "now"),
            "autoRefresh": model.get("refresh", ""),
            "autoRefreshIntervals": ["5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"],
            "timezone": model.get("timezone", "browser"),
            "fiscalYearStartMonth": int(model.get("fiscalYearStartMonth") or 0),
            "hideTimepicker": False,
        },
        "variables": [_variable(v, where) for v in (model.get("templating") or {}).get("list") or []],
        "elements": elements,
        "layout": {"kind": "RowsLayout", "spec": {"rows": layout_rows}},
    }
    _validate(spec)
    return spec


def _validate(spec: dict[str, Any]) -> None:
    """The SDK's v2beta1 model reads the spec: an unknown element, layout or variable kind fails here. (Its
    encoder is not used for the output: 0.0.21 decodes a VizConfig's group and version into sets.)"""
    models = _sdk()
    try:
        models.Dashboard.from_json(spec)
    except (KeyError, TypeError, ValueError) as exc:
        raise SchemaError(
            f"dashboard {spec.get('title')!r}: not a v2beta1 dashboard the SDK can read ({exc!r})"
        ) from None


def _datasource(ds: Any) -> tuple[str, dict[str, Any]]:
    ds = ds or {}
    return str(ds.get("type") or "prometheus"), ({"name": ds["uid"]} if ds.get("uid") else {})


def _panel(panel: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = set(panel) - PANEL_KEYS
    if unknown:
        raise SchemaError(f"{where}, panel {panel.get('title')!r}: no v2 place for {', '.join(sorted(unknown))}")
    queries = []
    for target in panel.get("targets") or []:
        group, ds = _datasource(target.get("datasource") or panel.get("datasource"))
        query: dict[str, Any] = {
            "kind": "DataQuery",
            "group": group,
            "version": "v0",
            "spec": {k: v for k, v in target.items() if k not in ("datasource", "refId", "hide")},
        }
        if ds:
            query["datasource"] = ds
        queries.append(
            {
                "kind": "PanelQuery",
                "spec": {"refId": target.get("refId", ""), "hidden": bool(target.get("hide")), "query": query},
            }
        )
    spec: dict[str, Any] = {
        "id": panel["id"],
        "title": panel.get("title", ""),
        "description": panel.get("description", ""),
        "links": list(panel.get("links") or []),
        "data": {
            "kind": "QueryGroup",
            "spec": {
                "queries": queries,
                "transformations": [{"kind": t["id"], "spec": dict(t)} for t in panel.get("transformations") or []],
                "queryOptions": {},
            },
        },
        "vizConfig": {
            "kind": "VizConfig",
            "group": panel["type"],
            "version": "",
            "spec": {
                "options": panel.get("options") or {},
                "fieldConfig": panel.get("fieldConfig") or {"defaults": {}, "overrides": []},
            },
        },
    }
    if "transparent" in panel:
        spec["transparent"] = panel["transparent"]
    return {"kind": "Panel", "spec": spec}


ANNOTATION_KEYS = ("name", "datasource", "enable", "hide", "iconColor", "builtIn", "placement")


def _annotation(a: dict[str, Any]) -> dict[str, Any]:
    """An annotation query: the datasource's own fields (a Grafana tag filter's `target`, a Prometheus `expr`)
    become the query's spec, as Grafana's v1 -> v2 conversion does."""
    group, ds = _datasource(a.get("datasource"))
    query_spec = dict(a["target"]) if "target" in a else {k: v for k, v in a.items() if k not in ANNOTATION_KEYS}
    query: dict[str, Any] = {"kind": "DataQuery", "group": group, "version": "v0", "spec": query_spec}
    if ds:
        query["datasource"] = ds
    spec: dict[str, Any] = {
        "name": a.get("name", ""),
        "query": query,
        "enable": bool(a.get("enable", True)),
        "hide": bool(a.get("hide")),
        "iconColor": a.get("iconColor", ""),
    }
    if "builtIn" in a:
        spec["builtIn"] = bool(a["builtIn"])
    if "placement" in a:
        spec["placement"] = a["placement"]
    return {"kind": "AnnotationQuery", "spec": spec}


def _classic_annotation(a: dict[str, Any]) -> dict[str, Any]:
    spec = a["spec"]
    query = spec["query"]
    out: dict[str, Any] = {
        "name": spec.get("name", ""),
        "datasource": {
            "type": query.get("group", "prometheus"),
            **({"uid": query["datasource"]["name"]} if query.get("datasource") else {}),
        },
        "enable": spec.get("enable", True),
        "iconColor": spec.get("iconColor", ""),
    }
    out["hide"] = bool(spec.get("hide"))
    if "builtIn" in spec:
        out["builtIn"] = 1 if spec["builtIn"] else 0
    if "placement" in spec:
        out["placement"] = spec["placement"]
    if query.get("group") == "grafana":
        out["target"] = dict(query.get("spec") or {})
    else:
        out.update(query.get("spec") or {})
    return out


def _variable(var: dict[str, Any], where: str) -> dict[str, Any]:
    kind = var.get("type")
    common = {
        "name": var["name"],
        "label": var.get("label", ""),
        "hide": HIDE[int(var.get("hide") or 0)],
        "skipUrlSync": bool(var.get("skipUrlSync")),
        "current": dict(var.get("current") or {"text": "", "value": ""}),
    }
    if kind == "datasource":
        return {
            "kind": "DatasourceVariable",
            "spec": {
                **common,
                "pluginId": var.get("query", "prometheus"),
                "refresh": "onDashboardLoad",
                "regex": var.get("regex", ""),
                "options": [],
                "multi": bool(var.get("multi")),
                "includeAll": bool(var.get("includeAll")),
                "allowCustomValue": bool(var.get("allowCustomValue", True)),
            },
        }
    if kind == "query":
        group, ds = _datasource(var.get("datasource"))
        query = var.get("query")
        query_spec = dict(query) if isinstance(query, dict) else {"query": str(query or "")}
        data_query: dict[str, Any] = {"kind": "DataQuery", "group": group, "version": "v0", "spec": query_spec}
        if ds:
            data_query["datasource"] = ds
        spec = {
            **common,
            "query": data_query,
            "definition": str(query_spec.get("query", "")),
            "refresh": REFRESH[int(var.get("refresh") or 1)],
            "regex": var.get("regex", ""),
            "sort": SORT[int(var.get("sort") or 0)],
            "options": [],
            "multi": bool(var.get("multi")),
            "includeAll": bool(var.get("includeAll")),
            "allowCustomValue": bool(var.get("allowCustomValue", True)),
        }
        if "allValue" in var:
            spec["allValue"] = var["allValue"]
        return {"kind": "QueryVariable", "spec": spec}
    if kind == "constant":
        value = str(var.get("query", ""))
        return {
            "kind": "ConstantVariable",
            "spec": {**common, "query": value, "current": {"text": value, "value": value}},
        }
    raise SchemaError(f"{where}: variable {var.get('name')!r} of type {kind!r} has no v2 mapping here")


# --- v2 -> the classic view ------------------------------------------------------------------------------------
def from_v2(spec: dict[str, Any], uid: str) -> dict[str, Any]:
    """The classic dashboard a v2 spec describes (what the checks read), without the `V1_ONLY` fields."""
    panels: list[dict[str, Any]] = []
    y = 0
    for row in spec["layout"]["spec"]["rows"]:
        r = row["spec"]
        if not r.get("hideHeader"):
            panels.append(
                {
                    "type": "row",
                    "title": r.get("title", ""),
                    "collapsed": bool(r.get("collapse")),
                    "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                    "panels": [],
                }
            )
            y += 1
        bottom = y
        for item in r["layout"]["spec"]["items"]:
            i = item["spec"]
            panel = _classic_panel(spec["elements"][i["element"]["name"]]["spec"])
            panel["gridPos"] = {"h": i["height"], "w": i["width"], "x": i["x"], "y": y + i["y"]}
            panels.append(panel)
            bottom = max(bottom, y + i["y"] + i["height"])
        y = bottom
    # rows have no id in v2: number them after the panels
    next_id = max((int(p["id"]) for p in panels if "id" in p), default=0)
    for p in panels:
        if p["type"] == "row":
            next_id += 1
            p["id"] = next_id
    t = spec.get("timeSettings") or {}
    sync = {v: k for k, v in GRAPH_TOOLTIP.items()}
    return {
        "uid": uid,
        "title": spec.get("title", ""),
        "description": spec.get("description", ""),
        "tags": list(spec.get("tags") or []),
        "editable": bool(spec.get("editable", True)),
        "graphTooltip": sync.get(spec.get("cursorSync", "Off"), 0),
        "links": list(spec.get("links") or []),
        "annotations": {"list": [_classic_annotation(a) for a in spec["annotations"]]}
        if spec.get("annotations")
        else {},
        "time": {"from": t.get("from", "now-6h"), "to": t.get("to", "now")},
        "refresh": t.get("autoRefresh", ""),
        "timezone": t.get("timezone", "browser"),
        "fiscalYearStartMonth": t.get("fiscalYearStartMonth", 0),
        "schemaVersion": SCHEMA_VERSION,
        "templating": {"list": [_classic_variable(v) for v in spec.get("variables") or []]},
        "panels": panels,
    }


def _classic_panel(p: dict[str, Any]) -> dict[str, Any]:
    viz = p["vizConfig"]
    data = p["data"]["spec"]
    targets = []
    datasource = None
    for q in data.get("queries") or []:
        s = q["spec"]
        query = s["query"]
        ds = {
            "type": query.get("group", "prometheus"),
            **({"uid": query["datasource"]["name"]} if query.get("datasource") else {}),
        }
        datasource = datasource or ds
        target = {"datasource": ds, "refId": s.get("refId", ""), **query.get("spec", {})}
        if s.get("hidden"):
            target["hide"] = True
        targets.append(target)
    panel: dict[str, Any] = {
        "id": p["id"],
        "type": viz["group"],
        "title": p.get("title", ""),
        "description": p.get("description", ""),
        "fieldConfig": viz["spec"].get("fieldConfig") or {"defaults": {}, "overrides": []},
        "options": viz["spec"].get("options") or {},
    }
    if targets:  # a text or alert-list panel queries nothing, and Grafana saves it without targets
        panel["targets"] = targets
    if datasource:
        panel["datasource"] = datasource
    if p.get("links"):
        panel["links"] = p["links"]
    if "transparent" in p:
        panel["transparent"] = p["transparent"]
    if data.get("transformations"):
        panel["transformations"] = [t["spec"] for t in data["transformations"]]
    return panel


def _classic_variable(v: dict[str, Any]) -> dict[str, Any]:
    s, kind = v["spec"], v["kind"]
    hide = {val: k for k, val in HIDE.items()}
    common = {
        "name": s["name"],
        "label": s.get("label", ""),
        "skipUrlSync": bool(s.get("skipUrlSync")),
        "current": s.get("current") or {},
    }
    if hide.get(s.get("hide", "dontHide"), 0):  # the classic default (0, shown) is left out, as the builders do
        common["hide"] = hide[s["hide"]]
    if kind == "DatasourceVariable":
        return {
            **common,
            "type": "datasource",
            "query": s.get("pluginId", ""),
            "multi": bool(s.get("multi")),
            "includeAll": bool(s.get("includeAll")),
            "allowCustomValue": bool(s.get("allowCustomValue", True)),
            **({"regex": s["regex"]} if s.get("regex") else {}),
        }
    if kind == "QueryVariable":
        q = s["query"]
        out = {
            **common,
            "type": "query",
            "query": q.get("spec", {}),
            "datasource": {
                "type": q.get("group", "prometheus"),
                **({"uid": q["datasource"]["name"]} if q.get("datasource") else {}),
            },
            "refresh": {val: k for k, val in REFRESH.items()}[s.get("refresh", "onDashboardLoad")],
            "sort": {val: k for k, val in SORT.items()}[s.get("sort", "disabled")],
            "multi": bool(s.get("multi")),
            "includeAll": bool(s.get("includeAll")),
            "allowCustomValue": bool(s.get("allowCustomValue", True)),
        }
        if "allValue" in s:
            out["allValue"] = s["allValue"]
        if s.get("regex"):
            out["regex"] = s["regex"]
        return out
    if kind == "ConstantVariable":
        return {**{k: v for k, v in common.items() if k != "current"}, "type": "constant", "query": s.get("query", "")}
    raise SchemaError(f"variable {s.get('name')!r}: {kind} is not read here")
