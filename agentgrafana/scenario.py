"""The incident an alert exists for, in one vocabulary that the promtool tests and the live check both act out.

An alert declares an `Incident`: a `Signal` (how its value is made of catalog series: a quantile of a
histogram, a ratio of two counters, a count per window, a gauge's level, a used/free pair, an event code, a
tenant's spend against its budget) and the labels it fires with, whose names say what breaks (an agent, a
model, a tool, a GPU, a tenant).

- The promtool test generator asks the signal for input series that settle at a chosen value
  (`drive(value, minutes)`: one sample a minute) and for idle series (`idle(minutes)`: no traffic); the
  values come from the alert's threshold, so a threshold changed in configuration changes the tests.
- The live simulator reads the same signal: it shapes normal traffic on the signal's metrics to stay short of
  the threshold, and picks a subject from its simulated platform for which it pushes the value past the
  threshold in the alert's incident window. A new alert needs no change to the simulator.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

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


# --- signals: how an alert's value is made of series --------------------------------------------------------

QUANTILE, EXCEED, RATIO, RATE, LEVEL, FILL, EVENT, SPEND, PACE, ABSENT, ALWAYS = (
    "quantile",
    "exceed",
    "ratio",
    "rate",
    "level",
    "fill",
    "event",
    "spend",
    "pace",
    "absent",
    "always",
)


class Signal(Protocol):
    """How an alert's value is made of catalog series; `series` are the labels of its promtool input."""

    @property
    def kind(self) -> str:
        """One of the kinds above: the simulator shapes each kind its own way."""
        ...

    @property
    def metrics(self) -> tuple[str, ...]:
        """The metric families whose values make the alert's value (the simulator shapes these)."""
        ...

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        """Input series whose alert value settles at `value`."""
        ...

    def idle(self, minutes: int) -> list[InputSeries]:
        """Input series of the same subject without traffic (or none at all)."""
        ...


@dataclass(frozen=True)
class Quantile:
    """Quantile `q` of a histogram's observations (e.g. P99 latency), in the histogram's unit."""

    histogram: str
    buckets: tuple[float, ...]
    series: Mapping[str, str]
    q: float = 0.99
    scale: float = 1.0  # the alert reads the quantile over a limit: its value x scale is the quantile
    kind: str = field(default=QUANTILE, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.histogram,)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return histogram(self.histogram, self.series, self.buckets, self.q, value * self.scale, minutes)

    def idle(self, minutes: int) -> list[InputSeries]:
        return flat_histogram(self.histogram, self.series, self.buckets, minutes)


@dataclass(frozen=True)
class Exceed:
    """The share of a histogram's observations above `bound` (a bucket boundary, e.g. requests slower than 5 s),
    divided by `scale` (an error budget, for burn rates)."""

    histogram: str
    buckets: tuple[float, ...]
    series: Mapping[str, str]
    bound: float
    scale: float = 1.0
    kind: str = field(default=EXCEED, init=False)

    def __post_init__(self) -> None:
        if self.bound not in self.buckets or self.bound == max(self.buckets):
            raise ValueError(f"{self.histogram}: {self.bound:g} must be a bucket boundary below the highest bucket")

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.histogram,)

    def drive(self, value: float, minutes: int, per_minute: float = 600) -> list[InputSeries]:
        """A share `value * scale` of the observations in the bucket above `bound`, the rest in the one ending
        at it."""
        over = min(1.0, value * self.scale)
        out = []
        for le in [*sorted(self.buckets), float("inf")]:
            count = 0.0 if le < self.bound else (1 - over) * per_minute if le == self.bound else per_minute
            text = "+Inf" if le == float("inf") else number(le)
            out.append(counter(self.histogram + "_bucket", {**self.series, "le": text}, count, minutes))
        out.append(counter(self.histogram + "_count", self.series, per_minute, minutes))
        return out

    def idle(self, minutes: int) -> list[InputSeries]:
        return flat_histogram(self.histogram, self.series, self.buckets, minutes)


@dataclass(frozen=True)
class Ratio:
    """The rate of a counter over the rate of the events it counts a part of (errors over requests), divided by
    `scale` (an error budget, for burn rates: 1 % errors against a 1 % budget is a burn rate of 1).

    `denominator` is a counter or a histogram's `_count`."""

    numerator: str
    numerator_series: Mapping[str, str]
    denominator: str
    denominator_series: Mapping[str, str]
    scale: float = 1.0
    kind: str = field(default=RATIO, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.numerator,)

    @property
    def volume(self) -> str:
        """The metric family that counts the events (a histogram's `_count` belongs to the histogram)."""
        return self.denominator.removesuffix("_count")

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        share = value * self.scale
        return ratio(self.numerator, self.numerator_series, self.denominator, self.denominator_series, share, minutes)

    def idle(self, minutes: int) -> list[InputSeries]:
        return [
            flat(self.denominator, self.denominator_series, minutes),
            flat(self.numerator, self.numerator_series, minutes),
        ]


@dataclass(frozen=True)
class Rate:
    """Events counted per `per_seconds` (e.g. rejections per 5 minutes, timeouts per minute)."""

    counter: str
    series: Mapping[str, str]
    per_seconds: int
    kind: str = field(default=RATE, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.counter,)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return [counter(self.counter, self.series, value / (self.per_seconds / 60), minutes)]

    def idle(self, minutes: int) -> list[InputSeries]:
        return [flat(self.counter, self.series, minutes)]


@dataclass(frozen=True)
class Level:
    """A gauge's value (e.g. a temperature)."""

    gauge: str
    series: Mapping[str, str]
    kind: str = field(default=LEVEL, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.gauge,)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return [gauge(self.gauge, self.series, value, minutes)]

    def idle(self, minutes: int) -> list[InputSeries]:
        return []


