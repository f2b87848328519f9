"""Run a command in a fresh interpreter and measure it: wall time, peak RSS of that child alone, its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@dataclass(frozen=True)
class ChildRun:
    seconds: float  # wall time from spawn to exit
    peak_rss_mb: float  # the child's own maximum resident set size
    stdout: str

    def json(self) -> Any:
        """The child's last stdout line, parsed (workers print one JSON object last)."""
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_child(args: list[str], cwd: Path = REPO, env: dict[str, str] | None = None) -> ChildRun:
    """Run `args`; `os.wait4` gives this child's rusage, so sizes measured one after another do not mix."""
    with open(os.devnull, "rb") as stdin, _Capture() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdin=stdin, stdout=out.fh, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        text = out.text()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}:\n{text[-3000:]}")
    return ChildRun(seconds, usage.ru_maxrss / 1024, text)  # Linux reports ru_maxrss in KiB


class _Capture:
    """A temporary file for a child's output (a pipe could fill up while we wait in wait4)."""

    def __enter__(self) -> _Capture:
        import tempfile

        self.fh = tempfile.TemporaryFile()
        return self

    def text(self) -> str:
        self.fh.seek(0)
        return self.fh.read().decode("utf-8", "replace")

    def __exit__(self, *exc: object) -> None:
        self.fh.close()
