"""PromQL snippets shared by dashboards, alerts and recording rules, so each query is written once.

Dashboard queries filter by the dashboard variables (`$tenant`, `$agent`, `$model`) on exactly the
labels the series carries, and use `$__rate_interval`; alert and recording-rule queries pass
`filtered=False` and a fixed window.
"""

from __future__ import annotations

import re
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
    fn: str = "rate",
) -> str:
    """`histogram_quantile(q, sum by (le, group) (rate(histogram_bucket{...}[window])))`; `fn="increase"` for a
    fixed window such as `$__range` (the quantile is the same, and a fixed window is allowed for increase)."""
    inner = rate(f"{histogram}_bucket", ["le", *group], window, matchers, filtered, fn=fn)
    return f"histogram_quantile({q}, {inner})"


def average(
    histogram: str, group: Iterable[str] = (), window: str = RATE_INTERVAL, filtered: bool = True, fn: str = "rate"
) -> str:
    """Mean observed value: rate of _sum over rate of _count (no sample, rather than NaN, when idle)."""
    group = list(group)
    on = f" on ({', '.join(group)})" if group else ""
    return (
        f"{rate(histogram + '_sum', group, window, filtered=filtered, fn=fn)}\n/{on}\n"
        f"({rate(histogram + '_count', group, window, filtered=filtered, fn=fn)} > 0)"
    )


def ratio(numerator: str, denominator: str, group: Iterable[str] = ()) -> str:
    """`numerator / on(group) denominator`, where a zero denominator yields no sample (never NaN firing).

    Both sides get the same filter scope: a dashboard variable that one side cannot honour (its series lack
    the label) is dropped from the other side too. Otherwise, with one model selected, every model's errors
    would be divided by that model's requests. `ignored_variables` says what the ratio no longer follows, so
    the panel description can say it.
    """
    numerator, denominator = same_scope(numerator, denominator)
    group = list(group)
    on = f" on ({', '.join(group)})" if group else ""
    return f"{numerator}\n/{on}\n({denominator} > 0)"


def _filters(expr: str) -> set[str]:
    return {var for var in VARIABLE_FOR_LABEL.values() if f'=~"${var}"' in expr}


def _drop_filter(expr: str, var: str) -> str:
    label = next(label for label, v in VARIABLE_FOR_LABEL.items() if v == var)
    expr = re.sub(rf',\s*{label}=~"\${var}"', "", expr)
    expr = re.sub(rf'{label}=~"\${var}",\s*', "", expr)
    return expr.replace(f'{{{label}=~"${var}"}}', "")


def same_scope(left: str, right: str) -> tuple[str, str]:
    """`left` and `right` filtered only by the dashboard variables every series in them honours."""
    every = _common(left) & _common(right)
    for var in sorted((_filters(left) | _filters(right)) - every):
        left, right = _drop_filter(left, var), _drop_filter(right, var)
    return left, right


def _common(expr: str) -> set[str]:
    """The variables every series selector in `expr` is filtered by."""
    selectors = re.findall(r"\w+\{[^}]*\}|\bvector\(", expr)
    scopes = [_filters(s) for s in selectors if not s.startswith("vector(")]
    return set.intersection(*scopes) if scopes else set()


def ignored_variables(numerator: str, denominator: str) -> list[str]:
    """The dashboard variables one side follows but the ratio of the two does not (VARIABLE_FOR_LABEL order)."""
    every = _common(numerator) & _common(denominator)
    used = _filters(numerator) | _filters(denominator)
    return [v for v in VARIABLE_FOR_LABEL.values() if v in used and v not in every]


def scope_note(numerator: str, denominator: str) -> str:
    """A sentence for the panel description when the ratio ignores a selected variable ('' when it follows all)."""
    ignored = ignored_variables(numerator, denominator)
    if not ignored:
        return ""
    names = " and ".join(f"${v}" for v in ignored)
    return f" Not filtered by {names}: only one side of the ratio carries that label, and both must match."


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
    return with_host(inner)


def with_host(expr: str) -> str:
    """`expr` (dcgm-exporter series) with a `host` label from `Hostname` or `hostname`, whichever it has."""
    return f'label_replace(label_replace({expr}, "host", "$1", "Hostname", "(.+)"), "host", "$1", "hostname", "(.+)")'
