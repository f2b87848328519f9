"""The real build (the five dashboards and every Grafana-managed rule group) pushed through the CLI to the double."""

from __future__ import annotations

import io
from pathlib import Path

from grafana_builds import TOKEN, double, no_proxies  # noqa: F401

from agentgrafana import config as config_mod
from agentgrafana.cli import main
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]


def _push(double, monkeypatch, *extra: str) -> tuple[int, str]:
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    out, err = io.StringIO(), io.StringIO()
    code = main(["push", "--root", str(ROOT), "--url", double.url, *extra], stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_real_build_first_push_creates_everything_and_second_push_writes_nothing(double, monkeypatch) -> None:
    expected = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    code, text = _push(double, monkeypatch)
    assert code == 0, text
    assert set(double.dashboards) == {d.uid for d in expected.dashboards}
    assert set(double.folders) == {"ai-agents"}
    groups = {(g.folder.uid, g.name) for g in expected.grafana_rule_groups}
    assert {(w.path.split("/")[-3], w.path.split("/")[-1]) for w in double.writes() if w.method == "PUT"} == groups
    stored_rules = sum(len(double.rule_group(f, n)["rules"]) for f, n in groups)
    assert stored_rules == len(expected.alerts)
    assert TOKEN not in text

    double.reset_log()
    code, text = _push(double, monkeypatch)
    assert code == 0, text
    assert double.writes() == []
    assert "unchanged" in text
