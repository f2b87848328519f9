"""Push N generated dashboards to the Grafana API double (tests/grafana_double.py) with injected latency.

The build is the scale scenario sized to N dashboards (the built-in set plus per-tenant copies, each tenant
in its own folder), with every alert rule group. First push onto an empty Grafana, then the same build
again: that second push must write nothing.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from agentgrafana.config import from_mapping
from agentgrafana.grafana import PushOptions, push
from agentgrafana.grafana.settings import GrafanaSettings
from agentgrafana.model import Build
from agentgrafana.pipeline import build
from scale import REPO, tenant_config

sys.path.insert(0, str(REPO / "tests"))
from grafana_double import GrafanaDouble  # noqa: E402  (a test helper, not part of the package)

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
METHODS = ("GET", "POST", "PUT", "DELETE")


def build_with(dashboards: int) -> Build:
    """The scale scenario with exactly `dashboards` dashboards."""
    core = len(build(from_mapping(tenant_config(0)), REPO).dashboards)
    result = build(from_mapping(tenant_config(max(dashboards - core, 0))), REPO)
    if len(result.dashboards) != dashboards:
        raise ValueError(f"cannot make {dashboards} dashboards: the built-in set alone has {core}")
    return result


def _direct() -> None:
    """Talk to 127.0.0.1 directly whatever proxy the environment names (this process only)."""
    for name in PROXY_VARIABLES:
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "*"


def measure(dashboards: int, latency: float) -> dict[str, Any]:
    _direct()
    the_build = build_with(dashboards)
    out: dict[str, Any] = {"dashboards": len(the_build.dashboards), "folders": len(the_build.folders),
                           "rule_groups": len(the_build.grafana_rule_groups), "latency_s": latency}
    with GrafanaDouble(latency=latency) as double:
        settings = GrafanaSettings(url=double.url, token=double.token)
        for run in ("first", "noop"):
            double.reset_log()
            started = time.perf_counter()
            report = push(the_build, settings, PushOptions())
            out[f"{run}_s"] = time.perf_counter() - started
            if report.exit_code != 0:
                raise RuntimeError(f"{run} push failed: " + "; ".join(
                    f"{r.key}: {r.detail}" for r in report.results if r.state == "failed")[:2000])
            seen = {m: sum(1 for r in double.requests if r.method == m) for m in METHODS}
            out[f"{run}_requests"] = seen
            out[f"{run}_writes"] = len(double.writes())
            out[f"{run}_states"] = _count(r.state for r in report.results)
        if double.errors:
            raise RuntimeError(f"the double reported errors: {double.errors[:3]}")
    return out


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items()))


if __name__ == "__main__":  # python bench/push_double.py [dashboards] [latency]
    import json

    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200,
                             float(sys.argv[2]) if len(sys.argv) > 2 else 0.02), indent=2))
