"""`agentgrafana` command line. Exit codes: 0 ok, 1 findings or failures, 2 usage or configuration error."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, TextIO

from . import catalog as catalog_mod
from . import config as config_mod
from .discovery import ContentError
from .lint import ValidationFailed
from .model import Build
from .pipeline import build
from .writer import compare, write_tree

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG = "monitoring.yaml"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help=f"configuration file (default: ./{DEFAULT_CONFIG} if present, "
                                    "else built-in defaults)")
    p.add_argument("--root", default=".", help="folder holding dashboards/, alerts/, recording_rules/")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="agentgrafana", description="Grafana dashboards, alerts and recording "
                                 "rules as code for AI-agent platforms.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="validate, then write every output file")
    _common(g)
    g.add_argument("--out", default="generated", help="output folder (default: generated)")
    g.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")

    v = sub.add_parser("validate", help="validate content and configuration; write nothing")
    _common(v)
    v.add_argument("--format", choices=("text", "json"), default="text")

    c = sub.add_parser("catalog", help="print the metric catalog as a Markdown table")
    c.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sub.add_parser("config-reference", help="print every configuration key with its default")

    d = sub.add_parser("diff", help="what a change does: against a git revision (--base) or a live Grafana "
                                    "(--url)", conflict_handler="resolve")
    _grafana_args(d, push=False)  # first: diff's own --format (with markdown) replaces the client's
    _common(d)
    d.add_argument("--base", help="git revision to compare the fresh build with (its committed generated/)")
    d.add_argument("--old", type=Path, help="compare two output folders: OLD ...")
    d.add_argument("--new", type=Path, help="... and NEW (default: a fresh build)")
    d.add_argument("--format", choices=("markdown", "text", "json"), default="text")

    p = sub.add_parser("push", help="apply the build to a Grafana over its HTTP API")
    _common(p)
    _grafana_args(p, push=True)

    pv = sub.add_parser("preview", help="draw one PNG per dashboard")
    _common(pv)
    pv.add_argument("--out", type=Path, default=Path("preview"), help="output folder (default: preview)")
    pv.add_argument("--base", help="highlight panels changed since this git revision")
    pv.add_argument("--data", type=Path, help="query results recorded by the live check (JSON)")
    return ap


def _grafana_args(p: argparse.ArgumentParser, push: bool) -> None:
    """Connection flags from the Grafana client (`--url`, token from the environment, TLS, timeouts)."""
    from .grafana import commands

    commands.add_connection_arguments(p)
    if push:
        commands.add_push_arguments(p)


def load_config(args: argparse.Namespace) -> config_mod.Config:
    path = args.config
    if path is None and (Path(args.root) / DEFAULT_CONFIG).is_file():
        path = Path(args.root) / DEFAULT_CONFIG
    return config_mod.load(path)


def load_build(args: argparse.Namespace) -> Build:
    return build(load_config(args), Path(args.root).resolve())


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    handler: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
        "generate": cmd_generate, "validate": cmd_validate, "catalog": cmd_catalog,
        "config-reference": cmd_config_reference, "diff": cmd_diff, "push": cmd_push, "preview": cmd_preview,
    }
    try:
        return handler[args.command](args, out, err)
    except config_mod.ConfigError as exc:
        print(f"configuration error: {exc}", file=err)
        return EXIT_USAGE
    except ContentError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_FINDINGS
    except ValidationFailed as exc:
        if getattr(args, "format", "text") == "json":
            print(json.dumps([f.to_dict() for f in exc.findings], indent=2, sort_keys=True), file=out)
        else:
            for f in exc.findings:
                print(f.text(), file=err)
            print(f"\n{len(exc.findings)} problem(s); nothing was written.", file=err)
        return EXIT_FINDINGS


def cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = load_build(args)
    out_dir = Path(args.out)
    if args.check:
        changes = compare(out_dir, result.files)
        if changes.clean:
            print(f"{out_dir}/ is up to date ({changes.unchanged} files).", file=out)
            return EXIT_OK
        for label, paths in (("stale", changes.changed), ("missing", changes.added),
                             ("not generated any more", changes.removed)):
            for path in paths:
                print(f"{label}: {out_dir}/{path}", file=err)
        print(f"{out_dir}/ differs from a fresh generation: run `make generate` and commit the result.", file=err)
        return EXIT_FINDINGS
    changes = write_tree(out_dir, result.files)
    print(f"{len(result.dashboards)} dashboards, {len(result.alerts)} alerts, {len(result.recording_rules)} "
          f"recording rules -> {out_dir}/: {len(changes.added)} added, {len(changes.changed)} updated, "
          f"{len(changes.removed)} removed, {changes.unchanged} unchanged.", file=out)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = load_build(args)
    if args.format == "json":
        print("[]", file=out)
    else:
        print(f"ok: {len(result.dashboards)} dashboards, {len(result.alerts)} alerts, "
              f"{len(result.recording_rules)} recording rules, no problems.", file=out)
    return EXIT_OK


def cmd_catalog(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.format == "json":
        rows = [{"name": m.name, "type": m.type, "unit": m.unit, "labels": list(m.labels), "help": m.help,
                 "source": m.source, "buckets": list(m.buckets)} for m in catalog_mod.CATALOG]
        print(json.dumps(rows, indent=2), file=out)
    else:
        out.write(catalog_mod.to_markdown(catalog_mod.CATALOG))
    return EXIT_OK


def cmd_config_reference(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    print("| key | default | meaning |\n|---|---|---|", file=out)
    for key, default, doc in config_mod.reference():
        print(f"| `{key}` | `{default}` | {doc} |", file=out)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.url:
        from .grafana import commands

        cfg = load_config(args)
        return commands.plan_command(args, build(cfg, Path(args.root).resolve()),
                                     disable_provenance=cfg.grafana.disable_provenance, stdout=out, stderr=err)
    from . import review

    return review.diff_command(args, load_build, out, err)


def cmd_push(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .grafana import commands

    cfg = load_config(args)
    return commands.push_command(args, build(cfg, Path(args.root).resolve()),
                                 disable_provenance=cfg.grafana.disable_provenance, stdout=out, stderr=err)


def cmd_preview(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import preview

    return preview.preview_command(args, load_build, out, err)


if __name__ == "__main__":
    sys.exit(main())
