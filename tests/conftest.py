"""Shared fixtures: the project root on sys.path, promtool/prometheus discovery that fails in CI."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

INSTALL_HINT = (
    "install Debian's packages: sudo apt-get update && "
    "sudo apt-get install -y prometheus prometheus-alertmanager victoria-metrics nodejs"
)


def _require_binary(name: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is missing in CI; .ci/run must install it ({INSTALL_HINT})")
    pytest.skip(f"{name} not found; {INSTALL_HINT}")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def promtool() -> str:
    """Path to promtool; skips locally with install instructions, fails when CI=true."""
    return _require_binary("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    """Path to amtool (Debian's prometheus-alertmanager); skips locally with install instructions, fails in CI."""
    return _require_binary("amtool")


@pytest.fixture(scope="session")
def prometheus_binary() -> str:
    """Path to the prometheus server binary; skips locally with install instructions, fails when CI=true."""
    return _require_binary("prometheus")


@pytest.fixture(scope="session")
def victoriametrics() -> tuple[str, str]:
    """Paths to victoria-metrics and vmalert (Debian's victoria-metrics); skips locally, fails in CI."""
    return _require_binary("victoria-metrics"), _require_binary("vmalert")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def default_build():
    """The shipped content with the shipped monitoring.yaml, built once per test run (read-only: do not mutate)."""
    from agentgrafana import config as config_mod
    from agentgrafana.pipeline import build

    return build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)


NODE_MODULES = ROOT / ".cache" / "node" / "node_modules"


@pytest.fixture(scope="session")
def traceql_parse():
    """Grafana's TraceQL grammar through node: `parse(queries) -> [None | {"at", "near"}]`.

    The packages are fetched by `make test` (tests/node/fetch.py), never by a test; missing ones skip locally
    with a hint and fail when CI=true.
    """
    import json
    import subprocess

    node = _require_binary("node")
    if not (NODE_MODULES / "@grafana" / "lezer-traceql" / "package.json").is_file():
        message = "the TraceQL grammar is not installed: run `make test` or `.venv/bin/python tests/node/fetch.py`"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)

    def parse(queries: list[str]) -> list[dict | None]:
        done = subprocess.run(
            [node, str(ROOT / "tests" / "node" / "traceql.cjs")],
            input=json.dumps(queries),
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
            timeout=60,
        )
        return json.loads(done.stdout)

    return parse
