"""The review diff: exactly the changes made, nothing else, in a stable order; --base reads git."""

from __future__ import annotations

import argparse
import copy
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentgrafana.review import diff_command, diff_files, render
from agentgrafana.review.pretty import pretty
from agentgrafana.review.snapshot import split_comparison

RATE = 'sum by (agent_name) (rate(agent_request_duration_seconds_count{tenant_id=~"$tenant"}[$__rate_interval]))'
ERRORS = "sum(rate(agent_errors_total[5m])) / sum(rate(agent_request_duration_seconds_count[5m]))"
P99 = "histogram_quantile(0.99, sum by (le, agent_name) (rate(agent_request_duration_seconds_bucket[5m])))"


def panel(
    pid: int,
    ptype: str,
    title: str,
    grid: tuple[int, int, int, int],
    expr: str | None = None,
    unit: str = "short",
    steps: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    x, y, w, h = grid
    p: dict[str, Any] = {"id": pid, "type": ptype, "title": title, "gridPos": {"x": x, "y": y, "w": w, "h": h}}
    if ptype != "row":
        p["targets"] = [{"refId": "A", "expr": expr or "vector(1)", "legendFormat": "__auto"}]
        p["fieldConfig"] = {
            "defaults": {
                "unit": unit,
                "thresholds": {
                    "mode": "absolute",
                    "steps": steps or [{"color": "green", "value": None}, {"color": "red", "value": 80}],
                },
            },
            "overrides": [],
        }
        p["options"] = {"legend": {"displayMode": "list"}}
    return p


def dashboard(uid: str, title: str, panels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "panels": panels,
        "refresh": "1m",
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "tenant",
                    "type": "query",
                    "label": "Tenant",
                    "query": {"query": "label_values(agent_request_duration_seconds_count, tenant_id)"},
                }
            ]
        },
    }


def grafana_rule(uid: str, title: str, expr: str, op: str, threshold: float, for_: str, severity: str) -> dict:
    return {
        "uid": uid,
        "title": title,
        "condition": "C",
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": f"{title}", "__dashboardUid__": "agent-overview", "__panelId__": "3"},
        "noDataState": "OK",
        "execErrState": "Error",
        "isPaused": False,
        "data": [
            {
                "refId": "A",
                "datasourceUid": "prometheus",
                "relativeTimeRange": {"from": 600, "to": 0},
                "model": {"refId": "A", "expr": expr, "instant": True},
            },
            {
                "refId": "B",
                "datasourceUid": "__expr__",
                "model": {"refId": "B", "type": "reduce", "expression": "A", "reducer": "last"},
            },
            {
                "refId": "C",
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "C",
                    "type": "threshold",
                    "expression": "B",
                    "conditions": [{"evaluator": {"type": op, "params": [threshold]}}],
                },
            },
        ],
    }


def prom_alert(name: str, expr: str, op: str, threshold: str, for_: str, severity: str, title: str) -> dict:
    return {
        "alert": name,
        "expr": f"({expr}) {op} {threshold}",
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": title},
    }


def to_yaml(doc: Any) -> bytes:
    return yaml.safe_dump(doc, sort_keys=True).encode()


