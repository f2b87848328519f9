"""The example CI workflow stays in step with the commands it documents."""

from __future__ import annotations

from pathlib import Path

import yaml

from agentgrafana.cli import parser

WORKFLOW = Path(__file__).resolve().parents[1] / "examples" / "github-workflow.yml"


def test_workflow_runs_checks_and_posts_review() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    runs = "\n".join(s.get("run", "") for s in doc["jobs"]["monitoring"]["steps"])
    assert "make check" in runs and "make test" in runs
    assert "agentgrafana diff --base" in runs and "--format markdown" in runs
    assert "agentgrafana preview --out preview --base" in runs
    assert doc["permissions"]["pull-requests"] == "write"
    parser().parse_args(["diff", "--base", "origin/main", "--format", "markdown"])
    parser().parse_args(["preview", "--out", "preview", "--base", "origin/main"])


def test_workflow_runs_on_every_change_that_can_change_the_output() -> None:
    doc = yaml.safe_load(WORKFLOW.read_text())
    paths = doc[True]["pull_request"]["paths"] if True in doc else doc["on"]["pull_request"]["paths"]
    for wanted in (
        "dashboards/**",
        "alerts/**",
        "recording_rules/**",
        "monitoring.yaml",
        "generated/**",
        "agentgrafana/**",
        "pyproject.toml",
    ):
        assert wanted in paths, wanted
