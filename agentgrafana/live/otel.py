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

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

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
from .replay import Scrapes, absent, delta, observations, whole

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
            from prometheus_client import CollectorRegistry
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
        scrapes = Scrapes(self.target)
        token_series = self._token_series()
        for i, ts in enumerate(self.timestamps):
            present = self._record_step(i, instruments, token_series)
            # The exporter's collector yields what its exposition prints (a last check below compares the two).
            scrapes.take(registry, ts, functools.partial(_instrument_present, present=present))
        scrapes.check_exposition(registry)
        provider.shutdown()
        return scrapes.lines()

    def _record_step(self, i: int, instruments: dict, tokens: list[_Series]) -> set[str]:
        """Record interval `i`'s observations; returns the instruments that have data at scrape `i`."""
        present: set[str] = set()
        pending: dict[int, list[float]] = {}
        attrs: dict[int, dict[str, str]] = {}
        observed = {s.recording.concept for s in self.series if s.recording.role == OBSERVE}
        live: set[str] = set()
        for n, s in enumerate(self.series):
            if s.recording.role != OBSERVE or absent(s.values, i):
                continue
            present.add(s.recording.instrument)
            live.add(s.recording.concept)
            pending[n] = self._observations(s, i)
            attrs[n] = self._attributes(s.recording, s.labels)
        for s in self.series:
            if s.recording.role != FAIL or absent(s.values, i):
                continue
            if s.recording.parent in observed and s.recording.parent not in live:
                continue  # the instrumented calls stopped: their failures are not recorded either
            present.add(s.recording.instrument)
            k = whole(s.carry, "", delta(_counter(s), i))
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
            if absent(s.values, i):
                continue
            present.add(s.recording.instrument)
            amount = delta(_counter(s), i)
            if amount > 0:
                instruments[s.recording.instrument].record(amount, self._attributes(s.recording, s.labels))
        return present

    def _observations(self, s: _Series, i: int) -> list[float]:
        """The interval's observations of a histogram series, spread in log space inside each bucket."""
        assert isinstance(s.values, dict)
        return observations(s.values, i, s.carry)

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


def _first_series(dialect: Dialect, concept: str) -> str:
    metric = dialect.concepts.metric(concept)
    return metric.name + "_count" if metric.type == HISTOGRAM else metric.name


def _counter(s: _Series) -> list[float]:
    assert isinstance(s.values, list), s.recording.concept
    return s.values


def _instrument_present(family: str, *, present: set[str]) -> bool:
    """Whether the exposition family `family` belongs to an instrument with data at this scrape."""
    return any(family.startswith(name.replace(".", "_")) for name in present)
