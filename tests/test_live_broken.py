"""The live check notices broken data and broken rules, and names the panels they kill."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from agentgrafana.catalog import CATALOG
from agentgrafana.config import Config, load
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import SimOptions, simulate
from agentgrafana.model import Build, panels_of
from agentgrafana.pipeline import build
from agentgrafana.promql import analyze

pytestmark = pytest.mark.live

TOOL_BUCKETS = "tool_execution_duration_seconds_bucket"


def project(root: Path) -> tuple[Config, Build]:
    path = root / "monitoring.yaml"
    config = load(path if path.is_file() else None)
    return config, build(config, root)


def series_read(expr: str, recorded: dict[str, str], seen: frozenset[str] = frozenset()) -> set[str]:
    """Series names an expression reads, including those behind the recording rules it reads."""
    out: set[str] = set()
    for name in analyze(expr, CATALOG).metrics:
        out.add(name)
        if name in recorded and name not in seen:
            out |= series_read(recorded[name], recorded, seen | {name})
    return out


def run_check(
    the_build: Build, config: Config, options: SimOptions, prometheus_binary: str, promtool: str
) -> live.LiveReport:
    dataset = simulate(config, live.default_end(), options, alerts=the_build.alerts)
    with live_prometheus(dataset, live.rule_files(the_build), prometheus_binary, promtool) as server:
        report = live.check(the_build, server)
    print("\n" + report.text())
    return report


@pytest.fixture(scope="module")
def renamed(root, prometheus_binary, promtool):
    """The simulator renames the tenant_id label, the tool histogram's bucket suffix and a token_type value."""
    config, the_build = project(root)
    options = SimOptions(
        label_renames={"tenant_id": "tenant"},
        series_renames={TOOL_BUCKETS: TOOL_BUCKETS + "s"},
        value_renames={"token_type": {"input": "prompt"}},
    )
    return the_build, run_check(the_build, config, options, prometheus_binary, promtool)


def test_renamed_data_fails_the_check_and_names_the_panels(renamed):
    the_build, report = renamed
    assert not report.ok and report.text().endswith("FAILED")
    recorded = live.recorded_exprs(the_build)
    dead = {(t.dashboard, t.panel, t.ref_id) for t in report.dead_targets}
    reads_tool_buckets = {
        (t.dashboard, t.panel, t.ref_id) for t in report.targets if TOOL_BUCKETS in series_read(t.query, recorded)
    }
    shows_tenant = set()
    for d in the_build.dashboards:
        for p in panels_of(d.model):
            for t in p.get("targets") or []:
                if "tenant_id" in str(t.get("legendFormat", "")) + str(p.get("transformations", "")):
                    shows_tenant.add((d.title, p.get("title"), t.get("refId")))
    selects_input = {(t.dashboard, t.panel, t.ref_id) for t in report.targets if 'token_type="input"' in t.query}
    assert reads_tool_buckets and shows_tenant and selects_input
    assert reads_tool_buckets <= dead, "every panel reading the renamed buckets must be reported dead"
    assert shows_tenant <= dead, "every panel showing tenant_id must be reported dead"
    assert selects_input <= dead, "every panel selecting the renamed token_type value must be reported dead"
    for t in report.dead_targets:
        assert (t.dashboard, t.panel, t.ref_id) in reads_tool_buckets | shows_tenant | selects_input, t.name
        assert f"DEAD {t.dashboard} / {t.panel} [{t.ref_id}]" in report.text()


def test_renamed_data_empties_the_tenant_variable_and_breaks_the_alerts(renamed):
    the_build, report = renamed
    dead_vars = {(v.dashboard, v.name) for v in report.dead_variables}
    with_tenant = {
        (d.title, "tenant")
        for d in the_build.dashboards
        if any(v["name"] == "tenant" for v in d.model["templating"]["list"])
    }
    assert len(with_tenant) >= 3 and with_tenant <= dead_vars
    failed = {a.name for a in report.failed_alerts}
    recorded = live.recorded_exprs(the_build)
    for alert in the_build.alerts:
        reads = series_read(alert.expr, recorded)
        if TOOL_BUCKETS in reads:
            assert alert.name in failed
        if "llm_cost_dollars_total" in reads and "$labels.tenant_id" in alert.description:
            assert alert.name in failed  # fires without the tenant_id its description prints
    assert {r.record for r in report.dead_rules} == {
        r for r, expr in recorded.items() if TOOL_BUCKETS in series_read(expr, recorded)
    }


def broken_rule(the_build: Build) -> tuple[Build, str, tuple[str, str, str]]:
    """The build with one recording rule renamed in its rule file: one that a panel reads without fallback."""
    recorded = live.recorded_exprs(the_build)
    for d in the_build.dashboards:
        for p in panels_of(d.model):
            for t in p.get("targets") or []:
                expr = str(t.get("expr", ""))
                names = [n for n in recorded if re.search(rf"(?<![\w:]){re.escape(n)}(?![\w:])", expr)]
                if names and " or " not in expr:
                    record = names[0]
                    files = dict(the_build.files)
                    for path, body in live.rule_files(the_build).items():
                        files[path] = body.replace(
                            f"record: {record}\n".encode(), f"record: {record}_renamed\n".encode()
                        )
                    return replace(the_build, files=files), record, (d.title, str(p.get("title")), t.get("refId"))
    raise AssertionError("no dashboard panel reads a recording rule")


@pytest.fixture(scope="module")
def broken(root, prometheus_binary, promtool):
    config, the_build = project(root)
    broken_build, record, victim = broken_rule(the_build)
    return broken_build, record, victim, run_check(broken_build, config, SimOptions(), prometheus_binary, promtool)


def test_broken_recording_rule_fails_the_check_and_names_the_panels(broken):
    the_build, record, victim, report = broken
    assert not report.ok
    dead = {(t.dashboard, t.panel, t.ref_id) for t in report.dead_targets}
    assert victim in dead
    assert f"DEAD {victim[0]} / {victim[1]} [{victim[2]}]" in report.text()
    original = {**live.recorded_exprs(the_build), record: "vector(0)"}
    original.pop(f"{record}_renamed", None)
    for t in report.dead_targets:  # nothing else dies
        assert record in series_read(t.query, original), t.name
    readers = {a.name for a in the_build.alerts if record in series_read(a.expr, original)}
    failed = {a.name for a in report.failed_alerts}
    assert failed <= readers
    assert bool(failed) == bool(readers)
