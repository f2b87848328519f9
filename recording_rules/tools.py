"""LLM inference, tool and vector-search series (group agent-recording): P99 latencies and tool errors."""

from agentgrafana.context import Context
from agentgrafana.model import RecordingRule

GROUP = "agent-recording"
WINDOW = "5m"
# (histogram, the label the dashboards and alerts break it down by)
LATENCIES = (
    ("llm_inference_duration_seconds", "model"),
    ("tool_execution_duration_seconds", "tool_name"),
    ("vector_search_duration_seconds", "collection"),
)
TOOL_CALLS = "tool_name:tool_executions:rate5m"
TOOL_ERRORS = "tool_name:tool_execution_errors:rate5m"


def recording_rules(ctx: Context) -> list[RecordingRule]:
    q = ctx.q
    rules = []
    for histogram, label in LATENCIES:
        rules.append(  # the P99 the alerts read; nothing read the P95 rules, so there are none
            RecordingRule(f"{label}:{histogram}:p99_rate5m", q.rule_quantile(0.99, histogram, [label]), GROUP)
        )
    by_tool = ["tool_name"]
    rules += [
        RecordingRule(
            TOOL_CALLS, q.rate("tool_execution_duration_seconds_count", by_tool, WINDOW, filtered=False), GROUP
        ),
        RecordingRule(TOOL_ERRORS, q.rate("tool_execution_errors_total", by_tool, WINDOW, filtered=False), GROUP),
        RecordingRule(
            "tool_name:tool_execution_error_ratio:rate5m",
            q.ratio(f"({TOOL_ERRORS} or {TOOL_CALLS} * 0)", TOOL_CALLS, by_tool),
            GROUP,
        ),
    ]
    return rules
