"""The `agentgrafana` command: the fast answer of an unchanged `generate` (fastpath.py), else the full command line.

Kept apart from `cli` so that the fast answer imports only the standard library.
"""

from __future__ import annotations

import sys
from typing import TextIO, cast

from . import fastpath
from .secrets import ScrubbingStream, environment_secrets


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    secrets = environment_secrets()
    out = cast(TextIO, ScrubbingStream(sys.stdout, secrets))
    err = cast(TextIO, ScrubbingStream(sys.stderr, secrets))
    if fastpath.up_to_date(argv, out, err):
        out.flush()
        err.flush()
        return 0
    from .cli import main as full

    return full(argv)
