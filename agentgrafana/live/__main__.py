"""`python -m agentgrafana.live`: build, run the live check on a real Prometheus, print the report.

Exit codes: 0 every panel has data and every alert behaves, 1 dead panels/rules or wrong alerts (or a failed
step), 2 usage, configuration or missing-tool errors.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..config import ConfigError
from ..config import load as load_config
from ..discovery import ContentError
from ..lint import ValidationFailed
from ..pipeline import build
from .check import run, write_results
from .prometheus import PrometheusError
from .simulator import SimOptions

DEFAULT_CONFIG = "monitoring.yaml"
INSTALL_HINT = "install Debian's prometheus package: sudo apt-get update && sudo apt-get install -y prometheus"


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m agentgrafana.live", description="Build, then prove every panel, recording rule and alert on a real Prometheus "
                                 "with simulated traffic.")
    ap.add_argument("--config", help=f"configuration file (default: <root>/{DEFAULT_CONFIG} if present)")
    ap.add_argument("--root", default=".", help="folder holding dashboards/, alerts/, recording_rules/")
    ap.add_argument("--keep-going", action="store_true",
                    help="report a failed recording-rule backfill and run the remaining checks instead of stopping")
    ap.add_argument("--results", type=Path, default=Path("build/live-results.json"),
                    help="where to record the panel query results for previews (default: build/live-results.json)")
    ap.add_argument("--end", type=int, help="end of the simulated window, unix seconds (default: the last full hour)")
    ap.add_argument("--prometheus", default="prometheus", help="prometheus binary")
    ap.add_argument("--promtool", default="promtool", help="promtool binary")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    root = Path(args.root).resolve()
    config_path = args.config or (root / DEFAULT_CONFIG if (root / DEFAULT_CONFIG).is_file() else None)
    for tool in (args.prometheus, args.promtool):
        if shutil.which(tool) is None:
            print(f"error: {tool} not found; {INSTALL_HINT}", file=sys.stderr)
            return 2
    try:
        config = load_config(config_path)
        the_build = build(config, root)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (ContentError, ValidationFailed) as exc:
        print(f"error: the build does not validate, run `agentgrafana validate`: {exc}", file=sys.stderr)
        return 1
    try:
        report = run(the_build, config, args.prometheus, args.promtool, SimOptions(), args.end, args.keep_going)
    except PrometheusError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.text())
    if args.results:
        write_results(report, args.results)
        print(f"query results recorded in {args.results}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
