"""`runbooks/<alert>.md`: one page per alert, written from its definition, for the on-call engineer who follows
the `runbook_url` of a notification. It says what fired and why (the query, the limit and where it comes from),
which panel to open, the query to run, and what to do (the alert's own `actions`, from the seed's
troubleshooting guide)."""

from __future__ import annotations

from ..config import Config
from ..model import Alert, DashboardOut, display_value, format_number
from .grafana import panel_link


def runbook_path(alert: Alert) -> str:
    return f"runbooks/{alert.runbook}.md"


def limit(alert: Alert) -> str:
    """The threshold as the rule writes it, and in its unit where that reads differently (0.05 is 5%)."""
    raw, shown = format_number(alert.threshold), display_value(alert.threshold, alert.unit)
    return raw if shown == raw else f"{raw} ({shown})"


def runbook(config: Config, alert: Alert, dashboards: list[DashboardOut]) -> bytes:
    link = panel_link(alert, dashboards)
    titles = {d.uid: d.title for d in dashboards}
    if link:
        uid, panel_id = link
        where = f"dashboard **{titles.get(uid, uid)}** (`/d/{uid}?viewPanel={panel_id}`), panel **{alert.panel_title}**"
    else:
        where = f"dashboard `{alert.dashboard_uid}`, panel **{alert.panel_title}**"
    engine = {"grafana": "Grafana", "prometheus": "Prometheus (Alertmanager)", "both": "Grafana and Prometheus"}
    lines = [
        f"# {alert.name}",
        "",
        f"**Severity:** {alert.severity} · **Evaluated by:** {engine[config.alerting.engine]} · "
        f"**Group:** `{alert.group}` · **Defined in:** `{alert.source}`",
        "",
        f"> {alert.summary}",
        ">",
        f"> {alert.description}",
        "",
        "## When it fires",
        "",
        f"The query below is {alert.op} {limit(alert)} for {alert.for_} (limit from `{alert.threshold_key}`).",
        "",
        "```promql",
        alert.expr,
        "```",
        "",
        "## Where to look",
        "",
        f"Open the {where}, with the time range around the alert and the variables set to its labels.",
        "",
        "## What to do",
        "",
        *(f"{i}. {step}" for i, step in enumerate(alert.actions, 1)),
    ]
    if not alert.actions:
        lines.append("No steps are written for this alert yet: add `actions=` to its definition.")
    return ("\n".join(lines) + "\n").encode("utf-8")
