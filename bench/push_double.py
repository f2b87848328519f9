"""Push N generated dashboards to the Grafana API double (tests/grafana_double.py) with injected latency.

The build is the scale scenario sized to N dashboards (the built-in set plus per-tenant copies, each tenant
in its own folder), with every alert rule group. First push onto an empty Grafana, then the same build
again: that second push must write nothing. The double runs in its own process (bench/double_server.py),
as Grafana would, so its work is not counted as the client's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from procs import PYTHON
from scale import REPO, tenant_config

from agentgrafana.config import from_mapping
from agentgrafana.grafana import PushOptions, push
from agentgrafana.grafana.settings import GrafanaSettings
from agentgrafana.model import Build
from agentgrafana.pipeline import build

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


class DoubleProcess:
    """bench/double_server.py as a child process; `ask` sends one command and reads its JSON answer."""

    def __init__(self, latency: float):
        self.proc = subprocess.Popen(
            [PYTHON, str(REPO / "bench" / "double_server.py"), "--latency", str(latency)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the Grafana double exited early")
        return json.loads(line)

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._read()

    def __enter__(self) -> DoubleProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure(dashboards: int, latency: float) -> dict[str, Any]:
    _direct()
    the_build = build_with(dashboards)
    out: dict[str, Any] = {
        "dashboards": len(the_build.dashboards),
        "folders": len(the_build.folders),
        "rule_groups": len(the_build.grafana_rule_groups),
        "latency_s": latency,
    }
    with DoubleProcess(latency) as double:
        settings = GrafanaSettings(url=double.hello["url"], token=double.hello["token"])
        out["concurrency"] = settings.concurrency  # the default, as a user would push
        for run in ("first", "noop"):
            double.ask("reset")
            started = time.perf_counter()
            report = push(the_build, settings, PushOptions())
            out[f"{run}_s"] = time.perf_counter() - started
            if report.exit_code != 0:
                raise RuntimeError(
                    f"{run} push failed: "
                    + "; ".join(f"{r.key}: {r.detail}" for r in report.results if r.state == "failed")[:2000]
                )
            stats = double.ask("stats")
            if stats["errors"]:
                raise RuntimeError(f"the double reported errors: {stats['errors']}")
            out[f"{run}_requests"] = {m: stats["requests"].get(m, 0) for m in METHODS}
            out[f"{run}_writes"] = stats["writes"]
            out[f"{run}_client_requests"] = dict(report.requests)
            out[f"{run}_states"] = _count(r.state for r in report.results)
    return out


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items()))


if __name__ == "__main__":  # python bench/push_double.py [dashboards] [latency]
    print(
        json.dumps(
            measure(int(sys.argv[1]) if len(sys.argv) > 1 else 200, float(sys.argv[2]) if len(sys.argv) > 2 else 0.02),
            indent=2,
        )
    )
