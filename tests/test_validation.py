"""The validator rejects broken expressions and dashboards, each with a specific message naming the culprit."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana.catalog import CATALOG
from agentgrafana.cli import main
from agentgrafana.lint import ValidationFailed
from agentgrafana.lint.runner import lint
from agentgrafana.model import DashboardOut, Folder
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]


def lint_dashboards(dashboards, catalog, recorded):
    return lint(dashboards, [], catalog, recorded)


# (expression, fragment the finding must contain)
BROKEN_EXPRESSIONS = [
    ("sum(rate(agent_request_duration_seconds_count[$__rate_interval])", "does not parse: unclosed left parenthesis"),
    (
        "sum(rate(agent_requets_duration_seconds_count[$__rate_interval]))",
        "unknown metric 'agent_requets_duration_seconds_count' (did you mean 'agent_request_duration_seconds_count'?)",
    ),
    (
        'sum(rate(llm_cost_dollars_total{agent_name="x"}[$__rate_interval]))',
        "label 'agent_name' does not exist on llm_cost_dollars_total",
    ),
    (
        "sum by (tool_name) (rate(agent_errors_total[$__rate_interval]))",
        "sum by (tool_name): label 'tool_name' does not exist on the aggregated series",
    ),
    ("sum(rate(agent_active_sessions[$__rate_interval]))", "rate() on agent_active_sessions, a gauge"),
    (
        "histogram_quantile(0.99, sum by (agent_name) (rate(agent_request_duration_seconds_bucket[$__rate_interval])))",
        "histogram_quantile needs the 'le' label kept",
    ),
    (
        "histogram_quantile(0.99, sum by (le) (rate(agent_request_duration_seconds_sum[$__rate_interval])))",
        "histogram_quantile must read a histogram's _bucket series",
    ),
    ("sum(rate(agent_errors_total[5m]))", "rate() uses a fixed window; use [$__rate_interval]"),
    ("sum(agent:missing_rule:rate5m)", "recording rule 'agent:missing_rule:rate5m' does not exist"),
    (
        'sum(rate(agent_errors_total{tenant_id="$tenant"}[$__rate_interval]))',
        "compared with = to multi-value variable $tenant",
    ),
    ("foo_bar(agent_errors_total)", "does not parse: unknown function with name 'foo_bar'"),
]


def _dashboard(expr: str) -> DashboardOut:
    ds = {"type": "prometheus", "uid": "${datasource}"}
    model = {
        "uid": "t-dash",
        "title": "Test",
        "templating": {
            "list": [
                {"type": "datasource", "name": "datasource", "query": "prometheus"},
                *(
                    {"type": "query", "name": n, "query": {"query": f"label_values(x, {n})"}}
                    for n in ("tenant", "agent", "model")
                    if f"${n}" in expr
                ),
            ]
        },
        "panels": [
            {
                "id": 1,
                "type": "timeseries",
                "title": "Broken panel",
                "description": "d",
                "datasource": ds,
                "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                "fieldConfig": {"defaults": {"unit": "s"}},
                "targets": [{"refId": "A", "expr": expr, "datasource": ds}],
            }
        ],
    }
    return DashboardOut("t-dash", "Test", Folder("f", "F"), model, "dashboards/test.py")


@pytest.mark.parametrize("expr,fragment", BROKEN_EXPRESSIONS, ids=[f[1][:40] for f in BROKEN_EXPRESSIONS])
def test_each_broken_expression_is_rejected_with_its_reason(expr: str, fragment: str) -> None:
    findings = [f for f in lint_dashboards([_dashboard(expr)], CATALOG, {}) if f.rule != "template-unused"]
    assert findings, f"no finding for {expr}"
    texts = [f.text() for f in findings]
    assert any(fragment in t for t in texts), texts
    hit = next(f for f in findings if fragment in f.text())
    assert hit.object == "dashboard t-dash"
    assert 'panel "Broken panel" (id 1) refId A' in hit.location
    assert hit.expr == expr


def test_a_good_expression_has_no_finding() -> None:
    expr = (
        "histogram_quantile(0.99, sum by (le, agent_name) "
        '(rate(agent_request_duration_seconds_bucket{tenant_id=~"$tenant", agent_name=~"$agent"}'
        "[$__rate_interval])))"
    )
    findings = [f for f in lint_dashboards([_dashboard(expr)], CATALOG, {}) if f.rule != "template-unused"]
    assert findings == []


def _mutate(d: DashboardOut, fn) -> DashboardOut:
    model = copy.deepcopy(d.model)
    fn(model)
    return DashboardOut(d.uid, d.title, d.folder, model, d.source)


GOOD = 'sum(rate(agent_errors_total{tenant_id=~"$tenant", agent_name=~"$agent"}[$__rate_interval]))'
BROKEN_DASHBOARDS = [
    (lambda m: m["panels"][0]["fieldConfig"]["defaults"].pop("unit"), "panel has no unit"),
    (lambda m: m["panels"][0].update(description=""), "panel has no description"),
    (lambda m: m["panels"][0].pop("datasource"), "panel has no datasource"),
    (lambda m: m["panels"][0]["targets"].append(dict(m["panels"][0]["targets"][0])), "refId A is used by 2 targets"),
    (lambda m: m["panels"][0]["targets"][0].update(refId=""), "a target has an empty refId"),
    (lambda m: m["panels"][0]["gridPos"].update(x=20), "is outside the 24-column grid"),
    (lambda m: m["panels"].append({**copy.deepcopy(m["panels"][0]), "id": 2}), "overlaps panel"),
    (
        lambda m: m["panels"].append({**copy.deepcopy(m["panels"][0]), "gridPos": {"x": 12, "y": 0, "w": 12, "h": 8}}),
        "panel id 1 is used by 2 panels",
    ),
    (lambda m: m["templating"]["list"].pop(0), "no Prometheus datasource variable"),
    (lambda m: m["templating"]["list"].pop(0), "no Prometheus datasource variable"),
]


@pytest.mark.parametrize("mutate,fragment", BROKEN_DASHBOARDS, ids=[b[1] for b in BROKEN_DASHBOARDS])
def test_each_broken_dashboard_is_rejected(mutate, fragment: str) -> None:
    d = _mutate(_dashboard(GOOD), mutate)
    texts = [f.text() for f in lint_dashboards([d], CATALOG, {})]
    assert any(fragment in t for t in texts), texts


def test_uid_too_long_and_duplicate_dashboards() -> None:
    long_uid = "x" * 41
    d = _dashboard(GOOD)
    long = DashboardOut(long_uid, "Long", d.folder, {**d.model, "uid": long_uid}, d.source)
    texts = [f.text() for f in lint_dashboards([d, d, long], CATALOG, {})]
    assert any("must be 1-40 characters" in t for t in texts)
    assert any("uid t-dash is used by 2 dashboards" in t for t in texts)
    assert any("title 'Test' is used by another dashboard" in t for t in texts)


# --- the real content, broken one way at a time -----------------------------------------------------------------


def _content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    for folder in ("dashboards", "alerts", "recording_rules"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "monitoring.yaml", root / "monitoring.yaml")
    return root


BREAKAGES = [
    (
        "performance.py",
        '"Throughput"',
        'q.rate(REQUESTS, ["agent_name"])',
        'q.rate("agent_request_duraton_seconds_count", ["agent_name"])',
        "unknown metric 'agent_request_duraton_seconds_count'",
    ),
    (
        "cost.py",
        '"Input tokens by model"',
        "matchers='token_type=\"input\"'",
        "matchers='token_kind=\"input\"'",
        "label 'token_kind' does not exist on llm_tokens_total",
    ),
    ("gpu.py", '"SM clock"', 'f"1e6 * {per_gpu', 'f"(1e6 * {per_gpu', "does not parse"),
]


@pytest.mark.parametrize("module,panel,old,new,message", BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_breaking_a_dashboard_module_fails_generate_and_writes_nothing(
    tmp_path: Path, capsys, module, panel, old, new, message
) -> None:
    root = _content_copy(tmp_path)
    out = tmp_path / "out"
    assert main(["generate", "--root", str(root), "--out", str(out)]) == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()

    path = root / "dashboards" / module
    source = path.read_text()
    start = source.index(panel)
    head, tail = source[:start], source[start:]
    assert old in tail, f"fixture out of date: {old!r} not after {panel} in {module}"
    path.write_text(head + tail.replace(old, new, 1))

    assert main(["generate", "--root", str(root), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert f"panel {panel}" in err
    assert "nothing was written" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_config_errors_exit_2_and_name_the_key(tmp_path: Path, capsys) -> None:
    cases = {
        "thresholds:\n  latency_seconds:\n    agent: {p99_alert: -1}\n": (
            "thresholds.latency_seconds.agent.p99_alert: expected a number greater than 0"
        ),
        "grafana:\n  folderr: {}\n": "grafana.folderr: unknown key",
        "traces:\n  url_template: 'langfuse.example.com/{trace_id}'\n": "traces.url_template: expected an http(s) URL",
        "traces:\n  url_template: 'https://x.example.com/trace'\n": "exactly one {trace_id} placeholder",
        "budgets:\n  tenants: {acme: 0}\n": "budgets.tenants.acme: expected a number greater than 0",
        "thresholds:\n  agent_error_rate_alert: 5\n": "expected a ratio from 0.0001 to 1",
        "grafana:\n  uid_prefix: 'bad prefix'\n": "grafana.uid_prefix: expected 1-16 characters",
        "alerting:\n  group_interval: soon\n": "alerting.group_interval: expected a duration from 10s to 24h",
        "grafana: [1, 2]\n": "grafana: expected a mapping",
        "{{{\n": "not valid YAML",
    }
    for text, message in cases.items():
        path = tmp_path / "bad.yaml"
        path.write_text(text)
        out = tmp_path / "out"
        assert main(["generate", "--config", str(path), "--root", str(ROOT), "--out", str(out)]) == 2, text
        err = capsys.readouterr().err
        assert message in err, (text, err)
        assert str(path) in err
        assert not out.exists()


def test_missing_config_file_is_a_usage_error(tmp_path: Path, capsys) -> None:
    assert main(["validate", "--config", str(tmp_path / "nope.yaml"), "--root", str(ROOT)]) == 2
    assert "cannot read configuration" in capsys.readouterr().err


def test_built_in_defaults_give_a_complete_valid_set() -> None:
    """The seed's dashboards are all there with the built-in defaults (more may be added: not a count)."""
    result = build(config_mod.Config(), ROOT)
    assert {f"agent-{k}" for k in ("overview", "performance", "cost", "traces", "gpu")} <= {
        d.uid for d in result.dashboards
    }


