"""Every alert has a generated runbook, its runbook_url points at it, and the page says what fired, where to
look and what to do."""

from __future__ import annotations

import yaml


def test_every_alert_has_a_runbook_its_url_points_to(default_build) -> None:
    grafana = yaml.safe_load(default_build.files["grafana/provisioning/alerting/agentgrafana.yaml"])
    rules = {r["title"]: r for g in grafana["groups"] for r in g["rules"]}
    assert set(rules) == {a.name for a in default_build.alerts}
    for alert in default_build.alerts:
        page = f"runbooks/{alert.runbook}.md"
        assert page in default_build.files, alert.name
        assert rules[alert.name]["annotations"]["runbook_url"].endswith("/" + page.removeprefix("runbooks/"))
        text = default_build.files[page].decode()
        assert text.startswith(f"# {alert.name}\n") and alert.expr in text and alert.threshold_key in text
        assert "## What to do\n\n1. " in text, alert.name  # numbered steps from the alert's own actions
        assert f"panel **{alert.panel_title}**" in text and "?viewPanel=" in text


def test_runbooks_are_generated_files_owned_by_one_format(default_build) -> None:
    from agentgrafana.outputs import RUNBOOK, files_with_role

    pages = files_with_role(default_build.files, RUNBOOK)
    assert len(pages) == len(default_build.alerts)
