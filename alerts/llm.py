"""LLM provider alerts (group llm-alerts): inference latency and rate limiting, by model."""

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert, p99_latency_alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert

GROUP = "llm-alerts"
MODEL = {"model": "gpt-4o"}


def alerts(ctx: Context) -> list[Alert]:
    return [inference_latency(ctx), rate_limits(ctx)]


def inference_latency(ctx: Context) -> Alert:
    return p99_latency_alert(
        ctx,
        "LLMHighInferenceLatency",
        component="llm",
        key="llm-high-latency",
        group=GROUP,
        histogram="llm_inference_duration_seconds",
        by="model",
        what="LLM inference",
        subject="model",
        threshold_key="latency_seconds.llm.p99_alert",
        panel="LLM inference latency P95 / P99",
        actions=(
            (
                "Check the provider's status page and **Rate-limit errors by model**: slow answers often come with "
                "throttling."
            ),
            "Compare *Tokens per request* with last week: longer prompts or outputs are slower.",
            (
                "For self-hosted models, check queueing and GPU saturation on **Agent GPUs**; scale the model server "
                "or switch the agents to a fallback model."
            ),
        ),
        series={**MODEL, "provider": "openai"},
    )


def rate_limits(ctx: Context) -> Alert:
    metric = "llm_rate_limit_errors_total"
    series = {**MODEL, "provider": "openai", "tenant_id": "acme"}
    limit = threshold(ctx, "rate_limit_errors_per_5m_alert")
    return alert(
        ctx,
        "LLMRateLimitErrors",
        component="llm",
        key="llm-rate-limit",
        group=GROUP,
        expr=ctx.q.increase(metric, ["model"], "5m", filtered=False),
        threshold_key="rate_limit_errors_per_5m_alert",
        for_="2m",
        severity="warning",
        summary=f"Model {{{{ $labels.model }}}}: more than {limit:g} calls rejected in 5 minutes (rate limit).",
        description=(
            "Model {{ $labels.model }} had {{ $value | humanize }} rate-limit errors (HTTP 429) in the last "
            f"5 minutes (limit {limit:g})."
        ),
        dashboard="performance",
        panel="Rate-limit errors by model",
        unit="short",
        actions=(
            (
                "Find the tenants and agents sending the most calls to the model (**Agent Cost & Usage** → *Tokens by "
                "tenant*)."
            ),
            (
                "Spread load: enable the agent's fallback model, add retries with backoff, or ask the provider for a "
                "higher limit."
            ),
            (
                "The limit in `thresholds.rate_limit_errors_per_5m_alert` counts rejections in 5 minutes (the seed's "
                "alert), not per minute."
            ),
        ),
        incident=sc.Incident(sc.Rate(metric, series, per_seconds=300), sc.labels(**MODEL)),
    )
