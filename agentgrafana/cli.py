"""`agentgrafana` command line. Exit codes: 0 ok, 1 findings or failures, 2 usage or configuration error,
130 interrupted, 141 output closed (e.g. `| head`).

Every byte printed passes a scrubber holding the credentials of the environment, and `--format json`
prints JSON on every path, errors included. A failure is one line; `--debug` adds the traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

from . import catalog as catalog_mod
from . import config as config_mod
from . import fastpath
from .discovery import USER_INTERRUPT, ContentError, NoContent
from .lint import ValidationFailed
from .model import Build
from .pipeline import build
from .secrets import ScrubbingStream, environment_secrets
from .writer import OutputRefused, WriteFailed, compare, write_tree

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_PIPE = 0, 1, 2, 130, 141
DEFAULT_CONFIG = "monitoring.yaml"
DEFAULT_OUT = "generated"
_SECRET_FLAGS = ("--token", "--password", "--grafana-token", "--api-key")


class UsageError(Exception):
    """Flags that contradict each other, or a command used the wrong way (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse that never echoes an argument's value in an error (a pasted token must not be printed)."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments:"):
            words = message.removeprefix("unrecognized arguments:").split()
            shown = [w.split("=", 1)[0] + ("=…" if "=" in w else "") if w.startswith("-") else "…" for w in words]
            message = "unrecognized arguments: " + " ".join(shown) + " (values not shown)"
        raise UsageError(f"{self.prog}: {message}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config", help=f"configuration file (default: ./{DEFAULT_CONFIG} if present, else built-in defaults)"
    )
    p.add_argument("--root", default=".", help="folder holding dashboards/, alerts/, recording_rules/")


def parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="agentgrafana",
        description="Grafana dashboards, alerts and recording rules as code for AI-agent platforms.",
    )
    ap.add_argument("--debug", action="store_true", help="show the traceback of an unexpected error")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    g = sub.add_parser("generate", help="validate, then write every output file")
    _common(g)
    g.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    g.add_argument("--check", action="store_true", help="write nothing; exit 1 listing stale files")
    g.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty folder that agentgrafana did not create (removes nothing there)",
    )
    g.add_argument("--format", choices=("text", "json"), default="text")
    g.add_argument("--strict", action="store_true", help="lint warnings fail the build too")

    for name, text in (
        ("validate", "validate content and configuration; write nothing"),
        ("lint", "the same checks as validate; --list shows every rule"),
    ):
        v = sub.add_parser(name, help=text)
        _common(v)
        v.add_argument("--format", choices=("text", "json"), default="text")
        v.add_argument("--strict", action="store_true", help="warnings fail too")
        if name == "lint":
            v.add_argument("--list", action="store_true", help="list every rule: name, severity, objects, description")

    sub.add_parser("sources", help="print what each built-in metric source provides, as a Markdown table")
    c = sub.add_parser("catalog", help="print the metric catalog as a Markdown table")
    c.add_argument("--format", choices=("markdown", "json"), default="markdown")

    sub.add_parser("config-reference", help="print every configuration key with its default")
    sub.add_parser("outputs", help="print the output layout: every format, its paths and what it is for")

    d = sub.add_parser(
        "diff",
        help="what a change does: the fresh build against a git revision (--base) or two output folders (--old/--new)",
    )
    _common(d)
    d.add_argument("--base", help="git revision to compare the fresh build with (its committed generated/)")
    d.add_argument("--old", type=Path, help="compare two output folders: OLD ...")
    d.add_argument("--new", type=Path, help="... and NEW (default: a fresh build)")
    d.add_argument("--url", help=argparse.SUPPRESS)  # moved to `plan`; kept to say so
    d.add_argument("--format", choices=("markdown", "text", "json"), default="text")

    pl = sub.add_parser(
        "plan", help="what a push would create, update or delete in a Grafana, with diffs", conflict_handler="resolve"
    )
    _grafana_args(pl, push=False)
    _common(pl)
    _pushed_args(pl)
    pl.add_argument("--prune", action="store_true", help="plan deletes of owned objects no longer generated")
    pl.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    p = sub.add_parser("push", help="apply the build to a Grafana over its HTTP API")
    _common(p)
    _grafana_args(p, push=True)
    _pushed_args(p)

    lv = sub.add_parser(
        "verify-live", help="prove every panel, recording rule and alert on a real Prometheus with simulated traffic"
    )
    _common(lv)
    from .live import command as live_command

    live_command.add_arguments(lv)

    dr = sub.add_parser(
        "doctor", help="check every panel, variable, rule and alert of the build against your own Prometheus"
    )
    _common(dr)
    live_command.add_doctor_arguments(dr)

    rd = sub.add_parser("readme", help="refresh the README's configuration reference and metric catalog")
    rd.add_argument("--file", type=Path, default=Path("README.md"), help="the README to update (default: README.md)")
    rd.add_argument("--check", action="store_true", help="write nothing; exit 1 when the README is stale")

    im = sub.add_parser(
        "import", help="bring existing dashboards (JSON, API export, ConfigMap, resource file) into dashboards/"
    )
    _common(im)
    im.add_argument("files", nargs="+", type=Path, help="dashboard JSON, API export, ConfigMap YAML or resource file")
    im.add_argument("--out", type=Path, help="folder for the modules (default: <root>/dashboards)")
    im.add_argument(
        "--accept-findings",
        metavar="REASON",
        help="exclude the imported dashboards' lint findings in lint-exclusions.yaml with this reason",
    )
    im.add_argument(
        "--check", action="store_true", help="write nothing; list how the build differs from FILE (exit 1 if it does)"
    )

    pv = sub.add_parser("preview", help="draw one PNG per dashboard")
    _common(pv)
    pv.add_argument("--out", type=Path, default=Path("preview"), help="output folder (default: preview)")
    pv.add_argument("--base", help="highlight panels changed since this git revision")
    pv.add_argument("--data", type=Path, help="query results recorded by the live check (JSON)")
    return ap


