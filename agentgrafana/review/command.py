"""`agentgrafana diff` without `--url`: the review of a change, from git (`--base`) or two folders."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from ..model import Build
from .compare import diff_files
from .render import render
from .report import Report
from .sources import SourceError, export_tree, read_dir, read_git

EXIT_OK, EXIT_USAGE = 0, 2
DEFAULT_CONFIG = "monitoring.yaml"
LoadBuild = Callable[[argparse.Namespace], Build]


def diff_command(args: argparse.Namespace, load_build: LoadBuild, out: TextIO, err: TextIO) -> int:
    """Print the report; exit 0 whether or not something changed (a review is not a check), 2 on bad input."""
    try:
        old, new = sources(args, load_build)
        if not old:
            print(f"note: nothing in {getattr(args, 'old', None)}: everything is reported as added", file=err)
        report = diff_files(old, new)
    except SourceError as exc:
        print(f"error: {exc}", file=err)
        if getattr(args, "format", None) == "json":
            error = {"kind": "source", "message": str(exc), "exit_code": EXIT_USAGE}
            out.write(json.dumps({"ok": False, "error": error}, indent=2, sort_keys=True) + "\n")
        return EXIT_USAGE
    out.write(render(report, getattr(args, "format", None) or "text"))
    return EXIT_OK


def review(args: argparse.Namespace, load_build: LoadBuild) -> Report:
    return diff_files(*sources(args, load_build))


def sources(args: argparse.Namespace, load_build: LoadBuild) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Old files: `--old DIR` or `generated/` at `--base`; new files: `--new DIR` or a fresh build."""
    base, old_dir, new_dir = getattr(args, "base", None), getattr(args, "old", None), getattr(args, "new", None)
    if base and old_dir:
        raise SourceError("give either --base REF or --old DIR, not both")
    if not base and not old_dir:
        raise SourceError("nothing to compare with: give --base REF (a git revision) or --old DIR")
    new = read_dir(Path(new_dir)) if new_dir else load_build(args).files
    if not base:
        return read_dir(Path(str(old_dir))), new
    return files_at(args, base, load_build), new


def files_at(args: argparse.Namespace, ref: str, load_build: LoadBuild) -> dict[str, bytes]:
    """`generated/` as committed at `ref`; when it was not committed, the content at `ref` built now."""
    root = Path(args.root)
    old = read_git(root, ref)
    if old:
        return old
    with tempfile.TemporaryDirectory(prefix="agentgrafana-base-") as tmp:
        old_root = export_tree(root, ref, Path(tmp))
        config = args.config
        if config is None and (old_root / DEFAULT_CONFIG).is_file():
            config = str(old_root / DEFAULT_CONFIG)
        try:
            return load_build(argparse.Namespace(**{**vars(args), "root": str(old_root), "config": config})).files
        except Exception as exc:  # content at ref that today's engine cannot build
            raise SourceError(
                f"generated/ is not committed at {ref} and its content does not build with this "
                f"version: {type(exc).__name__}: {exc}"
            ) from None
