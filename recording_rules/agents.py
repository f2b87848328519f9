"""Agent request, error and latency series that dashboards and alerts read often (group agent-recording).

Names follow level:metric:operations. Ratios divide by `(requests > 0)` so an idle agent has no value
(never NaN), and an agent with requests but no errors records 0.
"""

from agentgrafana.context import Context
from agentgrafana.model import RecordingRule
from agentgrafana.queries import AGGREGATED, AGGREGATED_WINDOW

GROUP = "agent-recording"
WINDOW = "5m"
QUANTILES = (0.99,)  # what the alerts read (the dashboards read the aggregated buckets)
REQUESTS = "agent_name:agent_requests:rate5m"
ERRORS = "agent_name:agent_errors:rate5m"


def recording_rules(ctx: Context) -> list[RecordingRule]:
    q = ctx.q
    by_agent = ["agent_name"]
    rules = [
        RecordingRule(
            REQUESTS, q.rate("agent_request_duration_seconds_count", by_agent, WINDOW, filtered=False), GROUP
        ),
        RecordingRule(ERRORS, q.rate("agent_errors_total", by_agent, WINDOW, filtered=False), GROUP),
        RecordingRule(
            "agent_name:agent_error_ratio:rate5m", q.ratio(f"({ERRORS} or {REQUESTS} * 0)", REQUESTS, by_agent), GROUP
        ),
    ]
    for series in AGGREGATED:  # what the dashboards' panels read (Queries.recorded_rate)
        agg = q.aggregated(series)
        if agg is not None:
            record, labels = agg
            kept = [x for x in labels if x != q.cluster_label]
            rules.append(RecordingRule(record, q.rate(series, kept, AGGREGATED_WINDOW, filtered=False), GROUP))
    for quantile in QUANTILES:
        rules.append(
            RecordingRule(
                f"agent_name:agent_request_duration_seconds:p{quantile * 100:.0f}_rate5m",
                q.rule_quantile(quantile, "agent_request_duration_seconds", by_agent),
                GROUP,
            )
        )
    return rules