@dataclass(frozen=True)
class Fill:
    """How full a resource reported as a used and a free gauge is: used / (used + free), 0 to 1."""

    used: str
    free: str
    series: Mapping[str, str]
    capacity: float
    kind: str = field(default=FILL, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.used, self.free)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return [
            gauge(self.used, self.series, value * self.capacity, minutes),
            gauge(self.free, self.series, (1 - value) * self.capacity, minutes),
        ]

    def idle(self, minutes: int) -> list[InputSeries]:
        return [gauge(self.used, self.series, 0, minutes), gauge(self.free, self.series, 0, minutes)]


@dataclass(frozen=True)
class Event:
    """A gauge that reports an event's code, with the code also in label `label` (dcgm-exporter's XID field)."""

    gauge: str
    series: Mapping[str, str]
    label: str
    kind: str = field(default=EVENT, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.gauge,)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return [gauge(self.gauge, {**self.series, self.label: number(value)}, value, minutes)]

    def idle(self, minutes: int) -> list[InputSeries]:
        return []


@dataclass(frozen=True)
class Spend:
    """A tenant's spend (a cost counter) over its budget, 0 to 1 and beyond; `budget` is the promtool tenant's."""

    counter: str
    series: Mapping[str, str]
    budget: float
    tenant_label: str = "tenant_id"
    kind: str = field(default=SPEND, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.counter,)

    def spend(self, dollars: float, minutes: int, tenant: str | None = None) -> InputSeries:
        """`dollars` spent evenly, with 6 quiet minutes before and after: spend recorded as 5-minute rates
        counts every dollar once the rates have covered it (see recording_rules/cost.py)."""
        labelset = {**self.series, **({self.tenant_label: tenant} if tenant else {})}
        steps = minutes - 12
        # a multiple of 2**-20, so promtool's repeated additions are exact and the held total equals the last
        # value (a total 1e-14 lower would read as a counter reset); off by at most a millionth of a dollar
        per_minute = round(dollars / steps * 2**20) / 2**20
        return InputSeries(
            selector(self.counter, labelset), f"0x5 0+{number(per_minute)}x{steps} {number(per_minute * steps)}x5"
        )

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return [self.spend(value * self.budget, minutes)]

    def idle(self, minutes: int) -> list[InputSeries]:
        return [flat(self.counter, self.series, minutes)]


@dataclass(frozen=True)
class Pace:
    """A tenant's spending pace (a cost counter's rate over the last hour) times `horizon_seconds`, over its
    budget: where the day would end at this pace. The promtool input spends steadily from minute 0."""

    counter: str
    series: Mapping[str, str]
    budget: float
    horizon_seconds: int = 86400
    kind: str = field(default=PACE, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.counter,)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        per_minute = round(value * self.budget / (self.horizon_seconds / 60) * 2**20) / 2**20  # exact sums
        return [counter(self.counter, self.series, per_minute, minutes)]

    def idle(self, minutes: int) -> list[InputSeries]:
        return [flat(self.counter, self.series, minutes)]


@dataclass(frozen=True)
class Absent:
    """A metric family that stops being scraped (1 while it is gone, nothing while it is there): the incident
    stops `family` (every series of it); `series` are the promtool input's labels."""

    family: str
    series_name: str  # the series of the family the promtool input writes (a histogram's `_count`)
    series: Mapping[str, str]
    others: tuple[str, ...] = ()  # the other series the alert watches: present in every promtool input
    kind: str = field(default=ABSENT, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.family,)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        """No series at all when absent (value > 0), else a live counter; the others live throughout."""
        present = [] if value > 0 else [counter(self.series_name, self.series, 10, minutes)]
        return present + self.present(minutes)

    def idle(self, minutes: int) -> list[InputSeries]:
        """An idle exporter still exposes its series: present, not moving."""
        return [flat(self.series_name, self.series, minutes), *self.present(minutes)]

    def present(self, minutes: int) -> list[InputSeries]:
        return [flat(name, self.series, minutes) for name in self.others if name != self.series_name]


@dataclass(frozen=True)
class Always:
    """A condition that always holds (a dead man's switch): it must fire in normal traffic too."""

    kind: str = field(default=ALWAYS, init=False)

    @property
    def metrics(self) -> tuple[str, ...]:
        return ()

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return []

    def idle(self, minutes: int) -> list[InputSeries]:
        return []


def native(signal: Signal, value: float) -> float:
    """An alert's value in the quantity the signal shapes (a burn rate times its error budget is a ratio)."""
    return value * float(getattr(signal, "scale", 1.0))


@dataclass(frozen=True)
class Incident:
    """What an alert must fire on and stay silent without; see the module docstring.

    `labels` are the alert's labels when it fires for the promtool subject; their names say what breaks, and
    the live check expects the alert to fire for the subject it broke. `breach` / `safe` replace the values
    just past / just short of the threshold; `extra` adds cases; `limit` says how the limit reads in test
    names when op/threshold do not say it alone. `minutes` is how long the live incident lasts: long enough
    for the alert's longest window to see it (a burn rate over 1 h needs most of an hour). `newcomer`: the
    subject is something the platform did not have before (a model nobody priced): the live incident brings
    it in with the labels given here instead of breaking an entity the simulated platform has."""

    signal: Signal
    labels: Labels
    settle_minutes: int = 5
    breach: float | None = None
    safe: float | None = None
    extra: tuple[Case, ...] = ()
    limit: str | None = None
    minutes: int = 25
    newcomer: bool = False

    @property
    def subject(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.labels)

    def drive(self, value: float, minutes: int) -> list[InputSeries]:
        return self.signal.drive(value, minutes)

    def idle(self, minutes: int) -> list[InputSeries]:
        return self.signal.idle(minutes)
