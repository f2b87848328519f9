"""Where the two file sets come from: a folder on disk, or `generated/` as committed at a git revision."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

GENERATED = "generated"


class SourceError(Exception):
    """A revision or folder that cannot be read."""


def read_dir(path: Path) -> dict[str, bytes]:
    """Every file under `path`, keyed by its POSIX path relative to `path` (dot-files skipped)."""
    if not path.is_dir():
        raise SourceError(f"{path} is not a folder")
    try:
        return {
            p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        }
    except OSError as exc:
        raise SourceError(f"cannot read {exc.filename or path}: {exc.strerror}") from None


def read_git(root: Path, ref: str, folder: str = GENERATED) -> dict[str, bytes]:
    """The files under `<root>/<folder>/` at revision `ref` of the repository containing `root`."""
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    base = f"{prefix}{folder}/"
    listing = _git(root, "ls-tree", "-r", "-z", "--full-tree", ref, "--", base)
    entries = []
    for item in listing.split(b"\0"):
        if not item:
            continue
        meta, path = item.split(b"\t", 1)
        mode, kind, oid = meta.decode().split()
        relative = path.decode().removeprefix(base)
        if kind == "blob" and not any(part.startswith(".") for part in relative.split("/")):
            entries.append((path.decode(), oid))  # dot-files (the output manifest) are not output
    if not entries:
        return {}
    blobs = _cat_blobs(root, [oid for _, oid in entries])
    return {path.removeprefix(base): blobs[oid] for path, oid in entries}


def export_tree(root: Path, ref: str, dest: Path) -> Path:
    """Write the files of `root` (a folder of the repository) as they are at `ref` under `dest`; return the
    folder that corresponds to `root`."""
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip().rstrip("/")
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    raw = _git(root, "archive", "--format=tar", f"{ref}:{prefix}" if prefix else ref)
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def _cat_blobs(root: Path, oids: list[str]) -> dict[str, bytes]:
    """Read many blobs with one `git cat-file --batch`."""
    stdin = "".join(f"{oid}\n" for oid in dict.fromkeys(oids)).encode()
    raw = _git(root, "cat-file", "--batch", stdin=stdin)
    out: dict[str, bytes] = {}
    pos = 0
    while pos < len(raw):
        end = raw.index(b"\n", pos)
        oid, _, size = raw[pos:end].decode().split()
        start = end + 1
        out[oid] = raw[start : start + int(size)]
        pos = start + int(size) + 1
    return out


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise SourceError("git is not installed") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
        if args[:2] == ("rev-parse", "--verify"):
            msg = f"unknown git revision {args[-1].removesuffix('^{commit}')!r}"
        raise SourceError(msg)
    return proc.stdout
