"""Every generated file comes from exactly one registered format, inside the paths that format declares."""

from __future__ import annotations

import dataclasses

import pytest

from agentgrafana import outputs
from agentgrafana.outputs import FORMATS, Format, Inputs, emit_all, files_with_role


def test_every_file_of_the_build_belongs_to_exactly_one_format(default_build) -> None:
    for path in default_build.files:
        owners = [f.name for f in FORMATS if f.owns(path)]
        assert len(owners) == 1, (path, owners)
    assert {f.name for f in FORMATS} == {outputs.format_of(p).name for p in default_build.files}


def test_roles_select_what_their_readers_need(default_build) -> None:
    rules = files_with_role(default_build.files, outputs.PROMETHEUS_RULES)
    assert rules and all(p.startswith("prometheus/rules/") for p in rules)
    manifests = files_with_role(default_build.files, outputs.KUBERNETES)
    assert manifests and all(p.startswith("kubernetes/") for p in manifests)


def test_a_format_that_writes_outside_its_paths_is_a_programming_error(monkeypatch) -> None:
    stray = Format(
        "stray",
        "x/<name>.json",
        FORMATS[0].pattern,
        "dashboard",
        "writes elsewhere",
        lambda i: {"elsewhere/x.json": b"{}"},
    )
    monkeypatch.setattr(outputs, "FORMATS", (stray,))
    from agentgrafana.config import Config

    with pytest.raises(AssertionError, match="outside its paths"):
        emit_all(Inputs(Config(), [], [], []))
    assert dataclasses.is_dataclass(stray)
