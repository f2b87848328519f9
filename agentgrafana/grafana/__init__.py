"""Delivery to a live Grafana over its HTTP API: plan against what is there, apply, prune, report.

Use `push(build, settings, options)` from code, or the argparse glue in `commands` from the CLI. The names
below load on first use: the CLI builds its argument parser from `settings` alone, without importing
`requests` (a third of a cold start) for commands that never talk to Grafana.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "apply_plan": "apply",
    "push": "apply",
    "GrafanaClient": "client",
    "GrafanaError": "client",
    "GrafanaUnhealthy": "client",
    "GrafanaUnreachable": "client",
    "Change": "plan",
    "Plan": "plan",
    "PushOptions": "plan",
    "make_plan": "plan",
    "ObjectResult": "report",
    "PushReport": "report",
    "GrafanaSettings": "settings",
    "SettingsError": "settings",
    "settings_from_args": "settings",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
