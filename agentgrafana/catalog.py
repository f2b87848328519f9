"""The metric catalog: every series the content may read, and the contract with instrumented apps.

Sources:
- ``seed exporter``: defined in the seed's ``metrics_exporter.py`` (names and labels kept as written there);
- ``seed tables``: named by the seed's metric tables or alerts but not defined in its exporter code, so the
  labels are this project's choice;
- ``project``: trace-analysis figures the seed lists without naming a metric;
- ``litellm``: the LiteLLM proxy's gateway-only series (its other families are in ``sources/litellm.py``);
- ``dcgm-exporter``: NVIDIA's default counters (``etc/default-counters.csv``);
- ``prometheus``: series Prometheus writes about itself (``up``, rule evaluation).

Token naming: the seed's table names ``llm_input_tokens_total``/``llm_output_tokens_total``/
``llm_total_tokens_total``, while its exporter code has one counter ``llm_tokens_total{token_type}``.
The catalog keeps the exporter's single counter; input is ``token_type="input"``, output
``token_type="output"``, and the total is the sum over ``token_type``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

METRIC_NAME_RE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
COUNTER = "counter"
GAUGE = "gauge"
HISTOGRAM = "histogram"

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")

# dcgm-exporter labels every series with these; Hostname was renamed hostname in 2026 releases.
DCGM_LABELS = (
    "gpu",
    "UUID",
    "pci_bus_id",
    "device",
    "modelName",
    "Hostname",
    "hostname",
    "GPU_I_PROFILE",
    "GPU_I_ID",
    "pod",
    "namespace",
    "container",
)
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = ("job", "instance")


@dataclass(frozen=True)
class Metric:
    """One metric family as exposed to Prometheus."""

    name: str
    type: str  # counter | gauge | histogram
    unit: str  # Grafana unit id of the value (histograms: of the observed value)
    labels: tuple[str, ...]
    help: str
    source: str
    buckets: tuple[float, ...] = ()
    # The traffic model (the live simulator's, and a reader's sense of scale). `per_request`: observations or
    # increments per agent request; for a gauge of things in flight, the seconds each request holds one
    # (Little's law). `typical`: the median observation of a histogram, a GPU gauge's usual level, a GPU
    # counter's increments per second.
    per_request: float = 1.0
    typical: float | None = None

    def series_names(self) -> tuple[str, ...]:
        """Names of the series this family exposes (a histogram exposes three)."""
        if self.type == HISTOGRAM:
            return tuple(self.name + suffix for suffix in HISTOGRAM_SUFFIXES)
        return (self.name,)


@dataclass(frozen=True)
class Series:
    """A series name resolved against the catalog."""

    metric: Metric
    name: str
    target_labels: tuple[str, ...] = TARGET_LABELS

    @property
    def labels(self) -> frozenset[str]:
        extra = ("le",) if self.name.endswith("_bucket") and self.metric.type == HISTOGRAM else ()
        return frozenset(self.metric.labels + self.target_labels + extra)

    @property
    def is_counter_like(self) -> bool:
        """Counters and the cumulative series of a histogram may be rate()d."""
        return self.metric.type == COUNTER or (self.metric.type == HISTOGRAM and self.name != self.metric.name)


AGENT = ("agent_name", "model", "tenant_id")
SEED_EXPORTER = "seed exporter"
SEED_TABLES = "seed tables"
PROJECT = "project"
DCGM = "dcgm-exporter"
PROMETHEUS = "prometheus"
KSM = "kube-state-metrics"
VLLM = "vllm"  # vLLM 0.33's Prometheus stat logger (vllm/v1/metrics/loggers.py): labels model_name and engine
VLLM_LABELS = ("model_name", "engine")
# The LiteLLM proxy (BerriAI/litellm, litellm/integrations/prometheus.py; label lists from
# litellm/types/integrations/prometheus.py PrometheusMetricLabels, main of late 2026). prometheus_client adds
# `_total` to its counters. A team is the tenant, a virtual key's alias the agent.
LITELLM = "litellm"
LITELLM_LATENCY = (
    0.005,
    0.00625,
    0.0125,
    0.025,
    0.05,
    0.1,
    0.5,
    1.0,
    1.5,
    2.0,
    2.5,
    3.0,
    3.5,
    4.0,
    4.5,
    5.0,
    5.5,
    6.0,
    6.5,
    7.0,
    7.5,
    8.0,
    8.5,
    9.0,
    9.5,
    10.0,
    15.0,
    20.0,
    25.0,
    30.0,
    60.0,
    120.0,
    180.0,
    240.0,
    300.0,
)
LITELLM_KEY = ("hashed_api_key", "api_key_alias", "team", "team_alias")
LITELLM_DEPLOYMENT = ("litellm_model_name", "model_id", "api_base", "api_provider")
# vLLM's request latency buckets (e2e, queue, prefill, decode, inference time)
VLLM_LATENCY = (0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680)
VLLM_TTFT = (
    0.001,
    0.005,
    0.01,
    0.02,
    0.04,
    0.06,
    0.08,
    0.1,
    0.25,
    0.5,
    0.75,
    1,
    2.5,
    5,
    7.5,
    10,
    20,
    40,
    80,
    160,
    640,
    2560,
)
VLLM_ITL = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80)
VLLM_LENGTHS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)  # build_1_2_5_buckets(max_model_len=8192)

METRICS: tuple[Metric, ...] = (
    Metric(
        "agent_request_duration_seconds",
        HISTOGRAM,
        "s",
        AGENT,
        "Agent request duration in seconds; its _count is the request count.",
        SEED_EXPORTER,
        (0.1, 0.5, 1, 2, 5, 10, 30, 60),
    ),
    Metric(
        "llm_inference_duration_seconds",
        HISTOGRAM,
        "s",
        ("model", "provider"),
        "LLM inference duration in seconds.",
        SEED_EXPORTER,
        (0.1, 0.5, 1, 2, 5, 10, 30),
        per_request=2.0,
    ),
    Metric(
        "llm_tokens_total",
        COUNTER,
        "short",
        ("model", "token_type", "tenant_id"),
        "Total LLM tokens used; token_type is input or output.",
        SEED_EXPORTER,
        per_request=1800,
    ),
    Metric(
        "llm_cost_dollars_total",
        COUNTER,
        "currencyUSD",
        ("model", "tenant_id"),
        "Total LLM cost in USD.",
        SEED_EXPORTER,
        per_request=0.01,
    ),
    Metric(
        "agent_errors_total",
        COUNTER,
        "short",
        ("agent_name", "error_type", "tenant_id"),
        "Total agent errors.",
        SEED_EXPORTER,
        per_request=0.005,
    ),
    Metric(
        "tool_execution_duration_seconds",
        HISTOGRAM,
        "s",
        ("tool_name", "agent_name"),
        "Tool execution duration in seconds; its _count is the tool call count.",
        SEED_EXPORTER,
        (0.01, 0.05, 0.1, 0.5, 1, 5, 10),
        per_request=1.2,
    ),
    Metric(
        "agent_active_sessions",
        GAUGE,
        "short",
        ("agent_name", "tenant_id"),
        "Number of active agent sessions.",
        SEED_EXPORTER,
        per_request=45,
    ),
    Metric(
        "agent_active_users",
        GAUGE,
        "short",
        ("agent_name", "tenant_id"),
        "Number of distinct users with an active session.",
        SEED_TABLES,
        per_request=27,
    ),
    Metric(
        "vector_search_duration_seconds",
        HISTOGRAM,
        "s",
        ("collection", "agent_name"),
        "Vector search duration in seconds.",
        SEED_TABLES,
        (0.01, 0.05, 0.1, 0.2, 0.5, 1, 2),
        per_request=0.8,
    ),
    Metric(
        "llm_rate_limit_errors_total",
        COUNTER,
        "short",
        ("model", "provider", "tenant_id"),
        "LLM calls rejected by the provider's rate limit (HTTP 429).",
        SEED_TABLES,
        per_request=0.002,
    ),
    Metric(
        "tool_execution_errors_total",
        COUNTER,
        "short",
        ("tool_name", "agent_name", "error_type"),
        "Tool executions that failed.",
        SEED_TABLES,
        per_request=0.006,
    ),
    Metric(
        "agent_timeout_total",
        COUNTER,
        "short",
        ("agent_name", "tenant_id"),
        "Agent requests that hit their timeout.",
        SEED_TABLES,
        per_request=0.001,
    ),
    Metric(
        "agent_chain_length",
        HISTOGRAM,
        "short",
        AGENT,
        "Steps (LLM and tool calls) in one agent request's chain.",
        PROJECT,
        (1, 2, 4, 8, 16, 32, 64),
        typical=5,
    ),
    Metric(
        "agent_tool_calls",
        HISTOGRAM,
        "short",
        AGENT,
        "Tool calls made while serving one agent request.",
        PROJECT,
        (0, 1, 2, 4, 8, 16, 32),
        typical=2,
    ),
    Metric(
        "agent_iterations",
        HISTOGRAM,
        "short",
        AGENT,
        "Reasoning iterations (plan/act loops) of one agent request.",
        PROJECT,
        (1, 2, 3, 5, 8, 13, 21),
        typical=2.5,
    ),
    Metric(
        "tenant_monthly_budget_usd",
        GAUGE,
        "currencyUSD",
        ("tenant_id",),
        "A tenant's monthly LLM budget in USD, where the platform exports it (the seed's monthly budget query).",
        SEED_TABLES,
        typical=3000,
    ),
    # Prometheus' own series: scrape health and rule evaluation, for the alerts that say the monitoring is blind.
    Metric(
        "up",
        GAUGE,
        "short",
        (),
        "1 when the last scrape of the target succeeded, 0 when it failed.",
        PROMETHEUS,
        typical=1,
    ),
    Metric(
        "prometheus_rule_evaluation_failures_total",
        COUNTER,
        "short",
        ("rule_group",),
        "Rule evaluations that failed (a rule that errors records nothing).",
        PROMETHEUS,
        per_request=0,
    ),
    Metric(
        "prometheus_rule_group_iterations_missed_total",
        COUNTER,
        "short",
        ("rule_group",),
        "Rule-group evaluations skipped because the previous one was still running.",
        PROMETHEUS,
        per_request=0,
    ),
    # vLLM, the model server the platform runs in its inference namespace (names as vLLM 0.33 registers them:
    # counters end in _total; kv_cache_usage_perc replaced gpu_cache_usage_perc, inter_token_latency_seconds
    # replaced time_per_output_token_seconds). per_request: per agent request on a self-hosted model.
    Metric(
        "vllm:e2e_request_latency_seconds",
        HISTOGRAM,
        "s",
        VLLM_LABELS,
        "End-to-end latency of requests vLLM finished.",
        VLLM,
        VLLM_LATENCY,
        per_request=2.0,
        typical=2.5,
    ),
    Metric(
        "vllm:time_to_first_token_seconds",
        HISTOGRAM,
        "s",
        VLLM_LABELS,
        "Time to the first generated token.",
        VLLM,
        VLLM_TTFT,
        per_request=2.0,
        typical=0.2,
    ),
    Metric(
        "vllm:inter_token_latency_seconds",
        HISTOGRAM,
        "s",
        VLLM_LABELS,
        "Time between two generated tokens.",
        VLLM,
        VLLM_ITL,
        per_request=600.0,
        typical=0.03,
    ),
    Metric(
        "vllm:request_queue_time_seconds",
        HISTOGRAM,
        "s",
        VLLM_LABELS,
        "Time requests spent waiting before running.",
        VLLM,
        VLLM_LATENCY,
        per_request=2.0,
        typical=0.05,
    ),
    Metric(
        "vllm:request_prompt_tokens",
        HISTOGRAM,
        "short",
        VLLM_LABELS,
        "Prompt length of finished requests, in tokens.",
        VLLM,
        VLLM_LENGTHS,
        per_request=2.0,
        typical=1200,
    ),
    Metric(
        "vllm:request_generation_tokens",
        HISTOGRAM,
        "short",
        VLLM_LABELS,
        "Generated length of finished requests, in tokens.",
        VLLM,
        VLLM_LENGTHS,
        per_request=2.0,
        typical=300,
    ),
    Metric(
        "vllm:num_requests_running",
        GAUGE,
        "short",
        VLLM_LABELS,
        "Requests in the running batch.",
        VLLM,
        per_request=5.0,
    ),
    Metric(
        "vllm:num_requests_waiting",
        GAUGE,
        "short",
        VLLM_LABELS,
        "Requests waiting to be scheduled.",
        VLLM,
        per_request=0.1,
    ),
    Metric(
        "vllm:kv_cache_usage_perc",
        GAUGE,
        "percentunit",
        VLLM_LABELS,
        "KV-cache use (1 = full).",
        VLLM,
        typical=0.45,
    ),
    Metric(
        "vllm:prompt_tokens_total", COUNTER, "short", VLLM_LABELS, "Prefill tokens processed.", VLLM, per_request=2400
    ),
    Metric("vllm:generation_tokens_total", COUNTER, "short", VLLM_LABELS, "Tokens generated.", VLLM, per_request=600),
    Metric(
        "vllm:num_preemptions_total",
        COUNTER,
        "short",
        VLLM_LABELS,
        "Requests preempted (their KV-cache blocks taken back) because the cache ran out.",
        VLLM,
        per_request=0,
    ),
    Metric(
        "vllm:request_success_total",
        COUNTER,
        "short",
        (*VLLM_LABELS, "finished_reason"),
        "Requests finished, by finished_reason (stop, length, abort).",
        VLLM,
        per_request=2.0,
    ),
    # kube-state-metrics: container restarts (an OOM-killed model server restarts)
    Metric(
        "kube_pod_container_status_restarts_total",
        COUNTER,
        "short",
        ("namespace", "pod", "container"),
        "Container restarts, from kube-state-metrics (an OOM-killed container restarts).",
        KSM,
        per_request=0,
    ),
    # LiteLLM proxy: what only a gateway knows (deployments, fallbacks, budgets); its request, token and spend
    # families provide the concepts above (sources/litellm.py, LITELLM_FAMILIES).
    Metric(
        "litellm_deployment_failure_responses_total",
        COUNTER,
        "short",
        (
            "requested_model",
            *LITELLM_DEPLOYMENT,
            "exception_status",
            "exception_class",
            *LITELLM_KEY,
            "client_ip",
            "user_agent",
        ),
        "LLM API calls a deployment failed, by exception_status and exception_class.",
        LITELLM,
        per_request=0.004,
    ),
    Metric(
        "litellm_deployment_cooled_down_total",
        COUNTER,
        "short",
        (*LITELLM_DEPLOYMENT, "exception_status"),
        "Times the router took a deployment out of rotation (cooldown) after failures.",
        LITELLM,
        per_request=0.0002,
    ),
    Metric(
        "litellm_deployment_successful_fallbacks_total",
        COUNTER,
        "short",
        ("requested_model", "fallback_model", *LITELLM_KEY, "exception_status", "exception_class", "model_id"),
        "Requests a fallback model answered after the requested one failed.",
        LITELLM,
        per_request=0.002,
    ),
    Metric(
        "litellm_deployment_failed_fallbacks_total",
        COUNTER,
        "short",
        ("requested_model", "fallback_model", *LITELLM_KEY, "exception_status", "exception_class", "model_id"),
        "Requests whose fallback failed too: the client got the error.",
        LITELLM,
        per_request=0.0002,
    ),
    Metric(
        "litellm_deployment_state",
        GAUGE,
        "short",
        LITELLM_DEPLOYMENT,
        "Deployment state: 0 healthy, 1 partial outage, 2 complete outage.",
        LITELLM,
        typical=0,
    ),
    Metric(
        "litellm_remaining_team_budget_metric",
        GAUGE,
        "currencyUSD",
        ("team", "team_alias"),
        "A team's remaining budget (USD) in its current budget period.",
        LITELLM,
        typical=600,
    ),
    Metric(
        "litellm_team_max_budget_metric",
        GAUGE,
        "currencyUSD",
        ("team", "team_alias"),
        "A team's budget (USD) per budget period.",
        LITELLM,
        typical=1000,
    ),
    # dcgm-exporter default counters used by the GPU dashboard and alerts.
    Metric("DCGM_FI_DEV_GPU_UTIL", GAUGE, "percent", DCGM_LABELS, "GPU utilisation (%).", DCGM, typical=55),
    Metric(
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
        GAUGE,
        "percentunit",
        DCGM_LABELS,
        "Ratio of time the graphics engine was active (0-1); per GPU instance under MIG.",
        DCGM,
        typical=0.55,
    ),
    Metric(
        "DCGM_FI_DEV_MEM_COPY_UTIL", GAUGE, "percent", DCGM_LABELS, "Memory copy utilisation (%).", DCGM, typical=25
    ),
    Metric("DCGM_FI_DEV_FB_USED", GAUGE, "mbytes", DCGM_LABELS, "Framebuffer memory used (MiB).", DCGM, typical=45000),
    Metric("DCGM_FI_DEV_FB_FREE", GAUGE, "mbytes", DCGM_LABELS, "Framebuffer memory free (MiB).", DCGM, typical=36920),
    Metric("DCGM_FI_DEV_GPU_TEMP", GAUGE, "celsius", DCGM_LABELS, "GPU temperature (°C).", DCGM, typical=58),
    Metric("DCGM_FI_DEV_POWER_USAGE", GAUGE, "watt", DCGM_LABELS, "Power draw (W).", DCGM, typical=280),
    Metric("DCGM_FI_DEV_SM_CLOCK", GAUGE, "rotmhz", DCGM_LABELS, "SM clock frequency (MHz).", DCGM, typical=1410),
    Metric(
        "DCGM_FI_DEV_XID_ERRORS",
        GAUGE,
        "short",
        DCGM_LABELS + ("err_code", "err_msg"),
        "Value of the last XID error (0 when none).",
        DCGM,
        typical=0,
    ),
    Metric("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", COUNTER, "short", DCGM_LABELS, "PCIe replays.", DCGM, typical=0.0001),
    Metric(
        "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
        GAUGE,
        "percentunit",
        DCGM_LABELS,
        "Ratio of cycles the tensor cores are active (0-1).",
        DCGM,
        typical=0.33,
    ),
)


class Catalog:
    """Lookup of series names (including histogram suffixes) to their metric family."""

    def __init__(self, metrics: tuple[Metric, ...] = METRICS, target_labels: tuple[str, ...] = TARGET_LABELS):
        """`target_labels`: the labels every scraped series carries (job, instance; a cluster label when the
        configuration names one, added by external labels or relabelling)."""
        self.metrics = metrics
        self._series: dict[str, Series] = {}
        for metric in metrics:
            for name in metric.series_names():
                if name in self._series:
                    raise ValueError(f"catalog: series {name} defined twice")
                self._series[name] = Series(metric, name, target_labels)

    def series(self, name: str) -> Series | None:
        return self._series.get(name)

    def metric(self, name: str) -> Metric:
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(name)

    def __iter__(self) -> Iterator[Metric]:
        return iter(self.metrics)

    def closest(self, name: str) -> str | None:
        """The catalog series most similar to an unknown name, to suggest in an error."""
        import difflib

        matches = difflib.get_close_matches(name, list(self._series), n=1, cutoff=0.75)
        return matches[0] if matches else None


def to_markdown(catalog: Catalog) -> str:
    """The catalog as a Markdown table (README, `agentgrafana catalog`)."""
    lines = [
        "| metric | type | unit | labels | source | help |",
        "|---|---|---|---|---|---|",
    ]
    for m in catalog:
        labels = ", ".join(f"`{label}`" for label in m.labels)
        if m.source == DCGM:
            labels = "dcgm labels (`gpu`, `UUID`, `modelName`, `Hostname`/`hostname`, `pod`, ...)" + (
                ", `err_code`, `err_msg`" if "err_code" in m.labels else ""
            )
        buckets = f" Buckets: {', '.join(_num(b) for b in m.buckets)}." if m.buckets else ""
        lines.append(f"| `{m.name}` | {m.type} | `{m.unit}` | {labels} | {m.source} | {m.help}{buckets} |")
    return "\n".join(lines) + "\n"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


CATALOG = Catalog()
