"""Draw one dashboard as a PNG with matplotlib (Agg, no pyplot state): grid, rows, titles, types, data.

`render_dashboard` returns the boxes it drew (pixel coordinates, top-left origin) so callers and tests can
check the picture without looking at it.
"""
from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .data import Series
from .layout import COLUMNS, Placed, grid_height, layout
from .units import format_value

WIDTH = 1600  # px
UNIT = 30  # px per grid row, as Grafana
MARGIN = 16
HEADER = 76
GAP = 6
DPI = 100
MAX_SERIES = 8
SERIES_KINDS = {"timeseries", "graph", "barchart", "trend", "xychart", "state-timeline", "heatmap"}
VALUE_KINDS = {"stat", "gauge", "singlestat"}
NAMED_COLORS = {"green": "#73BF69", "red": "#F2495C", "yellow": "#FADE2A", "orange": "#FF9830",
                "blue": "#5794F2", "purple": "#B877D9", "dark-red": "#C4162A", "dark-green": "#37872D",
                "dark-yellow": "#E0B400", "dark-orange": "#FA6400", "dark-blue": "#1F60C4",
                "semi-dark-red": "#E02F44", "semi-dark-green": "#56A64B", "semi-dark-orange": "#FF780A",
                "semi-dark-yellow": "#F2CC0C", "transparent": "#00000000", "text": "#CCCCDC"}
PALETTE = ["#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9", "#705DA0"]


@dataclass(frozen=True)
class Theme:
    page: str
    panel: str
    border: str
    text: str
    muted: str
    grid: str
    highlight: str = "#FF9830"


DARK = Theme(page="#111217", panel="#181B1F", border="#2C3036", text="#D8D9DA", muted="#8E8E9A", grid="#2C3036")
LIGHT = Theme(page="#F4F5F5", panel="#FFFFFF", border="#D0D1D3", text="#24292E", muted="#6E7077", grid="#E4E5E6")
THEMES = {"dark": DARK, "light": LIGHT}


@dataclass(frozen=True)
class Box:
    """A panel as drawn: pixel rectangle (top-left origin), what it shows, and whether it is highlighted."""

    key: str
    title: str
    type: str
    x: float
    y: float
    w: float
    h: float
    content: str  # series | heatmap | value | bars | pie | table | placeholder | changed-query | row
    highlighted: bool
    # what was drawn, for tests that check the picture without looking at it: ("line", name),
    # ("threshold", value, colour, "dashed"), ("bar", name, colour), ("cells", columns, rows), ("value", text, colour)
    marks: tuple[tuple[Any, ...], ...] = ()


def canvas_size(placed: list[Placed]) -> tuple[int, int]:
    return WIDTH, HEADER + max(grid_height(placed), 4) * UNIT + MARGIN


def render_dashboard(model: dict[str, Any], path: Path, results: dict[str, list[Series]] | None = None,
                     changed: set[str] | None = None, note: str = "", theme: str = "dark",
                     queries: dict[str, list[str]] | None = None) -> list[Box]:
    """Write `path` (PNG, WIDTH px wide) and return one Box per panel drawn, rows included (content "row").

    `queries`: the panel queries the recorded `results` came from; a panel whose queries changed since is drawn
    without data ("query changed since the live check"), never with results of another query."""
    with rc_context({"text.parse_math": False, "font.family": "DejaVu Sans"}):  # `$tenant` is no TeX
        return _render(model, path, results, changed, note, THEMES[theme], queries)


