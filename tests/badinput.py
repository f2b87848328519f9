"""Helpers for the corpus of bad inputs: run the CLI in-process, snapshot a tree, assert the rules every case
shares (the exit code, a message naming the culprit, no traceback, the output tree untouched, no secret)."""

from __future__ import annotations

import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from agentgrafana.cli import main

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_project"
TOKEN = "glsa_Zq8xW3vN5tR7yU1iO9pA2sD4fG6hJ0kL_3c9e1f7a"  # long and random-looking: fragments are detectable


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run(*argv: str) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return Ran(code, out.getvalue(), err.getvalue())


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (dot-files included) with its bytes; symlinks as their target."""
    found: dict[str, bytes] = {}
    if not folder.exists():
        return found
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(folder).as_posix()
            found[rel] = ("-> " + os.readlink(path)).encode() if path.is_symlink() else path.read_bytes()
    return found


def make_project(tmp: Path, source: Path = MINIMAL) -> tuple[Path, Path]:
    """A copy of `source` with a previous generation in `generated/`; returns (root, out)."""
    root = tmp / "project"
    shutil.copytree(source, root)
    out = root / "generated"
    ran = run("generate", "--root", str(root), "--out", str(out))
    assert ran.code == 0, ran.text
    return root, out


def assert_clean_failure(ran: Ran, code: int, *names: str) -> None:
    """The exit code, every name in the message, and one readable message rather than a traceback."""
    assert ran.code == code, (ran.code, ran.text)
    for name in names:
        assert name in ran.text, (name, ran.text)
    assert "Traceback" not in ran.text and 'File "' not in ran.text, ran.text
    assert ran.text.strip(), "a failure must say what went wrong"


def assert_no_secret(text: str, secret: str = TOKEN, fragment: int = 6) -> None:
    """Neither the secret nor any `fragment` consecutive characters of it appear in `text`."""
    assert secret not in text
    for i in range(len(secret) - fragment + 1):
        assert secret[i : i + fragment] not in text, (secret[i : i + fragment], text[:2000])
