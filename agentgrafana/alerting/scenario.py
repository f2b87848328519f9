"""Alert scenarios: how to drive an alert's expression to a chosen value, so promtool tests can be generated.

A `Scenario` belongs to one alert. `drive(value, minutes)` returns input series (one sample a minute for
`minutes` minutes) whose alert expression settles at `value` for the sample labelled `labels` once
`settle_minutes` have passed. The test generator picks the values from the alert's threshold, so a
threshold changed in configuration changes the tests with it. The helpers below write series for the
common shapes: counters at a steady rate, gauges, and histograms with a given quantile.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Labels = tuple[tuple[str, str], ...]

# dcgm-exporter reports an unsupported field as this value
DCGM_UNSUPPORTED = 9223372036854775794.0


@dataclass(frozen=True)
class InputSeries:
    """One promtool input series: `metric{label="value"}` and its values in expanding notation."""

    series: str
    values: str


@dataclass(frozen=True)
class Case:
    """A promtool test: input series, one evaluation minute, and the alerts expected then (labels, value)."""

    name: str
    series: tuple[InputSeries, ...]
    at_minute: int
    fires: tuple[tuple[Labels, float], ...] = ()


@dataclass(frozen=True)
class Scenario:
    """Input that drives one alert's expression; see the module docstring."""

    labels: Labels
    drive: Callable[[float, int], list[InputSeries]]
    settle_minutes: int = 5
    idle: Callable[[int], list[InputSeries]] | None = None  # no traffic; None: no series at all
    breach: float | None = None  # value that must fire (default: just past the threshold)
    safe: float | None = None  # value that must stay silent (default: just short of the threshold)
    extra: tuple[Case, ...] = ()  # further cases (e.g. per-tenant budgets, exporter sentinels)
    # how the limit reads in test names when the query applies the configured limit itself and op/threshold
    # only gate its result (None: "<op> <threshold>")
    limit: str | None = None


def labels(**values: str) -> Labels:
    return tuple(sorted(values.items()))


def number(value: float) -> str:
    """A float as promtool reads it, without losing precision."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def selector(metric: str, labelset: Mapping[str, str]) -> str:
    inner = ", ".join(f"{k}={json.dumps(str(v))}" for k, v in sorted(labelset.items()))
    return f"{metric}{{{inner}}}" if inner else metric


def counter(metric: str, labelset: Mapping[str, str], per_minute: float, minutes: int) -> InputSeries:
    """A counter starting at 0 and growing by `per_minute` every minute."""
    return InputSeries(selector(metric, labelset), f"0+{number(per_minute)}x{minutes}")


def gauge(metric: str, labelset: Mapping[str, str], value: float, minutes: int) -> InputSeries:
    """A gauge holding `value`."""
    return InputSeries(selector(metric, labelset), f"{number(value)}x{minutes}")


def ratio(
    numerator: str,
    num_labels: Mapping[str, str],
    denominator: str,
    den_labels: Mapping[str, str],
    value: float,
    minutes: int,
    per_minute: float = 600,
) -> list[InputSeries]:
    """Two counters whose rates have the ratio `value`."""
    return [
        counter(denominator, den_labels, per_minute, minutes),
        counter(numerator, num_labels, per_minute * value, minutes),
    ]


def histogram(
    metric: str,
    labelset: Mapping[str, str],
    buckets: tuple[float, ...],
    q: float,
    value: float,
    minutes: int,
    per_minute: float = 600,
) -> list[InputSeries]:
    """`_bucket` and `_count` counters whose rates give `histogram_quantile(q, ...) == value`.

    With `b` observations in the bucket (lo, hi] holding `value`, Prometheus interpolates
    `lo + (hi - lo) * (q*N - below) / b`. Observations go below `lo` when the target fraction
    f = (value - lo) / (hi - lo) is at most q, otherwise into the next bucket.
    """
    bounds = sorted(buckets)
    if not 0 < value <= bounds[-1]:
        raise ValueError(f"{metric}: quantile {value:g} is outside the buckets (0, {bounds[-1]:g}]")
    i = next(i for i, hi in enumerate(bounds) if value <= hi)
    lo, hi = (bounds[i - 1] if i else 0.0), bounds[i]
    f = (value - lo) / (hi - lo)
    inside = 1.0
    below = inside * (q - f) / (1 - q) if f <= q else 0.0
    above = 0.0 if f <= q else inside * (f / q - 1)
    if i == 0 and below:
        raise ValueError(f"{metric}: quantile {value:g} is too low to express with these buckets")
    per_bucket = [0.0] * (len(bounds) + 1)  # the last one is +Inf
    per_bucket[i] += inside
    if below:
        per_bucket[i - 1] += below
    if above:
        per_bucket[i + 1] += above
    scale = per_minute / sum(per_bucket)
    out, cumulative = [], 0.0
    for bound, count in zip([*bounds, float("inf")], per_bucket):
        cumulative += count
        le = "+Inf" if bound == float("inf") else number(bound)
        out.append(counter(metric + "_bucket", {**labelset, "le": le}, cumulative * scale, minutes))
    out.append(counter(metric + "_count", labelset, per_minute, minutes))
    return out


def flat(metric: str, labelset: Mapping[str, str], minutes: int) -> InputSeries:
    """A counter that exists but never moves: traffic stopped."""
    return InputSeries(selector(metric, labelset), f"0x{minutes}")


def flat_histogram(
    metric: str, labelset: Mapping[str, str], buckets: tuple[float, ...], minutes: int
) -> list[InputSeries]:
    les = [number(b) for b in sorted(buckets)] + ["+Inf"]
    return [flat(metric + "_bucket", {**labelset, "le": le}, minutes) for le in les] + [
        flat(metric + "_count", labelset, minutes)
    ]


def breach_value(op: str, threshold: float) -> float:
    """A value just past the threshold (10 % beyond it, or 1 past a zero threshold)."""
    step = abs(threshold) * 0.1 or 1.0
    return threshold + step if op.startswith(">") else threshold - step


def safe_value(op: str, threshold: float) -> float:
    """A value just short of the threshold (1 % short of it, or 1 short of a zero threshold)."""
    step = abs(threshold) * 0.01 or 1.0
    return threshold - step if op.startswith(">") else threshold + step
