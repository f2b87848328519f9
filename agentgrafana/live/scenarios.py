"""Named time windows of the simulated traffic, and which alerts each must fire.

An alert belongs to the incident scenario whose `triggers` hold its `threshold_key` (the configuration key its
threshold comes from); alerts without a matching key are matched by the metrics their expression reads.
Every alert must be silent in the `normal` window.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog import CATALOG
from ..model import Alert
from ..promql import analyze
from .topology import GPUS, Topology

MINUTE = 60
NORMAL = "normal"


@dataclass(frozen=True)
class Scenario:
    """A window `[start, end)` in seconds from the start of the simulated data."""

    name: str
    start: int
    end: int
    description: str
    triggers: tuple[str, ...] = ()  # threshold keys of the alerts this incident must fire
    metrics: tuple[str, ...] = ()  # fallback match: alerts reading these metrics
    silent: tuple[tuple[str, str], ...] = ()  # (label, value) of series the alerts must NOT return here
    subject: tuple[tuple[str, str], ...] = ()  # labels of what is broken: alerts must fire for it

    def on_target(self, labels: dict[str, str]) -> bool | None:
        """Whether alert labels point at this incident's subject (None: they carry none of its labels)."""
        shared = [(k, v) for k, v in self.subject if k in labels]
        return None if not shared else all(labels[k] == v for k, v in shared)

    def contains(self, offset: float) -> bool:
        return self.start <= offset < self.end


LATENCY_KEYS = tuple(f"thresholds.latency_seconds.{k}.p99_alert" for k in ("agent", "llm", "tool", "vector_search"))

# Affected entities (the simulator shapes exactly these).
LATENCY_AGENT, LATENCY_MODEL, LATENCY_TOOL, LATENCY_COLLECTION = ("research-agent", "gpt-4o", "web_search", "docs-kb")
ERROR_AGENT = "code-agent"
TIMEOUT_AGENT = "support-agent"
RATE_LIMIT_MODEL = "claude-3-5-sonnet"
TOOL_ERROR_TOOL = "sql_query"
GPU_MEMORY, GPU_HOT, GPU_XID, GPU_BUSY = "gpu-node-b/1", "gpu-node-a/0", "gpu-node-b/0", "gpu-node-a/1"
XID_CODE, XID_MESSAGE = "79", "GPU has fallen off the bus"
DURATION = 180 * MINUTE  # the simulated data spans 3 h


def _gpu_subject(key: str) -> tuple[tuple[str, str], ...]:
    host, index = key.split("/")
    label = next(g.host_label for g in GPUS if g.key == key)
    return (("host", host), (label, host), ("gpu", index))


