"""Dashboard rules: each checks a dashboard, a panel or a target; `lint_dashboards` runs them all."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import promql
from ..catalog import Catalog
from ..model import DashboardOut
from . import Finding

UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
PROMETHEUS_DS = ("prometheus",)
GRID = 24
SHARED_VARIABLES = ("tenant", "agent", "model")  # every dashboard has them (links carry the selection)


@dataclass(frozen=True)
class TargetView:
    """A target with the context rules need: the dashboard, the panel, and the expanded expression."""

    dashboard: DashboardOut
    panel: dict[str, Any]
    target: dict[str, Any]

    @property
    def ref_id(self) -> str:
        return str(self.target.get("refId", ""))

    @property
    def datasource_type(self) -> str:
        ds = self.target.get("datasource") or self.panel.get("datasource") or {}
        return str(ds.get("type", "")) if isinstance(ds, dict) else ""


class DashboardRule:
    """Base rule: override whichever adapters apply; each yields (location, message, expr)."""

    name = ""

    def dashboard(self, d: DashboardOut) -> Iterator[tuple[str, str, str]]:
        return iter(())

    def panel(self, d: DashboardOut, p: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
        return iter(())

    def target(self, t: TargetView) -> Iterator[tuple[str, str, str]]:
        return iter(())


def panel_label(p: dict[str, Any]) -> str:
    return f'panel "{p.get("title", "")}" (id {p.get("id")})'


def panels_of(model: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows, rows themselves included."""
    out: list[dict[str, Any]] = []
    for p in model.get("panels") or []:
        out.append(p)
        out.extend(p.get("panels") or [])
    return out


class UidAndTitle(DashboardRule):
    name = "dashboard-uid"

    def dashboard(self, d: DashboardOut) -> Iterator[tuple[str, str, str]]:
        if not UID_RE.match(d.uid or ""):
            yield "", f"uid {d.uid!r} must be 1-40 characters of letters, digits, '-' or '_'", ""
        if not (d.title or "").strip():
            yield "", "dashboard has no title", ""


class DatasourceVariable(DashboardRule):
    name = "template-datasource"

    def dashboard(self, d: DashboardOut) -> Iterator[tuple[str, str, str]]:
        variables = d.model.get("templating", {}).get("list", [])
        if not any(v.get("type") == "datasource" and v.get("query") == "prometheus" for v in variables):
            yield "", "no Prometheus datasource variable", ""
        names = {v.get("name") for v in variables}
        for wanted in SHARED_VARIABLES:
            if wanted not in names:
                yield "", f"missing the shared '{wanted}' variable", ""


class UnusedVariable(DashboardRule):
    """A variable no query reads. The shared `tenant`/`agent`/`model` variables are exempt: every dashboard
    carries them so that links between dashboards keep the selection, used or not."""

    name = "template-unused"

    def __init__(self) -> None:
        self._seen: dict[str, frozenset[str]] = {}  # text -> variables it uses (dashboards repeat queries)

    def _used(self, text: str) -> frozenset[str]:
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = frozenset(promql.variables_used(text))
        return found

    def dashboard(self, d: DashboardOut) -> Iterator[tuple[str, str, str]]:
        variables = d.model.get("templating", {}).get("list", [])
        used: set[str] = set()
        for p in panels_of(d.model):
            ds = p.get("datasource") or {}
            used |= self._used(str(ds.get("uid", "")) if isinstance(ds, dict) else "")
            for t in p.get("targets") or []:
                for key in ("expr", "query"):
                    used |= self._used(str(t.get(key, "")))
                used |= self._used(str((t.get("datasource") or {}).get("uid", "")))
        for v in variables:
            used |= self._used(
                str((v.get("query") or {}).get("query", ""))
                if isinstance(v.get("query"), dict)
                else str(v.get("query", ""))
            )
        for v in variables:
            name = v.get("name")
            if v.get("type") in ("query", "custom", "datasource") and name not in used and name not in SHARED_VARIABLES:
                yield "", f"variable '{v.get('name')}' is defined but no panel uses it", ""


