"""Simulated traffic as an OpenTelemetry GenAI instrumentation emits it: the real SDK and Prometheus exporter.

The simulator computes each concept's series (cumulative counts per scrape). For a build whose concepts come
from `otel-genai`, this emitter replays them through `opentelemetry-sdk`: every scrape interval it records the
interval's observations on the semantic-convention instruments (`sources/semconv.py`: instrument names, units,
attributes, bucket advice), renders the exporter's Prometheus exposition, and keeps its samples with that
scrape's timestamp. Names, labels, suffixes and bucket bounds are the exporter's, never ours.

- A histogram concept's observations in a bucket (lo, hi] are spread evenly in log space inside it.
- Failures (errors, timeouts, rate limits) are observations of the parent's instrument with `error.type`, taken
  out of the parent's own observations of that interval: requests = successes + failures, as in real data.
- Where cost is tokens x pricing, the token usage is derived from the simulated spend at the configured price
  (so budgets see the spend the incidents describe); models priced at 0 or not at all keep their token traffic.
- A concept absent from the data (an absence incident) records nothing, and its instrument's series are
  dropped for that scrape, as when the instrumented service is down.

Needs the `otel` extra (`pip install -e '.[otel]'`; the test extra includes it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import HISTOGRAM, Metric
from ..config import Config
from ..sources import Dialect
from ..sources.semconv import (
    AMOUNT,
    FAIL,
    INSTRUMENTATION,
    INSTRUMENTS,
    OBSERVE,
    SPEND_CONCEPT,
    TENANT_ATTRIBUTE,
    Recording,
)

INPUT_COST_SHARE = 0.5  # of a priced model's spend, the part paid for input tokens
COST = SPEND_CONCEPT


class MissingOtel(RuntimeError):
    """The OpenTelemetry SDK is not installed."""


@dataclass
class _Series:
    recording: Recording
    labels: dict[str, str]
    values: list[float] | dict[str, list[float]]
    carry: dict[str, float] = field(default_factory=dict)


class OtelEmitter:
    """Collects concept series (`add`), then replays them through the SDK into OpenMetrics lines (`lines`)."""

    def __init__(self, dialect: Dialect, config: Config, timestamps: list[str], target: Mapping[str, str]):
        self.config = config
        self.timestamps = timestamps
        self.target = dict(target)  # job and instance, as a scrape of the instrumented service adds them
        self.tenant_attribute = config.metrics.tenant_label
        self.recordings: dict[str, Recording] = {}
        for source in dialect.sources:
            for rec in INSTRUMENTATION.get(source.name, ()):
                resolved = dialect.resolve(_first_series(dialect, rec.concept))
                if resolved is not None and resolved.source.name == source.name:
                    self.recordings[rec.concept] = rec
        cost = dialect.resolve(COST)
        self.priced = cost is not None and cost.priced
        self.series: list[_Series] = []
        self.costs: list[tuple[dict[str, str], list[float]]] = []

    def handles(self, concept: str) -> bool:
        return concept in self.recordings or (self.priced and concept == COST)

    def add(self, metric: Metric, labels: Mapping[str, str], values: list[float] | dict[str, list[float]]) -> None:
        if metric.name == COST:
            assert isinstance(values, list)
            self.costs.append((dict(labels), values))
            return
        self.series.append(_Series(self.recordings[metric.name], dict(labels), values))

    # --- replay ------------------------------------------------------------------------------------------
    def lines(self) -> list[str]:
        try:
            from opentelemetry.exporter.prometheus import PrometheusMetricReader
            from opentelemetry.sdk.metrics import MeterProvider
            from prometheus_client import CollectorRegistry, generate_latest
            from prometheus_client.parser import text_string_to_metric_families
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise MissingOtel(
                f"the otel-genai live check needs the OpenTelemetry SDK ({exc.name}): pip install -e '.[otel]'"
            ) from None
        registry = CollectorRegistry()
        reader = PrometheusMetricReader(registry=registry, disable_target_info=True)
        provider = MeterProvider(metric_readers=[reader])
        meter = provider.get_meter("agentgrafana.simulator")  # one scope: the exporter merges scopes badly
        instruments = {
            i.name: meter.create_histogram(
                i.name, unit=i.unit, description=i.description, explicit_bucket_boundaries_advisory=list(i.buckets)
            )
            for i in INSTRUMENTS
        }
        families: dict[str, tuple[str, str]] = {}  # family -> (type, help)
        out: dict[str, dict[tuple[tuple[str, str], ...], list[str]]] = {}
        token_series = self._token_series()
        keys: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[tuple[str, str], ...]] = {}
        for i, ts in enumerate(self.timestamps):
            present = self._record_step(i, instruments, token_series)
            # The exporter's collector yields what its exposition prints (a last check below compares the two).
            for family in registry.collect():
                if not _instrument_present(family.name, present):
                    continue
                families.setdefault(family.name, (family.type, family.documentation))
                series = out.setdefault(family.name, {})
                for sample in family.samples:
                    raw = (sample.name, tuple(sample.labels.items()))
                    key = keys.get(raw)
                    if key is None:
                        labels = {k: v for k, v in sample.labels.items() if v != ""}
                        labels.update(self.target)
                        key = keys[raw] = (("__name__", sample.name), *sorted(labels.items()))
                    series.setdefault(key, []).append(f"{_number(sample.value)} {ts}")
        _same_as_exposition(generate_latest(registry).decode(), text_string_to_metric_families, keys)
        provider.shutdown()
        lines = []
        for name in sorted(out):
            kind, doc = families[name]
            lines.append(f"# HELP {name} {doc}")
            lines.append(f"# TYPE {name} {kind}")
            for key in sorted(out[name]):
                (_, sample_name), *pairs = key
                head = sample_name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "} "
                lines.extend(head + point for point in out[name][key])
        return lines

    def _record_step(self, i: int, instruments: dict, tokens: list[_Series]) -> set[str]:
        """Record interval `i`'s observations; returns the instruments that have data at scrape `i`."""
        present: set[str] = set()
        pending: dict[int, list[float]] = {}
        attrs: dict[int, dict[str, str]] = {}
        observed = {s.recording.concept for s in self.series if s.recording.role == OBSERVE}
        live: set[str] = set()
        for n, s in enumerate(self.series):
            if s.recording.role != OBSERVE or _absent(s.values, i):
                continue
            present.add(s.recording.instrument)
            live.add(s.recording.concept)
            pending[n] = self._observations(s, i)
            attrs[n] = self._attributes(s.recording, s.labels)
        for s in self.series:
            if s.recording.role != FAIL or _absent(s.values, i):
                continue
            if s.recording.parent in observed and s.recording.parent not in live:
                continue  # the instrumented calls stopped: their failures are not recorded either
            present.add(s.recording.instrument)
            k = _whole(s, "", _delta(_counter(s), i))
            if not k:
                continue
            parent = self._parent(s, pending, attrs)
            base = dict(attrs[parent]) if parent is not None else self._attributes(s.recording, s.labels)
            base.update(self._attributes(s.recording, s.labels))
            base["error.type"] = s.recording.error_type or s.labels.get("error_type", "error")
            values = pending[parent] if parent is not None else []
            for _ in range(k):
                instruments[s.recording.instrument].record(values.pop() if values else 1.0, base)
        for n, values in pending.items():
            rec = self.series[n].recording
            for v in values:
                instruments[rec.instrument].record(v, attrs[n])
        for s in tokens:
            if _absent(s.values, i):
                continue
            present.add(s.recording.instrument)
            amount = _delta(_counter(s), i)
            if amount > 0:
                instruments[s.recording.instrument].record(amount, self._attributes(s.recording, s.labels))
        return present

    def _observations(self, s: _Series, i: int) -> list[float]:
        """The interval's observations of a histogram series, spread in log space inside each bucket."""
        assert isinstance(s.values, dict)
        bounds = sorted(((float(k), k) for k in s.values if not k.startswith("_")), key=lambda b: b[0])
        out: list[float] = []
        below_cum, lo = 0.0, 0.0
        for bound, key in bounds:
            cum = _delta(s.values[key], i)
            count = _whole(s, key, max(cum - below_cum, 0.0))
            below_cum = cum
            hi = bound if math.isfinite(bound) else (lo * 2 if lo else 1.0)
            low = lo if lo > 0 else hi / 4
            for j in range(count):
                out.append(low * (hi / low) ** ((j + 0.5) / count))
            lo = hi
        return sorted(out)

    def _parent(self, s: _Series, pending: dict[int, list[float]], attrs: dict[int, dict[str, str]]) -> int | None:
        """The parent series (same shared labels) whose observations these failures are, fullest first."""
        best = None
        for n, parent in enumerate(self.series):
            if n not in pending or parent.recording.concept != s.recording.parent:
                continue
            shared = set(parent.labels) & set(s.labels)
            if all(parent.labels[k] == s.labels[k] for k in shared):
                if best is None or len(pending[n]) > len(pending[best]):
                    best = n
        return best

    def _attributes(self, rec: Recording, labels: Mapping[str, str]) -> dict[str, str]:
        out = dict(rec.fixed)
        for label, attribute in rec.attributes.items():
            if label in labels:
                out[self.tenant_attribute if attribute == TENANT_ATTRIBUTE else attribute] = labels[label]
        return out

    def _token_series(self) -> list[_Series]:
        """Token usage to replay: the simulated tokens, or where cost is priced, the tokens the spend buys."""
        tokens = [s for s in self.series if s.recording.role == AMOUNT]
        self.series = [s for s in self.series if s.recording.role != AMOUNT]
        if not self.priced or not tokens:
            return tokens
        rec = tokens[0].recording
        prices = {m: p for m, p in self.config.pricing.items() if p.input > 0 and p.output > 0}
        kept = [s for s in tokens if s.labels.get("model") not in prices]
        for labels, dollars in self.costs:
            price = prices.get(labels.get("model", ""))
            if price is None:
                continue
            for token_type, share, per_thousand in (
                ("input", INPUT_COST_SHARE, price.input),
                ("output", 1 - INPUT_COST_SHARE, price.output),
            ):
                factor = share * 1000 / per_thousand
                kept.append(_Series(rec, {**labels, "token_type": token_type}, [v * factor for v in dollars]))
        return kept


