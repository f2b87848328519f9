"""Review a monitoring change: a semantic diff of two generated file sets, for a terminal or a pull request.

`diff_files(old, new)` compares two `dict[path, bytes]` (paths relative to generated/) and returns a `Report`:
dashboards added/removed/changed (panels added, removed, moved, retitled; queries, units, thresholds,
variables), alert rules (a Prometheus alert and its Grafana-managed twin are told as one) and recording rules.
`render(report, "text" | "markdown" | "json")` formats it; `diff_command` is the CLI entry point.
"""

from __future__ import annotations

from .command import diff_command, review
from .compare import diff_files
from .render import render, to_markdown, to_text
from .report import Detail, Entry, Report
from .sources import SourceError, read_dir, read_git

__all__ = [
    "Detail",
    "Entry",
    "Report",
    "SourceError",
    "diff_command",
    "diff_files",
    "read_dir",
    "read_git",
    "render",
    "review",
    "to_markdown",
    "to_text",
]
