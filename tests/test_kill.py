"""kill -9 at random moments of a large generation leaves exactly the old tree or the new one, never a mix,
and the next run finishes the job (the whole-tree switch of `agentgrafana.writer`)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from badinput import ROOT, snapshot

pytestmark = pytest.mark.slow

TENANTS = 500
KILLS = 10


def _config(path: Path, budget: int) -> Path:
    tenants = "".join(f"    t{i:04d}: {budget}\n" for i in range(TENANTS))
    path.write_text(f"budgets:\n  per_tenant_dashboards: true\n  tenants:\n{tenants}")
    return path


def _generate(config: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentgrafana.cli",
            "generate",
            "--root",
            str(ROOT),
            "--config",
            str(config),
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
    )


def _finish(config: Path, out: Path) -> float:
    started = time.monotonic()
    proc = _generate(config, out)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return time.monotonic() - started


def test_kill_9_leaves_the_old_or_the_new_tree_and_a_rerun_finishes(tmp_path: Path) -> None:
    configs = {"a": _config(tmp_path / "a.yaml", 100), "b": _config(tmp_path / "b.yaml", 120)}
    trees = {}
    seconds = 0.0
    for name, config in configs.items():
        seconds = max(seconds, _finish(config, tmp_path / f"tree-{name}"))
        trees[name] = snapshot(tmp_path / f"tree-{name}")
    assert len(trees["a"]) > 2 * TENANTS and trees["a"] != trees["b"]

    out = tmp_path / "work" / "generated"
    _finish(configs["a"], out)
    state, outcomes = "a", []
    rng = random.Random(20261201)
    for _ in range(KILLS):
        wanted = "b" if state == "a" else "a"
        proc = _generate(configs[wanted], out)
        time.sleep(rng.uniform(0.45, 1.05) * seconds)  # mostly inside the write phase at the end of a run
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        now = snapshot(out)
        assert now in (trees["a"], trees["b"]), "a kill left a mix of the old and the new tree"
        assert not [p for p in now if p.endswith(".tmp")]
        state = "a" if now == trees["a"] else "b"
        outcomes.append("new" if state == wanted else "old")
    _finish(configs["b"], out)
    assert snapshot(out) == trees["b"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["generated"], "a leftover staging folder stayed"
    print(f"kills: {outcomes.count('old')} left the old tree, {outcomes.count('new')} the new one")