def _grafana_args(p: argparse.ArgumentParser, push: bool) -> None:
    """Connection flags from the Grafana client (`--url`, token from the environment, TLS, timeouts)."""
    from .grafana import settings

    settings.add_connection_arguments(p)
    if push:
        settings.add_push_arguments(p)


def _pushed_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--generated",
        default=DEFAULT_OUT,
        help=f"the reviewed output folder the push must match (default: {DEFAULT_OUT})",
    )
    p.add_argument(
        "--from-source",
        action="store_true",
        help="push a fresh build even if it differs from the committed output folder",
    )


def config_path(args: argparse.Namespace) -> Path | None:
    path = args.config
    if path is None and (Path(args.root) / DEFAULT_CONFIG).is_file():
        path = Path(args.root) / DEFAULT_CONFIG
    return Path(path) if path is not None else None


def load_config(args: argparse.Namespace) -> config_mod.Config:
    return config_mod.load(config_path(args))


def load_build(args: argparse.Namespace) -> Build:
    config = load_config(args)
    try:
        return build(config, Path(args.root).resolve(), strict=getattr(args, "strict", False))
    except config_mod.ConfigError as exc:  # a value only the build can check (a source name, a bucket bound)
        path, text = config_path(args), str(exc)
        if path is None or text.startswith((str(path), "catalog.yaml")):
            raise
        raise config_mod.ConfigError(f"{path}: {text}") from None


def _print_warnings(result: Build, err: TextIO) -> None:
    for item in result.left_out:
        print(f"{item.source + ': ' if item.source else ''}{item.line()}", file=err)
    for f in result.warnings:
        print(f.text(), file=err)


def _left_out_json(result: Build) -> list[dict[str, str]]:
    return [{"kind": i.kind, "name": i.name, "reason": i.reason, "file": i.source} for i in result.left_out]


