"""The README's example dashboard and alert, added to a copy of the project, pass every gate with no other change:
generate, lint, `promtool check rules` / `promtool test rules` on the output, and the live check on a real
Prometheus (the alert fires in the incident it declares and is silent in normal traffic)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from agentgrafana.cli import main
from agentgrafana.config import load
from agentgrafana.live import check as live
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.promtool, pytest.mark.live]


def readme_block(name: str) -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(rf"```python\n# {re.escape(name)}\n(.*?)```", text, re.S)
    assert found, f"README has no ```python block starting with '# {name}'"
    return found.group(1)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("readme-example")
    for folder in ("dashboards", "alerts", "recording_rules"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "monitoring.yaml", root / "monitoring.yaml")
    (root / "dashboards" / "rag.py").write_text(readme_block("dashboards/rag.py"))
    (root / "alerts" / "rag.py").write_text(readme_block("alerts/rag.py"))
    return root


def test_generate_and_lint_pass(project: Path) -> None:
    config = ["--config", str(project / "monitoring.yaml"), "--root", str(project)]
    assert main(["generate", *config, "--out", str(project / "generated")]) == 0
    assert main(["lint", *config]) == 0
    assert (project / "generated" / "prometheus" / "tests" / "rag-alerts.yaml").is_file()
    assert (project / "generated" / "runbooks" / "vector-search-slow-p95.md").is_file()


def test_promtool_checks_and_tests_pass(project: Path, promtool: str) -> None:
    out = project / "generated-promtool"
    assert (
        main(["generate", "--config", str(project / "monitoring.yaml"), "--root", str(project), "--out", str(out)]) == 0
    )
    rules = sorted(str(p) for p in (out / "prometheus").rglob("rules/*.yaml"))
    checked = subprocess.run([promtool, "check", "rules", *rules], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tests = sorted(str(p) for p in (out / "prometheus" / "tests").glob("*.yaml"))
    ran = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "VectorSearchSlowP95 fires at" in (out / "prometheus" / "tests" / "rag-alerts.yaml").read_text()


def test_live_check_passes_and_the_new_alert_fires_for_its_subject(
    project: Path, prometheus_binary: str, promtool: str
) -> None:
    config = load(project / "monitoring.yaml")
    the_build = build(config, project)
    report = live.run(the_build, config, prometheus_binary, promtool)
    print("\n" + report.text())
    assert report.ok, report.text()
    (new,) = [a for a in report.alerts if a.name == "VectorSearchSlowP95"]
    assert new.scenario == "VectorSearchSlowP95" and new.fired_series >= 1 and not new.normal_hits
