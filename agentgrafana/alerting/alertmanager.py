"""`alertmanager/alertmanager.yaml`: the route subtree and inhibit rules for the alerts, as a complete
Alertmanager configuration that `amtool check-config` accepts (receivers are named, their integrations are
yours: merge `route.routes` and `inhibit_rules` into your configuration).

Routing reads two labels every alert carries: `severity` and `component`.
- `Watchdog` (the always-firing alert, kube-prometheus' name) goes to the dead man's switch receiver, every
  minute, and nowhere else;
- cost alerts go to the FinOps receiver, grouped by tenant;
- critical alerts page, grouped by alert and agent;
- the rest go to the default receiver, grouped by alert and subject.

Inhibitions, so one cause pages once:
- a critical alert silences the warnings of the same agent;
- a critical GPU alert (a hardware XID: the GPU or its link failed) silences the warnings and info alerts of
  the same GPU;
- LLM rate limiting silences the agent *warnings* it explains (timeouts, latency). It never silences a page:
  rate-limit alerts carry no agent label, so it would hide every agent's critical errors.
"""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..emit import yaml_bytes
from ..model import RuleGroup

PATH = "alertmanager/alertmanager.yaml"
SUBJECT_LABELS = ["alertname", "agent_name", "tenant_id", "model", "tool_name", "collection", "host", "gpu"]


def config(cfg: Config, groups: list[RuleGroup]) -> dict[str, Any]:
    a = cfg.alerting
    team = [f'team="{a.team}"'] if a.team else []
    routes: list[dict[str, Any]] = [
        {
            "receiver": a.receiver_watchdog,
            "matchers": ['alertname="Watchdog"'],
            "group_wait": "0s",
            "group_interval": "1m",
            "repeat_interval": "1m",
        },
        {
            "receiver": a.receiver_finops,
            "matchers": ['component="cost"', *team],
            "group_by": ["alertname", "tenant_id"],
            "repeat_interval": "12h",
        },
        {
            "receiver": a.receiver_pager,
            "matchers": ['severity="critical"', *team],
            "group_by": ["alertname", "agent_name"],
            "group_wait": "30s",
            "repeat_interval": "1h",
        },
    ]
    if a.team:
        routes.append({"receiver": a.receiver_default, "matchers": team, "group_by": SUBJECT_LABELS})
    receivers = sorted({a.receiver_default, a.receiver_pager, a.receiver_finops, a.receiver_watchdog})
    return {
        "route": {
            "receiver": a.receiver_default,
            "group_by": SUBJECT_LABELS,
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"', 'component="agent"'],
                "target_matchers": ['severity="warning"', 'component="agent"'],
                "equal": ["agent_name"],
            },
            {
                "source_matchers": ['severity="critical"', 'component="gpu"'],
                "target_matchers": ['severity=~"warning|info"', 'component="gpu"'],
                "equal": ["host", "gpu"],
            },
            {
                "source_matchers": ['alertname="LLMRateLimitErrors"'],
                "target_matchers": ['component="agent"', 'severity="warning"'],
            },
        ],
        "receivers": [{"name": name} for name in receivers],
    }


def files(cfg: Config, groups: list[RuleGroup]) -> dict[str, bytes]:
    """For Alertmanager: the notifier with `alerting.engine` prometheus or both, and for a Grafana that sends
    to an external Alertmanager. Nothing when the build has no alerts."""
    if not any(g.alerts for g in groups):
        return {}
    return {PATH: yaml_bytes(config(cfg, groups))}