def tree(state: dict[str, Any]) -> dict[str, bytes]:
    """A generated/ file set from a compact description (dashboards, alerts, recording rules)."""
    files: dict[str, bytes] = {}
    for d in state["dashboards"]:
        body = json.dumps(d, indent=2, sort_keys=True).encode()
        files[f"dashboards/ai-agents/{d['uid']}.json"] = body
        files[f"kubernetes/dashboards/ai-agents/{d['uid']}.yaml"] = to_yaml(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": d["uid"], "labels": {"grafana_dashboard": "1"}},
                "data": {f"{d['uid']}.json": body.decode()},
            }
        )
    files["grafana/provisioning/dashboards/agentgrafana.yaml"] = to_yaml(
        {"apiVersion": 1, "providers": [{"name": "agentgrafana-ai-agents", "folderUid": "ai-agents"}]}
    )
    grafana = {
        "apiVersion": 1,
        "groups": [
            {
                "orgId": 1,
                "name": "agents",
                "folder": "AI agents",
                "interval": "1m",
                "rules": [grafana_rule(*a[:2], a[2], a[3], a[4], a[5], a[6]) for a in state["alerts"]],
            }
        ],
    }
    prom = {
        "groups": [
            {
                "name": "agents",
                "interval": "1m",
                "rules": (
                    [{"record": r, "expr": e} for r, e in state["records"]]
                    + [
                        prom_alert(a[7], a[2], {"gt": ">", "lt": "<"}[a[3]], str(a[4]), a[5], a[6], a[1])
                        for a in state["alerts"]
                    ]
                ),
            }
        ]
    }
    files["grafana/provisioning/alerting/agentgrafana.yaml"] = to_yaml(grafana)
    files["prometheus/rules/agents.yaml"] = to_yaml(prom)
    files["kubernetes/prometheusrule.yaml"] = to_yaml(
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "agentgrafana"},
            "spec": prom,
        }
    )
    files["kubernetes/grafana-alerts.yaml"] = to_yaml(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "alerts"},
            "data": {"agentgrafana.yaml": to_yaml(grafana).decode()},
        }
    )
    return files


def base_state() -> dict[str, Any]:
    overview = dashboard(
        "agent-overview",
        "Agent overview",
        [
            panel(1, "row", "Right now", (0, 0, 24, 1)),
            panel(
                2,
                "stat",
                "Success rate",
                (0, 1, 6, 5),
                ERRORS,
                "percentunit",
                [{"color": "red", "value": None}, {"color": "green", "value": 0.95}],
            ),
            panel(3, "timeseries", "Request rate by agent", (6, 1, 18, 8), RATE, "reqps"),
        ],
    )
    costs = dashboard(
        "agent-costs",
        "Agent costs",
        [panel(1, "timeseries", "Spend", (0, 0, 24, 8), "sum(rate(llm_cost_dollars_total[5m]))", "currencyUSD")],
    )
    return {
        "dashboards": [overview, costs],
        "alerts": [
            ("agent-high-latency", "Agent high latency", P99, "gt", 10, "5m", "warning", "AgentHighLatency"),
            (
                "agent-high-error-rate",
                "Agent high error rate",
                ERRORS,
                "gt",
                0.05,
                "5m",
                "critical",
                "AgentHighErrorRate",
            ),
        ],
        "records": [("agent:requests:rate5m", "sum by (agent_name) (rate(agent_request_duration_seconds_count[5m]))")],
    }


