"""Catalog entries for the metrics an imported dashboard reads that the catalog does not know.

From the queries alone: `_bucket` read by `histogram_quantile` (or grouped by `le`) is a histogram (its `_sum`
and `_count` are part of it); a `_total` name, or a series under `rate`/`increase`/`irate`/`resets`, is a counter;
anything else a gauge. Labels are those the queries filter on, group by, match on or show in legends. Each entry
says `source: imported`; what could not be read is listed for the user to review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import promql_parser as pp

from .. import promql
from ..catalog import LABEL_NAME_RE

COUNTER_FUNCTIONS = {"rate", "irate", "increase", "resets"}
LEGEND_LABEL = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
SUFFIXES = ("_bucket", "_sum", "_count")


@dataclass
class Seen:
    """What the queries say about one series name."""

    labels: set[str] = field(default_factory=set)
    counted: bool = False  # under a counter function
    quantile_of: bool = False  # a _bucket read by histogram_quantile
    origins: set[str] = field(default_factory=set)


@dataclass
class Inference:
    metrics: list[dict[str, Any]]
    review: list[str]


def observe(queries: list[tuple[str, str, str]]) -> tuple[dict[str, Seen], list[str]]:
    """`queries`: (origin, PromQL, legend). Returns what each series name is used as, and unparsable queries."""
    seen: dict[str, Seen] = {}
    problems = []
    for origin, expr, legend in queries:
        try:
            tree = promql.parse(promql.expand_variables(expr))
        except ValueError as exc:
            problems.append(f"{origin}: query not parsed as PromQL, its metrics not inferred ({_short(exc)}): {expr}")
            continue
        extra = _grouping_labels(tree) | set(LEGEND_LABEL.findall(legend or ""))
        _walk(tree, seen, extra, origin, counted=False, quantile=False)
    return seen, problems


def infer(unknown: set[str], seen: dict[str, Seen]) -> Inference:
    """Entries for the `unknown` series names (whole histogram families where the buckets say so)."""
    families: dict[str, dict[str, Any]] = {}
    review = []
    histogram_bases = {
        n.removesuffix("_bucket")
        for n, s in seen.items()
        if n.endswith("_bucket") and (s.quantile_of or "le" in s.labels)
    }
    for name in sorted(unknown):
        s = seen.get(name)
        if s is None:
            review.append(f"{name}: named in a finding but not found in the queries; add it to catalog.yaml by hand")
            continue
        base = next((name.removesuffix(x) for x in SUFFIXES if name.endswith(x)), "")
        if base and base in histogram_bases:
            entry = families.setdefault(base, _entry(base, "histogram"))
            entry["labels"] |= s.labels - {"le"}
            entry["origins"] |= s.origins
            continue
        kind = "counter" if name.endswith("_total") or s.counted else "gauge"
        entry = families.setdefault(name, _entry(name, kind))
        entry["labels"] |= s.labels
        entry["origins"] |= s.origins
        if kind == "gauge" and name.endswith(SUFFIXES):
            review.append(f"{name}: read as a gauge (a summary's or histogram's part?); check its type")
    metrics = []
    for name, e in sorted(families.items()):
        origins = ", ".join(sorted(e["origins"]))
        odd = sorted(label for label in e["labels"] if not LABEL_NAME_RE.match(label) or label.startswith("__"))
        if odd:
            review.append(f"{name}: not label names, left out: {', '.join(odd)}")
        metrics.append(
            {
                "name": name,
                "type": e["type"],
                "unit": "short",
                "labels": sorted(set(e["labels"]) - set(odd)),
                "help": f"Imported from {origins}: type and labels inferred from its queries.",
                "source": "imported",
            }
        )
        if e["type"] == "histogram":
            review.append(f"{name}: a histogram; its buckets are unknown (add `buckets:` for the live check)")
    return Inference(metrics, review)


def _entry(name: str, kind: str) -> dict[str, Any]:
    return {"type": kind, "labels": set(), "origins": set()}


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:120]


def _grouping_labels(tree: Any) -> set[str]:
    """Labels an expression groups, matches or joins on: they exist on the series it reads."""
    labels: set[str] = set()

    def pre(node: Any) -> None:
        if isinstance(node, pp.AggregateExpr) and node.modifier is not None:
            labels.update(node.modifier.labels)
        if isinstance(node, pp.BinaryExpr) and node.modifier is not None:
            matching = node.modifier.matching
            if matching is not None:
                labels.update(matching.labels)
            labels.update(node.modifier.group_labels or ())
        if isinstance(node, pp.Call) and node.func.name in ("label_replace", "label_join"):
            # label_replace(v, dst, replacement, src, regex); label_join(v, dst, separator, src...)
            sources = list(node.args)[3:4] if node.func.name == "label_replace" else list(node.args)[3:]
            labels.update(a.val for a in sources if isinstance(a, pp.StringLiteral) and a.val)

    pp.walk(tree, pre, None)
    return {label for label in labels if label}


def _walk(node: Any, seen: dict[str, Seen], extra: set[str], origin: str, counted: bool, quantile: bool) -> None:
    if isinstance(node, pp.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, pp.VectorSelector):
        names = [m.value for m in node.matchers.matchers if m.name == "__name__" and m.op == pp.MatchOp.Equal]
        name = node.name or (names[0] if names else "")
        if not name:
            return
        s = seen.setdefault(name, Seen())
        s.labels |= {m.name for m in node.matchers.matchers if m.name != "__name__"} | extra
        s.counted |= counted
        s.quantile_of |= quantile and name.endswith("_bucket")
        s.origins.add(origin.split(":")[0])
        return
    if isinstance(node, pp.Call):
        fname = node.func.name
        for i, arg in enumerate(node.args):
            _walk(
                arg,
                seen,
                extra,
                origin,
                counted or fname in COUNTER_FUNCTIONS,
                quantile or (fname == "histogram_quantile" and i == 1),
            )
        return
    for child in ("expr", "lhs", "rhs", "param"):
        value = getattr(node, child, None)
        if value is not None:
            _walk(value, seen, extra, origin, counted, quantile)
