"""Configuration: typed dataclasses with built-in defaults, loaded from `monitoring.yaml`.

Every key is checked: unknown keys, wrong types and out-of-range values raise `ConfigError` naming the key
path (e.g. ``thresholds.latency_seconds.agent.p99_alert``) and the expected form. The defaults are the
seed's thresholds and give a complete, working set without any file.
"""
from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
K8S_LABEL_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
DURATION_RE = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


class ConfigError(ValueError):
    """A configuration value is missing, unknown or malformed; the message names the key path."""


def _meta(check: str, doc: str) -> dict[str, str]:
    return {"check": check, "doc": doc}


def positive(default: float, doc: str) -> Any:
    return field(default=default, metadata=_meta("positive", doc))


def ratio(default: float, doc: str) -> Any:
    return field(default=default, metadata=_meta("ratio", doc))


def percent(default: float, doc: str) -> Any:
    return field(default=default, metadata=_meta("percent", doc))


def checked(default: Any, check: str, doc: str) -> Any:
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: typing.cast(Any, type(default))(default), metadata=_meta(check, doc))
    return field(default=default, metadata=_meta(check, doc))


@dataclass(frozen=True)
class LatencyThresholds:
    p95_target: float = positive(1.0, "P95 target (seconds), drawn as a threshold line")
    p99_alert: float = positive(1.0, "P99 above this (seconds) fires the latency alert")


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
    memory_used_alert_ratio: float = ratio(0.9, "framebuffer used / total above this fires GPUFramebufferMemoryHigh")
    temperature_alert_celsius: float = positive(85, "GPU temperature above this fires GPUHighTemperature")


@dataclass(frozen=True)
class Thresholds:
    latency_seconds: LatencySet = field(default_factory=LatencySet)
    agent_error_rate_alert: float = ratio(0.05, "errors / requests by agent above this fires AgentHighErrorRate")
    agent_error_rate_daily_check: float = ratio(0.01, "error-rate target drawn on dashboards (daily check)")
    agent_p99_daily_check_seconds: float = positive(5, "P99 target of the daily check, drawn on the overview")
    tool_error_rate_alert: float = ratio(0.10, "tool errors / tool executions above this fires ToolHighErrorRate")
    rate_limit_errors_per_5m_alert: float = positive(10, "rate-limit errors by model in 5 min above this fires LLMRateLimitErrors")
    timeouts_per_minute_alert: float = positive(5, "agent timeouts per minute above this fires AgentHighTimeoutRate")
    budget_utilisation_alert: float = positive(1.0, "daily cost / daily budget above this fires TenantDailyCostBudgetExceeded")
    slow_trace_seconds: float = positive(10, "traces longer than this are listed as slow requests")
    gpu: GpuThresholds = field(default_factory=GpuThresholds)


@dataclass(frozen=True)
class Budgets:
    daily_usd_default: float = positive(100, "daily LLM budget per tenant in USD")
    tenants: dict[str, float] = checked({}, "budget_map", "per-tenant daily budget overrides in USD")
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
    title: str = checked("AI Agents", "nonempty", "Grafana folder title")


@dataclass(frozen=True)
class GrafanaConfig:
    folder: FolderConfig = field(default_factory=FolderConfig)
    uid_prefix: str = checked("agent", "uid_prefix", "prefix of every dashboard and rule uid")
    datasources: Datasources = field(default_factory=Datasources)
    tags: list[str] = checked(["ai-agents"], "nonempty_items", "tags on every dashboard")
    disable_provenance: bool = checked(False, "", "push rules with X-Disable-Provenance (editable in the UI)")
    refresh: str = checked("1m", "duration", "dashboard auto-refresh")
    time_from: str = checked("now-6h", "nonempty", "default time range start")


@dataclass(frozen=True)
class Traces:
    provider: str = checked("langfuse", "provider", "langfuse or langsmith (link label)")
    url_template: str = checked("https://langfuse.example.com/trace/{trace_id}", "trace_url",
                                "trace link; {trace_id} is replaced by the trace id")
    service_name: str = checked("", "", "TraceQL resource.service.name filter; empty = all services")


@dataclass(frozen=True)
class Alerting:
    runbook_base_url: str = checked("https://runbooks.example.com/ai-agents", "url", "base of runbook_url")
    group_interval: str = checked("1m", "duration", "evaluation interval of every rule group")
    prometheusrule_release: str = checked("kube-prometheus-stack", "nonempty",
                                          "value of the PrometheusRule `release` label")
    no_data_state: str = checked("OK", "no_data_state", "Grafana noDataState: NoData, Alerting, OK or KeepLast")
    exec_err_state: str = checked("Error", "exec_err_state", "Grafana execErrState: Error, Alerting, OK or KeepLast")


@dataclass(frozen=True)
class Kubernetes:
    namespace: str = checked("monitoring", "k8s_name", "namespace of every manifest")
    dashboard_label: dict[str, str] = checked({"grafana_dashboard": "1"}, "k8s_labels",
                                              "label(s) the Grafana sidecar selects dashboards by")
    alert_label: dict[str, str] = checked({"grafana_alert": "1"}, "k8s_labels",
                                          "label(s) the Grafana sidecar selects alert rules by")
    folder_annotation: str = checked("grafana_folder", "k8s_label_key", "annotation naming the folder")
    common_labels: dict[str, str] = checked({"app.kubernetes.io/managed-by": "agentgrafana"}, "k8s_labels",
                                            "labels on every manifest")


