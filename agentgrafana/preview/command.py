"""`agentgrafana preview`: one PNG per dashboard of the build, in `--out`."""
from __future__ import annotations

import argparse
from pathlib import Path
from collections.abc import Callable
from typing import TextIO

from ..model import Build
from .data import DEFAULT_PATH, DataError, Queries, Results, load
from .layout import layout

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
LoadBuild = Callable[[argparse.Namespace], Build]


def preview_command(args: argparse.Namespace, load_build: LoadBuild, out: TextIO, err: TextIO) -> int:
    try:
        from .render import QUERYLESS, render_dashboard
    except ImportError:
        print("error: previews need matplotlib: pip install 'agentgrafana[preview]'", file=err)
        return EXIT_USAGE
    root = Path(getattr(args, "root", ".") or ".")
    try:
        results, queries, data_note = _results(getattr(args, "data", None), root)
    except DataError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    build = load_build(args)
    changed: dict[str, set[str]] = {}
    added: set[str] = set()
    base = getattr(args, "base", None)
    if base:
        from ..review import SourceError, diff_files
        from ..review.command import files_at

        try:
            report = diff_files(files_at(args, base, load_build), build.files)
        except SourceError as exc:
            print(f"error: {exc}", file=err)
            return EXIT_USAGE
        for e in report.section("dashboards"):
            changed[e.key] = {ref.removeprefix("panel:") for ref in e.panel_refs}
            if e.status == "added":  # a new dashboard: every panel is new
                added.add(e.key)
                model = next((d.model for d in build.dashboards if d.uid == e.key), {})
                changed[e.key] = {x.key for x in layout(model)}
    out_dir = Path(args.out)
    for d in sorted(build.dashboards, key=lambda d: d.uid):
        path = out_dir / f"{d.uid}.png"
        n = len(changed.get(d.uid) or ())
        note = f"new since {base}" if d.uid in added else (
            f"changed since {base}: {n} panel{'s' if n != 1 else ''} highlighted" if n else "")
        try:
            boxes = render_dashboard(
                d.model, path, results.get(d.uid), changed.get(d.uid), note=note, queries=queries.get(d.uid)
            )
        except OSError as exc:
            print(f"error: cannot write {exc.filename or path}: {exc.strerror or exc}", file=err)
            return EXIT_FAILED
        panels = [b for b in boxes if b.content != "row"]
        queried = [b for b in panels if b.content not in QUERYLESS]  # a text panel has no data to have
        with_data = sum(1 for b in queried if b.content not in ("placeholder", "changed-query"))
        stale = sum(1 for b in panels if b.content == "changed-query")
        lit = sum(1 for b in boxes if b.highlighted)
        s = "s" if len(panels) != 1 else ""
        extra = (f", {lit} highlighted" if lit else "") + (f", {stale} changed since the live check" if stale else "")
        print(f"{path}: {len(panels)} panel{s}, {with_data} of {len(queried)} with data{extra}", file=out)
    print(f"{len(build.dashboards)} preview(s) in {out_dir}/ ({data_note}).", file=out)
    return EXIT_OK


def _results(data: Path | None, root: Path) -> tuple[Results, Queries, str]:
    if data is not None:
        return (*load(Path(data)), f"data from {data}")
    default = root / DEFAULT_PATH
    if default.is_file():
        return (*load(default), f"data from {default}")
    return {}, {}, f"no query results: run the live check to record {DEFAULT_PATH}"
