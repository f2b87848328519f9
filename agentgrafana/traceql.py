"""TraceQL queries for the Tempo tables, built from parts so that quoting and durations are right by construction.

Trace-level conditions (`traceDuration`) and span-level ones (`status = error`) mean different things: a span
over 10 s is not a trace over 10 s, and the span in error is rarely the one carrying the agent's name. So each
query is a structural AND of spansets: the trace has a span matching the filters *and* a span matching the
condition. The tests parse every query the build emits with Grafana's own TraceQL grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def string(value: str) -> str:
    """A TraceQL string literal (Go-style quoting: backslash and double quote escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def duration(seconds: float) -> str:
    """A TraceQL duration literal: `10s`, `500ms`."""
    return f"{seconds:g}s" if seconds >= 1 else f"{seconds * 1000:g}ms"


@dataclass(frozen=True)
class Filter:
    """A spanset filter `{ a && b }`; no conditions is `{ }` (every span)."""

    conditions: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{{ {' && '.join(self.conditions)} }}" if self.conditions else "{ }"


def matches(attribute: str, variable: str) -> str:
    """``attribute =~ `${variable:regex}` ``: a Grafana multi-value variable as a TraceQL regex (All is `.*`).

    A raw (backtick) string, because Grafana's regex format escapes `-` and `.` with backslashes, which a
    double-quoted TraceQL string would reject as unknown escapes ("support-bot" becomes `support\\-bot`).
    """
    return f"{attribute} =~ `${{{variable}:regex}}`"


def search(filters: Sequence[str], condition: str = "", most_recent: bool = False) -> str:
    """Traces with a span matching every filter and (if given) a span matching `condition`.

    `most_recent=true` asks Tempo for the newest matches instead of the first blocks it happens to read, which is
    what a "recent traces" table promises.
    """
    scope = Filter(tuple(filters))
    query = str(scope)
    if condition:
        query = f"{Filter((condition,))}" if not filters else f"{scope} && {Filter((condition,))}"
    return f"{query} with (most_recent=true)" if most_recent else query
