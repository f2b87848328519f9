"""`generate` that does not rebuild when nothing it reads has changed: what most `make generate` runs are.

The output is a pure function of its inputs (the tests prove it byte for byte), so a run may stop early when
- a digest of every input equals the one recorded by the last successful `generate` into the same folder: this
  package's files, every file under `dashboards/`, `alerts/` and `recording_rules/`, `monitoring.yaml` (or
  `--config`), `catalog.yaml`, `lint-exclusions.yaml`, the Python version and the installed distributions;
- and the output folder still holds exactly what was written (its manifest, and each file's SHA-256).

Then it prints what that run printed and exits, having imported nothing but the standard library. Anything else
(another command or flag, `--check`, `CI=true`, `AGENTGRAFANA_NO_CACHE=1`, a missing or different record) goes
to the full command. The record lives in `<root>/.cache/agentgrafana/generate.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

PACKAGE = Path(__file__).resolve().parent
CONTENT = ("dashboards", "alerts", "recording_rules")
PROJECT_FILES = ("monitoring.yaml", "catalog.yaml", "lint-exclusions.yaml")
RECORD = Path(".cache") / "agentgrafana" / "generate.json"
MANIFEST = ".agentgrafana-manifest"  # writer.MANIFEST (not imported: the writer pulls in the build)
FLAGS = ("--out", "--config", "--root")


def options(argv: list[str]) -> dict[str, str] | None:
    """`generate` with only --out / --config / --root (as `--x V` or `--x=V`); None for anything else."""
    if not argv or argv[0] != "generate":
        return None
    found: dict[str, str] = {}
    words = argv[1:]
    i = 0
    while i < len(words):
        name, eq, value = words[i].partition("=")
        if name not in FLAGS or name in found:
            return None
        if not eq:
            if i + 1 >= len(words):
                return None
            value = words[i + 1]
            i += 1
        found[name] = value
        i += 1
    return found


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def input_digest(root: Path, config: Path, out: Path) -> str:
    """One SHA-256 over everything a build reads."""
    h = hashlib.sha256()
    h.update(f"{sys.version}\0{out.resolve()}\0".encode())
    tracked = [*_files(PACKAGE), *(p for d in CONTENT for p in _files(root / d))]
    tracked += [root / name for name in PROJECT_FILES] + [config]
    for path in tracked:
        h.update(str(path).encode() + b"\0")
        try:
            h.update(hashlib.sha256(path.read_bytes()).digest())
        except OSError:
            h.update(b"absent")
    for entry in sys.path:  # the installed distributions and their versions (dist-info folder names)
        if entry.endswith("site-packages") and os.path.isdir(entry):
            h.update("\0".join(sorted(n for n in os.listdir(entry) if n.endswith(".dist-info"))).encode())
    return h.hexdigest()


def output_digest(out: Path) -> str | None:
    """SHA-256 of the manifest if every file it lists is there with its recorded hash, else None."""
    try:
        manifest = (out / MANIFEST).read_bytes()
        for line in manifest.decode("utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            digest, _, rel = line.partition("  ")
            if hashlib.sha256((out / rel).read_bytes()).hexdigest() != digest:
                return None
    except (OSError, UnicodeDecodeError):
        return None
    return hashlib.sha256(manifest).hexdigest()


def _where(opts: dict[str, str]) -> tuple[Path, Path, Path]:
    root = Path(opts.get("--root", "."))
    config = Path(opts["--config"]) if "--config" in opts else root / "monitoring.yaml"
    out = Path(opts.get("--out", "generated"))
    return root, config, out


def _enabled() -> bool:
    return os.environ.get("AGENTGRAFANA_NO_CACHE", "") in ("", "0") and os.environ.get("CI", "").lower() != "true"


def up_to_date(argv: list[str], out: TextIO, err: TextIO) -> bool:
    """Print the last run's report and return True when `argv` would rebuild the same bytes."""
    opts = options(argv)
    if opts is None or not _enabled():
        return False
    root, config, out_dir = _where(opts)
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict) or record.get("argv") != argv:
        return False
    if record.get("inputs") != input_digest(root, config, out_dir) or record.get("outputs") != output_digest(out_dir):
        return False
    err.write(str(record.get("stderr", "")))
    out.write(str(record.get("summary", "")).rstrip(".\n") + " (inputs unchanged since the last generate).\n")
    return True


def remember(argv: list[str], stderr_text: str, summary: str) -> None:
    """After a successful `generate`: record its inputs, outputs and report for the next run (best effort)."""
    opts = options(argv)
    if opts is None or not _enabled():
        return
    root, config, out_dir = _where(opts)
    outputs = output_digest(out_dir)
    if outputs is None:
        return
    record: dict[str, Any] = {
        "argv": argv,
        "inputs": input_digest(root, config, out_dir),
        "outputs": outputs,
        "stderr": stderr_text,
        "summary": summary,
    }
    path = root / RECORD
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only checkout just rebuilds every time
