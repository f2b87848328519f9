"""The live proof on VictoriaMetrics: simulated data imported, the generated rules replayed by vmalert, and every
panel, variable, recording rule and alert checked as on Prometheus (Debian's victoria-metrics package)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.cli import main
from agentgrafana.live import check as live
from agentgrafana.pipeline import build

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[1]


def test_the_whole_live_check_passes_on_victoriametrics_and_vmalert(victoriametrics) -> None:
    binary, vmalert = victoriametrics
    config = config_mod.load(ROOT / "monitoring.yaml")
    b = build(config, ROOT)
    report = live.run(b, config, engine="victoriametrics", victoriametrics=binary, vmalert=vmalert)
    assert report.ok, report.text()
    records = [r for body in live.rule_files(b).values() for g in yaml.safe_load(body)["groups"] for r in g["rules"]]
    assert len(report.rules) == sum("record" in r for r in records) and not report.dead_rules  # vmalert recorded all
    assert len(report.alerts) == len(b.alerts) and not report.failed_alerts
    assert report.targets and not report.dead_targets
    assert "replay rules" in report.timings and "VictoriaMetrics" in report.prometheus_version


def test_verify_live_takes_the_engine(victoriametrics, tmp_path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["verify-live", "--root", str(ROOT), "--engine", "victoriametrics", "--results", str(tmp_path / "r.json")],
        stdout=out,
        stderr=err,
    )
    assert code == 0, out.getvalue()[-3000:] + err.getvalue()
    assert "PASSED" in out.getvalue() and "VictoriaMetrics + vmalert" in out.getvalue()
