"""Replaying simulated series through a real client library: interval increases, whole events, scrapes.

The simulator computes each concept's cumulative values per scrape. An emitter (`otel.py`: the OpenTelemetry
SDK; `litellm.py`: prometheus_client as LiteLLM uses it) turns each interval's increase into events on the
library's instruments, collects the library's registry at every scrape, and keeps the samples with that
scrape's timestamp, so the names, suffixes and labels in the data are the library's, never ours.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Values = list[float] | dict[str, list[float]]
SampleKey = tuple[tuple[str, str], ...]


def absent(values: Values, i: int) -> bool:
    """Whether a series has no sample at scrape `i` (NaN: the incident removed it)."""
    first = values if isinstance(values, list) else next(iter(values.values()))
    return first[i] != first[i]


def delta(values: list[float], i: int) -> float:
    """The increase of a cumulative series into scrape `i` (from 0 before the first; NaN gaps count as 0)."""
    now = values[i]
    if not i:
        before = 0.0
    elif values[i - 1] == values[i - 1]:
        before = values[i - 1]
    else:
        before = next((v for v in reversed(values[:i]) if v == v), 0.0)
    return max(now - before, 0.0) if now == now else 0.0


def whole(carry: dict[str, float], key: str, amount: float) -> int:
    """`amount` plus what earlier intervals left over, as a whole number of events (the rest carried on)."""
    total = carry.get(key, 0.0) + amount
    count = int(total)
    carry[key] = total - count
    return count


def observations(values: dict[str, list[float]], i: int, carry: dict[str, float]) -> list[float]:
    """A histogram series' observations in interval `i`, spread in log space inside each bucket (sorted)."""
    bounds = sorted(((float(k), k) for k in values if not k.startswith("_")), key=lambda b: b[0])
    out: list[float] = []
    below_cum, lo = 0.0, 0.0
    for bound, key in bounds:
        cum = delta(values[key], i)
        count = whole(carry, key, max(cum - below_cum, 0.0))
        below_cum = cum
        hi = bound if math.isfinite(bound) else (lo * 2 if lo else 1.0)
        low = lo if lo > 0 else hi / 4
        for j in range(count):
            out.append(low * (hi / low) ** ((j + 0.5) / count))
        lo = hi
    return sorted(out)


class Scrapes:
    """A prometheus_client registry read at every scrape, kept as OpenMetrics lines with timestamps."""

    def __init__(self, target: dict[str, str], keep: Callable[[str], bool] = lambda name: True):
        self.target = target  # job and instance, as the scrape adds them
        self.keep = keep  # sample names to keep (a client's `_created` series are dropped)
        self.families: dict[str, tuple[str, str]] = {}
        self.samples: dict[str, dict[SampleKey, list[str]]] = {}
        self.keys: dict[tuple[str, SampleKey], SampleKey] = {}

    def take(self, registry: Any, timestamp: str, present: Callable[[str], bool] = lambda family: True) -> None:
        """Collect `registry` now (families for which `present` holds), as scraped at `timestamp`."""
        for family in registry.collect():
            if not present(family.name):
                continue
            self.families.setdefault(family.name, (family.type, family.documentation))
            series = self.samples.setdefault(family.name, {})
            for sample in family.samples:
                if not self.keep(sample.name):
                    continue
                raw = (sample.name, tuple(sample.labels.items()))
                key = self.keys.get(raw)
                if key is None:
                    labels = {k: v for k, v in sample.labels.items() if v != ""}  # an empty label is no label
                    labels.update(self.target)
                    key = self.keys[raw] = (("__name__", sample.name), *sorted(labels.items()))
                series.setdefault(key, []).append(f"{number(sample.value)} {timestamp}")

    def check_exposition(self, registry: Any) -> None:
        """The samples read from the collector are the ones the library's text exposition prints."""
        from prometheus_client import generate_latest
        from prometheus_client.parser import text_string_to_metric_families

        def key(name: str, labels: Any) -> tuple[str, SampleKey]:
            return name, tuple(sorted((k, v) for k, v in labels if v != ""))

        text = generate_latest(registry).decode()
        printed = {key(s.name, s.labels.items()) for f in text_string_to_metric_families(text) for s in f.samples}
        collected = {key(name, labels) for name, labels in self.keys}
        if not collected <= printed:
            missing = sorted(collected - printed)[0]
            raise RuntimeError(f"the library's exposition lacks a collected sample: {missing}")

    def lines(self) -> list[str]:
        out = []
        for name in sorted(self.samples):
            kind, doc = self.families[name]
            out.append(f"# HELP {name} {doc}")
            out.append(f"# TYPE {name} {kind}")
            for key in sorted(self.samples[name]):
                (_, sample_name), *pairs = key
                head = sample_name + "{" + ",".join(f'{k}="{escape(v)}"' for k, v in pairs) + "} "
                out.extend(head + point for point in self.samples[name][key])
        return out


def number(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
