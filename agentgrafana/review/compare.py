"""Semantic diff of two generated file sets: `diff_files(old, new) -> Report`. No I/O, no git."""

from __future__ import annotations

import json
from typing import Any

from .pretty import pretty, same_query
from .report import ALERTS, DASHBOARDS, RECORDING, Detail, Entry, Report
from .snapshot import (
    GRAFANA,
    PROMETHEUS,
    AlertRule,
    Dashboard,
    Panel,
    RecordingRule,
    Snapshot,
    format_grid,
    normalize_name,
    parse_files,
)

MAX_PATHS = 6
_VARIABLE_FIELDS = ("type", "label", "query", "datasource", "includeAll", "multi", "allValue", "regex", "current")
_ALERT_FIELD_ORDER = ("title", "expression", "threshold", "for", "severity", "labels", "group", "interval")


def diff_files(old: dict[str, bytes], new: dict[str, bytes]) -> Report:
    """What changes from `old` to `new` (paths relative to generated/), in a deterministic order."""
    a, b = parse_files(old), parse_files(new)
    entries = diff_dashboards(a, b) + diff_alerts(a, b) + diff_recording(a, b)
    others = sorted(
        p for p in set(a.others) | set(b.others) if a.others.get(p) != b.others.get(p) and not _explained(p, old, new)
    )
    return Report(entries=entries, other_files=others)


def _explained(path: str, old: dict[str, bytes], new: dict[str, bytes]) -> bool:
    """A dashboard ConfigMap that comes or goes with its dashboard, or promtool tests that follow their rule
    file, are not news."""
    if path.startswith("prometheus/tests/"):
        name = path.removeprefix("prometheus/tests/")
        rules = ("prometheus/rules/" + name, "prometheus/tests/rules/" + name)
        return any(old.get(r) != new.get(r) for r in rules)
    if path.startswith("kubernetes/dashboards/") and path.endswith(".yaml"):
        twin = "dashboards/" + path.removeprefix("kubernetes/dashboards/").removesuffix(".yaml") + ".json"
        return (path in old) == (twin in old) and (path in new) == (twin in new)
    return False


# --- dashboards -----------------------------------------------------------------------------------


def diff_dashboards(a: Snapshot, b: Snapshot) -> list[Entry]:
    out = []
    for uid in sorted(set(a.dashboards) | set(b.dashboards)):
        old, new = a.dashboards.get(uid), b.dashboards.get(uid)
        if old is None or new is None:
            d = new or old
            assert d is not None
            n = sum(1 for p in d.panels.values() if p.type != "row")
            out.append(
                Entry(
                    DASHBOARDS,
                    uid,
                    d.title,
                    "added" if old is None else "removed",
                    summary=f"{n} panel{'s' if n != 1 else ''} in folder {d.folder}",
                )
            )
            continue
        details = dashboard_details(old, new)
        if details:
            out.append(Entry(DASHBOARDS, uid, new.title, "changed", details=details))
    return out


def dashboard_details(old: Dashboard, new: Dashboard) -> list[Detail]:
    out: list[Detail] = []
    if old.title != new.title:
        out.append(Detail("dashboard", "dashboard", "retitled", "title", old.title, new.title))
    if old.folder != new.folder:
        out.append(Detail("dashboard", "dashboard", "moved", "folder", old.folder, new.folder))
    old_links, new_links = _links(old.rest), _links(new.rest)
    if old_links != new_links:
        out.append(Detail("dashboard", "dashboard", "changed", "links", old_links, new_links))
    rest_a = {k: v for k, v in old.rest.items() if k != "links"}
    rest_b = {k: v for k, v in new.rest.items() if k != "links"}
    out += _other("dashboard", "dashboard settings", rest_a, rest_b)
    for key in sorted(set(old.panels) | set(new.panels), key=lambda k: _panel_order(k, old, new)):
        out += panel_details(old.panels.get(key), new.panels.get(key))
    for name in sorted(set(old.variables) | set(new.variables)):
        out += variable_details(name, old.variables.get(name), new.variables.get(name))
    return out


def _links(rest: dict[str, Any]) -> str:
    return ", ".join(str(link.get("title") or link.get("url") or "?") for link in rest.get("links") or [])


def _panel_order(key: str, old: Dashboard, new: Dashboard) -> tuple[int, int, str]:
    p = new.panels.get(key) or old.panels[key]
    return (0, p.id, key) if p.id is not None else (1, 0, key)


