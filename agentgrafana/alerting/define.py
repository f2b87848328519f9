"""Helpers for content modules: an `Alert` whose threshold is read from configuration by its key path."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..config import ConfigError
from ..model import Alert, format_number
from ..scenario import Case, Incident, Quantile, breach_value
from ..scenario import histogram as histogram_series
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
    overrides = dict(_overrides(ctx, threshold_key))
    for limit_value, where in [(limit, f"thresholds.{threshold_key}")] + [
        (v, f"thresholds.{threshold_key}_overrides.{k}") for k, v in sorted(overrides.items())
    ]:
        if buckets and limit_value >= max(buckets):
            raise ConfigError(
                f"{where}: {limit_value:g} is at or above the highest bucket "
                f"({max(buckets):g} s) of {histogram}; histogram_quantile never exceeds it, so the "
                "alert could never fire"
            )
    shown = f"{limit * 1000:g} ms" if milliseconds else f"{limit:g} s"
    p99 = f"{by}:{histogram}:p99_rate5m"
    common: dict[str, Any] = dict(
        key=key,
        group=group,
        for_="5m",
        severity="warning",
        actions=actions,
        component=component,
        dashboard="performance",
        panel=panel,
    )
    # past the threshold but inside the buckets, where histogram_quantile can still report it
    breach = min(breach_value(">", limit), (limit + max(buckets)) / 2)
    if not overrides:
        return alert(
            ctx,
            name,
            expr=p99,
            threshold_key=threshold_key,
            summary=f"{what} P99 latency of {subject} {{{{ $labels.{by} }}}} is above {shown}.",
            description=(
                f"P99 latency of {subject} {{{{ $labels.{by} }}}} is {{{{ $value | humanizeDuration }}}} over "
                f"the last 5 minutes (limit {shown.replace(' ', '')})."
            ),
            unit="s",
            incident=Incident(Quantile(histogram, buckets, series), label_set(**{by: series[by]}), breach=breach),
            **common,
        )
    # Per-object limits, as budgets have them: the value is the P99 over the subject's own limit, compared
    # with 1 (the limit visible in Grafana's threshold step), and the limit rides along as `limit_seconds`.
    listed = ", ".join(f"{n} {v:g} s" for n, v in sorted(overrides.items()))
    extra = tuple(
        _override_case(name, histogram, buckets, series, by, n, v, limit) for n, v in sorted(overrides.items())
    )
    common["panel"] = limit_panel_title(what)
    return alert(
        ctx,
        name,
        expr=ctx.q.over_limit(p99, by, limit, overrides, filtered=False),
        threshold_key=f"thresholds.{threshold_key} (default) and thresholds.{threshold_key}_overrides ({listed})",
        value=1.0,
        summary=f"{what} P99 latency of {subject} {{{{ $labels.{by} }}}} is above its limit of "
        f"{{{{ $labels.limit_seconds }}}} s.",
        description=(
            f"P99 latency of {subject} {{{{ $labels.{by} }}}} over the last 5 minutes is "
            f"{{{{ $value | humanizePercentage }}}} of its limit ({{{{ $labels.limit_seconds }}}} s; default "
            f"{shown.replace(' ', '')}, {listed})."
        ),
        unit="percentunit",
        labels=(),
        incident=Incident(
            Quantile(histogram, buckets, series, scale=limit),
            label_set(**{by: series[by], "limit_seconds": format_number(limit)}),
            breach=breach / limit,
            extra=extra,
        ),
        **common,
    )


def _overrides(ctx: Context, threshold_key: str) -> dict[str, float]:
    """`<...>.p99_alert_overrides` next to the threshold `<...>.p99_alert` (empty where none is configured)."""
    value: Any = ctx.config.thresholds
    for part in threshold_key.split(".")[:-1]:
        value = getattr(value, part)
    return dict(getattr(value, threshold_key.split(".")[-1] + "_overrides", {}) or {})


def limit_panel_title(what: str) -> str:
    """The panel that shows a latency against each subject's own limit (where overrides exist)."""
    return f"{what} P99 against its limit"


def _override_case(
    name: str,
    histogram: str,
    buckets: tuple[float, ...],
    series: dict[str, str],
    by: str,
    subject: str,
    own: float,
    default: float,
) -> Case:
    """An overridden subject judged by its own limit: a P99 between the default and its limit fires for the
    default's subjects and not for it (or the other way round, for a stricter limit)."""
    labels = {**series, by: subject}
    low, high = sorted((own, default))
    between = (low + high) / 2
    fires = between > own
    return Case(
        f"{name}: {subject} at P99 {between:g} s, judged by its own {own:g} s limit, "
        + ("fires" if fires else "is silent"),
        tuple(histogram_series(histogram, labels, buckets, 0.99, between, 11)),
        11,
        ((label_set(**{by: subject, "limit_seconds": format_number(own)}), between / own),) if fires else (),
    )
