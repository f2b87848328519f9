"""PromQL snippets shared by dashboards, alerts and recording rules, so each query is written once.

Dashboard queries filter by the dashboard variables (`$tenant`, `$agent`, `$model`) on exactly the
labels the series carries, and use `$__rate_interval`; alert and recording-rule queries pass
`filtered=False` and a fixed window.
"""

from __future__ import annotations

from collections.abc import Iterable

from .catalog import CATALOG

# series label -> dashboard variable that filters it
VARIABLE_FOR_LABEL = {"tenant_id": "tenant", "agent_name": "agent", "model": "model"}
RATE_INTERVAL = "$__rate_interval"


def _labels_of(series: str) -> frozenset[str]:
    known = CATALOG.series(series)
    return known.labels if known is not None else frozenset()


def sel(series: str, matchers: str = "", filtered: bool = True, labels: Iterable[str] | None = None) -> str:
    """`series{...}` with variable filters for the labels it has, plus extra `matchers` (PromQL text).

    `labels` overrides the label set (for recording-rule outputs, which the catalog does not know).
    """
    have = frozenset(labels) if labels is not None else _labels_of(series)
    parts = [f'{label}=~"${var}"' for label, var in VARIABLE_FOR_LABEL.items() if filtered and label in have]
    if matchers:
        parts.append(matchers)
    return f"{series}{{{', '.join(parts)}}}" if parts else series


def by(labels: Iterable[str]) -> str:
    labels = list(labels)
    return f" by ({', '.join(labels)})" if labels else ""


def rate(
    series: str,
    group: Iterable[str] = (),
    window: str = RATE_INTERVAL,
    matchers: str = "",
    filtered: bool = True,
    fn: str = "rate",
    agg: str = "sum",
) -> str:
    """`sum by (group) (rate(series{...}[window]))`."""
    return aggregate(agg, f"{fn}({sel(series, matchers, filtered)}[{window}])", group)


def aggregate(agg: str, inner: str, group: Iterable[str] = ()) -> str:
    """`agg by (group) (inner)`, or `agg(inner)` without grouping."""
    grouping = by(group)
    return f"{agg}{grouping} ({inner})" if grouping else f"{agg}({inner})"


def increase(
    series: str, group: Iterable[str] = (), window: str = RATE_INTERVAL, matchers: str = "", filtered: bool = True
) -> str:
    return rate(series, group, window, matchers, filtered, fn="increase")


def quantile(
    q: float,
    histogram: str,
    group: Iterable[str] = (),
    window: str = RATE_INTERVAL,
    matchers: str = "",
    filtered: bool = True,
) -> str:
    """`histogram_quantile(q, sum by (le, group) (rate(histogram_bucket{...}[window])))`."""
    inner = rate(f"{histogram}_bucket", ["le", *group], window, matchers, filtered)
    return f"histogram_quantile({q}, {inner})"


def average(histogram: str, group: Iterable[str] = (), window: str = RATE_INTERVAL, filtered: bool = True) -> str:
    """Mean observed value: rate of _sum over rate of _count."""
    group = list(group)
    on = f" on ({', '.join(group)})" if group else ""
    return (
        f"{rate(histogram + '_sum', group, window, filtered=filtered)}\n/{on}\n"
        f"{rate(histogram + '_count', group, window, filtered=filtered)}"
    )


def ratio(numerator: str, denominator: str, group: Iterable[str] = ()) -> str:
    """`numerator / on(group) denominator`, where a zero denominator yields no sample (never NaN firing)."""
    group = list(group)
    on = f" on ({', '.join(group)})" if group else ""
    return f"{numerator}\n/{on}\n({denominator} > 0)"


# dcgm-exporter reports an unsupported field as 9223372036854775794; drop such samples.
DCGM_UNSUPPORTED_GUARD = "< 9e18"


def gpu(metric: str, matchers: str = "", filtered: bool = True, fn: str = "", window: str = RATE_INTERVAL) -> str:
    """A dcgm-exporter series with a `host` label taken from `Hostname` or `hostname`, whichever exists.

    The `$host` filter matches either label: the empty alternative lets the absent one pass. `fn`
    (e.g. "rate") applies a range function first, for counters. Unsupported-field samples are dropped.
    """
    parts = ['Hostname=~"${host}|"', 'hostname=~"${host}|"', 'gpu=~"$gpu"'] if filtered else []
    if matchers:
        parts.append(matchers)
    inner = f"{metric}{{{', '.join(parts)}}}" if parts else metric
    inner = f"{fn}({inner}[{window}])" if fn else f"({inner} {DCGM_UNSUPPORTED_GUARD})"
    return f'label_replace(label_replace({inner}, "host", "$1", "Hostname", "(.+)"), "host", "$1", "hostname", "(.+)")'
