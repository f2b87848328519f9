"""Tool and retrieval alerts (group tool-alerts): tool latency and errors, vector-search latency."""

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert, guarded, p99_latency_alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert

GROUP = "tool-alerts"
TOOL = {"tool_name": "web_search"}
TOOL_SERIES = {**TOOL, "agent_name": "support-bot"}
CALLS = "tool_execution_duration_seconds_count"


def alerts(ctx: Context) -> list[Alert]:
    return [tool_latency(ctx), tool_errors(ctx), vector_search_latency(ctx)]


def tool_latency(ctx: Context) -> Alert:
    return p99_latency_alert(
        ctx,
        "ToolHighExecutionLatency",
        component="tool",
        key="tool-high-latency",
        group=GROUP,
        histogram="tool_execution_duration_seconds",
        by="tool_name",
        what="Tool execution",
        subject="tool",
        threshold_key="latency_seconds.tool.p99_alert",
        panel="Tool execution latency P95 / P99",
        actions=(
            (
                "Open **Agent Performance** → *Tool execution latency* and find the tool; check the service behind it "
                "(database, search API, sandbox)."
            ),
            "Read a slow trace for the tool's arguments: very large inputs are a prompt problem, not a tool problem.",
            "Add a timeout to the tool call if it has none, so a slow tool fails fast instead of holding the agent.",
        ),
        series=TOOL_SERIES,
    )


def tool_errors(ctx: Context) -> Alert:
    errors = {**TOOL_SERIES, "error_type": "timeout"}
    limit = threshold(ctx, "tool_error_rate_alert")
    return alert(
        ctx,
        "ToolHighErrorRate",
        component="tool",
        key="tool-high-error-rate",
        group=GROUP,
        expr=guarded(ctx, "tool_name:tool_execution_error_ratio:rate5m", CALLS, "tool_name"),
        threshold_key="tool_error_rate_alert",
        for_="5m",
        severity="warning",
        summary=f"Tool {{{{ $labels.tool_name }}}}: more than {limit * 100:.4g}% of calls failed over 5 m.",
        description=(
            "{{ $value | humanizePercentage }} of the calls to tool {{ $labels.tool_name }} failed over the "
            f"last 5 minutes (limit {limit * 100:.4g}%)."
        ),
        dashboard="performance",
        panel="Tool error rate by tool",
        unit="percentunit",
        actions=(
            (
                "Open **Agent Performance** → *Tool errors* by error type: `timeout` is latency, `http_error` is the "
                "service behind the tool."
            ),
            "Check the tool's service health and credentials (expired API keys are a common cause).",
            "Disable the tool for the agents (feature flag) if it keeps failing, so agents stop retrying it.",
        ),
        incident=sc.Incident(
            sc.Ratio("tool_execution_errors_total", errors, CALLS, TOOL_SERIES),
            sc.labels(**TOOL),
            extra=(
                sc.Case(
                    "ToolHighErrorRate is silent on a trickle: 1 failed call out of 5 in 5 minutes",
                    tuple(sc.ratio("tool_execution_errors_total", errors, CALLS, TOOL_SERIES, 0.2, 16, per_minute=1)),
                    16,
                ),
            ),
        ),
    )


def vector_search_latency(ctx: Context) -> Alert:
    return p99_latency_alert(
        ctx,
        "VectorSearchHighLatency",
        component="vector",
        key="vector-search-latency",
        group=GROUP,
        histogram="vector_search_duration_seconds",
        by="collection",
        what="Vector search",
        subject="collection",
        threshold_key="latency_seconds.vector_search.p99_alert",
        panel="Vector search latency P95 / P99",
        actions=(
            "Check the vector database for the collection: index size, memory, and replica health.",
            (
                "Compare query volume with last week: more searches per request (*Tool calls*, *Iterations*) multiply "
                "the load."
            ),
            "Rebuild or compact the index if it grew; add a replica if the load is real.",
        ),
        series={"collection": "support-docs", "agent_name": "support-bot"},
        milliseconds=True,
    )
