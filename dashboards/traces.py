"""Agent Traces: recent, slow and failed traces from Tempo (linked to Langfuse/LangSmith) and chain shape.

The TraceQL tables need a Tempo datasource; the trace-analysis panels read Prometheus.
"""

from agentgrafana.context import Context
from agentgrafana.panels import GREEN, RED, YELLOW, Target, stat_panel, timeseries_panel, traceql_table

REQUESTS = "agent_request_duration_seconds_count"


def _duration(seconds: float) -> str:
    """A TraceQL duration literal."""
    return f"{seconds:g}s" if seconds >= 1 else f"{seconds * 1000:g}ms"


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds
    traces = ctx.config.traces
    board = ctx.board(
        "traces",
        "Agent Traces",
        f"Recent, slow and failed agent traces from Tempo, each linked to {traces.provider.title()}; "
        "chain length, tool calls, iterations and success rate from Prometheus.",
    )
    board.tempo_variable()

    service = f'resource.service.name = "{traces.service_name}"' if traces.service_name else ""
    scope = f"{{ {service} }}" if service else "{ }"
    link = traces.url_template.replace("{trace_id}", "${__value.raw}")
    link_title = f"Open in {'Langfuse' if traces.provider == 'langfuse' else 'LangSmith'}"

    def where(condition: str) -> str:
        return f"{{ {' && '.join(c for c in (service, condition) if c)} }}"

    board.row("Traces (Tempo)")
    board.add(
        traceql_table(
            "Recent traces",
            f"The latest agent traces; the trace id opens it in {traces.provider.title()}.",
            scope,
            link,
            link_title,
        ),
        w=24,
        h=8,
    )
    board.add(
        traceql_table(
            "Slow requests",
            f"Traces longer than {t.slow_trace_seconds:g} s.",
            where(f"duration > {_duration(t.slow_trace_seconds)}"),
            link,
            link_title,
        ),
        w=12,
        h=8,
    )
    board.add(
        traceql_table("Error traces", "Traces with a span in error status.", where("status = error"), link, link_title),
        w=12,
        h=8,
    )

    board.row("Trace analysis")
    errors_by_agent = f"({q.rate('agent_errors_total', ['agent_name'])} or 0 * {q.rate(REQUESTS, ['agent_name'])})"
    error_ratio = q.ratio(errors_by_agent, q.rate(REQUESTS, ["agent_name"]), ["agent_name"])
    scope = q.scope_note(errors_by_agent, q.rate(REQUESTS, ["agent_name"]))
    board.add(
        stat_panel(
            "Success rate",
            "Share of agent requests that completed without an error." + scope,
            [q.ratio(f"({q.rate(REQUESTS)} - ({q.rate('agent_errors_total')} or vector(0)))", q.rate(REQUESTS))],
            "percentunit",
            steps=((RED, None), (YELLOW, 1 - t.agent_error_rate_alert), (GREEN, 1 - t.agent_error_rate_daily_check)),
            decimals=2,
        ),
        w=6,
        h=8,
    )
    board.add(
        timeseries_panel(
            "Success rate by agent",
            "1 - errors / requests, by agent." + scope,
            [Target(f"1 - (\n{error_ratio}\n)", "{{agent_name}}")],
            "percentunit",
            steps=((RED, None), (YELLOW, 1 - t.agent_error_rate_alert), (GREEN, 1 - t.agent_error_rate_daily_check)),
            maximum=1,
        ),
        w=18,
        h=8,
    )
    board.add(
        timeseries_panel(
            "Chain length P50 / P95",
            "Steps (LLM and tool calls) per agent request.",
            [
                Target(q.quantile(0.5, "agent_chain_length", ["agent_name"]), "P50 {{agent_name}}"),
                Target(q.quantile(0.95, "agent_chain_length", ["agent_name"]), "P95 {{agent_name}}"),
            ],
            "short",
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Tool calls per request",
            "Average tool calls made while serving one request.",
            [Target(q.average("agent_tool_calls", ["agent_name"]), "{{agent_name}}")],
            "short",
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Iterations per request P95",
            "Reasoning iterations (plan/act loops) per request.",
            [Target(q.quantile(0.95, "agent_iterations", ["agent_name"]), "{{agent_name}}")],
            "short",
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Request latency with exemplars",
            "P99 request duration by agent; exemplar dots link to their traces.",
            [
                Target(
                    q.quantile(0.99, "agent_request_duration_seconds", ["agent_name"]), "{{agent_name}}", exemplar=True
                )
            ],
            "s",
            steps=((GREEN, None), (RED, t.latency_seconds.agent.p99_alert)),
            minimum=0,
        ),
        w=24,
    )
    return board
