"""PromQL validation throughput: expressions per second through `expand_variables` + `analyze`.

Cold: the parse cache is emptied before each pass, so every expression is parsed. Cached: the same
expressions again with the cache warm (what a dashboard set that repeats its queries mostly sees).
"""

from __future__ import annotations

import time
from typing import Any

from agentgrafana import promql
from agentgrafana.catalog import CATALOG
from agentgrafana.model import Build


def corpus(build: Build) -> list[str]:
    """Every distinct PromQL expression of a build: dashboard targets, alerts, recording rules."""
    exprs: set[str] = set()
    for d in build.dashboards:
        for panel in d.model.get("panels") or []:
            for target in panel.get("targets") or []:
                ds = target.get("datasource") or panel.get("datasource") or {}
                if isinstance(ds, dict) and ds.get("type") == "prometheus" and target.get("expr"):
                    exprs.add(str(target["expr"]))
    for a in build.alerts:
        exprs.update((a.expr, a.prometheus_expr))
    exprs.update(r.expr for r in build.recording_rules)
    return sorted(exprs)


def _validate_all(exprs: list[str], recorded: dict[str, frozenset[str]]) -> None:
    for expr in exprs:
        promql.analyze(promql.expand_variables(expr), CATALOG, recorded)


def measure(exprs: list[str], recorded: dict[str, frozenset[str]], min_seconds: float) -> dict[str, Any]:
    """Expressions per second, cold and cached, each over passes lasting at least `min_seconds` in all."""
    out: dict[str, Any] = {"expressions": len(exprs)}
    for mode in ("cold", "cached"):
        if mode == "cached":
            _validate_all(exprs, recorded)  # warm the cache
        done, started = 0, time.perf_counter()
        while True:
            if mode == "cold":
                promql.parse.cache_clear()
            _validate_all(exprs, recorded)
            done += len(exprs)
            elapsed = time.perf_counter() - started
            if elapsed >= min_seconds:
                break
        out[f"{mode}_per_second"] = done / elapsed
    return out
