"""The built-in sources: the seed's exporter, the OpenTelemetry GenAI conventions, dcgm-exporter, Prometheus itself.

A new source is one `Source` here (or a `sources:` entry in a project's `catalog.yaml`): the families it exposes
and, per concept, the family, matchers and label names that provide it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..catalog import DCGM, HISTOGRAM, KSM, LITELLM, METRICS, PROMETHEUS, VLLM, Metric
from .base import TENANT, Mapping, Source
from .litellm import LITELLM_PROXY


def identity(
    name: str, title: str, keep: Callable[[Metric], bool], application: bool = True, always: bool = False
) -> Source:
    """A source whose series are catalog metrics under their own names (`keep` picks them)."""
    metrics = tuple(m for m in METRICS if keep(m))
    return Source(name, title, metrics, {m.name: Mapping() for m in metrics}, application, always)


# --- seed: the example exporter's names, which are also the concept vocabulary ---------------------------------
SEED = identity(
    "seed",
    "The seed's example exporter (agent_request_duration_seconds, llm_tokens_total{token_type}, ...)",
    lambda m: m.source not in (DCGM, PROMETHEUS, VLLM, KSM, LITELLM) and m.name != "tenant_monthly_budget_usd",
)
# scraped from the model servers, kube-state-metrics and the GPU nodes, not the agent platform's job
VLLM_SERVER = identity(
    "vllm",
    "vLLM 0.33's model server metrics (vllm:*; labels model_name, engine)",
    lambda m: m.source == VLLM,
    application=False,
)
KUBE_STATE_METRICS = identity(
    "kube-state-metrics",
    "kube-state-metrics: Kubernetes objects' state (container restarts)",
    lambda m: m.source == KSM,
    application=False,
)
DCGM_EXPORTER = identity(
    "dcgm-exporter", "NVIDIA dcgm-exporter's default counters", lambda m: m.source == DCGM, application=False
)
# Prometheus' own series and the optional monthly-budget gauge: there whatever the sources are.
CORE = identity(
    "prometheus",
    "Prometheus' own series (up, rule evaluation) and the optional tenant_monthly_budget_usd gauge",
    lambda m: m.source == PROMETHEUS or m.name == "tenant_monthly_budget_usd",
    application=False,
    always=True,
)

# --- otel-genai: the GenAI semantic conventions, translated by Prometheus' default (UnderscoreEscapingWithSuffixes)
OTEL = "otel-genai"
# Labels the Python SDK's Prometheus exporter adds to every series.
SCOPE = ("otel_scope_name", "otel_scope_version", "otel_scope_schema_url")
CLIENT_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
AGENT_BUCKETS = tuple(round(0.1 * 2**i, 1) for i in range(13))  # 0.1, 0.2, 0.4, ..., 409.6
TOKEN_BUCKETS = tuple(float(4**i) for i in range(14))  # 1, 4, 16, ..., 67108864
CLIENT = (
    "gen_ai_operation_name",
    "gen_ai_provider_name",
    "gen_ai_system",  # before semconv 1.37 (and LiteLLM's OTel path)
    "gen_ai_request_model",
    "gen_ai_response_model",
    "server_address",
    "server_port",
)
# Rate limits: the HTTP status, or the category / exception name instrumentations put in error.type.
RATE_LIMITED = "429|rate_limit|rate_limit_exceeded|RateLimitError|.*[.]RateLimitError"
TIMED_OUT = "(?i).*time.?out.*"
LLM_OPERATIONS = "chat|text_completion|generate_content|embeddings"
AGENT_LABELS = {"agent_name": "gen_ai_agent_name", "model": "gen_ai_request_model", "tenant_id": TENANT}
LLM_LABELS = {"model": "gen_ai_request_model", "provider": "gen_ai_provider_name", "tenant_id": TENANT}

OTEL_METRICS = (
    Metric(
        "gen_ai_invoke_agent_duration_seconds",
        HISTOGRAM,
        "s",
        ("gen_ai_agent_name", "gen_ai_request_model", "gen_ai_operation_name", "error_type", TENANT, *SCOPE),
        "gen_ai.invoke_agent.duration: agent invocations; error_type is set when one failed.",
        OTEL,
        AGENT_BUCKETS,
    ),
    Metric(
        "gen_ai_execute_tool_duration_seconds",
        HISTOGRAM,
        "s",
        (
            "gen_ai_tool_name",
            "gen_ai_tool_type",
            "gen_ai_agent_name",
            "gen_ai_operation_name",
            "error_type",
            TENANT,
            *SCOPE,
        ),
        "gen_ai.execute_tool.duration: tool executions; error_type is set when one failed.",
        OTEL,
        CLIENT_BUCKETS,
        per_request=1.2,
    ),
    Metric(
        "gen_ai_client_operation_duration_seconds",
        HISTOGRAM,
        "s",
        (*CLIENT, "error_type", TENANT, *SCOPE),
        "gen_ai.client.operation.duration: model calls (chat, completions, embeddings).",
        OTEL,
        CLIENT_BUCKETS,
        per_request=2.0,
    ),
    Metric(
        "gen_ai_client_token_usage",
        HISTOGRAM,
        "short",
        (*CLIENT, "gen_ai_token_type", TENANT, *SCOPE),
        "gen_ai.client.token.usage: tokens per call by gen_ai_token_type (input, output); tokens are its _sum.",
        OTEL,
        TOKEN_BUCKETS,
        per_request=4.0,
    ),
)

OTEL_GENAI = Source(
    OTEL,
    "OpenTelemetry GenAI semantic conventions (OpenLIT, OpenLLMetry, LiteLLM OTel, Grafana's AI SDK)",
    OTEL_METRICS,
    {
        "agent_request_duration_seconds": Mapping("gen_ai_invoke_agent_duration_seconds", labels=AGENT_LABELS),
        "agent_errors_total": Mapping(
            "gen_ai_invoke_agent_duration_seconds",
            "_count",
            {"agent_name": "gen_ai_agent_name", "tenant_id": TENANT},
            'error_type!=""',
            subset_of="agent_request_duration_seconds",
        ),
        "agent_timeout_total": Mapping(
            "gen_ai_invoke_agent_duration_seconds",
            "_count",
            {"agent_name": "gen_ai_agent_name", "tenant_id": TENANT},
            f'error_type=~"{TIMED_OUT}"',
            {"error_type": "timeout"},
            subset_of="agent_request_duration_seconds",
        ),
        "llm_inference_duration_seconds": Mapping(
            "gen_ai_client_operation_duration_seconds",
            labels=LLM_LABELS,
            matchers=f'gen_ai_operation_name=~"{LLM_OPERATIONS}"',
            example={"gen_ai_operation_name": "chat"},
        ),
        "llm_rate_limit_errors_total": Mapping(
            "gen_ai_client_operation_duration_seconds",
            "_count",
            LLM_LABELS,
            f'error_type=~"{RATE_LIMITED}"',
            {"error_type": "429"},
            subset_of="llm_inference_duration_seconds",
        ),
        "llm_tokens_total": Mapping(
            "gen_ai_client_token_usage",
            "_sum",
            {"model": "gen_ai_request_model", "token_type": "gen_ai_token_type", "tenant_id": TENANT},
        ),
        "llm_cost_dollars_total": Mapping(priced=True),
        "tool_execution_duration_seconds": Mapping(
            "gen_ai_execute_tool_duration_seconds",
            labels={"tool_name": "gen_ai_tool_name", "agent_name": "gen_ai_agent_name"},
        ),
        "tool_execution_errors_total": Mapping(
            "gen_ai_execute_tool_duration_seconds",
            "_count",
            {"tool_name": "gen_ai_tool_name", "agent_name": "gen_ai_agent_name"},
            'error_type!=""',
            subset_of="tool_execution_duration_seconds",
        ),
    },
    notes=(
        "Errors are the _count of a duration with error_type set; rate limits are error_type "
        f'=~"{RATE_LIMITED}", timeouts error_type=~"{TIMED_OUT}". Cost is tokens x `pricing`.'
    ),
)

BUILTIN: dict[str, Source] = {
    s.name: s for s in (SEED, OTEL_GENAI, LITELLM_PROXY, VLLM_SERVER, KUBE_STATE_METRICS, DCGM_EXPORTER)
}
ALWAYS: tuple[Source, ...] = (CORE,)
