"""Run every lint rule over a build: each object is visited once, and only the rules that look at its kind are
asked about it (a thousand dashboards have tens of thousands of panels and targets)."""

from __future__ import annotations

from collections.abc import Iterable

from ..alerting.lint import checks as rule_checks
from ..catalog import Catalog
from ..model import panels_of
from . import WARNING, BuildView, Finding, Rule, TargetView
from .dashboards import ConfigMapSize, dashboard_rules
from .exclusions import Exclusion


class UnusedExclusion(Rule):
    """Reported by the Linter itself: an exclusion that silenced nothing in this build."""

    name = "lint-exclusion-unused"
    description = "every entry of lint-exclusions.yaml still silences a finding"
    severity = WARNING


def all_rules(catalog: Catalog, recorded: dict[str, frozenset[str]]) -> list[Rule]:
    """Every rule the build is checked with, in the order `lint --list` shows them."""
    return [*dashboard_rules(catalog, recorded), *rule_checks(catalog, recorded), ConfigMapSize(), UnusedExclusion()]


class Linter:
    """Applies the rules and the project's exclusions; remembers which exclusions silenced something."""

    def __init__(self, rules: list[Rule], exclusions: Iterable[Exclusion] = ()) -> None:
        self.rules = rules
        self.exclusions = list(exclusions)
        self._used: set[int] = set()

    def check(self, view: BuildView, *, after_emit: bool = False) -> list[Finding]:
        """Findings of the rules that run before emission (or, with `after_emit`, of those that read files)."""
        rules = [r for r in self.rules if r.needs_files == after_emit]
        return [f for f in _walk(rules, view) if not self._excluded(f)]

    def unused_exclusions(self) -> list[Finding]:
        return [
            Finding(
                e.where.split(":")[0],
                f"exclusion {e.rule} for {e.object}",
                e.where.split(": ", 1)[-1],
                UnusedExclusion.name,
                "this exclusion matches no finding any more: remove it",
                severity=WARNING,
            )
            for i, e in enumerate(self.exclusions)
            if i not in self._used
        ]

    def _excluded(self, finding: Finding) -> bool:
        for i, e in enumerate(self.exclusions):
            if e.matches(finding.rule, finding.object, finding.location):
                self._used.add(i)
                return True
        return False


def _overrides(rules: list[Rule], adapter: str) -> list[Rule]:
    return [r for r in rules if getattr(type(r), adapter) is not getattr(Rule, adapter)]


def _walk(rules: list[Rule], view: BuildView) -> list[Finding]:
    findings: list[Finding] = []
    on_dashboard, on_panel, on_target = (_overrides(rules, a) for a in ("dashboard", "panel", "target"))
    on_alert, on_recording, on_build = (_overrides(rules, a) for a in ("alert", "recording", "build"))
    for d in view.dashboards:
        obj = f"dashboard {d.uid}"
        for rule in on_dashboard:
            findings += [
                Finding(d.source, obj, loc, rule.name, msg, expr, rule.severity) for loc, msg, expr in rule.dashboard(d)
            ]
        if not (on_panel or on_target):
            continue
        for p in panels_of(d.model):
            for rule in on_panel:
                findings += [
                    Finding(d.source, obj, loc, rule.name, msg, expr, rule.severity)
                    for loc, msg, expr in rule.panel(d, p)
                ]
            for target in p.get("targets") or []:
                t = TargetView(d, p, target)
                for rule in on_target:
                    findings += [
                        Finding(d.source, obj, loc, rule.name, msg, expr, rule.severity)
                        for loc, msg, expr in rule.target(t)
                    ]
    for g in view.groups:
        for r in g.recording:
            for rule in on_recording:
                findings += [
                    Finding(r.source, f"recording rule {r.record}", "", rule.name, msg, expr, rule.severity)
                    for msg, expr in rule.recording(r, g)
                ]
        for a in g.alerts:
            for rule in on_alert:
                findings += [
                    Finding(a.source, f"alert {a.name}", "", rule.name, msg, expr, rule.severity)
                    for msg, expr in rule.alert(a, g)
                ]
    for rule in on_build:
        for f in rule.build(view):
            findings.append(f if f.severity == rule.severity else Finding(**{**f.to_dict(), "severity": rule.severity}))
    return findings


def lint(dashboards: list, groups: list, catalog: Catalog, recorded: dict[str, frozenset[str]]) -> list[Finding]:
    """Every finding for these objects with every rule that runs before emission (no exclusions)."""
    return Linter(all_rules(catalog, recorded)).check(BuildView(dashboards, groups))
