"""Agent Performance: latency distribution and quantiles against the seed's targets, throughput, errors."""

from agentgrafana.alerting.define import limit_panel_title
from agentgrafana.context import Context
from agentgrafana.panels import GREEN, ORANGE, RED, YELLOW, Target, exemplars, heatmap_panel, timeseries_panel

REQUESTS = "agent_request_duration_seconds_count"


def _quantiles(ctx: Context, histogram: str, group: str, quantiles: tuple[float, ...]) -> list[Target]:
    """One target per quantile, from the recorded bucket rates, and one hidden target for the exemplars (asked
    once: the same trace ids on every line would draw each dot once per quantile)."""
    return [
        exemplars(ctx.q.exemplar_source(histogram)),
        *(Target(ctx.q.quantile(q, histogram, [group]), f"P{round(q * 100)} {{{{{group}}}}}") for q in quantiles),
    ]


def _against_limits(ctx: Context, what: str, histogram: str, by: str, limits) -> list:  # noqa: ANN001
    """Where some subjects have their own P99 alert limit: each one's P99 over its own limit (the alert's value)."""
    if not limits.p99_alert_overrides:
        return []
    shown = ", ".join(f"{n} {v:g} s" for n, v in sorted(limits.p99_alert_overrides.items()))
    expr = ctx.q.over_limit(f"{by}:{histogram}:p99_rate5m", by, limits.p99_alert, limits.p99_alert_overrides)
    return [
        timeseries_panel(
            limit_panel_title(what),
            f"P99 as a share of each {by}'s own alert limit (default {limits.p99_alert:g} s; {shown}): the "
            "latency alert fires above the dashed 100 %.",
            [Target(expr, f"{{{{{by}}}}} (limit {{{{limit_seconds}}}} s)")],
            "percentunit",
            steps=((GREEN, None), (RED, 1)),
            minimum=0,
        )
    ]


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds
    lat = t.latency_seconds
    board = ctx.board(
        "performance",
        "Agent Performance",
        "Latency distribution and percentiles against their targets, throughput and error trends "
        "for agents, LLM inference, tools and vector search.",
    )

    def limits(target: float, alert: float):
        return ((GREEN, None), (YELLOW, target), (RED, alert))

    board.row("Agent latency")
    board.add(
        heatmap_panel(
            "Latency distribution",
            "Agent request durations per bucket of agent_request_duration_seconds; brighter cells hold more requests.",
            q.bucket_rates("agent_request_duration_seconds"),
            "s",
        ),
        w=12,
        h=9,
    )
    board.add(
        timeseries_panel(
            "Agent latency P50 / P95 / P99",
            f"Agent request duration percentiles by agent. Dashed: P95 target {lat.agent.p95_target:g} s, "
            f"P99 alert {lat.agent.p99_alert:g} s.",
            _quantiles(ctx, "agent_request_duration_seconds", "agent_name", (0.5, 0.95, 0.99)),
            "s",
            steps=limits(lat.agent.p95_target, lat.agent.p99_alert),
            minimum=0,
        ),
        w=12,
        h=9,
    )
    for panel in _against_limits(ctx, "Agent", "agent_request_duration_seconds", "agent_name", lat.agent):
        board.add(panel, w=24, h=7)
    board.add(
        timeseries_panel(
            "Throughput",
            "Completed agent requests per second, by agent.",
            [Target(q.rate(REQUESTS, ["agent_name"]), "{{agent_name}}")],
            "reqps",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Error rate by type",
            "Agent errors per second by error_type.",
            [Target(q.rate("agent_errors_total", ["error_type"]), "{{error_type}}")],
            "reqps",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )

    board.row("Dependencies")
    board.add(
        timeseries_panel(
            "LLM inference latency P95 / P99",
            f"LLM call duration by model. Dashed: P95 target {lat.llm.p95_target:g} s, "
            f"P99 alert {lat.llm.p99_alert:g} s.",
            _quantiles(ctx, "llm_inference_duration_seconds", "model", (0.95, 0.99)),
            "s",
            steps=limits(lat.llm.p95_target, lat.llm.p99_alert),
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Tool execution latency P95 / P99",
            f"Tool call duration by tool. Dashed: P95 target {lat.tool.p95_target:g} s, "
            f"P99 alert {lat.tool.p99_alert:g} s.",
            _quantiles(ctx, "tool_execution_duration_seconds", "tool_name", (0.95, 0.99)),
            "s",
            steps=limits(lat.tool.p95_target, lat.tool.p99_alert),
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Vector search latency P95 / P99",
            f"Vector search duration by collection. Dashed: P95 target {lat.vector_search.p95_target:g} s, "
            f"P99 alert {lat.vector_search.p99_alert:g} s.",
            _quantiles(ctx, "vector_search_duration_seconds", "collection", (0.95, 0.99)),
            "s",
            steps=limits(lat.vector_search.p95_target, lat.vector_search.p99_alert),
            minimum=0,
        ),
        w=8,
    )

    for what, histogram, by, limits in (
        ("LLM inference", "llm_inference_duration_seconds", "model", lat.llm),
        ("Tool execution", "tool_execution_duration_seconds", "tool_name", lat.tool),
        ("Vector search", "vector_search_duration_seconds", "collection", lat.vector_search),
    ):
        for panel in _against_limits(ctx, what, histogram, by, limits):
            board.add(panel, w=24, h=7)

    board.row("Failures")
    board.add(
        timeseries_panel(
            "Rate-limit errors by model",
            f"LLM calls rejected by rate limits, per 5 minutes. Dashed: alert above "
            f"{t.rate_limit_errors_per_5m_alert:g} per 5 min.",
            [Target(f"300 * {q.rate('llm_rate_limit_errors_total', ['model'])}", "{{model}}")],
            "short",
            steps=((GREEN, None), (RED, t.rate_limit_errors_per_5m_alert)),
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Tool error rate by tool",
            f"Failed tool executions / tool executions. Dashed: alert above {t.tool_error_rate_alert:.0%}.",
            [
                Target(
                    q.ratio(
                        q.rate("tool_execution_errors_total", ["tool_name"]),
                        q.rate("tool_execution_duration_seconds_count", ["tool_name"]),
                        ["tool_name"],
                    ),
                    "{{tool_name}}",
                )
            ],
            "percentunit",
            steps=((GREEN, None), (RED, t.tool_error_rate_alert)),
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Timeouts per minute by agent",
            f"Agent requests that hit their timeout, per minute. Dashed: alert above "
            f"{t.timeouts_per_minute_alert:g} per minute.",
            [Target(f"60 * {q.rate('agent_timeout_total', ['agent_name'])}", "{{agent_name}}")],
            "short",
            steps=((GREEN, None), (ORANGE, t.timeouts_per_minute_alert)),
            minimum=0,
        ),
        w=8,
    )
    return board
