"""Drill-downs: a data link from an agent's, a model's or a tenant's series to the dashboard that explains it,
with that subject selected in its variable and the time range kept.

Added after the dashboards are built (like the navigation links), to every graph, bar gauge and pie chart
whose legend names one of those labels, and only to dashboards the build has: an agent's line on the
Overview opens Performance for that agent, on Performance its Traces; a model opens Cost & Usage (and from
there Performance); a tenant opens Cost & Usage. A dashboard never links to itself, and one tenant's own
dashboard (its tenant fixed) gets no tenant links.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .model import DashboardOut, panels_of

# series label -> (the variable it selects, {from dashboard: to dashboard}, "*" for any other)
DRILLDOWNS: dict[str, tuple[str, dict[str, str | None]]] = {
    "agent_name": ("agent", {"overview": "performance", "performance": "traces", "*": "performance"}),
    "model": ("model", {"cost": "performance", "*": "cost"}),
    "tenant_id": ("tenant", {"cost": None, "*": "cost"}),
}
LINKED_TYPES = {"timeseries", "bargauge", "piechart"}
LEGEND_LABEL = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def add_drilldowns(dashboards: list[DashboardOut], prefix: str) -> list[DashboardOut]:
    """`dashboards` with drill-down data links; `prefix` is `grafana.uid_prefix` (uids are `<prefix>-<key>`)."""
    by_key = {d.uid.removeprefix(f"{prefix}-"): d for d in dashboards}
    out = []
    for d in dashboards:
        key = d.uid.removeprefix(f"{prefix}-")
        fixed_tenant = any(
            v.get("name") == "tenant" and v.get("type") == "constant"
            for v in (d.model.get("templating") or {}).get("list") or []
        )
        panels = [
            {**p, "panels": [dict(c) for c in p["panels"]]} if p.get("panels") else dict(p)
            for p in d.model.get("panels") or []
        ]
        model = {**d.model, "panels": panels}  # panels copied: the built model stays as it is
        _add_links(model, key, by_key, fixed_tenant)
        out.append(replace(d, model=model))
    return out


def _add_links(model: dict[str, Any], key: str, by_key: dict[str, DashboardOut], fixed_tenant: bool) -> None:
    for panel in panels_of(model):
        if panel.get("type") not in LINKED_TYPES or not panel.get("targets"):
            continue
        labels = set(LEGEND_LABEL.findall(str(panel["targets"][0].get("legendFormat") or "")))
        links = []
        for label in sorted(labels & set(DRILLDOWNS)):
            if label == "tenant_id" and fixed_tenant:
                continue
            variable, routes = DRILLDOWNS[label]
            to = routes.get(key, routes["*"])
            target = by_key.get(to) if to else None
            if target is None or to == key or variable not in _variables(target):
                continue  # not built, itself, or it has no such variable to select
            links.append(
                {
                    "title": f"{target.title} for this {variable}",
                    "url": f"/d/{target.uid}?var-{variable}=${{__field.labels.{label}}}&${{__url_time_range}}",
                    "targetBlank": False,
                }
            )
        if links:
            field_config = dict(panel.get("fieldConfig") or {})
            defaults = dict(field_config.get("defaults") or {})
            defaults["links"] = [*(defaults.get("links") or []), *links]
            panel["fieldConfig"] = {**field_config, "defaults": defaults}


def _variables(d: DashboardOut) -> set[str]:
    return {str(v.get("name")) for v in (d.model.get("templating") or {}).get("list") or []}
