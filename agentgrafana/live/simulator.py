"""Seeded traffic simulator: OpenMetrics text with timestamps for every catalog metric.

Series come generically from the catalog: each metric's labels are filled from the simulated topology
(workloads, tools, collections, GPUs), and its values from its type (histogram buckets cumulative with `_sum`
and `_count`, counters that only grow, gauges). Metric-specific drivers shape realistic values and the
incident scenarios; a catalog metric without a driver still gets plausible generic traffic.

Thresholds come from the configuration, so incidents exceed (and normal traffic stays under) whatever is
configured. The same seed, configuration, options and end time give byte-identical output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from ..catalog import CATALOG, COUNTER, DCGM, GAUGE, HISTOGRAM, Catalog, Metric
from ..config import Config
from . import scenarios as sc
from .scenarios import Scenario, default_scenarios
from .topology import AGENT_JOB, FB_TOTAL_MIB, Gpu, Topology, Workload, topology

SEED = 4242
LLM_CALLS_PER_REQUEST = 2.0
TOOL_CALLS_PER_REQUEST = 1.2
SEARCHES_PER_REQUEST = 0.8
SESSION_SECONDS = 45.0
# USD per token, blended 3:1 input:output
PRICE = {"gpt-4o": 7.5e-6, "claude-3-5-sonnet": 6e-6, "llama-3-70b": 0.6e-6}
INPUT_SHARE = 0.75
AGENT_ERROR_TYPES = (("llm_error", 0.4), ("tool_error", 0.3), ("timeout", 0.2), ("validation", 0.1))
TOOL_ERROR_TYPES = (("timeout", 0.6), ("http_error", 0.4))


@dataclass(frozen=True)
class SimOptions:
    """What to simulate. The rename maps break the data on purpose (tests prove the check notices)."""

    seed: int = SEED
    step: int = 15  # seconds between samples (the scrape interval)
    duration: int = sc.DURATION
    label_renames: Mapping[str, str] = field(default_factory=dict)  # label name -> new name
    value_renames: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # label -> {old: new}
    series_renames: Mapping[str, str] = field(default_factory=dict)  # series name -> new name


@dataclass(frozen=True)
class Dataset:
    """The OpenMetrics text and where its scenarios lie in time (unix seconds)."""

    text: bytes
    start: int
    end: int
    step: int
    scenarios: tuple[Scenario, ...]
    topology: Topology
    series: int
    samples: int

    def window(self, name: str) -> tuple[int, int]:
        s = next(s for s in self.scenarios if s.name == name)
        return self.start + s.start, min(self.start + s.end, self.end)


def simulate(config: Config, end: int, options: SimOptions = SimOptions(), catalog: Catalog = CATALOG) -> Dataset:
    """Simulate `options.duration` seconds of traffic up to `end` (unix seconds, aligned down to the step).

    Samples lie at `start, start + step, ..., end - step`, with `start = end - duration`.
    """
    end -= end % options.step
    start = end - options.duration
    topo = topology(config)
    scenarios = default_scenarios(topo)
    sim = _Simulation(config, topo, scenarios, options)
    writer = _Writer(options, start)
    for metric in catalog:
        writer.family(metric)
        for labels, values in sim.series(metric):
            writer.series(labels, values)
    text = writer.finish()
    return Dataset(text, start, end, options.step, scenarios, topo, writer.series_count, writer.samples)


# --- shaping -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """A distribution of observed values: log-normal, optionally truncated at `cap`, with mass `p0` at zero."""

    median: float
    sigma: float = 0.6
    cap: float | None = None
    p0: float = 0.0

    def cdf(self, le: float) -> float:
        if le < 0:
            return 0.0
        if self.cap is not None and le >= self.cap:
            return 1.0
        body = 0.0 if le == 0 else _phi(math.log(le / self.median) / self.sigma)
        if self.cap is not None:
            body /= _phi(math.log(self.cap / self.median) / self.sigma)
        return self.p0 + (1 - self.p0) * min(body, 1.0)

    def mean(self) -> float:
        m = self.median * math.exp(self.sigma**2 / 2)
        return (1 - self.p0) * (min(m, self.cap * 0.8) if self.cap else m)


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


@lru_cache(maxsize=4096)
def _fractions(shape: Shape, buckets: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(shape.cdf(b) for b in buckets)


def normal_shape(buckets: tuple[float, ...], threshold: float, sigma: float = 0.6) -> Shape:
    """Healthy latency: every observation at or below the largest bucket under the P99 alert threshold.

    Truncating there keeps `histogram_quantile(0.99)` below the threshold whatever the bucket layout.
    """
    below = [b for b in buckets if b < threshold] or [min(buckets)]
    cap = below[-1]
    return Shape(cap * math.exp(-2.3 * sigma), sigma, cap)


def incident_shape(threshold: float) -> Shape:
    return Shape(threshold * 2.5, 0.5)


def above(threshold: float, ceiling: float = 1.0) -> float:
    """A ratio clearly above `threshold` but within `ceiling`."""
    return min(threshold * 4, (threshold + ceiling) / 2)


Labels = dict[str, str]
Part = tuple[Workload, float, Labels]  # a workload's share of one series, with the extra labels it has there


class _Simulation:
    def __init__(self, config: Config, topo: Topology, scenarios: tuple[Scenario, ...], options: SimOptions):
        self.config, self.topo, self.options = config, topo, options
        self.t = config.thresholds
        self.step = options.step
        self.n = options.duration // options.step  # samples at start, start + step, ..., end - step
        self.offsets = [i * options.step for i in range(self.n)]
        self.active = {s.name: [s.contains(o) for o in self.offsets] for s in scenarios}
        self.budget_window = next(s for s in scenarios if s.name == "budget_overspend")
        self._req = {w: self._requests(w) for w in topo.workloads}
        self._cost = self._costs()

    # --- randomness: one stream per series key, so adding a metric never changes the others -----------------
    def noise(self, key: str, scale: float = 0.1, smooth: float = 0.9) -> list[float]:
        rng = random.Random(f"{self.options.seed}|{key}")
        x, out = 0.0, []
        for _ in range(self.n):
            x = smooth * x + (1 - smooth) * rng.gauss(0, 1) * 3
            out.append(x * scale)
        return out

    def _requests(self, w: Workload) -> list[float]:
        noise = self.noise(f"requests|{w}")
        phase = (hash_str(w.agent) % 628) / 100
        return [
            max(
                0.0,
                w.rate * self.step * (1 + 0.2 * math.sin(2 * math.pi * o / self.options.duration + phase)) * (1 + e),
            )
            for o, e in zip(self.offsets, noise)
        ]

    def _costs(self) -> dict[Workload, list[float]]:
        """USD per step: 30 % of each tenant's daily budget per day, plus the budget scenario's bursts."""
        topo, ratio = self.topo, self.t.budget_utilisation_alert
        burst = [self.budget_window.start <= o < self.budget_window.start + 10 * sc.MINUTE for o in self.offsets]
        burst_steps = max(1, sum(burst))
        out: dict[Workload, list[float]] = {}
        for tenant in topo.tenants:
            mine = [w for w in topo.workloads if w.tenant == tenant]
            total_rate = sum(w.rate for w in mine)
            budget = topo.budgets[tenant] * ratio
            base = 0.3 * budget / 86400 * self.step
            normal_total = base * self.n
            extra = 0.0
            if tenant == topo.overspender:
                extra = 1.5 * budget
            elif tenant == topo.rich_tenant:
                default = self.config.budgets.daily_usd_default * ratio
                extra = max(0.0, math.sqrt(default * budget) - normal_total)
            for w in mine:
                share = w.rate / total_rate
                out[w] = [share * (base + (extra / burst_steps if b else 0.0)) for b in burst]
        return out

    # --- series ------------------------------------------------------------------------------------------
    def series(self, metric: Metric) -> Iterator[tuple[Labels, list[float] | dict[str, list[float]]]]:
        """(labels, values) per series; histograms yield {series suffix/`le`: values} per label set."""
        if metric.source == DCGM:
            yield from self.gpu_series(metric)
            return
        for labels, parts in self.rows(metric):
            if metric.type == HISTOGRAM:
                yield labels, self.histogram(metric, parts)
            elif metric.type == COUNTER:
                yield labels, self.counter(metric, parts)
            else:
                yield labels, self.gauge(metric, labels, parts)

    def rows(self, metric: Metric) -> list[tuple[Labels, list[Part]]]:
        """Label sets of a metric, each with the workload shares that feed it."""
        rows: dict[tuple[tuple[str, str], ...], tuple[Labels, list[Part]]] = {}
        for w in self.topo.workloads:
            base = {
                "agent_name": w.agent,
                "tenant_id": w.tenant,
                "model": w.model,
                "provider": self.topo.provider(w.model),
            }
            expansions: list[tuple[Labels, float]] = [({}, 1.0)]
            for label in metric.labels:
                if label in base:
                    continue
                values = self.label_values(metric, label, w)
                expansions = [({**e, label: v}, ew * vw) for e, ew in expansions for v, vw in values]
            for extra, weight in expansions:
                full = {**base, **extra}
                labels = {label: full[label] for label in metric.labels}
                labels["job"], labels["instance"] = AGENT_JOB
                key = tuple(labels.items())
                rows.setdefault(key, (labels, []))[1].append((w, weight, extra))
        return list(rows.values())

    def label_values(self, metric: Metric, label: str, w: Workload) -> list[tuple[str, float]]:
        def even(values: tuple[str, ...]) -> list[tuple[str, float]]:
            return [(v, 1 / len(values)) for v in values] if values else [("none", 1.0)]

        if label == "tool_name":
            return even(self.topo.tools[w.agent])
        if label == "collection":
            return even(self.topo.collections[w.agent])
        if label == "token_type":
            return [("input", INPUT_SHARE), ("output", 1 - INPUT_SHARE)]
        if label == "error_type":
            return list(TOOL_ERROR_TYPES if metric.name.startswith("tool_") else AGENT_ERROR_TYPES)
        return [("default", 1.0)]

    # --- agent metrics -----------------------------------------------------------------------------------
    def on(self, scenario: str, i: int) -> bool:
        return self.active.get(scenario, [False] * self.n)[i]

    def latency_shape(self, kind: str, buckets: tuple[float, ...], incident: bool) -> Shape:
        threshold = getattr(self.t.latency_seconds, kind).p99_alert
        return incident_shape(threshold) if incident else normal_shape(buckets, threshold)

    def observations(self, metric: Metric, w: Workload, extra: Labels, i: int) -> tuple[float, Shape]:
        """(observations in step i, their distribution) for one workload's share of a histogram."""
        req = self._req[w][i]
        b = metric.buckets
        latency = self.on("latency", i)
        if metric.name == "agent_request_duration_seconds":
            return req, self.latency_shape("agent", b, latency and w.agent == sc.LATENCY_AGENT)
        if metric.name == "llm_inference_duration_seconds":
            return req * LLM_CALLS_PER_REQUEST, self.latency_shape("llm", b, latency and w.model == sc.LATENCY_MODEL)
        if metric.name == "tool_execution_duration_seconds":
            hit = latency and extra.get("tool_name") == sc.LATENCY_TOOL
            return req * TOOL_CALLS_PER_REQUEST, self.latency_shape("tool", b, hit)
        if metric.name == "vector_search_duration_seconds":
            hit = latency and extra.get("collection") == sc.LATENCY_COLLECTION
            return req * SEARCHES_PER_REQUEST, self.latency_shape("vector_search", b, hit)
        slow = latency and w.agent == sc.LATENCY_AGENT
        if metric.name == "agent_chain_length":
            return req, Shape(10.0 if slow else 5.0, 0.5)
        if metric.name == "agent_tool_calls":
            return req, Shape(5.0 if slow else 2.0, 0.6, p0=0.15)
        if metric.name == "agent_iterations":
            return req, Shape(6.0 if slow else 2.5, 0.5)
        finite = [x for x in b if x > 0] or [1.0]  # an unknown histogram: centred on its bucket range
        return req, Shape(math.sqrt(finite[0] * finite[-1]), 0.8, p0=0.05 if 0 in b else 0.0)

    def histogram(self, metric: Metric, parts: list[Part]) -> dict[str, list[float]]:
        buckets = tuple(sorted(metric.buckets))
        acc = [0.0] * len(buckets)
        total = sums = 0.0
        out: dict[str, list[float]] = {**{_le(b): [] for b in buckets}, "+Inf": [], "_sum": [], "_count": []}
        for i in range(self.n):
            for w, weight, extra in parts:
                count, shape = self.observations(metric, w, extra, i)
                count *= weight
                for k, f in enumerate(_fractions(shape, buckets)):
                    acc[k] += count * f
                total += count
                sums += count * shape.mean()
            for k, b in enumerate(buckets):
                out[_le(b)].append(round(acc[k]))
            out["+Inf"].append(round(total))
            out["_count"].append(round(total))
            out["_sum"].append(round(sums, 3))
        return out

    def increment(self, metric: Metric, w: Workload, weight: float, extra: Labels, i: int) -> float:
        """What one workload adds to a counter in step i."""
        req, t = self._req[w][i], self.t
        if metric.name == "llm_cost_dollars_total":
            return self._cost[w][i] * weight
        if metric.name == "llm_tokens_total":
            return self._cost[w][i] / PRICE.get(w.model, 5e-6) * weight
        if metric.name == "agent_errors_total":
            ratio = (
                above(t.agent_error_rate_alert)
                if self.on("error_spike", i) and w.agent == sc.ERROR_AGENT
                else t.agent_error_rate_alert * 0.1
            )
            return req * ratio * weight
        if metric.name == "tool_execution_errors_total":
            hit = self.on("tool_errors", i) and extra.get("tool_name") == sc.TOOL_ERROR_TOOL
            ratio = above(t.tool_error_rate_alert) if hit else t.tool_error_rate_alert * 0.1
            return req * TOOL_CALLS_PER_REQUEST * ratio * weight
        if metric.name == "llm_rate_limit_errors_total":
            hit = self.on("rate_limit_storm", i) and w.model == sc.RATE_LIMIT_MODEL
            per_5m = t.rate_limit_errors_per_5m_alert * (5 if hit else 0.05)
            return per_5m / 300 * self.step * self.share(w, lambda x: x.model == w.model) * weight
        if metric.name == "agent_timeout_total":
            hit = self.on("timeouts", i) and w.agent == sc.TIMEOUT_AGENT
            per_min = t.timeouts_per_minute_alert * (4 if hit else 0.04)
            return per_min / 60 * self.step * self.share(w, lambda x: x.agent == w.agent) * weight
        return req * 0.1 * weight

    def share(self, w: Workload, same: Callable[[Workload], bool]) -> float:
        group = [x.rate for x in self.topo.workloads if same(x)]
        return w.rate / sum(group)

    def counter(self, metric: Metric, parts: list[Part]) -> list[float]:
        acc, out = 0.0, []
        dollars = metric.unit.startswith("currency")
        for i in range(self.n):
            acc += sum(self.increment(metric, w, weight, extra, i) for w, weight, extra in parts)
            out.append(round(acc, 4) if dollars else math.floor(acc))
        return out

    def gauge(self, metric: Metric, labels: Labels, parts: list[Part]) -> list[float]:
        noise = self.noise(f"{metric.name}|{sorted(labels.items())}", 0.05)
        arrivals = [sum(self._req[w][i] * weight for w, weight, _ in parts) / self.step for i in range(self.n)]
        factor = {"agent_active_sessions": SESSION_SECONDS, "agent_active_users": SESSION_SECONDS * 0.6}.get(
            metric.name, 10.0
        )
        return [max(0, round(a * factor * (1 + e))) for a, e in zip(arrivals, noise)]

    # --- GPUs --------------------------------------------------------------------------------------------
    def gpu_series(self, metric: Metric) -> Iterator[tuple[Labels, list[float]]]:
        for gpu in self.topo.gpus:
            labels = {k: v for k, v in gpu.labels().items() if k in metric.labels or k in ("job", "instance")}
            if metric.name == "DCGM_FI_DEV_XID_ERRORS":
                yield {**labels, "err_code": "0", "err_msg": "No Error"}, [0.0] * self.n
                if gpu.key == sc.GPU_XID:
                    values = [float(sc.XID_CODE) if self.on("xid_error", i) else math.nan for i in range(self.n)]
                    yield {**labels, "err_code": sc.XID_CODE, "err_msg": sc.XID_MESSAGE}, values
                continue
            yield labels, self.gpu_values(metric, gpu)

    def gpu_util(self, gpu: Gpu) -> list[float]:
        noise = self.noise(f"gpu-util|{gpu.key}", 8.0)
        low, high = self.t.gpu.utilisation_low_percent, self.t.gpu.utilisation_high_percent
        mid = (low + high) / 2
        values = [min(high - 3, max(low + 3, mid + e)) for e in noise]
        if gpu.key == sc.GPU_BUSY:
            values = [
                min(100.0, (high + 100) / 2 + 2) if self.on("gpu_saturation", i) else v for i, v in enumerate(values)
            ]
        return values

    def gpu_values(self, metric: Metric, gpu: Gpu) -> list[float]:
        g, name = self.t.gpu, metric.name
        util = self.gpu_util(gpu)
        noise = self.noise(f"{name}|{gpu.key}", 1.0)
        if name == "DCGM_FI_DEV_GPU_UTIL":
            return [round(u) for u in util]
        if name == "DCGM_FI_DEV_MEM_COPY_UTIL":
            return [round(u * 0.45) for u in util]
        if name in ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE"):
            mem_noise = self.noise(f"fb|{gpu.key}", 0.02)
            used = [
                FB_TOTAL_MIB
                * (
                    (1 + g.memory_used_alert_ratio) / 2
                    if gpu.key == sc.GPU_MEMORY and self.on("gpu_memory_pressure", i)
                    else g.memory_used_alert_ratio * 0.7 + e
                )
                for i, e in enumerate(mem_noise)
            ]
            return [round(u) if name.endswith("USED") else round(FB_TOTAL_MIB - round(u)) for u in used]
        if name == "DCGM_FI_DEV_GPU_TEMP":
            limit = g.temperature_alert_celsius
            return [
                round(
                    limit + 7
                    if gpu.key == sc.GPU_HOT and self.on("gpu_temperature", i)
                    else min(limit - 8, 50 + 0.15 * u + e)
                )
                for i, (u, e) in enumerate(zip(util, noise))
            ]
        if name == "DCGM_FI_DEV_POWER_USAGE":
            return [round(90 + 3 * u + 5 * e, 2) for u, e in zip(util, noise)]
        if name == "DCGM_FI_DEV_SM_CLOCK":
            top = 1980 if "H100" in gpu.model_name else 1410
            return [
                top - 300 if gpu.key == sc.GPU_HOT and self.on("gpu_temperature", i) else top for i in range(self.n)
            ]
        if name == "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE":
            return [round(u / 100 * 0.6, 4) for u in util]
        if metric.type == COUNTER:  # e.g. PCIe replays: rare
            acc = 0.0
            out: list[float] = []
            for _ in range(self.n):
                acc += 0.002
                out.append(math.floor(acc))
            return out
        level = {
            "percent": 50.0,
            "percentunit": 0.5,
            "celsius": 55.0,
            "watt": 250.0,
            "mbytes": 40000.0,
            "rotmhz": 1400.0,
        }.get(metric.unit, 1.0)
        return [round(level * (1 + 0.05 * e), 4) for e in noise]


