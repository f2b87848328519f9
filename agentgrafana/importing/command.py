"""`agentgrafana import FILE...` and `agentgrafana import --check FILE...`.

Import writes one module per dashboard (never over a module it did not write), adds the metrics the catalog does
not know to the project's `catalog.yaml`, then builds: the lint findings of the imported dashboards are listed
(generation fails on them until they are fixed, or excluded with `--accept-findings REASON`, which writes them to
`lint-exclusions.yaml` with that reason). All files are written, or none.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import yaml

from ..board import OWNERSHIP_TAG
from ..lint import ValidationFailed
from ..lint import exclusions as exclusions_mod
from ..model import Build, panels_of
from ..sources import project
from . import codegen, compare, infer, migrate, read

EXIT_OK, EXIT_DIFFERENT, EXIT_USAGE = 0, 1, 2
UNKNOWN_METRIC = re.compile(r"(?:unknown metric|recording rule) '([^']+)'")

Builder = Callable[[argparse.Namespace], Build]
# Findings that would make the output wrong, not merely unidiomatic: Grafana keeps one dashboard per uid and
# one title per folder, so one of the two would silently replace the other.
NOT_EXCLUDABLE = ("dashboard-uid-unique", "dashboard-title-unique")


class ImportRefused(ValueError):
    """The import cannot be completed as asked; nothing was written."""


def import_command(args: argparse.Namespace, build: Builder, out: TextIO, err: TextIO) -> int:
    root = Path(args.root).resolve()
    try:
        found = [f for path in args.files for f in read.read(path)]
    except read.ImportFailed as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    try:
        return _run(args, root, build, found, out, err)
    except ImportRefused as exc:
        print(f"error: {exc}; nothing written", file=err)
        return EXIT_USAGE


def _run(args: argparse.Namespace, root: Path, build: Builder, found: list, out: TextIO, err: TextIO) -> int:
    dashboards = []
    for f in found:
        model, notes = migrate.migrate(f.model)
        dashboards.append((f, model, notes))
    uids = [m["uid"] for _, m, _ in dashboards]
    duplicate = next((u for u in uids if uids.count(u) > 1), None)
    if duplicate:
        print(f"error: two imported dashboards have the uid {duplicate!r}", file=err)
        return EXIT_USAGE
    if args.check:
        return _check(args, build, dashboards, out)
    return _import(args, root, build, dashboards, out, err)


# --- import ----------------------------------------------------------------------------------------------------
def _import(args: argparse.Namespace, root: Path, build: Builder, dashboards: list, out: TextIO, err: TextIO) -> int:
    folder = (args.out or root / "dashboards").resolve()
    writes: dict[Path, str] = {}
    for f, model, notes in dashboards:
        path = folder / f"{codegen.module_name(str(model.get('title') or model['uid']))}.py"
        if path in writes:
            path = folder / f"{codegen.module_name(model['uid'])}.py"
        if path.exists() and codegen.MARKER not in path.read_text(encoding="utf-8", errors="replace"):
            print(f"error: {path} exists and was not written by `agentgrafana import`; nothing written", file=err)
            return EXIT_USAGE
        try:
            writes[path] = codegen.module(model, _origin(f.origin, root), notes)
        except codegen.CodegenError as exc:
            print(f"error: {f.origin}: {exc}; nothing written", file=err)
            return EXIT_USAGE
    queries = [q for f, model, _ in dashboards for q in _queries(model, _origin(f.origin, root))]
    seen, unparsed = infer.observe(queries)
    before = _snapshot([*writes, root / project.FILE, root / exclusions_mod.FILE])
    try:
        _write_all(writes)
        modules = {p.relative_to(root).as_posix() if p.is_relative_to(root) else str(p) for p in writes}
        findings = _findings(args, build, modules)
        unknown = {m.group(1) for f in findings if (m := UNKNOWN_METRIC.search(f.message))}
        inference = infer.infer(unknown, seen)
        if inference.metrics:
            _add_metrics(root / project.FILE, inference.metrics)
            findings = _findings(args, build, modules)
        if findings and args.accept_findings:
            _add_exclusions(root / exclusions_mod.FILE, findings, args.accept_findings)
            findings = _findings(args, build, modules)
            if findings:
                raise RuntimeError(f"{len(findings)} finding(s) remain after excluding them")
    except Exception:
        _restore(before)
        raise
    for (f, model, notes), path in zip(dashboards, writes, strict=True):
        print(
            f"{f.origin} -> {_origin(str(path), root)} (uid {model['uid']}, {len(model.get('panels') or [])} panels)",
            file=out,
        )
        for note in notes:
            print(f"  {note}", file=out)
    if inference.metrics:
        print(f"{project.FILE}: {len(inference.metrics)} metric(s) added with source: imported", file=out)
    for line in unparsed + inference.review:
        print(f"  review: {line}", file=out)
    if findings:
        print(
            f"{len(findings)} lint finding(s) in the imported dashboards (generate fails until they are fixed or "
            "excluded: --accept-findings REASON):",
            file=out,
        )
        for finding in findings:
            print(
                f"  {finding.object} {finding.location}: {finding.message} ({finding.rule})".replace("  :", ":"),
                file=out,
            )
    elif args.accept_findings:
        print(f"{exclusions_mod.FILE}: the findings are excluded with the reason given; generate is clean", file=out)
    return EXIT_OK


def _origin(origin: str, root: Path) -> str:
    path, sep, rest = origin.partition(": ")
    p = Path(path).resolve()
    shown = p.relative_to(root).as_posix() if p.is_relative_to(root) else path
    return shown + sep + rest


def _queries(model: dict[str, Any], origin: str) -> list[tuple[str, str, str]]:
    return [
        (f"{origin}: panel {p.get('title')!r}", t["expr"], str(t.get("legendFormat") or ""))
        for p in panels_of(model)
        for t in p.get("targets") or []
        if codegen.is_promql(t, p, model)
    ]


def _findings(args: argparse.Namespace, build: Builder, modules: set[str]) -> list[Any]:
    try:
        build(args)
    except ValidationFailed as exc:
        mine = [f for f in exc.findings if f.file in modules]
        others = [f for f in exc.findings if f.file not in modules and f.rule != "lint-exclusion-unused"]
        clash = next((f for f in exc.findings if f.rule in NOT_EXCLUDABLE), None)
        if clash is not None:
            raise ImportRefused(
                f"{clash.file}: {clash.message} ({clash.rule}): an imported dashboard clashes with one of the "
                "project's; such a clash cannot be excluded: change the uid or title in the file, then import again"
            ) from None
        if others:
            raise ImportRefused(
                f"the project has {len(others)} finding(s) outside the imported dashboards; "
                f"fix them first (first: {others[0].file}: {others[0].message})"
            ) from None
        return mine
    return []


def _snapshot(paths: list[Path]) -> dict[Path, bytes | None]:
    return {p: (p.read_bytes() if p.exists() else None) for p in paths}


def _restore(before: dict[Path, bytes | None]) -> None:
    for path, content in before.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content)


def _write_all(writes: dict[Path, str]) -> None:
    for path, text in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".py.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def _add_metrics(path: Path, metrics: list[dict[str, Any]]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data if isinstance(data, dict) else {}
    existing = {m.get("name"): m for m in data.get("metrics") or [] if isinstance(m, dict)}
    for m in metrics:
        old = existing.get(m["name"])
        if old is not None and old.get("source") == "imported":
            old["labels"] = sorted(set(old.get("labels") or []) | set(m["labels"]))
        elif old is None:
            existing[m["name"]] = m
    data["metrics"] = list(existing.values())
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=200, default_flow_style=None), encoding="utf-8")


def _add_exclusions(path: Path, findings: list[Any], reason: str) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    data = data if isinstance(data, dict) else {}
    entries = list(data.get("exclusions") or [])
    have = {(e.get("rule"), e.get("object")) for e in entries if isinstance(e, dict)}
    for rule, obj in sorted({(f.rule, f.object) for f in findings}):
        if (rule, obj) not in have:
            entries.append({"rule": rule, "object": obj, "reason": reason})
    data["exclusions"] = entries
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=200), encoding="utf-8")


# --- check -----------------------------------------------------------------------------------------------------
def _check(args: argparse.Namespace, build: Builder, dashboards: list, out: TextIO) -> int:
    built = build(args)
    by_uid = {d.uid: d for d in built.dashboards}
    different = 0
    for f, model, _ in dashboards:
        d = by_uid.get(model["uid"])
        if d is None:
            print(f"{f.origin}: uid {model['uid']!r} is not in the build (not imported yet?)", file=out)
            different += 1
            continue
        diffs = compare.differences(compare.normalise(model, OWNERSHIP_TAG), compare.normalise(d.model, OWNERSHIP_TAG))
        if diffs:
            different += 1
            print(f"{f.origin}: {len(diffs)} difference(s) from {d.source}:", file=out)
            for line in diffs:
                print(f"  {line}", file=out)
        else:
            print(f"{f.origin}: the build's {d.uid} equals it (after normalisation)", file=out)
    return EXIT_DIFFERENT if different else EXIT_OK
