"""PromQL checks: Grafana variable expansion, parsing (promql-parser) and label inference against the catalog.

`analyze` walks the parsed expression once and answers two questions: which problems it has (unknown
metric, label the metric lacks, rate on a gauge, histogram_quantile without `le`, a recording rule that
does not exist, ...) and which labels its result carries (used by alert-template lint and by recording
rules, whose output labels become part of the catalog).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import promql_parser as pp

from .catalog import Catalog

# Grafana's built-in interval variables and the values used when checking an expression.
BUILTIN_VARIABLES = {
    "__rate_interval": "7m13s",  # a sentinel no one types, so a fixed window can be told from it
    "__interval": "1m",
    "__range": "6h",
    "__range_s": "21600",
    "__range_ms": "21600000",
    "__interval_ms": "60000",
    "__auto": "1m",
}
_VARIABLE_RE = re.compile(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\[\[([A-Za-z_]\w*)(?::\w+)?\]\]|\$([A-Za-z_]\w*)")
RATE_INTERVAL_SENTINEL = timedelta(minutes=7, seconds=13)
RECORDING_NAME_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_:]*$")

COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase", "resets"})
GAUGE_FUNCTIONS = frozenset({"deriv", "predict_linear", "delta", "idelta"})
_NO_LABEL_FUNCTIONS = frozenset(
    {
        "vector",
        "time",
        "pi",
        "scalar",
        "absent",
        "absent_over_time",
        "day_of_month",
        "day_of_week",
        "day_of_year",
        "days_in_month",
        "hour",
        "minute",
        "month",
        "year",
    }
)


def expand_variables(expr: str, values: dict[str, str] | None = None, default: str = ".*") -> str:
    """Replace Grafana variables (`$v`, `${v}`, `${v:fmt}`, `[[v]]`) with values.

    Built-in interval variables get a representative duration; other variables get `values[name]`, or
    `default` (what "All" expands to with allValue `.*`).
    """
    values = values or {}

    def repl(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name in values:
            return values[name]
        if name in BUILTIN_VARIABLES:
            return BUILTIN_VARIABLES[name]
        return default

    return _VARIABLE_RE.sub(repl, expr)


def variables_used(expr: str) -> set[str]:
    """Names of Grafana variables referenced by an expression (built-ins included)."""
    return {m.group(1) or m.group(2) or m.group(3) for m in _VARIABLE_RE.finditer(expr)}


@lru_cache(maxsize=65536)
def parse(expr: str) -> pp.Expr:
    """Parse PromQL; raises ValueError with the parser's message. Cached: dashboards repeat queries."""
    return pp.parse(expr)


@dataclass
class Analysis:
    """What `analyze` found: problems (human-readable) and the result's labels (None for scalars)."""

    problems: list[str] = field(default_factory=list)
    labels: frozenset[str] | None = None
    metrics: set[str] = field(default_factory=set)
    functions: set[str] = field(default_factory=set)
    # (function, window) of every rate-like call; window None when it is Grafana's $__rate_interval
    ranges: list[tuple[str, timedelta | None]] = field(default_factory=list)


class _AnyLabels(frozenset):
    """Labels of a series the catalog does not know: every label check passes, to avoid follow-on noise."""

    def __contains__(self, item: object) -> bool:
        return True

    def __sub__(self, other: object) -> _AnyLabels:
        return self

    def __or__(self, other: object) -> _AnyLabels:
        return self


UNKNOWN = _AnyLabels()