def test_validate_json_format_lists_findings_for_bots(tmp_path: Path, capsys) -> None:
    root = _content_copy(tmp_path)
    path = root / "dashboards" / "overview.py"
    source = path.read_text()
    assert "'agent_active_users'" in source
    path.write_text(source.replace("'agent_active_users'", "'agent_active_userz'"))
    assert main(["validate", "--root", str(root), "--format", "json"]) == 1
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["error"] is None
    findings = report["findings"]
    assert len(findings) == 1
    assert findings[0]["object"] == "dashboard agent-overview"
    assert findings[0]["rule"] == "target-promql"
    assert "unknown metric 'agent_active_userz'" in findings[0]["message"]
    assert 'panel "Active users"' in findings[0]["location"]


def test_validation_failure_is_raised_before_any_output(tmp_path: Path) -> None:
    root = _content_copy(tmp_path)
    path = root / "dashboards" / "overview.py"
    path.write_text(
        path.read_text().replace("sum({q.sel('agent_active_sessions')})", "sum({q.sel('agent_active_sessions')}")
    )
    with pytest.raises(ValidationFailed) as info:
        build(config_mod.load(root / "monitoring.yaml"), root)
    assert any("Active sessions" in f.location for f in info.value.findings)


def test_a_latency_alert_above_the_highest_bucket_is_a_config_error(tmp_path: Path, capsys) -> None:
    """histogram_quantile never exceeds the highest finite bucket: such an alert could never fire."""
    path = tmp_path / "c.yaml"
    path.write_text("thresholds:\n  latency_seconds:\n    tool: {p99_alert: 10}\n")
    assert main(["validate", "--config", str(path), "--root", str(ROOT)]) == 2
    assert (
        "thresholds.latency_seconds.tool.p99_alert: 10 is at or above the highest bucket (10 s) of "
        "tool_execution_duration_seconds"
    ) in capsys.readouterr().err
    path.write_text("thresholds:\n  latency_seconds:\n    tool: {p99_alert: 9.5}\n")
    assert main(["validate", "--config", str(path), "--root", str(ROOT)]) == 0


