"""Benchmark results: metrics with targets, the machine they ran on, a text table and a Markdown table."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from procs import REPO


@dataclass
class Metric:
    key: str
    label: str
    value: float
    unit: str
    target: float | None = None  # None: reported, not judged
    better: str = "lower"  # lower | higher | equal

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.better == "lower":
            return self.value <= self.target
        if self.better == "higher":
            return self.value >= self.target
        return self.value == self.target

    def target_text(self) -> str:
        if self.target is None:
            return ""
        sign = {"lower": "≤", "higher": "≥", "equal": "="}[self.better]
        return f"{sign} {_number(self.target)}{_unit(self.unit)}"

    def value_text(self) -> str:
        return f"{_number(self.value)}{_unit(self.unit)}"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "pass": self.passed}


def _unit(unit: str) -> str:
    return "" if not unit else ("×" if unit == "x" else f" {unit}")


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"


def machine() -> dict[str, Any]:
    """CPU model, cores, Python, OS, date and load: what a reader needs to compare figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "working_tree_changed": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def table(metrics: list[Metric]) -> str:
    rows = [("metric", "value", "target", "pass")]
    for m in metrics:
        verdict = {True: "pass", False: "FAIL", None: ""}[m.passed]
        rows.append((m.label, m.value_text(), m.target_text(), verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) if i != 1 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths)))
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(metrics: list[Metric], info: dict[str, Any], folder: str) -> str:
    lines = ["| Measurement | Result | Target | |", "|---|---:|---|---|"]
    for m in metrics:
        verdict = {True: "✅", False: "❌", None: ""}[m.passed]
        lines.append(f"| {m.label} | {m.value_text()} | {m.target_text()} | {verdict} |")
    cores = info.get("cores")
    lines.append("")
    lines.append(
        f"Measured on {info.get('cpu')} ({cores} cores), Python {info.get('python')}, {info.get('os')}, "
        f"{info.get('date', '')[:10]}, commit {info.get('commit') or '?'}; generated trees written "
        f"under {folder}."
    )
    return "\n".join(lines)


def write_json(
    path: Path, mode: str, params: dict[str, Any], metrics: list[Metric], details: dict[str, Any], info: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": 1,
        "mode": mode,
        "machine": info,
        "params": params,
        "metrics": {m.key: m.to_json() for m in metrics},
        "details": details,
    }
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
