"""The generated alert outputs, read back from the files: Grafana rules and their Prometheus twins agree, a
threshold changed in configuration moves every target, and every rule is well-formed and linked to a panel."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.alerting import template
from agentgrafana.lint.dashboards import panels_of
from agentgrafana.model import Build, format_number
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
GRAFANA = "grafana/provisioning/alerting/agentgrafana.yaml"
PROMETHEUS_RULE = "kubernetes/prometheusrule.yaml"
CONFIGMAP = "kubernetes/grafana-alerts.yaml"
REQUIRED = {
    "AgentHighLatency",
    "AgentHighErrorRate",
    "LLMRateLimitErrors",
    "TenantDailyCostBudgetExceeded",
    "LLMHighInferenceLatency",
    "ToolHighExecutionLatency",
    "VectorSearchHighLatency",
    "ToolHighErrorRate",
    "AgentHighTimeoutRate",
    "GPUFramebufferMemoryHigh",
    "GPUXidHardwareError",
    "GPUXidApplicationError",
    "GPUHighTemperature",
}
OPS = {"gt": ">", "lt": "<"}


@pytest.fixture(scope="module")
def shipped(default_build) -> Build:
    return default_build


def _yaml(b: Build, path: str) -> Any:
    return yaml.safe_load(b.files[path])


def prometheus_groups(b: Build) -> list[dict[str, Any]]:
    """Prometheus rule groups: deployed, or (Grafana engine) kept beside the promtool tests."""
    return [
        g
        for path in sorted(b.files)
        if path.startswith(("prometheus/rules/", "prometheus/tests/rules/"))
        for g in _yaml(b, path)["groups"]
    ]


def prometheus_alerts(b: Build) -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for g in prometheus_groups(b) for r in g["rules"] if "alert" in r}


def grafana_groups(b: Build) -> list[dict[str, Any]]:
    return _yaml(b, GRAFANA)["groups"]


def twins(b: Build) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(Grafana rule, Prometheus rule) pairs: same group, same position (both come from one ordered list)."""
    prom = {g["name"]: [r for r in g["rules"] if "alert" in r] for g in prometheus_groups(b)}
    pairs = []
    for g in grafana_groups(b):
        assert len(g["rules"]) == len(prom[g["name"]]), g["name"]
        pairs += list(zip(g["rules"], prom[g["name"]]))
    return pairs


def _query(rule: dict[str, Any]) -> str:
    return next(d for d in rule["data"] if d["refId"] == "A")["model"]["expr"]


def _threshold(rule: dict[str, Any]) -> tuple[str, float]:
    step = next(d for d in rule["data"] if d["model"].get("type") == "threshold")
    evaluator = step["model"]["conditions"][0]["evaluator"]
    return OPS[evaluator["type"]], evaluator["params"][0]


def test_every_required_alert_is_generated(shipped) -> None:
    """The seed's alerts are all there (a project may add more: this is not a count)."""
    assert REQUIRED <= set(prometheus_alerts(shipped))


def test_each_grafana_rule_has_the_query_and_threshold_of_its_prometheus_twin(shipped) -> None:
    pairs = twins(shipped)
    assert len(pairs) == len(prometheus_alerts(shipped))
    for grafana, prom in pairs:
        op, value = _threshold(grafana)
        assert prom["expr"] == f"({_query(grafana)}) {op} {format_number(value)}", grafana["title"]
        assert grafana["for"] == prom["for"]
        assert grafana["labels"]["severity"] == prom["labels"]["severity"]
        assert grafana["annotations"]["summary"] == prom["annotations"]["summary"]
        assert grafana["annotations"]["runbook_url"] == prom["annotations"]["runbook_url"]
        # same description, with Grafana's reduce value in place of $value
        assert grafana["annotations"]["description"] == prom["annotations"]["description"].replace(
            "$value", "$values.B.Value"
        )


