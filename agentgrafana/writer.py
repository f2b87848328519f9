"""Put a generated file set on disk without ever losing anything that agentgrafana did not write.

Ownership: every output folder holds `.agentgrafana-manifest`, the list of files this tool wrote there with
the SHA-256 of each. A run removes a file only when the manifest lists it and its bytes are still the ones
written (a hand-edited leftover is kept and reported). A non-empty folder without a manifest is refused
unless `force`, and then nothing in it is removed. Folders that hold the project itself (the project root,
an ancestor of it, a content folder, the home folder, `/`) are refused always.

Whole-tree atomicity: the new tree is built in a sibling folder (`.<name>.agentgrafana-staging`),
unchanged files hard-linked from the old tree, then swapped with the old tree in one
`renameat2(RENAME_EXCHANGE)`. A kill at any moment leaves the old tree or the new one, never a mix; a
leftover staging folder is removed by the next run. Where the swap is impossible (a mount point, a parent
folder that is not writable, or `force` into a folder we do not own) files are replaced one by one, each
atomically, and the manifest last.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MANIFEST = ".agentgrafana-manifest"
_MANIFEST_HEADER = (
    "# agentgrafana output manifest: the files below were written by agentgrafana, which may "
    "replace or remove them. Do not edit.\n"
)
_STAGING_SUFFIX = ".agentgrafana-staging"
_ASIDE_SUFFIX = ".agentgrafana-old"
_CONTENT_FOLDERS = ("dashboards", "alerts", "recording_rules")


class OutputRefused(Exception):
    """The output folder or a path in it is not safe to write (a usage error: exit 2). Nothing was written."""


class WriteFailed(Exception):
    """The file system refused a write (exit 1). The old tree is left as it was."""


@dataclass
class TreeChanges:
    """How a directory differs from the wanted files (paths relative to the directory, sorted)."""

    changed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # ours once, no longer generated, edited since: left alone
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.changed or self.added or self.removed)


# --- paths ----------------------------------------------------------------------------------------------


def check_relative_path(path: str) -> str | None:
    """Why `path` cannot be an output path (None when it can): relative, no '..', no hidden or empty parts."""
    if not path or "\\" in path or "\x00" in path:
        return "is empty or holds a backslash or NUL"
    pure = PurePosixPath(path)
    if pure.is_absolute():
        return "is absolute"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "has an empty, '.' or '..' component"
    if any(part.startswith(".") for part in parts):
        return "has a hidden component (starting with '.')"
    if any(len(part.encode()) > 255 for part in parts):
        return "has a component longer than 255 bytes"
    return None


def _refuse_unsafe_folder(out_dir: Path, project_root: Path | None) -> None:
    forbidden = {Path("/").resolve(), Path.home().resolve()}
    if out_dir in forbidden:
        raise OutputRefused(f"{out_dir}: refusing to write generated files into {out_dir} itself")
    if project_root is not None:
        root = project_root.resolve()
        if out_dir == root or out_dir in root.parents:
            raise OutputRefused(
                f"{out_dir}: is the project folder (or holds it): generated files need a folder "
                "of their own, e.g. --out generated"
            )
        for kind in _CONTENT_FOLDERS:
            content = root / kind
            if out_dir == content or content in out_dir.parents:
                raise OutputRefused(f"{out_dir}: is inside the content folder {kind}/: choose another --out")
    if (out_dir / ".git").exists():
        raise OutputRefused(f"{out_dir}: holds a .git folder (a repository checkout): choose another --out")


# --- the manifest ---------------------------------------------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_bytes(files: dict[str, bytes]) -> bytes:
    lines = [f"{_digest(files[p])}  {p}\n" for p in sorted(files)]
    return (_MANIFEST_HEADER + "".join(lines)).encode()


def read_manifest(out_dir: Path) -> dict[str, str] | None:
    """path -> sha256 of what we wrote, or None when the folder has no manifest."""
    path = out_dir / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WriteFailed(f"{path}: cannot read: {exc.strerror}") from None
    entries: dict[str, str] = {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise OutputRefused(f"{path}: damaged (not UTF-8); delete it and pass --force to adopt the folder") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64 or check_relative_path(rel) is not None:
            raise OutputRefused(
                f"{path}:{number}: damaged manifest line; delete the file and pass --force to adopt the folder"
            )
        entries[rel] = digest
    return entries


def _present_files(out_dir: Path) -> dict[str, Path]:
    """Every file below `out_dir` (relative posix path -> path), the manifest left out."""
    found: dict[str, Path] = {}
    if not out_dir.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(out_dir):
        dirnames.sort()
        for name in filenames:
            full = Path(dirpath) / name
            rel = full.relative_to(out_dir).as_posix()
            if rel != MANIFEST:
                found[rel] = full
    return found


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # unreadable or not a regular file: never "ours and unchanged"


# --- compare --------------------------------------------------------------------------------------------


def compare(out_dir: Path, files: dict[str, bytes]) -> TreeChanges:
    """What writing `files` would change in `out_dir` (nothing is written).

    Only files the manifest says we wrote can be "not generated any more"; anything else in the folder
    is not ours and is not reported.
    """
    out_dir = Path(out_dir)
    present = _present_files(out_dir)
    manifest = read_manifest(out_dir) if out_dir.is_dir() else None
    changes = TreeChanges()
    for path in sorted(files):
        current = _read(present[path]) if path in present else None
        if path not in present:
            changes.added.append(path)
        elif current != files[path]:
            changes.changed.append(path)
        else:
            changes.unchanged += 1
    for path in sorted(set(manifest or {}) - set(files)):
        if path not in present:
            continue
        current = _read(present[path])
        if current is not None and _digest(current) == (manifest or {})[path]:
            changes.removed.append(path)
        else:
            changes.kept.append(path)
    return changes


# --- write ----------------------------------------------------------------------------------------------


def write_tree(
    out_dir: Path, files: dict[str, bytes], *, force: bool = False, project_root: Path | None = None
) -> TreeChanges:
    """Make `out_dir` hold `files`, removing only what an earlier run wrote and nobody changed since.

    Raises OutputRefused (nothing written) when the folder is unsafe or not ours, WriteFailed when the file
    system refuses (the old tree is left as it was).
    """
    for path in files:
        why = check_relative_path(path)
        if why:
            raise OutputRefused(f"refusing to write output path {path!r}: it {why}")
    target = Path(os.path.abspath(out_dir))
    if target.is_symlink() or target.parent.resolve() != target.parent:
        target = target.resolve()
    _refuse_unsafe_folder(target, project_root)
    if target.exists() and not target.is_dir():
        raise WriteFailed(f"{out_dir}: exists and is not a folder")
    recovered = _recover(target)
    manifest = read_manifest(target) if target.is_dir() else None
    present = _present_files(target)
    if manifest is None and present and not force:
        sample = ", ".join(sorted(present)[:3])
        raise OutputRefused(
            f"{out_dir}: holds {len(present)} file(s) that agentgrafana did not write ({sample}"
            f"{', ...' if len(present) > 3 else ''}) and no {MANIFEST}: refusing to write there. Use an empty "
            "or new folder, or pass --force to write beside them (nothing of theirs is removed)."
        )
    foreign = sorted(p for p in present if p not in (manifest or {}))
    clashes = [p for p in foreign if p in files]
    if clashes and not force:
        raise OutputRefused(
            f"{out_dir}/{clashes[0]}: exists but agentgrafana did not write it (not in {MANIFEST}): "
            "move it away or pass --force to overwrite it"
        )
    changes = compare(target, files)
    changes.notes.extend(recovered)
    wanted_manifest = manifest_bytes(files)
    current_manifest = _read(target / MANIFEST)
    if changes.clean and current_manifest == wanted_manifest:
        return changes
    if changes.kept:
        changes.notes.append(
            f"kept {len(changes.kept)} file(s) no longer generated but edited since: " + ", ".join(changes.kept[:5])
        )
    unowned = target.is_dir() and manifest is None and bool(present)  # --force into a folder we do not own
    in_place = False
    written: list[str] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        in_place = unowned or (target.is_dir() and os.path.ismount(target)) or not os.access(target.parent, os.W_OK)
        if in_place:
            changes.notes.append("files replaced one by one (the folder cannot be swapped as a whole)")
            _write_in_place(target, files, changes, wanted_manifest, written)
        else:
            _write_by_swap(target, files, changes, present, wanted_manifest)
    except OSError as exc:
        where = exc.filename or target
        after = (
            "some files may be new, others old: fix it and run again" if written else f"{out_dir}/ was left as it was"
        )
        raise WriteFailed(f"cannot write {where}: {exc.strerror or exc}; {after}") from None
    return changes


def _staging(target: Path) -> Path:
    """This run's staging folder (per process: a leftover that cannot be removed never blocks a later run)."""
    return target.parent / f".{target.name}{_STAGING_SUFFIX}-{os.getpid()}"


