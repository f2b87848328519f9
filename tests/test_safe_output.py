"""The output folder is ours only where the manifest says so: nothing else is removed or overwritten, unsafe
folders are refused, a file-system error leaves the old tree, and the CLI tells the truth on every path."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from badinput import MINIMAL, ROOT, TOKEN, assert_clean_failure, assert_no_secret, make_project, run, snapshot

from agentgrafana.writer import MANIFEST, OutputRefused, write_tree

TENANTS = "budgets:\n  tenants: {acme: 250, globex: 80}\n  per_tenant_dashboards: true\n"


@pytest.fixture
def project(tmp_path) -> tuple[Path, Path]:
    return make_project(tmp_path)


def _unrelated(folder: Path) -> dict[str, bytes]:
    (folder / "hand-made").mkdir(parents=True)
    (folder / "hand-made" / "mine.json").write_text('{"title": "made by hand"}')
    (folder / "notes.txt").write_text("keep me")
    return snapshot(folder)


def test_a_folder_of_unrelated_files_is_refused_and_nothing_removed(project, tmp_path) -> None:
    root, _ = project
    target = tmp_path / "grafana-dashboards"
    before = _unrelated(target)
    ran = run("generate", "--root", str(root), "--out", str(target))
    assert_clean_failure(ran, 2, str(target), "did not write", "--force")
    assert snapshot(target) == before


def test_force_writes_beside_unrelated_files_and_a_later_run_removes_only_its_own(project, tmp_path) -> None:
    root, _ = project
    target = tmp_path / "grafana-dashboards"
    before = _unrelated(target)
    assert run("generate", "--root", str(root), "--out", str(target), "--force").code == 0
    after = snapshot(target)
    assert {k: v for k, v in after.items() if k in before} == before and MANIFEST in after
    shutil.rmtree(root / "dashboards")  # the content goes away: every output of ours is now stale ...
    (root / "dashboards").mkdir()
    (root / "dashboards" / "other.py").write_text(
        (MINIMAL / "dashboards" / "minimal.py").read_text().replace('"minimal", "Minimal"', '"other", "Other"')
    )
    assert run("generate", "--root", str(root), "--out", str(target)).code == 0
    final = snapshot(target)
    assert {k: v for k, v in final.items() if k in before} == before  # ... but theirs stays
    assert "dashboards/ai-agents/agent-minimal.json" not in final and "dashboards/ai-agents/agent-other.json" in final


def test_own_previous_output_loses_only_files_it_wrote_and_nobody_edited(project, tmp_path) -> None:
    root, out = project
    config = tmp_path / "tenants.yaml"
    config.write_text(TENANTS)
    assert run("generate", "--root", str(ROOT), "--config", str(config), "--out", str(out)).code == 0
    edited = out / "dashboards" / "ai-agents-globex" / "agent-cost-globex.json"
    edited.write_text(edited.read_text() + " ")
    (out / "README.md").write_text("ours, not agentgrafana's")
    ran = run("generate", "--root", str(ROOT), "--out", str(out))  # no tenants any more
    assert ran.code == 0, ran.text
    left = snapshot(out)
    assert "dashboards/ai-agents-acme/agent-cost-acme.json" not in left
    assert "dashboards/ai-agents-globex/agent-cost-globex.json" in left and "edited since" in ran.err
    assert left["README.md"] == b"ours, not agentgrafana's"
    assert run("generate", "--check", "--root", str(ROOT), "--out", str(out)).code == 0


@pytest.mark.parametrize("where", ["root", "content", "parent-of-root"])
def test_the_project_itself_is_never_an_output_folder(project, where) -> None:
    root, out = project
    target = {"root": root, "content": root / "dashboards", "parent-of-root": root.parent}[where]
    before = snapshot(root)
    ran = run("generate", "--root", str(root), "--out", str(target), "--force")
    assert_clean_failure(ran, 2, "refused", str(target))
    assert snapshot(root) == before


def test_home_and_filesystem_root_are_refused_even_with_force(project, tmp_path, monkeypatch) -> None:
    root, _ = project
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("private")
    monkeypatch.setenv("HOME", str(home))
    before = snapshot(home)
    for target in (str(home), "/"):
        ran = run("generate", "--root", str(root), "--out", target, "--force")
        assert_clean_failure(ran, 2, "refused")
    assert snapshot(home) == before


def test_a_repository_checkout_is_refused(project, tmp_path) -> None:
    root, _ = project
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    ran = run("generate", "--root", str(root), "--out", str(checkout), "--force")
    assert_clean_failure(ran, 2, ".git")
    assert snapshot(checkout) == {}


def test_a_typo_in_root_is_a_usage_error_and_output_stays(project, tmp_path) -> None:
    _, out = project
    before = snapshot(out)
    ran = run("generate", "--root", str(tmp_path / "projcet"), "--out", str(out))
    assert_clean_failure(ran, 2, "no dashboards/, alerts/ or recording_rules/ modules under")
    assert snapshot(out) == before
    assert_clean_failure(run("validate", "--root", str(tmp_path)), 2, "no content")


def test_a_file_where_the_output_folder_should_be(project, tmp_path) -> None:
    root, _ = project
    target = tmp_path / "out"
    target.write_text("a file")
    assert_clean_failure(run("generate", "--root", str(root), "--out", str(target)), 1, str(target), "not a folder")
    assert target.read_text() == "a file"


def test_a_damaged_manifest_or_a_foreign_file_at_our_path_is_refused(project) -> None:
    root, out = project
    before = snapshot(out)
    (out / MANIFEST).write_text("not a manifest line\n")
    damaged = snapshot(out)
    assert_clean_failure(run("generate", "--root", str(root), "--out", str(out)), 2, MANIFEST, "damaged")
    assert snapshot(out) == damaged
    (out / MANIFEST).write_bytes(before[MANIFEST])
    (out / "kubernetes" / "dashboards" / "ai-agents" / "agent-minimal.yaml").unlink()
    (root / "dashboards" / "minimal.py").write_text((root / "dashboards" / "minimal.py").read_text())
    manifest = before[MANIFEST].decode().splitlines(keepends=True)
    (out / MANIFEST).write_text("".join(line for line in manifest if "agent-minimal.yaml" not in line))
    (out / "kubernetes" / "dashboards" / "ai-agents" / "agent-minimal.yaml").write_text("someone else's")
    ran = run("generate", "--root", str(root), "--out", str(out))
    assert_clean_failure(ran, 2, "agent-minimal.yaml", "did not write it")


def test_output_paths_that_leave_the_folder_are_refused(tmp_path) -> None:
    for bad in ("../escape.json", "/etc/passwd", "a/../../b", "", ".hidden.yaml", "a//b", "a\\b"):
        with pytest.raises(OutputRefused):
            write_tree(tmp_path / "out", {bad: b"x"})
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "out").exists()


def test_a_symlinked_output_folder_is_written_through(project, tmp_path) -> None:
    root, _ = project
    real = tmp_path / "real"
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    assert run("generate", "--root", str(root), "--out", str(link)).code == 0
    assert link.is_symlink() and (real / MANIFEST).is_file()
    assert run("generate", "--check", "--root", str(root), "--out", str(link)).code == 0


def test_a_staging_folder_left_by_a_killed_run_is_cleaned_up(project) -> None:
    root, out = project
    stray = out.parent / f".{out.name}.agentgrafana-staging"
    (stray / "dashboards").mkdir(parents=True)
    (stray / "dashboards" / "half.json").write_text("{")
    (root / "dashboards" / "minimal.py").write_text(
        (root / "dashboards" / "minimal.py").read_text().replace("One panel", "Changed")
    )
    assert run("generate", "--root", str(root), "--out", str(out)).code == 0
    assert not stray.exists()


def _tmpfs(path: Path, size: str, read_only: bool = False) -> None:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot mount a tmpfs in CI: {done.stderr.decode()}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.parametrize("fault", ["read-only", "full"])
def test_a_file_system_fault_is_one_line_exit_1_and_the_old_tree(project, tmp_path, fault) -> None:
    root, _ = project
    disk = tmp_path / "disk"
    _tmpfs(disk, "2m")  # the built-in set takes about 1.2 MB there; 80 tenants' dashboards do not fit
    try:
        out = disk / "generated"
        assert run("generate", "--root", str(ROOT), "--out", str(out)).code == 0
        before = snapshot(out)
        config = tmp_path / "tenants.yaml"
        config.write_text(
            "budgets:\n  tenants: {" + ", ".join(f"t{i}: 10" for i in range(80)) + "}\n  per_tenant_dashboards: true\n"
        )
        if fault == "read-only":
            subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        ran = run("generate", "--root", str(ROOT), "--config", str(config), "--out", str(out))
        assert_clean_failure(ran, 1, "write failed", "left as it was")
        assert snapshot(out) == before
        assert sorted(p.name for p in disk.iterdir()) == ["generated"]  # no staging folder left behind
    finally:
        _umount(disk)


def test_preview_into_an_unwritable_folder_is_one_line(project, tmp_path) -> None:
    root, _ = project
    disk = tmp_path / "disk"
    _tmpfs(disk, "64k")
    try:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        ran = run("preview", "--root", str(root), "--out", str(disk / "preview"))
        assert_clean_failure(ran, 1, "cannot write", str(disk / "preview"))
    finally:
        _umount(disk)


# --- the command line -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv,names",
    [
        (("push", "--token", TOKEN), ("--token is not accepted", "GRAFANA_TOKEN")),
        (("push", f"--token={TOKEN}"), ("--token is not accepted",)),
        (("plan", "--password", TOKEN), ("--password is not accepted",)),
        (("push", "--tokn", TOKEN), ("unrecognized arguments", "values not shown")),
        (("generate", f"--secret={TOKEN}"), ("unrecognized arguments: --secret=…",)),
        (("generate", TOKEN), ("unrecognized arguments: …",)),
        (("diff", "--url", "http://127.0.0.1:1", "--base", "HEAD"), ("agentgrafana plan",)),
        (("diff", "--new", "x"), ("--new needs --old",)),
        (("generate", "--check", "--force"), ("--check writes nothing",)),
        (("frobnicate",), ("invalid choice",)),
        ((), ("required",)),
    ],
)
def test_usage_errors_exit_2_and_never_echo_a_value(project, argv, names) -> None:
    root, out = project
    before = snapshot(out)
    ran = run(*argv)
    assert_clean_failure(ran, 2, *names)
    assert_no_secret(ran.text)
    assert snapshot(out) == before


def test_push_pushes_only_what_was_reviewed(project, monkeypatch) -> None:
    root, out = project
    monkeypatch.setenv("GRAFANA_TOKEN", TOKEN)
    url = "http://127.0.0.1:9"  # never reached: the reviewed-output check comes first
    (root / "dashboards" / "minimal.py").write_text(
        (root / "dashboards" / "minimal.py").read_text().replace("One panel", "Edited, not regenerated")
    )
    ran = run("push", "--root", str(root), "--url", url, "--generated", str(out))
    assert_clean_failure(ran, 2, "is stale", "--from-source")
    ran = run("push", "--root", str(root), "--url", url, "--generated", str(out / "missing"))
    assert_clean_failure(ran, 2, "does not exist", "make generate")
    from hostile_server import HostileGrafana, echo_credentials

    with HostileGrafana() as server:
        server.route("GET", "/api/folders", echo_credentials(500))
        ran = run("push", "--root", str(root), "--url", server.url, "--from-source", "--format", "json")
    assert ran.code == 1 and json.loads(ran.out)["ok"] is False  # --from-source got as far as Grafana
    assert_no_secret(ran.text)


def test_diff_of_garbage_folders_names_the_file(project, tmp_path) -> None:
    root, out = project
    garbage = tmp_path / "garbage"
    (garbage / "dashboards" / "ai-agents").mkdir(parents=True)
    (garbage / "dashboards" / "ai-agents" / "x.json").write_bytes(b"\xff\x00 not json")
    (garbage / "prometheus" / "rules").mkdir(parents=True)
    ran = run("diff", "--root", str(root), "--old", str(garbage), "--new", str(out))
    assert_clean_failure(ran, 2, "dashboards/ai-agents/x.json", "cannot be read")
    ran = run("diff", "--root", str(root), "--old", str(tmp_path / "nope"))
    assert_clean_failure(ran, 2, "is not a folder")
    ran = run("diff", "--root", str(root), "--old", str(garbage), "--new", str(out), "--format", "json")
    assert ran.code == 2 and json.loads(ran.out)["error"]["kind"] == "source"


def _cli(*argv: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "agentgrafana.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        **kw,
    )


def test_a_closed_pipe_exits_141_quietly() -> None:
    proc = _cli("catalog", "--format", "json")
    assert proc.stdout is not None
    proc.stdout.close()  # before the command writes: like `| head` that has already quit
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141 and b"Traceback" not in err and b"BrokenPipe" not in err, err


def test_ctrl_c_exits_130_quietly(tmp_path) -> None:
    root = tmp_path / "project"
    shutil.copytree(MINIMAL, root)
    (root / "dashboards" / "slow.py").write_text(
        "import pathlib, time\npathlib.Path(__file__).with_name('started').touch()\ntime.sleep(60)\n"
        "def dashboard(ctx):\n    return {}\n"
    )
    proc = _cli("generate", "--root", str(root), "--out", str(tmp_path / "out"))
    deadline = time.monotonic() + 60
    while not (root / "dashboards" / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and not (tmp_path / "out").exists()


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(project, monkeypatch) -> None:
    import agentgrafana.cli as cli

    def boom(*_args, **_kw):
        raise RuntimeError("disk gremlins")

    monkeypatch.setattr(cli, "build", boom)
    root, _ = project
    ran = run("validate", "--root", str(root))
    assert_clean_failure(ran, 1, "unexpected error: RuntimeError: disk gremlins", "--debug")
    ran = run("--debug", "validate", "--root", str(root))
    assert ran.code == 1 and "Traceback" in ran.err


def test_a_read_only_sub_folder_cannot_leave_a_mix(project, tmp_path) -> None:
    """The old tree is never written into: a read-only sub-folder (a read-only bind mount here, since root
    ignores permission bits) cannot stop the switch half-way; the whole new tree lands."""
    _, _ = project
    out = tmp_path / "gen"
    assert run("generate", "--root", str(ROOT), "--out", str(out)).code == 0
    rules = out / "prometheus"
    mounted = subprocess.run(["mount", "--bind", str(rules), str(rules)], capture_output=True)
    if mounted.returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot bind-mount in CI: {mounted.stderr.decode()}")
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(rules)], check=True)
        config = tmp_path / "other.yaml"
        config.write_text("thresholds:\n  agent_error_rate_alert: 0.07\nbudgets:\n  daily_usd_default: 90\n")
        expected = tmp_path / "expected"
        assert run("generate", "--root", str(ROOT), "--config", str(config), "--out", str(expected)).code == 0
        ran = run("generate", "--root", str(ROOT), "--config", str(config), "--out", str(out))
        assert ran.code == 0 and "Traceback" not in ran.text, ran.text
        assert snapshot(out) == snapshot(expected)  # dashboards and rule files new alike
    finally:
        for path in tmp_path.glob(".gen.agentgrafana-staging*/prometheus"):
            _umount(path)
        _umount(rules)
    assert run("generate", "--root", str(ROOT), "--config", str(config), "--out", str(out)).code == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".gen")) == []