def test_grafana_rules_are_query_reduce_threshold_with_condition_c(shipped) -> None:
    for g in grafana_groups(shipped):
        assert g["folder"] == "AI Agents" and g["interval"] == "60s"
        for rule in g["rules"]:
            refs = [d["refId"] for d in rule["data"]]
            assert rule["condition"] in refs
            assert refs == ["A", "B", "C"]
            a, b, c = rule["data"]
            assert a["datasourceUid"] == "prometheus" and a["model"]["instant"] is True
            assert a["relativeTimeRange"]["from"] >= 600
            assert b["model"] == {**b["model"], "type": "reduce", "expression": "A", "reducer": "last"}
            assert c["model"]["type"] == "threshold" and c["model"]["expression"] == "B"
            assert len(rule["uid"]) <= 40 and re.match(r"^[A-Za-z0-9_-]+$", rule["uid"])
            assert rule["noDataState"] == "OK" and rule["execErrState"] == "Error"
            assert rule["labels"]["managed_by"] == "agentgrafana"
            summary = rule["annotations"]["summary"]
            # names its subject (the dead man's switch has none), prints no value
            assert ("$labels." in summary or rule["title"] == "Watchdog") and "$value" not in summary
            assert "$value " not in rule["annotations"]["description"]


def test_every_grafana_rule_links_to_an_existing_panel(shipped) -> None:
    panels = {(d.uid, str(p.get("id"))): p.get("title") for d in shipped.dashboards for p in panels_of(d.model)}
    for g in grafana_groups(shipped):
        for rule in g["rules"]:
            notes = rule["annotations"]
            assert (notes["__dashboardUid__"], notes["__panelId__"]) in panels, rule["title"]
    # the API shape carries the same link
    for g in shipped.grafana_rule_groups:
        for rule in g.rules:
            assert rule["folderUID"] == "ai-agents" and rule["ruleGroup"] == g.name and rule["orgID"] == 1
            assert rule["annotations"]["__panelId__"].isdigit()
            assert g.interval_seconds == 60


