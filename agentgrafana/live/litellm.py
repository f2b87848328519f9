"""Simulated traffic as the LiteLLM proxy exposes it: prometheus_client metrics registered as LiteLLM does.

LiteLLM's `PrometheusLogger` creates prometheus_client counters, histograms and gauges with the names and label
lists of `sources/litellm.py` (taken from its source). For a build on the `litellm` source, this emitter
registers the same metrics in a fresh registry and replays the simulated concepts onto them the way the proxy
records a request (`RECORDINGS`), collecting the registry at every scrape:

- a successful agent request is one latency observation and one `litellm_proxy_total_requests_metric`
  increment (status 200); a failed one (error, timeout) increments the failed-requests counter and the total
  (status 500 / 408), and is taken out of the interval's latency observations: LiteLLM observes latency on
  success only;
- a model call is one `litellm_llm_api_latency_metric` observation and one deployment request; a rate-limited
  call is a deployment failure with `exception_status="429"`;
- tokens go to the input or output counter by token type; spend to `litellm_spend_metric`;
- the gateway-only series (deployment failures of other kinds, cooldowns, fallbacks, deployment state,
  budgets) are replayed as simulated, under their own names.

So the `_total` suffixes, histogram series and bucket bounds in the data are prometheus_client's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import COUNTER, GAUGE, HISTOGRAM, LITELLM, Metric
from ..sources import Dialect
from ..sources.litellm import (
    AMOUNT,
    BY_CONCEPT,
    FAIL,
    GATEWAY,
    GATEWAY_NAMES,
    LITELLM_FAMILIES,
    OBSERVE,
    REQUEST_LABELS,
    Recording,
)
from .replay import Scrapes, absent, delta, observations, whole


def registered_name(metric: Metric) -> str:
    """The name LiteLLM passes to prometheus_client (which adds `_total` to a counter's samples)."""
    return metric.name.removesuffix("_total") if metric.type == COUNTER else metric.name


@dataclass
class _Series:
    metric: Metric  # the concept
    labels: dict[str, str]
    values: list[float] | dict[str, list[float]]
    carry: dict[str, float] = field(default_factory=dict)


class LitellmEmitter:
    """Collects concept series (`add`), then replays them through prometheus_client (`lines`)."""

    def __init__(self, dialect: Dialect, timestamps: list[str], target: Mapping[str, str]):
        self.timestamps = timestamps
        self.target = dict(target)
        self.series: list[_Series] = []
        self.labelnames: dict[str, list[str]] = {}
        # the concepts this build reads from litellm (another configured source may come first for some)
        self.concepts = {
            m.name
            for m in dialect.concepts
            if (m.name in BY_CONCEPT or m.name in GATEWAY_NAMES)
            and (r := dialect.resolve(m.name + "_count" if m.type == HISTOGRAM else m.name)) is not None
            and r.source.name == LITELLM
        }

    def handles(self, concept: str) -> bool:
        return concept in self.concepts

    def add(self, metric: Metric, labels: Mapping[str, str], values: list[float] | dict[str, list[float]]) -> None:
        self.series.append(_Series(metric, dict(labels), values))

    def lines(self) -> list[str]:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        registry = CollectorRegistry()
        kinds: dict[str, Any] = {COUNTER: Counter, GAUGE: Gauge, HISTOGRAM: Histogram}
        metrics: dict[str, Any] = {}
        for m in (*LITELLM_FAMILIES, *GATEWAY):
            extra = {"buckets": m.buckets} if m.type == HISTOGRAM else {}
            name = registered_name(m)
            metrics[name] = kinds[m.type](name, m.help, list(m.labels), registry=registry, **extra)
        self.labelnames = {m: list(metric._labelnames) for m, metric in metrics.items()}
        scrapes = Scrapes(self.target, keep=lambda sample: not sample.endswith("_created"))
        for i, ts in enumerate(self.timestamps):
            self._record_step(i, metrics)
            # a concept gone from the data (an absence incident): its families are not scraped, as when the
            # proxy stopped exposing them
            present = self._present(i)
            scrapes.take(registry, ts, present.__contains__)
        scrapes.check_exposition(registry)
        return scrapes.lines()

    # --- one scrape interval ---------------------------------------------------------------------------------
    def _labels(
        self, metric: str, mapping: Mapping[str, str], labels: Mapping[str, str], fixed: Mapping[str, str]
    ) -> dict[str, str]:
        """Every label LiteLLM registers on `metric`: mapped from the concept's, fixed, or empty."""
        values = {target: labels[concept] for concept, target in mapping.items() if concept in labels}
        values.update(fixed)
        return {name: values.get(name, "") for name in self.labelnames[metric]}

    def _count(self, metrics: dict, rec: Recording, labels: Mapping[str, str], n: int) -> None:
        if rec.counted_in and n:
            status = {k: v for k, v in rec.fixed.items() if k == "status_code"}
            metrics[rec.counted_in].labels(**self._labels(rec.counted_in, rec.counted_labels, labels, status)).inc(n)

    def _record_step(self, i: int, metrics: dict) -> None:
        pending: dict[int, list[float]] = {}
        for n, s in enumerate(self.series):
            rec = BY_CONCEPT.get(s.metric.name)
            if rec is not None and rec.role == OBSERVE and not absent(s.values, i):
                assert isinstance(s.values, dict)
                pending[n] = observations(s.values, i, s.carry)
        for s in self.series:
            rec = BY_CONCEPT.get(s.metric.name)
            if rec is None or rec.role != FAIL or self._silent(s, i):
                continue
            assert isinstance(s.values, list)
            k = whole(s.carry, "", delta(s.values, i))
            if not k:
                continue
            fixed = {key: value for key, value in rec.fixed.items() if key != "status_code"}
            parent = self._parent(s, rec, pending)
            # a failed request keeps what the request had (its model, which the error concept does not carry)
            labels = {**self.series[parent].labels, **s.labels} if parent is not None else s.labels
            metrics[rec.metric].labels(**self._labels(rec.metric, {**REQUEST_LABELS, **rec.labels}, labels, fixed)).inc(
                k
            )
            self._count(metrics, rec, labels, k)
            if parent is not None:  # failures are not observed: LiteLLM records latency on success only
                del pending[parent][: min(k, len(pending[parent]))]
        for n, values in pending.items():
            s = self.series[n]
            rec = BY_CONCEPT[s.metric.name]
            hist = metrics[rec.metric].labels(**self._labels(rec.metric, rec.labels, s.labels, {}))
            for v in values:
                hist.observe(v)
            self._count(metrics, rec, s.labels, len(values))
        for s in self.series:
            if absent(s.values, i):
                continue
            rec = BY_CONCEPT.get(s.metric.name)
            if rec is not None and rec.role == AMOUNT:
                assert isinstance(s.values, list)
                name = rec.by.get(s.labels.get("token_type", ""), rec.metric) if rec.by else rec.metric
                amount = delta(s.values, i)
                if amount > 0:
                    metrics[name].labels(**self._labels(name, rec.labels, s.labels, {})).inc(amount)
            elif rec is None:  # a gateway-only series, under its own name and labels
                self._gateway(s, i, metrics)

    def _silent(self, s: _Series, i: int) -> bool:
        """Whether `s` records nothing at scrape `i`: its concept is gone from the data, or (failures) the calls
        they are failures of are (no calls, no failed calls)."""
        if absent(s.values, i):
            return True
        rec = BY_CONCEPT.get(s.metric.name)
        if rec is None or rec.role != FAIL:
            return False
        parents = [p for p in self.series if p.metric.name == rec.parent]
        return bool(parents) and all(absent(p.values, i) for p in parents)

    def _present(self, i: int) -> set[str]:
        """The metrics (registered names) some series with data at scrape `i` records into."""
        out: set[str] = set()
        for s in self.series:
            if self._silent(s, i):
                continue
            rec = BY_CONCEPT.get(s.metric.name)
            if rec is None:
                out.add(registered_name(s.metric))
            else:
                out.update(n for n in (rec.metric, rec.counted_in, *rec.by.values()) if n)
        return out

    def _gateway(self, s: _Series, i: int, metrics: dict) -> None:
        name = registered_name(s.metric)
        child = metrics[name].labels(**{k: s.labels.get(k, "") for k in self.labelnames[name]})
        assert isinstance(s.values, list)
        if s.metric.type == GAUGE:
            child.set(s.values[i])
        else:
            amount = delta(s.values, i)
            if amount > 0:
                child.inc(amount)

    def _parent(self, s: _Series, rec: Recording, pending: dict[int, list[float]]) -> int | None:
        """The parent series (same shared labels) whose observations these failures are, fullest first."""
        best = None
        for n, parent in enumerate(self.series):
            if n not in pending or parent.metric.name != rec.parent:
                continue
            shared = set(parent.labels) & set(s.labels) - {"job", "instance"}
            if all(parent.labels[k] == s.labels[k] for k in shared):
                if best is None or len(pending[n]) > len(pending[best]):
                    best = n
        return best