def _aside(target: Path) -> Path:
    return target.parent / f".{target.name}{_ASIDE_SUFFIX}"


def _recover(target: Path) -> list[str]:
    """Finish or undo what a killed run left: put a tree set aside back, remove staging folders (best effort:
    what cannot be removed is reported, and this run uses a staging folder of its own)."""
    aside = _aside(target)
    if aside.is_dir() and not target.exists():
        try:
            os.rename(aside, target)  # killed between the two renames of the fallback switch
        except OSError as exc:
            raise WriteFailed(f"cannot move {aside} back to {target}: {exc.strerror}") from None
    notes = []
    leftovers = [aside, *target.parent.glob(f".{glob.escape(target.name)}{_STAGING_SUFFIX}*")]
    for leftover in leftovers:
        if leftover.is_dir() and not leftover.is_symlink():
            try:
                _rmtree(leftover)
            except OSError as exc:
                notes.append(f"could not remove {leftover} left by an earlier run ({exc.strerror})")
    return notes


def _write_by_swap(
    target: Path, files: dict[str, bytes], changes: TreeChanges, present: dict[str, Path], manifest: bytes
) -> None:
    staging = _staging(target)
    skip = set(changes.removed) | set(changes.added) | set(changes.changed)
    try:
        os.mkdir(staging, 0o755)
        if target.is_dir():
            os.chmod(staging, stat.S_IMODE(os.stat(target).st_mode))
        made: set[Path] = {staging}
        for rel, src in present.items():  # what stays: unchanged outputs, kept leftovers, files not ours
            if rel in skip:
                continue
            dest = staging / rel
            _mkdirs(dest.parent, made)
            _link_or_copy(src, dest)
        for rel in changes.added + changes.changed:
            dest = staging / rel
            _mkdirs(dest.parent, made)
            with open(dest, "wb") as fh:
                fh.write(files[rel])
        with open(staging / MANIFEST, "wb") as fh:
            fh.write(manifest)
        if target.exists():
            _switch(staging, target)
            try:
                _rmtree(staging)  # now the old tree; the new one is in place whatever happens here
            except OSError as exc:
                changes.notes.append(
                    f"the previous tree could not be removed from {staging} ({exc.strerror}); the next run retries"
                )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, target)
    except BaseException:
        if staging.exists():  # half-built, or (after the switch) the old tree: either way not wanted
            _rmtree(staging, ignore=True)
        raise