def panel_details(old: Panel | None, new: Panel | None) -> list[Detail]:
    if old is None or new is None:
        p = new or old
        assert p is not None
        queries = "\n".join(pretty(q) for q in p.queries.values() if q) or None
        if old is None:
            return [Detail(f"panel:{p.key}", p.label, "added", format_grid(p.grid), None, queries, bool(queries))]
        return [Detail(f"panel:{p.key}", p.label, "removed", format_grid(p.grid))]
    ref, what = f"panel:{new.key}", new.label
    out = []
    if old.title != new.title:
        out.append(Detail(ref, what, "retitled", "title", old.title, new.title))
    if old.grid != new.grid:
        out.append(Detail(ref, what, "moved", "position", format_grid(old.grid), format_grid(new.grid)))
    if old.type != new.type:
        out.append(Detail(ref, what, "changed", "type", old.type, new.type))
    for ref_id in sorted(set(old.queries) | set(new.queries)):
        qa, qb = old.queries.get(ref_id), new.queries.get(ref_id)
        if qa is None or qb is None or not same_query(qa, qb):
            action = "added" if qa is None else "removed" if qb is None else "changed"
            out.append(
                Detail(
                    ref,
                    what,
                    action,
                    f"query {ref_id}",
                    None if qa is None else pretty(qa),
                    None if qb is None else pretty(qb),
                    code=True,
                )
            )
    if old.unit != new.unit:
        out.append(Detail(ref, what, "changed", "unit", old.unit or "(none)", new.unit or "(none)"))
    if old.thresholds != new.thresholds:
        out.append(Detail(ref, what, "changed", "thresholds", old.thresholds or "(none)", new.thresholds or "(none)"))
    if old.description != new.description:
        out.append(
            Detail(ref, what, "changed", "description", old.description or "(none)", new.description or "(none)")
        )
    out += _other(ref, what, old.rest, new.rest)
    return out


def variable_details(name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Detail]:
    ref, what = f"variable:{name}", f"variable ${name}"
    if old is None or new is None:
        v = new or old
        assert v is not None
        return [
            Detail(
                ref,
                what,
                "added" if old is None else "removed",
                "",
                None,
                _scalar(_variable_query(v)) if new is not None else None,
            )
        ]
    out = []
    for f in _VARIABLE_FIELDS:
        va = _variable_query(old) if f == "query" else old.get(f)
        vb = _variable_query(new) if f == "query" else new.get(f)
        if va != vb:
            out.append(Detail(ref, what, "changed", f, _scalar(va), _scalar(vb)))
    rest_a = {k: v for k, v in old.items() if k not in _VARIABLE_FIELDS}
    rest_b = {k: v for k, v in new.items() if k not in _VARIABLE_FIELDS}
    return out + _other(ref, what, rest_a, rest_b)


def _variable_query(v: dict[str, Any]) -> Any:
    q = v.get("query")
    return q.get("query", q) if isinstance(q, dict) else q


# --- alerts ---------------------------------------------------------------------------------------


def diff_alerts(a: Snapshot, b: Snapshot) -> list[Entry]:
    """Alerts compared per target, then a Prometheus alert and its Grafana twin are told as one entry."""
    prom_keys = {k for (t, k) in (*a.alerts, *b.alerts) if t == PROMETHEUS}
    by_name: dict[str, list[str]] = {}
    for k in prom_keys:
        by_name.setdefault(normalize_name(k), []).append(k)

    def identity(target: str, rule: AlertRule) -> str:
        if target == PROMETHEUS:
            return rule.key
        twins = {k for n in rule.link_names for k in by_name.get(n, [])}
        return twins.pop() if len(twins) == 1 else f"grafana:{rule.key}"

    groups: dict[str, dict[str, list[AlertRule | None]]] = {}
    for side, snap in enumerate((a, b)):
        for (target, _), rule in snap.alerts.items():
            pair = groups.setdefault(identity(target, rule), {}).setdefault(target, [None, None])
            pair[side] = rule
    return [e for ident in sorted(groups) if (e := alert_entry(ident, groups[ident]))]