def _render(model: dict[str, Any], path: Path, results: dict[str, list[Series]] | None, changed: set[str] | None,
            note: str, th: Theme, queries: dict[str, list[str]] | None = None) -> list[Box]:
    placed = layout(model)
    width, height = canvas_size(placed)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor=th.page)
    FigureCanvasAgg(fig)
    page = fig.add_axes((0, 0, 1, 1))
    page.set_xlim(0, width)
    page.set_ylim(height, 0)
    page.axis("off")
    _header(page, model, len([p for p in placed if not p.is_row]), note, th)
    col = (width - 2 * MARGIN) / COLUMNS
    boxes = []
    for p in placed:
        x0, y0 = MARGIN + p.x * col + GAP / 2, HEADER + p.y * UNIT + GAP / 2
        w, h = p.w * col - GAP, p.h * UNIT - GAP
        hi = bool(changed) and p.key in (changed or set())
        title = str(p.panel.get("title") or "")
        if p.is_row:
            _row(page, p, x0, y0, w, h, hi, th)
            boxes.append(Box(p.key, title, "row", x0, y0, w, h, "row", hi))
            continue
        recorded = (results or {}).get(str(p.id))
        marks: list[tuple[Any, ...]] = []
        if recorded and queries is not None and str(p.id) in queries and queries[str(p.id)] != panel_queries(p.panel):
            body = _frame(page, p, (x0, y0, w, h), hi, th)
            _placeholder(page, p, body, th, "query changed since the live check")
            content = "changed-query"
        else:
            content = _panel(fig, page, p, (x0, y0, w, h), (width, height), recorded, hi, th, marks)
        boxes.append(Box(p.key, title, str(p.panel.get("type") or ""), x0, y0, w, h, content, hi, tuple(marks)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI, facecolor=th.page)
    return boxes


def _header(ax: Any, model: dict[str, Any], n: int, note: str, th: Theme) -> None:
    ax.text(MARGIN, 14, str(model.get("title") or "(untitled)"), color=th.text, fontsize=20, fontweight="bold",
            va="top")
    tags = ", ".join(str(t) for t in model.get("tags") or [])
    sub = f"uid {model.get('uid', '?')}  ·  {n} panel{'s' if n != 1 else ''}" + (f"  ·  tags: {tags}" if tags else "")
    ax.text(MARGIN, 48, sub, color=th.muted, fontsize=11, va="top")
    if note:
        ax.text(WIDTH - MARGIN, 18, note, color=th.highlight, fontsize=11, va="top", ha="right", fontweight="bold")


def _row(ax: Any, p: Placed, x: float, y: float, w: float, h: float, hi: bool, th: Theme) -> None:
    mark = "▸" if p.panel.get("collapsed") else "▾"
    color = th.highlight if hi else th.text
    ax.text(x + 2, y + h / 2 + 1, f"{mark} {p.panel.get('title') or ''}", color=color, fontsize=12,
            fontweight="bold", va="center")
    ax.plot([x, x + w], [y + h + GAP / 2 - 1] * 2, color=th.highlight if hi else th.border, linewidth=1)


def panel_queries(panel: dict[str, Any]) -> list[str]:
    """A panel's query texts, as the live check records them with its results."""
    return [str(t.get("expr") or t.get("query") or "") for t in panel.get("targets") or []]


def _panel(fig: Figure, ax: Any, p: Placed, rect: tuple[float, float, float, float], size: tuple[int, int],
           series: list[Series] | None, hi: bool, th: Theme, marks: list[tuple[Any, ...]]) -> str:
    body = _frame(ax, p, rect, hi, th)
    ptype = str(p.panel.get("type") or "?")
    if ptype in QUERYLESS:
        _queryless(ax, p, body, th)
        return ptype
    series = [s for s in series or [] if s.values]
    unit = str(((p.panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit") or "")
    if series and body[3] > 12:
        if ptype in VALUE_KINDS:
            _values(ax, p, series, body, unit, th, marks)
            return "value"
        if ptype == "bargauge":
            _bars(fig, p, series, body, size, unit, th, marks)
            return "bars"
        if ptype == "heatmap" and any(dict(s.labels).get("le") for s in series):
            _heatmap(fig, series, body, size, unit, th, marks)
            return "heatmap"
        if ptype == "piechart":
            _pie(fig, series, body, size, unit, th)
            return "pie"
        if ptype == "table":
            _table(ax, series, body, unit, th)
            return "table"
        _lines(fig, p, series, body, size, unit, th, marks)
        return "series"
    _placeholder(ax, p, body, th)
    return "placeholder"


def _frame(ax: Any, p: Placed, rect: tuple[float, float, float, float], hi: bool, th: Theme) -> tuple[float, ...]:
    """The panel's box, title and type (changed panels outlined); returns the body's (x, y, w, h)."""
    x, y, w, h = rect
    ax.add_patch(Rectangle((x, y), w, h, facecolor=th.panel, edgecolor=th.highlight if hi else th.border,
                           linewidth=3 if hi else 1))
    ptype = str(p.panel.get("type") or "?")
    ax.text(x + 8, y + 8, _fit(str(p.panel.get("title") or "(no title)"), w - 90, 7.2), color=th.text,
            fontsize=11, fontweight="bold", va="top")
    ax.text(x + w - 8, y + 9, ptype + ("  ● changed" if hi else ""), color=th.highlight if hi else th.muted,
            fontsize=8, va="top", ha="right")
    return (x + 8, y + 30, w - 16, h - 38)


QUERYLESS = ("text", "alertlist")


def _queryless(ax: Any, p: Placed, body: tuple[float, ...], th: Theme) -> None:
    """What a text panel says (Markdown links shown as their text) or what an alert list lists: no data needed."""
    x, y, w, h = body
    options = p.panel.get("options") or {}
    if p.panel.get("type") == "text":
        text = re.sub(r"\[([^\]]*)\]\(([^)]*)\)", r"\1 <\2>", str(options.get("content") or "")).replace("`", "")
        paragraphs = [textwrap.wrap(par, max(10, int(w / 6.6))) for par in text.split("\n\n")]
        lines = [line for par in paragraphs for line in [*par, ""]][:-1]
    else:
        states = [k for k, on in sorted((options.get("stateFilter") or {}).items()) if on]
        lines = textwrap.wrap(
            f"Alerts matching {options.get('alertInstanceLabelFilter') or 'any labels'} in state "
            f"{', '.join(states)}, up to {options.get('maxItems', '?')}, listed by Grafana when the dashboard loads.",
            max(10, int(w / 6.6)),
        )
    room = max(1, int(h // 13))
    ax.text(x, y, "\n".join(lines[:room]), color=th.text, fontsize=8.5, va="top", linespacing=1.3)


def _fit(text: str, px: float, per_char: float) -> str:
    n = max(3, int(px / per_char))
    return text if len(text) <= n else text[: n - 1] + "…"


def _threshold_color(p: Placed, value: float) -> str:
    steps = ((((p.panel.get("fieldConfig") or {}).get("defaults") or {}).get("thresholds") or {}).get("steps")
             or [])
    color = "green"
    for step in steps:
        v = step.get("value")
        if v is None or (isinstance(v, (int, float)) and value >= v):
            color = str(step.get("color") or color)
    return NAMED_COLORS.get(color, color if color.startswith("#") else NAMED_COLORS["green"])


def _values(ax: Any, p: Placed, series: list[Series], body: tuple[float, ...], unit: str, th: Theme,
            marks: list[tuple[Any, ...]]) -> None:
    x, y, w, h = body
    shown = series[:4]
    cell = w / len(shown)
    size = max(10.0, min(34.0, h * 0.45, cell / 5.5))
    for i, s in enumerate(shown):
        value = s.last if s.last is not None else math.nan
        cx = x + cell * (i + 0.5)
        color = _threshold_color(p, value)
        ax.text(cx, y + h * 0.5, format_value(value, unit), color=color, fontsize=size,
                fontweight="bold", ha="center", va="center")
        marks.append(("value", format_value(value, unit), color))
        if len(shown) > 1:
            ax.text(cx, y + h - 2, _fit(s.name, cell, 6), color=th.muted, fontsize=8, ha="center", va="bottom")


def _inset(fig: Figure, body: tuple[float, ...], size: tuple[int, int], left: float, bottom: float) -> Any:
    x, y, w, h = body
    width, height = size
    return fig.add_axes(((x + left) / width, (height - (y + h)) / height + bottom / height,
                         max(w - left, 1) / width, max(h - bottom, 1) / height))


def _style(a: Any, th: Theme) -> None:
    a.set_facecolor(th.panel)
    for side in a.spines.values():
        side.set_visible(False)
    a.tick_params(colors=th.muted, labelsize=7, length=0)
    a.grid(True, color=th.grid, linewidth=0.6)


def _steps(p: Placed) -> list[tuple[float, str]]:
    """The panel's threshold steps with a value, and their colours."""
    defaults = (p.panel.get("fieldConfig") or {}).get("defaults") or {}
    out = []
    for step in (defaults.get("thresholds") or {}).get("steps") or []:
        v, color = step.get("value"), str(step.get("color") or "green")
        if isinstance(v, (int, float)):
            out.append((float(v), NAMED_COLORS.get(color, color if color.startswith("#") else NAMED_COLORS["red"])))
    return out


def _threshold_style(p: Placed) -> str:
    custom = ((p.panel.get("fieldConfig") or {}).get("defaults") or {}).get("custom") or {}
    return str((custom.get("thresholdsStyle") or {}).get("mode") or "off")


def _lines(fig: Figure, p: Placed, series: list[Series], body: tuple[float, ...], size: tuple[int, int], unit: str,
           th: Theme, marks: list[tuple[Any, ...]]) -> None:
    legend = body[3] >= 150
    a = _inset(fig, body, size, left=58, bottom=(34 if legend else 16))
    _style(a, th)
    shown = series[:MAX_SERIES]
    ncol = max(1, min(len(shown), int(body[2] // 190)))
    more = len(series) - ncol
    for i, s in enumerate(shown):
        name = _fit(s.name, body[2] / ncol - 30, 5.2) if i < ncol else "_hidden"
        if i == ncol - 1 and more > 0:
            name = _fit(s.name, body[2] / ncol - 80, 5.2) + f"  (+{more} more)"
        a.plot(s.times, s.values, color=PALETTE[i % len(PALETTE)], linewidth=1.2, label=name)
        marks.append(("line", s.name))
    style = _threshold_style(p)
    if style in ("dashed", "line", "line+area", "dashed+area"):  # as Grafana draws them: across the panel
        for value, color in _steps(p):
            a.axhline(value, color=color, linewidth=1, linestyle="--" if style.startswith("dashed") else "-",
                      alpha=0.9)
            marks.append(("threshold", value, color, "dashed" if style.startswith("dashed") else "solid"))
    a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_value(v, unit)))
    a.yaxis.set_major_locator(MaxNLocator(4))
    a.xaxis.set_major_locator(MaxNLocator(6))
    a.xaxis.set_major_formatter(FuncFormatter(
        lambda t, _: datetime.fromtimestamp(t, tz=timezone.utc).strftime("%H:%M")))
    a.margins(x=0)
    if legend:
        a.legend(loc="upper left", bbox_to_anchor=(0, -0.1), ncol=ncol, fontsize=7, frameon=False,
                 labelcolor=th.muted, handlelength=1.2, borderaxespad=0)


def _bars(fig: Figure, p: Placed, series: list[Series], body: tuple[float, ...], size: tuple[int, int], unit: str,
          th: Theme, marks: list[tuple[Any, ...]]) -> None:
    """Bars coloured by the panel's thresholds (a tenant over budget is red), in the order of the series."""
    a = _inset(fig, body, size, left=110, bottom=4)
    _style(a, th)
    queries = " ".join(panel_queries(p.panel))
    if "sort_desc(" in queries or "sort(" in queries:  # the order the query gives Grafana: by value
        series = sorted(series, key=lambda s: s.last or 0.0, reverse="sort_desc(" in queries)
    shown = series[:MAX_SERIES]
    values = [s.last or 0.0 for s in shown]
    colors = [_threshold_color(p, v) for v in values]
    a.set_axisbelow(True)
    a.barh(range(len(shown)), values, color=colors)
    marks.extend(("bar", s.name, c) for s, c in zip(shown, colors))
    maximum = ((p.panel.get("fieldConfig") or {}).get("defaults") or {}).get("max")
    if isinstance(maximum, (int, float)):
        a.set_xlim(0, max(float(maximum), max(values, default=0.0)))
    a.set_yticks(range(len(shown)), [_fit(s.name, 100, 5) for s in shown])
    a.invert_yaxis()
    a.xaxis.set_major_formatter(FuncFormatter(lambda v, _: format_value(v, unit)))
    a.xaxis.set_major_locator(MaxNLocator(4))


def _heatmap(fig: Figure, series: list[Series], body: tuple[float, ...], size: tuple[int, int], unit: str,
             th: Theme, marks: list[tuple[Any, ...]]) -> None:
    """Cells on the bucket axis, as Grafana draws a Prometheus heatmap: each bucket's rate less the one below
    (the `le` series are cumulative), brighter for more observations."""
    def bound(s: Series) -> float:
        le = dict(s.labels).get("le", "+Inf")
        return math.inf if le in ("+Inf", "Inf") else float(le)

    ordered = sorted((s for s in series if dict(s.labels).get("le")), key=bound)
    times = sorted({t for s in ordered for t in s.times})
    grid = []
    below = {t: 0.0 for t in times}
    for s in ordered:
        at = dict(zip(s.times, s.values))
        grid.append([max(at.get(t, below[t]) - below[t], 0.0) for t in times])
        below = {t: at.get(t, below[t]) for t in times}
    a = _inset(fig, body, size, left=58, bottom=16)
    _style(a, th)
    a.grid(False)
    if times and grid:
        a.pcolormesh(list(range(len(times) + 1)), list(range(len(grid) + 1)), grid, cmap="Oranges", shading="flat")
        labels = [format_value(bound(s), unit) if math.isfinite(bound(s)) else "+Inf" for s in ordered]
        step = max(1, len(labels) // 6)
        a.set_yticks([i + 0.5 for i in range(0, len(labels), step)], labels[::step])
        ticks = list(range(0, len(times), max(1, len(times) // 6)))
        a.set_xticks(ticks, [datetime.fromtimestamp(times[i], tz=timezone.utc).strftime("%H:%M") for i in ticks])
        marks.append(("cells", len(times), len(grid)))


def _pie(fig: Figure, series: list[Series], body: tuple[float, ...], size: tuple[int, int], unit: str,
         th: Theme) -> None:
    shown = [s for s in series[:MAX_SERIES] if (s.last or 0) > 0]
    x, y, w, h = body
    side = min(w * 0.45, h)
    a = _inset(fig, (x, y, side, h), size, left=0, bottom=0)
    a.set_aspect("equal")
    if shown:
        a.pie([s.last or 0.0 for s in shown], colors=[PALETTE[i % len(PALETTE)] for i in range(len(shown))],
              wedgeprops={"linewidth": 1, "edgecolor": th.panel})
    a.axis("off")
    total = sum(s.last or 0.0 for s in shown) or 1.0
    for i, s in enumerate(shown[: max(1, int(h // 16))]):
        ly = y + 8 + i * 16
        fig.axes[0].add_patch(Rectangle((x + side + 12, ly - 4), 8, 8, color=PALETTE[i % len(PALETTE)]))
        fig.axes[0].text(x + side + 26, ly, f"{_fit(s.name, w - side - 120, 5.5)}  {format_value(s.last, unit)} "
                         f"({100 * (s.last or 0) / total:.0f}%)", color=th.text, fontsize=8, va="center")


def _table(ax: Any, series: list[Series], body: tuple[float, ...], unit: str, th: Theme) -> None:
    x, y, w, h = body
    rows = max(1, int(h // 16))
    for i, s in enumerate(series[:rows]):
        ax.text(x, y + 8 + i * 16, _fit(s.name, w - 90, 5.5), color=th.text, fontsize=8, va="center")
        ax.text(x + w, y + 8 + i * 16, format_value(s.last, unit), color=th.text, fontsize=8, va="center",
                ha="right")


def _placeholder(ax: Any, p: Placed, body: tuple[float, ...], th: Theme, why: str = "no data recorded") -> None:
    x, y, w, h = body
    queries = panel_queries(p.panel)
    text = " ; ".join(" ".join(q.split()) for q in queries if q) or str(p.panel.get("description") or "")
    ax.text(x + w / 2, y + 6, why, color=th.highlight if why != "no data recorded" else th.muted, fontsize=8,
            ha="center", va="top", style="italic")
    lines: list[str] = []
    if text and h >= 30:
        lines = textwrap.wrap(text, max(10, int(w / 6.3)))
        room = max(1, int((h - 22) // 12))
        if len(lines) > room:
            lines = lines[:room]
            lines[-1] = _fit(lines[-1] + "…", w, 6.3)
        ax.text(x, y + 22, "\n".join(lines), color=th.muted, fontsize=7.5, family="monospace", va="top",
                linespacing=1.25)
    top = y + 22 + 12 * len(lines) + 10
    if y + h - top >= 36:
        _ghost(ax, str(p.panel.get("type") or ""), (x, top, w, y + h - top), th)


def _ghost(ax: Any, ptype: str, area: tuple[float, float, float, float], th: Theme) -> None:
    """A faint sketch of what the panel type shows, so an empty preview still reads as a dashboard."""
    x, y, w, h = area
    style = {"color": th.muted, "alpha": 0.35}
    if ptype in SERIES_KINDS:
        xs = [x + w * i / 40 for i in range(41)]
        ys = [y + h * (0.55 - 0.25 * math.sin(i / 4.0) - 0.1 * math.sin(i / 1.7)) for i in range(41)]
        ax.plot(xs, ys, linestyle="--", linewidth=1.2, **style)
        ax.plot([x, x + w], [y + h - 2] * 2, linewidth=0.8, **style)
    elif ptype in VALUE_KINDS:
        ax.text(x + w / 2, y + h / 2, "—", fontsize=min(30.0, h * 0.5), ha="center", va="center", **style)
    elif ptype == "bargauge":
        n = max(1, min(4, int(h // 22)))
        for i in range(n):
            ax.add_patch(Rectangle((x, y + i * h / n + 3), w * (0.9 - 0.18 * i), h / n - 6, linewidth=0,
                                   facecolor=th.muted, alpha=0.15))
    elif ptype == "table":
        for i in range(min(6, int(h // 18))):
            ax.plot([x, x + w], [y + 9 + i * 18] * 2, linewidth=0.8, **style)
    elif ptype == "piechart":
        r = min(w, h) / 2 - 4
        ax.add_patch(Circle((x + w / 2, y + h / 2), r, fill=False, linewidth=1.2, linestyle="--",
                            edgecolor=th.muted, alpha=0.35))