def test_unused_variables_are_reported_the_shared_ones_too() -> None:
    """$agent on a cost panel filters nothing (cost has no agent label): a reader who sets it is misled."""
    d = _dashboard('sum(rate(llm_cost_dollars_total{tenant_id=~"$tenant"}[$__rate_interval]))')
    d.model["templating"]["list"].append({"type": "custom", "name": "region", "query": "eu,us"})
    d.model["templating"]["list"].append({"type": "query", "name": "agent", "query": {"query": "label_values(x, a)"}})
    texts = [f.text() for f in lint_dashboards([d], CATALOG, {}) if f.rule == "template-unused"]
    assert texts == [
        "dashboards/test.py: dashboard t-dash: variable 'region' is defined but no panel uses it (template-unused)",
        "dashboards/test.py: dashboard t-dash: variable 'agent' is defined but no panel uses it (template-unused)",
    ]


@pytest.mark.parametrize(
    "expr,ok",
    [
        # the bug: every model's errors over one model's requests
        (
            'sum(rate(agent_errors_total{agent_name=~"$agent"}[$__rate_interval])) / '
            'sum(rate(agent_request_duration_seconds_count{agent_name=~"$agent", model=~"$model"}[$__rate_interval]))',
            False,
        ),
        # a fallback that hides the mismatch inside `or`
        (
            '(sum(rate(agent_errors_total{tenant_id=~"$tenant"}[5m])) or 0 * '
            'sum(rate(agent_request_duration_seconds_count{tenant_id=~"$tenant", model=~"$model"}[5m]))) / '
            'sum(rate(agent_request_duration_seconds_count{tenant_id=~"$tenant"}[5m]))',
            False,
        ),
        # the whole platform's spend over one agent's requests
        (
            'sum(rate(llm_cost_dollars_total{tenant_id=~"$tenant"}[$__rate_interval])) / '
            'sum(rate(agent_request_duration_seconds_count{tenant_id=~"$tenant", agent_name=~"$agent"}'
            "[$__rate_interval]))",
            False,
        ),
        # a difference with one filtered side
        (
            'sum(rate(agent_request_duration_seconds_count{model=~"$model"}[5m])) - sum(rate(agent_errors_total[5m]))',
            False,
        ),
        # alike on both sides: fine
        (
            'sum(rate(agent_errors_total{agent_name=~"$agent"}[5m])) / '
            'sum(rate(agent_request_duration_seconds_count{agent_name=~"$agent"}[5m]))',
            True,
        ),
        ('sum(rate(agent_errors_total{agent_name=~"$agent"}[5m])) * 100', True),
    ],
)
def test_ratio_scope_lint_corpus(expr, ok) -> None:
    findings = [f for f in lint_dashboards([_dashboard(expr)], CATALOG, {}) if f.rule == "target-filter-scope"]
    assert (not findings) == ok, findings


