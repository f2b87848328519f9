"""Command-line glue for `agentgrafana diff --url` and `agentgrafana push`; the CLI module wires these in.

Exit codes: 0 done, 1 failures (including unreachable Grafana, rejected credentials and, for a push,
conflicts left unwritten), 2 usage or configuration errors.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import threading
from typing import TextIO

from agentgrafana.config import GrafanaConfig
from agentgrafana.grafana.apply import push
from agentgrafana.grafana.client import GrafanaError
from agentgrafana.grafana.plan import DEFAULT_MESSAGE, PushOptions
from agentgrafana.grafana.report import (
    ObjectResult,
    PushReport,
    render_json,
    render_markdown,
    render_result,
    summary_line,
)
from agentgrafana.grafana.settings import (
    SettingsError,
    add_connection_arguments,
    add_push_arguments,
    settings_from_args,
)
from agentgrafana.model import Build

__all__ = ["add_connection_arguments", "add_push_arguments", "plan_command", "push_command", "commit_message"]


def commit_message() -> str:
    """The dashboard version message: the current git commit when there is one."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return DEFAULT_MESSAGE
    sha = done.stdout.strip()
    return f"{DEFAULT_MESSAGE} {sha}" if done.returncode == 0 and sha else DEFAULT_MESSAGE


def plan_command(
    args: argparse.Namespace, build: Build, *, grafana: GrafanaConfig, stdout: TextIO, stderr: TextIO
) -> int:
    """Show what a push would create, update or delete, with a unified diff per changed object."""
    options = PushOptions(
        dry_run=True,
        prune=getattr(args, "prune", False),
        force=getattr(args, "force", False),
        disable_provenance=grafana.disable_provenance,
        api=grafana.api,
        namespace=grafana.namespace,
        schema=grafana.dashboard_schema,
    )
    return _run(args, build, options, stdout, stderr, diff_states=("update", "conflict"))


def push_command(
    args: argparse.Namespace, build: Build, *, grafana: GrafanaConfig, stdout: TextIO, stderr: TextIO
) -> int:
    """Push the build to Grafana (or only plan with --dry-run) and report per object."""
    options = PushOptions(
        dry_run=args.dry_run,
        prune=args.prune,
        force=args.force,
        disable_provenance=grafana.disable_provenance,
        message=commit_message(),
        api=grafana.api,
        namespace=grafana.namespace,
        schema=grafana.dashboard_schema,
    )
    return _run(args, build, options, stdout, stderr, diff_states=("conflict",))


def _run(
    args: argparse.Namespace,
    build: Build,
    options: PushOptions,
    stdout: TextIO,
    stderr: TextIO,
    *,
    diff_states: tuple[str, ...],
) -> int:
    try:
        settings = settings_from_args(args)
    except SettingsError as exc:
        print(f"agentgrafana: {exc}", file=stderr)
        if getattr(args, "format", "text") == "json":
            stdout.write(
                json.dumps({"ok": False, "error": {"kind": "settings", "message": str(exc), "exit_code": 2}}, indent=2)
                + "\n"
            )
        return 2
    fmt = settings.output_format
    lock = threading.Lock()

    def progress(result: ObjectResult) -> None:
        with lock:
            print(render_result(result, diffs=result.state in diff_states), file=stdout, flush=True)

    try:
        report: PushReport = push(build, settings, options, on_result=progress if fmt == "text" else None)
    except GrafanaError as exc:
        message = settings.scrub(str(exc))
        print(f"agentgrafana: {message}", file=stderr)
        if fmt == "json":
            stdout.write(json.dumps({"grafana": settings.url, "ok": False, "error": message}, indent=2) + "\n")
        return 1
    if fmt == "json":
        stdout.write(render_json(report))
    elif fmt == "markdown":
        stdout.write(render_markdown(report))
    else:
        print(summary_line(report), file=stdout)
    return report.exit_code