def changed_state() -> dict[str, Any]:
    s = copy.deepcopy(base_state())
    overview = s["dashboards"][0]
    overview["panels"][1]["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = 0.9
    overview["panels"][2]["targets"][0]["expr"] = RATE.replace("sum by (agent_name)", "sum by (agent_name, model)")
    overview["panels"].append(
        panel(4, "timeseries", "Tokens by model", (0, 9, 24, 8), "sum by (model) (rate(llm_tokens_total[5m]))")
    )
    s["alerts"] = [a for a in s["alerts"] if a[7] != "AgentHighLatency"]
    return s


def facts(report) -> list[tuple[str, ...]]:
    out = []
    for e in report.entries:
        if not e.details:
            out.append((e.section, e.key, e.status, ",".join(e.where)))
        for d in e.details:
            out.append((e.section, e.key, d.ref, d.action, d.field if d.action != "added" else ""))
    return out


def test_reports_exactly_the_changes_made() -> None:
    report = diff_files(tree(base_state()), tree(changed_state()))
    assert facts(report) == [
        ("dashboards", "agent-overview", "panel:id:2", "changed", "thresholds"),
        ("dashboards", "agent-overview", "panel:id:3", "changed", "query A"),
        ("dashboards", "agent-overview", "panel:id:4", "added", ""),
        ("alert rules", "AgentHighLatency", "removed", "Grafana,Prometheus"),
    ]
    assert report.other_files == []
    details = {d.ref: d for d in report.entries[0].details}
    assert details["panel:id:2"].before == "red, green ≥ 0.95" and details["panel:id:2"].after == "red, green ≥ 0.9"
    assert "agent_name, model" in (details["panel:id:3"].after or "")
    assert report.summary() == "1 dashboard changed, 1 alert rule removed."


def test_markdown_names_query_and_alert_threshold_change() -> None:
    s = base_state()
    s2 = copy.deepcopy(s)
    s2["dashboards"][0]["panels"][2]["targets"][0]["expr"] = RATE.replace("agent_name", "model")
    s2["alerts"][1] = s2["alerts"][1][:4] + (0.1,) + s2["alerts"][1][5:]
    report = diff_files(tree(s), tree(s2))
    assert facts(report) == [
        ("dashboards", "agent-overview", "panel:id:3", "changed", "query A"),
        ("alert rules", "AgentHighErrorRate", "rule", "changed", "threshold"),
    ]
    threshold = report.entries[1].details[0]
    assert (threshold.before, threshold.after, threshold.where) == ("> 0.05", "> 0.1", ("Grafana", "Prometheus"))
    md = render(report, "markdown")
    assert "**Agent overview** (`agent-overview`): changed" in md
    assert "query A **changed**" in md and "```promql" in md and "sum by (model)" in md
    assert "threshold: `> 0.05` → `> 0.1`" in md
    assert md.count("\n- ") == 2  # one bullet per entry


def test_empty_diff_says_so() -> None:
    files = tree(base_state())
    report = diff_files(files, dict(files))
    assert report.empty
    for fmt in ("text", "markdown"):
        assert "No changes" in render(report, fmt)
    assert json.loads(render(report, "json"))["empty"] is True


def test_output_is_deterministic() -> None:
    old, new = tree(base_state()), tree(changed_state())
    reversed_new = dict(reversed(list(new.items())))
    for fmt in ("text", "markdown", "json"):
        assert render(diff_files(old, new), fmt) == render(diff_files(old, reversed_new), fmt)


def test_moved_retitled_unit_variable_recording_and_dashboards() -> None:
    s = base_state()
    s2 = copy.deepcopy(s)
    ov = s2["dashboards"][0]
    ov["panels"][2]["gridPos"]["y"] = 6
    ov["panels"][2]["title"] = "Requests per second"
    ov["panels"][1]["fieldConfig"]["defaults"]["unit"] = "percent"
    ov["panels"][1]["options"]["legend"]["displayMode"] = "table"
    ov["templating"]["list"][0]["label"] = "Customer"
    s2["dashboards"].pop(1)
    s2["dashboards"].append(dashboard("gpu", "GPU fleet", [panel(1, "stat", "GPUs", (0, 0, 4, 4))]))
    s2["records"] = [
        ("agent:requests:rate5m", "sum by (agent_name, model) (rate(agent_request_duration_seconds_count[5m]))"),
        ("agent:errors:rate5m", "sum by (agent_name) (rate(agent_errors_total[5m]))"),
    ]
    report = diff_files(tree(s), tree(s2))
    assert facts(report) == [
        ("dashboards", "agent-costs", "removed", ""),
        ("dashboards", "agent-overview", "panel:id:2", "changed", "unit"),
        ("dashboards", "agent-overview", "panel:id:2", "changed", "other settings"),
        ("dashboards", "agent-overview", "panel:id:3", "retitled", "title"),
        ("dashboards", "agent-overview", "panel:id:3", "moved", "position"),
        ("dashboards", "agent-overview", "variable:tenant", "changed", "label"),
        ("dashboards", "gpu", "added", ""),
        ("recording rules", "agent:errors:rate5m", "added", ""),
        ("recording rules", "agent:requests:rate5m", "rule", "changed", "expression"),
    ]
    other = report.entries[1].details[1]
    assert other.after == "options.legend.displayMode: list → table"
    text = render(report, "text")
    assert "moved: x 6, y 1, 18×8 → x 6, y 6, 18×8" in text
    assert "retitled: Request rate by agent → Requests per second" in text
    assert "+ panel 1 “GPUs” (stat) added at x 0, y 0, 4×4" not in text  # a new dashboard is one line
    assert "+ GPU fleet (gpu) added: 1 panel in folder ai-agents" in text


def test_wrapper_only_change_is_counted_as_other_file() -> None:
    old = tree(base_state())
    new = dict(old)
    new["kubernetes/prometheusrule.yaml"] = old["kubernetes/prometheusrule.yaml"].replace(
        b"name: agentgrafana", b"name: agentgrafana-rules"
    )
    report = diff_files(old, new)
    assert report.entries == [] and report.other_files == ["kubernetes/prometheusrule.yaml"]
    assert "1 other generated file changed" in report.summary()


def test_split_comparison_and_pretty() -> None:
    assert split_comparison("(sum(x)) > 0.050") == ("sum(x)", "> 0.05")
    assert split_comparison("(a) + (b) > 5") == ("(a) + (b) > 5", "")
    assert "[$__rate_interval]" in pretty(RATE) and pretty("not promql (") == "not promql ("


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True
    )


