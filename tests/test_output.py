"""Generated files: deterministic, atomic, minimal rewrites, valid for Grafana's provisioning and the sidecar."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.catalog import CATALOG
from agentgrafana.cli import main
from agentgrafana.lint import ValidationFailed
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build
from agentgrafana.promql import analyze, expand_variables
from agentgrafana.writer import MANIFEST, compare, write_tree

ROOT = Path(__file__).resolve().parents[1]
GRAFANALIB_PROJECT = ROOT / "tests" / "fixtures" / "grafanalib_project"


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_two_runs_with_different_hash_seeds_write_identical_trees(tmp_path: Path) -> None:
    trees = []
    for seed in ("1", "4242"):
        out = tmp_path / f"out-{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, str(ROOT / "generate.py"), "--out", str(out)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        trees.append(_tree(out))
    assert trees[0] == trees[1]
    assert len(trees[0]) > 10


def test_committed_generated_tree_is_fresh(default_build) -> None:
    """The drift check CI relies on: generated/ in the repository equals a fresh generation."""
    changes = compare(ROOT / "generated", default_build.files)
    assert changes.clean, (
        f"generated/ is stale (run `make generate`): changed={changes.changed} "
        f"missing={changes.added} extra={changes.removed}"
    )


def test_check_fails_on_a_hand_edit_and_passes_after_generate(tmp_path: Path, capsys) -> None:
    out = tmp_path / "gen"
    assert main(["generate", "--root", str(ROOT), "--out", str(out)]) == 0
    assert main(["generate", "--check", "--root", str(ROOT), "--out", str(out)]) == 0
    victim = next(out.glob("dashboards/*/agent-overview.json"))
    victim.write_text(victim.read_text().replace("Total requests", "Total requests!"))
    (out / "stray.json").write_text("{}")  # not ours (not in the manifest): never reported, never removed
    capsys.readouterr()
    assert main(["generate", "--check", "--root", str(ROOT), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"stale: {out}/{victim.relative_to(out).as_posix()}" in err
    assert "stray.json" not in err
    assert main(["generate", "--root", str(ROOT), "--out", str(out)]) == 0
    assert main(["generate", "--check", "--root", str(ROOT), "--out", str(out)]) == 0
    assert (out / "stray.json").read_text() == "{}"


def test_check_names_outputs_that_are_no_longer_generated(tmp_path: Path, capsys) -> None:
    config = tmp_path / "tenants.yaml"
    config.write_text("budgets:\n  tenants: {acme: 250}\n  per_tenant_dashboards: true\n")
    out = tmp_path / "gen"
    assert main(["generate", "--root", str(ROOT), "--config", str(config), "--out", str(out)]) == 0
    capsys.readouterr()
    assert (
        main(["generate", "--check", "--root", str(ROOT), "--config", str(tmp_path / "none.yaml"), "--out", str(out)])
        == 2
    )  # a missing configuration file is a usage error
    plain = tmp_path / "plain.yaml"
    plain.write_text("budgets:\n  tenants: {acme: 250}\n")
    capsys.readouterr()
    assert main(["generate", "--check", "--root", str(ROOT), "--config", str(plain), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"not generated any more: {out}/dashboards/ai-agents-acme/agent-cost-acme.json" in err


def test_only_changed_files_are_rewritten_and_stale_ones_removed(tmp_path: Path, default_build) -> None:
    out = tmp_path / "gen"
    write_tree(out, default_build.files)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    files = dict(default_build.files)
    changed_path = next(iter(sorted(files)))
    files[changed_path] = files[changed_path] + b"\n"
    removed_path = sorted(files)[-1]
    del files[removed_path]
    os.utime(out / changed_path, ns=(0, 0))
    changes = write_tree(out, files)
    assert changes.changed == [changed_path] and changes.removed == [removed_path] and not changes.added
    assert not (out / removed_path).exists()
    untouched = [p for p in mtimes if p.relative_to(out).as_posix() not in (changed_path, removed_path, MANIFEST)]
    assert all(p.stat().st_mtime_ns == mtimes[p] for p in untouched)
    assert not list(out.rglob("*.tmp"))


def test_output_is_sorted_indented_utf8_json_with_trailing_newline(default_build) -> None:
    def sorted_everywhere(pairs):
        keys = [k for k, _ in pairs]
        assert keys == sorted(keys), keys
        return dict(pairs)

    for path, body in default_build.files.items():
        assert body.endswith(b"\n") and not body.endswith(b"\n\n"), path
        if path.endswith(".json"):
            text = body.decode("utf-8")
            data = json.loads(text, object_pairs_hook=sorted_everywhere)
            assert text.startswith('{\n  "')
            assert all((len(line) - len(line.lstrip(" "))) % 2 == 0 for line in text.splitlines())
            assert json.loads(text) == data
    gpu = default_build.files["dashboards/ai-agents/agent-gpu.json"].decode("utf-8")
    assert "°C" in gpu and "\\u00b0" not in gpu  # UTF-8 as written, not escaped


def test_configmaps_round_trip_to_the_dashboard_json(default_build) -> None:
    cfg = config_mod.load(ROOT / "monitoring.yaml")
    for d in default_build.dashboards:
        cm = yaml.safe_load(default_build.files[f"kubernetes/dashboards/{d.folder.uid}/{d.uid}.yaml"])
        assert cm["kind"] == "ConfigMap" and cm["metadata"]["namespace"] == cfg.kubernetes.namespace
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert cm["metadata"]["annotations"]["grafana_folder"] == d.folder.title
        ((key, text),) = cm["data"].items()
        assert key == f"{d.uid}.json"
        assert "\n" not in text.rstrip("\n")  # compact: the indented copy is the file under dashboards/
        assert json.loads(text) == json.loads(default_build.files[f"dashboards/{d.folder.uid}/{d.uid}.json"])


def test_configmap_json_survives_characters_yaml_reads_as_line_breaks() -> None:
    from agentgrafana.emit import compact_json_bytes
    from agentgrafana.emit.dashboards import configmap
    from agentgrafana.model import DashboardOut, Folder

    model = {"uid": "u", "title": "Line\u2028separator \u0085 and # not a comment: {x}", "panels": []}
    d = DashboardOut("u", model["title"], Folder("f", "F: folder"), model, "dashboards/x.py")
    cm = yaml.safe_load(configmap(config_mod.Config(), d, compact_json_bytes(model)))
    assert json.loads(cm["data"]["u.json"]) == model
    assert cm["metadata"]["annotations"]["grafana_folder"] == "F: folder"


def test_provisioning_points_each_folder_at_its_files(default_build) -> None:
    prov = yaml.safe_load(default_build.files["grafana/provisioning/dashboards/agentgrafana.yaml"])
    assert prov["apiVersion"] == 1
    (provider,) = prov["providers"]
    assert provider["folderUid"] == "ai-agents" and provider["type"] == "file"
    assert provider["options"]["path"].endswith("/ai-agents")


def test_every_dashboard_meets_the_house_rules(default_build) -> None:
    assert default_build.dashboards  # a property of every dashboard, whatever the content holds
    for d in default_build.dashboards:
        m = d.model
        assert m["schemaVersion"] == 42
        names = {v["name"] for v in m["templating"]["list"]}
        queries = " ".join(str(t.get("expr", "")) for p in panels_of(m) for t in p.get("targets") or [])
        assert "datasource" in names, d.uid
        for shared in ("tenant", "agent", "model"):  # a shared variable exactly where some panel honours it
            assert (shared in names) == (f"${shared}" in queries), (d.uid, shared)
        assert "managed-by-agentgrafana" in m["tags"]
        link_targets = {link["url"] for link in m["links"]}
        assert link_targets == {f"/d/{o.uid}" for o in default_build.dashboards if o.uid != d.uid}
        for p in m["panels"]:
            if p["type"] == "row":
                continue
            if p["type"] not in ("text", "alertlist"):  # they query nothing: no unit
                assert p["fieldConfig"]["defaults"]["unit"], (d.uid, p["title"])
            assert p["description"], (d.uid, p["title"])


def test_every_prometheus_panel_reads_only_catalog_metrics_or_recording_rules(default_build) -> None:
    recorded = {r.record for r in default_build.recording_rules}
    known = {name for m in CATALOG for name in m.series_names()} | recorded
    seen: set[str] = set()
    for d in default_build.dashboards:
        for p in d.model["panels"]:
            for t in p.get("targets", []):
                if t.get("datasource", {}).get("type") != "prometheus":
                    continue
                metrics = analyze(
                    expand_variables(t["expr"]), CATALOG, {r: frozenset({"tenant_id", "agent_name"}) for r in recorded}
                ).metrics
                assert metrics, (d.uid, p["title"])
                assert metrics <= known, (d.uid, p["title"], metrics - known)
                seen |= metrics
    # raw series (GPUs; request buckets for the exemplars) and the rules summing counters over pods (spend)
    assert {
        "DCGM_FI_DEV_GPU_UTIL",
        "agent_request_duration_seconds_bucket",
        "model_tenant_id:llm_cost_dollars:rate5m",
    } <= seen


def test_gpu_queries_work_with_either_hostname_label(default_build) -> None:
    gpu = next(d for d in default_build.dashboards if d.uid == "agent-gpu")
    for p in gpu.model["panels"]:
        for t in p.get("targets", []):
            if "DCGM_" in t["expr"]:
                assert '"Hostname", "(.+)"' in t["expr"] and '"hostname", "(.+)"' in t["expr"], p["title"]


def test_grafanalib_module_goes_through_the_same_validation_and_output() -> None:
    result = build(config_mod.Config(), GRAFANALIB_PROJECT)
    (d,) = result.dashboards
    assert d.uid == "agent-legacy-llm"
    assert "dashboards/ai-agents/agent-legacy-llm.json" in result.files
    assert "kubernetes/dashboards/ai-agents/agent-legacy-llm.yaml" in result.files
    assert d.model["panels"][0]["targets"][0]["expr"].startswith("histogram_quantile(0.95")


def test_a_broken_grafanalib_expression_is_rejected(tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(GRAFANALIB_PROJECT, project)
    module = project / "dashboards" / "legacy_llm.py"
    module.write_text(
        module.read_text().replace(
            '"llm_inference_duration_seconds", ["model"]', '"llm_inference_duration_seconds", ["agent_name"]'
        )
    )
    with pytest.raises(ValidationFailed) as info:
        build(config_mod.Config(), project)
    texts = [f.text() for f in info.value.findings]
    assert any(
        "dashboard agent-legacy-llm" in t
        and 'panel "LLM P95 by model"' in t
        and "label 'agent_name' does not exist" in t
        for t in texts
    ), texts


def test_per_tenant_dashboards_fix_the_tenant_in_their_own_folder() -> None:
    cfg = config_mod.from_mapping({"budgets": {"tenants": {"acme": 250, "globex": 80}, "per_tenant_dashboards": True}})
    result = build(cfg, ROOT)
    tenant_boards = {d.uid: d for d in result.dashboards if d.folder.uid != "ai-agents"}
    assert set(tenant_boards) == {"agent-cost-acme", "agent-cost-globex"}
    acme = tenant_boards["agent-cost-acme"]
    assert acme.folder.uid == "ai-agents-acme"
    tenant_var = next(v for v in acme.model["templating"]["list"] if v["name"] == "tenant")
    assert tenant_var["type"] == "constant" and tenant_var["query"] == "acme"
    assert "$250.00" in acme.model["description"]
    prov = yaml.safe_load(result.files["grafana/provisioning/dashboards/agentgrafana.yaml"])
    assert {p["folderUid"] for p in prov["providers"]} == {"ai-agents", "ai-agents-acme", "ai-agents-globex"}
    # one tenant's own dashboard compares no tenants: its budget use as a figure instead of bars by tenant
    titles = [p["title"] for p in panels_of(acme.model)]
    assert not [t for t in titles if "by tenant" in t or "Top tenants" in t or "Tenants over" in t], titles
    assert {"Daily budget used", "Monthly budget used"} <= set(titles)
    main_titles = [p["title"] for d in result.dashboards if d.uid == "agent-cost" for p in panels_of(d.model)]
    assert "Cost by tenant" in main_titles and "Daily budget used" not in main_titles


def test_the_cost_dashboard_lists_the_tenants_past_80_percent_of_their_budget(default_build) -> None:
    cost = next(d for d in default_build.dashboards if d.uid == "agent-cost")
    table = next(p for p in panels_of(cost.model) if p["title"].startswith("Tenants over 80"))
    expr = table["targets"][0]["expr"]
    assert expr.startswith("sort_desc(") and expr.rstrip(")").endswith("> 0.8")
    assert "tenant_id:llm_cost_budget:utilisation24h" in expr and table["targets"][0].get("instant") is True
    renames = table["transformations"][0]["options"]["renameByName"]
    assert renames["budget_usd"] == "Daily budget (USD)" and renames["Value"] == "Used"


def test_a_dashboard_too_large_for_a_configmap_is_refused_before_writing(tmp_path: Path, capsys) -> None:
    project = tmp_path / "p"
    shutil.copytree(GRAFANALIB_PROJECT, project)
    module = project / "dashboards" / "legacy_llm.py"
    module.write_text(
        module.read_text().replace(
            'description="Kept in grafanalib while the team migrates."', 'description="x" * (1024 * 1024)'
        )
    )
    out = tmp_path / "out"
    assert main(["generate", "--root", str(project), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "kubernetes/dashboards/ai-agents/agent-legacy-llm.yaml" in err
    assert "over the 1 MiB limit" in err and "(configmap-size)" in err
    assert not out.exists()


def test_a_tenant_name_that_cannot_make_a_folder_uid_is_a_configuration_error() -> None:
    with pytest.raises(config_mod.ConfigError, match=r"budgets\.tenants\.acme corp: tenant names must be 1-40"):
        config_mod.from_mapping({"budgets": {"tenants": {"acme corp": 10}}})
    with pytest.raises(
        config_mod.ConfigError,
        match=r"budgets\.tenants\.x{30}: the tenant's folder uid "
        r"'ai-agents-x{30}' would be 40|dashboard uid",
    ):
        config_mod.from_mapping({"budgets": {"tenants": {"x" * 30: 10}, "per_tenant_dashboards": True}})
    config_mod.from_mapping({"budgets": {"tenants": {"x" * 30: 10}}})  # no tenant dashboards: no uid to form


def test_the_overview_first_row_measures_one_window(default_build) -> None:
    """Total requests, success rate, mean and P99 latency all cover the selected range, as instant queries:
    no stat next to them is the last point of a rate interval."""
    overview = next(d for d in default_build.dashboards if d.uid == "agent-overview")
    panels = overview.model["panels"]
    first_row = []
    for p in panels[1:]:
        if p["type"] == "row":
            break
        first_row.append(p)
    stats = {
        p["title"]: p["targets"]
        for p in first_row
        if p["title"] in ("Total requests", "Success rate", "Average latency", "P99 latency")
    }
    assert len(stats) == 4
    for title, targets in stats.items():
        for t in targets:
            assert t.get("instant") is True, title
            assert "[$__range]" in t["expr"] and "$__rate_interval" not in t["expr"], title


def test_range_figures_read_raw_counters_when_rules_run_too_rarely_to_sum() -> None:
    """Summing recorded 5-minute rates over a range needs samples that tile their 5-minute windows: with a
    2-minute rule interval (5 minutes are not whole intervals) the Overview's range figures read raw counters."""
    from agentgrafana.config import from_mapping
    from agentgrafana.model import panels_of
    from agentgrafana.pipeline import build

    for interval, recorded in (("1m", True), ("30s", True), ("2m", False)):
        b = build(from_mapping({"alerting": {"group_interval": interval}}), ROOT)
        overview = next(d for d in b.dashboards if d.uid == "agent-overview")
        total = next(p for p in panels_of(overview.model) if p["title"] == "Total requests")["targets"][0]["expr"]
        assert ("sum_over_time(" in total) is recorded, (interval, total)
        assert ("increase(agent_request_duration_seconds_count{" in total) is not recorded, (interval, total)


def test_only_a_rate_or_an_increase_reads_the_pod_summed_rules() -> None:
    """The rules record 5-minute rates: a dashboard's rate over $__rate_interval and increase over $__range read
    them; irate, changes, or a rate over a fixed window must still read the raw counter."""
    from agentgrafana.context import queries_for

    q = queries_for(config_mod.from_mapping({}))
    record, _ = q.aggregated("agent_errors_total") or ("", [])
    q.recorded = {record}
    assert record in q.rate("agent_errors_total", ["agent_name"])
    assert f"sum_over_time({record}{{" in q.increase("agent_errors_total", ["agent_name"], "$__range")
    for fn, window in (("irate", "5m"), ("rate", "5m"), ("increase", "$__rate_interval"), ("changes", "15m")):
        expr = q.rate("agent_errors_total", ["agent_name"], window, fn=fn)
        assert expr.startswith(f"sum by (agent_name) ({fn}(agent_errors_total{{"), (fn, window, expr)
