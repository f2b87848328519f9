"""Where Grafana puts each panel: the 24-column grid, rows, and collapsed rows opened in place."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COLUMNS = 24


@dataclass(frozen=True)
class Placed:
    """A panel at its grid position (units: columns and grid rows), collapsed rows already expanded."""

    key: str  # "id:<id>" or "title:<title>", as the review identifies panels
    panel: dict[str, Any]
    x: int
    y: int
    w: int
    h: int

    @property
    def is_row(self) -> bool:
        return self.panel.get("type") == "row"

    @property
    def id(self) -> int | None:
        pid = self.panel.get("id")
        return pid if isinstance(pid, int) else None


def panel_key(panel: dict[str, Any]) -> str:
    pid = panel.get("id")
    return f"id:{pid}" if isinstance(pid, int) else f"title:{panel.get('title') or ''}"


def _grid(panel: dict[str, Any]) -> tuple[int, int, int, int]:
    g = panel.get("gridPos") or {}
    x = max(0, min(COLUMNS - 1, int(g.get("x", 0))))
    w = max(1, min(COLUMNS - x, int(g.get("w", COLUMNS))))
    return x, max(0, int(g.get("y", 0))), w, max(1, int(g.get("h", 1)))


def layout(model: dict[str, Any]) -> list[Placed]:
    """Every panel, rows included, in reading order. A collapsed row's panels are placed under it and
    everything below is pushed down, as when a user opens the row."""
    top = sorted(model.get("panels") or [], key=lambda p: (_grid(p)[1], _grid(p)[0]))
    out: list[Placed] = []
    shift = 0
    for p in top:
        x, y, w, h = _grid(p)
        out.append(Placed(panel_key(p), p, x, y + shift, w, h))
        children = p.get("panels") or []
        if p.get("type") == "row" and children:
            grids = [_grid(c) for c in children]
            first = min(g[1] for g in grids)
            start = y + shift + h
            for c, (cx, cy, cw, ch) in sorted(zip(children, grids), key=lambda t: (t[1][1], t[1][0])):
                out.append(Placed(panel_key(c), c, cx, start + cy - first, cw, ch))
            shift += max(g[1] + g[3] for g in grids) - first
    return out


def grid_height(placed: list[Placed]) -> int:
    return max((p.y + p.h for p in placed), default=0)
