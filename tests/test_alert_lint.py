"""Rule lint: a corpus of broken alerts and recording rules, each rejected with its own message."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from agentgrafana import scenario as sc
from agentgrafana.alerting import collect, grafana
from agentgrafana.catalog import CATALOG
from agentgrafana.config import Config
from agentgrafana.lint.runner import lint
from agentgrafana.model import Alert, DashboardOut, Folder, RecordingRule, RuleGroup

RECORDING = [
    RecordingRule(
        "agent_name:agent_requests:rate5m",
        "sum by (agent_name) (rate(agent_request_duration_seconds_count[5m]))",
        "rec",
        source="r.py",
    ),
]
DASHBOARD = DashboardOut(
    "agent-overview",
    "Overview",
    Folder("f", "F"),
    {
        "panels": [
            {"id": 7, "title": "Error rate by agent", "fieldConfig": {"defaults": {"unit": "short"}}},
            {"id": 8, "title": "Twin"},
            {"id": 9, "title": "Twin"},
            {"id": 10, "title": "Requests by agent", "fieldConfig": {"defaults": {"unit": "reqps"}}},
        ]
    },
    "dashboards/o.py",
)
GOOD = Alert(
    name="AgentHighRequestRate",
    title="Agent High Request Rate",
    uid="agent-high-request-rate",
    expr="agent_name:agent_requests:rate5m",
    op=">",
    threshold=100.0,
    threshold_key="thresholds.x",
    for_="5m",
    severity="warning",
    summary="Agent request rate is high.",
    description="Agent {{ $labels.agent_name }} serves {{ $value | humanize }} requests/s.",
    runbook="agent-high-rate",
    dashboard_uid="agent-overview",
    panel_title="Error rate by agent",
    group="alerts",
    source="alerts/x.py",
    unit="short",
    incident=sc.Incident(sc.Rate("agent_errors_total", {"agent_name": "a"}, per_seconds=60), sc.labels(agent_name="a")),
    actions=("Check the agent's dependencies.",),
    component="agent",
)


PRESENCE = replace(
    GOOD,
    name="RequestsAbsent",
    uid="requests-absent",
    expr='label_replace(absent_over_time(agent_request_duration_seconds_count[15m]), "agent_name", "all", "", "")',
    threshold=0.0,
    description="Requests of {{ $labels.agent_name }} are absent ({{ $value | humanize }}).",
)


def run(
    *alerts: Alert, recording: list[RecordingRule] = RECORDING, interval: str = "1m", presence: bool = True
) -> list[Any]:
    """Lint findings of `alerts`, beside a presence alert on the request histogram (unless `presence` is off)."""
    watch = [PRESENCE] if presence else []
    groups = [
        RuleGroup("rec", interval, recording=list(recording)),
        RuleGroup("alerts", interval, alerts=[*alerts, *watch]),
    ]
    recorded = collect.recorded_series(groups, CATALOG)
    return [
        f
        for f in lint(groups=groups, dashboards=[DASHBOARD], catalog=CATALOG, recorded=recorded)
        if f.object.startswith(("alert ", "recording rule ", "rule group "))
    ]


def test_the_good_alert_has_no_finding() -> None:
    assert run(GOOD) == []


def test_an_alert_on_an_unwatched_histogram_is_a_presence_warning() -> None:
    (finding,) = run(GOOD, presence=False)
    assert finding.rule == "alert-presence" and finding.severity == "warning"
    assert "reads agent_request_duration_seconds, which no absent_over_time alert watches" in finding.message
    # a counter (errors appear only with the first error) needs no presence alert
    errors = replace(
        GOOD, name="AgentErrors", uid="agent-errors", expr="sum by (agent_name) (rate(agent_errors_total[5m]))"
    )
    assert [f for f in run(errors, presence=False) if f.rule == "alert-presence"] == []


BROKEN_ALERTS = [
    ({"name": "agent_high_rate"}, "alert-name", "must be CamelCase"),
    ({"severity": "page"}, "alert-severity", "severity 'page' must be one of critical, warning, info"),
    ({"summary": ""}, "alert-annotations", "summary annotation is missing"),
    ({"summary": "Agent is slow: {{ $value }}"}, "alert-annotations", "summary must name its subject"),
    ({"summary": "Agent {{ $labels.tenant }} is slow"}, "alert-template", "template uses $labels.tenant"),
    ({"description": ""}, "alert-annotations", "description annotation is missing"),
    ({"description": "The agent is slow."}, "alert-annotations", "description must use templates"),
    (
        {"description": "Tenant {{ $labels.tenant_id }}: {{ $value | humanize }}"},
        "alert-template",
        "template uses $labels.tenant_id, which the query does not keep (it keeps: agent_name)",
    ),
    ({"description": "{{ $value }} requests/s"}, "alert-template", "prints a raw float"),
    (
        {"description": "{{ $values.B.Value | humanize }} requests/s"},
        "alert-template",
        "is not portable between Prometheus and Grafana",
    ),
    ({"description": '{{ with query "up" }}{{ . }}{{ end }}'}, "alert-template", "is not portable"),
    ({"expr": "agent_name:agent_requests:rate5m > 100"}, "alert-comparison", "the query already filters at the top"),
    ({"op": "+"}, "alert-comparison", "has no comparison, so it would always fire"),
    ({"op": ">="}, "alert-threshold", "Grafana's threshold step has only gt and lt"),
    ({"threshold": float("nan")}, "alert-threshold", "must be a finite number"),
    ({"for_": "30s"}, "alert-for", "for 30s is shorter than the group interval 1m"),
    ({"for_": "five minutes"}, "alert-for", "is not a Prometheus duration"),
    ({"uid": "agent-" + "x" * 40}, "alert-uid", "must be 1-40 characters"),
    ({"runbook": "Agent High Rate"}, "alert-annotations", "runbook slug 'Agent High Rate'"),
    ({"incident": None}, "alert-test", "no incident"),
    (
        {"expr": "agent_name:agent_requets:rate5m"},
        "rule-promql",
        "recording rule 'agent_name:agent_requets:rate5m' does not exist",
    ),
    (
        {"expr": "sum by (agent_name) (rate(agent_active_sessions[5m]))"},
        "rule-promql",
        "rate() on agent_active_sessions, a gauge",
    ),
    (
        {"expr": "histogram_quantile(0.99, sum by (agent_name) (rate(agent_request_duration_seconds_bucket[5m])))"},
        "rule-promql",
        "histogram_quantile needs the 'le' label kept",
    ),
    (
        {"expr": 'sum by (agent_name) (rate(agent_errors_total{tenant_id=~"$tenant"}[5m]))'},
        "rule-variables",
        "uses the dashboard variable $tenant",
    ),
    ({"expr": "sum by (agent_name) (rate(agent_errors_total[5m])"}, "rule-promql", "does not parse"),
    (
        {"dashboard_uid": "agent-nope"},
        "alert-dashboard-link",
        "links to dashboard 'agent-nope', which is not generated",
    ),
    ({"panel_title": "Latency"}, "alert-dashboard-link", "dashboard agent-overview has no panel titled 'Latency'"),
    ({"panel_title": "Twin"}, "alert-dashboard-link", "has 2 panels titled 'Twin'"),
    ({"unit": "requests"}, "alert-unit", "unit 'requests' is not a Grafana unit id"),
    ({"panel_title": "Requests by agent"}, "alert-unit", "the alert's value is in 'short' but its panel"),
]


@pytest.mark.parametrize("change,rule,message", BROKEN_ALERTS, ids=[b[2][:40] for b in BROKEN_ALERTS])
def test_each_broken_alert_is_rejected_with_its_reason(change: dict, rule: str, message: str) -> None:
    alert = replace(GOOD, **change)
    findings = run(alert)
    hits = [f for f in findings if f.rule == rule and message in f.message]
    assert hits, [f.text() for f in findings]
    assert hits[0].file == "alerts/x.py"
    assert hits[0].object == f"alert {alert.name}"


def test_duplicates_are_reported() -> None:
    twin = replace(GOOD, title="Other")
    texts = [f.text() for f in run(GOOD, twin, recording=RECORDING * 2)]
    assert any("alert AgentHighRequestRate is defined 2 times (rule-duplicate)" in t for t in texts)
    assert any("Grafana rule uid agent-high-request-rate is used by 2 alerts" in t for t in texts)
    assert any("agent_name:agent_requests:rate5m with labels {} is recorded 2 times" in t for t in texts)


def test_same_record_with_different_labels_is_not_a_duplicate() -> None:
    budgets = [
        RecordingRule(
            "tenant_id:llm_cost_budget_dollars:daily",
            f"vector({usd})",
            "rec",
            labels=(("tenant_id", t),),
            source="r.py",
        )
        for t, usd in (("a", 1), ("b", 2))
    ]
    assert [f for f in run(GOOD, recording=RECORDING + budgets) if f.rule == "rule-duplicate"] == []


def test_a_recording_rule_nothing_reads_is_reported_and_a_read_one_is_not() -> None:
    unread = RecordingRule(
        "agent_name:agent_errors:rate5m", "sum by (agent_name) (rate(agent_errors_total[5m]))", "rec", source="r.py"
    )
    chained = RecordingRule(  # read by another rule only: still read
        "agent_name:agent_requests:rate1h", "avg_over_time(agent_name:agent_requests:rate5m[1h])", "rec", source="r.py"
    )
    reader = RecordingRule(
        "agent_name:agent_requests:max1h", "max_over_time(agent_name:agent_requests:rate1h[1h])", "rec", source="r.py"
    )
    found = [f for f in run(GOOD, recording=[*RECORDING, unread, chained, reader]) if f.rule == "recording-unread"]
    assert {f.object for f in found} == {
        "recording rule agent_name:agent_errors:rate5m",  # read by nothing
        "recording rule agent_name:agent_requests:max1h",  # the end of a chain nobody reads
    }
    assert all(f.severity == "warning" and "nothing in the project reads it" in f.message for f in found)
    # agent_name:agent_requests:rate5m is read by GOOD (an alert), rate1h by max1h (a rule): neither reported


@pytest.mark.parametrize(
    "record,expr,message",
    [
        ("agent_requests_rate5m", "sum(rate(agent_errors_total[5m]))", "must be level:metric:operations"),
        ("agent:requests", "sum(rate(agent_errors_total[5m]))", "must be level:metric:operations"),
        ("agent:errors:rate5m", "sum(rate(agent_errors_total[$__rate_interval]))", "uses the dashboard variable"),
        ("agent:errors:rate5m", "sum(rate(agent_erors_total[5m]))", "unknown metric 'agent_erors_total'"),
        (
            "agent:errors:rate5m",
            "sum by (tool_name) (rate(agent_errors_total[5m]))",
            "label 'tool_name' does not exist",
        ),
    ],
)
def test_each_broken_recording_rule_is_rejected(record: str, expr: str, message: str) -> None:
    findings = run(GOOD, recording=RECORDING + [RecordingRule(record, expr, "rec", source="recording_rules/x.py")])
    hits = [f for f in findings if message in f.message]
    assert hits, [f.text() for f in findings]
    assert hits[0].object == f"recording rule {record}" and hits[0].file == "recording_rules/x.py"


def test_group_interval_must_suit_grafanas_scheduler() -> None:
    findings = run(replace(GOOD, for_="0s"), interval="15s")
    assert any("must be a multiple of 10s" in f.message for f in findings)


def test_a_rule_may_read_an_earlier_recording_rule_and_its_labels_are_known() -> None:
    ratio = RecordingRule("agent_name:agent_busy:ratio", "agent_name:agent_requests:rate5m / 10", "rec", source="r.py")
    groups = [RuleGroup("rec", "1m", recording=[*RECORDING, ratio])]
    assert collect.recorded_series(groups, CATALOG)["agent_name:agent_busy:ratio"] == frozenset({"agent_name"})


def test_grafana_query_looks_back_over_the_longest_window() -> None:
    daily = replace(GOOD, expr="sum by (tenant_id) (increase(llm_cost_dollars_total[24h]))")
    data = grafana.rule_data(Config(), daily)
    assert data[0]["relativeTimeRange"] == {"from": 86400, "to": 0}
    assert grafana.rule_data(Config(), GOOD)[0]["relativeTimeRange"] == {"from": 600, "to": 0}


def test_a_missing_panel_leaves_the_grafana_rule_unlinked() -> None:
    rule = grafana.grafana_rule(Config(), replace(GOOD, panel_title="Latency"), Folder("f", "F"), [DASHBOARD])
    assert "__panelId__" not in rule["annotations"]
    linked = grafana.grafana_rule(Config(), GOOD, Folder("f", "F"), [DASHBOARD])
    assert linked["annotations"]["__dashboardUid__"] == "agent-overview"
    assert linked["annotations"]["__panelId__"] == "7"


def test_an_alert_without_actions_is_a_warning_not_an_error() -> None:
    findings = [f for f in run(replace(GOOD, actions=())) if f.rule == "alert-runbook-actions"]
    assert len(findings) == 1 and findings[0].severity == "warning"
