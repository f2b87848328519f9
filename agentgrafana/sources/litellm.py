"""The LiteLLM proxy's Prometheus metrics as a source: requests, latency, tokens and spend per team and key.

Names and label lists are LiteLLM's (`litellm/integrations/prometheus.py`, `PrometheusMetricLabels` in
`litellm/types/integrations/prometheus.py`, BerriAI/litellm main of late 2026); its counters are
prometheus_client counters, exposed with `_total`. The live check replays the simulated traffic through
prometheus_client with these names (`live/litellm.py`), so a wrong suffix or label here fails it.

How the concepts map:
- a team is the tenant (`team_alias`), a virtual key is the agent (`api_key_alias`: give each agent its key);
- agent requests are the proxy's client requests: latency from `litellm_request_total_latency_metric` (which
  LiteLLM observes on success only), the request count from `litellm_proxy_total_requests_metric` (every
  request, failed ones too), errors and timeouts from `litellm_proxy_failed_requests_metric`;
- `model` is the model LiteLLM routed to (`model`) on latency, tokens and spend, and the model the client asked
  for (`requested_model`) on the request counters, which carry no other: the two agree where the proxy's
  `model_list` names each model after itself, and `$model` selects both;
- model calls are LiteLLM's calls to the provider: `litellm_llm_api_latency_metric`, counted by
  `litellm_deployment_total_requests`; rate limits are `litellm_deployment_failure_responses` with
  `exception_status="429"`;
- tokens are two counters, one per token type; spend is LiteLLM's own `litellm_spend_metric` (its model prices).
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field

from ..catalog import COUNTER, HISTOGRAM, LITELLM, LITELLM_DEPLOYMENT, LITELLM_KEY, LITELLM_LATENCY, METRICS, Metric
from .base import Mapping, Source

CLIENT = ("end_user", "hashed_api_key", "api_key_alias", "requested_model", "team", "team_alias", "user")
ORIGIN = ("client_ip", "user_agent")
# the labels LiteLLM puts on what it counts per user and key (tokens, spend), in its order
USER_KEY = ("end_user", "hashed_api_key", "api_key_alias", "model", "team", "team_alias", "user", "user_email")
TOKEN_LABELS = (*USER_KEY, "requested_model", "model_id")
TIMED_OUT = "(?i).*time.?out.*"

LITELLM_FAMILIES = (
    Metric(
        "litellm_request_total_latency_metric",
        HISTOGRAM,
        "s",
        (*CLIENT, "model", "model_id"),
        "Total latency of a request through the proxy (successful requests).",
        LITELLM,
        LITELLM_LATENCY,
    ),
    Metric(
        "litellm_llm_api_latency_metric",
        HISTOGRAM,
        "s",
        ("model", *LITELLM_KEY, "requested_model", "end_user", "user", "model_id"),
        "Latency of the LLM API call behind a request (successful calls).",
        LITELLM,
        LITELLM_LATENCY,
    ),
    Metric(
        "litellm_proxy_total_requests_metric_total",
        COUNTER,
        "short",
        (*CLIENT, "status_code", "user_email", "route", *ORIGIN, "model_id"),
        "Client requests to the proxy, failed ones included.",
        LITELLM,
    ),
    Metric(
        "litellm_proxy_failed_requests_metric_total",
        COUNTER,
        "short",
        (*CLIENT, "user_email", "exception_status", "exception_class", "route", *ORIGIN, "model_id"),
        "Client requests that did not get a success response.",
        LITELLM,
    ),
    Metric(
        "litellm_deployment_total_requests_total",
        COUNTER,
        "short",
        ("requested_model", *LITELLM_DEPLOYMENT, *LITELLM_KEY, *ORIGIN),
        "LLM API calls per deployment, failed ones included.",
        LITELLM,
    ),
    Metric("litellm_input_tokens_metric_total", COUNTER, "short", TOKEN_LABELS, "Input (prompt) tokens.", LITELLM),
    Metric(
        "litellm_output_tokens_metric_total", COUNTER, "short", TOKEN_LABELS, "Output (completion) tokens.", LITELLM
    ),
    Metric(
        "litellm_spend_metric_total",
        COUNTER,
        "currencyUSD",
        (*USER_KEY, *ORIGIN, "model_id"),
        "Spend (USD) at LiteLLM's model prices.",
        LITELLM,
    ),
)
# the gateway-only series (deployments, fallbacks, budgets) are concepts of their own, in the catalog
GATEWAY = tuple(m for m in METRICS if m.source == LITELLM)

AGENT = {"agent_name": "api_key_alias", "tenant_id": "team_alias"}
# The proxy's request counters carry the model the client asked for (requested_model), not the one routed to.
REQUEST_LABELS = {**AGENT, "model": "requested_model"}
PROXY_REQUESTS = Mapping("litellm_proxy_total_requests_metric", "_total", REQUEST_LABELS)
FAILED = "litellm_proxy_failed_requests_metric"
DEPLOYMENT = {"model": "litellm_model_name", "provider": "api_provider", "tenant_id": "team_alias"}
TOKENS = {"model": "model", "tenant_id": "team_alias", "token_type": None}

LITELLM_PROXY = Source(
    LITELLM,
    "The LiteLLM proxy (litellm_*; a team is the tenant, a virtual key's alias the agent)",
    LITELLM_FAMILIES + GATEWAY,
    {
        "agent_request_duration_seconds": Mapping(
            "litellm_request_total_latency_metric",
            labels={**AGENT, "model": "model"},
            series={"_count": PROXY_REQUESTS},
        ),
        "agent_errors_total": Mapping(FAILED, "_total", {**AGENT, "error_type": "exception_class"}),
        "agent_timeout_total": Mapping(
            FAILED, "_total", AGENT, f'exception_class=~"{TIMED_OUT}"', {"exception_class": "Timeout"}
        ),
        "llm_inference_duration_seconds": Mapping(
            "litellm_llm_api_latency_metric",
            labels={"model": "model", "provider": None},
            series={"_count": Mapping("litellm_deployment_total_requests", "_total", DEPLOYMENT)},
        ),
        "llm_rate_limit_errors_total": Mapping(
            "litellm_deployment_failure_responses", "_total", DEPLOYMENT, 'exception_status="429"'
        ),
        "llm_tokens_total": Mapping(
            split_label="token_type",
            parts={
                "input": Mapping("litellm_input_tokens_metric", "_total", TOKENS),
                "output": Mapping("litellm_output_tokens_metric", "_total", TOKENS),
            },
        ),
        "llm_cost_dollars_total": Mapping(
            "litellm_spend_metric", "_total", {"model": "model", "tenant_id": "team_alias"}
        ),
        **{m.name: Mapping() for m in GATEWAY},
    },
    notes=(
        "A team (`team_alias`) is the tenant and a virtual key (`api_key_alias`) the agent. Requests count every "
        "client request (litellm_proxy_total_requests_metric), latency is of the successful ones; tokens are "
        "the input and output counters; spend is LiteLLM's own. `model` is the routed model, on the request "
        "counters the requested one (name models after themselves in `model_list` and they agree). No tools, "
        "sessions or vector search."
    ),
)


# --- how the proxy records a request (the live check replays the simulated concepts so: live/litellm.py) -----
OBSERVE, FAIL, AMOUNT = "observe", "fail", "amount"
LATENCY, REQUESTS = "litellm_request_total_latency_metric", "litellm_proxy_total_requests_metric"
CALL_LATENCY, CALLS = "litellm_llm_api_latency_metric", "litellm_deployment_total_requests"


@dataclass(frozen=True)
class Recording:
    """How the proxy records one concept: the metric it observes or increments, and the total it counts in."""

    concept: str
    role: str
    metric: str  # LiteLLM's metric (the name it passes to prometheus_client); AMOUNT by token type: see `by`
    labels: MappingType[str, str]  # concept label -> LiteLLM label
    fixed: MappingType[str, str] = field(default_factory=dict)
    counted_in: str = ""  # a counter every event also increments (the total requests)
    counted_labels: MappingType[str, str] = field(default_factory=dict)
    parent: str = ""  # FAIL: the concept whose observations the failures are taken out of
    by: MappingType[str, str] = field(default_factory=dict)  # AMOUNT: token_type value -> metric


RECORDINGS = (
    Recording(
        "agent_request_duration_seconds",
        OBSERVE,
        LATENCY,
        {**AGENT, "model": "model"},
        counted_in=REQUESTS,
        counted_labels=REQUEST_LABELS,
        fixed={"status_code": "200"},
    ),
    Recording(
        "agent_errors_total",
        FAIL,
        "litellm_proxy_failed_requests_metric",
        {**AGENT, "error_type": "exception_class"},
        {"exception_status": "500", "status_code": "500"},
        REQUESTS,
        REQUEST_LABELS,
        "agent_request_duration_seconds",
    ),
    Recording(
        "agent_timeout_total",
        FAIL,
        "litellm_proxy_failed_requests_metric",
        AGENT,
        {"exception_class": "Timeout", "exception_status": "408", "status_code": "408"},
        REQUESTS,
        REQUEST_LABELS,
        "agent_request_duration_seconds",
    ),
    Recording(
        "llm_inference_duration_seconds",
        OBSERVE,
        CALL_LATENCY,
        {"model": "model"},
        counted_in=CALLS,
        counted_labels=DEPLOYMENT,
    ),
    Recording(
        "llm_rate_limit_errors_total",
        FAIL,
        "litellm_deployment_failure_responses",
        DEPLOYMENT,
        {"exception_status": "429", "exception_class": "RateLimitError"},
        CALLS,
        DEPLOYMENT,
        "llm_inference_duration_seconds",
    ),
    Recording(
        "llm_tokens_total",
        AMOUNT,
        "",
        {"model": "model", "tenant_id": "team_alias"},
        by={"input": "litellm_input_tokens_metric", "output": "litellm_output_tokens_metric"},
    ),
    Recording("llm_cost_dollars_total", AMOUNT, "litellm_spend_metric", {"model": "model", "tenant_id": "team_alias"}),
)
BY_CONCEPT = {r.concept: r for r in RECORDINGS}
GATEWAY_NAMES = {m.name for m in GATEWAY}
