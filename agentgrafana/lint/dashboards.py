"""Dashboard rules (after grafana/dashboard-linter): each checks a dashboard, a panel, a target, or all dashboards
of the build together. `agentgrafana.lint.runner` runs them with the alert rules."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

from .. import promql
from ..catalog import Catalog
from ..emit.dashboards import CONFIGMAP_LIMIT_BYTES, configmap_sizes
from ..model import DashboardOut, datasource_type, panel_label, panels_of
from ..outputs import KUBERNETES, files_with_role
from . import BuildView, Finding, Located, Rule, TargetView
from . import units as units_mod

UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
PROMETHEUS_DS = ("prometheus",)
GRID = 24


class UidAndTitle(Rule):
    name = "dashboard-uid"
    description = "a uid of 1-40 letters, digits, '-' or '_', and a title"

    def dashboard(self, d: DashboardOut) -> Located:
        if not UID_RE.match(d.uid or ""):
            yield "", f"uid {d.uid!r} must be 1-40 characters of letters, digits, '-' or '_'", ""
        if not (d.title or "").strip():
            yield "", "dashboard has no title", ""


class DatasourceVariable(Rule):
    name = "template-datasource"
    description = "a Prometheus datasource variable"

    def dashboard(self, d: DashboardOut) -> Located:
        variables = d.model.get("templating", {}).get("list", [])
        if not any(v.get("type") == "datasource" and v.get("query") == "prometheus" for v in variables):
            yield "", "no Prometheus datasource variable", ""


class UnusedVariable(Rule):
    """A variable no query reads: it filters nothing, yet a reader who sets it believes the panels follow it.
    Links between dashboards still carry every selection (`includeVars`) to the dashboards that have it."""

    name = "template-unused"
    description = "every variable is read by some query: a variable that filters nothing misleads"

    def __init__(self) -> None:
        self._seen: dict[str, frozenset[str]] = {}  # text -> variables it uses (dashboards repeat queries)

    def _used(self, text: str) -> frozenset[str]:
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = frozenset(promql.variables_used(text))
        return found

    def dashboard(self, d: DashboardOut) -> Located:
        variables = d.model.get("templating", {}).get("list", [])
        used: set[str] = set()
        for p in panels_of(d.model):
            ds = p.get("datasource") or {}
            used |= self._used(str(ds.get("uid", "")) if isinstance(ds, dict) else str(ds))
            for t in p.get("targets") or []:
                for key in ("expr", "query"):
                    used |= self._used(str(t.get(key, "")))
                ds = t.get("datasource") or {}
                used |= self._used(str(ds.get("uid", "")) if isinstance(ds, dict) else str(ds))
        annotations = d.model.get("annotations")
        for a in (annotations.get("list") if isinstance(annotations, dict) else None) or []:
            used |= self._used(str(a.get("expr", "")) if isinstance(a, dict) else "")
        for v in variables:
            used |= self._used(
                str((v.get("query") or {}).get("query", ""))
                if isinstance(v.get("query"), dict)
                else str(v.get("query", ""))
            )
        for v in variables:
            name = v.get("name")
            if v.get("type") in ("query", "custom", "datasource") and name not in used:
                yield "", f"variable '{v.get('name')}' is defined but no panel uses it", ""


QUERYLESS_TYPES = ("text", "alertlist", "dashlist", "annolist", "news")  # panels that query no datasource


class PanelBasics(Rule):
    name = "panel-basics"
    description = (
        "every panel has a title, description, unit, datasource and targets with unique refIds "
        "(a panel that queries nothing, such as text or alertlist, needs only its title and description)"
    )

    def panel(self, d: DashboardOut, p: dict[str, Any]) -> Located:
        if p.get("type") == "row":
            return
        where = panel_label(p)
        if not str(p.get("title", "")).strip():
            yield where, "panel has no title", ""
        if not str(p.get("description", "")).strip():
            yield where, "panel has no description", ""
        if p.get("type") in QUERYLESS_TYPES:
            if p.get("targets"):
                yield where, f"a {p.get('type')} panel runs no queries, but has targets", ""
            return
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


class GridLayout(Rule):
    name = "panel-grid"
    description = "panels sit inside the 24-column grid without overlapping"

    def dashboard(self, d: DashboardOut) -> Located:
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


class UniquePanelIds(Rule):
    name = "panel-id-unique"
    description = "every panel has an id, used once"

    def dashboard(self, d: DashboardOut) -> Located:
        ids = Counter(p.get("id") for p in panels_of(d.model))
        for panel_id, count in sorted(ids.items(), key=lambda kv: str(kv[0])):
            if panel_id is None:
                yield "", f"{count} panel(s) have no id", ""
            elif count > 1:
                yield "", f"panel id {panel_id} is used by {count} panels", ""


class TargetPromQL(Rule):
    """Expressions parse after variable expansion and match the catalog (metrics, labels, functions)."""

    name = "target-promql"
    description = "PromQL parses and matches the catalog and recording rules; rate uses $__rate_interval"

    def __init__(self, catalog: Catalog, recorded: dict[str, frozenset[str]]):
        self.catalog = catalog
        self.recorded = recorded
        self._messages: dict[str, tuple[str, ...]] = {}  # expression -> its messages (dashboards repeat queries)

    def target(self, t: TargetView) -> Located:
        if t.datasource_type not in PROMETHEUS_DS:
            return
        where = f"{panel_label(t.panel)} refId {t.ref_id}"
        expr = str(t.target.get("expr", ""))
        if not expr.strip():
            yield where, "empty PromQL expression", expr
            return
        for message in self._checked(expr):
            yield where, message, expr

    def dashboard(self, d: DashboardOut) -> Located:
        """Annotation queries (deployments) are PromQL too."""
        annotations = d.model.get("annotations")
        for a in (annotations.get("list") if isinstance(annotations, dict) else None) or []:
            if isinstance(a, dict) and datasource_type(a) == "prometheus" and isinstance(a.get("expr"), str):
                for message in self._checked(str(a["expr"])):
                    yield f"annotation {a.get('name')!r}", message, str(a["expr"])

    def _checked(self, expr: str) -> tuple[str, ...]:
        messages = self._messages.get(expr)
        if messages is None:
            messages = self._messages[expr] = tuple(self._check(expr))
        return messages

    def _check(self, expr: str) -> Iterator[str]:
        analysis = promql.analyze(promql.expand_variables(expr), self.catalog, self.recorded)
        yield from analysis.problems
        for fn, window in analysis.ranges:
            if fn in ("rate", "irate") and window is not None:
                yield (
                    f"{fn}() uses a fixed window; use [$__rate_interval] so it follows the scrape "
                    "interval and zoom level"
                )


class PanelUnit(Rule):
    """A unit Grafana knows, and that fits what the query computes (after dashboard-linter's unit check)."""

    name = "panel-unit"
    description = "the unit is a Grafana unit id, and a rate of counts is not shown as a duration"
    RATE_OF_COUNTS = re.compile(r"\b(?:rate|irate)\(\s*\w+_(?:count|total)\b")

    def panel(self, d: DashboardOut, p: dict[str, Any]) -> Located:
        if p.get("type") == "row":
            return
        field_config = p.get("fieldConfig") or {}
        unit = str((field_config.get("defaults") or {}).get("unit") or "")
        units = [unit] if unit else []
        for override in field_config.get("overrides") or []:
            units += [
                str(prop.get("value"))
                for prop in override.get("properties") or []
                if isinstance(prop, dict) and prop.get("id") == "unit"
            ]
        for u in units:
            if u not in units_mod.KNOWN_UNITS and not units_mod.known(u):
                yield (
                    panel_label(p),
                    f"unit {u!r} is not a Grafana unit id (e.g. s, reqps, percentunit, "
                    "currencyUSD, or a custom 'suffix:...'); Grafana would print the bare number",
                    "",
                )
        if unit not in units_mod.TIME_UNITS:
            return
        exprs = [str(t.get("expr", "")) for t in p.get("targets") or [] if isinstance(t, dict)]
        if exprs and all(
            self.RATE_OF_COUNTS.search(e) and "histogram_quantile" not in e and "_sum" not in e for e in exprs
        ):
            yield panel_label(p), f"unit {unit!r} is a duration, but the query is a rate of counts (per second)", ""


class FilterScope(Rule):
    """Every series of a query follows the same dashboard variables (a ratio's two sides above all)."""

    name = "target-filter-scope"
    description = "every series of a query is filtered by the same dashboard variables (both sides of a ratio)"

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, ...]] = {}

    def target(self, t: TargetView) -> Located:
        if t.datasource_type not in PROMETHEUS_DS:
            return
        expr = str(t.target.get("expr", ""))
        messages = self._seen.get(expr)
        if messages is None:
            try:
                mismatches = promql.scope_mismatches(expr)
            except ValueError:
                mismatches = []  # target-promql reports the parse error
            messages = self._seen[expr] = tuple(
                f"{series} follows {', '.join(f'${v}' for v in sorted(scope)) or 'no variable'} but the query's "
                f"first series follows {', '.join(f'${v}' for v in sorted(first)) or 'no variable'}: the figure "
                "mixes scopes when one is selected; filter every series alike (q.ratio does)"
                for series, scope, first in mismatches
            )
        for message in messages:
            yield f"{panel_label(t.panel)} refId {t.ref_id}", message, expr


