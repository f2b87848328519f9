"""`agentgrafana verify-live`: run the live check of a build on a real Prometheus and print the report.

Exit codes: 0 every panel has data and every alert behaves, 1 dead panels/rules or wrong alerts (or a failed
step), 2 a missing tool (usage and configuration errors are the CLI's).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ..config import Config
    from ..model import Build

INSTALL_HINT = "install Debian's prometheus package: sudo apt-get update && sudo apt-get install -y prometheus"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--keep-going",
        action="store_true",
        help="report a failed recording-rule backfill and run the remaining checks instead of stopping",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=Path("build/live-results.json"),
        help="where to record the panel query results for previews (default: build/live-results.json)",
    )
    p.add_argument("--end", type=int, help="end of the simulated window, unix seconds (default: the last full hour)")
    p.add_argument("--prometheus", default="prometheus", help="prometheus binary")
    p.add_argument("--promtool", default="promtool", help="promtool binary")


def missing_tool(args: argparse.Namespace) -> str | None:
    """A one-line error when prometheus or promtool cannot be found, else None."""
    for tool in (args.prometheus, args.promtool):
        if shutil.which(tool) is None:
            return f"error: {tool} not found; {INSTALL_HINT}"
    return None


def verify_live(args: argparse.Namespace, build: Build, config: Config, out: TextIO, err: TextIO) -> int:
    from .check import run, write_results  # the simulator and the Prometheus runner load only here
    from .prometheus import PrometheusError
    from .simulator import SimOptions

    try:
        report = run(build, config, args.prometheus, args.promtool, SimOptions(), args.end, args.keep_going)
    except PrometheusError as exc:
        print(f"error: {exc}", file=err)
        return 1
    print(report.text(), file=out)
    if args.results:
        write_results(report, args.results)
        print(f"query results recorded in {args.results}", file=out)
    return 0 if report.ok else 1
