"""Agent SLO alerts (group slo-alerts): multiwindow, multi-burn-rate alerts on the availability and latency SLOs.

A fast burn (14.4x over 1 h, 6x over 6 h) pages: at that pace the 30-day budget is gone in 2 or 5 days. A
slow burn (3x over 1 day, 1x over 3 days) opens a ticket. Each alert also needs the burn over its short
window, so it resolves minutes after the burn stops, and `slos.min_events` requests there, so a trickle of
failures never pages. The fixed-threshold AgentHighErrorRate stays, as a warning.
"""

from agentgrafana.alerting.slo import agent_slos, burn_alerts
from agentgrafana.context import Context
from agentgrafana.model import Alert

REQUEST = {"agent_name": "support-bot", "model": "gpt-4o", "tenant_id": "acme"}
ERROR = {"agent_name": "support-bot", "error_type": "llm_error", "tenant_id": "acme"}
ACTIONS = {
    "availability": (
        (
            "Open **Agent SLOs** for the agent: the burn-rate panel shows when the burn started and the budget panel "
            "how much of the 30 days is left."
        ),
        (
            "Open **Agent Performance** → *Errors by type*: `llm_error` points at the provider, `tool_error` at a "
            "tool, `timeout` at latency, `validation` at a change in input or prompt."
        ),
        "If it started with a deploy, roll back; if the provider is failing, switch the agent to its fallback model.",
        (
            "A ticket (1d / 3d) is not an emergency: find the slow leak (one tenant, one tool) before the budget is "
            "gone."
        ),
    ),
    "latency": (
        (
            "Open **Agent SLOs** for the agent, then **Agent Performance**: compare the LLM, tool and vector-search "
            "P99 with the agent's; the slowest dependency is usually the cause."
        ),
        "Read a slow trace (**Agent Traces** → *Slow requests*): count the LLM calls, tool calls and iterations.",
        "If the latency follows a deploy, roll the agent back.",
    ),
}


def alerts(ctx: Context) -> list[Alert]:
    out = []
    for slo in agent_slos(ctx):
        out += burn_alerts(
            ctx,
            slo,
            series=REQUEST,
            errors=ERROR,
            dashboard="slo",
            panel=f"Burn rate: {slo.title}",
            actions=ACTIONS[slo.title],
        )
    return out