class MultiValueMatchers(Rule):
    """A multi-value variable must be matched with =~ (Grafana expands it to a regex alternation)."""

    name = "target-multi-value"
    description = "multi-value variables are matched with =~ or !~"
    PATTERN = re.compile(r'(\w+)\s*(!?=)\s*"\$\{?(tenant|agent|model|host|gpu)\b')

    def __init__(self) -> None:
        self._matches: dict[str, tuple[tuple[str, ...], ...]] = {}  # expression -> (label, op, variable)

    def target(self, t: TargetView) -> Located:
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


class FolderUid(Rule):
    name = "folder-uid"
    description = "every folder uid is 1-40 letters, digits, '-' or '_'"

    def build(self, view: BuildView) -> Iterator[Finding]:
        for folder in sorted({d.folder for d in view.dashboards if not UID_RE.match(d.folder.uid)}):
            first = next(d for d in view.dashboards if d.folder == folder)
            yield Finding(
                first.source,
                f"folder {folder.title!r}",
                "",
                self.name,
                f"folder uid {folder.uid!r} must be 1-40 characters of letters, digits, '-' or '_' "
                "(a tenant name too long or with other characters?)",
            )


class UniqueUids(Rule):
    name = "dashboard-uid-unique"
    description = "no two dashboards share a uid"

    def build(self, view: BuildView) -> Iterator[Finding]:
        by_uid = Counter(d.uid for d in view.dashboards)
        for d in view.dashboards:
            if by_uid[d.uid] > 1:
                yield Finding(
                    d.source, f"dashboard {d.uid}", "", self.name, f"uid {d.uid} is used by {by_uid[d.uid]} dashboards"
                )