def main(argv: list[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    secrets = environment_secrets()
    out = cast(TextIO, ScrubbingStream(stdout or sys.stdout, secrets))
    err = cast(TextIO, ScrubbingStream(stderr or sys.stderr, secrets))
    argv = list(sys.argv[1:] if argv is None else argv)
    args: argparse.Namespace | None = None
    previous = _catch_ctrl_c()
    try:
        try:
            refuse_secret_flags(argv)
            args = parser().parse_args(argv)
            args.argv = argv  # what the fast path of the next `generate` compares
        except SystemExit as exc:  # --help
            return int(exc.code or 0) if isinstance(exc.code, int) or exc.code is None else EXIT_USAGE
        return dispatch(args, out, err)
    except KeyboardInterrupt:
        _quiet(lambda: print("interrupted", file=err))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
    except UsageError as exc:
        return _fail(args, out, err, EXIT_USAGE, str(exc), "usage")
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, never a traceback
        if args is not None and getattr(args, "debug", False):
            err.write(traceback.format_exc())
        text = " ".join(str(exc).split())[:300]
        return _fail(
            args,
            out,
            err,
            EXIT_FINDINGS,
            f"unexpected error: {type(exc).__name__}: {text} (run with --debug for the traceback)",
            "internal",
        )
    finally:
        _quiet(out.flush)
        _quiet(err.flush)
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        USER_INTERRUPT.clear()


def _catch_ctrl_c() -> Any:
    """Mark a Ctrl-C as the user's before raising KeyboardInterrupt (content raising it is a content bug)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def on_sigint(signum: int, frame: Any) -> None:
        USER_INTERRUPT.set()
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGINT, on_sigint)
    except ValueError:
        return None


def refuse_secret_flags(argv: list[str]) -> None:
    for word in argv:
        name = word.split("=", 1)[0]
        if name in _SECRET_FLAGS:
            raise UsageError(
                f"{name} is not accepted: a secret on the command line shows in process lists and "
                "shell history; set GRAFANA_TOKEN or use --token-file FILE"
            )


def dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    handler: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
        "generate": cmd_generate,
        "validate": cmd_validate,
        "catalog": cmd_catalog,
        "sources": cmd_sources,
        "config-reference": cmd_config_reference,
        "outputs": cmd_outputs,
        "lint": cmd_lint,
        "diff": cmd_diff,
        "plan": cmd_plan,
        "push": cmd_push,
        "preview": cmd_preview,
        "verify-live": cmd_verify_live,
        "doctor": cmd_doctor,
        "readme": cmd_readme,
        "import": cmd_import,
    }
    try:
        return handler[args.command](args, out, err)
    except config_mod.ConfigError as exc:
        return _fail(args, out, err, EXIT_USAGE, f"configuration error: {exc}", "configuration")
    except NoContent as exc:
        return _fail(args, out, err, EXIT_USAGE, f"{exc} (run from the project folder or pass --root)", "usage")
    except OutputRefused as exc:
        return _fail(args, out, err, EXIT_USAGE, f"refused: {exc}", "output")
    except WriteFailed as exc:
        return _fail(args, out, err, EXIT_FINDINGS, f"write failed: {exc}", "output")
    except ContentError as exc:
        return _fail(args, out, err, EXIT_FINDINGS, f"error: {exc}", "content")
    except ValidationFailed as exc:
        if _json(args):
            _print_json(out, {"ok": False, "findings": [f.to_dict() for f in exc.findings], "error": None})
        else:
            for f in exc.findings:
                print(f.text(), file=err)
            print(f"\n{len(exc.findings)} problem(s); nothing was written.", file=err)
        return EXIT_FINDINGS


def _json(args: argparse.Namespace | None) -> bool:
    return args is not None and getattr(args, "format", "text") == "json"


def _print_json(out: TextIO, data: Any) -> None:
    out.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def _fail(args: argparse.Namespace | None, out: TextIO, err: TextIO, code: int, message: str, kind: str) -> int:
    """Report an error: one line on stderr, and a JSON object on stdout under --format json."""
    print(message, file=err)
    if _json(args):
        _print_json(out, {"ok": False, "findings": [], "error": {"kind": kind, "message": message, "exit_code": code}})
    return code


def _quiet(fn: Callable[[], object]) -> None:
    try:
        fn()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.check and args.force:
        raise UsageError("generate: --check writes nothing, so --force means nothing with it")
    result = load_build(args)
    out_dir = Path(args.out)
    if args.check:
        changes = compare(out_dir, result.files)
        stale = [
            (label, path)
            for label, paths in (
                ("stale", changes.changed),
                ("missing", changes.added),
                ("not generated any more", changes.removed),
            )
            for path in paths
        ]
        if _json(args):
            _print_json(
                out,
                {
                    "ok": not stale,
                    "out": str(out_dir),
                    "unchanged": changes.unchanged,
                    "stale": [{"state": label, "path": path} for label, path in stale],
                },
            )
            return EXIT_OK if not stale else EXIT_FINDINGS
        if not stale:
            print(f"{out_dir}/ is up to date ({changes.unchanged} files).", file=out)
            return EXIT_OK
        for label, path in stale:
            print(f"{label}: {out_dir}/{path}", file=err)
        print(f"{out_dir}/ differs from a fresh generation: run `make generate` and commit the result.", file=err)
        return EXIT_FINDINGS
    changes = write_tree(out_dir, result.files, force=args.force, project_root=Path(args.root))
    if _json(args):
        _print_json(
            out,
            {
                "ok": True,
                "out": str(out_dir),
                "added": changes.added,
                "updated": changes.changed,
                "removed": changes.removed,
                "kept": changes.kept,
                "unchanged": changes.unchanged,
                "notes": changes.notes,
                "left_out": _left_out_json(result),
            },
        )
        return EXIT_OK
    report = io.StringIO()
    _print_warnings(result, report)
    for note in changes.notes:
        print(f"note: {note}", file=report)
    err.write(report.getvalue())
    counts = (
        f"{len(result.dashboards)} dashboards, {len(result.alerts)} alerts, {len(result.recording_rules)} "
        f"recording rules -> {out_dir}/: "
    )
    print(
        f"{counts}{len(changes.added)} added, {len(changes.changed)} updated, "
        f"{len(changes.removed)} removed, {changes.unchanged} unchanged.",
        file=out,
    )
    if not args.force and not args.strict:  # the next identical run may answer without rebuilding
        fastpath.remember(
            getattr(args, "argv", []),
            report.getvalue(),
            f"{counts}0 added, 0 updated, 0 removed, {len(result.files)} unchanged.",
        )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    result = load_build(args)
    if args.format == "json":
        _print_json(
            out,
            {
                "ok": True,
                "findings": [f.to_dict() for f in result.warnings],
                "left_out": _left_out_json(result),
                "error": None,
                "dashboards": len(result.dashboards),
                "alerts": len(result.alerts),
                "recording_rules": len(result.recording_rules),
            },
        )
    else:
        _print_warnings(result, err)
        warned = f", {len(result.warnings)} warning(s)" if result.warnings else ", no problems"
        print(
            f"ok: {len(result.dashboards)} dashboards, {len(result.alerts)} alerts, "
            f"{len(result.recording_rules)} recording rules{warned}.",
            file=out,
        )
    return EXIT_OK


def cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if not args.list:
        return cmd_validate(args, out, err)
    from .catalog import CATALOG
    from .lint.runner import all_rules

    rules = [
        {"name": r.name, "severity": r.severity, "objects": r.adapters(), "description": r.description}
        for r in all_rules(CATALOG, {})
    ]
    if args.format == "json":
        _print_json(out, rules)
        return EXIT_OK
    print("| rule | severity | looks at | description |\n|---|---|---|---|", file=out)
    for r in rules:
        print(f"| `{r['name']}` | {r['severity']} | {', '.join(r['objects'])} | {r['description']} |", file=out)
    return EXIT_OK


def cmd_catalog(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.format == "json":
        rows = [
            {
                "name": m.name,
                "type": m.type,
                "unit": m.unit,
                "labels": list(m.labels),
                "help": m.help,
                "source": m.source,
                "buckets": list(m.buckets),
            }
            for m in catalog_mod.CATALOG
        ]
        print(json.dumps(rows, indent=2), file=out)
    else:
        out.write(catalog_mod.to_markdown(catalog_mod.CATALOG))
    return EXIT_OK


def cmd_sources(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .sources import table

    out.write(table.to_markdown())
    return EXIT_OK


def cmd_outputs(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .outputs import FORMATS
    from .writer import MANIFEST

    width = max(len(f.paths) for f in FORMATS) + 2
    rows = [f"  {f.paths:<{width}} {f.description}" for f in FORMATS]
    rows.append(f"  {MANIFEST:<{width}} what agentgrafana wrote here, with hashes (see below)")
    out.write("```\ngenerated/\n" + "\n".join(rows) + "\n```\n")
    return EXIT_OK


def cmd_config_reference(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    print("| key | default | meaning |\n|---|---|---|", file=out)
    for key, default, doc in config_mod.reference():
        print(f"| `{key}` | `{default}` | {doc} |", file=out)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.url:
        raise UsageError(
            "diff compares revisions or folders; to compare with a Grafana use `agentgrafana plan --url URL`"
        )
    if args.new and not args.old:
        raise UsageError("diff: --new needs --old (the folder to compare it with)")
    from . import review

    return review.diff_command(args, load_build, out, err)


def pushed_build(args: argparse.Namespace) -> tuple[config_mod.Config, Build]:
    """The build a push or plan sends: a fresh build that must equal the reviewed output folder, byte for byte,
    unless --from-source (so what reaches Grafana is what was reviewed)."""
    cfg = load_config(args)
    result = build(cfg, Path(args.root).resolve())
    if not args.from_source:
        folder = Path(args.generated)
        if not folder.is_dir():
            raise UsageError(f"{folder}/ does not exist: run `make generate` (and review it), or pass --from-source")
        changes = compare(folder, result.files)
        if not changes.clean:
            first = (changes.changed + changes.added + changes.removed)[0]
            count = len(changes.changed) + len(changes.added) + len(changes.removed)
            raise UsageError(
                f"{folder}/ is stale ({count} file(s) differ, e.g. {first}): what would be pushed is "
                "not what was reviewed; run `make generate` and commit, or pass --from-source"
            )
    return cfg, result


def cmd_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .grafana import commands

    cfg, result = pushed_build(args)
    return commands.plan_command(args, result, grafana=cfg.grafana, stdout=out, stderr=err)


def cmd_push(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .grafana import commands

    cfg, result = pushed_build(args)
    return commands.push_command(args, result, grafana=cfg.grafana, stdout=out, stderr=err)


def cmd_verify_live(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .live import command

    missing = command.missing_tool(args)
    if missing:
        print(missing, file=err)
        return EXIT_USAGE
    cfg = load_config(args)
    return command.verify_live(args, build(cfg, Path(args.root).resolve()), cfg, out, err)


def cmd_doctor(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import os

    from .live import command

    cfg = load_config(args)
    return command.doctor(args, build(cfg, Path(args.root).resolve()), out, err, dict(os.environ))


def render_command(command: list[str]) -> str:
    """What `agentgrafana <command>` prints (the README's generated blocks)."""
    out, err = io.StringIO(), io.StringIO()
    if dispatch(parser().parse_args(command), out, err) != EXIT_OK:
        raise RuntimeError(f"agentgrafana {' '.join(command)} failed: {err.getvalue().strip()}")
    return out.getvalue()


def cmd_readme(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import readme

    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    fresh = readme.update(text, render_command)
    if args.check:
        if fresh != text:
            print(f"{args.file} is stale: run `agentgrafana readme`", file=err)
            return EXIT_FINDINGS
        print(f"{args.file} is up to date.", file=out)
        return EXIT_OK
    if fresh != text:
        args.file.write_text(fresh, encoding="utf-8")
    print(f"{args.file}: {'updated' if fresh != text else 'already up to date'}.", file=out)
    return EXIT_OK


def cmd_preview(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import preview

    return preview.preview_command(args, load_build, out, err)


def cmd_import(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .importing import command as import_command

    return import_command.import_command(args, load_build, out, err)


if __name__ == "__main__":
    sys.exit(main())
