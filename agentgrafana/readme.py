"""The README's generated blocks (configuration reference, metric catalog), kept equal to what the commands print.

`agentgrafana readme` rewrites them; `agentgrafana readme --check` (and a test) fails when they are stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# block name -> the CLI command whose output fills it
BLOCKS = {
    "config-reference": ["config-reference"],
    "catalog": ["catalog"],
    "sources": ["sources"],
    "outputs": ["outputs"],
}


def update(text: str, render: Callable[[list[str]], str]) -> str:
    """The README text with every generated block replaced by its command's current output."""
    for block, command in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {block}:start -->\n).*?(<!-- {block}:end -->)", re.S)
        rendered = render(command)

        def replace(m: re.Match[str], body: str = rendered) -> str:
            return m.group(1) + body + m.group(2)

        text = pattern.sub(replace, text)
    return text
