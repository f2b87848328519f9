"""Agent Overview: is the platform healthy right now? Requests, success, latency, sessions, cost."""

from agentgrafana.context import Context
from agentgrafana.panels import BLUE, GREEN, RED, YELLOW, Target, stat_panel, timeseries_panel

REQUESTS = "agent_request_duration_seconds_count"
ERRORS = "agent_errors_total"


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds
    lat = t.latency_seconds.agent
    board = ctx.board(
        "overview",
        "Agent Overview",
        "Health of the agent platform at a glance: traffic, success, latency, sessions and spend.",
    )

    errors, requests = f"({q.rate(ERRORS)} or vector(0))", q.rate(REQUESTS)
    error_ratio, error_note = q.ratio(errors, requests), q.scope_note(errors, requests)
    board.row("Right now")
    board.add(
        stat_panel(
            "Total requests",
            "Agent requests in the selected time range.",
            [q.increase(REQUESTS, window="$__range")],
            "short",
            sparkline=False,
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "Success rate",
            "Share of agent requests that did not end in an error "
            f"(daily check: above {1 - t.agent_error_rate_daily_check:.0%}).{error_note}",
            [f"1 - (\n{error_ratio}\n)"],
            "percentunit",
            steps=((RED, None), (YELLOW, 1 - t.agent_error_rate_alert), (GREEN, 1 - t.agent_error_rate_daily_check)),
            decimals=2,
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "Average latency",
            "Mean end-to-end agent request duration. Not coloured: the latency targets are for P95 and P99, "
            "and a mean under them says little about the slow requests.",
            [q.average("agent_request_duration_seconds")],
            "s",
            steps=((BLUE, None),),
        ),
        w=4,
        h=5,
    )
    board.add(
        stat_panel(
            "P99 latency",
            f"99th percentile of agent request duration (daily check: under "
            f"{t.agent_p99_daily_check_seconds:g} s; alert above {lat.p99_alert:g} s).",
            [q.quantile(0.99, "agent_request_duration_seconds")],
            "s",
            steps=((GREEN, None), (YELLOW, t.agent_p99_daily_check_seconds), (RED, lat.p99_alert)),
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
                Target(
                    q.quantile(0.99, "agent_request_duration_seconds", ["agent_name"]), "{{agent_name}}", exemplar=True
                )
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
