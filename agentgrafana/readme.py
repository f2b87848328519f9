"""Keep the README's generated blocks (configuration reference, metric catalog) in step with the code."""
from __future__ import annotations

import io
import re
from pathlib import Path

from . import cli

BLOCKS = {"config-reference": ["config-reference"], "catalog": ["catalog"]}


def render(block: str) -> str:
    out = io.StringIO()
    cli.main(BLOCKS[block], stdout=out)
    return out.getvalue()


def update(text: str) -> str:
    """The README text with every generated block replaced by the command's current output."""
    for block in BLOCKS:
        pattern = re.compile(rf"(<!-- {block}:start -->\n).*?(<!-- {block}:end -->)", re.S)
        text = pattern.sub(lambda m, b=block: m.group(1) + render(b) + m.group(2), text)
    return text


def main() -> int:
    path = Path("README.md")
    path.write_text(update(path.read_text()))
    return 0



if __name__ == "__main__":
    raise SystemExit(main())
