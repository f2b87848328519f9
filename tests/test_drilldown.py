"""Drill-downs: an agent's, model's or tenant's series links to the dashboard that explains it, subject selected."""

from __future__ import annotations

from pathlib import Path

from agentgrafana import config as config_mod
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]


def links(model: dict) -> dict[str, list[dict]]:
    return {
        p["title"]: p["fieldConfig"]["defaults"]["links"]
        for p in panels_of(model)
        if ((p.get("fieldConfig") or {}).get("defaults") or {}).get("links")
    }


def test_series_link_to_the_dashboard_that_explains_them(default_build) -> None:
    boards = {d.uid: d for d in default_build.dashboards}
    overview = links(boards["agent-overview"].model)
    agent = overview["Request rate by agent"][0]
    assert agent["url"] == "/d/agent-performance?var-agent=${__field.labels.agent_name}&${__url_time_range}"
    assert agent["title"] == "Agent Performance for this agent"
    assert overview["LLM spend rate"][0]["url"].startswith("/d/agent-cost?var-model=${__field.labels.model}")
    performance = links(boards["agent-performance"].model)
    assert performance["Throughput"][0]["url"].startswith("/d/agent-traces?var-agent=")  # one level further
    for d in default_build.dashboards:  # every link goes to a built dashboard that has the variable it sets
        for panel_links in links(d.model).values():
            for link in panel_links:
                uid, query = link["url"].removeprefix("/d/").split("?")
                variable = query.split("=")[0].removeprefix("var-")
                assert uid in boards and uid != d.uid, link
                assert variable in {v["name"] for v in boards[uid].model["templating"]["list"]}, link


def test_one_tenants_dashboard_has_no_tenant_links_and_a_build_without_the_target_none() -> None:
    b = build(config_mod.from_mapping({"budgets": {"tenants": {"acme": 100}, "per_tenant_dashboards": True}}), ROOT)
    acme = next(d for d in b.dashboards if d.uid == "agent-cost-acme")
    assert not [lk for ls in links(acme.model).values() for lk in ls if "var-tenant" in lk["url"]]
    litellm = build(config_mod.from_mapping({"metrics": {"sources": ["litellm"]}}), ROOT)
    assert "agent-traces" in {d.uid for d in litellm.dashboards}
    for d in litellm.dashboards:
        assert all(
            lk["url"].split("?")[0].removeprefix("/d/") in {x.uid for x in litellm.dashboards}
            for ls in links(d.model).values()
            for lk in ls
        )
