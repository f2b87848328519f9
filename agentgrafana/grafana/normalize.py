"""Normalise Grafana objects before comparing them, so that only real changes count.

Grafana stores dashboards with an `id` and `version` of its own, its UI adds default-valued fields on
save, and the alerting API hands rules back with server fields (`id`, `orgID`, `updated`,
`provenance`) and `for` as a duration string. Both sides of every comparison go through the same
functions here, so a default that one side spells out and the other omits compares equal.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from agentgrafana.alerting.duration import seconds
from agentgrafana.board import OWNERSHIP_TAG as OWNER_TAG
from agentgrafana.model import OWNERSHIP_LABEL as OWNER_LABEL

HASH_TAG_PREFIX = "agentgrafana-hash:"
HASH_LENGTH = 12

# Dashboard fields whose default the Grafana UI writes out on save; a default counts as absent.
_DASHBOARD_DEFAULTS: dict[str, Any] = {
    "editable": True,
    "fiscalYearStartMonth": 0,
    "graphTooltip": 0,
    "liveNow": False,
    "weekStart": "",
    "refresh": "",
    "timezone": "",
    "style": "dark",
}
_SERVER_DASHBOARD_FIELDS = ("id", "version")
_SERVER_RULE_FIELDS = frozenset({"id", "orgID", "folderUID", "ruleGroup", "updated", "provenance"})
_QUERY_MODEL_DEFAULTS = {"intervalMs": 1000, "maxDataPoints": 43200}  # Grafana fills these in on save


def canonical(value: Any) -> str:
    """Compact JSON with sorted keys: the form that is hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def pretty(value: Any) -> str:
    """Indented JSON with sorted keys: the form that is diffed."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False)


def _clean(value: Any) -> Any:
    """Integral floats become ints (Grafana's Go encoder writes 10.0 as 10); empty values are dropped.

    Empty means None, "", [] or {} (after cleaning) as a dict value; list items are never dropped.
    Every dict and list in the result is new.
    """
    if isinstance(value, dict):
        return _clean_dict(value)
    if isinstance(value, list):
        return _clean_list(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _clean_dict(value: dict[Any, Any]) -> dict[Any, Any]:
    out = {}
    for k, v in value.items():  # one pass, no call per scalar: this runs on every node of every dashboard
        if isinstance(v, dict):
            v = _clean_dict(v)
            if not v:
                continue
        elif isinstance(v, list):
            v = _clean_list(v)
            if not v:
                continue
        elif isinstance(v, str):
            if not v:
                continue
        elif v is None:
            continue
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        out[k] = v
    return out


def _clean_list(value: list[Any]) -> list[Any]:
    out = []
    for v in value:
        if isinstance(v, dict):
            v = _clean_dict(v)
        elif isinstance(v, list):
            v = _clean_list(v)
        elif isinstance(v, float) and v.is_integer():
            v = int(v)
        out.append(v)
    return out


def _without_panel_noise(panels: Iterable[Any]) -> list[Any]:
    out = []
    for panel in panels:
        if isinstance(panel, dict):
            panel = {k: v for k, v in panel.items() if k != "pluginVersion"}
            if isinstance(panel.get("panels"), list):  # collapsed rows hold their panels
                panel["panels"] = _without_panel_noise(panel["panels"])
        out.append(panel)
    return out


def strip_hash_tags(tags: Iterable[str]) -> list[str]:
    return [t for t in tags if not str(t).startswith(HASH_TAG_PREFIX)]


def normalize_dashboard(model: dict[str, Any], *, keep_hash_tag: bool = True) -> dict[str, Any]:
    """The dashboard without server fields, UI-written defaults, built-in annotations or tag order.

    `model` is not changed, and the result shares no dict or list with it: `_clean` rebuilds every
    container, so no deep copy is needed first.
    """
    d = {k: v for k, v in model.items() if k not in _SERVER_DASHBOARD_FIELDS}
    for key, default in _DASHBOARD_DEFAULTS.items():
        if key in d and d[key] == default and type(d[key]) is type(default):
            del d[key]
    if isinstance(d.get("panels"), list):
        d["panels"] = _without_panel_noise(d["panels"])
    annotations = d.get("annotations")
    if isinstance(annotations, dict) and isinstance(annotations.get("list"), list):
        kept = [a for a in annotations["list"] if not (isinstance(a, dict) and a.get("builtIn"))]
        d["annotations"] = {**annotations, "list": kept}
    tags = [str(t) for t in d.get("tags") or []]
    d["tags"] = sorted(set(tags if keep_hash_tag else strip_hash_tags(tags)))
    return _clean(d)


def _digest(normalized_without_hash_tag: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(normalized_without_hash_tag).encode()).hexdigest()[:HASH_LENGTH]


def dashboard_content_hash(model: dict[str, Any]) -> str:
    """Hash of the normalised dashboard, ignoring its own hash tag: what the hash tag records."""
    return _digest(normalize_dashboard(model, keep_hash_tag=False))


def normalized_content_hash(normalized: dict[str, Any]) -> str:
    """`dashboard_content_hash` of a dashboard already put through `normalize_dashboard` (no second pass)."""
    tags = strip_hash_tags(normalized.get("tags") or [])
    if tags:
        return _digest({**normalized, "tags": tags})
    return _digest({k: v for k, v in normalized.items() if k != "tags"})  # _clean drops an empty list


def recorded_hash(model: dict[str, Any]) -> str | None:
    """The content hash recorded in the dashboard's `agentgrafana-hash:` tag at our last push."""
    for tag in model.get("tags") or []:
        if str(tag).startswith(HASH_TAG_PREFIX):
            return str(tag)[len(HASH_TAG_PREFIX) :]
    return None


def owned_dashboard(model: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str]:
    """`model` tagged as ours with its hash tag, its normalised form (hash tag included) and its content hash.

    One normalisation and one hash per dashboard. The tagged model is a shallow copy: only `tags` is
    new, nested objects are shared with `model` (nothing here changes them).
    """
    tags = strip_hash_tags(str(t) for t in model.get("tags") or [])
    if OWNER_TAG not in tags:
        tags.append(OWNER_TAG)
    tagged = {**model, "tags": tags}
    normalized = normalize_dashboard(tagged, keep_hash_tag=False)
    content_hash = _digest(normalized)  # the hash ignores hash tags
    hash_tag = HASH_TAG_PREFIX + content_hash
    tagged["tags"] = tags + [hash_tag]
    normalized["tags"] = sorted({*normalized.get("tags", ()), hash_tag})  # as normalize_dashboard(tagged)
    return tagged, normalized, content_hash


def with_ownership_tags(model: dict[str, Any]) -> dict[str, Any]:
    """A (shallow) copy of `model` tagged as ours, with the hash tag recording its current content."""
    return owned_dashboard(model)[0]


def is_owned_dashboard(model_or_tags: dict[str, Any] | Iterable[str]) -> bool:
    tags = model_or_tags.get("tags") or [] if isinstance(model_or_tags, dict) else model_or_tags
    return OWNER_TAG in tags


def parse_duration(value: Any) -> float:
    """Seconds in a duration as Grafana returns it ("5m", "1h30m", "5m0s", "0s") or a number of seconds."""
    if isinstance(value, (int, float)):
        return value
    return seconds(str(value).strip())


def _normalize_rule(rule: dict[str, Any], keep: set[str] | None) -> dict[str, Any]:
    r = {k: copy.deepcopy(v) for k, v in rule.items() if k not in _SERVER_RULE_FIELDS}
    if keep is not None:
        r = {k: v for k, v in r.items() if k in keep}
    if "for" in r:
        try:
            r["for"] = parse_duration(r["for"])
        except ValueError:
            pass  # compare as sent; Grafana will reject it
    if r.get("isPaused") is False:
        del r["isPaused"]
    for query in r.get("data") or []:
        model = query.get("model") if isinstance(query, dict) else None
        if isinstance(model, dict):
            for key, default in _QUERY_MODEL_DEFAULTS.items():
                if model.get(key) == default:
                    del model[key]
    return _clean(r)


def normalize_rule_group(group: dict[str, Any], *, keep: set[str] | None = None) -> dict[str, Any]:
    """The group as we send it: title, folderUid, interval and rules (sorted by uid, then title).

    With `keep`, rules are cut down to those fields: we compare only what we send.
    """
    rules = [_normalize_rule(r, keep) for r in group.get("rules") or []]
    rules.sort(key=lambda r: (str(r.get("uid", "")), str(r.get("title", ""))))
    return {
        "title": group.get("title"),
        "folderUid": group.get("folderUid"),
        "interval": _clean(parse_duration(group.get("interval", 0))),
        "rules": rules,
    }


def rule_fields(rules: Iterable[dict[str, Any]]) -> set[str]:
    """The fields we send for a group's rules (the union over its rules)."""
    return {k for r in rules for k in r} - _SERVER_RULE_FIELDS


def is_owned_rule(rule: dict[str, Any]) -> bool:
    labels = rule.get("labels") or {}
    return labels.get(OWNER_LABEL[0]) == OWNER_LABEL[1]
