"""Configuration: typed dataclasses with built-in defaults, loaded from `monitoring.yaml`.

Every key is checked: unknown keys, wrong types and out-of-range values raise `ConfigError` naming the key
path (e.g. ``thresholds.latency_seconds.agent.p99_alert``) and the expected form. The defaults are the
seed's thresholds and give a complete, working set without any file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import reprlib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
TENANT_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
K8S_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")
HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?)*\.?$"
)
TIME_FROM_RE = re.compile(r"^now(-[1-9][0-9]{0,5}[smhdwMy])?(/[smhdwMy])?$")
REFRESH_RE = re.compile(r"^[1-9][0-9]{0,4}[smhd]$")
MAX_BUDGET_USD = 1e9
MAX_CONFIG_BYTES = 1024 * 1024
MAX_STRING = 1000
MAX_NESTING = 20
MAX_NODES = 100_000
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
K8S_LABEL_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
DURATION_RE = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


class ConfigError(ValueError):
    """A configuration value is missing, unknown or malformed; the message names the key path."""


def _meta(check: str, doc: str) -> dict[str, str]:
    return {"check": check, "doc": doc}


def positive(default: float, doc: str, maximum: float) -> Any:
    """A number > 0 and at most `maximum` (a sane limit for the key: beyond it the value is a mistake)."""
    return field(default=default, metadata={**_meta("positive", doc), "max": maximum})


def ratio(default: float, doc: str, *, below_one: bool = False) -> Any:
    """A ratio in (0, 1] (or (0, 1) when a value of 1 could never be exceeded), at least 0.0001."""
    return field(default=default, metadata={**_meta("ratio", doc), "max": 1.0, "below_one": below_one})


def percent(default: float, doc: str) -> Any:
    return field(default=default, metadata=_meta("percent", doc))


def checked(default: Any, check: str, doc: str) -> Any:
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: typing.cast(Any, type(default))(default), metadata=_meta(check, doc))
    return field(default=default, metadata=_meta(check, doc))


@dataclass(frozen=True)
class LatencyThresholds:
    p95_target: float = positive(1.0, "P95 target (seconds), drawn as a threshold line", 3600)
    p99_alert: float = positive(1.0, "P99 above this (seconds) fires the latency alert", 3600)
    p99_alert_overrides: dict[str, float] = checked(
        {}, "latency_map", "the P99 alert limit (seconds) for some agents / models / tools, e.g. {code-agent: 30}"
    )


@dataclass(frozen=True)
class LatencySet:
    agent: LatencyThresholds = field(default_factory=lambda: LatencyThresholds(5, 10))
    llm: LatencyThresholds = field(default_factory=lambda: LatencyThresholds(3, 8))
    tool: LatencyThresholds = field(default_factory=lambda: LatencyThresholds(1, 3))
    vector_search: LatencyThresholds = field(default_factory=lambda: LatencyThresholds(0.2, 0.5))


@dataclass(frozen=True)
class GpuThresholds:
    utilisation_low_percent: float = percent(40, "daily-check band: below this the GPU is under-used")
    utilisation_high_percent: float = percent(80, "daily-check band: above this the GPU is saturated")
    memory_used_alert_ratio: float = ratio(
        0.9, "framebuffer used / total above this fires GPUFramebufferMemoryHigh", below_one=True
    )
    memory_preallocated_namespaces: list[str] = checked(
        ["inference"],
        "namespaces",
        "namespaces whose model servers reserve GPU memory up front (vLLM): no framebuffer alert there; "
        "InferenceKVCachePreemptions tells their memory pressure",
    )
    temperature_alert_celsius: float = positive(85, "GPU temperature above this fires GPUHighTemperature", 110)


@dataclass(frozen=True)
class InferenceThresholds:
    queue_waiting_alert: float = positive(
        10, "requests waiting in a model server above this for 10 min fires InferenceQueueGrowing", 1e6
    )
    preemptions_per_10m_alert: float = positive(
        5, "requests preempted in 10 min (the KV cache ran out) above this fires InferenceKVCachePreemptions", 1e6
    )
    ttft_p95_alert_seconds: float = positive(
        2, "P95 time to first token above this for 10 min fires InferenceSlowFirstToken", 600
    )
    kv_cache_usage_warning: float = ratio(0.9, "KV-cache use drawn as the warning line on the Inference dashboard")


@dataclass(frozen=True)
class Thresholds:
    latency_seconds: LatencySet = field(default_factory=LatencySet)
    agent_error_rate_alert: float = ratio(0.05, "errors / requests by agent above this fires AgentHighErrorRate")
    agent_error_rate_daily_check: float = ratio(0.01, "error-rate target drawn on dashboards (daily check)")
    agent_p99_daily_check_seconds: float = positive(5, "P99 target of the daily check, drawn on the overview", 3600)
    tool_error_rate_alert: float = ratio(0.10, "tool errors / tool executions above this fires ToolHighErrorRate")
    min_requests_5m: float = positive(
        20, "ratio alerts fire only with at least this many requests (or tool calls) in their 5 min window", 1e9
    )
    rate_limit_errors_per_5m_alert: float = positive(
        10, "rate-limit errors by model in 5 min above this fires LLMRateLimitErrors", 1e6
    )
    timeouts_per_minute_alert: float = positive(
        5, "agent timeouts per minute above this fires AgentHighTimeoutRate", 1e6
    )
    budget_utilisation_alert: float = positive(
        1.0, "daily cost / daily budget above this fires TenantDailyCostBudgetExceeded", 100
    )
    budget_warning_share: float = ratio(
        0.8,
        "TenantDailyCostBudgetWarning fires at this share of budget_utilisation_alert (0.8: at 80 % of the limit)",
        below_one=True,
    )
    slow_trace_seconds: float = positive(10, "traces longer than this are listed as slow requests", 86400)
    gpu: GpuThresholds = field(default_factory=GpuThresholds)
    inference: InferenceThresholds = field(default_factory=InferenceThresholds)


def objective(default: float, doc: str) -> Any:
    """An SLO objective in [0.5, 1): 1 would leave no error budget to burn."""
    return field(default=default, metadata=_meta("objective", doc))


@dataclass(frozen=True)
class AvailabilitySlo:
    objective: float = objective(
        0.99, "share of agent requests that must succeed (the seed's daily check: < 1 % errors)"
    )
    agents: dict[str, float] = checked({}, "objective_map", "per-agent objectives, e.g. {research-agent: 0.995}")

    def for_agent(self, agent: str) -> float:
        return self.agents.get(agent, self.objective)


@dataclass(frozen=True)
class LatencySlo:
    objective: float = objective(0.95, "share of agent requests that must finish within threshold_seconds")
    threshold_seconds: float = positive(
        5, "latency target (seconds); must be a bucket of agent_request_duration_seconds, so the SLI is exact", 3600
    )
    agents: dict[str, float] = checked({}, "objective_map", "per-agent objectives, e.g. {code-agent: 0.9}")

    def for_agent(self, agent: str) -> float:
        return self.agents.get(agent, self.objective)


@dataclass(frozen=True)
class Slos:
    period_days: float = positive(30, "SLO period (days) over which the error budget is spent", 365)
    min_events: float = positive(
        20, "burn-rate alerts fire only with at least this many requests in their short window", 1e9
    )
    availability: AvailabilitySlo = field(default_factory=AvailabilitySlo)
    latency: LatencySlo = field(default_factory=LatencySlo)


@dataclass(frozen=True)
class Budgets:
    daily_usd_default: float = positive(100, "daily LLM budget per tenant in USD", MAX_BUDGET_USD)
    tenants: dict[str, float] = checked({}, "budget_map", "per-tenant daily budget overrides in USD")
    monthly_usd_default: float = positive(
        3000,
        "monthly LLM budget per tenant in USD, where no tenant_monthly_budget_usd gauge gives one",
        MAX_BUDGET_USD * 31,
    )
    per_tenant_dashboards: bool = checked(False, "", "one Cost & usage dashboard per configured tenant")

    def for_tenant(self, tenant: str) -> float:
        return self.tenants.get(tenant, self.daily_usd_default)


@dataclass(frozen=True)
class Datasources:
    prometheus_uid: str = checked("prometheus", "uid", "uid of the Prometheus datasource (variable default)")
    tempo_uid: str = checked("tempo", "uid", "uid of the Tempo datasource (variable default)")


@dataclass(frozen=True)
class FolderConfig:
    uid: str = checked("ai-agents", "uid", "Grafana folder uid")
    title: str = checked("AI Agents", "folder_title", "Grafana folder title")


@dataclass(frozen=True)
class GrafanaConfig:
    folder: FolderConfig = field(default_factory=FolderConfig)
    uid_prefix: str = checked("agent", "uid_prefix", "prefix of every dashboard and rule uid")
    datasources: Datasources = field(default_factory=Datasources)
    tags: list[str] = checked(["ai-agents"], "tags", "tags on every dashboard")
    disable_provenance: bool = checked(False, "", "push rules with X-Disable-Provenance (editable in the UI)")
    dashboard_schema: str = checked(
        "v1", "dashboard_schema", "v1 (classic JSON) or v2 (Grafana 12+ schema v2 resources, pushed as v2beta1)"
    )
    api: str = checked(
        "auto", "grafana_api", "API for dashboards and folders: auto (app-platform from Grafana 12), legacy or apps"
    )
    namespace: str = checked(
        "default", "k8s_name", "app-platform namespace: default (org 1), org-<id>, or stacks-<id> on Grafana Cloud"
    )
    refresh: str = checked("1m", "refresh", "dashboard auto-refresh")
    time_from: str = checked("now-6h", "time_from", "default time range start")
    top_n: float = positive(
        15, "panels comparing tenants show the N that spent most in the time range (plus 'other' in sums)", 500
    )


@dataclass(frozen=True)
class Traces:
    provider: str = checked(
        "langfuse",
        "provider",
        "where traces are searched: tempo (TraceQL tables), or langfuse / langsmith (links out to its trace list)",
    )
    link: str = checked(
        "langfuse",
        "trace_link",
        "with tempo: langfuse, langsmith or none, a second link beside Tempo's own on each trace id",
    )
    url_template: str = checked(
        "https://langfuse.example.com/trace/{trace_id}",
        "trace_url",
        "Langfuse / LangSmith trace link; {trace_id} is replaced by the trace id",
    )
    search_url: str = checked(
        "https://langfuse.example.com/traces",
        "url",
        "Langfuse / LangSmith trace list, linked from the traces dashboard",
    )
    service_name: str = checked("", "traceql_string", "TraceQL resource.service.name filter; empty = all services")
    agent_attribute: str = checked(
        "span.gen_ai.agent.name",
        "traceql_attribute",
        "TraceQL attribute holding the agent's name: $agent filters the Tempo tables on it (empty: not filtered)",
    )
    tenant_attribute: str = checked(
        "resource.tenant.id",
        "traceql_attribute",
        "TraceQL attribute holding the tenant: $tenant filters the Tempo tables on it (empty: not filtered)",
    )

    @property
    def tempo(self) -> bool:
        return self.provider == "tempo"

    @property
    def link_out(self) -> str:
        """Where a trace id also links to: the provider itself, or with Tempo the configured second link."""
        return self.link if self.tempo else self.provider


@dataclass(frozen=True)
class Annotations:
    deploy_tag: str = checked(
        "",
        "annotation_tag",
        "Grafana annotation tag your deploy pipeline posts (POST /api/annotations): marked on every dashboard; "
        "empty: none",
    )
    deploy_metric: str = checked(
        "",
        "metric_or_empty",
        "a catalog metric that changes at each deployment (e.g. kube_deployment_status_observed_generation): "
        "its changes are marked on every dashboard; empty: none",
    )


@dataclass(frozen=True)
class Alerting:
    grafana_url: str = checked(
        "https://grafana.example.com",
        "url",
        "web URL of your Grafana: Prometheus alerts carry dashboard_url links to their panel under it",
    )
    runbook_base_url: str = checked(
        "https://runbooks.example.com/ai-agents",
        "url",
        "web URL of generated/runbooks/ (runbook_url is <this>/<alert>.md), e.g. your repository's",
    )
    group_interval: str = checked("1m", "group_interval", "evaluation interval of every rule group")
    prometheusrule_release: str = checked(
        "kube-prometheus-stack", "k8s_label_value", "value of the PrometheusRule `release` label"
    )
    team: str = checked("", "k8s_label_value_or_empty", "team label on every alert, for routing (empty: none)")
    receiver_default: str = checked("default", "nonempty", "Alertmanager receiver for everything else")
    receiver_pager: str = checked("pager", "nonempty", "Alertmanager receiver for critical alerts (the page)")
    receiver_finops: str = checked("finops", "nonempty", "Alertmanager receiver for cost alerts (component cost)")
    receiver_watchdog: str = checked(
        "watchdog", "nonempty", "Alertmanager receiver of the always-firing Watchdog: a dead man's switch service"
    )
    engine: str = checked(
        "grafana", "engine", "which engine evaluates the alerts: grafana, prometheus, or both (both notifies twice)"
    )
    no_data_state: str = checked("OK", "no_data_state", "Grafana noDataState: NoData, Alerting, OK or KeepLast")
    exec_err_state: str = checked("Error", "exec_err_state", "Grafana execErrState: Error, Alerting, OK or KeepLast")


GRAFANA_ENGINE, PROMETHEUS_ENGINE, BOTH_ENGINES = "grafana", "prometheus", "both"


@dataclass(frozen=True)
class Kubernetes:
    namespace: str = checked("monitoring", "k8s_name", "namespace of every manifest")
    dashboard_label: dict[str, str] = checked(
        {"grafana_dashboard": "1"}, "k8s_labels", "label(s) the Grafana sidecar selects dashboards by"
    )
    alert_label: dict[str, str] = checked(
        {"grafana_alert": "1"}, "k8s_labels", "label(s) the Grafana sidecar selects alert rules by"
    )
    folder_annotation: str = checked("grafana_folder", "k8s_label_key", "annotation naming the folder")
    common_labels: dict[str, str] = checked(
        {"app.kubernetes.io/managed-by": "agentgrafana"}, "k8s_labels", "labels on every manifest"
    )


@dataclass(frozen=True)
class Metrics:
    sources: list[str] = checked(
        ["seed", "vllm", "kube-state-metrics", "dcgm-exporter"],
        "sources",
        "metric sources the queries are rendered for: seed, otel-genai, litellm, vllm, kube-state-metrics, "
        "dcgm-exporter, or one from catalog.yaml",
    )
    selector: str = checked("", "selector", 'matchers on every application series, e.g. job="ai-agents"')
    cluster_label: str = checked("", "label_or_empty", "label naming the cluster: a $cluster variable, kept in alerts")
    tenant_label: str = checked("tenant_id", "label", "label carrying the tenant, for sources with no standard one")


@dataclass(frozen=True)
class Price:
    input: float = field(default=0.0, metadata={**_meta("price", "USD per 1,000 input tokens"), "max": 1000})
    output: float = field(default=0.0, metadata={**_meta("price", "USD per 1,000 output tokens"), "max": 1000})


# USD per 1,000 tokens, list prices. The seed's table (2024), then current major models as published by the
# providers in mid-2025; check them against your contract and override in `pricing:`. Self-hosted models cost
# infrastructure, not tokens: price them at 0 so they do not count as unpriced.
DEFAULT_PRICING: dict[str, tuple[float, float]] = {
    "gpt-4-turbo": (0.01, 0.03),
    "gpt-4": (0.03, 0.06),
    "gpt-3.5-turbo": (0.0005, 0.0015),
    "claude-3-opus": (0.015, 0.075),
    "claude-3-sonnet": (0.003, 0.015),
    "claude-3-haiku": (0.00025, 0.00125),
    "gpt-4o": (0.0025, 0.01),
    "gpt-4o-mini": (0.00015, 0.0006),
    "gpt-4.1": (0.002, 0.008),
    "gpt-4.1-mini": (0.0004, 0.0016),
    "o3": (0.002, 0.008),
    "claude-3-5-sonnet": (0.003, 0.015),
    "claude-3-5-haiku": (0.0008, 0.004),
    "claude-sonnet-4": (0.003, 0.015),
    "claude-opus-4": (0.015, 0.075),
    "gemini-2.5-pro": (0.00125, 0.01),
    "gemini-2.5-flash": (0.0003, 0.0025),
}


def _default_pricing() -> dict[str, Price]:
    return {model: Price(i, o) for model, (i, o) in DEFAULT_PRICING.items()}


@dataclass(frozen=True)
class Config:
    grafana: GrafanaConfig = field(default_factory=GrafanaConfig)
    thresholds: Thresholds = field(default_factory=Thresholds)
    budgets: Budgets = field(default_factory=Budgets)
    slos: Slos = field(default_factory=Slos)
    traces: Traces = field(default_factory=Traces)
    annotations: Annotations = field(default_factory=Annotations)
    alerting: Alerting = field(default_factory=Alerting)
    kubernetes: Kubernetes = field(default_factory=Kubernetes)
    metrics: Metrics = field(default_factory=Metrics)
    pricing: dict[str, Price] = field(
        default_factory=_default_pricing,
        metadata=_meta("pricing", "USD per 1,000 tokens by model: {model: {input, output}}; the built-in table"),
    )

    @property
    def grafana_alerts(self) -> bool:
        """Whether Grafana evaluates the alerts (Grafana-managed rules are generated and pushed)."""
        return self.alerting.engine in (GRAFANA_ENGINE, BOTH_ENGINES)

    @property
    def prometheus_alerts(self) -> bool:
        """Whether Prometheus evaluates the alerts (alerting rules in the deployed rule files)."""
        return self.alerting.engine in (PROMETHEUS_ENGINE, BOTH_ENGINES)

    def uid(self, name: str) -> str:
        """A stable uid under the configured prefix."""
        return f"{self.grafana.uid_prefix}-{name}"


# --- loading -------------------------------------------------------------------------------------------


def load(path: str | Path | None) -> Config:
    """Load a configuration file (None = built-in defaults)."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read configuration: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{p}: larger than {MAX_CONFIG_BYTES // 1024} KiB: not a configuration file")
    text = decode(raw, p)
    data = parse_yaml(text, p)
    try:
        return from_mapping(data if data is not None else {})
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
)


