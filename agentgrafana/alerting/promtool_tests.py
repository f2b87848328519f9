"""promtool unit tests generated from each alert's threshold and incident.

For every alert: it fires just past its threshold once `for` has passed (labels and rendered annotations
expected), it is still pending before that, it stays silent just short of the threshold and without
traffic; plus the incident's own cases. One test file per alert group; each reads every rule file, with
the recording groups evaluated first.
"""

from __future__ import annotations

from typing import Any

from ..config import Config
from ..emit import yaml_bytes
from ..model import Alert, RuleGroup, display_number, format_number
from ..scenario import ALWAYS, Case, InputSeries, breach_value, safe_value
from ..sources import Dialect, inputs
from . import template
from .duration import seconds
from .prometheus import alert_labels, prometheus_annotations, test_rule_files
from .prometheus import rule_files as deployed_rule_files

TEST_DIR = "prometheus/tests"


def cases(alert: Alert) -> list[Case]:
    """The generated cases for one alert (empty without an incident; lint reports that)."""
    s = alert.incident
    if s is None:
        return []
    if s.signal.kind == ALWAYS:  # a dead man's switch: it fires with no input at all, and keeps firing
        return [
            Case(f"{alert.name} fires with no input at all, at minute {m}", (), m, ((s.labels, 1.0),)) for m in (1, 60)
        ] + list(s.extra)
    wait = int(seconds(alert.for_) // 60)
    at = s.settle_minutes + wait + 1
    breach = s.breach if s.breach is not None else breach_value(alert.op, alert.threshold)
    safe = s.safe if s.safe is not None else safe_value(alert.op, alert.threshold)
    limit = s.limit or f"{alert.op} {format_number(alert.threshold)}"
    out = [
        Case(
            f"{alert.name} fires at {display_number(breach)} ({limit}) once for {alert.for_} has passed",
            tuple(s.drive(breach, at)),
            at,
            ((s.labels, breach),),
        )
    ]
    if wait:
        out.append(
            Case(
                f"{alert.name} is only pending at {display_number(breach)} before {alert.for_} has passed",
                tuple(s.drive(breach, at)),
                wait - 1,
            )
        )
    out.append(
        Case(
            f"{alert.name} is silent just short of the threshold at {display_number(safe)} ({limit})",
            tuple(s.drive(safe, at)),
            at,
        )
    )
    out.append(Case(f"{alert.name} is silent without traffic", tuple(s.idle(at)), at))
    return out + list(s.extra)


def _test(config: Config, alert: Alert, case: Case, dialect: Dialect | None) -> dict[str, Any]:
    expected = []
    for labelset, value in case.fires:
        labels = {**dict(labelset), **alert_labels(alert)}
        notes = {k: template.render(v, labels, value) for k, v in prometheus_annotations(config, alert).items()}
        expected.append({"exp_labels": labels, "exp_annotations": notes})
    return {
        "name": case.name,
        "interval": "1m",
        "input_series": [{"series": s.series, "values": s.values} for s in _inputs(case, dialect, config)],
        "alert_rule_test": [{"eval_time": f"{case.at_minute}m", "alertname": alert.name, "exp_alerts": expected}],
    }


def _inputs(case: Case, dialect: Dialect | None, config: Config) -> list[InputSeries]:
    """The case's series in the names of the build's sources (as written when the build reads the seed's)."""
    return inputs.render(case.series, dialect, config) if dialect is not None else list(case.series)


def test_file_path(group: RuleGroup) -> str:
    return f"{TEST_DIR}/{group.name}.yaml"


def test_files(config: Config, groups: list[RuleGroup], dialect: Dialect | None = None) -> dict[str, bytes]:
    """`prometheus/tests/<group>.yaml` for every group with alerts (rule files are relative to it)."""
    rule_files = [f"../rules/{p.rsplit('/', 1)[1]}" for p in deployed_rule_files(config, groups)]
    rule_files += [f"rules/{p.rsplit('/', 1)[1]}" for p in test_rule_files(config, groups)]
    order = [g.name for g in groups if g.recording] + [g.name for g in groups if not g.recording]
    files = {}
    for g in groups:
        tests = [_test(config, a, c, dialect) for a in g.alerts for c in cases(a)]
        if tests:
            files[test_file_path(g)] = yaml_bytes(
                {"rule_files": rule_files, "evaluation_interval": "1m", "group_eval_order": order, "tests": tests}
            )
    return files