def test_prometheus_rule_is_selected_by_release_and_matches_the_rule_files(shipped) -> None:
    manifest = _yaml(shipped, PROMETHEUS_RULE)
    assert manifest["apiVersion"] == "monitoring.coreos.com/v1" and manifest["kind"] == "PrometheusRule"
    assert manifest["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "agentgrafana"
    assert manifest["metadata"]["namespace"] == "monitoring"
    deployed = [p for p in shipped.files if p.startswith("prometheus/rules/")]
    by_name = {g["name"]: g for p in deployed for g in _yaml(shipped, p)["groups"]}
    assert [g["name"] for g in manifest["spec"]["groups"]][:2] == ["agent-recording", "agent-cost"]
    assert {g["name"]: g for g in manifest["spec"]["groups"]} == by_name
    for g in manifest["spec"]["groups"]:
        assert set(g) == {"name", "interval", "rules"}  # no labels / query_offset (Prometheus 3.0 / 2.53)


def test_alert_configmap_holds_the_provisioning_file(shipped) -> None:
    cm = _yaml(shipped, CONFIGMAP)
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["labels"]["grafana_alert"] == "1"
    (body,) = cm["data"].values()
    assert body.encode() == shipped.files[GRAFANA]


def test_recording_rules_carry_the_names_dashboards_use(shipped) -> None:
    records = {r["record"] for g in prometheus_groups(shipped) for r in g["rules"] if "record" in r}
    assert {
        "agent_name:agent_requests:rate5m",
        "agent_name:agent_errors:rate5m",
        "agent_name:agent_error_ratio:rate5m",
        "agent_name:agent_request_duration_seconds:p99_rate5m",
        "agent_name_le_model_tenant_id:agent_request_duration_seconds_bucket:rate5m",
        "model:llm_inference_duration_seconds:p99_rate5m",
        "tool_name:tool_execution_duration_seconds:p99_rate5m",
        "collection:vector_search_duration_seconds:p99_rate5m",
        "tool_name:tool_execution_error_ratio:rate5m",
        "tenant_id:llm_cost_dollars:increase24h",
        "tenant_id:llm_cost_budget_dollars:daily",
        "tenant_id:llm_cost_budget:utilisation24h",
    } <= records
    for name in records:
        assert re.match(r"^[a-z_]+:[a-z0-9_]+:[a-z0-9_]+$", name), name


def test_budget_overrides_become_recording_rules(shipped) -> None:
    cost = next(g for g in prometheus_groups(shipped) if g["name"] == "agent-cost")
    budgets = {
        r["labels"]["tenant_id"]: (r["expr"], r["labels"]["budget_usd"])
        for r in cost["rules"]
        if r.get("record") == "tenant_id:llm_cost_budget_dollars:daily"
    }
    assert budgets == {"acme": ("vector(250)", "250.00"), "initech": ("vector(50)", "50.00")}
    utilisation = next(
        r["expr"] for r in cost["rules"] if r.get("record") == "tenant_id:llm_cost_budget:utilisation24h"
    )
    # tenants without an override get the default, labelled like an override; the label reaches utilisation
    assert (
        'label_replace(tenant_id:llm_cost_dollars:increase24h * 0 + 100, "budget_usd", "100.00", "", "")' in utilisation
    )
    assert "group_left (budget_usd)" in utilisation


def test_without_overrides_the_default_budget_divides(tmp_path) -> None:
    b = build(config_mod.from_mapping({"budgets": {"daily_usd_default": 80}}), ROOT)
    cost = next(g for g in prometheus_groups(b) if g["name"] == "agent-cost")
    assert [r["record"] for r in cost["rules"]] == [
        "tenant_id:llm_cost_dollars:rate5m",
        "tenant_id:llm_cost_dollars:increase24h",
        "tenant_id:llm_cost_budget:utilisation24h",
        "tenant_id:llm_cost_dollars:rate1h",
        "tenant_id:llm_cost_budget:forecast24h",
        "tenant_id:llm_cost_dollars:increase30d",
        "tenant_id:llm_cost_budget:utilisation30d",
    ]
    assert cost["rules"][1]["expr"] == "sum_over_time(tenant_id:llm_cost_dollars:rate5m[24h]) * 60"
    assert cost["rules"][2]["expr"] == (
        'label_replace(tenant_id:llm_cost_dollars:increase24h / 80, "budget_usd", "80.00", "", "")'
    )


@pytest.mark.parametrize(
    "key,path,alert,new",
    [
        (
            "thresholds.latency_seconds.agent.p99_alert",
            ["thresholds", "latency_seconds", "agent", "p99_alert"],
            "AgentHighLatency",
            7.5,
        ),
        ("thresholds.agent_error_rate_alert", ["thresholds", "agent_error_rate_alert"], "AgentHighErrorRate", 0.125),
        (
            "thresholds.gpu.temperature_alert_celsius",
            ["thresholds", "gpu", "temperature_alert_celsius"],
            "GPUHighTemperature",
            77,
        ),
    ],
)
def test_a_threshold_change_moves_grafana_prometheus_prometheusrule_and_tests_together(
    shipped, key, path, alert, new
) -> None:
    mapping: dict[str, Any] = {"alerting": {"engine": "both"}}  # so the PrometheusRule holds the alerts too
    node = mapping
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = new
    changed = build(config_mod.from_mapping(mapping), ROOT)
    text = format_number(new)

    prom = prometheus_alerts(changed)[alert]
    assert prom["expr"].endswith(f" > {text}")
    grafana = next(g for g, p in twins(changed) if p["alert"] == alert)
    assert _threshold(grafana) == (">", new)
    manifest = {
        r["alert"]: r for g in _yaml(changed, PROMETHEUS_RULE)["spec"]["groups"] for r in g["rules"] if "alert" in r
    }
    assert manifest[alert]["expr"] == prom["expr"]
    tests = [
        t
        for p, body in changed.files.items()
        if p.startswith("prometheus/tests/") and not p.startswith("prometheus/tests/rules/")
        for t in yaml.safe_load(body)["tests"]
        if t["alert_rule_test"][0]["alertname"] == alert
    ]
    assert any(f"(> {text})" in t["name"] for t in tests)
    # nothing else moved
    before = prometheus_alerts(shipped)
    assert {n: r for n, r in prometheus_alerts(changed).items() if n != alert} == {
        n: r for n, r in before.items() if n != alert
    }


def test_every_alert_has_generated_fire_silent_and_idle_tests(shipped) -> None:
    tests: dict[str, list[dict[str, Any]]] = {}
    for path, body in shipped.files.items():
        if path.startswith("prometheus/tests/") and not path.startswith("prometheus/tests/rules/"):
            doc = yaml.safe_load(body)
            # deployed rule files, and the alerting rules kept for promtool under the default Grafana engine
            assert doc["rule_files"] and all(f.startswith(("../rules/", "rules/")) for f in doc["rule_files"])
            assert all((f"prometheus/tests/{f}".replace("tests/../", "")) in shipped.files for f in doc["rule_files"])
            for t in doc["tests"]:
                tests.setdefault(t["alert_rule_test"][0]["alertname"], []).append(t)
    assert set(tests) == {a.name for a in shipped.alerts} and REQUIRED <= set(tests)
    always = {a.name for a in shipped.alerts if a.incident and a.incident.signal.kind == "always"}
    for name, cases in tests.items():
        fires = [t for t in cases if t["alert_rule_test"][0]["exp_alerts"]]
        if name in always:  # a dead man's switch: it fires in every case
            assert fires and len(fires) == len(cases), name
            continue
        silent = [t["name"] for t in cases if not t["alert_rule_test"][0]["exp_alerts"]]
        assert fires and all(
            a["exp_annotations"]["description"] for t in fires for a in t["alert_rule_test"][0]["exp_alerts"]
        ), name
        assert any("just short of the threshold" in s for s in silent), name
        assert any("without traffic" in s for s in silent), name


def test_outputs_are_deterministic(shipped) -> None:
    again = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    keys = [k for k in shipped.files if not k.startswith("dashboards/")]
    assert {k: shipped.files[k] for k in keys} == {k: again.files[k] for k in keys}


BUDGET_ALERT = "TenantDailyCostBudgetExceeded"


def _budget_tests(b: Build) -> list[dict[str, Any]]:
    return [
        t
        for p, body in b.files.items()
        if p.startswith("prometheus/tests/") and not p.startswith("prometheus/tests/rules/")
        for t in yaml.safe_load(body)["tests"]
        if t["alert_rule_test"][0]["alertname"] == BUDGET_ALERT
    ]


def test_budget_alert_is_a_plain_comparison_with_its_limit_visible(shipped) -> None:
    prom = prometheus_alerts(shipped)[BUDGET_ALERT]
    grafana = next(g for g, p in twins(shipped) if p["alert"] == BUDGET_ALERT)
    alert = next(a for a in shipped.alerts if a.name == BUDGET_ALERT)
    # utilisation compared with the configured limit, in both engines: Grafana's threshold step shows 1 (100 %)
    assert _query(grafana) == "tenant_id:llm_cost_budget:utilisation24h"
    assert _threshold(grafana) == (">", 1) and alert.threshold_key == "thresholds.budget_utilisation_alert"
    assert prom["expr"] == "(tenant_id:llm_cost_budget:utilisation24h) > 1"
    assert alert.unit == "percentunit"
    # one template, both targets: the utilisation is the value, the budget in dollars a label the budget rules set
    assert "{{ $value | humanizePercentage }}" in prom["annotations"]["description"]
    assert "{{ $values.B.Value | humanizePercentage }}" in grafana["annotations"]["description"]
    for description in (prom["annotations"]["description"], grafana["annotations"]["description"]):
        assert "${{ $labels.budget_usd }}" in description
    assert template.render(alert.description, {"tenant_id": "globex", "budget_usd": "100.00"}, 1.524) == (
        "Tenant globex spent 152.4% of its daily budget of $100.00 on LLM calls in the last 24 hours (limit 100%)."
    )


def test_budget_alert_tests_judge_each_tenant_by_its_own_budget(shipped) -> None:
    """The generated promtool tests expect each firing tenant's utilisation of its own budget."""
    fired = {}
    tests = _budget_tests(shipped)
    assert any(
        t["name"].startswith(
            f"{BUDGET_ALERT} is silent just short of the threshold at 0.99 (utilisation of the $100 default budget"
        )
        for t in tests
    ), [t["name"] for t in tests]
    for t in tests:
        for a in t["alert_rule_test"][0]["exp_alerts"]:
            description = a["exp_annotations"]["description"]
            fired[description] = a["exp_labels"]
            assert re.search(r"spent [\d.]+% of its daily budget of \$\d+\.\d\d ", description), description
    # default budget $100: fires at $110; acme's $250 override at $275, initech's $50 at $55: 110 % each
    expected = {("globex", "110", "100.00"), ("acme", "110", "250.00"), ("initech", "110", "50.00")}
    assert {
        (labels["tenant_id"], re.search(r"spent ([\d.]+)%", d).group(1), labels["budget_usd"])
        for d, labels in fired.items()
    } == expected
    for description, labels in fired.items():
        assert f"budget of ${labels['budget_usd']} " in description


def test_budget_limit_change_moves_the_threshold_of_both_targets_and_the_tests(shipped) -> None:
    changed = build(
        config_mod.from_mapping(
            {
                "thresholds": {"budget_utilisation_alert": 0.8},
                "budgets": {"daily_usd_default": 40, "tenants": {"acme": 250}},
            }
        ),
        ROOT,
    )
    prom = prometheus_alerts(changed)[BUDGET_ALERT]
    grafana = next(g for g, p in twins(changed) if p["alert"] == BUDGET_ALERT)
    assert _threshold(grafana) == (">", 0.8)
    assert prom["expr"] == f"({_query(grafana)}) > 0.8"
    assert "(limit 80%)" in prom["annotations"]["description"]
    fired = [
        (a["exp_labels"]["tenant_id"], a["exp_annotations"]["description"])
        for t in _budget_tests(changed)
        for a in t["alert_rule_test"][0]["exp_alerts"]
    ]
    # fires at 0.88 of the $40 default and of acme's $250
    assert any(t != "acme" and "spent 88% of its daily budget of $40.00 " in d for t, d in fired), fired
    assert any(t == "acme" and "spent 88% of its daily budget of $250.00 " in d for t, d in fired), fired
    # the budget limit moves the cost alerts (exceeded, the warning at a share of it, the forecast), nothing else
    cost = {a.name for a in shipped.alerts if a.component == "cost"}
    assert {n: r for n, r in prometheus_alerts(changed).items() if n not in cost} == {
        n: r for n, r in prometheus_alerts(shipped).items() if n not in cost
    }
    assert "> 0.64" in prometheus_alerts(changed)["TenantDailyCostBudgetWarning"]["expr"]


def test_thresholds_are_written_exactly_in_every_output() -> None:
    """A threshold is never rounded: 1e-5 must not become `> 0` in the Prometheus rule while Grafana keeps it."""
    from agentgrafana.model import format_number

    for value in (1e-4, 1e-5, 1e-11, 0.055, 0.1, 1 / 3, 2.5e-7, 123456.789, 0.30000000000000004):
        text = format_number(value)
        assert "e" not in text.lower() and float(text) == value, (value, text)
