"""PromQL builders shared by dashboards, alerts and recording rules, rendered for the build's metric sources.

Content names concepts by their seed-dialect series (`agent_request_duration_seconds_count`); `Queries` renders
each one as the configured source provides it (`sources.Dialect`): the source's series, its fixed matchers,
`metrics.selector`, and the dashboard-variable filters on the source's label names. Where a source names a label
differently, `label_replace` gives the result the concept's name right after the range function, so every
`by()`, `on()`, legend and alert template reads the same label whatever the source. A concept no configured
source provides renders as `__unavailable__<concept>`; the pipeline leaves out whatever contains it.

Dashboard queries filter by the dashboard variables (`$tenant`, `$agent`, `$model`, `$cluster`) on exactly the
labels the series carries, and use `$__rate_interval`; alert and recording-rule queries pass `filtered=False`
and a fixed window, and keep `metrics.cluster_label` in every `by()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from collections.abc import Mapping as MappingType

from .model import format_number
from .sources import Dialect, Resolved, rename_matchers
from .sources.base import matches, parse_matchers

# series label -> dashboard variable that filters it
VARIABLE_FOR_LABEL = {
    "tenant_id": "tenant",
    "agent_name": "agent",
    "model": "model",
    "model_name": "model",  # vLLM
    # LiteLLM's gateway-only series: a team is the tenant, a virtual key the agent
    "team_alias": "tenant",
    "api_key_alias": "agent",
    "litellm_model_name": "model",
}
RATE_INTERVAL = "$__rate_interval"
RANGE = "$__range"
# a selector as the builders write it, with its range and offset: where `@ end()` goes
PINNABLE = re.compile(r"[a-zA-Z_:][\w:]*\{[^{}]*\}(?:\[[^\]]*\])?(?: offset \$__range)?")
# Histograms whose buckets, and counters whose rates, a recording rule sums over pods and instances
# (kubernetes-mixin style), keeping every label of the concept: dashboard panels then read one series per label
# set and one sample per step instead of every pod's raw samples over $__rate_interval. Exemplar targets still
# read the raw buckets: recorded series carry no exemplars.
AGGREGATED_HISTOGRAMS = (
    "agent_request_duration_seconds",
    "llm_inference_duration_seconds",
    "tool_execution_duration_seconds",
    "vector_search_duration_seconds",
    "agent_chain_length",
    "agent_iterations",
)
AGGREGATED_COUNTERS = (
    "agent_request_duration_seconds_count",
    "agent_request_duration_seconds_sum",
    "agent_errors_total",
    "agent_timeout_total",
    "agent_tool_calls_sum",
    "agent_tool_calls_count",
    "llm_rate_limit_errors_total",
    "llm_tokens_total",
    "llm_cost_dollars_total",
)
AGGREGATED = (*(f"{h}_bucket" for h in AGGREGATED_HISTOGRAMS), *AGGREGATED_COUNTERS)
AGGREGATED_MINUTES = 5
AGGREGATED_WINDOW = f"{AGGREGATED_MINUTES}m"
UNAVAILABLE = "__unavailable__"
UNAVAILABLE_RE = re.compile(r"__unavailable__([\w:]+)")
PRICE = "model_token_type:llm_price_dollars_per_token:pricing"
TOKENS = "llm_tokens_total"
# dcgm-exporter reports an unsupported field as 9223372036854775794; drop such samples.
DCGM_UNSUPPORTED_GUARD = "< 9e18"


def unavailable_concepts(expr: str) -> list[str]:
    """The concepts an expression needs that no configured source provides."""
    return sorted(set(UNAVAILABLE_RE.findall(expr)))


class Queries:
    """Query builders for one build: its dialect, `metrics.selector` and `metrics.cluster_label`."""

    def __init__(self, dialect: Dialect, selector: str = "", cluster_label: str = "", rule_interval_s: float = 60):
        self.dialect = dialect
        self.rule_interval_s = rule_interval_s  # every rule group's interval: one recorded sample per this
        self.selector = selector
        self.cluster_label = cluster_label
        self.left_out_records: set[str] = set()  # recording rules left out: what reads them is left out too
        self.recorded: set[str] = set()  # the build's recording rules (set before dashboards are built)
        self.notes: list[tuple[str, str, str]] = []  # (kind, name, reason) content left out on its own
        self.variable_for_label = dict(VARIABLE_FOR_LABEL)
        if cluster_label:
            self.variable_for_label[cluster_label] = "cluster"

    # --- what the sources provide ----------------------------------------------------------------------------
    def provides(self, series: str) -> bool:
        """Whether `series` (a concept, or any other name) can be queried in this build."""
        return not self.dialect.is_concept(series) or self.dialect.resolve(series) is not None

    def priced(self, concept: str) -> bool:
        """Whether `concept` (e.g. llm_cost_dollars_total) is computed from tokens x `pricing` in this build."""
        r = self.dialect.resolve(concept)
        return r is not None and r.priced

    def buckets(self, histogram: str) -> tuple[float, ...]:
        """The bucket bounds of the histogram concept `histogram` as its source exposes it."""
        r = self.dialect.resolve(histogram + "_bucket")
        if r is None:
            return self.dialect.concepts.metric(histogram).buckets
        return self.dialect.catalog.metric(r.series[: -len("_bucket")]).buckets

    def resolve(self, series: str) -> Resolved | None:
        return self.dialect.resolve(series)

    def leave_out(self, kind: str, name: str, reason: str) -> None:
        """Record that content left something out for this build's sources (`generate` lists it)."""
        if (kind, name, reason) not in self.notes:
            self.notes.append((kind, name, reason))

    def missing(self, exprs: Iterable[str]) -> str:
        """Why expressions cannot have data in this build ('' when they can): the concepts or left-out
        recording rules they read."""
        text = "\n".join(exprs)
        concepts = unavailable_concepts(text)
        records = sorted(r for r in self.left_out_records if re.search(rf"(?<![\w:]){re.escape(r)}(?![\w:])", text))
        reasons = []
        if concepts:
            names = ", ".join(self.dialect.names)
            reasons.append(f"needs {', '.join(concepts)}, which no configured source ({names}) provides")
        if records:
            reasons.append(f"reads the left-out recording rule {', '.join(records)}")
        return "; ".join(reasons)

    # --- selectors -------------------------------------------------------------------------------------------
    def _selector(
        self,
        series: str,
        matchers: str = "",
        filtered: bool = True,
        labels: Iterable[str] | None = None,
        resolved: Resolved | None = None,
    ) -> tuple[str, Resolved | None]:
        """`name{...}` for `series` as its source provides it, and the resolution (None: not a concept).
        `resolved`: one part of a concept split over families (`_parts`)."""
        if resolved is None:
            resolved = None if labels is not None else self.dialect.resolve(series)
        if labels is None and resolved is None and self.dialect.is_concept(series):
            return UNAVAILABLE + series, None
        if resolved is not None:
            have = dict(resolved.labels)
            name = resolved.series
            fixed = [resolved.matchers] if resolved.matchers else []
            if resolved.source.application and self.selector:
                fixed.append(self.selector)
            matchers = rename_matchers(matchers, have)
        else:
            have = {label: label for label in labels or ()}
            name, fixed = series, []
        if self.cluster_label:
            have.setdefault(self.cluster_label, self.cluster_label)
        parts = [
            f'{have[label]}=~"${var}"' for label, var in self.variable_for_label.items() if filtered and label in have
        ]
        parts += fixed
        if matchers:
            parts.append(matchers)
        return (f"{name}{{{', '.join(parts)}}}" if parts else name), resolved

    def _parts(self, series: str, matchers: str) -> list[tuple[str, Resolved, str]] | None:
        """For a concept split over one family per label value (LiteLLM's token counters): the parts that
        `matchers` keep, as (label value, part, the other matchers); None for any other series."""
        resolved = self.dialect.resolve(series) if self.dialect.is_concept(series) else None
        if resolved is None or not resolved.split_label:
            return None
        label = resolved.split_label
        pairs = parse_matchers(matchers) if matchers else []
        rest = ", ".join(f"{k}{op}{json.dumps(v)}" for k, op, v in pairs if k != label)
        on_label = [(op, v) for k, op, v in pairs if k == label]
        return [
            (value, part, rest) for value, part in resolved.parts if all(matches(op, v, value) for op, v in on_label)
        ]

    def _joined(self, parts: list[tuple[str, Resolved, str]], label: str, render) -> str:  # noqa: ANN001
        """The parts' expressions (`render(part, matchers)`), each given its `label` value, as one `or`."""
        if not parts:
            return UNAVAILABLE + "no_part_matches"
        return "(" + " or ".join(f'label_replace({render(p, m)}, "{label}", "{v}", "", "")' for v, p, m in parts) + ")"

    def _named(self, expr: str, resolved: Resolved | None, labels: Iterable[str]) -> str:
        """`expr` with each of `labels` copied from the source's label name to the concept's, where they differ."""
        if resolved is None:
            return expr
        renamed = resolved.renamed()
        for label in dict.fromkeys(labels):
            if label in renamed:
                expr = f'label_replace({expr}, "{label}", "$1", "{renamed[label]}", "(.*)")'
        return expr

    def sel(self, series: str, matchers: str = "", filtered: bool = True, labels: Iterable[str] | None = None) -> str:
        """`series{...}` (an instant vector) with variable filters for the labels it has, plus `matchers`.

        `labels` overrides the label set (for recording-rule outputs, which are not concepts).
        """
        split = None if labels is not None else self._parts(series, matchers)
        if split is not None:
            label = self.dialect.resolve(series).split_label  # type: ignore[union-attr]
            return self._joined(
                split, label, lambda p, m: self._named(self._selector(series, m, filtered, resolved=p)[0], p, p.labels)
            )
        text, resolved = self._selector(series, matchers, filtered, labels)
        return self._named(text, resolved, resolved.labels if resolved else ())

    def raw(self, series: str, matchers: str = "", filtered: bool = True) -> str:
        """The source's selector for `series` with its own label names (for `count()`, `absent()`: no renames;
        a split concept's parts joined with `or`)."""
        split = self._parts(series, matchers)
        if split is not None:
            return "(" + " or ".join(self._selector(series, m, filtered, resolved=p)[0] for _, p, m in split) + ")"
        return self._selector(series, matchers, filtered)[0]

    def by(self, labels: Iterable[str], filtered: bool = True) -> str:
        labels = self._group(labels, filtered)
        return f" by ({', '.join(labels)})" if labels else ""

    def _group(self, labels: Iterable[str], filtered: bool) -> list[str]:
        labels = list(labels)
        if self.cluster_label and not filtered and self.cluster_label not in labels:
            labels.append(self.cluster_label)
        return labels

    def aggregate(self, agg: str, inner: str, group: Iterable[str] = (), filtered: bool = True) -> str:
        """`agg by (group) (inner)`, or `agg(inner)` without grouping (rules keep the cluster label)."""
        grouping = self.by(group, filtered)
        return f"{agg}{grouping} ({inner})" if grouping else f"{agg}({inner})"

    def rate(
        self,
        series: str,
        group: Iterable[str] = (),
        window: str = RATE_INTERVAL,
        matchers: str = "",
        filtered: bool = True,
        fn: str = "rate",
        agg: str = "sum",
    ) -> str:
        """`sum by (group) (rate(series{...}[window]))`; a dashboard's rate over `$__rate_interval` (or increase
        over `$__range` or whole 5 minutes) reads the aggregating recording rule where there is one."""
        group = list(group)
        if agg == "sum" and filtered and (fn, window == RATE_INTERVAL) in (("rate", True), ("increase", False)):
            recorded = self.recorded_rate(series, group, matchers, None if fn == "rate" else window)
            if recorded is not None:
                return recorded
        if self.priced(series):
            return self.aggregate(agg, self._priced(group, window, matchers, filtered, fn), group, filtered)
        split = self._parts(series, matchers)
        if split is not None:
            label = self.dialect.resolve(series).split_label  # type: ignore[union-attr]

            def part(p: Resolved, m: str) -> str:
                text = self._selector(series, m, filtered, resolved=p)[0]
                return self._named(f"{fn}({text}[{window}])", p, self._group(group, filtered))

            return self.aggregate(agg, self._joined(split, label, part), group, filtered)
        text, resolved = self._selector(series, matchers, filtered)
        inner = self._named(f"{fn}({text}[{window}])", resolved, self._group(group, filtered))
        return self.aggregate(agg, inner, group, filtered)

    def _priced(self, group: list[str], window: str, matchers: str, filtered: bool, fn: str) -> str:
        """Spend per token type: the token counter's rate times the configured price of its model and type."""
        text, resolved = self._selector(TOKENS, matchers, filtered)
        tokens = self._named(f"{fn}({text}[{window}])", resolved, ["model", "token_type", *group])
        price = self.sel(PRICE, filtered=filtered, labels=("model", "token_type"))
        return f"{tokens} * on (model, token_type) group_left () {price}"

    def increase(
        self,
        series: str,
        group: Iterable[str] = (),
        window: str = RATE_INTERVAL,
        matchers: str = "",
        filtered: bool = True,
    ) -> str:
        return self.rate(series, group, window, matchers, filtered, fn="increase")

    def quantile(
        self,
        q: float,
        histogram: str,
        group: Iterable[str] = (),
        window: str = RATE_INTERVAL,
        matchers: str = "",
        filtered: bool = True,
        fn: str = "rate",
    ) -> str:
        """`histogram_quantile(q, sum by (le, group) (rate(histogram_bucket{...}[window])))`; `fn="increase"` for a
        fixed window such as `$__range` (the quantile is the same, and a fixed window is allowed for increase).
        A dashboard's quantile reads the recorded bucket rates where a rule aggregates them."""
        return f"histogram_quantile({q}, {self.bucket_rates(histogram, group, window, matchers, filtered, fn)})"

    def bucket_rates(
        self,
        histogram: str,
        group: Iterable[str] = (),
        window: str = RATE_INTERVAL,
        matchers: str = "",
        filtered: bool = True,
        fn: str = "rate",
    ) -> str:
        """`sum by (le, group)` of the bucket rates (recorded where `rate` finds a rule)."""
        return self.rate(f"{histogram}_bucket", ["le", *group], window, matchers, filtered, fn=fn)

    def exemplar_source(self, histogram: str) -> str:
        """`group(histogram_bucket{filters})`: what a panel's exemplar query (`panels.exemplars`) selects, the raw
        bucket series, as cheaply as a range query can read them: one sample per series and step, no window."""
        return f"group({self.raw(f'{histogram}_bucket')})"

    def recorded_rate(
        self, series: str, group: list[str], matchers: str = "", increase: str | None = None
    ) -> str | None:
        """`sum by (group) (record{filters, matchers})` where a recording rule of this build aggregates `series`
        with every label the grouping and matchers name; None where the raw series must be read.

        `increase`: the increase over that window instead, from the recorded 5-minute rates: over `$__range`
        exactly (`_over_range`); over a fixed window of whole 5 minutes (a bar per 15 min, drawn at that step)
        as the rates summed over it, which moves an event up to 5 minutes into the next bar but counts it once
        in all; any other window: None."""
        agg = self.aggregated(series)
        if agg is None or agg[0] not in self.recorded:
            return None
        record, labels = agg
        named = {k for k, _, _ in parse_matchers(matchers)} if matchers else set()
        if not {*group, *named} <= set(labels):
            return None
        selector = self.sel(record, matchers, labels=labels)
        if increase is None:
            return self.aggregate("sum", selector, group)
        if (AGGREGATED_MINUTES * 60) % self.rule_interval_s:  # the samples would not tile the rates' windows
            return None
        if increase == RANGE:
            return self._over_range(selector, group)
        minutes = re.fullmatch(r"([1-9][0-9]*)m", increase)
        if minutes is None or int(minutes[1]) % AGGREGATED_MINUTES:
            return None
        summed = self.aggregate("sum", f"sum_over_time({selector}[{increase}])", group)
        return f"{format_number(self.rule_interval_s)} * {summed}"

    def _over_range(self, selector: str, group: list[str]) -> str:
        """The increase over `$__range` from a recorded 5-minute rate sampled every rule interval `i`.

        Summing the samples times `i` weighs each event by how many of the 5 samples covering it fall in the
        range: fully inside, but ramping down over the range's last 5 minutes and up over the 5 before its
        start. Over an hour ending in an outage that under-counts the newest failures by a tenth. The ramps hold
        (300 - i) / 2 seconds of traffic each, at about the rate recorded at the end and at the start, so adding
        (300 - i) / 2 x (rate now - rate at the start) makes the figure exact for traffic steady within 5
        minutes (the start's rate counts as 0 before the data begins)."""
        i = self.rule_interval_s
        now = self.aggregate("sum", selector, group)
        start = f"({self.aggregate('sum', f'{selector} offset {RANGE}', group)} or {now} * 0)"
        summed = self.aggregate("sum", f"sum_over_time({selector}[{RANGE}])", group)
        edge = format_number((AGGREGATED_MINUTES * 60 - i) / 2)
        return f"({format_number(i)} * {summed} + {edge} * ({now} - {start}))"

    def rule_quantile(self, q: float, histogram: str, group: Iterable[str]) -> str:
        """A recording rule's or alert's `q` quantile over 5 m: from the aggregated bucket rates (recorded earlier
        in the same group, so chained within one evaluation) where there are any, else from the raw buckets."""
        group = list(group)
        agg = self.aggregated(f"{histogram}_bucket")
        if agg is None or not set(group) <= set(agg[1]):
            return self.quantile(q, histogram, group, AGGREGATED_WINDOW, filtered=False)
        record, labels = agg
        inner = self.aggregate("sum", self.sel(record, filtered=False, labels=labels), ["le", *group], filtered=False)
        return f"histogram_quantile({q}, {inner})"

    def aggregated(self, series: str) -> tuple[str, list[str]] | None:
        """(record, labels) of the rule summing `series`' 5-minute rate over pods and instances (every label of
        the concept this source has, and the cluster's); None if it has none in this build's sources."""
        resolved = self.dialect.resolve(series) if series in AGGREGATED else None
        if resolved is None or resolved.priced:
            return None
        split = [resolved.split_label] if resolved.split_label else []  # a split concept's parts are labelled by it
        labels = sorted({*resolved.labels, *split, *(["le"] if series.endswith("_bucket") else [])})
        labels = self._group(labels, filtered=False)
        metric = series.removesuffix("_total")
        return f"{'_'.join(labels)}:{metric}:rate{AGGREGATED_WINDOW}", labels

    def average(
        self,
        histogram: str,
        group: Iterable[str] = (),
        window: str = RATE_INTERVAL,
        filtered: bool = True,
        fn: str = "rate",
    ) -> str:
        """Mean observed value: rate of _sum over rate of _count (no sample, rather than NaN, when idle)."""
        group = list(group)
        total = self.rate(histogram + "_sum", group, window, filtered=filtered, fn=fn)
        count = self.rate(histogram + "_count", group, window, filtered=filtered, fn=fn)
        if self.count_apart(histogram):  # the count is of another family: divide by the histogram's own
            count = self.rate(histogram + "_bucket", group, window, 'le="+Inf"', filtered, fn)
        return f"{total}\n/{self.on(group, total, count)}\n({count} > 0)"

    def count_apart(self, histogram: str) -> bool:
        """Whether the source reads `histogram`'s count from another family than its sum (LiteLLM: all
        requests, while latency is observed on success only)."""
        total, count = self.dialect.resolve(histogram + "_sum"), self.dialect.resolve(histogram + "_count")
        return total is not None and count is not None and count.series != total.series[: -len("_sum")] + "_count"

    def on(self, group: Iterable[str], *exprs: str, recorded: bool = False) -> str:
        """` on (group)` for a binary operation between two results grouped by `group`, and by the cluster where
        both sides keep it: in rules and alerts, and between recorded series (`recorded=True`); a dashboard's
        aggregation, filtered by `$cluster`, sums it away."""
        labels = list(group)
        keeps = recorded or not any('"$cluster"' in e for e in exprs)
        if self.cluster_label and labels and keeps and self.cluster_label not in labels:
            labels.append(self.cluster_label)
        return f" on ({', '.join(labels)})" if labels else ""

    def ratio(self, numerator: str, denominator: str, group: Iterable[str] = ()) -> str:
        """`numerator / on(group) denominator`, where a zero denominator yields no sample (never NaN firing).

        Both sides get the same filter scope: a dashboard variable that one side cannot honour (its series lack
        the label) is dropped from the other side too. Otherwise, with one model selected, every model's errors
        would be divided by that model's requests. `ignored_variables` says what the ratio no longer follows, so
        the panel description can say it.
        """
        numerator, denominator = self.same_scope(numerator, denominator)
        return f"{numerator}\n/{self.on(group, numerator, denominator)}\n({denominator} > 0)"

    def _filters(self, expr: str) -> set[str]:
        return {var for var in self.variable_for_label.values() if f'=~"${var}"' in expr}

    @staticmethod
    def _drop_filter(expr: str, var: str) -> str:
        expr = re.sub(rf',\s*\w+=~"\${var}"', "", expr)
        expr = re.sub(rf'\w+=~"\${var}",\s*', "", expr)
        return re.sub(rf'\{{\w+=~"\${var}"\}}', "", expr)

    def same_scope(self, left: str, right: str) -> tuple[str, str]:
        """`left` and `right` filtered only by the dashboard variables every series in them honours."""
        every = self._common(left) & self._common(right)
        for var in sorted((self._filters(left) | self._filters(right)) - every):
            left, right = self._drop_filter(left, var), self._drop_filter(right, var)
        return left, right

    def _common(self, expr: str) -> set[str]:
        """The variables every series selector in `expr` is filtered by."""
        selectors = re.findall(r"\w+\{(?:[^{}]|\$\{\w+\})*\}|\bvector\(", expr)
        scopes = [self._filters(s) for s in selectors if not s.startswith("vector(")]
        return set.intersection(*scopes) if scopes else set()

    def ignored_variables(self, numerator: str, denominator: str) -> list[str]:
        """The dashboard variables one side follows but the ratio of the two does not (VARIABLE_FOR_LABEL order)."""
        every = self._common(numerator) & self._common(denominator)
        used = self._filters(numerator) | self._filters(denominator)
        return [v for v in dict.fromkeys(self.variable_for_label.values()) if v in used and v not in every]

    def scope_note(self, numerator: str, denominator: str) -> str:
        """A sentence for the panel description when the ratio ignores a selected variable ('' when it follows all)."""
        ignored = self.ignored_variables(numerator, denominator)
        if not ignored:
            return ""
        names = " and ".join(f"${v}" for v in ignored)
        return f" Not filtered by {names}: only one side of the ratio carries that label, and both must match."

    # --- per-object limits -----------------------------------------------------------------------------------
    def over_limit(
        self, record: str, by: str, default: float, overrides: MappingType[str, float], filtered: bool = True
    ) -> str:
        """`record` (one series per `by`) over each subject's own limit: `overrides` where they name it, else
        `default`; the limit rides along as the label `limit_seconds` (the budgets' mechanism, for latency)."""

        def term(matchers: str, limit: float) -> str:
            text = format_number(limit)
            value = self.sel(record, matchers, filtered=filtered, labels=(by,))
            return f'label_replace({value} / {text}, "limit_seconds", "{text}", "", "")'

        names = "|".join(re.escape(n).replace("\\", "\\\\") for n in sorted(overrides))
        terms = [term(f'{by}!~"{names}"', default)] if overrides else [term("", default)]
        terms += [term(f'{by}="{n}"', v) for n, v in sorted(overrides.items())]
        return "\nor\n".join(terms)

    # --- top N -----------------------------------------------------------------------------------------------
    def top(self, expr: str, label: str, n: int, rank: str = "", other: bool = False) -> str:
        """`expr` (one series per `label`) for the `n` values of `label` that rank highest, plus (with `other`)
        the rest summed as `label="other"`. A `rank` over `$__range` is read at the range's end (`@ end()` on
        each of its selectors), so a graph shows the same `n` at every step and never draws more; without one,
        `topk` of `expr`."""
        if RANGE not in rank:
            return f"topk({n}, {expr})"
        fixed = PINNABLE.sub(lambda m: f"{m[0]} @ end()", rank)
        chosen = f"{expr}\nand on ({label})\ntopk({n}, {fixed})"
        if not other:
            return chosen
        rest = f"sum(\n{expr}\nunless on ({label})\ntopk({n}, {fixed})\n)"
        return f'{chosen}\nor\nlabel_replace({rest}, "{label}", "other", "", "")'

    # --- dashboard variables ---------------------------------------------------------------------------------
    def label_values(self, label: str, candidates: Iterable[str], filters: dict[str, str]) -> str | None:
        """`label_values(series{filters}, source_label)` from the first candidate concept that has `label`.

        `filters` maps concept labels to variables (`{"tenant_id": "tenant"}`); None when no candidate has it.
        """
        for series in candidates:
            r = self.dialect.resolve(series)
            if r is None or r.priced or label not in r.labels:  # a priced concept has no series of its own
                continue
            names = {**r.labels, **({self.cluster_label: self.cluster_label} if self.cluster_label else {})}
            parts = [f'{names[k]}=~"${v}"' for k, v in filters.items() if k in names]
            if r.matchers:
                parts.append(r.matchers)
            if r.source.application and self.selector:
                parts.append(self.selector)
            text = f"{r.series}{{{', '.join(parts)}}}" if parts else r.series
            return f"label_values({text}, {r.labels[label]})"
        return None

    # --- dcgm-exporter ---------------------------------------------------------------------------------------
    def gpu(
        self, metric: str, matchers: str = "", filtered: bool = True, fn: str = "", window: str = RATE_INTERVAL
    ) -> str:
        """A dcgm-exporter series with a `host` label taken from `Hostname` or `hostname`, whichever exists.

        The `$host` filter matches either label: the empty alternative lets the absent one pass. `fn`
        (e.g. "rate") applies a range function first, for counters. Unsupported-field samples are dropped.
        """
        if not self.provides(metric):
            return UNAVAILABLE + metric
        parts = ['Hostname=~"${host}|"', 'hostname=~"${host}|"', 'gpu=~"$gpu"'] if filtered else []
        if filtered and self.cluster_label:
            parts.append(f'{self.cluster_label}=~"$cluster"')
        if matchers:
            parts.append(matchers)
        inner = f"{metric}{{{', '.join(parts)}}}" if parts else metric
        inner = f"{fn}({inner}[{window}])" if fn else f"({inner} {DCGM_UNSUPPORTED_GUARD})"
        return self.with_host(inner)

    @staticmethod
    def with_host(expr: str) -> str:
        """`expr` (dcgm-exporter series) with a `host` label from `Hostname` or `hostname`, whichever it has."""
        return (
            f'label_replace(label_replace({expr}, "host", "$1", "Hostname", "(.+)"), "host", "$1", "hostname", "(.+)")'
        )