def _mkdirs(folder: Path, made: set[Path]) -> None:
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)
        made.update(folder.parents)


def _link_or_copy(src: Path, dest: Path) -> None:
    if src.is_symlink():
        os.symlink(os.readlink(src), dest)
        return
    try:
        os.link(src, dest)
    except OSError:
        shutil.copy2(src, dest)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _switch(staging: Path, target: Path) -> None:
    """Swap the two folders atomically (Linux renameat2), else by two renames that `_recover` can finish."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(staging), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
            raise OSError(code, os.strerror(code), str(target))
    aside = _aside(target)
    os.rename(target, aside)
    os.rename(staging, target)
    os.rename(aside, staging)  # so the caller removes the old tree where it expects it


def _rmtree(path: Path, ignore: bool = False) -> None:
    def make_writable(func: Any, name: str, exc_info: Any) -> None:
        try:
            os.chmod(os.path.dirname(name), 0o755)
            func(name)
        except OSError:
            if not ignore:
                raise

    shutil.rmtree(path, onerror=make_writable)


def _write_in_place(
    target: Path, files: dict[str, bytes], changes: TreeChanges, manifest: bytes, written: list[str]
) -> None:
    for rel in changes.added + changes.changed:
        atomic_write(target / rel, files[rel])
        written.append(rel)
    for rel in changes.removed:
        (target / rel).unlink(missing_ok=True)
        written.append(rel)
    atomic_write(target / MANIFEST, manifest)
    _remove_empty_dirs(target)


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
    for d in sorted(
        (p for p in out_dir.rglob("*") if p.is_dir() and not p.is_symlink()), key=lambda p: len(p.parts), reverse=True
    ):
        if not any(d.iterdir()):
            d.rmdir()
