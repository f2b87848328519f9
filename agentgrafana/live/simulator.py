"""Seeded traffic simulator: OpenMetrics text with timestamps for every catalog metric.

Series come generically from the catalog: each metric's labels are filled from the simulated topology
(workloads, tools, collections, GPUs), its volume from the catalog's traffic model (`per_request`,
`typical`), and its values from its type (histogram buckets cumulative with `_sum` and `_count`, counters
that only grow, gauges). There is no branch per metric: the alerts' declared incidents (`Alert.incident`)
say which metrics to shape and how, by signal kind. Normal traffic stays short of every alert's threshold;
in an alert's incident window its subject goes past it.

The same seed, configuration, alerts, options and end time give byte-identical output.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..catalog import CATALOG, COUNTER, GAUGE, HISTOGRAM, LITELLM, Catalog, Metric
from ..config import Config
from ..model import Alert
from ..scenario import (
    ABSENT,
    EVENT,
    EXCEED,
    FILL,
    LEVEL,
    PACE,
    QUANTILE,
    RATE,
    RATIO,
    SPEND,
    Event,
    Exceed,
    Fill,
    Rate,
    Ratio,
    number,
)
from ..sources import Dialect
from ..sources.semconv import INSTRUMENTATION
from . import scenarios as sc
from .litellm import LitellmEmitter
from .otel import OtelEmitter
from .scenarios import Window, schedule
from .topology import AGENT_JOB, SELF_HOSTED, XID_MESSAGES, Gpu, Topology, Workload, topology

Emitter = OtelEmitter | LitellmEmitter

SEED = 4242
INPUT_SHARE = 0.75
# an agent's error types; out_of_memory: a self-hosted model server's CUDA OOM, as the agent reports it
ERROR_TYPES = (
    ("timeout", 0.35),
    ("http_error", 0.25),
    ("llm_error", 0.25),
    ("validation", 0.1),
    ("out_of_memory", 0.05),
)
FINISH_REASONS = (("stop", 0.9), ("length", 0.08), ("abort", 0.02))
EVENT_DETAIL_LABEL = "err_msg"  # dcgm-exporter's text beside an XID code
# a GPU gauge's usual level by unit, when the catalog gives none
LEVEL_BY_UNIT = {"percent": 50.0, "percentunit": 0.5, "celsius": 55.0, "watt": 250.0, "mbytes": 40000.0}


@dataclass(frozen=True)
class SimOptions:
    """What to simulate. The rename maps break the data on purpose (tests prove the check notices)."""

    seed: int = SEED
    step: int = 15  # seconds between samples (the scrape interval)
    duration: int | None = None  # seconds; None: as long as the schedule of incidents (at least 3 h)
    label_renames: Mapping[str, str] = field(default_factory=dict)  # label name -> new name
    value_renames: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # label -> {old: new}
    series_renames: Mapping[str, str] = field(default_factory=dict)  # series name -> new name
    extra_labels: Mapping[str, str] = field(default_factory=dict)  # on every series (a cluster's external label)
    incidents: bool = True  # False: the alerts' normal traffic only, no incident acted out (a healthy cluster)


@dataclass(frozen=True)
class Dataset:
    """The OpenMetrics text and where its windows lie in time (unix seconds)."""

    text: bytes
    start: int
    end: int
    step: int
    windows: tuple[Window, ...]
    topology: Topology
    series: int
    samples: int

    def window(self, name: str) -> tuple[int, int]:
        s = next(s for s in self.windows if s.name == name)
        return self.start + s.start, min(self.start + s.end, self.end)


def simulate(
    config: Config,
    end: int,
    options: SimOptions = SimOptions(),
    catalog: Catalog = CATALOG,
    alerts: Sequence[Alert] = (),
    dialect: Dialect | None = None,
) -> Dataset:
    """Simulate traffic up to `end` (unix seconds, aligned down to the step), with the incidents of `alerts`.

    Samples lie at `start, start + step, ..., end - step`, with `start = end - duration`. With a `dialect`
    (the build's sources), only the concepts they provide are written, and those an OpenTelemetry source
    provides are replayed through the OpenTelemetry SDK (`otel.py`).
    """
    topo = topology(config)
    windows = schedule(list(alerts), topo)
    duration = options.duration or max(w.end for w in windows)
    end -= end % options.step
    start = end - duration
    sim = _Simulation(config, topo, windows, options, duration, catalog)
    writer = _Writer(options, start, duration)
    emitters = _emitters(dialect, config, writer.timestamps, options)
    for metric in catalog:
        if dialect is not None and not _provided(dialect, metric):
            continue  # no configured source emits it
        if metric.source == "imported":
            continue  # inferred from an imported dashboard: no traffic model (nor buckets) to simulate it with
        emitter = next((e for e in emitters if e.handles(metric.name)), None)
        if emitter is not None:
            for labels, values in sim.series(metric):
                emitter.add(metric, labels, values)
            continue
        writer.family(metric)
        for labels, values in sim.series(metric):
            writer.series(labels, values)
    for emitter in emitters:
        writer.extend(emitter.lines())
    text = writer.finish()
    return Dataset(text, start, end, options.step, windows, topo, writer.series_count, writer.samples)


def merge(first: Dataset, *others: Dataset) -> Dataset:
    """Datasets over the same time range as one (two clusters' traffic, told apart by `extra_labels`); the
    windows are the first's."""
    families: dict[str, list[str]] = {}
    for d in (first, *others):
        if (d.start, d.end, d.step) != (first.start, first.end, first.step):
            raise ValueError("datasets to merge must cover the same time range at the same step")
        head = ""
        for line in d.text.decode().splitlines():
            if line == "# EOF":
                continue
            if line.startswith("# HELP "):
                head = line.split(" ", 3)[2]
                if head in families:
                    continue
            elif line.startswith("# TYPE ") and head in families and len(families[head]) > 1 and d is not first:
                continue
            families.setdefault(head, []).append(line)
    text = "\n".join(line for lines in families.values() for line in lines) + "\n# EOF\n"
    return Dataset(
        text.encode(),
        first.start,
        first.end,
        first.step,
        first.windows,
        first.topology,
        sum(d.series for d in (first, *others)),
        sum(d.samples for d in (first, *others)),
    )


def _provided(dialect: Dialect, metric: Metric) -> bool:
    first = metric.name + "_count" if metric.type == HISTOGRAM else metric.name
    return dialect.resolve(first) is not None


def _emitters(dialect: Dialect | None, config: Config, timestamps: list[str], options: SimOptions) -> list[Emitter]:
    """The client libraries that replay the concepts the build's sources read from them."""
    if dialect is None:
        return []
    target = {"job": AGENT_JOB[0], "instance": AGENT_JOB[1], **options.extra_labels}
    names = {s.name for s in dialect.sources}
    out: list[Emitter] = []
    if names & set(INSTRUMENTATION):
        out.append(OtelEmitter(dialect, config, timestamps, target))
    if LITELLM in names:
        out.append(LitellmEmitter(dialect, timestamps, target))
    return out


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


@dataclass(frozen=True)
class Mixture:
    """A share `share` of observations from `tail`, the rest from `body` (e.g. 20 % of requests past 5 s)."""

    body: Shape
    tail: Shape
    share: float

    def cdf(self, le: float) -> float:
        return (1 - self.share) * self.body.cdf(le) + self.share * self.tail.cdf(le)

    def mean(self) -> float:
        return (1 - self.share) * self.body.mean() + self.share * self.tail.mean()


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


@lru_cache(maxsize=4096)
def _fractions(shape: Shape | Mixture, buckets: tuple[float, ...]) -> tuple[float, ...]:
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


Labels = dict[str, str]
Part = tuple[Workload, float, Labels]  # a workload's share of one series, with the extra labels it has there


def past(op: str, limit: float, ceiling: float | None = None) -> float:
    """A level clearly past `limit` (8 % beyond it, or 1 past a zero limit), inside `ceiling` when there is one."""
    step = abs(limit) * 0.08 or 1.0
    value = limit + step if op.startswith(">") else limit - step
    return min(value, (limit + ceiling) / 2) if ceiling is not None and op.startswith(">") else value


def short_of(op: str, limit: float, value: float) -> float:
    """`value`, kept clearly short of `limit` (by 8 % of it, or 1 for a zero limit)."""
    step = abs(limit) * 0.08 or 1.0
    return min(value, limit - step) if op.startswith(">") else max(value, limit + step)


class _Simulation:
    def __init__(
        self,
        config: Config,
        topo: Topology,
        windows: tuple[Window, ...],
        options: SimOptions,
        duration: int,
        catalog: Catalog,
    ):
        self.config, self.topo, self.options, self.catalog = config, topo, options, catalog
        self.step = options.step
        self.n = duration // options.step  # samples at start, start + step, ..., end - step
        self.duration = duration
        self.offsets = [i * options.step for i in range(self.n)]
        self.windows = [w for w in windows if w.incident is not None]
        self.active = {w.name: [options.incidents and w.contains(o) for o in self.offsets] for w in windows}
        self.shaping: dict[str, list[Window]] = {}
        for w in self.windows:
            assert w.incident is not None
            for name in w.incident.signal.metrics:
                self.shaping.setdefault(name, []).append(w)
        self._req = {w: self._requests(w) for w in topo.workloads}
        self._cost: dict[str, dict[Workload, list[float]]] = {}
        self._effects: dict[tuple[str, str], list[Window]] = {}

    def effects(self, metric: Metric, kind: str) -> list[Window]:
        """The incident windows shaping `metric` with signals of `kind` (memoised: asked once per sample)."""
        key = (metric.name, kind)
        if key not in self._effects:
            self._effects[key] = [
                w for w in self.shaping.get(metric.name, []) if w.incident and w.incident.signal.kind == kind
            ]
        return self._effects[key]

    def on(self, window: Window, i: int) -> bool:
        return self.active[window.name][i]

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
            max(0.0, w.rate * self.step * (1 + 0.2 * math.sin(2 * math.pi * o / self.duration + phase)) * (1 + e))
            for o, e in zip(self.offsets, noise)
        ]

    # --- series ------------------------------------------------------------------------------------------
    def series(self, metric: Metric) -> Iterator[tuple[Labels, list[float] | dict[str, list[float]]]]:
        """(labels, values) per series; histograms yield {series suffix/`le`: values} per label set. While an
        absence incident on the metric is on, no series has samples (its exporter stopped)."""
        gone = [any(self.on(w, i) for w in self.effects(metric, ABSENT)) for i in range(self.n)]
        for labels, values in [*self.shaped_series(metric), *self.newcomers(metric)]:
            if not any(gone):
                yield labels, values
            elif isinstance(values, list):
                yield labels, [math.nan if g else v for v, g in zip(values, gone)]
            else:
                yield labels, {k: [math.nan if g else v for v, g in zip(vs, gone)] for k, vs in values.items()}

    def shaped_series(self, metric: Metric) -> Iterator[tuple[Labels, list[float] | dict[str, list[float]]]]:
        if "gpu" in metric.labels:
            yield from self.gpu_series(metric)
            return
        rows = self.rows(metric)
        shares = self.rate_shares(metric, rows) if metric.type == COUNTER else {}
        for row, (labels, parts) in enumerate(rows):
            if metric.type == HISTOGRAM:
                yield labels, self.histogram(metric, parts)
            elif metric.type == COUNTER:
                yield labels, self.counter(metric, parts, [shares.get((row, p), 0.0) for p in range(len(parts))])
            else:
                yield labels, self.gauge(metric, labels, parts)

    def newcomers(self, metric: Metric) -> Iterator[tuple[Labels, list[float]]]:
        """Counters of an entity new to the platform (`Incident.newcomer`): 0 until its window, then counting
        past the alert's limit."""
        for x in self.effects(metric, RATE):
            incident = x.incident
            if incident is None or not incident.newcomer or not isinstance(incident.signal, Rate):
                continue
            labels = {k: v for k, v in incident.signal.series.items() if k in metric.labels}
            labels["job"], labels["instance"] = AGENT_JOB
            per_step = (x.limit * 5 or 5.0) / incident.signal.per_seconds * self.step
            acc, out = 0.0, []
            for i in range(self.n):
                acc += per_step if self.on(x, i) else 0.0
                out.append(float(math.floor(acc)))
            yield labels, out

    def base_labels(self, w: Workload) -> Labels:
        return {"agent_name": w.agent, "tenant_id": w.tenant, "model": w.model, "provider": self.topo.provider(w.model)}

    def rows(self, metric: Metric) -> list[tuple[Labels, list[Part]]]:
        """Label sets of a metric, each with the workload shares that feed it."""
        rows: dict[tuple[tuple[str, str], ...], tuple[Labels, list[Part]]] = {}
        for w in self.topo.workloads:
            base = self.base_labels(w)
            expansions: list[tuple[Labels, float]] = [({}, 1.0)]
            for label in metric.labels:
                if label in base:
                    continue
                values = self.label_values(label, w)
                expansions = [({**e, label: v}, ew * vw) for e, ew in expansions for v, vw in values]
            for extra, weight in expansions:
                full = {**base, **extra}
                labels = {label: full[label] for label in metric.labels}
                labels["job"], labels["instance"] = AGENT_JOB
                key = tuple(labels.items())
                rows.setdefault(key, (labels, []))[1].append((w, weight, extra))
        return list(rows.values())

    def label_values(self, label: str, w: Workload) -> list[tuple[str, float]]:
        def even(values: tuple[str, ...]) -> list[tuple[str, float]]:
            return [(v, 1 / len(values)) for v in values] if values else [("none", 1.0)]

        if label == "tool_name":
            return even(self.topo.tools[w.agent])
        if label == "collection":
            return even(self.topo.collections[w.agent])
        if label == "token_type":
            return [("input", INPUT_SHARE), ("output", 1 - INPUT_SHARE)]
        if label == "error_type":
            return list(ERROR_TYPES)
        if label == "model_name":  # a model server's model: only the models the platform serves itself
            return [(w.model, 1.0)] if self.topo.provider(w.model) == SELF_HOSTED else []
        if label == "engine":
            return [("0", 1.0)]
        if label in ("namespace", "pod", "container"):  # the model servers' pods serve the self-hosted models
            return even(self.topo.values(label)) if self.topo.provider(w.model) == SELF_HOSTED else []
        if label == "finished_reason":
            return list(FINISH_REASONS)
        # the LiteLLM proxy's names for the workload's team, key, model and provider
        if label in ("team", "team_alias"):
            return [(w.tenant, 1.0)]
        if label == "api_key_alias":
            return [(w.agent, 1.0)]
        if label in ("litellm_model_name", "requested_model"):
            return [(w.model, 1.0)]
        if label == "api_provider":
            return [(self.topo.provider(w.model), 1.0)]
        if label == "api_base":
            return [(f"https://{self.topo.provider(w.model)}.internal/v1", 1.0)]
        if label == "fallback_model":
            return [(next((m for m in self.topo.models if m != w.model), w.model), 1.0)]
        if label == "exception_status":  # the gateway's failures other than rate limits (429: that concept's)
            return [("500", 0.6), ("503", 0.4)]
        return [("default", 1.0)]

    # --- histograms --------------------------------------------------------------------------------------
    def shape(self, metric: Metric, full: Labels, i: int) -> Shape | Mixture:
        """The distribution of one workload's observations in step i: past a quantile alert's limit for its
        subject during its incident, short of every such limit otherwise."""
        quantiles, exceeds = self.effects(metric, QUANTILE), self.effects(metric, EXCEED)
        limits = [w.floor for w in quantiles] + [self.bound(w) for w in exceeds]
        normal = normal_shape(metric.buckets, min(limits)) if limits else None
        for w in quantiles:
            if self.on(w, i) and w.hits(full):
                return incident_shape(w.limit)
        for w in exceeds:
            if normal and self.on(w, i) and w.hits(full):  # (nearly) every observation past the bound
                return Mixture(normal, Shape(self.bound(w) * 4, 0.4), 1.0)
        if normal:
            return normal
        finite = [x for x in metric.buckets if x > 0] or [1.0]  # centred on the bucket range unless typical
        median = metric.typical or math.sqrt(finite[0] * finite[-1])
        return Shape(median, 0.6, p0=0.15 if 0 in metric.buckets else 0.0)

    def histogram(self, metric: Metric, parts: list[Part]) -> dict[str, list[float]]:
        buckets = tuple(sorted(metric.buckets))
        acc = [0.0] * len(buckets)
        total = sums = 0.0
        out: dict[str, list[float]] = {**{_le(b): [] for b in buckets}, "+Inf": [], "_sum": [], "_count": []}
        fulls = [{**self.base_labels(w), **extra} for w, _, extra in parts]
        for i in range(self.n):
            for (w, weight, _), full in zip(parts, fulls):
                count = self._req[w][i] * metric.per_request * weight
                shape = self.shape(metric, full, i)
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

    # --- counters ----------------------------------------------------------------------------------------
    def rate_shares(self, metric: Metric, rows: list[tuple[Labels, list[Part]]]) -> dict[tuple[int, int], float]:
        """For counters a rate alert watches: each part's share of its group (the subject's label value), so a
        group's total follows the alert's limit whatever the number of workloads in it."""
        windows = self.effects(metric, RATE)
        if not windows:
            return {}
        label = next((k for k, _ in windows[0].subject if k in metric.labels), "")
        totals: dict[str, float] = {}
        for labels, parts in rows:
            for w, weight, _ in parts:
                totals[labels.get(label, "")] = totals.get(labels.get(label, ""), 0.0) + w.rate * weight
        return {
            (r, p): w.rate * weight / totals[labels.get(label, "")]
            for r, (labels, parts) in enumerate(rows)
            for p, (w, weight, _) in enumerate(parts)
        }

    def counter(self, metric: Metric, parts: list[Part], shares: list[float]) -> list[float]:
        """A counter's cumulative values; `shares` are the parts' shares of their rate-alert group."""
        acc, out = 0.0, []
        dollars = metric.unit.startswith("currency")
        fulls = [{**self.base_labels(w), **extra} for w, _, extra in parts]
        for i in range(self.n):
            acc += sum(
                self.increment(metric, w, weight, full, i, share)
                for (w, weight, _), full, share in zip(parts, fulls, shares)
            )
            out.append(round(acc, 4) if dollars else math.floor(acc))
        return out

    def increment(self, metric: Metric, w: Workload, weight: float, full: Labels, i: int, share: float) -> float:
        """What one workload adds to a counter in step i."""
        req = self._req[w][i]
        if self.effects(metric, SPEND) or self.effects(metric, PACE):
            return self.costs(metric)[w][i] * weight
        if ratios := self.effects(metric, RATIO):
            hit = next((x for x in ratios if self.on(x, i) and x.hits(full)), None)
            # every event bad: burn-rate windows hold normal history, so only an outage passes them in time
            value = 1.0 if hit else min(x.floor for x in ratios) * 0.1
            signal = ratios[0].incident.signal if ratios[0].incident else None
            assert isinstance(signal, Ratio)
            return req * self.catalog.metric(signal.volume).per_request * value * weight
        if rates := self.effects(metric, RATE):
            hit = next((x for x in rates if self.on(x, i) and x.hits(full)), None)
            per = rates[0].incident.signal if rates[0].incident else None
            assert isinstance(per, Rate)
            target = (hit.limit * 5 or 5.0) if hit else min(x.floor for x in rates) * 0.05
            return target / per.per_seconds * self.step * share
        return req * metric.per_request * weight

    def bound(self, window: Window) -> float:
        signal = window.incident.signal if window.incident else None
        assert isinstance(signal, Exceed)
        return signal.bound

    def costs(self, metric: Metric) -> dict[Workload, list[float]]:
        """USD per step. Normally each tenant spends at 30 % of the lowest limit per day. A spend incident adds
        the overspender's burst at its start (1.5 times the highest limit) and, for a tenant whose budget lies
        above the default, a spend between the default's limit and its own lowest (it must stay silent). A
        pace incident makes its subject spend at 4 times the highest limit per day while it lasts."""
        if metric.name in self._cost:
            return self._cost[metric.name]
        spends, paces = self.effects(metric, SPEND), self.effects(metric, PACE)
        floor = min(w.floor for w in spends + paces)
        out: dict[Workload, list[float]] = {}
        for tenant in self.topo.tenants:
            budget = self.topo.budgets[tenant]
            per_step = [0.3 * budget * floor / 86400 * self.step] * self.n
            for w in spends:
                burst = [self.options.incidents and w.start <= o < w.start + sc.SPEND_BURST for o in self.offsets]
                steps = max(1, sum(burst))
                if tenant == self.topo.overspender:
                    extra = 1.5 * budget * w.limit
                elif tenant == self.topo.rich_tenant:
                    default = self.config.budgets.daily_usd_default * w.limit
                    extra = max(0.0, math.sqrt(default * budget * w.floor) - sum(per_step))
                else:
                    extra = 0.0
                per_step = [v + (extra / steps if b else 0.0) for v, b in zip(per_step, burst)]
            for w in paces:
                if dict(w.subject).get("tenant_id") == tenant:
                    fast = 4 * budget * w.limit / 86400 * self.step
                    per_step = [fast if self.on(w, i) else v for i, v in enumerate(per_step)]
            mine = [x for x in self.topo.workloads if x.tenant == tenant]
            total_rate = sum(x.rate for x in mine)
            for x in mine:
                out[x] = [x.rate / total_rate * v for v in per_step]
        self._cost[metric.name] = out
        return out

    # --- gauges ------------------------------------------------------------------------------------------
    def gauge(self, metric: Metric, labels: Labels, parts: list[Part]) -> list[float]:
        """Things in flight: arrivals per second times the seconds each request holds one (Little's law)."""
        noise = self.noise(f"{metric.name}|{sorted(labels.items())}", 0.05)
        if metric.typical is not None:  # a level of its own (e.g. a target's `up`), not things in flight
            values = [metric.typical] * self.n
        else:
            arrivals = [sum(self._req[w][i] * weight for w, weight, _ in parts) / self.step for i in range(self.n)]
            values = [max(0.0, a * metric.per_request * (1 + e)) for a, e in zip(arrivals, noise)]
        full = {**self.base_labels(parts[0][0]), **labels}
        levels = self.levels(metric, full, values)
        if metric.unit == "percentunit":  # a share (KV-cache use): not a count of things
            return [round(v, 4) for v in levels]
        return [round(v) for v in levels]

    def levels(self, metric: Metric, full: Labels, values: list[float]) -> list[float]:
        """Gauge values kept short of every level alert's limit, and past it for the subject in its incident."""
        windows = self.effects(metric, LEVEL)
        ceiling = 100.0 if metric.unit == "percent" else 1.0 if metric.unit == "percentunit" else None
        out = []
        for i, v in enumerate(values):
            for w in windows:
                v = short_of(w.op, w.floor, v)
            hit = next((w for w in windows if self.on(w, i) and w.hits(full)), None)
            stated = hit.incident.breach if hit and hit.incident else None  # e.g. `up` drops to 0
            out.append((stated if stated is not None else past(hit.op, hit.limit, ceiling)) if hit else v)
        return out

    # --- GPUs --------------------------------------------------------------------------------------------
    def gpu_series(self, metric: Metric) -> Iterator[tuple[Labels, list[float]]]:
        events = self.effects(metric, EVENT)
        for gpu in self.topo.gpus:
            labels = {k: v for k, v in gpu.labels().items() if k in metric.labels or k in ("job", "instance")}
            full = {**labels, "host": gpu.host}
            if events:
                yield from self.event_series(metric, events, labels, full)
                continue
            yield labels, self.gpu_values(metric, gpu, full)

    def event_series(
        self, metric: Metric, events: list[Window], labels: Labels, full: Labels
    ) -> Iterator[tuple[Labels, list[float]]]:
        """The quiet series (code 0) of every GPU, and for an incident's subject the series of its code."""
        signal = events[0].incident.signal if events[0].incident else None
        assert isinstance(signal, Event)
        detail = {EVENT_DETAIL_LABEL: "No Error"} if EVENT_DETAIL_LABEL in metric.labels else {}
        yield {**labels, signal.label: "0", **detail}, [0.0] * self.n
        for w in events:
            if not w.hits(full) or w.incident is None:
                continue
            code = w.incident.breach if w.incident.breach is not None else 1.0
            text = number(code)
            detail = {EVENT_DETAIL_LABEL: XID_MESSAGES.get(text, "")} if EVENT_DETAIL_LABEL in metric.labels else {}
            values = [code if self.on(w, i) else math.nan for i in range(self.n)]
            yield {**labels, signal.label: text, **detail}, values

    def gpu_values(self, metric: Metric, gpu: Gpu, full: Labels) -> list[float]:
        noise = self.noise(f"{metric.name}|{gpu.key}", 1.0)
        typical = metric.typical if metric.typical is not None else LEVEL_BY_UNIT.get(metric.unit, 1.0)
        if metric.type == COUNTER:
            acc, out = 0.0, []
            for _ in range(self.n):
                acc += typical * self.step
                out.append(float(math.floor(acc)))
            return out
        if fills := self.effects(metric, FILL):
            return self.fill(metric, fills[0], gpu, full)
        values = [typical * (1 + 0.05 * e) for e in noise]
        decimals = 4 if abs(typical) < 10 else 0
        return [round(v, decimals) for v in self.levels(metric, full, values)]

    def fill(self, metric: Metric, window: Window, gpu: Gpu, full: Labels) -> list[float]:
        """A used/free pair of one resource: used at 70 % of the limit (with noise), past it in the incident."""
        signal = window.incident.signal if window.incident else None
        assert isinstance(signal, Fill)
        fills = self.shaping[metric.name]
        noise = self.noise(f"fill|{signal.used}|{gpu.key}", 0.02)
        used = []
        for i, e in enumerate(noise):
            hit = next((w for w in fills if self.on(w, i) and w.hits(full)), None)
            fraction = (1 + hit.limit) / 2 if hit else min(w.floor for w in fills) * 0.7 + e
            used.append(round(signal.capacity * fraction))
        return [float(u) if metric.name == signal.used else signal.capacity - u for u in used]


def hash_str(text: str) -> int:
    """A stable (unsalted) small hash."""
    return sum((i + 1) * ord(c) for i, c in enumerate(text))


def _le(bound: float) -> str:
    """`le` as prometheus_client writes it: always a float (1.0, not 1)."""
    return repr(float(bound))


# --- OpenMetrics text ----------------------------------------------------------------------------------------


class _Writer:
    def __init__(self, options: SimOptions, start: int, duration: int):
        self.options = options
        self.timestamps = [str(start + i * options.step) for i in range(duration // options.step)]
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
        renamed.update(o.extra_labels)
        head = name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in renamed.items()) + "} "
        self.series_count += 1
        for ts, v in zip(self.timestamps, values):
            if v != v:  # NaN: no sample (the series is absent then)
                continue
            self.lines.append(f"{head}{_number(v)} {ts}")
            self.samples += 1

    def extend(self, lines: list[str]) -> None:
        """Lines of whole families written elsewhere (the OpenTelemetry emitter)."""
        self.lines.extend(lines)
        self.series_count += len({line.rsplit("} ", 1)[0] for line in lines if not line.startswith("#")})
        self.samples += sum(1 for line in lines if not line.startswith("#"))

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