def _write(root: Path, files: dict[str, bytes]) -> None:
    for path, body in files.items():
        target = root / "generated" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)


@pytest.mark.parametrize("subdir", ["", "monitoring"])
def test_base_reads_generated_at_a_git_revision(tmp_path: Path, subdir: str) -> None:
    root = tmp_path / subdir if subdir else tmp_path
    root.mkdir(exist_ok=True)
    _git(tmp_path, "init", "-q", "-b", "main")
    _write(root, tree(base_state()))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    new_dir = tmp_path / "fresh"
    new_files = tree(changed_state())
    for path, body in new_files.items():
        (new_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (new_dir / path).write_bytes(body)
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(root=str(root), config=None, base="HEAD", old=None, new=None, format="markdown")
    rc = diff_command(args, lambda a: type("B", (), {"files": new_files})(), out, err)
    assert rc == 0, err.getvalue()
    assert out.getvalue() == render(diff_files(tree(base_state()), new_files), "markdown")
    args.base, args.new = "no-such-ref", new_dir
    assert diff_command(args, lambda a: None, io.StringIO(), err) == 2
    assert "unknown git revision" in err.getvalue()
    args.base, args.old = None, root / "generated"
    out = io.StringIO()
    assert diff_command(args, lambda a: None, out, err) == 0
    assert "1 dashboard changed, 1 alert rule removed." in out.getvalue()


def test_base_without_committed_generated_builds_the_content_at_that_revision(tmp_path: Path) -> None:
    """A repository that does not commit generated/: the base revision's content is built with this version."""
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "state.json").write_text(json.dumps(base_state()))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    (tmp_path / "state.json").write_text(json.dumps(changed_state()))

    def load_build(a: argparse.Namespace) -> Any:
        state = json.loads((Path(a.root) / "state.json").read_text())
        state["alerts"] = [tuple(x) for x in state["alerts"]]
        return type("B", (), {"files": tree(state)})()

    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(root=str(tmp_path), config=None, base="HEAD", old=None, new=None, format="text")
    assert diff_command(args, load_build, out, err) == 0, err.getvalue()
    assert out.getvalue().startswith("Monitoring changes: 1 dashboard changed, 1 alert rule removed.")


def test_a_threshold_change_in_the_real_build_is_told_once_for_both_twins() -> None:
    """Raising one threshold in the configuration: the alert's Grafana and Prometheus twins are one entry,
    and their shared description template is one change, not a Grafana-only and a Prometheus-only one."""
    from agentgrafana import config as config_mod
    from agentgrafana.pipeline import build

    root = Path(__file__).resolve().parents[1]
    old = build(config_mod.Config(), root).files
    new = build(config_mod.from_mapping({"thresholds": {"rate_limit_errors_per_5m_alert": 20}}), root).files
    text = render(diff_files(old, new), "text")
    assert "~ LLMRateLimitErrors changed (Grafana, Prometheus)" in text
    assert "threshold: > 10 → > 20" in text
    assert text.count("annotation description changed") == 1, text
    assert "Grafana only" not in text and "Prometheus only" not in text
    entries = [line.strip() for line in text.splitlines() if line.startswith("  ~ ")]
    assert entries == [
        "~ Agent Performance (agent-performance) changed",
        "~ LLMRateLimitErrors changed (Grafana, Prometheus)",
    ]
