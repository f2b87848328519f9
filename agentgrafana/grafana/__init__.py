"""Delivery to a live Grafana over its HTTP API: plan against what is there, apply, prune, report.

Use `push(build, settings, options)` from code, or the argparse glue in `commands` from the CLI.
"""

from agentgrafana.grafana.apply import apply_plan, push
from agentgrafana.grafana.client import GrafanaClient, GrafanaError, GrafanaUnhealthy, GrafanaUnreachable
from agentgrafana.grafana.plan import Change, Plan, PushOptions, make_plan
from agentgrafana.grafana.report import ObjectResult, PushReport
from agentgrafana.grafana.settings import GrafanaSettings, SettingsError, settings_from_args

__all__ = [
    "Change",
    "GrafanaClient",
    "GrafanaError",
    "GrafanaSettings",
    "GrafanaUnhealthy",
    "GrafanaUnreachable",
    "ObjectResult",
    "Plan",
    "PushOptions",
    "PushReport",
    "SettingsError",
    "apply_plan",
    "make_plan",
    "push",
    "settings_from_args",
]
