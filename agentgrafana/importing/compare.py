"""Normalise two dashboards the same way, then list where they differ (grizzly's rule: normalise, then compare).

Set aside: what the Grafana instance assigns (`id`, `version`, `iteration`), the ownership tag this project adds,
and JSON's number spelling (80 and 80.0 are one value).
"""

from __future__ import annotations

import copy
from typing import Any

INSTANCE_KEYS = ("id", "version", "iteration")


def normalise(model: dict[str, Any], owner_tag: str) -> dict[str, Any]:
    out = copy.deepcopy(model)
    for key in INSTANCE_KEYS:
        out.pop(key, None)
    if isinstance(out.get("tags"), list):
        out["tags"] = [t for t in out["tags"] if t != owner_tag]
    return out


def differences(before: Any, after: Any, path: str = "", limit: int = 50) -> list[str]:
    """`path: before -> after` for each leaf that differs (at most `limit`)."""
    out: list[str] = []
    _diff(before, after, path, out, limit)
    return out


def _diff(a: Any, b: Any, path: str, out: list[str], limit: int) -> None:
    if len(out) >= limit:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in list(a) + [k for k in b if k not in a]:
            where = f"{path}.{key}" if path else str(key)
            if key not in b:
                out.append(f"{where}: removed (was {_show(a[key])})")
            elif key not in a:
                out.append(f"{where}: added ({_show(b[key])})")
            else:
                _diff(a[key], b[key], where, out, limit)
        return
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            where = f"{path}[{i}]"
            if i >= len(b):
                out.append(f"{where}: removed (was {_show(a[i])})")
            elif i >= len(a):
                out.append(f"{where}: added ({_show(b[i])})")
            else:
                _diff(a[i], b[i], where, out, limit)
        return
    if a != b or isinstance(a, bool) != isinstance(b, bool):  # JSON true is not 1
        out.append(f"{path}: {_show(a)} -> {_show(b)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
