"""Agent alerts (group agent-alerts): latency, error rate and timeouts, by agent."""

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert, guarded, p99_latency_alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert

GROUP = "agent-alerts"
AGENT = {"agent_name": "support-bot"}
REQUEST = {**AGENT, "model": "gpt-4o", "tenant_id": "acme"}
ERROR = {**AGENT, "error_type": "llm_error", "tenant_id": "acme"}
REQUESTS = "agent_request_duration_seconds_count"


def alerts(ctx: Context) -> list[Alert]:
    return [latency(ctx), error_rate(ctx), timeouts(ctx)]


def latency(ctx: Context) -> Alert:
    return p99_latency_alert(
        ctx,
        "AgentHighLatency",
        component="agent",
        key="high-latency",
        group=GROUP,
        histogram="agent_request_duration_seconds",
        by="agent_name",
        what="Agent",
        subject="agent",
        threshold_key="latency_seconds.agent.p99_alert",
        panel="Agent latency P50 / P95 / P99",
        actions=(
            (
                "Open **Agent Performance** and compare the agent's P99 with the LLM, tool and vector-search P99 "
                "panels: the slowest dependency is usually the cause."
            ),
            (
                "Open **Agent Traces** → *Slow requests* for the agent and read one trace: count the LLM calls, tool "
                "calls and iterations (a loop that no longer stops shows as a long chain)."
            ),
            (
                "If every agent is slow at once, look at the network between the agents and the model servers (seed "
                "guide, *Network latency*): `kubectl get pods -n inference -o wide` and pod anti-affinity across "
                "zones."
            ),
            (
                "If the latency follows a deploy, roll the agent back; raise `REQUEST_TIMEOUT` only if the work really"
                " became longer."
            ),
        ),
        series=REQUEST,
    )


def error_rate(ctx: Context) -> Alert:
    limit = threshold(ctx, "agent_error_rate_alert")
    return alert(
        ctx,
        "AgentHighErrorRate",
        component="agent",
        key="high-error-rate",
        group=GROUP,
        expr=guarded(ctx, "agent_name:agent_error_ratio:rate5m", REQUESTS, "agent_name"),
        threshold_key="agent_error_rate_alert",
        for_="5m",
        severity="warning",  # the page comes from the availability SLO's burn rate (alerts/slo.py)
        summary=f"Agent {{{{ $labels.agent_name }}}}: more than {limit * 100:.4g}% of requests failed over 5 m.",
        description=(
            "{{ $value | humanizePercentage }} of the requests to agent {{ $labels.agent_name }} failed over "
            f"the last 5 minutes (limit {limit * 100:.4g}%)."
        ),
        dashboard="overview",
        panel="Error rate by agent",
        unit="percentunit",
        actions=(
            (
                "Open **Agent Performance** → *Errors by type* for the agent: `llm_error` points at the provider, "
                "`tool_error` at a tool, `timeout` at latency, `validation` at a change in input or prompt."
            ),
            (
                "Check **Rate-limit errors by model**: provider rate limiting (HTTP 429) shows up as agent errors "
                "downstream."
            ),
            "Read a failed trace (**Agent Traces** → *Error traces*) for the stack or the provider's message.",
            "Read the agent's logs: `kubectl logs -n ai-agents -l app=<agent> --tail=200`.",
            (
                "If it started with a deploy, roll back; if the provider is failing, switch the agent to its fallback "
                "model."
            ),
        ),
        incident=sc.Incident(
            sc.Ratio("agent_errors_total", ERROR, REQUESTS, REQUEST),
            sc.labels(**AGENT),
            extra=(
                sc.Case(
                    "AgentHighErrorRate is silent for an agent with traffic and no errors",
                    (sc.counter(REQUESTS, REQUEST, 600, 11),),
                    11,
                ),
                sc.Case(
                    "AgentHighErrorRate is silent on a trickle: 1 failed request out of 5 in 5 minutes",
                    tuple(sc.ratio("agent_errors_total", ERROR, REQUESTS, REQUEST, 0.2, 16, per_minute=1)),
                    16,
                ),
            ),
        ),
    )


def timeouts(ctx: Context) -> Alert:
    limit = threshold(ctx, "timeouts_per_minute_alert")
    series = {**AGENT, "tenant_id": "acme"}
    return alert(
        ctx,
        "AgentHighTimeoutRate",
        component="agent",
        key="high-timeout-rate",
        group=GROUP,
        expr=f"{ctx.q.rate('agent_timeout_total', ['agent_name'], '5m', filtered=False)} * 60",
        threshold_key="timeouts_per_minute_alert",
        for_="5m",
        severity="warning",
        summary=f"Agent {{{{ $labels.agent_name }}}}: requests time out more than {limit:g} times a minute.",
        description=(
            "Agent {{ $labels.agent_name }} has {{ $value | humanize }} timeouts per minute over the last "
            f"5 minutes (limit {limit:g})."
        ),
        dashboard="performance",
        panel="Timeouts per minute by agent",
        unit="short",
        actions=(
            (
                "Open **Agent Performance**: timeouts follow latency. Find the dependency (LLM, tool, vector search) "
                "whose P99 rose at the same time."
            ),
            (
                "For distributed inference, look for NCCL timeouts in the model server logs (seed guide, *Network "
                "latency*): `kubectl logs -n inference <pod> | grep -i nccl`."
            ),
            (
                "Raise `REQUEST_TIMEOUT` only when the requests are legitimately longer; otherwise fix the slow "
                "dependency."
            ),
        ),
        incident=sc.Incident(sc.Rate("agent_timeout_total", series, per_seconds=60), sc.labels(**AGENT)),
    )
