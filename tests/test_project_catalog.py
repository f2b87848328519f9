"""A project's own catalog.yaml: a metric and a source added next to monitoring.yaml, nothing under agentgrafana/."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana.config import ConfigError
from agentgrafana.lint import ValidationFailed
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

DASHBOARD = """
from agentgrafana.context import Context
from agentgrafana.panels import Target, timeseries_panel


def dashboard(ctx: Context):
    q = ctx.q
    board = ctx.board("guardrails", "Guardrails", "Requests our guardrails blocked, and agent latency.")
    board.add(
        timeseries_panel(
            "Blocked requests by rule",
            "Requests a guardrail blocked, per second, by rule.",
            [Target(q.rate("agent_guardrail_blocks_total", ["rule"]), "{{rule}}")],
            "reqps",
        )
    )
    board.add(
        timeseries_panel(
            "Agent P95",
            "95th percentile agent request duration.",
            [Target(q.quantile(0.95, "agent_request_duration_seconds", ["agent_name"]), "{{agent_name}}")],
            "s",
        )
    )
    board.add(
        timeseries_panel(
            "Active sessions",
            "Sessions open now.",
            [Target(f"sum({q.sel('agent_active_sessions')})", "sessions")],
            "short",
        )
    )
    return board
"""

CATALOG = """\
metrics:
  - name: agent_guardrail_blocks_total
    type: counter
    unit: short
    labels: [agent_name, rule, tenant_id]
    help: Requests a guardrail blocked before the model saw them.
sources:
  house:
    title: Our in-house agent exporter
    metrics:
      - {name: house_agent_seconds, type: histogram, unit: s, labels: [agent, customer], buckets: [0.5, 1, 5, 30]}
    concepts:
      agent_request_duration_seconds:
        family: house_agent_seconds
        labels: {agent_name: agent, tenant_id: customer, model: null}
"""


def project(tmp_path: Path, catalog: str | None = CATALOG) -> Path:
    (tmp_path / "dashboards").mkdir()
    (tmp_path / "dashboards" / "guardrails.py").write_text(DASHBOARD)
    if catalog is not None:
        (tmp_path / "catalog.yaml").write_text(catalog)
    return tmp_path


def _exprs(b) -> dict[str, str]:
    return {p["title"]: p["targets"][0]["expr"] for d in b.dashboards for p in panels_of(d.model) if p.get("targets")}


def test_a_metric_from_the_project_catalog_validates_and_renders(tmp_path) -> None:
    b = build(config_mod.Config(), project(tmp_path))
    exprs = _exprs(b)
    assert exprs["Blocked requests by rule"] == (
        'sum by (rule) (rate(agent_guardrail_blocks_total{tenant_id=~"$tenant", agent_name=~"$agent"}'
        "[$__rate_interval]))"
    )
    assert "agent_request_duration_seconds_bucket{" in exprs["Agent P95"]  # the default source: seed


def test_without_the_catalog_the_metric_is_unknown(tmp_path) -> None:
    with pytest.raises(ValidationFailed) as failed:
        build(config_mod.Config(), project(tmp_path, catalog=None))
    assert any("unknown metric 'agent_guardrail_blocks_total'" in f.message for f in failed.value.findings)


def test_a_project_source_renders_its_names_and_leaves_out_what_it_lacks(tmp_path) -> None:
    config = config_mod.from_mapping({"metrics": {"sources": ["house"]}})
    b = build(config, project(tmp_path))
    exprs = _exprs(b)
    assert exprs["Agent P95"] == (
        "histogram_quantile(0.95, sum by (le, agent_name) (label_replace(rate(house_agent_seconds_bucket"
        '{customer=~"$tenant", agent=~"$agent"}[$__rate_interval]), "agent_name", "$1", "agent", "(.*)")))'
    )
    assert "Active sessions" not in exprs
    assert [(i.kind, i.name) for i in b.left_out] == [("panel", "agent-guardrails / Active sessions")]
    variables = {v["name"]: v.get("query") for v in b.dashboards[0].model["templating"]["list"]}
    assert "house_agent_seconds_count, customer" in str(variables["tenant"])


@pytest.mark.parametrize(
    "catalog,message",
    [
        ("metrics: [{name: x_total, type: summary}]\n", "catalog.yaml: metrics[0].type: expected one of"),
        ("metrics: [{name: 'bad-name', type: counter}]\n", "catalog.yaml: metrics[0].name"),
        ("metrics: [{name: up, type: gauge}]\n", "clashes with the catalog's series up"),
        ("metrics: [{name: h, type: histogram}]\n", "metrics[0].buckets: a histogram needs"),
        ("metrics: [{name: x, type: gauge, colour: red}]\n", "metrics[0].colour: unknown key"),
        ("sources: {s: {concepts: {no_such_concept: {}}}}\n", "sources.s.concepts.no_such_concept: not a concept"),
        (
            "sources: {s: {concepts: {agent_errors_total: {family: nope}}}}\n",
            "sources.s.concepts.agent_errors_total.family: 'nope' is not among",
        ),
        (
            "sources: {s: {metrics: [{name: c_total, type: counter}], concepts: "
            "{agent_errors_total: {family: c_total, labels: {colour: x}}}}}\n",
            "agent_errors_total.labels.colour: agent_errors_total has no label colour",
        ),
        (
            "sources: {s: {metrics: [{name: c_total, type: counter}], concepts: "
            "{agent_errors_total: {family: c_total, matchers: 'x='}}}}\n",
            "agent_errors_total.matchers: expected PromQL label matchers",
        ),
        ("sources: [a]\n", "catalog.yaml: sources: expected a mapping"),
    ],
)
def test_a_mistake_in_catalog_yaml_names_the_file_and_key(tmp_path, catalog, message) -> None:
    with pytest.raises(ConfigError) as failed:
        build(config_mod.Config(), project(tmp_path, textwrap.dedent(catalog)))
    assert message in str(failed.value)


def test_an_unknown_source_lists_the_project_ones(tmp_path) -> None:
    with pytest.raises(ConfigError) as failed:
        build(config_mod.from_mapping({"metrics": {"sources": ["hous"]}}), project(tmp_path))
    assert "unknown source 'hous'" in str(failed.value) and "catalog.yaml defines: house" in str(failed.value)


def test_the_readme_catalog_example_builds(tmp_path) -> None:
    """The README's catalog.yaml, as printed, with a dashboard reading the new metric and the new source."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    start = readme.index("A project adds both in `catalog.yaml`")
    block = readme[readme.index("```yaml\n", start) + len("```yaml\n") : readme.index("```\n", start + 60)]
    config = config_mod.from_mapping({"metrics": {"sources": ["house", "seed"]}})
    b = build(config, project(tmp_path, block))
    exprs = _exprs(b)
    assert "house_agent_seconds_bucket{" in exprs["Agent P95"]
    assert "agent_guardrail_blocks_total{" in exprs["Blocked requests by rule"]
    assert "Active sessions" in exprs  # the seed source, second in the list, provides it