@dataclass(frozen=True)
class Config:
    grafana: GrafanaConfig = field(default_factory=GrafanaConfig)
    thresholds: Thresholds = field(default_factory=Thresholds)
    budgets: Budgets = field(default_factory=Budgets)
    traces: Traces = field(default_factory=Traces)
    alerting: Alerting = field(default_factory=Alerting)
    kubernetes: Kubernetes = field(default_factory=Kubernetes)

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
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read configuration: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    try:
        return from_mapping(data or {})
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def from_mapping(data: Any) -> Config:
    return _build(Config, data, "")


def _build(cls: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path or '<top level>'}: expected a mapping, got {_kind(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(map(str, data)) - set(fields))
    if unknown:
        where = f"{path}." if path else ""
        raise ConfigError(f"{where}{unknown[0]}: unknown key (allowed: {', '.join(sorted(fields))})")
    values = {}
    for name, value in data.items():
        key = f"{path}.{name}" if path else name
        f = fields[name]
        values[name] = _coerce(hints[name], value, key, f.metadata)
    return cls(**values)


def _coerce(tp: Any, value: Any, key: str, meta: Any) -> Any:
    check = meta.get("check", "") if meta else ""
    doc = meta.get("doc", "") if meta else ""
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, key)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {_kind(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number ({doc}), got {_kind(value)}")
        _check_number(float(value), check, key)
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string ({doc}), got {_kind(value)}")
        _check_string(value, check, key)
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {_kind(value)}")
        (item_tp,) = typing.get_args(tp)
        items = [_coerce(item_tp, v, f"{key}[{i}]", {}) for i, v in enumerate(value)]
        if check == "nonempty_items" and any(not str(i).strip() for i in items):
            raise ConfigError(f"{key}: items must be non-empty strings")
        return items
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {_kind(value)}")
        _, val_tp = typing.get_args(tp)
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ConfigError(f"{key}: keys must be strings, got {_kind(k)} {k!r}")
            sub = f"{key}.{k}"
            if check == "k8s_labels":
                if not K8S_LABEL_KEY_RE.match(k):
                    raise ConfigError(f"{sub}: not a valid Kubernetes label key")
                if not isinstance(v, str):
                    raise ConfigError(f"{sub}: expected a string label value (quote numbers, e.g. \"1\"), "
                                      f"got {_kind(v)}")
            item_meta = {"check": "positive", "doc": "daily budget in USD"} if check == "budget_map" else {}
            out[k] = _coerce(val_tp, v, sub, item_meta)
        return out
    raise TypeError(f"unsupported config type {tp} at {key}")  # programming error


def _check_number(value: float, check: str, key: str) -> None:
    if value != value or value in (float("inf"), float("-inf")):
        raise ConfigError(f"{key}: expected a finite number")
    if check == "positive" and value <= 0:
        raise ConfigError(f"{key}: expected a number greater than 0, got {value:g}")
    if check == "ratio" and not 0 < value <= 1:
        raise ConfigError(f"{key}: expected a ratio between 0 and 1 (e.g. 0.05 for 5%), got {value:g}")
    if check == "percent" and not 0 <= value <= 100:
        raise ConfigError(f"{key}: expected a percentage between 0 and 100, got {value:g}")


_STRING_CHECKS: dict[str, tuple[Any, str]] = {
    "uid": (UID_RE.match, "1-40 characters: letters, digits, '-' or '_'"),
    "uid_prefix": (re.compile(r"^[A-Za-z0-9_-]{1,16}$").match, "1-16 characters: letters, digits, '-' or '_'"),
    "nonempty": (lambda v: v.strip(), "a non-empty string"),
    "duration": (DURATION_RE.match, "a Prometheus duration such as 30s, 1m or 1h"),
    "provider": (lambda v: v in ("langfuse", "langsmith"), "langfuse or langsmith"),
    "no_data_state": (lambda v: v in ("NoData", "Alerting", "OK", "KeepLast"), "NoData, Alerting, OK or KeepLast"),
    "exec_err_state": (lambda v: v in ("Error", "Alerting", "OK", "KeepLast"), "Error, Alerting, OK or KeepLast"),
    "k8s_name": (re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$").match, "a Kubernetes name (lower case, '-')"),
    "k8s_label_key": (K8S_LABEL_KEY_RE.match, "a Kubernetes annotation key"),
}


def _check_string(value: str, check: str, key: str) -> None:
    if check in ("url", "trace_url"):
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"{key}: expected an http(s) URL such as https://host/path, got {value!r}")
        if check == "trace_url" and value.count("{trace_id}") != 1:
            raise ConfigError(f"{key}: expected exactly one {{trace_id}} placeholder in the URL, got {value!r}")
        return
    if check in _STRING_CHECKS:
        ok, expected = _STRING_CHECKS[check]
        if not ok(value):
            raise ConfigError(f"{key}: expected {expected}, got {value!r}")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a mapping"}.get(type(value), type(value).__name__) + f" ({value!r})"[:60]


def reference() -> list[tuple[str, str, str]]:
    """(key path, default, description) for every leaf key: the README's configuration reference."""
    rows: list[tuple[str, str, str]] = []

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            key = f"{prefix}{f.name}"
            if dataclasses.is_dataclass(value):
                walk(value, key + ".")
            else:
                rows.append((key, yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("..."
                                                                                                     ).strip(),
                             f.metadata.get("doc", "")))

    walk(Config(), "")
    return rows


def dump_defaults() -> str:
    """The built-in defaults as YAML (what `monitoring.yaml` starts from)."""
    return yaml.safe_dump(dataclasses.asdict(Config()), sort_keys=False, allow_unicode=True)


