"""`grafana/notification-policies/agentgrafana.yaml`: the Alertmanager routes as a Grafana notification policy
tree, for the default engine (Grafana evaluates the alerts and its own Alertmanager notifies).

The tree is derived from `alertmanager.config`, so both engines route alike: the dead man's switch, cost to
FinOps, critical to the pager, the rest to the default contact point, with the same grouping and intervals.
The receivers become contact point names: create contact points with those names (their integrations and
secrets are yours). Two differences, said in the file's comment and the README: Grafana's Alertmanager has no
inhibit rules (the critical-silences-warning pairs stay Alertmanager-only), and provisioning a policy tree
replaces the organisation's whole tree. That is why this file is not under `grafana/provisioning/`: copy it
there on purpose, or merge its routes into your tree.
"""

from __future__ import annotations

import re
from typing import Any

from ..config import Config
from ..emit import yaml_text
from ..model import RuleGroup
from . import alertmanager

PATH = "grafana/notification-policies/agentgrafana.yaml"
MATCHER_RE = re.compile(r'^\s*([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')
TIMINGS = ("group_wait", "group_interval", "repeat_interval")
HEADER = (
    "# Grafana notification policies (file provisioning), derived from alertmanager/alertmanager.yaml.\n"
    "# Provisioning a policy tree REPLACES the organisation's whole tree: copy this file to\n"
    "# /etc/grafana/provisioning/alerting/ only if agentgrafana should own the tree, else merge its routes.\n"
    "# Contact points named here must exist. Grafana's Alertmanager has no inhibit rules: those stay in\n"
    "# alertmanager/alertmanager.yaml for an external Alertmanager.\n"
)


def object_matchers(matchers: list[str]) -> list[list[str]]:
    """Alertmanager matcher strings (`label="value"`) as Grafana's `object_matchers` triples."""
    out = []
    for text in matchers:
        m = MATCHER_RE.match(text)
        if m is None:
            raise ValueError(f"not a matcher: {text!r}")
        out.append([m.group(1), m.group(2), m.group(3)])
    return out


def _policy(route: dict[str, Any]) -> dict[str, Any]:
    policy: dict[str, Any] = {"receiver": route["receiver"]}
    if route.get("matchers"):
        policy["object_matchers"] = object_matchers(route["matchers"])
    if route.get("group_by"):
        policy["group_by"] = list(route["group_by"])
    for key in TIMINGS:
        if key in route:
            policy[key] = route[key]
    if route.get("routes"):
        policy["routes"] = [_policy(r) for r in route["routes"]]
    return policy


def policies(cfg: Config, groups: list[RuleGroup]) -> dict[str, Any]:
    route = alertmanager.config(cfg, groups)["route"]
    return {"apiVersion": 1, "policies": [{"orgId": 1, **_policy(route)}]}


def files(cfg: Config, groups: list[RuleGroup]) -> dict[str, bytes]:
    """Only where Grafana evaluates the alerts, and only when there are alerts."""
    if not cfg.grafana_alerts or not any(g.alerts for g in groups):
        return {}
    return {PATH: (HEADER + yaml_text(policies(cfg, groups))).encode("utf-8")}
