"""TraceQL: every query the build emits parses with Grafana's own grammar, and says what the panel claims.

The grammar is @grafana/lezer-traceql (what Grafana's query editor parses with), run through node. The corpus of
broken queries proves the check can fail; the builds cover Tempo with and without filters and service names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agentgrafana import config as config_mod
from agentgrafana import traceql
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]

TEMPO = {"traces": {"provider": "tempo"}}
CONFIGS = {
    "tempo": TEMPO,
    "tempo-service-langsmith": {
        "traces": {
            "provider": "tempo",
            "service_name": "support-bot",
            "link": "langsmith",
            "url_template": "https://smith.langchain.com/o/x/projects/p/y/r/{trace_id}",
        }
    },
    "tempo-no-filters": {
        "traces": {"provider": "tempo", "agent_attribute": "", "tenant_attribute": "", "link": "none"}
    },
    "tempo-per-tenant": {
        "traces": {"provider": "tempo"},
        "budgets": {"tenants": {"acme": 100}, "per_tenant_dashboards": True},
    },
}

# Queries that look plausible and are wrong: each must be reported (what a hand edit or a builder bug produces).
BROKEN = [
    "{ duration > 10s",  # unclosed spanset
    "{ status = error } }",  # stray brace
    '{ resource.service.name = "a"b" }',  # unescaped quote
    "{ traceDuration > 10 s }",  # a space inside the duration
    "{ span.gen_ai.agent.name =~ }",  # no value
    "{ status = error } with most_recent=true",  # hint without parentheses
    "{ status = error } &&",  # dangling operator
    '{ resource.service.name = "a" & status = error }',  # one ampersand
    "{ status == error }",  # not a TraceQL operator
    "{ foo bar }",  # two bare words
]


def traceql_queries(model: dict) -> list[tuple[str, str]]:
    return [
        (p["title"], t["query"])
        for p in panels_of(model)
        for t in p.get("targets") or []
        if (t.get("datasource") or {}).get("type") == "tempo"
    ]


@pytest.fixture(scope="module")
def builds():
    return {name: build(config_mod.from_mapping(cfg), ROOT) for name, cfg in CONFIGS.items()}


def test_every_emitted_traceql_query_parses(builds, traceql_parse) -> None:
    queries = [
        (name, d.uid, title, query)
        for name, b in builds.items()
        for d in b.dashboards
        for title, query in traceql_queries(d.model)
    ]
    assert len(queries) >= 3 * len(CONFIGS)
    errors = traceql_parse([q for *_, q in queries])
    bad = [(where, error) for where, error in zip(queries, errors, strict=True) if error is not None]
    assert not bad


def test_the_grammar_rejects_every_broken_query(traceql_parse) -> None:
    errors = traceql_parse(BROKEN)
    accepted = [q for q, e in zip(BROKEN, errors, strict=True) if e is None]
    assert not accepted


def test_quoting_survives_hostile_values(traceql_parse) -> None:
    values = ['a"b', "back\\slash", "ends with \\", 'mixed \\" both', "${agent}"]
    queries = [traceql.search([f"resource.service.name = {traceql.string(v)}"], "status = error") for v in values]
    assert traceql_parse(queries) == [None] * len(values)


def test_tempo_tables_mean_what_they_say(builds) -> None:
    board = next(d for d in builds["tempo"].dashboards if d.uid == "agent-traces")
    queries = dict(traceql_queries(board.model))
    agent = "span.gen_ai.agent.name =~ `${agent:regex}`"
    tenant = "resource.tenant.id =~ `${tenant:regex}`"
    assert queries["Recent traces"] == f"{{ {agent} && {tenant} }} with (most_recent=true)"
    assert queries["Slow traces"] == f"{{ {agent} && {tenant} }} && {{ traceDuration > 10s }} with (most_recent=true)"
    assert queries["Error traces"] == f"{{ {agent} && {tenant} }} && {{ status = error }} with (most_recent=true)"
    variables = {v["name"] for v in board.model["templating"]["list"]}
    assert {"tempo", "agent", "tenant"} <= variables
    table = next(p for p in panels_of(board.model) if p["title"] == "Recent traces")
    links = next(o for o in table["fieldConfig"]["overrides"] if o["matcher"]["options"] == "traceID")
    titles = [lk["title"] for lk in links["properties"][0]["value"]]
    assert titles == ["Open in Tempo", "Open in Langfuse"]  # Tempo's own link kept, Langfuse beside it
    tempo_link = links["properties"][0]["value"][0]["url"]
    assert tempo_link.startswith("/explore?left=") and "${__value.raw}" in tempo_link and "${tempo}" in tempo_link


def test_regex_variables_as_grafana_interpolates_them_parse(traceql_parse) -> None:
    """Grafana's regex format escapes '-' and '.' with backslashes: the raw string must take them."""
    query = traceql.search([traceql.matches("span.gen_ai.agent.name", "agent")], "status = error")
    interpolated = [query.replace("${agent:regex}", v) for v in ("(support\\-bot|triage\\.v2)", ".*")]
    assert traceql_parse(interpolated) == [None, None]
    assert traceql_parse([q.replace("`", '"') for q in interpolated])[0] is not None  # why it is not "..."


def test_without_tempo_no_traceql_and_a_link_out(default_build) -> None:
    board = next(d for d in default_build.dashboards if d.uid == "agent-traces")
    assert not traceql_queries(board.model)
    assert "tempo" not in {v["name"] for v in board.model["templating"]["list"]}
    text = next(p for p in panels_of(board.model) if p["type"] == "text")
    assert "https://langfuse.example.com/traces" in text["options"]["content"]
    assert {p["title"] for p in panels_of(board.model)} >= {"Success rate", "Chain length P50 / P95"}
