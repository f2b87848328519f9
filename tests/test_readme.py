"""The README's configuration reference and metric catalog are the code's, not a copy that drifts."""

from pathlib import Path

from agentgrafana import readme
from agentgrafana.cli import render_command

ROOT = Path(__file__).resolve().parents[1]


def test_readme_blocks_match_the_code() -> None:
    text = (ROOT / "README.md").read_text()
    assert "<!-- catalog:start -->\n| metric |" in text
    assert readme.update(text, render_command) == text, "README is stale: run `make readme`"


def test_readme_quick_start_is_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split("#")[0].strip() for line in quick.strip().splitlines()] == ["make generate", "make test"]


def test_readme_example_dashboard_validates(tmp_path: Path) -> None:
    """The "Adding a panel or a dashboard" example is real code that passes every check."""
    import re

    from agentgrafana.config import Config
    from agentgrafana.pipeline import build

    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n# dashboards/rag.py\n(.*?)```", text, re.S).group(1)
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "rag.py").write_text(code)
    (d,) = build(Config(), tmp_path).dashboards
    assert d.uid == "agent-rag"
    assert [p["title"] for p in d.model["panels"]] == ["Latency", "Vector search P95 by collection"]


def test_readme_validation_example_is_what_validate_prints(tmp_path: Path, capsys) -> None:
    import shutil

    from agentgrafana.cli import main

    for folder in ("dashboards", "alerts", "recording_rules"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "dashboards" / "performance.py"
    source = path.read_text()
    start = source.index('"Throughput"')
    path.write_text(
        source[:start]
        + source[start:].replace(
            'q.rate(REQUESTS, ["agent_name"])', 'q.rate("agent_request_duraton_seconds_count", ["agent_name"])', 1
        )
    )
    assert main(["validate", "--root", str(tmp_path)]) == 1
    printed = " ".join(capsys.readouterr().err.split())
    readme = (ROOT / "README.md").read_text()
    example = readme.split("## Validation", 1)[1].split("```", 2)[1]
    first = " ".join(example.split("    expr:")[0].split())
    assert first in printed