class _Walker:
    def __init__(self, catalog: Catalog, recorded: dict[str, frozenset[str]]):
        self.catalog = catalog
        self.recorded = recorded
        self.result = Analysis()

    def problem(self, text: str) -> None:
        if text not in self.result.problems:
            self.result.problems.append(text)

    # Each visit returns the labels of the node's result, or None for scalars and strings.
    def visit(self, node: pp.Expr) -> frozenset[str] | None:
        if isinstance(node, pp.VectorSelector):
            return self.selector(node)
        if isinstance(node, pp.MatrixSelector):
            return self.selector(node.vector_selector)
        if isinstance(node, pp.Call):
            return self.call(node)
        if isinstance(node, pp.AggregateExpr):
            return self.aggregate(node)
        if isinstance(node, pp.BinaryExpr):
            return self.binary(node)
        if isinstance(node, (pp.ParenExpr, pp.UnaryExpr, pp.SubqueryExpr)):
            return self.visit(node.expr)
        return None  # NumberLiteral, StringLiteral

    def selector(self, vs: pp.VectorSelector) -> frozenset[str]:
        name = vs.name
        matchers = list(vs.matchers.matchers)
        if not name:
            names = [m.value for m in matchers if m.name == "__name__" and m.op == pp.MatchOp.Equal]
            name = names[0] if names else None
        if not name:
            self.problem("selector without a metric name cannot be checked against the catalog")
            return frozenset()
        self.result.metrics.add(name)
        labels = self.series_labels(name)
        if labels is None:
            return UNKNOWN
        for m in matchers:
            if m.name != "__name__" and m.name not in labels:
                self.problem(f"label '{m.name}' does not exist on {name} (it has: {', '.join(sorted(labels))})")
        return labels

    def series_labels(self, name: str) -> frozenset[str] | None:
        series = self.catalog.series(name)
        if series is not None:
            return series.labels
        if name in self.recorded:
            return self.recorded[name]
        if RECORDING_NAME_RE.match(name):
            self.problem(f"recording rule '{name}' does not exist")
            return None
        hint = self.catalog.closest(name)
        self.problem(
            f"unknown metric '{name}'"
            + (f" (did you mean '{hint}'?)" if hint else "")
            + ": not in the metric catalog and not produced by a recording rule"
        )
        return None

    def call(self, node: pp.Call) -> frozenset[str] | None:
        fname = node.func.name
        self.result.functions.add(fname)
        args = list(node.args)
        arg_labels = [self.visit(a) for a in args]
        if fname in COUNTER_FUNCTIONS | GAUGE_FUNCTIONS:
            self.check_range_function(fname, args[0])
        if fname == "histogram_quantile":
            inner = arg_labels[1] if len(arg_labels) > 1 else None
            if inner is not None and "le" not in inner:
                self.problem(
                    "histogram_quantile needs the 'le' label kept (aggregate with 'by (le, ...)' over a _bucket series)"
                )
            if not isinstance(inner, _AnyLabels) and not self.reads_buckets(args[1]):
                self.problem("histogram_quantile must read a histogram's _bucket series")
            return None if inner is None else inner - {"le"}
        if fname == "label_replace" and len(args) >= 2 and isinstance(args[1], pp.StringLiteral):
            base = arg_labels[0]
            return None if base is None else base | {args[1].val}
        if fname == "label_join" and len(args) >= 2 and isinstance(args[1], pp.StringLiteral):
            base = arg_labels[0]
            return None if base is None else base | {args[1].val}
        if fname in _NO_LABEL_FUNCTIONS:
            return None if fname in ("time", "pi", "scalar") else frozenset()
        vectors = [labels for labels in arg_labels if labels is not None]
        return vectors[0] if vectors else None

    def check_range_function(self, fname: str, arg: pp.Expr) -> None:
        if isinstance(arg, pp.MatrixSelector):
            vs = arg.vector_selector
            window = None if arg.range == RATE_INTERVAL_SENTINEL else arg.range
            self.result.ranges.append((fname, window))
            name = vs.name
            series = self.catalog.series(name) if name else None
            if fname in COUNTER_FUNCTIONS:
                if series is not None and not series.is_counter_like:
                    self.problem(
                        f"{fname}() on {name}, a {series.metric.type}: {fname} only makes sense on "
                        "counters and histogram _bucket/_sum/_count series"
                    )
                elif series is None and name in self.recorded:
                    self.problem(
                        f"{fname}() on recorded series {name}: recording rules output gauges; record the rate instead"
                    )

    def reads_buckets(self, node: pp.Expr) -> bool:
        found = False

        def pre(n: pp.Expr) -> None:
            nonlocal found
            vs = n.vector_selector if isinstance(n, pp.MatrixSelector) else n
            if isinstance(vs, pp.VectorSelector) and vs.name:
                if vs.name.endswith("_bucket") or "le" in self.recorded.get(vs.name, frozenset()):
                    found = True

        pp.walk(node, pre, None)
        return found

    def aggregate(self, node: pp.AggregateExpr) -> frozenset[str] | None:
        op = str(node.op)
        inner = self.visit(node.expr)
        if node.param is not None:
            self.visit(node.param)
        if inner is None:
            return frozenset()
        if isinstance(inner, _AnyLabels):
            return inner
        mod = node.modifier
        grouping = list(mod.labels) if mod is not None else []
        if mod is not None and mod.type == pp.AggModifierType.By:
            missing = [label for label in grouping if label not in inner]
            for label in missing:
                self.problem(
                    f"{op} by ({', '.join(grouping)}): label '{label}' does not exist on the "
                    f"aggregated series (they have: {', '.join(sorted(inner)) or 'no labels'})"
                )
            result = frozenset(grouping)
        elif mod is not None:  # without
            result = inner - frozenset(grouping)
        else:
            result = frozenset()
        if op in ("topk", "bottomk", "limitk", "limit_ratio"):
            return inner
        if op == "count_values" and isinstance(node.param, pp.StringLiteral):
            return result | {node.param.val}
        return result

    def binary(self, node: pp.BinaryExpr) -> frozenset[str] | None:
        left = self.visit(node.lhs)
        right = self.visit(node.rhs)
        if left is None:
            return right
        if right is None:
            return left
        if isinstance(left, _AnyLabels) or isinstance(right, _AnyLabels):
            return UNKNOWN
        op = str(node.op)
        mod = node.modifier
        matching = mod.matching if mod is not None else None
        on = matching is not None and matching.type == pp.LabelModifierType.Include
        match_labels = list(matching.labels) if matching is not None else []
        for label in match_labels:
            if label not in left or label not in right:
                side = "left" if label not in left else "right"
                self.problem(f"vector matching on '{label}': the {side}-hand side has no such label")
        if op in ("and", "unless"):
            return left
        if op == "or":
            return left | right
        card = mod.card if mod is not None else None
        include = frozenset(mod.group_labels if mod is not None and mod.group_labels else ())
        if card == pp.VectorMatchCardinality.OneToMany:
            return right | include
        if card == pp.VectorMatchCardinality.ManyToOne:
            return left | include
        if on:
            return frozenset(match_labels)
        return left - frozenset(match_labels)


