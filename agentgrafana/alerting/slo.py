"""Service-level objectives: SLI recording rules and multiwindow, multi-burn-rate alerts (Google SRE workbook).

Names and labels follow Sloth's (`slo:sli_error:ratio_rate<window>`, `slo:error_budget:ratio`, label
`slo`), per agent (`agent_name`):

- `slo:events:rate5m` / `slo:bad_events:rate5m`: events and bad events per second over 5 minutes;
- `slo:sli_error:ratio_rate<w>` for w in 5m, 30m, 1h, 2h, 6h, 1d, 3d: bad / all events, all from the two
  recorded 5-minute rates (5m: their ratio; longer: `sum_over_time` of each). That reads 30 to 4,320 recorded
  samples per agent instead of every pod's, model's and tenant's counters over the window: the 30m and 1h
  windows from raw counters were 4 of the group's 4.5 M samples per evaluation at 500 tenants. A window's sum
  of 5-minute rates sees a new burn as soon as the raw rate does (the newest rate holds the newest minute);
  its far edge fades over 5 minutes instead of ending sharply, which only delays the reset by up to 5 m;
- `slo:error_budget:ratio` (1 - objective) for every agent with traffic in 3 days: its override from
  `slos.*.agents`, else the default objective's.

Alerts (per SLO): the burn rate (error ratio over the error budget) over a long window, gated by the same
burn over a short window (so the alert stops soon after the burn does) and by a minimum number of events in
the short window (so a trickle never pages): 14.4x over 1h and 5m, 6x over 6h and 30m page; 3x over 1d and
2h, 1x over 3d and 6h open a ticket.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from ..config import ConfigError
from ..model import Alert, RecordingRule, format_number
from ..scenario import Exceed, Incident, Ratio, Signal
from ..scenario import labels as label_set
from .define import alert
from .duration import seconds

if TYPE_CHECKING:
    from ..context import Context

GROUP = "slo-recording"
ALERT_GROUP = "slo-alerts"
BY = "agent_name"
EVENTS = "slo:events:rate5m"
BAD_EVENTS = "slo:bad_events:rate5m"
ERROR_BUDGET = "slo:error_budget:ratio"
# Every window is read off the recorded 5-minute rates: the raw counters are read once per evaluation, over 5 m.
RECORDED_WINDOWS = ("30m", "1h", "2h", "6h", "1d", "3d")
REQUESTS = "agent_request_duration_seconds"
ERRORS = "agent_errors_total"


def error_ratio(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}"


@dataclass(frozen=True)
class BurnWindow:
    """One alert of the multiwindow scheme: burn > factor over `long` and over `short`."""

    long: str
    short: str
    factor: float
    severity: str


BURN_WINDOWS = (
    BurnWindow("1h", "5m", 14.4, "critical"),  # 2 % of a 30-day budget in 1 h
    BurnWindow("6h", "30m", 6, "critical"),  # 5 % in 6 h
    BurnWindow("1d", "2h", 3, "warning"),  # 10 % in 1 day
    BurnWindow("3d", "6h", 1, "warning"),  # 10 % in 3 days
)


@dataclass(frozen=True)
class Slo:
    """One SLO per agent: which events are bad, the objective, and per-agent overrides."""

    name: str  # the `slo` label, e.g. agent-availability
    title: str  # e.g. "availability"
    objective: float
    overrides: dict[str, float]
    latency_bound: float | None = None  # latency SLOs: requests slower than this are bad

    def bad_rate(self, ctx: Context, window: str) -> str:
        total = ctx.q.rate(f"{REQUESTS}_count", [BY], window, filtered=False)
        if self.latency_bound is None:
            return f"({ctx.q.rate(ERRORS, [BY], window, filtered=False)} or {total} * 0)"
        le = format_number(self.latency_bound)
        matcher = f'le=~"{le}|{le}.0"' if "." not in le else f'le="{le}"'
        good = ctx.q.rate(f"{REQUESTS}_bucket", [BY], window, matcher, filtered=False)
        return f"({total} - {good})"

    def selector(self, record: str) -> str:
        return f'{record}{{slo="{self.name}"}}'


def agent_slos(ctx: Context) -> list[Slo]:
    """The agent SLOs of the configuration: availability (errors) and latency (requests slower than the bound)."""
    s = ctx.config.slos
    buckets = ctx.q.buckets(REQUESTS)
    bound = s.latency.threshold_seconds
    slos = [Slo("agent-availability", "availability", s.availability.objective, dict(s.availability.agents))]
    if bound not in buckets or bound == max(buckets):
        shown = ", ".join(format_number(b) for b in sorted(buckets)[:-1])
        resolved = ctx.q.resolve(f"{REQUESTS}_bucket")
        series = resolved.series[: -len("_bucket")] if resolved else REQUESTS
        reason = (
            f"slos.latency.threshold_seconds: {bound:g} is not a bucket boundary of {series} ({shown}), so the "
            "share of slower requests could not be counted exactly"
        )
        if resolved is None or resolved.source.name == "seed":
            raise ConfigError(reason)
        # another source's buckets: build the rest, and say what to set
        ctx.q.leave_out("SLO", "agent-latency", f"{reason}; set it to one of them")
        return slos
    return [*slos, Slo("agent-latency", "latency", s.latency.objective, dict(s.latency.agents), bound)]


def sli_rules(ctx: Context, slo: Slo) -> list[RecordingRule]:
    labels = (("slo", slo.name),)
    total5m = ctx.q.rate(f"{REQUESTS}_count", [BY], "5m", filtered=False)
    rules = [
        RecordingRule(EVENTS, total5m, GROUP, labels=labels),
        RecordingRule(BAD_EVENTS, slo.bad_rate(ctx, "5m"), GROUP, labels=labels),
    ]
    on = ctx.q.on([BY, "slo"])
    rules.append(  # the 5-minute ratio of the two rates just recorded (a group's rules run in order)
        RecordingRule(
            error_ratio("5m"), f"{slo.selector(BAD_EVENTS)}\n/{on}\n({slo.selector(EVENTS)} > 0)", GROUP, labels
        )
    )
    for window in RECORDED_WINDOWS:
        bad = f"sum_over_time({slo.selector(BAD_EVENTS)}[{window}])"
        total = f"sum_over_time({slo.selector(EVENTS)}[{window}])"
        rules.append(RecordingRule(error_ratio(window), f"{bad}\n/{on}\n({total} > 0)", GROUP, labels))
    default = f"{slo.selector(error_ratio('3d'))} * 0 + {budget_text(slo.objective)}"
    # an override is read off the agent's own series, so it keeps every label they have (the cluster's too)
    overrides = [
        f'{error_ratio("3d")}{{slo="{slo.name}", {BY}={json.dumps(agent)}}} * 0 + {budget_text(objective)}'
        for agent, objective in sorted(slo.overrides.items())
    ]
    expr = " or ".join(overrides) + f"\nor{ctx.q.on([BY])}\n({default})" if overrides else default
    rules.append(RecordingRule(ERROR_BUDGET, expr, GROUP, labels))
    return rules


def error_budget(objective: float) -> float:
    """1 - objective, exactly (0.99 gives 0.01, not 0.010000000000000009)."""
    return float(Decimal(1) - Decimal(repr(objective)))


def budget_text(objective: float) -> str:
    return format_number(error_budget(objective))


def burn(ctx: Context, slo: Slo, window: str) -> str:
    """The burn rate over `window`: the error ratio over the agent's error budget."""
    return f"{slo.selector(error_ratio(window))} /{ctx.q.on([BY, 'slo'])} {slo.selector(ERROR_BUDGET)}"


