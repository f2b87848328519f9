"""Agent SLOs: how much error budget each agent has left, and how fast it burns (availability and latency).

Reads the SLO recording rules (`recording_rules/slo.py`, Sloth's names). The budget left over the SLO period
is computed when the dashboard is viewed, from the recorded 5-minute rates, so no 30-day rule runs every
minute.
"""

from agentgrafana.alerting.slo import BAD_EVENTS, BURN_WINDOWS, ERROR_BUDGET, EVENTS, agent_slos, error_ratio
from agentgrafana.context import Context
from agentgrafana.model import display_number, format_number
from agentgrafana.panels import GREEN, ORANGE, RED, YELLOW, Target, bargauge_panel, timeseries_panel

BY = ["agent_name"]


def dashboard(ctx: Context):
    q = ctx.q
    period = ctx.config.slos.period_days
    window = f"{format_number(period)}d"
    board = ctx.board(
        "slo",
        "Agent SLOs",
        f"Error budget left over {format_number(period)} days and burn rates per agent, for the availability and "
        "latency SLOs of `slos:` in monitoring.yaml.",
    )
    for slo in agent_slos(ctx):
        matcher = f'slo="{slo.name}"'

        def sel(record: str, m: str = matcher) -> str:
            return q.sel(record, m, labels=BY)

        on = q.on(["agent_name", "slo"], recorded=True)  # recorded series: per cluster too, when there are clusters

        objective = f"{display_number(slo.objective * 100)}%"
        budget = f"{display_number((1 - slo.objective) * 100)}%"
        what = "requests that fail" if slo.latency_bound is None else f"requests slower than {slo.latency_bound:g} s"
        board.row(f"{slo.title.capitalize()}: {objective} of requests good")
        spent = f"sum_over_time({sel(BAD_EVENTS)}[{window}])\n/{on}\n(sum_over_time({sel(EVENTS)}[{window}]) > 0)"
        board.add(
            bargauge_panel(
                f"Error budget left: {slo.title}",
                f"Share of the {format_number(period)}-day error budget ({what}) not yet spent, by agent; below 0 "
                "the SLO is missed. Per-agent objectives come from `slos.*.agents`.",
                [Target(f"1 - ({spent})\n/{on}\n{sel(ERROR_BUDGET)}", "{{agent_name}}", instant=True)],
                "percentunit",
                ((RED, None), (ORANGE, 0.25), (YELLOW, 0.5), (GREEN, 0.75)),
                maximum=1,
            ),
            w=8,
        )
        pages = [w for w in BURN_WINDOWS if w.severity == "critical"]
        board.add(
            timeseries_panel(
                f"Burn rate: {slo.title}",
                "How many times faster than sustainable the agent spends its error budget, over 1 h and 6 h. "
                + " ".join(f"Pages above {format_number(w.factor)} over {w.long} (and {w.short})." for w in pages),
                [
                    Target(
                        f"{sel(error_ratio(w.long))}\n/{on}\n{sel(ERROR_BUDGET)}",
                        f"{{{{agent_name}}}} {w.long}",
                    )
                    for w in pages
                ],
                "short",
                steps=((GREEN, None), (ORANGE, pages[1].factor), (RED, pages[0].factor)),
                minimum=0,
            ),
            w=8,
        )
        board.add(
            timeseries_panel(
                f"Bad requests: {slo.title}",
                f"Share of {what} over 5 minutes, by agent, against the error budget of {budget}.",
                [Target(sel(error_ratio("5m")), "{{agent_name}}")],
                "percentunit",
                steps=((GREEN, None), (RED, 1 - slo.objective)),
                minimum=0,
            ),
            w=8,
        )
    return board
