"""Hand-made builds and fixtures shared by the tests/test_grafana_*.py modules.

Import the fixtures by name into a test module (`from grafana_builds import double, settings`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from grafana_double import GrafanaDouble

from agentgrafana.grafana import GrafanaSettings
from agentgrafana.grafana.normalize import OWNER_TAG
from agentgrafana.model import Build, DashboardOut, Folder, GrafanaRuleGroup

TOKEN = "glsa_double_7f3a9c2e5b1d4f6a8c0e2b4d6f8a1c3e"
FOLDER = Folder("ai-agents", "AI Agents")
OTHER_FOLDER = Folder("other-team", "Other team")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def dashboard_model(uid: str, title: str, expr: str = "sum(rate(agent_requests_total[5m]))") -> dict[str, Any]:
    """A small but realistic dashboard JSON, as the build encodes it."""
    return {
        "uid": uid,
        "title": title,
        "tags": ["ai-agents", OWNER_TAG],
        "schemaVersion": 42,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"type": "datasource", "name": "datasource", "query": "prometheus"}]},
        "annotations": {"list": []},
        "panels": [
            {
                "id": 1,
                "type": "timeseries",
                "title": "Requests per second",
                "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0},
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "targets": [{"refId": "A", "expr": expr, "legendFormat": "{{agent_name}}"}],
                "fieldConfig": {"defaults": {"unit": "reqps", "min": 0.0}, "overrides": []},
            }
        ],
    }


def dashboard(uid: str, title: str, folder: Folder = FOLDER, **kw: Any) -> DashboardOut:
    return DashboardOut(uid, title, folder, dashboard_model(uid, title, **kw), source=f"tests/{uid}")


def rule(uid: str, title: str, expr: str, threshold: float = 10, for_: str = "5m") -> dict[str, Any]:
    """A Grafana-managed rule in the provisioning API shape: query A, reduce B, threshold C."""
    expression = {"type": "__expr__", "uid": "__expr__"}
    return {
        "uid": uid,
        "title": title,
        "condition": "C",
        "data": [
            {
                "refId": "A",
                "relativeTimeRange": {"from": 600, "to": 0},
                "datasourceUid": "prometheus",
                "model": {"refId": "A", "expr": expr, "instant": True},
            },
            {
                "refId": "B",
                "relativeTimeRange": {"from": 0, "to": 0},
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "B",
                    "type": "reduce",
                    "expression": "A",
                    "reducer": "last",
                    "datasource": expression,
                },
            },
            {
                "refId": "C",
                "relativeTimeRange": {"from": 0, "to": 0},
                "datasourceUid": "__expr__",
                "model": {
                    "refId": "C",
                    "type": "threshold",
                    "expression": "B",
                    "datasource": expression,
                    "conditions": [{"evaluator": {"type": "gt", "params": [threshold]}}],
                },
            },
        ],
        "noDataState": "NoData",
        "execErrState": "Error",
        "for": for_,
        "annotations": {"summary": f"{title}.", "__dashboardUid__": "agent-overview", "__panelId__": "1"},
        "labels": {"severity": "warning"},
        "isPaused": False,
    }


def rule_group(
    name: str = "agent-alerts", folder: Folder = FOLDER, interval: int = 60, rules: list[dict[str, Any]] | None = None
) -> GrafanaRuleGroup:
    if rules is None:
        rules = [
            rule(f"{name}-latency", "Agent latency high", "histogram_quantile(0.99, sum by (le) (rate(x[5m])))", 30),
            rule(f"{name}-errors", "Agent errors high", "sum(rate(agent_errors_total[5m]))", 0.05, for_="10m"),
        ]
    return GrafanaRuleGroup(folder, name, interval, rules)


UIDS = ("agent-overview", "agent-cost", "agent-tools")


def make_build(uids: tuple[str, ...] = UIDS, groups: tuple[str, ...] = ("agent-alerts",)) -> Build:
    """A few dashboards in one folder and the named rule groups."""
    dashboards = [dashboard(uid, uid.replace("-", " ").title()) for uid in uids]
    return Build(dashboards, [], [rule_group(name) for name in groups], files={})


def with_expr(build: Build, uid: str, expr: str) -> Build:
    """A copy of `build` where one dashboard's panel query changed."""
    changed = copy.deepcopy(build)
    for d in changed.dashboards:
        if d.uid == uid:
            d.model["panels"][0]["targets"][0]["expr"] = expr
    return changed


def settings_for(url: str, **overrides: Any) -> GrafanaSettings:
    """Settings for the double: tiny backoff so retries cost milliseconds."""
    values: dict[str, Any] = dict(
        url=url, token=TOKEN, timeout=5.0, retries=6, backoff_factor=0.001, backoff_jitter=0.002, backoff_max=0.05
    )
    values.update(overrides)
    return GrafanaSettings(**values)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests only ever go straight to 127.0.0.1, whatever proxy the environment names."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")


@pytest.fixture
def double() -> Iterator[GrafanaDouble]:
    with GrafanaDouble(token=TOKEN) as server:
        yield server
        assert server.errors == []


@pytest.fixture
def settings(double: GrafanaDouble) -> GrafanaSettings:
    return settings_for(double.url)
