"""Dashboard previews: one PNG per dashboard, laid out as Grafana places it, drawn with matplotlib.

Panels show the live check's recorded query results when there are some (see `data` for the file format),
else their query as a placeholder; with `--base REF` the panels the review reports as changed are
highlighted. `render_dashboard` returns the boxes it drew.
"""
from __future__ import annotations

from .command import preview_command
from .data import DEFAULT_PATH, Results, Series, load_results, parse_results
from .layout import Placed, layout

__all__ = ["DEFAULT_PATH", "Placed", "Results", "Series", "layout", "load_results", "parse_results",
           "preview_command"]