def hash_str(text: str) -> int:
    """A stable (unsalted) small hash."""
    return sum((i + 1) * ord(c) for i, c in enumerate(text))


def _le(bound: float) -> str:
    """`le` as prometheus_client writes it: always a float (1.0, not 1)."""
    return repr(float(bound))


# --- OpenMetrics text ----------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, options: SimOptions, start: int):
        self.options = options
        self.timestamps = [str(start + i * options.step) for i in range(options.duration // options.step)]
        self.lines: list[str] = []
        self.series_count = 0
        self.samples = 0
        self.metric: Metric | None = None

    def family(self, metric: Metric) -> None:
        self.metric = metric
        family = (
            metric.name[: -len("_total")] if metric.type == COUNTER and metric.name.endswith("_total") else metric.name
        )
        kind = metric.type if metric.type in (COUNTER, GAUGE, HISTOGRAM) else "unknown"
        self.lines.append(f"# HELP {family} {_escape_help(metric.help)}")
        self.lines.append(f"# TYPE {family} {kind}")

    def series(self, labels: Labels, values: list[float] | dict[str, list[float]]) -> None:
        assert self.metric is not None
        name = self.metric.name
        if isinstance(values, list):
            self.emit(name, labels, values)
            return
        for key, vals in values.items():
            if key.startswith("_"):
                self.emit(name + key, labels, vals)
            else:
                self.emit(name + "_bucket", {**labels, "le": key}, vals)

    def emit(self, name: str, labels: Labels, values: list[float]) -> None:
        o = self.options
        name = o.series_renames.get(name, name)
        renamed = {o.label_renames.get(k, k): o.value_renames.get(k, {}).get(v, v) for k, v in labels.items()}
        head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in renamed.items()) + "} "
        self.series_count += 1
        for ts, v in zip(self.timestamps, values):
            if v != v:  # NaN: no sample (the series is absent then)
                continue
            self.lines.append(f"{head}{_number(v)} {ts}")
            self.samples += 1

    def finish(self) -> bytes:
        self.lines.append("# EOF")
        return ("\n".join(self.lines) + "\n").encode()


def _number(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return repr(float(v))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")
