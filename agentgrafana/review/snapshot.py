"""Read a generated file set (`dict[path, bytes]`, paths relative to generated/) into comparable views.

Only the files that carry meaning are parsed: dashboard JSON, Grafana alerting provisioning and Prometheus
rule files. Wrappers that repeat them (ConfigMaps, PrometheusRule, dashboard provisioning) are reduced to
their envelope so that a change there is reported only when it is not a copy of a change elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..alerting.template import GRAFANA_VALUE
from ..model import format_number
from ..outputs import DASHBOARD, GRAFANA_ALERTING, PROMETHEUS_RULES, PROMTOOL_TEST_RULES, format_of
from .sources import SourceError

PROMETHEUS = "Prometheus"
GRAFANA = "Grafana"
_EVALUATORS = {"gt": ">", "lt": "<", "gte": ">=", "lte": "<=", "eq": "==", "ne": "!="}
_COMPARISON_RE = re.compile(r"^\((?P<inner>.*)\)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<num>[-+0-9.eE]+)$", re.S)


@dataclass
class Panel:
    """One panel (rows included) of a dashboard, keyed by `id` (or title when it has no id)."""

    key: str
    id: int | None
    title: str
    type: str
    grid: tuple[int, int, int, int]  # x, y, w, h
    queries: dict[str, str]  # refId -> expression
    unit: str
    thresholds: str
    description: str
    rest: dict[str, Any]  # everything else, for "other settings changed"

    @property
    def label(self) -> str:
        ident = f"panel {self.id}" if self.id is not None else "panel"
        return f"{ident} “{self.title}” ({self.type})"


@dataclass
class Dashboard:
    uid: str
    title: str
    folder: str
    panels: dict[str, Panel]
    variables: dict[str, dict[str, Any]]
    rest: dict[str, Any]


@dataclass
class AlertRule:
    """An alert of one target (Prometheus or Grafana) in target-independent fields."""

    key: str
    name: str
    target: str
    fields: dict[str, str]  # expression, threshold, for, severity, labels, group, annotation <k>, ...
    link_names: frozenset[str] = frozenset()  # normalized names that may identify its twin
    label_key: str = ""  # all labels, to tell apart alerts that share a name


@dataclass
class RecordingRule:
    key: str
    record: str
    fields: dict[str, str]


@dataclass
class Snapshot:
    dashboards: dict[str, Dashboard] = field(default_factory=dict)
    alerts: dict[tuple[str, str], AlertRule] = field(default_factory=dict)  # (target, key) -> rule
    recording: dict[str, RecordingRule] = field(default_factory=dict)
    others: dict[str, Any] = field(default_factory=dict)  # path -> comparable envelope


def normalize_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def parse_files(files: dict[str, bytes]) -> Snapshot:
    """Every file read into comparable objects; a file that is not what its path says raises SourceError."""
    snap = Snapshot()
    prometheus_alerts: list[AlertRule] = []
    for path in sorted(files):
        try:
            _parse_file(snap, prometheus_alerts, path, files[path])
        except (ValueError, TypeError, AttributeError, KeyError, IndexError, RecursionError, yaml.YAMLError) as exc:
            reason = " ".join(str(exc).split())[:160]
            raise SourceError(
                f"{path}: cannot be read as agentgrafana output ({type(exc).__name__}: {reason})"
            ) from None
    for rule in _disambiguate(prometheus_alerts):
        snap.alerts[(PROMETHEUS, rule.key)] = rule
    return snap


def _parse_file(snap: Snapshot, prometheus_alerts: list[AlertRule], path: str, body: bytes) -> None:
    """Read a file by the role of the output format that writes it (`agentgrafana.outputs`)."""
    fmt = format_of(path)
    role = fmt.role if fmt else ""
    if fmt is not None and role == DASHBOARD and (m := fmt.pattern.match(path)):
        d = parse_dashboard(json.loads(body), m["folder"], m["uid"])
        snap.dashboards[d.uid] = d
    elif role == GRAFANA_ALERTING:
        for rule in parse_grafana_rules(yaml.safe_load(body) or {}):
            snap.alerts[(GRAFANA, rule.key)] = rule
    elif role in (PROMETHEUS_RULES, PROMTOOL_TEST_RULES):  # deployed, or kept for promtool (Grafana engine)
        alerts, records = parse_prometheus_rules(yaml.safe_load(body) or {})
        prometheus_alerts.extend(alerts)
        for rec in records:
            snap.recording[rec.key] = rec
    else:
        snap.others[path] = envelope(path, body)


# --- dashboards -----------------------------------------------------------------------------------


def parse_dashboard(model: dict[str, Any], folder: str, uid: str) -> Dashboard:
    panels: dict[str, Panel] = {}
    for raw in _flatten_panels(model.get("panels") or []):
        p = parse_panel(raw)
        key = p.key
        n = 2
        while key in panels:  # duplicate ids or titles: keep both, deterministically
            key, n = f"{p.key}#{n}", n + 1
        p.key = key
        panels[key] = p
    variables = {str(v.get("name")): v for v in (model.get("templating") or {}).get("list") or []}
    rest = {k: v for k, v in model.items() if k not in ("panels", "templating", "title", "uid", "version")}
    return Dashboard(
        uid=str(model.get("uid") or uid),
        title=str(model.get("title") or uid),
        folder=folder,
        panels=panels,
        variables=variables,
        rest=rest,
    )


def _flatten_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for p in panels:
        children = p.get("panels") or []
        out.append({k: v for k, v in p.items() if k != "panels"} if children else p)
        out.extend(_flatten_panels(children))
    return out


def parse_panel(raw: dict[str, Any]) -> Panel:
    pid = raw.get("id")
    title = str(raw.get("title") or "")
    g = raw.get("gridPos") or {}
    defaults = (raw.get("fieldConfig") or {}).get("defaults") or {}
    queries = {}
    for i, t in enumerate(raw.get("targets") or []):
        text = t.get("expr") or t.get("query") or t.get("rawSql") or ""
        queries[str(t.get("refId") or chr(ord("A") + i))] = str(text)
    tracked_targets = [{k: v for k, v in t.items() if k not in ("expr", "refId")} for t in raw.get("targets") or []]
    rest = {
        k: v
        for k, v in raw.items()
        if k not in ("id", "title", "type", "gridPos", "targets", "fieldConfig", "description")
    }
    rest["targets"] = tracked_targets
    rest["fieldConfig"] = {
        **(raw.get("fieldConfig") or {}),
        "defaults": {k: v for k, v in defaults.items() if k not in ("unit", "thresholds")},
    }
    return Panel(
        key=f"id:{pid}" if isinstance(pid, int) else f"title:{title}",
        id=pid if isinstance(pid, int) else None,
        title=title,
        type=str(raw.get("type") or ""),
        grid=(int(g.get("x", 0)), int(g.get("y", 0)), int(g.get("w", 0)), int(g.get("h", 0))),
        queries=queries,
        unit=str(defaults.get("unit") or ""),
        thresholds=format_thresholds(defaults.get("thresholds")),
        description=str(raw.get("description") or ""),
        rest=rest,
    )


def format_thresholds(th: dict[str, Any] | None) -> str:
    """`green, red ≥ 80` for steps [{green, null}, {red, 80}]; percentage mode is said."""
    if not th:
        return ""
    parts = []
    for step in th.get("steps") or []:
        color, value = step.get("color", "?"), step.get("value")
        parts.append(str(color) if value is None else f"{color} ≥ {_number(value)}")
    text = ", ".join(parts)
    return f"{text} (percentage)" if th.get("mode") == "percentage" else text


def _number(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(float(value))
    return str(value)


def format_grid(grid: tuple[int, int, int, int]) -> str:
    x, y, w, h = grid
    return f"x {x}, y {y}, {w}×{h}"


# --- alerts and recording rules -------------------------------------------------------------------


def parse_grafana_rules(doc: dict[str, Any]) -> list[AlertRule]:
    out = []
    for group in doc.get("groups") or []:
        for rule in group.get("rules") or []:
            uid, title = str(rule.get("uid") or ""), str(rule.get("title") or "")
            fields: dict[str, str] = {
                "group": f"{group.get('folder', '')}/{group.get('name', '')}",
                "interval": str(group.get("interval", "")),
                "title": title,
                "for": str(rule.get("for", "0s")),
            }
            queries, rest_data = [], []
            for item in rule.get("data") or []:
                model = item.get("model") or {}
                if "expr" in model:
                    queries.append((str(item.get("refId")), str(model["expr"])))
                elif model.get("type") == "threshold":
                    fields["threshold"] = _grafana_threshold(model)
                else:
                    rest_data.append(item)
                    continue
                rest_data.append(
                    {k: v for k, v in item.items() if k != "model"}
                    | {"model": {k: v for k, v in model.items() if k not in ("expr", "conditions")}}
                )
            if len(queries) == 1:
                fields["expression"] = queries[0][1]
            for ref, expr in queries if len(queries) > 1 else []:
                fields[f"expression {ref}"] = expr
            _labels_and_annotations(fields, rule, grafana=True)
            extra = {k: v for k, v in rule.items() if k not in ("uid", "title", "for", "labels", "annotations", "data")}
            fields["other settings"] = json.dumps({"data": rest_data, **extra}, sort_keys=True)
            links = {normalize_name(n) for n in (title, uid, *map(str, (rule.get("labels") or {}).values()))}
            out.append(
                AlertRule(
                    key=uid or title, name=title or uid, target=GRAFANA, fields=fields, link_names=frozenset(links)
                )
            )
    return out


def _grafana_threshold(model: dict[str, Any]) -> str:
    conds = model.get("conditions") or [{}]
    ev = conds[0].get("evaluator") or {}
    kind, params = str(ev.get("type", "")), [_number(p) for p in ev.get("params") or []]
    if kind in _EVALUATORS and params:
        return f"{_EVALUATORS[kind]} {params[0]}"
    return f"{kind} {' .. '.join(params)}".strip()


def _labels_and_annotations(fields: dict[str, str], rule: dict[str, Any], grafana: bool = False) -> None:
    """Labels and annotations as fields; a Grafana rule's `$values.B.Value` reads as `$value`, so a change to
    the one template both twins share is told once."""
    labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
    fields["severity"] = labels.pop("severity", "")
    fields["labels"] = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
    for k, v in sorted((rule.get("annotations") or {}).items()):
        fields[f"annotation {k}"] = str(v).replace(GRAFANA_VALUE, "$value") if grafana else str(v)


def split_comparison(expr: str) -> tuple[str, str]:
    """`(q) > 5` -> (`q`, `> 5`); anything else -> (expr, "")."""
    m = _COMPARISON_RE.match(expr.strip())
    if m and _balanced(m["inner"]):
        return m["inner"].strip(), f"{m['op']} {_number(float(m['num']))}"
    return expr.strip(), ""


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def parse_prometheus_rules(doc: dict[str, Any]) -> tuple[list[AlertRule], list[RecordingRule]]:
    alerts, records = [], []
    for group in doc.get("groups") or []:
        gname = str(group.get("name", ""))
        for rule in group.get("rules") or []:
            labels = {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
            if "record" in rule:
                record = str(rule["record"])
                label_text = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
                key = f"{record}{{{label_text}}}" if labels else record
                records.append(
                    RecordingRule(
                        key=key,
                        record=record,
                        fields={
                            "expression": str(rule.get("expr", "")).strip(),
                            "group": gname,
                            "interval": str(group.get("interval", "")),
                        },
                    )
                )
                continue
            name = str(rule.get("alert", ""))
            expr, threshold = split_comparison(str(rule.get("expr", "")))
            fields = {
                "group": gname,
                "interval": str(group.get("interval", "")),
                "expression": expr,
                "threshold": threshold,
                "for": str(rule.get("for", "0s")),
            }
            _labels_and_annotations(fields, rule)
            extra = {k: v for k, v in rule.items() if k not in ("alert", "expr", "for", "labels", "annotations")}
            fields["other settings"] = json.dumps(extra, sort_keys=True)
            alerts.append(
                AlertRule(
                    key=name,
                    name=name,
                    target=PROMETHEUS,
                    fields=fields,
                    link_names=frozenset({normalize_name(name)}),
                    label_key=json.dumps(labels, sort_keys=True),
                )
            )
    return alerts, records


def _disambiguate(alerts: list[AlertRule]) -> list[AlertRule]:
    """Alerts sharing a name (e.g. one per tenant) are keyed by name and labels."""
    counts: dict[str, int] = {}
    for rule in alerts:
        counts[rule.key] = counts.get(rule.key, 0) + 1
    for rule in alerts:
        if counts[rule.key] > 1:
            rule.key = f"{rule.key}{rule.label_key}"
    return alerts


# --- other files ----------------------------------------------------------------------------------


def envelope(path: str, body: bytes) -> Any:
    """What of a wrapper file is its own: Kubernetes manifests without their payload, else the bytes."""
    if path.startswith("kubernetes/") and path.endswith((".yaml", ".yml")):
        try:
            docs = list(yaml.safe_load_all(body))
        except yaml.YAMLError:
            return body
        for d in docs:
            if isinstance(d, dict):
                d.pop("data", None)
                d.pop("binaryData", None)
                if isinstance(d.get("spec"), dict):
                    d["spec"].pop("groups", None)
        return docs
    return body
