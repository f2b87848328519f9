"""`agentgrafana doctor` against a real Prometheus: full data, data missing a family, data in another dialect."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana.cli import main
from agentgrafana.live import check as live
from agentgrafana.live.prometheus import live_prometheus
from agentgrafana.live.simulator import Dataset, simulate
from agentgrafana.pipeline import build
from agentgrafana.promql import expand_variables, selectors

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[1]
REMOVED = "agent_request_duration_seconds"  # the agents' request histogram: gone from the partial data


def doctor(url: str, end: int, *extra: str, config: Path | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["doctor", "--root", str(ROOT), "--prometheus", url, "--window", "6h", "--scrape-interval", "15s"]
    args += ["--end", str(end), *(["--config", str(config)] if config else []), *extra]
    code = main(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def without_family(d: Dataset, family: str) -> Dataset:
    """The dataset with one metric family's samples (and its HELP / TYPE lines) taken out."""
    kept = [
        line
        for line in d.text.decode().splitlines()
        if not re.match(rf"^(# (HELP|TYPE) )?{family}(_bucket|_sum|_count)?[ {{]", line)
    ]
    return Dataset("\n".join(kept).encode() + b"\n", d.start, d.end, d.step, d.windows, d.topology, d.series, d.samples)


@pytest.fixture(scope="module")
def default_build_and_data():
    config = config_mod.load(ROOT / "monitoring.yaml")
    b = build(config, ROOT)
    return b, simulate(config, live.default_end(), alerts=b.alerts, dialect=b.dialect)


def test_full_data_is_all_live_and_exits_0(default_build_and_data, prometheus_binary, promtool) -> None:
    b, d = default_build_and_data
    with live_prometheus(d, live.rule_files(b), prometheus_binary, promtool) as server:
        code, out, err = doctor(server.prometheus.url, d.end)
        assert code == 0, out + err
        assert "ALL LIVE" in out and "seed (configured): 29 of 29" in out
        code, out, _ = doctor(server.prometheus.url, d.end, "--format", "json")
        tight, tight_out, _ = doctor(
            server.prometheus.url, d.end, "--format", "json", "--series-budget", "50", "--label-budget", "3"
        )
    warned = json.loads(tight_out)["cardinality"]
    assert tight == 0  # warnings do not fail the check
    assert any(w.startswith("agent_request_duration_seconds_bucket: ") and "(budget 50)" in w for w in warned), warned
    assert any(w.startswith("label ") for w in warned) and not any("__name__" in w for w in warned), warned
    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    assert report["summary"]["panel"]["live"] >= 80 and report["summary"]["alert"] == {
        "live": 33,
        "empty": 0,
        "error": 0,
    }
    assert {s["name"] for s in report["sources"] if s["configured"]} == {
        "seed",
        "vllm",
        "kube-state-metrics",
        "dcgm-exporter",
    }


def test_a_missing_family_lists_exactly_what_reads_it(default_build_and_data, prometheus_binary, promtool) -> None:
    """Without the agents' request histogram: every panel, rule and alert reading it (directly or through a
    recording rule) is reported empty with the missing series or rule named; everything else is live."""
    b, d = default_build_and_data
    partial = without_family(d, REMOVED)
    assert f"{REMOVED}_bucket{{".encode() not in partial.text and b"llm_tokens_total{" in partial.text
    rules = live.recorded_exprs(b)

    def reads_removed(expr: str, seen: frozenset[str] = frozenset()) -> bool:
        # a variable's label_values(selector, label) / query_result(expr): the PromQL inside
        expr = re.sub(r"^\s*(?:label_values\((.*),\s*\w+\)|query_result\((.*)\))\s*$", r"\1\2", expr, flags=re.S)
        for name, _ in selectors(expand_variables(expr)):
            if name.startswith(REMOVED):
                return True
            if name in rules and name not in seen and reads_removed(rules[name], seen | {name}):
                return True
        return False

    with live_prometheus(partial, live.rule_files(b), prometheus_binary, promtool) as server:
        code, out, err = doctor(server.prometheus.url, d.end, "--format", "json")
    assert code == 1, err
    report = json.loads(out)
    problems = report["problems"]
    assert report["ok"] is False and problems
    assert {p["kind"] for p in problems} >= {"panel", "alert", "recording rule"}
    for p in problems:
        assert p["state"] == "empty", p
        assert reads_removed(p["query"]), f"{p['name']} is reported empty but reads nothing that was removed"
        named = [
            a or b for a, b in re.findall(r"(?:no series|recording rule) ([\w:]+)|no ([\w:]+) series with", p["detail"])
        ]
        assert named and all(n.startswith(REMOVED) or n in rules for n in named), p["detail"]
    empty = {p["name"] for p in problems}
    # every alert whose input reads only what was removed is among them, with its name
    for a in b.alerts:
        names = [n for n, _ in selectors(expand_variables(a.expr))]
        if names and all(n.startswith(REMOVED) for n in names):
            assert a.name in empty, a.name
    assert "Agent Overview / Total requests [A]" in empty
    assert any("no series agent_request_duration_seconds_count" in p["detail"] for p in problems)
    assert "Agent Cost & Usage / Cost by model" not in " ".join(empty)  # reads spend only: live


def test_otel_data_with_the_seed_source_suggests_otel_genai(prometheus_binary, promtool) -> None:
    otel = config_mod.from_mapping({"metrics": {"sources": ["otel-genai"]}})
    ob = build(otel, ROOT)
    d = simulate(otel, live.default_end(), alerts=ob.alerts, catalog=ob.dialect.concepts, dialect=ob.dialect)
    seed = build(config_mod.load(ROOT / "monitoring.yaml"), ROOT)
    with live_prometheus(d, live.rule_files(seed), prometheus_binary, promtool) as server:
        code, out, err = doctor(server.prometheus.url, d.end)
    assert code == 1, err
    assert "SUGGESTION your Prometheus has gen_ai_" in out and "set `metrics.sources: [otel-genai]`" in out
    assert "seed (configured): no series there" in out


def test_an_unreachable_prometheus_is_one_line_and_exit_2() -> None:
    code, out, err = doctor("http://127.0.0.1:1", 1_800_000_000)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: Prometheus at http://127.0.0.1:1 did not answer")


def test_credentials_never_travel_in_clear_or_show_in_errors(monkeypatch) -> None:
    token = "prom-secret-token-0123456789"
    monkeypatch.setenv("PROMETHEUS_TOKEN", token)
    code, _, err = doctor("http://prometheus.example.com:9090", 1_800_000_000)
    assert code == 2 and "refusing to send credentials over plain http" in err and token not in err
    code, out, err = doctor("http://127.0.0.1:1", 1_800_000_000, "--format", "json")
    assert code == 2 and token not in out + err and json.loads(out)["exit_code"] == 2


def test_credentials_come_from_the_environment_only() -> None:
    import argparse

    from agentgrafana.live.command import doctor_api

    args = argparse.Namespace(
        url="https://prom.example.com", allow_insecure_http=False, insecure_skip_verify=False, ca_bundle=None
    )
    bearer = doctor_api(args, {"PROMETHEUS_TOKEN": "tok-123456789"})
    assert bearer.session.headers["Authorization"] == "Bearer tok-123456789" and bearer.session.verify is True
    basic = doctor_api(args, {"PROMETHEUS_USER": "ops", "PROMETHEUS_PASSWORD": "pw-987654321"})
    assert basic.session.auth == ("ops", "pw-987654321") and "Authorization" not in basic.session.headers
    assert basic.session.trust_env is False  # no netrc, no proxy credentials from elsewhere
