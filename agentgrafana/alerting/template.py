"""Alert annotation templates that render the same in Prometheus and in Grafana.

Only a small, portable vocabulary is allowed inside `{{ }}`: `$labels.<name>`, and `$value` formatted by
`humanize`, `humanizeDuration`, `humanizePercentage` or `printf "%.<n>f"`. Grafana has no `$value` number,
so `for_grafana` rewrites it to the reduce step's value. `render` reproduces Prometheus' output, which
the generated promtool tests expect.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

ACTION = re.compile(r"\{\{(.*?)\}\}", re.S)
LABEL = re.compile(r"^\$labels\.([A-Za-z_][A-Za-z0-9_]*)$")
FUNCTIONS = ("humanize", "humanizeDuration", "humanizePercentage")
_PIPE = re.compile(r"^\$value\s*\|\s*(\w+)$")
_CALL = re.compile(r"^(\w+)\s+\$value$")
_PRINTF = re.compile(r'^(?:printf\s+"(%\.\d+f)"\s+\$value|\$value\s*\|\s*printf\s+"(%\.\d+f)")$')
_VALUE = re.compile(r"\$value\b(?!s)")
GRAFANA_VALUE = "$values.B.Value"  # B is the reduce step of every generated Grafana rule


def actions(text: str) -> list[str]:
    """The inside of every `{{ }}` action, whitespace-trimmed."""
    return [" ".join(m.group(1).split()) for m in ACTION.finditer(text)]


def labels_used(text: str) -> set[str]:
    return {m.group(1) for a in actions(text) if (m := LABEL.match(a))}


def problems(text: str) -> list[str]:
    """Why a template is not portable (empty when it is)."""
    out = []
    if text.count("{{") != text.count("}}"):
        out.append("unbalanced {{ }} in the template")
    for action in actions(text):
        if LABEL.match(action) or _PRINTF.match(action):
            continue
        if action == "$value":
            out.append(
                "{{ $value }} prints a raw float; format it with humanize, humanizeDuration, "
                'humanizePercentage or printf "%.2f"'
            )
            continue
        m = _PIPE.match(action) or _CALL.match(action)
        if m and m.group(1) in FUNCTIONS:
            continue
        out.append(
            f"{{{{ {action} }}}} is not portable between Prometheus and Grafana: use $labels.<name> or "
            f'$value with {", ".join(FUNCTIONS)} or printf "%.<n>f"'
        )
    return out


def for_grafana(text: str) -> str:
    """The same template for a Grafana-managed rule, where the value is `$values.B.Value`."""
    return ACTION.sub(lambda m: "{{" + _VALUE.sub(GRAFANA_VALUE, m.group(1)) + "}}", text)


def render(text: str, labels: Mapping[str, str], value: float) -> str:
    """What Prometheus prints for a portable template (raises ValueError on a non-portable one)."""

    def one(m: re.Match[str]) -> str:
        action = " ".join(m.group(1).split())
        if lm := LABEL.match(action):
            return labels.get(lm.group(1), "")
        if pm := _PRINTF.match(action):
            return (pm.group(1) or pm.group(2)) % value
        fm = _PIPE.match(action) or _CALL.match(action)
        if fm and fm.group(1) in FUNCTIONS:
            return {
                "humanize": humanize,
                "humanizeDuration": humanize_duration,
                "humanizePercentage": humanize_percentage,
            }[fm.group(1)](value)
        raise ValueError(f"cannot render {{{{ {action} }}}}")

    return ACTION.sub(one, text)


def _g4(v: float) -> str:
    """Go's `%.4g` (same as C's, which Python follows)."""
    return f"{v:.4g}"


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g4(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g4(v) + prefix
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g4(v) + prefix


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g4(v)
    if v == 0:
        return _g4(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        whole = int(v)
        secs, mins, hours, days = whole % 60, (whole // 60) % 60, (whole // 3600) % 24, whole // 86400
        if days:
            return f"{sign}{days}d {hours}h {mins}m {secs}s"
        if hours:
            return f"{sign}{hours}h {mins}m {secs}s"
        if mins:
            return f"{sign}{mins}m {secs}s"
        return f"{sign}{_g4(v)}s"
    prefix = ""
    for p in ("m", "u", "n", "p", "f", "a", "z", "y"):
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g4(v)}{prefix}s"


def humanize_percentage(v: float) -> str:
    return _g4(v * 100) + "%"
