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
    p.add_argument(
        "--engine",
        choices=("prometheus", "victoriametrics"),
        default="prometheus",
        help="the engine to prove it on: Prometheus, or VictoriaMetrics with vmalert (Debian's victoria-metrics)",
    )


def missing_tool(args: argparse.Namespace) -> str | None:
    """A one-line error when a tool the engine needs cannot be found, else None."""
    if getattr(args, "engine", "prometheus") == "victoriametrics":
        for tool in ("victoria-metrics", "vmalert"):
            if shutil.which(tool) is None:
                return f"error: {tool} not found; install Debian's victoria-metrics package"
        return None
    for tool in (args.prometheus, args.promtool):
        if shutil.which(tool) is None:
            return f"error: {tool} not found; {INSTALL_HINT}"
    return None


def verify_live(args: argparse.Namespace, build: Build, config: Config, out: TextIO, err: TextIO) -> int:
    from .check import run, write_results  # the simulator and the Prometheus runner load only here
    from .prometheus import PrometheusError
    from .simulator import SimOptions

    try:
        report = run(
            build, config, args.prometheus, args.promtool, SimOptions(), args.end, args.keep_going, args.engine
        )
    except PrometheusError as exc:
        print(f"error: {exc}", file=err)
        return 1
    print(report.text(), file=out)
    if args.results:
        write_results(report, args.results)
        print(f"query results recorded in {args.results}", file=out)
    return 0 if report.ok else 1


# --- agentgrafana doctor ---------------------------------------------------------------------------------------
DOCTOR_ENV = ("PROMETHEUS_URL", "PROMETHEUS_TOKEN", "PROMETHEUS_TOKEN_FILE", "PROMETHEUS_USER", "PROMETHEUS_PASSWORD")


def add_doctor_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prometheus", dest="url", help="the Prometheus to check (default: $PROMETHEUS_URL)")
    p.add_argument("--window", default="6h", help="how far back to look for data (default: 6h)")
    p.add_argument(
        "--scrape-interval", default="30s", help="the scrape interval there, for $__rate_interval (default: 30s)"
    )
    p.add_argument("--series-budget", type=int, default=10_000, help="series per metric family before a warning")
    p.add_argument("--label-budget", type=int, default=1_000, help="values per label before a warning")
    p.add_argument("--ca-bundle", help="CA bundle for Prometheus' TLS certificate")
    p.add_argument("--insecure-skip-verify", action="store_true", help="do not verify Prometheus' TLS certificate")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="send credentials over plain http:// to a host that is not loopback",
    )
    p.add_argument("--end", type=int, help="end of the window, unix seconds (default: now)")
    p.add_argument("--format", choices=("text", "json"), default="text", dest="format")


class DoctorUsage(ValueError):
    """Doctor cannot start: no URL, bad options or credentials that must not travel (exit 2)."""


def doctor_api(args: argparse.Namespace, environ: dict[str, str]):  # noqa: ANN201 - RemotePrometheus
    """The user's Prometheus with the credentials and TLS options of the environment and flags."""
    from urllib.parse import urlsplit

    import requests

    from ..grafana.settings import is_loopback, read_token_file
    from .prometheus import RemotePrometheus

    url = args.url or environ.get("PROMETHEUS_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DoctorUsage(
            f"--prometheus must be an http(s) URL, got {url!r}" if url else "--prometheus URL is required"
        )
    token = environ.get("PROMETHEUS_TOKEN") or None
    if not token and environ.get("PROMETHEUS_TOKEN_FILE"):
        token = read_token_file(environ["PROMETHEUS_TOKEN_FILE"])
    user, password = environ.get("PROMETHEUS_USER") or None, environ.get("PROMETHEUS_PASSWORD") or None
    if (token or user) and parts.scheme == "http" and not is_loopback(parts.hostname) and not args.allow_insecure_http:
        raise DoctorUsage(
            f"refusing to send credentials over plain http to {parts.hostname}: use https, or --allow-insecure-http"
        )
    session = requests.Session()
    session.trust_env = False
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    elif user:
        session.auth = (user, password or "")
    session.verify = False if args.insecure_skip_verify else (args.ca_bundle or True)
    session.headers["User-Agent"] = "agentgrafana-doctor"
    return RemotePrometheus(url, session)


def doctor(args: argparse.Namespace, build: Build, out: TextIO, err: TextIO, environ: dict[str, str]) -> int:
    """Exit 0 when everything is live, 1 when something is empty or broken, 2 on usage errors or no answer."""
    import json
    import time

    from ..secrets import credential_forms, scrub
    from .check import parse_duration
    from .doctor import run_doctor
    from .prometheus import QueryError

    secrets = credential_forms(
        environ.get("PROMETHEUS_TOKEN"), environ.get("PROMETHEUS_USER"), environ.get("PROMETHEUS_PASSWORD")
    )

    def fail(code: int, message: str) -> int:
        message = scrub(" ".join(message.split()), secrets)
        print(f"error: {message}", file=err)
        if args.format == "json":
            print(json.dumps({"ok": False, "error": message, "exit_code": code}, indent=2), file=out)
        return code

    window, scrape = int(parse_duration(args.window)), int(parse_duration(args.scrape_interval))
    if window <= 0 or scrape <= 0:
        return fail(
            2,
            f"--window and --scrape-interval must be durations such as 6h and 30s, "
            f"got {args.window!r}, {args.scrape_interval!r}",
        )
    try:
        api = doctor_api(args, environ)
        secrets += [api.session.headers.get("Authorization", "")]
        api.api_get("status/buildinfo", {})  # reachable, and Prometheus
    except DoctorUsage as exc:
        return fail(2, str(exc))
    except QueryError as exc:
        return fail(2, f"Prometheus at {args.url or environ.get('PROMETHEUS_URL')} did not answer: {exc}")
    try:
        report = run_doctor(
            build,
            api,
            args.end or int(time.time()),
            window,
            scrape,
            series_budget=args.series_budget,
            label_budget=args.label_budget,
        )
    except QueryError as exc:
        return fail(2, f"Prometheus at {api.url} failed a query: {exc}")
    if args.format == "json":
        out.write(scrub(json.dumps(report.to_dict(), indent=2, sort_keys=True), secrets) + "\n")
    else:
        print(scrub(report.text(), secrets), file=out)
    return report.exit_code
