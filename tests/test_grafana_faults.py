"""Faults: retries with backoff, Retry-After, dropped connections, permanent errors, re-runs, bad credentials."""

from __future__ import annotations

import socket
import time

import pytest
from grafana_builds import TOKEN, UIDS, double, make_build, no_proxies, settings, settings_for  # noqa: F401
from grafana_double import DROP, DROP_AFTER, Fault, GrafanaDouble

from agentgrafana.grafana import GrafanaUnhealthy, GrafanaUnreachable, PushOptions, push

FAULTS = [Fault.http(503), Fault.http(429, retry_after="0"), DROP, Fault.http(502), Fault.http(504)]


def states(report):
    return {r.key: r.state for r in report.results}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_push_completes_through_a_third_of_requests_failing(double, settings):
    double.random_faults(1 / 3, FAULTS, seed=7, max_consecutive=3)
    build = make_build()

    report = push(build, settings)

    assert report.exit_code == 0, [r.line() for r in report.results]
    faulted = [r for r in double.requests if r.status in (0, 429, 502, 503, 504)]  # 0: dropped connection
    assert len(faulted) >= 5 and {r.status for r in faulted} == {0, 429, 502, 503, 504}
    assert report.retries == len(faulted)
    assert set(double.dashboards) == set(UIDS)
    assert all(d.version == 1 for d in double.dashboards.values())  # no write landed twice
    assert len(double.rule_group("ai-agents", "agent-alerts")["rules"]) == 2

    double.reset_log()
    again = push(build, settings)
    assert set(states(again).values()) == {"unchanged"}
    assert double.writes() == []  # not even a faulted attempt of one


def test_retry_after_is_honoured(double, settings):
    double.script_faults([Fault.http(429, retry_after="1")], path="/api/health")
    started = time.monotonic()

    report = push(make_build(groups=()), settings, PushOptions(dry_run=True))

    assert time.monotonic() - started >= 1.0
    assert report.retries == 1 and len(double.calls("GET", "/api/health")) == 2


def test_write_that_landed_before_the_connection_dropped_is_not_an_error(double, settings):
    double.script_faults([DROP_AFTER], path="/api/folders", method="POST")
    double.script_faults([DROP_AFTER], path="/api/dashboards/db")

    report = push(make_build(uids=("agent-overview",), groups=()), settings)

    assert states(report) == {"ai-agents": "created", "agent-overview": "created"}
    assert double.dashboards["agent-overview"].version == 1
    assert [(r.method, r.path, r.status) for r in double.writes()] == [
        ("POST", "/api/folders", 0),
        ("POST", "/api/folders", 409),
        ("POST", "/api/dashboards/db", 0),
        ("POST", "/api/dashboards/db", 412),
    ]


def test_permanent_500_fails_one_dashboard_and_a_rerun_finishes(double, settings):
    double.fail_dashboard("agent-cost")
    build = make_build()

    report = push(build, settings)

    assert report.exit_code == 1
    failed = report.of("failed")
    assert [r.key for r in failed] == ["agent-cost"]
    assert "HTTP 500" in failed[0].detail and "Internal Server Error" in failed[0].detail
    assert "agent-cost" in failed[0].line()
    assert len(double.calls("POST", "/api/dashboards/db")) == 3  # a 500 is not retried
    assert set(double.dashboards) == {"agent-overview", "agent-tools"}
    assert double.rule_group("ai-agents", "agent-alerts") is not None

    double.clear_faults()
    double.reset_log()
    rerun = push(build, settings)
    assert rerun.exit_code == 0
    assert states(rerun)["agent-cost"] == "created"
    assert [(r.method, r.path) for r in double.writes()] == [("POST", "/api/dashboards/db")]


def test_client_errors_are_not_retried(double, settings):
    double.fail_dashboard("agent-tools", status=400)

    report = push(make_build(), settings)

    assert states(report)["agent-tools"] == "failed" and "HTTP 400" in report.of("failed")[0].detail
    assert len(double.calls("POST", "/api/dashboards/db")) == 3 and report.retries == 0


def test_unreachable_grafana(settings):
    port = closed_port()
    with pytest.raises(GrafanaUnreachable) as info:
        push(make_build(), settings_for(f"http://127.0.0.1:{port}"))
    message = str(info.value)
    assert f"http://127.0.0.1:{port} is unreachable" in message and "refused" in message


def test_unhealthy_grafana(double, settings):
    double.healthy = False

    with pytest.raises(GrafanaUnhealthy, match="database is failing"):
        push(make_build(), settings)

    assert [r.path for r in double.requests] == ["/api/health"] * 7  # 503 is retried, then reported
    assert double.writes() == []


def test_timeouts_are_reported_as_unreachable():
    with GrafanaDouble(token=TOKEN, latency=0.3) as server:
        with pytest.raises(GrafanaUnreachable, match="timed out"):
            push(make_build(), settings_for(server.url, timeout=0.1, retries=1))


def test_lost_connection_mid_push_stops_and_reports(double, settings):
    double.script_faults([DROP] * 7, path="/api/dashboards/db")  # more than the retries: Grafana is gone

    report = push(make_build(), settings_for(double.url, concurrency=1))

    assert report.exit_code == 1
    assert states(report)["ai-agents"] == "created"
    details = [r.detail for r in report.of("failed")]
    assert len(details) == 4  # three dashboards and the rule group
    assert "did not answer" in details[0]
    assert all(d.startswith("not attempted") for d in details[1:])


def test_wrong_token_is_refused_with_a_clear_message(double):
    from agentgrafana.grafana import GrafanaError

    with pytest.raises(GrafanaError) as info:
        push(make_build(), settings_for(double.url, token="glsa_wrong_0123456789abcdef"))
    assert info.value.status == 401
    assert "Invalid API key" in str(info.value) and "GRAFANA_TOKEN" in str(info.value)
    assert "glsa_wrong_0123456789abcdef" not in str(info.value)
    assert double.writes() == []


def test_read_only_token_fails_each_write(double):
    double.read_only_token = "glsa_read_only_token_000000000000"

    report = push(make_build(), settings_for(double.url, token=double.read_only_token))

    assert report.exit_code == 1
    assert states(report)["ai-agents"] == "failed"
    assert "HTTP 403" in report.of("failed")[0].detail and "dashboards:write" in report.of("failed")[0].detail
    assert [r.detail for r in report.of("failed")[1:]] == ["not attempted: folder ai-agents could not be created"] * 4
    assert double.folders == {} and double.dashboards == {}
