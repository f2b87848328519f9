"""The Mimir / Cortex ruler namespace file: what can be checked without a Mimir (none installs here).

Mimir's ruler takes Prometheus rule groups under an optional top-level `namespace`, parses them strictly
(unknown fields are errors) and allows a namespace in one file only. So: one file, the same groups the
PrometheusRule deploys, only keys Mimir knows, and promtool accepts the groups themselves.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
GROUP_KEYS = {"name", "interval", "rules", "limit", "source_tenants", "evaluation_delay", "query_offset"}
RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}


def _mimir(files: dict[str, bytes]) -> dict[str, dict]:
    return {p: yaml.safe_load(b) for p, b in files.items() if p.startswith("mimir/")}


@pytest.mark.parametrize("engine", ["grafana", "prometheus"])
def test_one_namespace_holds_exactly_the_deployed_groups(engine: str) -> None:
    b = build(config_mod.from_mapping({"alerting": {"engine": engine}}), ROOT)
    (path, doc), *others = _mimir(b.files).items()
    assert not others and path == f"mimir/{doc['namespace']}.yaml"
    assert set(doc) == {"namespace", "groups"}
    deployed = yaml.safe_load(b.files["kubernetes/prometheusrule.yaml"])["spec"]["groups"]
    assert doc["groups"] == deployed
    names = [g["name"] for g in doc["groups"]]
    assert len(names) == len(set(names))
    for group in doc["groups"]:
        assert set(group) <= GROUP_KEYS, group["name"]
        for rule in group["rules"]:
            assert set(rule) <= RULE_KEYS, rule
    alerts = sum(1 for g in doc["groups"] for r in g["rules"] if "alert" in r)
    assert (alerts > 0) == (engine == "prometheus")  # Grafana evaluates the alerts: Mimir records only


def test_a_project_gets_its_own_namespace() -> None:
    b = build(config_mod.from_mapping({"grafana": {"uid_prefix": "payments"}}), ROOT)
    assert list(_mimir(b.files)) == ["mimir/payments-agentgrafana.yaml"]


@pytest.mark.promtool
def test_promtool_accepts_the_namespace_groups(promtool, tmp_path) -> None:
    b = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    ((_, doc),) = _mimir(b.files).items()
    rules = tmp_path / "groups.yaml"
    rules.write_text(yaml.safe_dump({"groups": doc["groups"]}, sort_keys=False))
    done = subprocess.run([promtool, "check", "rules", "--lint-fatal", str(rules)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
