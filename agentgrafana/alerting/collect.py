"""Collect rule groups from content modules and infer the series every recording rule writes."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import promql
from ..catalog import Catalog
from ..config import ConfigError
from ..discovery import ContentError, call_content
from ..model import Alert, RecordingRule, RuleGroup

if TYPE_CHECKING:
    from ..context import Context
    from ..discovery import ContentModule


def collect_rule_groups(ctx: Context, modules: list[ContentModule]) -> list[RuleGroup]:
    """Recording-rule groups first (alerts may read them), then alert groups, each in first-seen order."""
    recording: dict[str, RuleGroup] = {}
    alerting: dict[str, RuleGroup] = {}
    interval = ctx.config.alerting.group_interval
    for m in modules:
        source = m.path.as_posix()
        if m.kind == "recording_rules":
            for rule in _call(ctx, m, "recording_rules", RecordingRule):
                rule = rule if rule.source else replace(rule, source=source)
                recording.setdefault(rule.group, RuleGroup(rule.group, interval)).recording.append(rule)
        elif m.kind == "alerts":
            for alert in _call(ctx, m, "alerts", Alert):
                alert = alert if alert.source else replace(alert, source=source)
                alerting.setdefault(alert.group, RuleGroup(alert.group, interval)).alerts.append(alert)
    groups = list(recording.values())
    for name, group in alerting.items():
        if name in recording:  # one group may hold both kinds
            recording[name].alerts.extend(group.alerts)
        else:
            groups.append(group)
    return groups


def _call(ctx: Context, m: ContentModule, fn: str, kind: type) -> list[Any]:
    items = call_content(m, f"{fn}(ctx)", lambda: list(getattr(m.module, fn)(ctx)), passthrough=(ConfigError,))
    wrong = [type(i).__name__ for i in items if not isinstance(i, kind)]
    if wrong:
        raise ContentError(f"{m.path}: {fn}(ctx) must return {kind.__name__} objects, got {wrong[0]}")
    return items


def recorded_series(groups: list[RuleGroup], catalog: Catalog) -> dict[str, frozenset[str]]:
    """Series name -> labels for every recording rule, in rule order (a rule may read earlier ones)."""
    recorded: dict[str, frozenset[str]] = {}
    for group in groups:
        for rule in group.recording:
            analysis = promql.analyze(rule.expr, catalog, recorded)
            labels = analysis.labels if analysis.labels is not None else frozenset()
            labels = labels | {name for name, _ in rule.labels}  # stays "any label" when unknown
            earlier = recorded.get(rule.record)
            recorded[rule.record] = labels | earlier if earlier else labels
    return recorded
