"""Monitoring Health: is the monitoring itself working? Scrape targets, rule evaluation, the series alerts read.

Every alert in `alerts/meta.py` links here: when the data stops, the other dashboards go quiet rather than
red, so this is where on-call confirms the monitoring is blind rather than the platform healthy.
"""

from agentgrafana.context import Context
from agentgrafana.panels import GREEN, RED, Target, timeseries_panel


def dashboard(ctx: Context):
    q = ctx.q
    board = ctx.board(
        "health",
        "Monitoring Health",
        "Scrape targets, rule evaluation and the series the alerts read: whether the monitoring can see at all.",
    )
    board.row("Scrapes and rules")
    board.add(
        timeseries_panel(
            "Scrape targets up",
            "1 while Prometheus scrapes the target, 0 when the scrape fails (TargetDown after 5 minutes).",
            [Target("min by (job, instance) (up)", "{{job}} {{instance}}")],
            "short",
            steps=((RED, None), (GREEN, 1)),
            minimum=0,
            maximum=1,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Rule evaluation failures and missed iterations",
            "Rule evaluations that failed or were skipped, per rule group and 5 minutes; any is an alert.",
            [
                Target(
                    q.increase("prometheus_rule_evaluation_failures_total", ["rule_group"], "5m", filtered=False),
                    "failed {{rule_group}}",
                ),
                Target(
                    q.increase("prometheus_rule_group_iterations_missed_total", ["rule_group"], "5m", filtered=False),
                    "missed {{rule_group}}",
                ),
            ],
            "short",
            steps=((GREEN, None), (RED, 1)),
            minimum=0,
        ),
        w=12,
    )
    board.row("Series the alerts read")
    board.add(
        timeseries_panel(
            "Agent request series scraped",
            "How many agent request series Prometheus holds now; a drop to nothing blinds every agent alert.",
            [
                Target(
                    f"count({q.raw('agent_request_duration_seconds_count', filtered=False)})",
                    "series",
                    min_interval="5m",
                )
            ],
            "short",
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "GPU series scraped",
            "How many GPUs report temperature now; a drop blinds the GPU alerts.",
            [Target(f"count({q.raw('DCGM_FI_DEV_GPU_TEMP', filtered=False)})", "GPUs", min_interval="5m")],
            "short",
            minimum=0,
        ),
        w=12,
    )
    return board
