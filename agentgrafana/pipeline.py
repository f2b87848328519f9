"""The one-way pipeline: content → model → validate → emit. Nothing is written here (see `writer`).

`build` raises `ValidationFailed` with every finding, so a caller writes either the whole set or nothing.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from . import alerting
from .board import Board, LeftOut
from .catalog import CATALOG, Catalog
from .config import Config
from .context import Context, queries_for
from .discovery import ContentError, ContentModule, NoContent, call_content, discover
from .drilldown import add_drilldowns
from .emit import schema_v2
from .encode import EncodeError, dashboard_json
from .imported import ImportedDashboard
from .lint import ERROR, BuildView, Finding, ValidationFailed, exclusions
from .lint.runner import Linter, all_rules
from .model import Build, DashboardOut, Folder, RuleGroup
from .outputs import Inputs, emit_all
from .queries import Queries
from .sources import project


def build(config: Config, root: Path, catalog: Catalog = CATALOG, *, strict: bool = False) -> Build:
    """Build, validate and emit everything defined under `root` for `config`.

    The cyclic garbage collector is paused meanwhile: a build allocates millions of short-lived, acyclic
    objects, and the collector's passes over them were a third of the time at a thousand dashboards.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _build(config, root, catalog, strict)
    finally:
        if paused:
            gc.enable()


def _build(config: Config, root: Path, concepts: Catalog, strict: bool) -> Build:
    own = project.load(root, concepts)
    concepts = own.concepts(concepts)
    q = queries_for(config, concepts, own.all_sources())
    catalog = q.dialect.catalog  # the series of the configured sources: what every query is validated against
    ctx = Context(config, concepts, q=q)
    modules = discover(root)
    if not modules:
        raise NoContent(f"no content: no dashboards/, alerts/ or recording_rules/ modules under {root}")
    groups = alerting.collect_rule_groups(ctx, [m for m in modules if m.kind != "dashboards"])
    groups, left_out = leave_out_rules(groups, q)
    q.recorded = {r.record for g in groups for r in g.recording}  # what dashboards may read instead of raw series
    recorded = alerting.recorded_series(groups, catalog)
    dashboards, left_boards = collect_dashboards(ctx, [m for m in modules if m.kind == "dashboards"])
    left_out += left_boards + [LeftOut(kind, name, reason) for kind, name, reason in q.notes]
    groups = alerting.link_panels(groups, dashboards)
    grafana_groups = alerting.grafana_rule_groups(ctx, groups, dashboards) if config.grafana_alerts else []

    rules = all_rules(catalog, recorded)
    linter = Linter(rules, exclusions.load(root, {r.name for r in rules}))
    findings = linter.check(BuildView(dashboards, groups))
    _stop_on(findings, strict)
    files = emit_all(Inputs(config, dashboards, groups, grafana_groups, q.dialect))
    findings += linter.check(BuildView(dashboards, groups, files), after_emit=True) + linter.unused_exclusions()
    _stop_on(findings, strict)
    return Build(
        dashboards=dashboards,
        rule_groups=groups,
        grafana_rule_groups=grafana_groups,
        files=files,
        main_folder=main_folder(config),
        warnings=sorted(findings),
        left_out=left_out,
        dialect=q.dialect,
    )


def leave_out_rules(groups: list[RuleGroup], q: Queries) -> tuple[list[RuleGroup], list[LeftOut]]:
    """Groups without the recording rules and alerts whose series no configured source provides (and without
    what reads a rule left out); a group left empty goes too."""
    left: list[LeftOut] = []
    kept_records: set[str] = set()
    out = []
    for g in groups:
        recording = []
        for r in g.recording:
            reason = q.missing([r.expr])
            if reason:
                left.append(LeftOut("recording rule", r.record, reason, r.source))
                if r.record not in kept_records:
                    q.left_out_records.add(r.record)
            else:
                recording.append(r)
                kept_records.add(r.record)
                q.left_out_records.discard(r.record)
        alerts = []
        for a in g.alerts:
            reason = q.missing([a.expr])
            if reason:
                left.append(LeftOut("alert", a.name, reason, a.source))
            else:
                alerts.append(a)
        if recording or alerts:
            out.append(replace(g, recording=recording, alerts=alerts))
    return out, left


def _stop_on(findings: list[Finding], strict: bool) -> None:
    """Errors stop the build (nothing is written); warnings too under `strict`."""
    if any(f.severity == ERROR or strict for f in findings):
        raise ValidationFailed(findings)


