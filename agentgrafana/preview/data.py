"""Query results recorded by the live check, read to draw panels with data.

File format (written by the live check, `build/live-results.json` by default)::

    {"dashboards": {"<dashboard uid>": {"<panel id>": [
        {"labels": {"agent_name": "planner"}, "values": [[1700000000, 1.5], [1700000060, 1.7]]},
        ...]}}}

One list of series per panel, every target of the panel together; values are `[unix seconds, float]`
pairs in time order (a string value such as "NaN" is accepted and skipped when not finite). Extra keys
(e.g. "window", "generated_by") are ignored.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_PATH = Path("build") / "live-results.json"


@dataclass(frozen=True)
class Series:
    labels: tuple[tuple[str, str], ...]
    times: tuple[float, ...]
    values: tuple[float, ...]
    legend: str = ""  # the target's legendFormat rendered for this series (as Grafana names it)

    @property
    def name(self) -> str:
        return self.legend or ", ".join(v for k, v in self.labels if k != "__name__") or "value"

    @property
    def last(self) -> float | None:
        return self.values[-1] if self.values else None


Results = dict[str, dict[str, list[Series]]]  # dashboard uid -> panel id -> series
Queries = dict[str, dict[str, list[str]]]  # dashboard uid -> panel id -> the queries the series came from


class DataError(Exception):
    """A results file that cannot be read."""


def load_results(path: Path) -> Results:
    return load(path)[0]


def load(path: Path) -> tuple[Results, Queries]:
    """The recorded series, and the queries they came from (empty for files written without them)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read query results {path}: {exc}") from None
    queries: Queries = {}
    raw = doc.get("queries") if isinstance(doc, dict) else None
    if isinstance(raw, dict):
        for uid, panels in raw.items():
            if isinstance(panels, dict):
                queries[str(uid)] = {str(pid): [str(q) for q in qs] for pid, qs in panels.items() if isinstance(qs, list)}
    return parse_results(doc), queries


def parse_results(doc: Any) -> Results:
    if not isinstance(doc, dict) or not isinstance(doc.get("dashboards"), dict):
        raise DataError('query results must be an object with a "dashboards" object')
    out: Results = {}
    for uid, panels in doc["dashboards"].items():
        if not isinstance(panels, dict):
            continue
        out[str(uid)] = {str(pid): [s for raw in series or [] if (s := _series(raw)) is not None]
                         for pid, series in panels.items() if isinstance(series, list)}
    return out


def _series(raw: Any) -> Series | None:
    if not isinstance(raw, dict):
        return None
    points = []
    for item in raw.get("values") or []:
        try:
            t, v = float(item[0]), float(item[1])
        except (TypeError, ValueError, IndexError):
            continue
        if math.isfinite(t) and math.isfinite(v):
            points.append((t, v))
    points.sort()
    labels = tuple(sorted((str(k), str(v)) for k, v in (raw.get("labels") or {}).items()))
    legend = raw.get("legend")
    return Series(
        labels, tuple(p[0] for p in points), tuple(p[1] for p in points), legend if isinstance(legend, str) else ""
    )