class UniqueTitles(Rule):
    name = "dashboard-title-unique"
    description = "no two dashboards in one folder share a title"

    def build(self, view: BuildView) -> Iterator[Finding]:
        by_title = Counter((d.folder.uid, d.title) for d in view.dashboards)
        for d in view.dashboards:
            if by_title[(d.folder.uid, d.title)] > 1:
                yield Finding(
                    d.source,
                    f"dashboard {d.uid}",
                    "",
                    self.name,
                    f"title {d.title!r} is used by another dashboard in folder {d.folder.title!r}",
                )


class DashboardLinks(Rule):
    name = "dashboard-link"
    description = "links to /d/<uid> point at generated dashboards"

    def build(self, view: BuildView) -> Iterator[Finding]:
        uids = {d.uid for d in view.dashboards}
        for d in view.dashboards:
            for link in d.model.get("links") or []:
                url = str(link.get("url", ""))
                if url.startswith("/d/") and url[3:].split("/")[0].split("?")[0] not in uids:
                    yield Finding(
                        d.source,
                        f"dashboard {d.uid}",
                        f"link {link.get('title')!r}",
                        self.name,
                        f"links to {url}, which is not a generated dashboard",
                    )


def dashboard_rules(catalog: Catalog, recorded: dict[str, frozenset[str]]) -> list[Rule]:
    return [
        UidAndTitle(),
        DatasourceVariable(),
        UnusedVariable(),
        PanelBasics(),
        GridLayout(),
        UniquePanelIds(),
        TargetPromQL(catalog, recorded),
        MultiValueMatchers(),
        FilterScope(),
        PanelUnit(),
        FolderUid(),
        UniqueUids(),
        UniqueTitles(),
        DashboardLinks(),
    ]


class ConfigMapSize(Rule):
    name = "configmap-size"
    description = "every ConfigMap is under the 1 MiB the Kubernetes API accepts"
    needs_files = True

    def build(self, view: BuildView) -> Iterator[Finding]:
        for path, size in sorted(configmap_sizes(files_with_role(view.files, KUBERNETES)).items()):
            if size > CONFIGMAP_LIMIT_BYTES:
                yield Finding(
                    path,
                    "",
                    "",
                    self.name,
                    f"ConfigMap is {size:,} bytes, over the 1 MiB limit: the sidecar cannot load it; "
                    "split the dashboard",
                )
