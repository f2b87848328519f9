"""Content modules that exit, crash or return something that is not a dashboard: each is exit 1 naming the module
(and the object), never exit 0, never a traceback, and the previous output is left byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from badinput import assert_clean_failure, make_project, run, snapshot

HEAD = "from agentgrafana.context import Context\n"
PLAIN = {"title": "Plain", "uid": "plain-json", "panels": []}


def plain(body: str) -> str:
    """A module returning a plain-JSON dashboard built by the Python expression `body` (`d` is a valid base)."""
    return f"def dashboard(ctx):\n    d = {PLAIN!r}\n{body}\n    return d\n"


def recording(group: str) -> str:
    return (
        "from agentgrafana.model import RecordingRule\n\n"
        "def recording_rules(ctx):\n"
        f"    return [RecordingRule('agent_name:agent_requests:rate5m', "
        f"'sum by (agent_name) (rate(agent_request_duration_seconds_count[5m]))', {group!r})]\n"
    )


# (case id, file under the project, its source, substrings the message must contain)
CASES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("exit-0-at-import", "dashboards/bad.py", "import sys\nsys.exit(0)\n", ("dashboards/bad.py", "sys.exit(0)")),
    ("exit-1-at-import", "dashboards/bad.py", "raise SystemExit(1)\n", ("dashboards/bad.py", "sys.exit(1)")),
    (
        "exit-0-in-dashboard",
        "dashboards/bad.py",
        "import sys\ndef dashboard(ctx):\n    sys.exit(0)\n",
        ("dashboards/bad.py", "building the dashboard failed", "sys.exit(0)"),
    ),
    (
        "exit-in-dashboards-generator",
        "dashboards/bad.py",
        "import sys\ndef dashboards(ctx):\n    yield {'title': 'a', 'uid': 'a'}\n    sys.exit(0)\n",
        ("dashboards/bad.py", "dashboards(ctx) failed"),
    ),
    (
        "keyboard-interrupt-at-import",
        "dashboards/bad.py",
        "raise KeyboardInterrupt\n",
        ("dashboards/bad.py", "KeyboardInterrupt"),
    ),
    (
        "keyboard-interrupt-in-dashboard",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    raise KeyboardInterrupt\n",
        ("dashboards/bad.py", "KeyboardInterrupt"),
    ),
    (
        "generator-exit",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    raise GeneratorExit\n",
        ("dashboards/bad.py", "GeneratorExit"),
    ),
    (
        "custom-base-exception",
        "dashboards/bad.py",
        "class Boom(BaseException):\n    pass\ndef dashboard(ctx):\n    raise Boom('kaboom')\n",
        ("dashboards/bad.py", "Boom: kaboom"),
    ),
    ("exception-at-import", "dashboards/bad.py", "1 / 0\n", ("dashboards/bad.py", "ZeroDivisionError")),
    ("syntax-error", "dashboards/bad.py", "def dashboard(ctx)\n    return 1\n", ("dashboards/bad.py", "SyntaxError")),
    ("import-error", "dashboards/bad.py", "import no_such_module_here\n", ("dashboards/bad.py", "ModuleNotFoundError")),
    (
        "value-error-in-dashboard",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    raise ValueError('bad panel')\n",
        ("dashboards/bad.py", "ValueError: bad panel"),
    ),
    (
        "endless-recursion",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    return dashboard(ctx)\n",
        ("dashboards/bad.py", "RecursionError"),
    ),
    (
        "huge-exception-message",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    raise ValueError('x' * 10**7)\n",
        ("dashboards/bad.py", "ValueError: xxx"),
    ),
    (
        "unprintable-exception",
        "dashboards/bad.py",
        "class E(Exception):\n    def __str__(self):\n        raise RuntimeError\ndef dashboard(ctx):\n    raise E()\n",
        ("dashboards/bad.py", "<unprintable>"),
    ),
    (
        "memory-error",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    raise MemoryError\n",
        ("dashboards/bad.py", "MemoryError"),
    ),
    ("no-entry-point", "dashboards/bad.py", "X = 1\n", ("dashboards/bad.py", "must define dashboard(ctx)")),
    ("entry-point-not-callable", "dashboards/bad.py", "dashboard = 42\n", ("dashboards/bad.py", "must define")),
    (
        "returns-none",
        "dashboards/bad.py",
        "def dashboard(ctx):\n    return None\n",
        ("dashboards/bad.py", "expected a dashboard", "NoneType"),
    ),
    ("returns-a-number", "dashboards/bad.py", "def dashboard(ctx):\n    return 7\n", ("dashboards/bad.py", "int")),
    ("returns-a-string", "dashboards/bad.py", "def dashboard(ctx):\n    return '{}'\n", ("dashboards/bad.py", "str")),
    (
        "dashboards-not-iterable",
        "dashboards/bad.py",
        "def dashboards(ctx):\n    return 5\n",
        ("dashboards/bad.py", "dashboards(ctx) failed", "TypeError"),
    ),
    (
        "json-with-a-set",
        "dashboards/bad.py",
        plain("    d['tags'] = {'a', 'b'}"),
        ("dashboards/bad.py", "not portable JSON", "set"),
    ),
    (
        "json-self-reference",
        "dashboards/bad.py",
        plain("    d['panels'].append(d)"),
        ("dashboards/bad.py", "not portable JSON", "Circular"),
    ),
    (
        "json-2-to-the-70",
        "dashboards/bad.py",
        plain("    d['version'] = 2**70"),
        ("dashboards/bad.py", "not portable JSON"),
    ),
    (
        "json-2-to-the-60",
        "dashboards/bad.py",
        plain("    d['version'] = 2**60"),
        ("dashboards/bad.py", "not portable JSON"),
    ),
    (
        "json-nan",
        "dashboards/bad.py",
        plain("    d['refresh'] = float('nan')"),
        ("dashboards/bad.py", "Out of range float"),
    ),
    (
        "json-infinity",
        "dashboards/bad.py",
        plain("    d['graphTooltip'] = float('inf')"),
        ("dashboards/bad.py", "not portable JSON"),
    ),
    ("json-bytes-value", "dashboards/bad.py", plain("    d['description'] = b'raw'"), ("dashboards/bad.py", "bytes")),
    (
        "json-object-value",
        "dashboards/bad.py",
        plain("    d['description'] = object()"),
        ("dashboards/bad.py", "object"),
    ),
    ("json-tuple-key", "dashboards/bad.py", plain("    d[(1, 2)] = 'x'"), ("dashboards/bad.py", "not portable JSON")),
    (
        "json-20000-deep",
        "dashboards/bad.py",
        plain("    x = []\n    for _ in range(20000):\n        x = [x]\n    d['templating'] = x"),
        ("dashboards/bad.py", "nests too deeply"),
    ),
    (
        "json-300-deep",
        "dashboards/bad.py",
        plain("    x = {}\n    for _ in range(300):\n        x = {'a': x}\n    d['templating'] = x"),
        ("dashboards/bad.py", "not portable JSON"),
    ),
    (
        "json-numeric-uid",
        "dashboards/bad.py",
        plain("    d['uid'] = 12345"),
        ("dashboards/bad.py", "dashboard uid must be a string, got a number"),
    ),
    (
        "json-null-title",
        "dashboards/bad.py",
        plain("    d['title'] = None"),
        ("dashboards/bad.py", "dashboard title must be a string, got null"),
    ),
    (
        "json-list-title",
        "dashboards/bad.py",
        plain("    d['title'] = ['a']"),
        ("dashboards/bad.py", "title must be a string"),
    ),
    (
        "json-panels-not-list",
        "dashboards/bad.py",
        plain("    d['panels'] = 'x'"),
        ("dashboards/bad.py", "panels: expected a list, got a string"),
    ),
    (
        "json-panel-not-object",
        "dashboards/bad.py",
        plain("    d['panels'] = [1]"),
        ("dashboards/bad.py", "panels[0]: expected an object"),
    ),
    (
        "json-targets-not-list",
        "dashboards/bad.py",
        plain("    d['panels'] = [{'type': 'stat', 'targets': {}}]"),
        ("dashboards/bad.py", "panels[0].targets: expected a list"),
    ),
    (
        "json-gridpos-string",
        "dashboards/bad.py",
        plain("    d['panels'] = [{'type': 'stat', 'gridPos': {'x': '0', 'y': 0, 'w': 4, 'h': 4}}]"),
        ("dashboards/bad.py", "panels[0].gridPos.x: expected a whole number"),
    ),
    (
        "json-templating-list-dict",
        "dashboards/bad.py",
        plain("    d['templating'] = {'list': {'a': 1}}"),
        ("dashboards/bad.py", "templating.list: expected a list"),
    ),
    (
        "json-link-url-number",
        "dashboards/bad.py",
        plain("    d['links'] = [{'url': 5}]"),
        ("dashboards/bad.py", "links[0].url: expected a string"),
    ),
    (
        "json-row-children-bad",
        "dashboards/bad.py",
        plain("    d['panels'] = [{'type': 'row', 'panels': [None]}]"),
        ("dashboards/bad.py", "panels[0].panels[0]: expected an object"),
    ),
    (
        "json-uid-dotdot",
        "dashboards/bad.py",
        plain("    d['uid'] = '../../etc'"),
        ("dashboards/bad.py", "'../../etc'", "dashboard-uid"),
    ),
    ("json-uid-slash", "dashboards/bad.py", plain("    d['uid'] = 'a/b'"), ("dashboards/bad.py", "'a/b'")),
    ("json-uid-empty", "dashboards/bad.py", plain("    d['uid'] = ''"), ("dashboards/bad.py", "dashboard-uid")),
    ("json-uid-41", "dashboards/bad.py", plain("    d['uid'] = 'u' * 41"), ("dashboards/bad.py", "1-40 characters")),
    (
        "recording-group-dotdot",
        "recording_rules/bad.py",
        recording("../../x"),
        ("recording_rules/bad.py", "'../../x'", "rule-group-name"),
    ),
    ("recording-group-empty", "recording_rules/bad.py", recording(""), ("recording_rules/bad.py", "rule-group-name")),
    ("recording-group-subdir", "recording_rules/bad.py", recording("sub/dir"), ("recording_rules/bad.py", "'sub/dir'")),
    ("recording-group-hidden", "recording_rules/bad.py", recording(".hidden"), ("recording_rules/bad.py", "'.hidden'")),
    ("recording-group-huge", "recording_rules/bad.py", recording("g" * 300), ("recording_rules/bad.py", "...")),
    (
        "recording-returns-dicts",
        "recording_rules/bad.py",
        "def recording_rules(ctx):\n    return [{'record': 'x'}]\n",
        ("recording_rules/bad.py", "must return RecordingRule objects, got dict"),
    ),
    (
        "recording-exits",
        "recording_rules/bad.py",
        "import sys\ndef recording_rules(ctx):\n    sys.exit(0)\n",
        ("recording_rules/bad.py", "recording_rules(ctx) failed", "sys.exit(0)"),
    ),
    (
        "alerts-returns-none",
        "alerts/bad.py",
        "def alerts(ctx):\n    return None\n",
        ("alerts/bad.py", "alerts(ctx) failed"),
    ),
    (
        "alerts-returns-strings",
        "alerts/bad.py",
        "def alerts(ctx):\n    return ['AgentDown']\n",
        ("alerts/bad.py", "must return Alert objects, got str"),
    ),
    (
        "alerts-keyboard-interrupt",
        "alerts/bad.py",
        "def alerts(ctx):\n    raise KeyboardInterrupt\n",
        ("alerts/bad.py", "KeyboardInterrupt"),
    ),
    (
        "alerts-exit-at-import",
        "alerts/bad.py",
        "import os, sys\nsys.exit(os.EX_OK)\n",
        ("alerts/bad.py", "sys.exit(0)"),
    ),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_project(tmp_path_factory.mktemp("badcontent"))


@pytest.fixture
def project(base, tmp_path) -> tuple[Path, Path]:
    import shutil

    root = tmp_path / "project"
    shutil.copytree(base[0], root)
    return root, root / "generated"


@pytest.mark.parametrize("case_id,where,source,names", CASES, ids=[c[0] for c in CASES])
def test_bad_content_is_exit_1_naming_the_module(project, case_id, where, source, names) -> None:
    root, out = project
    module = root / where
    module.parent.mkdir(exist_ok=True)
    module.write_text(source)
    before = snapshot(out)
    for argv in (("generate", "--out", str(out)), ("generate", "--check", "--out", str(out)), ("validate",)):
        ran = run(*argv, "--root", str(root))
        assert_clean_failure(ran, 1, *names)
        assert len(ran.text) < 5000
    assert snapshot(out) == before


def test_bad_content_in_json_is_json(project) -> None:
    root, _ = project
    (root / "dashboards" / "bad.py").write_text("import sys\nsys.exit(0)\n")
    ran = run("validate", "--root", str(root), "--format", "json")
    report = json.loads(ran.out)
    assert ran.code == 1 and report["error"]["kind"] == "content" and "dashboards/bad.py" in report["error"]["message"]
