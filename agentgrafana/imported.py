"""Dashboards brought in by `agentgrafana import`: the existing JSON, written as readable calls.

An imported dashboard is kept as its authors made it (their variables, links, layout, panel options), so its
module states each part once: the dashboard's settings, one `variable(...)` per template variable, `row(...)`
and `add(panel(...), x, y, w, h)` in the order of the page, every Prometheus query as a `Target` whose PromQL is
the original text. It is not linked into the house dashboards' navigation or drill-downs (it has its own), but
it carries the ownership tag, so push and prune treat it as this project's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .panels import Target

Json = dict[str, Any]


def target(t: Target, ref_id: str = "", extra: Mapping[str, Any] | None = None) -> Json:
    """A Prometheus target as Grafana stores it: `expr`, `legendFormat` when set, `refId`, then the rest as
    written (datasource, interval, format, editorMode...)."""
    out: Json = {"expr": t.expr}
    if t.legend:
        out["legendFormat"] = t.legend
    if ref_id:
        out["refId"] = ref_id
    if t.instant:
        out["instant"] = True
    if t.exemplar:
        out["exemplar"] = True
    if t.table:
        out["format"] = "table"
    out.update(extra or {})
    return out


def panel(
    kind: str,
    title: str,
    *,
    id: int | None = None,  # noqa: A002 - Grafana's key
    description: str | None = None,
    unit: str | None = None,
    datasource: Any = None,
    targets: Sequence[Json] = (),
    field_config: Json | None = None,
    options: Json | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Json:
    """One panel as JSON: the common keys by name, the plugin's own (`options`, `fieldConfig`) as written, and
    whatever else it had in `extra`. `unit` is `fieldConfig.defaults.unit`, named because a reader looks for it.
    A key is written only when given, so the panel is the one imported, key for key."""
    out: Json = {"type": kind, "title": title}
    if id is not None:
        out["id"] = id
    if description is not None:
        out["description"] = description
    if datasource is not None:
        out["datasource"] = datasource
    if targets:
        out["targets"] = list(targets)
    if field_config is not None or unit is not None:
        config = dict(field_config or {})
        if unit is not None:
            config["defaults"] = {**(config.get("defaults") or {}), "unit": unit}
        out["fieldConfig"] = config
    if options is not None:
        out["options"] = options
    out.update(extra or {})
    return out


@dataclass
class Row:
    """A row panel; a collapsed row holds its panels (`add`), an expanded one is followed by them."""

    model: Json

    def add(self, p: Json, x: int, y: int, w: int, h: int) -> Row:
        self.model.setdefault("panels", []).append({**p, "gridPos": {"h": h, "w": w, "x": x, "y": y}})
        return self


@dataclass
class ImportedDashboard:
    """Builder of one imported dashboard (`ctx.imported(...)`); `build()` gives its JSON."""

    uid: str
    title: str
    settings: Json = field(default_factory=dict)  # every other dashboard key, as written
    owner_tag: str = ""
    _variables: list[Json] = field(default_factory=list)
    _panels: list[Json] = field(default_factory=list)

    def variable(self, v: Json) -> ImportedDashboard:
        self._variables.append(v)
        return self

    def row(
        self,
        title: str,
        *,
        id: int | None,  # noqa: A002 - Grafana's key
        y: int,
        x: int = 0,
        w: int = 24,
        h: int = 1,
        collapsed: bool | None = False,
        no_panels: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> Row:
        """A row at `y`; `collapsed=None` for a row that did not say, `no_panels` for one without a panel list."""
        model: Json = {"type": "row", "title": title}
        if collapsed is not None:
            model["collapsed"] = collapsed
        if id is not None:
            model["id"] = id
        if not no_panels:
            model["panels"] = []
        model.update(extra or {})
        model["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        self._panels.append(model)
        return Row(model)

    def add(self, p: Json, x: int, y: int, w: int, h: int) -> ImportedDashboard:
        self._panels.append({**p, "gridPos": {"h": h, "w": w, "x": x, "y": y}})
        return self

    def build(self) -> Json:
        out: Json = {"uid": self.uid, "title": self.title, **self.settings}
        tags = list(out.get("tags") or [])
        if self.owner_tag and self.owner_tag not in tags:
            out["tags"] = [*tags, self.owner_tag]
        if self._variables or "templating" in self.settings:
            out["templating"] = {**(self.settings.get("templating") or {}), "list": list(self._variables)}
        out["panels"] = list(self._panels)
        return out
