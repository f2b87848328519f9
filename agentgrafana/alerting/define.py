"""Helpers for content modules: an `Alert` whose threshold is read from configuration by its key path."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..model import Alert
from .scenario import Scenario

if TYPE_CHECKING:
    from ..context import Context


def threshold(ctx: "Context", key: str) -> float:
    """The value at `thresholds.<key>` (e.g. `latency_seconds.agent.p99_alert`)."""
    value: Any = ctx.config.thresholds
    for part in key.split("."):
        value = getattr(value, part)
    return float(value)


def kebab(name: str) -> str:
    """AgentHighLatency -> agent-high-latency; LLMRateLimitErrors -> llm-rate-limit-errors."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def title(name: str) -> str:
    """AgentHighLatency -> Agent High Latency (the Grafana rule title)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", name)


def alert(ctx: "Context", name: str, *, key: str, expr: str, threshold_key: str, summary: str,
          description: str, dashboard: str, panel: str, group: str, scenario: Scenario | None,
          op: str = ">", for_: str = "5m", severity: str = "warning", value: float | None = None,
          labels: tuple[tuple[str, str], ...] = ()) -> Alert:
    """An alert with uid `<prefix>-<key>`, runbook `<kebab-name>` and its threshold from configuration.

    `value` sets a fixed threshold for alerts that have no configuration key (`threshold_key` then says why).
    """
    limit = value if value is not None else threshold(ctx, threshold_key)
    full_key = threshold_key if value is not None else f"thresholds.{threshold_key}"
    return Alert(name=name, title=title(name), uid=ctx.config.uid(key), expr=expr, op=op, threshold=limit,
                 threshold_key=full_key, for_=for_, severity=severity, summary=summary, description=description,
                 runbook=kebab(name), dashboard_uid=ctx.uid(dashboard), panel_title=panel, group=group,
                 labels=labels, scenario=scenario)