class PanelBasics(DashboardRule):
    name = "panel-basics"

    def panel(self, d: DashboardOut, p: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
        if p.get("type") == "row":
            return
        where = panel_label(p)
        if not str(p.get("title", "")).strip():
            yield where, "panel has no title", ""
        if not str(p.get("description", "")).strip():
            yield where, "panel has no description", ""
        if not (p.get("fieldConfig", {}).get("defaults", {}).get("unit")):
            yield where, "panel has no unit (fieldConfig.defaults.unit)", ""
        if not p.get("datasource"):
            yield where, "panel has no datasource", ""
        if not p.get("targets"):
            yield where, "panel has no targets", ""
        ref_ids = [str(t.get("refId", "")) for t in p.get("targets") or []]
        if any(not r for r in ref_ids):
            yield where, "a target has an empty refId", ""
        for ref, count in Counter(ref_ids).items():
            if ref and count > 1:
                yield where, f"refId {ref} is used by {count} targets", ""


class GridLayout(DashboardRule):
    name = "panel-grid"

    def dashboard(self, d: DashboardOut) -> Iterator[tuple[str, str, str]]:
        placed: list[tuple[dict[str, Any], int, int, int, int]] = []
        for p in d.model.get("panels") or []:  # nested (collapsed) panels are placed when expanded
            g = p.get("gridPos") or {}
            values = [g.get(k) for k in ("x", "y", "w", "h")]
            if not all(isinstance(v, int) for v in values):
                yield panel_label(p), "gridPos must have integer x, y, w and h", ""
                continue
            x, y, w, h = (int(v or 0) for v in values)
            if not (0 <= x and 1 <= w and x + w <= GRID and h > 0 and y >= 0):
                yield panel_label(p), f"gridPos x={x} w={w} h={h} y={y} is outside the 24-column grid", ""
                continue
            for other, ox, oy, ow, oh in placed:
                if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                    yield panel_label(p), f"overlaps {panel_label(other)}", ""
            placed.append((p, x, y, w, h))


class UniquePanelIds(DashboardRule):
    name = "panel-id-unique"

    def dashboard(self, d: DashboardOut) -> Iterator[tuple[str, str, str]]:
        ids = Counter(p.get("id") for p in panels_of(d.model))
        for panel_id, count in sorted(ids.items(), key=lambda kv: str(kv[0])):
            if panel_id is None:
                yield "", f"{count} panel(s) have no id", ""
            elif count > 1:
                yield "", f"panel id {panel_id} is used by {count} panels", ""


class TargetPromQL(DashboardRule):
    """Expressions parse after variable expansion and match the catalog (metrics, labels, functions)."""

    name = "target-promql"

    def __init__(self, catalog: Catalog, recorded: dict[str, frozenset[str]]):
        self.catalog = catalog
        self.recorded = recorded
        self._messages: dict[str, tuple[str, ...]] = {}  # expression -> its messages (dashboards repeat queries)

    def target(self, t: TargetView) -> Iterator[tuple[str, str, str]]:
        if t.datasource_type not in PROMETHEUS_DS:
            return
        where = f"{panel_label(t.panel)} refId {t.ref_id}"
        expr = str(t.target.get("expr", ""))
        if not expr.strip():
            yield where, "empty PromQL expression", expr
            return
        messages = self._messages.get(expr)
        if messages is None:
            messages = self._messages[expr] = tuple(self._check(expr))
        for message in messages:
            yield where, message, expr

    def _check(self, expr: str) -> Iterator[str]:
        analysis = promql.analyze(promql.expand_variables(expr), self.catalog, self.recorded)
        yield from analysis.problems
        for fn, window in analysis.ranges:
            if fn in ("rate", "irate") and window is not None:
                yield (
                    f"{fn}() uses a fixed window; use [$__rate_interval] so it follows the scrape "
                    "interval and zoom level"
                )


class MultiValueMatchers(DashboardRule):
    """A multi-value variable must be matched with =~ (Grafana expands it to a regex alternation)."""

    name = "target-multi-value"
    PATTERN = re.compile(r'(\w+)\s*(!?=)\s*"\$\{?(tenant|agent|model|host|gpu)\b')

    def __init__(self) -> None:
        self._matches: dict[str, tuple[tuple[str, ...], ...]] = {}  # expression -> (label, op, variable)

    def target(self, t: TargetView) -> Iterator[tuple[str, str, str]]:
        expr = str(t.target.get("expr", ""))
        matches = self._matches.get(expr)
        if matches is None:
            matches = self._matches[expr] = tuple(m.groups() for m in self.PATTERN.finditer(expr))
        for label, op, variable in matches:
            yield (
                f"{panel_label(t.panel)} refId {t.ref_id}",
                f"label {label} is compared with {op} to multi-value variable ${variable}; use =~ (or !~)",
                expr,
            )


def dashboard_rules(catalog: Catalog, recorded: dict[str, frozenset[str]]) -> list[DashboardRule]:
    return [
        UidAndTitle(),
        DatasourceVariable(),
        UnusedVariable(),
        PanelBasics(),
        GridLayout(),
        UniquePanelIds(),
        TargetPromQL(catalog, recorded),
        MultiValueMatchers(),
    ]


def lint_dashboards(
    dashboards: list[DashboardOut], catalog: Catalog, recorded: dict[str, frozenset[str]]
) -> list[Finding]:
    """Run every rule on every dashboard, panel and target, plus the cross-dashboard checks."""
    rules = dashboard_rules(catalog, recorded)
    findings: list[Finding] = []
    # Only the rules that look at panels (targets) are asked about each panel (target): the base
    # adapters find nothing, and a thousand dashboards have tens of thousands of panels and targets.
    panel_rules = [r for r in rules if type(r).panel is not DashboardRule.panel]
    target_rules = [r for r in rules if type(r).target is not DashboardRule.target]

    def add(d: DashboardOut, rule: DashboardRule, results: Iterator[tuple[str, str, str]]) -> None:
        for location, message, expr in results:
            findings.append(Finding(d.source, f"dashboard {d.uid}", location, rule.name, message, expr))

    for d in dashboards:
        for rule in rules:
            add(d, rule, rule.dashboard(d))
        for p in panels_of(d.model):
            for rule in panel_rules:
                add(d, rule, rule.panel(d, p))
            for target in p.get("targets") or []:
                view = TargetView(d, p, target)
                for rule in target_rules:
                    add(d, rule, rule.target(view))
    findings.extend(_across(dashboards))
    return findings


def _across(dashboards: list[DashboardOut]) -> Iterator[Finding]:
    """Duplicate uids and duplicate titles within a folder, links to dashboards that do not exist."""
    by_uid = Counter(d.uid for d in dashboards)
    by_title = Counter((d.folder.uid, d.title) for d in dashboards)
    uids = set(by_uid)
    bad_folders = sorted({d.folder for d in dashboards if not UID_RE.match(d.folder.uid)})
    for folder in bad_folders:
        first = next(d for d in dashboards if d.folder == folder)
        yield Finding(
            first.source,
            f"folder {folder.title!r}",
            "",
            "folder-uid",
            f"folder uid {folder.uid!r} must be 1-40 characters of letters, digits, '-' or '_' "
            "(a tenant name too long or with other characters?)",
        )
    for d in dashboards:
        if by_uid[d.uid] > 1:
            yield Finding(
                d.source,
                f"dashboard {d.uid}",
                "",
                "dashboard-uid-unique",
                f"uid {d.uid} is used by {by_uid[d.uid]} dashboards",
            )
        if by_title[(d.folder.uid, d.title)] > 1:
            yield Finding(
                d.source,
                f"dashboard {d.uid}",
                "",
                "dashboard-title-unique",
                f"title {d.title!r} is used by another dashboard in folder {d.folder.title!r}",
            )
        for link in d.model.get("links") or []:
            url = str(link.get("url", ""))
            if url.startswith("/d/") and url[3:].split("/")[0].split("?")[0] not in uids:
                yield Finding(
                    d.source,
                    f"dashboard {d.uid}",
                    f"link {link.get('title')!r}",
                    "dashboard-link",
                    f"links to {url}, which is not a generated dashboard",
                )