def default_scenarios(topo: Topology) -> tuple[Scenario, ...]:
    """The schedule: 20 min warm-up, 55 min of normal traffic, then overlapping 25-minute incidents."""
    m = MINUTE
    silent_budget = (("tenant_id", topo.rich_tenant),) if topo.rich_tenant else ()
    rich = f"; {topo.rich_tenant} spends above the default budget but below its override" if topo.rich_tenant else ""
    return (
        Scenario(NORMAL, 20 * m, 75 * m, "normal traffic: every alert must be silent"),
        Scenario(
            "latency",
            80 * m,
            105 * m,
            f"latency incident: {LATENCY_AGENT} requests, {LATENCY_MODEL} inference, {LATENCY_TOOL} tool "
            f"and {LATENCY_COLLECTION} vector search all slower than their P99 alert",
            LATENCY_KEYS,
            (
                "agent_request_duration_seconds",
                "llm_inference_duration_seconds",
                "tool_execution_duration_seconds",
                "vector_search_duration_seconds",
            ),
            subject=(
                ("agent_name", LATENCY_AGENT),
                ("model", LATENCY_MODEL),
                ("tool_name", LATENCY_TOOL),
                ("collection", LATENCY_COLLECTION),
            ),
        ),
        Scenario(
            "gpu_memory_pressure",
            80 * m,
            105 * m,
            f"GPU {GPU_MEMORY} framebuffer almost full",
            ("thresholds.gpu.memory_used_alert_ratio",),
            ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"),
            subject=_gpu_subject(GPU_MEMORY),
        ),
        Scenario(
            "timeouts",
            95 * m,
            120 * m,
            f"{TIMEOUT_AGENT} requests hit their timeout",
            ("thresholds.timeouts_per_minute_alert",),
            ("agent_timeout_total",),
            subject=(("agent_name", TIMEOUT_AGENT),),
        ),
        Scenario(
            "error_spike",
            110 * m,
            135 * m,
            f"{ERROR_AGENT} fails a large share of its requests",
            ("thresholds.agent_error_rate_alert",),
            ("agent_errors_total",),
            subject=(("agent_name", ERROR_AGENT),),
        ),
        Scenario(
            "gpu_temperature",
            110 * m,
            135 * m,
            f"GPU {GPU_HOT} runs hot",
            ("thresholds.gpu.temperature_alert_celsius",),
            ("DCGM_FI_DEV_GPU_TEMP",),
            subject=_gpu_subject(GPU_HOT),
        ),
        Scenario(
            "tool_errors",
            125 * m,
            150 * m,
            f"tool {TOOL_ERROR_TOOL} fails often",
            ("thresholds.tool_error_rate_alert",),
            ("tool_execution_errors_total",),
            subject=(("tool_name", TOOL_ERROR_TOOL),),
        ),
        Scenario(
            "gpu_saturation",
            125 * m,
            150 * m,
            f"GPU {GPU_BUSY} pinned at full utilisation",
            ("thresholds.gpu.utilisation_high_percent",),
            ("DCGM_FI_DEV_GPU_UTIL",),
            subject=_gpu_subject(GPU_BUSY),
        ),
        Scenario(
            "rate_limit_storm",
            140 * m,
            165 * m,
            f"the provider rate-limits {RATE_LIMIT_MODEL}",
            ("thresholds.rate_limit_errors_per_5m_alert",),
            ("llm_rate_limit_errors_total",),
            subject=(("model", RATE_LIMIT_MODEL),),
        ),
        Scenario(
            "xid_error",
            140 * m,
            165 * m,
            f"GPU {GPU_XID} reports XID {XID_CODE} ({XID_MESSAGE})",
            (),
            ("DCGM_FI_DEV_XID_ERRORS",),
            subject=_gpu_subject(GPU_XID),
        ),
        Scenario(
            "budget_overspend",
            150 * m,
            DURATION,
            f"tenant {topo.overspender} (default budget) spends past its daily budget{rich}",
            ("thresholds.budget_utilisation_alert", "budgets.daily_usd_default"),
            ("llm_cost_dollars_total",),
            silent_budget,
            (("tenant_id", topo.overspender),),
        ),
    )


def scenario_for(
    alert: Alert, scenarios: tuple[Scenario, ...], recorded: dict[str, str] | None = None
) -> Scenario | None:
    """The incident in which `alert` must fire: by threshold key, else by the metrics it reads.

    `recorded` maps recording-rule names to their expressions, so an alert reading a recorded series is matched
    by the raw metrics behind it.
    """
    incidents = [s for s in scenarios if s.name != NORMAL]
    for s in incidents:
        if alert.threshold_key and alert.threshold_key in s.triggers:
            return s
    read = metrics_read(alert.expr, recorded or {})
    for s in incidents:
        if read & set(s.metrics):
            return s
    return None


def metrics_read(expr: str, recorded: dict[str, str], _seen: frozenset[str] = frozenset()) -> set[str]:
    """Raw metric families an expression reads, following recording rules (histogram suffixes removed)."""
    out: set[str] = set()
    for name in analyze(expr, CATALOG).metrics:
        if name in recorded and name not in _seen:
            out |= metrics_read(recorded[name], recorded, _seen | {name})
            continue
        series = CATALOG.series(name)
        out.add(series.metric.name if series else name)
    return out
