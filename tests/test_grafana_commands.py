"""The argparse glue: flags and environment, exit codes, text/JSON output, and no secret ever printed."""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import logging
import socket

import pytest
from grafana_builds import TOKEN, double, make_build, no_proxies, with_expr  # noqa: F401

from agentgrafana.config import GrafanaConfig
from agentgrafana.grafana import commands


def parse(*argv: str, push: bool = True) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    commands.add_connection_arguments(parser)
    if push:
        commands.add_push_arguments(parser)
    return parser.parse_args(list(argv))


def run(command, args, build, *, disable_provenance: bool = False) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    grafana = GrafanaConfig(disable_provenance=disable_provenance)
    code = command(args, build, grafana=grafana, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(monkeypatch, double):
    for name in (
        "GRAFANA_URL",
        "GRAFANA_TOKEN",
        "GRAFANA_USER",
        "GRAFANA_PASSWORD",
        "GRAFANA_ORG_ID",
        "GRAFANA_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GRAFANA_URL", double.url)
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    real = commands.settings_from_args

    def quick(args):  # production backoff waits seconds; the tests wait milliseconds
        return dataclasses.replace(real(args), backoff_factor=0.001, backoff_jitter=0.002, backoff_max=0.05)

    monkeypatch.setattr(commands, "settings_from_args", quick)
    return monkeypatch


def test_push_prints_a_line_per_object_and_a_summary(env, double):
    code, out, err = run(commands.push_command, parse(), make_build())

    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == 'created   folder     ai-agents "AI Agents"'
    assert sum(line.startswith("created   dashboard  ") for line in lines) == 3
    assert any(line.startswith("created   rule-group ai-agents/agent-alerts") for line in lines)
    # GET: health, folder list, owned search, uid search, alert-rule list (nothing exists: no object is read)
    assert lines[-1].startswith("Push: 5 created. HTTP requests: 10 (GET 5, POST 4, PUT 1), 0 retried;")
    assert double.dashboards["agent-cost"].message.startswith("agentgrafana push")


def test_push_json_report(env, double):
    run(commands.push_command, parse(), make_build())
    code, out, _ = run(commands.push_command, parse("--format", "json"), with_expr(make_build(), "agent-cost", "x"))

    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["dry_run"] is False
    assert report["summary"] == {"updated": 1, "unchanged": 4}
    assert report["http"]["requests"] == {"GET": 8, "POST": 1} and report["http"]["retries"] == 0
    updated = [o for o in report["objects"] if o["state"] == "updated"]
    assert updated[0]["key"] == "agent-cost" and '+            "expr": "x"' in updated[0]["diff"]


def test_dry_run_writes_nothing(env, double):
    code, out, _ = run(commands.push_command, parse("--dry-run"), make_build())

    assert code == 0 and double.writes() == []
    assert out.splitlines()[-1].startswith("Plan: 5 create.")


def test_dry_run_exits_1_when_a_conflict_would_stop_the_real_push(env, double):
    run(commands.push_command, parse(), make_build())
    double.edit_dashboard("agent-tools", lambda m: m.update(title="Renamed by hand"))
    build = with_expr(make_build(), "agent-tools", "sum(agent_cost_usd_total)")
    code, out, _ = run(commands.push_command, parse("--dry-run"), build)
    assert code == 1 and "conflict  dashboard  agent-tools" in out
    code, _, _ = run(commands.push_command, parse("--dry-run", "--force"), build)
    assert code == 0  # with --force the push would go through


def test_plan_command_shows_unified_diffs(env, double):
    run(commands.push_command, parse(), make_build())
    double.edit_dashboard("agent-tools", lambda m: m.update(title="Renamed by hand"))
    double.reset_log()
    build = with_expr(make_build(), "agent-cost", "sum(agent_cost_usd_total)")

    code, out, _ = run(commands.plan_command, parse(push=False), build)

    assert code == 1 and double.writes() == []  # 1: the conflict would stop a real push
    assert "update    dashboard  agent-cost" in out
    assert "    --- grafana/dashboard/agent-cost" in out and "    +++ generated/dashboard/agent-cost" in out
    assert '-            "expr": "sum(rate(agent_requests_total[5m]))"' in out
    assert '+            "expr": "sum(agent_cost_usd_total)"' in out
    assert "conflict  dashboard  agent-tools" in out and '-    "title": "Renamed by hand"' in out


def test_plan_command_markdown(env, double):
    args = parse(push=False)
    args.format = "markdown"  # the CLI's diff command offers markdown for pull-request comments

    code, out, _ = run(commands.plan_command, args, make_build())

    assert code == 0 and out.startswith(f"### Plan against {double.url}\n")
    assert "- **create** dashboard `agent-cost` (Agent Cost)" in out


def test_wrong_token_exits_1_and_never_shows_it(env, double, caplog):
    secret = "glsa_wrongWRONGwrong_5f1e2d3c4b5a69788796a5b4"
    env.setenv("GRAFANA_TOKEN", secret)
    caplog.set_level(logging.DEBUG)

    code, out, err = run(commands.push_command, parse(), make_build())
    code_json, out_json, err_json = run(commands.push_command, parse("--format", "json"), make_build())

    assert code == 1 and code_json == 1
    assert "HTTP 401: Invalid API key" in err and "GRAFANA_TOKEN" in err
    assert json.loads(out_json)["ok"] is False and "401" in json.loads(out_json)["error"]
    for text in (out, err, out_json, err_json, caplog.text):
        assert secret not in text
    assert all(secret not in str(record.args) for record in caplog.records)
    assert double.writes() == []


def test_credentials_over_plain_http_to_another_host_are_refused(env, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("no connection may be attempted")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)

    code, out, err = run(commands.push_command, parse("--url", "http://grafana.example.com:3000"), make_build())

    assert code == 2 and out == ""
    assert "refusing to send credentials over plain http to grafana.example.com" in err
    assert "--allow-insecure-http" in err and TOKEN not in err


def test_allow_insecure_http_lifts_the_refusal(env, double):
    code, _, _ = run(
        commands.push_command,
        parse("--url", double.url.replace("127.0.0.1", "localhost"), "--allow-insecure-http"),
        make_build(),
    )
    assert code == 0


def test_unreachable_grafana_exits_1(env):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    code, out, err = run(
        commands.push_command, parse("--url", f"http://127.0.0.1:{port}", "--timeout", "2"), make_build()
    )

    assert code == 1 and out == ""
    assert f"Grafana at http://127.0.0.1:{port} is unreachable" in err and "refused" in err


def test_unhealthy_grafana_exits_1(env, double):
    double.healthy = False
    args = parse()

    code, _, err = run(commands.push_command, args, make_build())

    assert code == 1 and "database is failing" in err


@pytest.mark.parametrize(
    "argv, environment, message",
    [
        ((), {"GRAFANA_URL": ""}, "no Grafana URL"),
        (("--concurrency", "0"), {}, "--concurrency"),
        (("--timeout", "0"), {}, "--timeout"),
        (("--org-id", "0"), {}, "organization id"),
        ((), {"GRAFANA_ORG_ID": "main"}, "GRAFANA_ORG_ID must be an integer"),
        ((), {"GRAFANA_USER": "admin", "GRAFANA_PASSWORD": "pw"}, "not both"),
        (("--ca-bundle", "/nonexistent/ca.pem"), {}, "CA bundle not found"),
        (("--url", "ftp://grafana"), {}, "http(s)://"),
        (("--url", "https://admin:pw@grafana.example.com"), {}, "do not put credentials in the Grafana URL"),
    ],
)
def test_configuration_errors_exit_2(env, double, argv, environment, message):
    for name, value in environment.items():
        env.setenv(name, value)

    code, out, err = run(commands.push_command, parse(*argv), make_build())

    assert code == 2 and message in err and out == ""
    assert double.requests == []