def main_folder(config: Config) -> Folder:
    return Folder(config.grafana.folder.uid, config.grafana.folder.title)


def tenant_folder(config: Config, tenant: str) -> Folder:
    return main_folder(config).for_tenant(tenant)


NEEDS_RE = re.compile(r"^needs (.+), which no configured source \((.+)\) provides$")


def _dashboard_reason(items: list[LeftOut]) -> str:
    """Why a dashboard with no panel left is left out: the concepts its panels need, or their reasons."""
    needs: dict[str, None] = {}
    sources = ""
    for item in items:
        m = NEEDS_RE.match(item.reason)
        if m is None:
            reasons = "; ".join(dict.fromkeys(i.reason for i in items))
            return f"none of its {len(items)} panels has data in this build ({reasons})"
        needs.update(dict.fromkeys(m.group(1).split(", ")))
        sources = m.group(2)
    return (
        f"none of its {len(items)} panels has data: they need {', '.join(sorted(needs))}, which no configured "
        f"source ({sources}) provides"
    )


def collect_dashboards(ctx: Context, modules: list[ContentModule]) -> tuple[list[DashboardOut], list[LeftOut]]:
    """Call every dashboard module, encode the results, then link the core dashboards to each other.

    Also returns what was left out: panels the configured sources cannot fill, and dashboards left without any.
    """
    out: list[DashboardOut] = []
    left: list[LeftOut] = []
    for m in modules:
        for result in _call(ctx, m):
            if isinstance(result, Board):
                source = m.path.as_posix()
                if result.left_out and not result.panel_count:  # one line for the dashboard, not one per panel
                    left.append(LeftOut("dashboard", result.uid, _dashboard_reason(result.left_out), source))
                    continue
                left += [replace(item, source=source) for item in result.left_out]
            try:
                model = call_content(
                    m,
                    "encoding the dashboard",
                    partial(dashboard_json, result),
                    passthrough=(EncodeError,),
                )
            except EncodeError as exc:
                raise ContentError(f"{m.path}: {exc}") from None
            tenant = result.tenant if isinstance(result, Board) else None
            folder = tenant_folder(ctx.config, tenant) if tenant else main_folder(ctx.config)
            out.append(
                DashboardOut(
                    uid=str(model.get("uid", "")),
                    title=str(model.get("title", "")),
                    folder=folder,
                    model=model,
                    source=m.path.as_posix(),
                    imported=isinstance(result, ImportedDashboard),
                )
            )
    house = [d for d in out if not d.imported]  # imported dashboards keep their own links
    linked = {d.uid: d for d in add_drilldowns(add_navigation(house, ctx.config), ctx.config.grafana.uid_prefix)}
    out = [linked.get(d.uid, d) if not d.imported else d for d in out]
    if ctx.config.grafana.dashboard_schema == "v2":
        out = [_as_v2(d) for d in out]
    return out, left


def _as_v2(d: DashboardOut) -> DashboardOut:
    """The dashboard as schema v2, and as the classic view of that v2 spec, which every check then reads."""
    try:
        v2 = schema_v2.to_v2(orjson.loads(orjson.dumps(d.model)))  # plain JSON values (the SDK's enums as text)
        view = schema_v2.from_v2(v2, d.uid)
    except schema_v2.SchemaError as exc:
        raise ContentError(f"{d.source}: {exc}") from None
    return replace(d, model=view, v2=v2)


def _call(ctx: Context, m: ContentModule) -> Iterable[Any]:
    fn = getattr(m.module, "dashboards", None)
    if callable(fn):
        return call_content(m, "dashboards(ctx)", lambda: list(fn(ctx)))
    return call_content(m, "building the dashboard", lambda: [m.module.dashboard(ctx)])


def add_navigation(dashboards: list[DashboardOut], config: Config) -> list[DashboardOut]:
    """Every dashboard links to each dashboard of the main folder (not itself), keeping time and variables."""
    core = [d for d in dashboards if d.folder == main_folder(config)]
    linked = []
    for d in dashboards:
        links = list(d.model.get("links") or [])
        for other in core:
            if other.uid != d.uid:
                links.append(
                    {
                        "title": other.title,
                        "type": "link",
                        "url": f"/d/{other.uid}",
                        "icon": "dashboard",
                        "includeVars": True,
                        "keepTime": True,
                        "asDropdown": False,
                        "targetBlank": False,
                        "tags": [],
                        "tooltip": "",
                    }
                )
        linked.append(replace(d, model={**d.model, "links": links}))
    return linked