def analyze(expr: str, catalog: Catalog, recorded: dict[str, frozenset[str]] | None = None) -> Analysis:
    """Parse an already-expanded PromQL expression and check it against the catalog."""
    try:
        tree = parse(expr)
    except ValueError as exc:
        return Analysis(problems=[f"does not parse: {exc}"])
    walker = _Walker(catalog, recorded or {})
    walker.result.labels = walker.visit(tree)
    return walker.result


def has_comparison(expr: str) -> bool:
    """True when the top of the expression filters (a comparison without `bool`, or and/unless)."""
    node = parse(expr)
    while isinstance(node, pp.ParenExpr):
        node = node.expr
    if not isinstance(node, pp.BinaryExpr):
        return False
    op = str(node.op)
    if op in ("and", "unless"):
        return True
    if op == "or":
        return has_comparison(str(node.lhs)) and has_comparison(str(node.rhs))
    return op in ("==", "!=", ">", "<", ">=", "<=") and not (node.modifier is not None and node.modifier.return_bool)


def prettify(expr: str) -> str:
    """Multi-line PromQL for reviewers; falls back to the input when it does not parse."""
    try:
        return parse(expr).prettify()
    except ValueError:
        return expr


_SCOPE_MARK = "agscope_"


def scope_mismatches(expr: str) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """Series in one expression filtered by different dashboard variables: (series, its variables, the
    variables of the first series) for each that differs.

    A ratio, difference or fallback (`or`) over series with different filters mixes scopes: with one model
    selected, all models' errors divided by that model's requests. Every series of a query must follow the
    same variables (and a variable that one of them cannot follow is dropped from all: `queries.ratio`).
    """
    names = variables_used(expr) - set(BUILTIN_VARIABLES)
    marked = expand_variables(expr, {n: f"{_SCOPE_MARK}{n}" for n in names})
    scopes: list[tuple[str, frozenset[str]]] = []
    lookups: set[str] = set()  # the "one" side of a group_left/group_right join: a lookup table (e.g. prices)

    def pre(node: pp.Expr) -> None:
        if isinstance(node, pp.BinaryExpr) and node.modifier is not None:
            card = str(node.modifier.card)
            one = node.rhs if card.endswith("ManyToOne") else node.lhs if card.endswith("OneToMany") else None
            if one is not None:
                pp.walk(one, lambda n: lookups.add(str(n)) if isinstance(n, pp.VectorSelector) else None, None)
        if isinstance(node, pp.VectorSelector) and str(node) not in lookups:
            values = " ".join(str(m.value) for m in node.matchers.matchers)
            scopes.append((node.name or str(node), frozenset(n for n in names if f"{_SCOPE_MARK}{n}" in values)))

    pp.walk(parse(marked), pre, None)
    if not scopes:
        return []
    first_name, first = scopes[0]
    return [(name, scope, first) for name, scope in scopes[1:] if scope != first]


_OPS = ((pp.MatchOp.Equal, "="), (pp.MatchOp.NotEqual, "!="), (pp.MatchOp.Re, "=~"), (pp.MatchOp.NotRe, "!~"))


def _op(op: Any) -> str:
    return next(text for value, text in _OPS if op == value)


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every series selector of `expr` (variables already expanded): (metric name, [(label, op, value)]),
    in order of appearance, each once. Selectors without a metric name are left out."""
    found: list[tuple[str, list[tuple[str, str, str]]]] = []

    def walk(node: Any) -> None:
        if isinstance(node, pp.MatrixSelector):
            node = node.vector_selector
        if isinstance(node, pp.VectorSelector):
            matchers = [(m.name, _op(m.op), m.value) for m in node.matchers.matchers if m.name != "__name__"]
            names = [m.value for m in node.matchers.matchers if m.name == "__name__" and m.op == pp.MatchOp.Equal]
            name = node.name or (names[0] if names else "")
            if name and (name, matchers) not in found:
                found.append((name, matchers))
            return
        for child in ("expr", "lhs", "rhs", "param"):
            if getattr(node, child, None) is not None:
                walk(getattr(node, child))
        for arg in getattr(node, "args", None) or []:
            walk(arg)

    walk(parse(expr))
    return found
