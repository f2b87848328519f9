"""`generate` answers without rebuilding only when nothing it reads changed, and the folder holds what it wrote."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UNCHANGED = "(inputs unchanged since the last generate)"
PROBE = (
    "import sys\n"
    "from agentgrafana.entry import main\n"
    "code = main(sys.argv[1:])\n"
    "print('BUILT' if 'agentgrafana.pipeline' in sys.modules else 'NOT BUILT')\n"
    "sys.exit(code)\n"
)


def project(tmp: Path) -> Path:
    for part in ("dashboards", "alerts", "recording_rules"):
        shutil.copytree(ROOT / part, tmp / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "monitoring.yaml", tmp / "monitoring.yaml")
    return tmp


def generate(root: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "AGENTGRAFANA_NO_CACHE")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "generate", "--root", str(root), "--out", str(root / "gen"), *extra],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
        cwd=root,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def built(out: str) -> bool:
    """Whether the run imported the build (the probe's verdict line)."""
    return "\nBUILT\n" in f"\n{out}"


def test_a_second_identical_run_answers_without_building(tmp_path: Path) -> None:
    root = project(tmp_path)
    code, first = generate(root)
    assert code == 0 and built(first) and UNCHANGED not in first
    code, second = generate(root)
    assert code == 0 and not built(second) and UNCHANGED in second
    assert re.search(r": 0 added, 0 updated, 0 removed, \d+ unchanged", second)
    left_out = [line for line in first.splitlines() if "left out" in line]
    assert left_out and all(line in second for line in left_out)  # the same report


def test_any_change_to_what_it_reads_rebuilds(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert generate(root)[0] == 0
    overview = root / "dashboards" / "overview.py"
    overview.write_text(overview.read_text().replace('"Agent Overview"', '"Agent Overview!"'))
    code, out = generate(root)
    assert code == 0 and built(out) and re.search(r"0 added, [1-9]\d* updated", out)
    (root / "monitoring.yaml").write_text((root / "monitoring.yaml").read_text() + "\n# a comment\n")
    assert built(generate(root)[1])
    assert not built(generate(root)[1])
    output = root / "gen" / "dashboards" / "ai-agents" / "agent-overview.json"
    output.write_text(output.read_text().replace("Agent Overview!", "edited by hand"))  # the output, not an input
    code, out = generate(root)
    assert built(out) and "Agent Overview!" in output.read_text()
    assert built(generate(root, "--config", str(root / "monitoring.yaml"))[1])  # other arguments


def test_ci_and_the_switch_always_build(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert generate(root)[0] == 0
    assert built(generate(root, env={"CI": "true"})[1])
    assert built(generate(root, env={"AGENTGRAFANA_NO_CACHE": "1"})[1])
    assert not built(generate(root)[1])


def test_check_never_takes_the_shortcut(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert generate(root)[0] == 0
    code, out = generate(root, "--check")
    assert code == 0 and built(out) and "is up to date" in out