def decode(raw: bytes, p: Path) -> str:
    """UTF-8, or UTF-16/32 with a byte-order mark as YAML allows; anything else is a clear error."""
    for bom, encoding in _BOMS:  # UTF-32 first: its little-endian mark starts like UTF-16's
        if raw.startswith(bom):
            try:
                return raw.decode(encoding).removeprefix("\ufeff")
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{p}: not valid {encoding.upper()} (byte {exc.start})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{p}: not UTF-8: byte 0x{raw[exc.start]:02x} on line {line} (offset {exc.start}); save the file as UTF-8"
        ) from None


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, deep nesting and alias bombs (the pure-Python loader is
    fast enough for a configuration file and lets us count)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                mark = self.peek_event().start_mark
                raise ConfigError(f"line {mark.line + 1}: nested more than {MAX_NESTING} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                raise ConfigError(f"line {key_node.start_mark.line + 1}: a mapping key must be a plain value") from None
            if key in seen:
                raise ConfigError(
                    f"line {key_node.start_mark.line + 1}: duplicate key {_short(key)} "
                    f"(first at line {seen[key]}): YAML would silently keep the last one"
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 reads 1e-11 and 1e308 as numbers; PyYAML (YAML 1.1) wants a dot (1.0e-11) and would hand a string
# to a numeric key. Thresholds are written both ways, so both are numbers here.
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?([0-9][0-9_]*)(\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def parse_yaml(text: str, p: Path) -> Any:
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _check_expansion(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {_short(str(exc), 300)}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. an integer of thousands of digits
        raise ConfigError(f"{p}: a value cannot be read: {_short(str(exc), 200)}") from None


def _check_expansion(root: Any) -> None:
    """Refuse documents that expand to more than MAX_NODES nodes once aliases are followed (a YAML bomb)."""
    sizes: dict[int, int] = {}
    order: list[Any] = []
    stack = [root]
    while stack:  # post-order without recursion; aliases share node objects, so sizes are memoised
        node = stack.pop()
        if id(node) in sizes:
            continue
        order.append(node)
        sizes[id(node)] = -1
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
    for node in reversed(order):
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(max(sizes[id(c)], 1) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(max(sizes[id(k)], 1) + max(sizes[id(v)], 1) for k, v in node.value)
        sizes[id(node)] = min(total, MAX_NODES + 1)
        if total > MAX_NODES:
            raise ConfigError(
                f"line {node.start_mark.line + 1}: the document expands to more than "
                f"{MAX_NODES:,} values (aliases repeated inside each other?)"
            )


def from_mapping(data: Any) -> Config:
    config = _build(Config, data, "")
    cross_check(config)
    return config


def _build(cls: type, data: Any, path: str, base: Any = None) -> Any:
    """`cls` from `data`; keys `data` leaves out keep `base`'s values (the parent's default for this field, e.g.
    the LLM latency limits), not the class defaults."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path or '<top level>'}: expected a mapping, got {_kind(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted((k for k in data if not isinstance(k, str) or k not in fields), key=str)
    if unknown:
        where = f"{path}." if path else ""
        name = unknown[0] if isinstance(unknown[0], str) and len(unknown[0]) <= 60 else _short(unknown[0])
        raise ConfigError(f"{where}{name}: unknown key (allowed: {', '.join(sorted(fields))})")
    values = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        f = fields[name]
        if dataclasses.is_dataclass(hints[name]):
            if base is not None:
                inner = getattr(base, name)
            elif f.default_factory is not dataclasses.MISSING:
                inner = f.default_factory()
            else:
                inner = None
            values[name] = _build(typing.cast(type, hints[name]), value, key, inner)
        else:
            values[name] = _coerce(hints[name], value, key, f.metadata)
    return dataclasses.replace(base, **values) if base is not None else cls(**values)


def _coerce(tp: Any, value: Any, key: str, meta: Any) -> Any:
    check = meta.get("check", "") if meta else ""
    doc = meta.get("doc", "") if meta else ""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(typing.cast(type, tp), value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {_kind(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number ({doc}), got {_kind(value)}")
        if isinstance(value, int) and abs(value) > 10**15:
            raise ConfigError(f"{key}: {_kind(value)} is out of range ({doc})")
        _check_number(float(value), check, key, meta or {})
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string ({doc}), got {_kind(value)}")
        if len(value) > MAX_STRING or any(ch in value for ch in "\x00\r\n\t") or not value.isprintable():
            raise ConfigError(f"{key}: expected a single line of at most {MAX_STRING} printable characters")
        _check_string(value, check, key)
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {_kind(value)}")
        (item_tp,) = typing.get_args(tp)
        items = [_coerce(item_tp, v, f"{key}[{i}]", {}) for i, v in enumerate(value)]
        if check == "namespaces" and any(
            not re.fullmatch(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?", str(i)) for i in items
        ):
            raise ConfigError(f"{key}: expected Kubernetes namespace names (lower case letters, digits, '-')")
        if check == "tags" and any(not str(i).strip() or len(str(i)) > 50 for i in items):
            raise ConfigError(f"{key}: tags must be non-empty strings of at most 50 characters (Grafana's limit)")
        return items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {_kind(value)}")
        _, val_tp = typing.get_args(tp)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ConfigError(f'{key}: keys must be strings, got {_kind(k)} (quote it, e.g. "{_short(k, 20)}")')
            sub = f"{key}.{k}"
            if check == "k8s_labels":
                if not K8S_LABEL_KEY_RE.match(k):
                    raise ConfigError(f"{sub}: not a valid Kubernetes label key")
                if not isinstance(v, str):
                    raise ConfigError(f'{sub}: expected a string label value (quote numbers, e.g. "1"), got {_kind(v)}')
                _check_string(v, "k8s_label_value", sub)
            item_meta: dict[str, Any] = {}
            if check == "objective_map":
                if not k or len(k) > 100 or not k.isprintable() or '"' in k or "\\" in k:
                    raise ConfigError(f"{sub}: agent names must be 1-100 printable characters without quotes")
                item_meta = {"check": "objective", "doc": "the agent's objective"}
            if check == "latency_map":
                if not k or len(k) > 100 or not k.isprintable() or '"' in k or "\\" in k:
                    raise ConfigError(f"{sub}: names must be 1-100 printable characters without quotes")
                item_meta = {"check": "positive", "doc": "P99 alert limit in seconds", "max": 3600}
            if check == "pricing" and (not k or len(k) > 200 or not k.isprintable() or '"' in k or "\\" in k):
                raise ConfigError(f"{sub}: model names must be 1-200 printable characters without quotes")
            if check == "budget_map":
                if not TENANT_RE.match(k):
                    raise ConfigError(
                        f"{sub}: tenant names must be 1-40 letters, digits, '-' or '_' (they become "
                        f"dashboard and folder uids), got {_short(k)}"
                    )
                item_meta = {"check": "positive", "doc": "daily budget in USD", "max": MAX_BUDGET_USD}
            out[k] = _coerce(val_tp, v, sub, item_meta)
        return out
    raise TypeError(f"unsupported config type {tp} at {key}")  # programming error


def _check_number(value: float, check: str, key: str, meta: Any) -> None:
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(f"{key}: expected a finite number")
    if check == "price" and not 0 <= value <= meta["max"]:
        raise ConfigError(f"{key}: expected a price from 0 to {meta['max']:g} USD per 1,000 tokens, got {value:g}")
    if check == "positive" and value <= 0:
        raise ConfigError(f"{key}: expected a number greater than 0, got {value:g}")
    if check == "ratio":
        if meta.get("below_one") and not 0.0001 <= value < 1:
            raise ConfigError(
                f"{key}: expected a ratio from 0.0001 to below 1 (a used/total ratio never "
                f"exceeds 1, so the alert could never fire), got {value:g}"
            )
        if not 0.0001 <= value <= 1:
            raise ConfigError(f"{key}: expected a ratio from 0.0001 to 1 (e.g. 0.05 for 5%), got {value:g}")
    if check == "objective" and not 0.5 <= value < 1:
        raise ConfigError(
            f"{key}: expected an objective from 0.5 to below 1 (e.g. 0.99 for 99 %; 1 leaves no error budget), "
            f"got {value:g}"
        )
    if check == "percent" and not 0 <= value <= 100:
        raise ConfigError(f"{key}: expected a percentage between 0 and 100, got {value:g}")
    maximum = meta.get("max")
    if maximum is not None and value > maximum:
        raise ConfigError(
            f"{key}: {value:g} is above {maximum:g}, the most this key can sensibly be "
            "(such a limit could never be reached)"
        )


def _duration_seconds(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    return sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)(ms|s|m|h|d|w|y)", text))


_STRING_CHECKS: dict[str, tuple[Any, str]] = {
    "uid": (UID_RE.match, "1-40 characters: letters, digits, '-' or '_'"),
    "uid_prefix": (re.compile(r"^[A-Za-z0-9_-]{1,16}$").match, "1-16 characters: letters, digits, '-' or '_'"),
    "nonempty": (lambda v: v.strip(), "a non-empty string"),
    "folder_title": (
        lambda v: v.strip() and "/" not in v and len(v) <= 189,
        "a non-empty title of at most 189 characters without '/' (the sidecar reads '/' as a path)",
    ),
    "duration": (DURATION_RE.match, "a Prometheus duration such as 30s, 1m or 1h"),
    "refresh": (
        lambda v: REFRESH_RE.match(v) and _duration_seconds(v) >= 5,
        "a Grafana refresh interval of at least 5s with one unit, such as 30s, 1m or 1h",
    ),
    "group_interval": (
        lambda v: DURATION_RE.match(v) and 10 <= _duration_seconds(v) <= 86400 and _duration_seconds(v) % 10 == 0,
        "a duration from 10s to 24h in whole multiples of 10s (Grafana's scheduler), such as 1m",
    ),
    "time_from": (TIME_FROM_RE.match, "a Grafana relative time such as now-6h, now-7d or now/d"),
    "provider": (lambda v: v in ("tempo", "langfuse", "langsmith"), "tempo, langfuse or langsmith"),
    "annotation_tag": (lambda v: not v or re.fullmatch(r"[A-Za-z0-9_.:/-]{1,50}", v), "empty, or a tag such as deploy"),
    "metric_or_empty": (lambda v: not v or re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", v), "empty, or a metric name"),
    "trace_link": (lambda v: v in ("langfuse", "langsmith", "none"), "langfuse, langsmith or none"),
    "traceql_attribute": (
        lambda v: not v or re.fullmatch(r"(resource|span)\.[A-Za-z_][A-Za-z0-9_.-]*", v),
        "empty, or a scoped TraceQL attribute such as span.gen_ai.agent.name or resource.tenant.id",
    ),
    "engine": (lambda v: v in ("grafana", "prometheus", "both"), "grafana, prometheus or both"),
    "grafana_api": (lambda v: v in ("auto", "legacy", "apps"), "auto, legacy or apps"),
    "dashboard_schema": (lambda v: v in ("v1", "v2"), "v1 or v2"),
    "no_data_state": (lambda v: v in ("NoData", "Alerting", "OK", "KeepLast"), "NoData, Alerting, OK or KeepLast"),
    "exec_err_state": (lambda v: v in ("Error", "Alerting", "OK", "KeepLast"), "Error, Alerting, OK or KeepLast"),
    "k8s_name": (re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$").match, "a Kubernetes name (lower case, '-')"),
    "k8s_label_key": (K8S_LABEL_KEY_RE.match, "a Kubernetes annotation key"),
    "k8s_label_value": (
        lambda v: v and K8S_LABEL_VALUE_RE.match(v),
        "a Kubernetes label value: 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    ),
    "k8s_label_value_or_empty": (
        lambda v: K8S_LABEL_VALUE_RE.match(v),
        "empty, or a label value: letters, digits, '-', '_' or '.', at most 63",
    ),
    "label": (LABEL_RE.match, "a Prometheus label name such as tenant_id"),
    "label_or_empty": (lambda v: not v or LABEL_RE.match(v), "empty, or a Prometheus label name such as cluster"),
    "selector": (lambda v: _valid_selector(v), 'PromQL label matchers such as job="ai-agents", env!="dev"'),
    "sources": (lambda v: bool(v), "a source name"),
    "traceql_string": (lambda v: not re.search(r'["\\`]', v), "a name without quotes, backslashes or backticks"),
}


def _valid_selector(text: str) -> bool:
    """Empty, or label matchers that parse as `x{<text>}` and do not name the metric."""
    if not text.strip():
        return not text
    import promql_parser as pp

    try:
        parsed = pp.parse(f"x{{{text}}}")
    except (ValueError, RuntimeError):
        return False
    matchers = getattr(getattr(parsed, "matchers", None), "matchers", None) or []
    return isinstance(parsed, pp.VectorSelector) and all(m.name != "__name__" for m in matchers)


def _check_string(value: str, check: str, key: str) -> None:
    if check in ("url", "trace_url"):
        _check_url(value, key)
        if check == "trace_url" and value.count("{trace_id}") != 1:
            raise ConfigError(f"{key}: expected exactly one {{trace_id}} placeholder in the URL, got {_short(value)}")
        return
    if check in _STRING_CHECKS:
        ok, expected = _STRING_CHECKS[check]
        if not ok(value):
            raise ConfigError(f"{key}: expected {expected}, got {_short(value)}")


def _check_url(value: str, key: str) -> None:
    expected = f"{key}: expected an http(s) URL such as https://host/path, got {_short(value)}"
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or any(c.isspace() for c in value):
        raise ConfigError(expected)
    try:
        port = parsed.port
    except ValueError:
        raise ConfigError(f"{key}: the port must be a number from 1 to 65535, got {_short(value)}") from None
    if port == 0:
        raise ConfigError(f"{key}: the port must be a number from 1 to 65535, got {_short(value)}")
    host = (parsed.hostname or "").strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not HOST_RE.match(host.replace("{trace_id}", "x")):
            raise ConfigError(f"{key}: {_short(host)} is not a valid host name") from None
    if parsed.username or parsed.password:
        raise ConfigError(f"{key}: a URL here must not carry credentials")


def cross_check(config: Config) -> None:
    """Checks that involve several keys: bands in order, tenant names that still form valid uids."""
    gpu = config.thresholds.gpu
    if gpu.utilisation_low_percent >= gpu.utilisation_high_percent:
        raise ConfigError(
            f"thresholds.gpu.utilisation_low_percent: {gpu.utilisation_low_percent:g} must be below "
            f"thresholds.gpu.utilisation_high_percent ({gpu.utilisation_high_percent:g})"
        )
    budgets = config.budgets
    if budgets.per_tenant_dashboards:
        for tenant in sorted(budgets.tenants):
            folder_uid = f"{config.grafana.folder.uid}-{tenant}"
            dashboard_uid = f"{config.grafana.uid_prefix}-cost-{tenant}"
            for kind, uid in (("folder", folder_uid), ("dashboard", dashboard_uid)):
                if len(uid) > 40:
                    raise ConfigError(
                        f"budgets.tenants.{tenant}: the tenant's {kind} uid {uid!r} would be "
                        f"{len(uid)} characters, over Grafana's 40: shorten the tenant name or "
                        "grafana.folder.uid / grafana.uid_prefix"
                    )


def _short(value: Any, limit: int = 60) -> str:
    """A bounded repr: never builds the text of a huge value (a YAML bomb, a 100 MB string)."""
    return (
        _REPR.repr(value)[: limit + 3]
        if not isinstance(value, str) or len(value) <= limit
        else repr(value[:limit]) + "..."
    )


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlong, _REPR.maxlist, _REPR.maxdict, _REPR.maxlevel = 60, 60, 40, 4, 4, 2


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__) + f" ({_short(value)})"


def reference() -> list[tuple[str, str, str]]:
    """(key path, default, description) for every leaf key: the README's configuration reference."""
    rows: list[tuple[str, str, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            key = f"{prefix}{f.name}"
            if dataclasses.is_dataclass(value):
                walk(value, key + ".")
            elif isinstance(value, dict) and any(dataclasses.is_dataclass(v) for v in value.values()):
                rows.append((key, f"built-in table of {len(value)} models", f.metadata.get("doc", "")))
            else:
                rows.append(
                    (
                        key,
                        yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip(),
                        f.metadata.get("doc", ""),
                    )
                )

    walk(Config(), "")
    return rows


def dump_defaults() -> str:
    """The built-in defaults as YAML (what `monitoring.yaml` starts from)."""
    return yaml.safe_dump(dataclasses.asdict(Config()), sort_keys=False, allow_unicode=True)