def _same_as_exposition(text: str, parse, keys: dict) -> None:  # noqa: ANN001 - prometheus_client's parser
    """The samples read from the collector are the ones the exporter's text exposition prints."""

    def key(name: str, labels: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
        return name, tuple(sorted((k, v) for k, v in labels if v != ""))  # an empty label is no label

    printed = {key(s.name, s.labels.items()) for f in parse(text) for s in f.samples}
    collected = {key(name, labels) for name, labels in keys}
    if not collected <= printed:
        missing = sorted(collected - printed)[0]
        raise RuntimeError(f"the exporter's exposition lacks a collected sample: {missing}")


def _first_series(dialect: Dialect, concept: str) -> str:
    metric = dialect.concepts.metric(concept)
    return metric.name + "_count" if metric.type == HISTOGRAM else metric.name


def _counter(s: _Series) -> list[float]:
    assert isinstance(s.values, list), s.recording.concept
    return s.values


def _absent(values: list[float] | dict[str, list[float]], i: int) -> bool:
    first = values if isinstance(values, list) else next(iter(values.values()))
    return first[i] != first[i]


def _delta(values: list[float], i: int) -> float:
    """The increase of a cumulative series into scrape `i` (from 0 before the first; NaN gaps count as 0)."""
    now = values[i]
    if not i:
        before = 0.0
    elif values[i - 1] == values[i - 1]:
        before = values[i - 1]
    else:
        before = next((v for v in reversed(values[:i]) if v == v), 0.0)
    return max(now - before, 0.0) if now == now else 0.0


def _whole(s: _Series, key: str, amount: float) -> int:
    """`amount` plus what earlier intervals left over, as a whole number of events (the rest carried on)."""
    total = s.carry.get(key, 0.0) + amount
    whole = int(total)
    s.carry[key] = total - whole
    return whole


def _instrument_present(family: str, present: set[str]) -> bool:
    """Whether the exposition family `family` belongs to an instrument with data at this scrape."""
    return any(family.startswith(name.replace(".", "_")) for name in present)


def _number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
