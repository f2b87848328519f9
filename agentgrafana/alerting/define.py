"""Helpers for content modules: an `Alert` whose threshold is read from configuration by its key path."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..config import ConfigError
from ..model import Alert, format_number
from ..scenario import Incident, Quantile, breach_value
from ..scenario import labels as label_set

if TYPE_CHECKING:
    from ..context import Context


def threshold(ctx: Context, key: str) -> float:
    """The value at `thresholds.<key>` (e.g. `latency_seconds.agent.p99_alert`)."""
    value: Any = ctx.config.thresholds
    for part in key.split("."):
        value = getattr(value, part)
    return float(value)


def kebab(name: str) -> str:
    """AgentHighLatency -> agent-high-latency; LLMRateLimitErrors -> llm-rate-limit-errors."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def alert(
    ctx: Context,
    name: str,
    *,
    key: str,
    expr: str,
    threshold_key: str,
    summary: str,
    description: str,
    dashboard: str,
    panel: str,
    group: str,
    unit: str,
    incident: Incident | None,
    op: str = ">",
    for_: str = "5m",
    severity: str = "warning",
    value: float | None = None,
    labels: tuple[tuple[str, str], ...] = (),
    actions: tuple[str, ...] = (),
    component: str = "",
) -> Alert:
    """An alert with uid `<prefix>-<key>`, runbook `<kebab-name>` and its threshold from configuration.

    `value` sets a fixed threshold for alerts that have no configuration key (`threshold_key` then says why),
    or whose query applies the configured limit itself, so that its value can be something other than the
    compared quantity (`threshold_key` then names that key in full, e.g. `thresholds.budget_utilisation_alert`).
    """
    limit = value if value is not None else threshold(ctx, threshold_key)
    full_key = threshold_key if value is not None else f"thresholds.{threshold_key}"
    return Alert(
        name=name,
        title=name,  # the twins share one name in both engines, so silences and searches carry over
        uid=ctx.config.uid(key),
        expr=expr,
        op=op,
        threshold=limit,
        threshold_key=full_key,
        unit=unit,
        for_=for_,
        severity=severity,
        summary=summary,
        description=description,
        runbook=kebab(name),
        actions=actions,
        component=component,
        dashboard_uid=ctx.uid(dashboard),
        panel_title=panel,
        group=group,
        labels=(*labels, ("team", ctx.config.alerting.team)) if ctx.config.alerting.team else labels,
        incident=incident,
    )


def guarded(ctx: Context, ratio: str, requests: str, by: str) -> str:
    """`ratio` where its subject had at least `thresholds.min_requests_5m` requests in 5 minutes, else 0.

    A ratio alert without a volume guard pages on one failed request out of five. Multiplying by a 0/1 guard
    (rather than `and`) keeps the comparison in the alert's op/threshold, where Grafana's threshold step owns it.
    """
    minimum = format_number(ctx.config.thresholds.min_requests_5m)
    volume = ctx.q.increase(requests, [by], "5m", filtered=False)
    return f"{ratio} *{ctx.q.on([by])} ({volume} >= bool {minimum})"


def p99_latency_alert(
    ctx: Context,
    name: str,
    *,
    key: str,
    group: str,
    histogram: str,
    by: str,
    what: str,
    subject: str,
    threshold_key: str,
    panel: str,
    series: dict[str, str],
    milliseconds: bool = False,
    actions: tuple[str, ...] = (),
    component: str = "",
) -> Alert:
    """`<by>:<histogram>:p99_rate5m > limit`, with the incident every latency alert shares.

    `what` starts the summary ("LLM inference"), `subject` names the `by` label in the description ("model");
    `series` are the histogram's input labels in the generated tests (they include `by`).
    """
    buckets = ctx.q.buckets(histogram)
    limit = threshold(ctx, threshold_key)
    if buckets and limit >= max(buckets):
        raise ConfigError(
            f"thresholds.{threshold_key}: {limit:g} is at or above the highest bucket "
            f"({max(buckets):g} s) of {histogram}; histogram_quantile never exceeds it, so the "
            "alert could never fire"
        )
    shown = f"{limit * 1000:g} ms" if milliseconds else f"{limit:g} s"
    return alert(
        ctx,
        name,
        key=key,
        group=group,
        expr=f"{by}:{histogram}:p99_rate5m",
        threshold_key=threshold_key,
        for_="5m",
        severity="warning",
        summary=f"{what} P99 latency of {subject} {{{{ $labels.{by} }}}} is above {shown}.",
        description=(
            f"P99 latency of {subject} {{{{ $labels.{by} }}}} is {{{{ $value | humanizeDuration }}}} over "
            f"the last 5 minutes (limit {shown.replace(' ', '')})."
        ),
        actions=actions,
        component=component,
        dashboard="performance",
        panel=panel,
        unit="s",
        incident=Incident(
            Quantile(histogram, buckets, series),
            label_set(**{by: series[by]}),
            # past the threshold but inside the buckets, where histogram_quantile can still report it
            breach=min(breach_value(">", limit), (limit + max(buckets)) / 2),
        ),
    )
