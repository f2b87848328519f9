"""Dashboard schema v2 (`grafana.dashboard_schema: v2`): the same dashboards as v2beta1 specs, checked through one
view, emitted as resources and pushed through `dashboard.grafana.app/v2beta1`."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import pytest
from grafana_builds import TOKEN, no_proxies, settings_for  # noqa: F401
from grafana_double import GrafanaDouble

from agentgrafana import config as config_mod
from agentgrafana.cli import main
from agentgrafana.emit.schema_v2 import (
    V1_ONLY_CONSTANT,
    V1_ONLY_DASHBOARD,
    V1_ONLY_PANEL,
    V1_ONLY_VARIABLE,
    SchemaError,
    from_v2,
    to_v2,
)
from agentgrafana.grafana import PushOptions, push
from agentgrafana.live import check as live
from agentgrafana.model import Build
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
V2 = {"grafana": {"dashboard_schema": "v2"}}
V2_DASHBOARDS = "/apis/dashboard.grafana.app/v2beta1/namespaces/default/dashboards"


def classic(model: dict) -> dict:
    """A classic dashboard (as JSON) without what v2 has no place for (`V1_ONLY`) and without row ids."""
    model = json.loads(json.dumps(model, default=lambda e: e.value))
    out = {k: v for k, v in model.items() if k not in V1_ONLY_DASHBOARD}
    out["templating"] = {
        "list": [
            {
                k: v
                for k, v in var.items()
                if k not in V1_ONLY_VARIABLE and not (var["type"] == "constant" and k in V1_ONLY_CONSTANT)
            }
            for var in model["templating"]["list"]
        ]
    }
    out["panels"] = [
        {k: v for k, v in p.items() if k not in V1_ONLY_PANEL and not (p["type"] == "row" and k == "id")}
        for p in model["panels"]
    ]
    return out


def builds() -> list[Build]:
    tenants = {"budgets": {"per_tenant_dashboards": True, "tenants": {"acme": 100}}}
    return [
        build(config_mod.load(ROOT / "monitoring.yaml"), ROOT),
        build(config_mod.from_mapping(tenants), ROOT),  # a constant variable per tenant
        build(config_mod.from_mapping({"metrics": {"sources": ["otel-genai", "vllm", "dcgm-exporter"]}}), ROOT),
        build(config_mod.from_mapping({"metrics": {"sources": ["litellm"], "cluster_label": "cluster"}}), ROOT),
        build(  # annotations of both kinds
            config_mod.from_mapping(
                {"annotations": {"deploy_tag": "deploy", "deploy_metric": "kube_pod_container_status_restarts_total"}}
            ),
            ROOT,
        ),
    ]


def test_every_dashboard_survives_the_round_trip_through_v2() -> None:
    """classic -> v2 -> classic loses nothing but `V1_ONLY`; v2 -> classic -> v2 is exact."""
    seen = 0
    for b in builds():
        for d in b.dashboards:
            v2 = to_v2(json.loads(json.dumps(d.model, default=lambda e: e.value)))
            assert (
                "panels" not in v2
                and "templating" not in v2
                and v2["elements"]
                and v2["layout"]["kind"] == "RowsLayout"
            )
            back = from_v2(v2, d.uid)
            assert classic(back) == classic(d.model), d.uid
            assert to_v2(back) == v2, d.uid
            seen += 1
    assert seen >= 25


def test_a_field_v2_cannot_hold_is_an_error_naming_it() -> None:
    model = copy.deepcopy(build(config_mod.load(ROOT / "monitoring.yaml"), ROOT).dashboards[0].model)
    panel = next(p for p in model["panels"] if p["type"] != "row")
    panel["repeat"] = "agent"
    with pytest.raises(SchemaError, match=rf"panel {panel['title']!r}: no v2 place for repeat"):
        to_v2(model)


def test_a_v2_build_checks_the_view_of_what_it_emits() -> None:
    b = build(config_mod.from_mapping(V2), ROOT)
    assert len(b.dashboards) == 8
    for d in b.dashboards:
        assert d.v2 is not None and classic(d.model) == classic(from_v2(d.v2, d.uid))
        resource = json.loads(b.files[f"grafana/resources/Dashboard.v2beta1.dashboard.grafana.app/{d.uid}.json"])
        assert resource["apiVersion"] == "dashboard.grafana.app/v2beta1" and resource["spec"] == d.v2
    assert not [p for p in b.files if p.startswith("grafana/resources/Dashboard.v1beta1")]
    # the classic files stay for file provisioning, written from the same view
    overview = json.loads(b.files["dashboards/ai-agents/agent-overview.json"])
    assert classic(overview) == classic(next(d.model for d in b.dashboards if d.uid == "agent-overview"))


def test_preview_draws_the_v2_dashboards(tmp_path) -> None:
    pytest.importorskip("matplotlib")
    config = tmp_path / "v2.yaml"
    config.write_text("grafana:\n  dashboard_schema: v2\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["preview", "--root", str(ROOT), "--config", str(config), "--out", str(tmp_path / "png")],
        stdout=out,
        stderr=err,
    )
    assert code == 0, err.getvalue()
    assert len(list((tmp_path / "png").glob("*.png"))) == 8


def test_v2_is_pushed_through_v2beta1_and_a_repeat_writes_nothing() -> None:
    b = build(config_mod.from_mapping(V2), ROOT)
    with GrafanaDouble(token=TOKEN, version="12.4.0") as double:
        settings = settings_for(double.url)
        options = PushOptions(schema="v2")
        first = push(b, settings, options)
        assert first.exit_code == 0 and first.api == "apps", [r for r in first.results if r.state == "failed"]
        assert len(double.calls("POST", V2_DASHBOARDS)) == 8 and not double.calls(path="/api/dashboards")
        stored = double.dashboards["agent-overview"]
        assert stored.schema == "v2" and stored.model == next(
            d.v2 for d in b.dashboards if d.uid == "agent-overview"
        ) | {"tags": stored.model["tags"]}
        double.reset_log()
        again = push(b, settings, options)
        assert {r.state for r in again.results if r.kind == "dashboard"} == {"unchanged"}
        assert double.writes() == []
        changed = copy.deepcopy(b)
        target = next(d for d in changed.dashboards if d.uid == "agent-health")
        panel = next(p for p in target.model["panels"] if p["type"] != "row")
        panel["description"] = "changed"
        report = push(changed, settings, options)
        assert [(r.method, r.path) for r in double.writes()] == [("PUT", f"{V2_DASHBOARDS}/agent-health")]
        assert double.writes()[0].body["metadata"]["resourceVersion"]
        assert {r.key for r in report.results if r.state == "updated"} == {"agent-health"}
        assert double.errors == []


def test_v2_refuses_the_legacy_api() -> None:
    b = build(config_mod.from_mapping(V2), ROOT)
    with GrafanaDouble(token=TOKEN, version="11.6.0") as double:
        with pytest.raises(Exception, match="dashboard_schema v2 needs the app-platform API"):
            push(b, settings_for(double.url), PushOptions(schema="v2", api="legacy"))


@pytest.mark.live
def test_the_v2_build_passes_the_live_check(prometheus_binary, promtool) -> None:
    import yaml

    data = yaml.safe_load((ROOT / "monitoring.yaml").read_text()) or {}
    data.setdefault("grafana", {})["dashboard_schema"] = "v2"  # the project's configuration, as schema v2
    config = config_mod.from_mapping(data)
    b = build(config, ROOT)
    assert all(d.v2 is not None for d in b.dashboards)
    report = live.run(b, config, prometheus_binary, promtool)
    assert report.ok, report.text()
