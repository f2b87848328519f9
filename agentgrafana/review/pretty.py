"""PromQL for reviewers: `agentgrafana.promql.prettify`, made to work on queries with Grafana variables."""

from __future__ import annotations

import re

from ..promql import prettify

# A variable where PromQL wants a duration (`[$__rate_interval]`, `offset $shift`) does not parse; it is swapped
# for a sentinel duration no one writes, prettified, and swapped back.
_DURATION_VAR_RE = re.compile(r"(\[\s*|\boffset\s+|:\s*)(\$\{?\w+\}?)(?=\s*[\]:)\s])")
_SENTINEL_BASE = 90001


def pretty(expr: str) -> str:
    """Prettified PromQL (multi-line when long); the input, stripped, when it does not parse."""
    text = expr.strip()
    if not text:
        return text
    names: dict[str, str] = {}

    def swap(m: re.Match[str]) -> str:
        var = m.group(2)
        names.setdefault(var, f"{_SENTINEL_BASE + len(names)}w")
        return m.group(1) + names[var]

    out = prettify(_DURATION_VAR_RE.sub(swap, text))
    if out == _DURATION_VAR_RE.sub(swap, text) and names:
        return text  # did not parse: show what was written
    for var, sentinel in names.items():
        out = re.sub(rf"\b{sentinel}\b", var.replace("\\", r"\\"), out)
    return out.strip("\n")


def same_query(a: str, b: str) -> bool:
    """Equal up to formatting."""
    return a == b or " ".join(pretty(a).split()) == " ".join(pretty(b).split())