def burn_expr(ctx: Context, slo: Slo, w: BurnWindow) -> str:
    """The long window's burn, kept (times 1) where the short window burns too and has enough events, else 0.

    Multiplying by 0/1 gates (rather than `and`) keeps the comparison with `factor` in op/threshold, where
    Grafana's threshold step shows it."""
    interval = format_number(seconds(ctx.config.alerting.group_interval))
    minimum = format_number(ctx.config.slos.min_events)
    volume = f"sum_over_time({slo.selector(EVENTS)}[{w.short}]) * {interval}"
    return (
        f"({burn(ctx, slo, w.long)})\n"
        f"*{ctx.q.on([BY, 'slo'])} ({burn(ctx, slo, w.short)} > bool {format_number(w.factor)})\n"
        f"*{ctx.q.on([BY, 'slo'])} ({volume} >= bool {minimum})"
    )


def signal(ctx: Context, slo: Slo, series: dict[str, str], errors: dict[str, str]) -> Signal:
    """The incident of a burn: bad events at a share of requests, per unit of error budget."""
    budget = error_budget(slo.objective)
    if slo.latency_bound is None:
        return Ratio(ERRORS, errors, f"{REQUESTS}_count", series, scale=budget)
    return Exceed(REQUESTS, ctx.catalog.metric(REQUESTS).buckets, series, slo.latency_bound, scale=budget)


def incident_minutes(w: BurnWindow, budget: float, history_minutes: float = 180) -> int:
    """How long an outage (every request bad) must last before the long window's bad share passes
    `factor * budget`, when that window holds up to `history_minutes` of good traffic before it; plus 10."""
    long = seconds(w.long) / 60
    return math.ceil(w.factor * budget * min(long, history_minutes)) + 10


def alert_name(slo: Slo, w: BurnWindow) -> str:
    return f"Agent{slo.title.capitalize()}BudgetBurn{w.long}"


def burn_alerts(
    ctx: Context,
    slo: Slo,
    *,
    series: dict[str, str],
    errors: dict[str, str],
    dashboard: str,
    panel: str,
    actions: tuple[str, ...],
) -> list[Alert]:
    """The four burn-rate alerts of one SLO, with the incident each must fire on (see the module docstring)."""
    period = ctx.config.slos.period_days
    out = []
    for w in BURN_WINDOWS:
        lasts = period / w.factor
        lasting = f"{lasts:.1f} days" if lasts >= 2 else f"{lasts * 24:.0f} hours"
        out.append(
            alert(
                ctx,
                alert_name(slo, w),
                component="agent",
                key=f"slo-{slo.title}-burn-{w.long}",
                group=ALERT_GROUP,
                expr=burn_expr(ctx, slo, w),
                value=w.factor,
                threshold_key=f"fixed: the SRE workbook's {format_number(w.factor)}x over {w.long} and {w.short}",
                unit="short",
                for_="0s",
                severity=w.severity,
                labels=(("slo", slo.name),),
                summary=(
                    f"Agent {{{{ $labels.agent_name }}}}: {slo.title} error budget burning over "
                    f"{format_number(w.factor)}x too fast ({w.long} and {w.short})."
                ),
                description=(
                    f"Agent {{{{ $labels.agent_name }}}} spends its {slo.title} error budget "
                    f'{{{{ $value | printf "%.1f" }}}} times faster than the {format_number(period)}-day SLO allows, '
                    f"over the last {w.long} and {w.short}; at {format_number(w.factor)}x the whole budget lasts "
                    f"{lasting}."
                ),
                dashboard=dashboard,
                panel=panel,
                actions=actions,
                incident=Incident(
                    signal(ctx, slo, series, errors),
                    label_set(**{BY: series[BY]}),
                    minutes=incident_minutes(w, error_budget(slo.objective)),
                ),
            )
        )
    return out