def test_q_ratio_filters_both_sides_alike_and_says_what_it_ignores() -> None:
    from agentgrafana.config import Config
    from agentgrafana.context import Context

    q = Context(Config()).q
    errors, requests = q.rate("agent_errors_total"), q.rate("agent_request_duration_seconds_count")
    expr = q.ratio(errors, requests)
    assert 'model=~"$model"' not in expr and expr.count('agent_name=~"$agent"') == 2
    assert q.ignored_variables(errors, requests) == ["model"]
    assert "Not filtered by $model" in q.scope_note(errors, requests)
    assert [f for f in lint_dashboards([_dashboard(expr)], CATALOG, {}) if f.rule == "target-filter-scope"] == []


@pytest.mark.parametrize(
    "unit,expr,ok",
    [
        ("seconds", "sum(rate(agent_request_duration_seconds_count[5m]))", False),  # not a Grafana unit id
        ("requests/s", "sum(rate(agent_request_duration_seconds_count[5m]))", False),
        ("MiB", "max(DCGM_FI_DEV_FB_USED)", False),
        ("s", "sum(rate(agent_request_duration_seconds_count[5m]))", False),  # a rate of counts shown as seconds
        ("ms", "sum(rate(agent_errors_total[5m]))", False),
        ("reqps", "sum(rate(agent_request_duration_seconds_count[5m]))", True),
        ("s", "histogram_quantile(0.99, sum by (le) (rate(agent_request_duration_seconds_bucket[5m])))", True),
        (
            "s",
            "sum(rate(agent_request_duration_seconds_sum[5m])) / sum(rate(agent_request_duration_seconds_count[5m]))",
            True,
        ),
        ("mbytes", "max(DCGM_FI_DEV_FB_USED)", True),
        ("suffix: tokens", "sum(rate(llm_tokens_total[5m]))", True),
    ],
)
def test_unit_lint_corpus(unit, expr, ok) -> None:
    d = _dashboard(expr)
    for p in d.model["panels"]:
        p.setdefault("fieldConfig", {}).setdefault("defaults", {})["unit"] = unit
    findings = [f for f in lint_dashboards([d], CATALOG, {}) if f.rule == "panel-unit"]
    assert (not findings) == ok, findings