def alert_entry(ident: str, targets: dict[str, list[AlertRule | None]]) -> Entry | None:
    names = [r.name for t in (PROMETHEUS, GRAFANA) for r in targets.get(t, []) if r is not None]
    title = names[0] if names else ident
    statuses = {t: "added" if o is None else "removed" if n is None else "both" for t, (o, n) in targets.items()}
    where = tuple(sorted(targets))
    if set(statuses.values()) in ({"added"}, {"removed"}):
        status = next(iter(statuses.values()))
        rule = next(r for pair in targets.values() for r in pair if r is not None)
        f = rule.fields
        summary = ", ".join(
            x
            for x in (
                f.get("threshold") and f"threshold {f['threshold']}",
                f"for {f.get('for', '0s')}",
                f.get("severity") and f"severity {f['severity']}",
            )
            if x
        )
        code = pretty(f.get("expression", "")) if status == "added" else ""
        return Entry(ALERTS, ident, title, status, summary=summary, code=code, where=where)
    merged: dict[tuple[Any, ...], set[str]] = {}
    order: list[Detail] = []
    for target in where:
        old, new = targets[target]
        for d in rule_details(target, old, new):
            key = (d.ref, d.what, d.action, d.field, d.before, d.after, d.code)
            if key not in merged:
                merged[key] = set()
                order.append(d)
            merged[key].add(target)
    details = [
        Detail(
            d.ref,
            d.what,
            d.action,
            d.field,
            d.before,
            d.after,
            d.code,
            tuple(sorted(merged[(d.ref, d.what, d.action, d.field, d.before, d.after, d.code)])),
        )
        for d in order
    ]
    details.sort(key=lambda d: (_field_rank(d.field), d.field, d.where))
    return Entry(ALERTS, ident, title, "changed", where=where, details=details) if details else None


def rule_details(target: str, old: AlertRule | None, new: AlertRule | None) -> list[Detail]:
    if old is None or new is None:
        return [Detail("rule", f"{target} rule", "added" if old is None else "removed")]
    out = []
    for f in sorted(set(old.fields) | set(new.fields), key=lambda f: (_field_rank(f), f)):
        va, vb = old.fields.get(f), new.fields.get(f)
        if f == "other settings":
            out += _other("rule", "rule", json.loads(va or "{}"), json.loads(vb or "{}"), prefix=f"{target} ")
        elif f.startswith("expression"):
            if va is None or vb is None or not same_query(va, vb):
                out.append(
                    Detail(
                        "rule", "rule", "changed", f, pretty(va) if va else None, pretty(vb) if vb else None, code=True
                    )
                )
        elif va != vb:
            out.append(Detail("rule", "rule", "changed", f, va or "(none)", vb or "(none)"))
    return out


def _field_rank(f: str) -> int:
    base = f.split(" ")[0]
    return _ALERT_FIELD_ORDER.index(base) if base in _ALERT_FIELD_ORDER else len(_ALERT_FIELD_ORDER)


# --- recording rules ------------------------------------------------------------------------------


def diff_recording(a: Snapshot, b: Snapshot) -> list[Entry]:
    out = []
    for key in sorted(set(a.recording) | set(b.recording)):
        old, new = a.recording.get(key), b.recording.get(key)
        if old is None or new is None:
            r: RecordingRule = new or old  # type: ignore[assignment]
            out.append(
                Entry(
                    RECORDING,
                    key,
                    key,
                    "added" if old is None else "removed",
                    summary=f"group {r.fields.get('group', '')}",
                    code=pretty(r.fields["expression"]) if new is not None else "",
                )
            )
            continue
        details = []
        for f in sorted(set(old.fields) | set(new.fields)):
            va, vb = old.fields.get(f, ""), new.fields.get(f, "")
            if f == "expression" and not same_query(va, vb):
                details.append(Detail("rule", "rule", "changed", f, pretty(va), pretty(vb), code=True))
            elif f != "expression" and va != vb:
                details.append(Detail("rule", "rule", "changed", f, va or "(none)", vb or "(none)"))
        if details:
            out.append(Entry(RECORDING, key, key, "changed", details=details))
    return out


# --- anything not tracked by name -----------------------------------------------------------------


def _other(ref: str, what: str, a: Any, b: Any, prefix: str = "") -> list[Detail]:
    """One detail naming the settings that differ (`options.legend.displayMode: list → table`)."""
    leaves = changed_leaves(a, b)
    if not leaves:
        return []
    shown = [f"{p}: {_scalar(x)} → {_scalar(y)}" if _short(x) and _short(y) else p for p, x, y in leaves[:MAX_PATHS]]
    if len(leaves) > MAX_PATHS:
        shown.append(f"and {len(leaves) - MAX_PATHS} more")
    return [Detail(ref, what, "changed", f"{prefix}other settings", None, "; ".join(shown))]


def changed_leaves(a: Any, b: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                out += changed_leaves(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [leaf for i, (x, y) in enumerate(zip(a, b)) for leaf in changed_leaves(x, y, f"{path}[{i}]")]
    return [] if a == b else [(path or "(value)", a, b)]


def _short(v: Any) -> bool:
    return v is None or (isinstance(v, (str, int, float, bool)) and len(str(v)) <= 40)


def _scalar(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, str):
        return v
    return json.dumps(v, sort_keys=True, ensure_ascii=False)
