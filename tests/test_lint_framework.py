"""One Rule interface for every check: `lint --list` shows them all, exclusions need a reason and silence only
what they name, an exclusion that silences nothing is a warning, and warnings fail only under --strict."""

from __future__ import annotations

import json

import pytest
from badinput import assert_clean_failure, make_project, run, snapshot

from agentgrafana.catalog import CATALOG
from agentgrafana.lint import ERROR, WARNING, Rule
from agentgrafana.lint.runner import all_rules

UNIT = '"reqps",'


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path)


def _break_unit(root) -> None:
    module = root / "dashboards" / "minimal.py"
    assert UNIT in module.read_text()
    module.write_text(module.read_text().replace(UNIT, '"",'))


def test_every_rule_has_a_unique_name_a_description_a_severity_and_an_object_kind() -> None:
    rules = all_rules(CATALOG, {})
    names = [r.name for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert isinstance(rule, Rule) and rule.name and rule.description and rule.severity in (ERROR, WARNING)
    assert {a for r in rules for a in r.adapters()} == {"dashboard", "panel", "target", "alert", "recording", "build"}


def test_lint_list_shows_every_rule_with_its_severity(project) -> None:
    ran = run("lint", "--list", "--format", "json")
    listed = json.loads(ran.out)
    assert ran.code == 0 and [r["name"] for r in listed] == [r.name for r in all_rules(CATALOG, {})]
    text = run("lint", "--list").out
    for rule in all_rules(CATALOG, {}):
        assert f"| `{rule.name}` | {rule.severity} |" in text


def test_an_exclusion_silences_exactly_the_finding_it_names(project) -> None:
    root, out = project
    _break_unit(root)
    ran = run("generate", "--root", str(root), "--out", str(out))
    assert_clean_failure(ran, 1, "panel has no unit", "(panel-basics)")
    (root / "lint-exclusions.yaml").write_text(
        "exclusions:\n"
        "  - rule: panel-basics\n"
        "    object: dashboard agent-mini*\n"
        "    location: 'panel \"Requests by agent\"*'\n"
        "    reason: the unit comes with the rewrite of this dashboard\n"
    )
    ran = run("generate", "--root", str(root), "--out", str(out))
    assert ran.code == 0, ran.text
    assert "panel has no unit" not in ran.text
    (root / "lint-exclusions.yaml").write_text(
        "exclusions:\n  - rule: panel-basics\n    object: dashboard agent-other\n    reason: another dashboard\n"
    )
    assert run("generate", "--root", str(root), "--out", str(out)).code == 1


def test_an_exclusion_that_silences_nothing_is_a_warning_and_strict_fails_on_it(project) -> None:
    root, out = project
    (root / "lint-exclusions.yaml").write_text(
        "exclusions:\n  - rule: target-promql\n    object: dashboard agent-gone\n    reason: it was broken\n"
    )
    ran = run("validate", "--root", str(root))
    assert ran.code == 0 and "matches no finding" in ran.err and "1 warning(s)" in ran.out
    before = snapshot(out)
    ran = run("generate", "--root", str(root), "--out", str(out), "--strict")
    assert_clean_failure(ran, 1, "lint-exclusion-unused, warning")
    assert snapshot(out) == before
    report = json.loads(run("validate", "--root", str(root), "--format", "json").out)
    assert report["ok"] and report["findings"][0]["severity"] == WARNING


@pytest.mark.parametrize(
    "content,names",
    [
        ("exclusions:\n  - rule: panel-basics\n    object: dashboard x\n", ("exclusions[0].reason", "needs a reason")),
        ("exclusions:\n  - rule: panel-basics\n    object: dashboard x\n    reason: '  '\n", ("needs a reason",)),
        ("exclusions:\n  - rule: no-such-rule\n    object: dashboard x\n    reason: r\n", ("unknown rule",)),
        ("exclusions:\n  - rule: panel-basics\n    reason: r\n", ("exclusions[0].object",)),
        ("exclusions:\n  - rule: panel-basics\n    object: x\n    reason: r\n    why: r\n", ("exclusions[0].why",)),
        ("exclusions: {}\n", ("a list of entries",)),
        ("- a\n", ("a list of entries",)),
        ("exclusions:\n  - rule: panel-basics\n    rule: panel-grid\n", ("duplicate key 'rule'",)),
    ],
)
def test_a_malformed_exclusions_file_exits_2_naming_the_entry(project, content, names) -> None:
    root, out = project
    (root / "lint-exclusions.yaml").write_text(content)
    before = snapshot(out)
    ran = run("generate", "--root", str(root), "--out", str(out))
    assert_clean_failure(ran, 2, "lint-exclusions.yaml", *names)
    assert snapshot(out) == before
