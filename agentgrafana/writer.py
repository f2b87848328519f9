"""Put a generated file set on disk: atomic writes, only changed files rewritten, stale files removed."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class TreeChanges:
    """How a directory differs from the wanted files (paths relative to the directory, sorted)."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def clean(self) -> bool:
        return not (self.changed or self.added or self.removed)


def existing_files(out_dir: Path) -> set[str]:
    if not out_dir.is_dir():
        return set()
    return {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}


def compare(out_dir: Path, files: dict[str, bytes]) -> TreeChanges:
    """What writing `files` would change in `out_dir` (nothing is written)."""
    present = existing_files(out_dir)
    changes = TreeChanges()
    for path in sorted(files):
        if path not in present:
            changes.added.append(path)
        elif (out_dir / path).read_bytes() != files[path]:
            changes.changed.append(path)
        else:
            changes.unchanged += 1
    changes.removed = sorted(present - set(files))
    return changes


def write_tree(out_dir: Path, files: dict[str, bytes]) -> TreeChanges:
    """Make `out_dir` hold exactly `files`. Each write goes to a temporary file renamed into place."""
    changes = compare(out_dir, files)
    for path in changes.added + changes.changed:
        atomic_write(out_dir / path, files[path])
    for path in changes.removed:
        (out_dir / path).unlink()
    _remove_empty_dirs(out_dir)
    return changes


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _remove_empty_dirs(out_dir: Path) -> None:
    if not out_dir.is_dir():
        return
    for d in sorted((p for p in out_dir.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
