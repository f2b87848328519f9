"""The README's configuration reference and metric catalog are the code's, not a copy that drifts."""
from pathlib import Path

from agentgrafana import readme

ROOT = Path(__file__).resolve().parents[1]


def test_readme_blocks_match_the_code() -> None:
    text = (ROOT / "README.md").read_text()
    assert "<!-- catalog:start -->\n| metric |" in text
    assert readme.update(text) == text, "README is stale: run `make readme`"


def test_readme_quick_start_is_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make generate", "make test"]
