"""Agent Traces: where to find an agent's traces, and chain shape and success from Prometheus.

With `traces.provider: tempo` the dashboard searches Tempo with TraceQL (recent, slow and failed traces, filtered by
the selected agents and tenants), each trace id linking to Tempo's own trace view and, beside it, to Langfuse or
LangSmith. With Langfuse or LangSmith alone there is nothing to query from Grafana: the dashboard links out to its
trace list instead. The trace-analysis panels read Prometheus either way.
"""

from urllib.parse import quote

from agentgrafana import traceql
from agentgrafana.context import Context
from agentgrafana.panels import (
    GREEN,
    RED,
    YELLOW,
    Target,
    exemplars,
    stat_panel,
    text_panel,
    timeseries_panel,
    traceql_table,
)

REQUESTS = "agent_request_duration_seconds_count"
PROVIDER_NAMES = {"langfuse": "Langfuse", "langsmith": "LangSmith", "tempo": "Tempo"}

# Tempo's own trace view (what the datasource links a trace id to), as an Explore link that keeps the time range.
TEMPO_TRACE_VIEW = "/explore?left=" + quote(
    '{"datasource":"${tempo}","queries":[{"refId":"A","datasource":{"type":"tempo","uid":"${tempo}"},'
    '"queryType":"traceql","query":"${__value.raw}"}],"range":{"from":"${__from}","to":"${__to}"}}',
    safe="${}:,._",
)


def dashboard(ctx: Context):
    traces = ctx.config.traces
    where = PROVIDER_NAMES[traces.provider]
    board = ctx.board(
        "traces",
        "Agent Traces",
        f"Recent, slow and failed agent traces in {where}; chain length, tool calls, iterations and success rate "
        "from Prometheus.",
    )
    if traces.tempo:
        _tempo_tables(ctx, board)
    else:
        _link_out(ctx, board)
    _analysis(ctx, board)
    return board


def _trace_links(ctx: Context) -> list[tuple[str, str]]:
    traces = ctx.config.traces
    links = [("Open in Tempo", TEMPO_TRACE_VIEW)]
    if traces.link_out != "none":
        links.append(
            (f"Open in {PROVIDER_NAMES[traces.link_out]}", traces.url_template.replace("{trace_id}", "${__value.raw}"))
        )
    return links


def _tempo_tables(ctx: Context, board) -> None:
    traces, t = ctx.config.traces, ctx.thresholds
    board.tempo_variable()
    filters = [f"resource.service.name = {traceql.string(traces.service_name)}"] if traces.service_name else []
    filtered_by = []
    for attribute, variable in ((traces.agent_attribute, "agent"), (traces.tenant_attribute, "tenant")):
        if attribute:
            filters.append(traceql.matches(attribute, variable))
            filtered_by.append(f"${variable} on `{attribute}`")
    scope = (
        f" Filtered by {' and '.join(filtered_by)}: with All selected, traces without that attribute are not listed."
        if filtered_by
        else ""
    )
    links = _trace_links(ctx)
    board.row("Traces (Tempo)")
    board.add(
        traceql_table(
            "Recent traces",
            "The newest agent traces; a trace id opens it in Tempo"
            + (f" or {PROVIDER_NAMES[traces.link_out]}." if traces.link_out != "none" else ".")
            + scope,
            traceql.search(filters, most_recent=True),
            links,
        ),
        w=24,
        h=8,
    )
    board.add(
        traceql_table(
            "Slow traces",
            f"Traces lasting longer than {t.slow_trace_seconds:g} s end to end (traceDuration, not one span)." + scope,
            traceql.search(filters, f"traceDuration > {traceql.duration(t.slow_trace_seconds)}", most_recent=True),
            links,
        ),
        w=12,
        h=8,
    )
    board.add(
        traceql_table(
            "Error traces",
            "Traces with a span in error status (any span of the trace, not only the agent's)." + scope,
            traceql.search(filters, "status = error", most_recent=True),
            links,
        ),
        w=12,
        h=8,
    )


def _link_out(ctx: Context, board) -> None:
    traces, t = ctx.config.traces, ctx.thresholds
    name = PROVIDER_NAMES[traces.provider]
    board.row(f"Traces ({name})")
    board.add(
        text_panel(
            f"Traces in {name}",
            "Where this project's agent traces are, and how to search them from here.",
            f"Agent traces are kept in {name}, which Grafana cannot search: open [its trace list]({traces.search_url})"
            f" and filter there by agent or tenant, by latency above {t.slow_trace_seconds:g} s for slow requests, or"
            " by error level for failed ones.\n\nTo search traces here, send them to Tempo too (OpenTelemetry) and"
            f" set `traces.provider: tempo`; each trace id then links to Tempo and to {name}.",
        ),
        w=24,
        h=4,
    )


def _analysis(ctx: Context, board) -> None:
    q, t = ctx.q, ctx.thresholds
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
            "P99 request duration by agent; exemplar dots (from the raw buckets, by a hidden query) link to "
            "their traces.",
            [
                exemplars(q.exemplar_source("agent_request_duration_seconds")),
                Target(q.quantile(0.99, "agent_request_duration_seconds", ["agent_name"]), "{{agent_name}}"),
            ],
            "s",
            steps=((GREEN, None), (RED, t.latency_seconds.agent.p99_alert)),
            minimum=0,
        ),
        w=24,
    )
