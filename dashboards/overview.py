"""Agent Overview: is the platform healthy right now? Requests, success, latency, sessions, cost."""

from agentgrafana.context import Context
from agentgrafana.model import OWNERSHIP_LABEL
from agentgrafana.panels import (
    BLUE,
    GREEN,
    RED,
    YELLOW,
    Target,
    alert_list_panel,
    exemplars,
    stat_panel,
    timeseries_panel,
)

REQUESTS = "agent_request_duration_seconds_count"
RANGE = "$__range"
ERRORS = "agent_errors_total"


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds
    lat = t.latency_seconds.agent
    board = ctx.board(
        "overview",
        "Agent Overview",
        "Health of the agent platform at a glance: traffic, success, latency, sessions and spend.",
    )

    error_note = q.scope_note(f"({q.rate(ERRORS)} or vector(0))", q.rate(REQUESTS))
    # The first row: one window for every figure, the selected time range ([$__range], instant queries).
    # Success, mean and P99 over the same requests as "Total requests", not the last rate interval.
    in_range = {"window": RANGE, "fn": "increase"}
    range_errors = f"({q.increase(ERRORS, window=RANGE)} or vector(0))"
    range_ratio = q.ratio(range_errors, q.increase(REQUESTS, window=RANGE))
    board.row("Selected time range")
    board.add(
        stat_panel(
            "Total requests",
            "Agent requests in the selected time range.",
            [Target(q.increase(REQUESTS, window=RANGE), instant=True)],
            "short",
            sparkline=False,
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "Success rate",
            "Share of the agent requests in the selected time range that did not end in an error "
            f"(daily check: above {1 - t.agent_error_rate_daily_check:.0%}).{error_note}",
            [Target(f"1 - (\n{range_ratio}\n)", instant=True)],
            "percentunit",
            steps=((RED, None), (YELLOW, 1 - t.agent_error_rate_alert), (GREEN, 1 - t.agent_error_rate_daily_check)),
            decimals=2,
            sparkline=False,
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "Average latency",
            "Mean end-to-end duration of the agent requests in the selected time range. Not coloured: the latency "
            "targets are for P95 and P99, and a mean under them says little about the slow requests.",
            [Target(q.average("agent_request_duration_seconds", **in_range), instant=True)],
            "s",
            steps=((BLUE, None),),
            sparkline=False,
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "P99 latency",
            f"99th percentile duration of the agent requests in the selected time range (daily check: under "
            f"{t.agent_p99_daily_check_seconds:g} s; the alert watches 5 minutes above {lat.p99_alert:g} s).",
            [Target(q.quantile(0.99, "agent_request_duration_seconds", **in_range), instant=True)],
            "s",
            steps=((GREEN, None), (YELLOW, t.agent_p99_daily_check_seconds), (RED, lat.p99_alert)),
            sparkline=False,
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel("Active sessions", "Agent sessions open now.", [f"sum({q.sel('agent_active_sessions')})"], "short"),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "Active users", "Distinct users with an open session now.", [f"sum({q.sel('agent_active_users')})"], "short"
        ),
        w=4,
        h=5,
    )

    board.row("Alerts")
    board.add(
        alert_list_panel(
            "Firing and pending alerts",
            "This project's alerts that are firing or pending now (Grafana-managed and Prometheus alike, by their "
            f"{OWNERSHIP_LABEL[0]} label), most severe first; each opens its rule, its runbook and its panel.",
            f'{{{OWNERSHIP_LABEL[0]}="{OWNERSHIP_LABEL[1]}"}}',
        ),
        w=24,
        h=6,
    )

    board.row("Traffic")
    board.add(
        timeseries_panel(
            "Request rate by agent",
            "Agent requests per second, by agent.",
            [Target(q.rate(REQUESTS, ["agent_name"]), "{{agent_name}}")],
            "reqps",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Error rate by agent",
            f"Errors / requests by agent. Dashed lines: daily-check target and alert limit.{error_note}",
            [
                Target(
                    q.ratio(q.rate(ERRORS, ["agent_name"]), q.rate(REQUESTS, ["agent_name"]), ["agent_name"]),
                    "{{agent_name}}",
                )
            ],
            "percentunit",
            steps=((GREEN, None), (YELLOW, t.agent_error_rate_daily_check), (RED, t.agent_error_rate_alert)),
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "P99 latency by agent",
            "99th percentile request duration by agent.",
            [
                exemplars(q.exemplar_source("agent_request_duration_seconds")),
                Target(q.quantile(0.99, "agent_request_duration_seconds", ["agent_name"]), "{{agent_name}}"),
            ],
            "s",
            steps=((GREEN, None), (RED, lat.p99_alert)),
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "LLM spend rate",
            "LLM cost per hour by model.",
            [Target(f"3600 * {q.rate('llm_cost_dollars_total', ['model'])}", "{{model}}")],
            "currencyUSD",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    return board
