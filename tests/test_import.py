"""`agentgrafana import`: eight real public dashboards come in as readable modules and build back to themselves.

The fixtures are unchanged public dashboards (tests/fixtures/import/ORIGINS.md). Equality is checked after the
importer's normalisation (Grafana's own upgrades of old dashboards; instance ids, version and iteration aside),
and the upgrade itself is checked on its own: the old `rows` dashboard keeps every panel, widths from spans, and
a layout without overlaps.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from agentgrafana import config as config_mod
from agentgrafana.board import OWNERSHIP_TAG
from agentgrafana.cli import main
from agentgrafana.importing import compare, migrate, read
from agentgrafana.model import panels_of
from agentgrafana.pipeline import build

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "import"
FILES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".json", ".yaml"))
REASON = "imported as written from a public dashboard; to be reviewed"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def project(tmp: Path) -> Path:
    for part in ("dashboards", "alerts", "recording_rules"):
        shutil.copytree(ROOT / part, tmp / part, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[Path, str]:
    root = project(tmp_path_factory.mktemp("imported"))
    code, out, err = run("import", "--root", str(root), *map(str, FILES), "--accept-findings", REASON)
    assert code == 0, err
    return root, out


def originals() -> dict[str, dict]:
    return {migrate.migrate(f.model)[0]["uid"]: f.model for path in FILES for f in read.read(path)}


def test_the_corpus_is_real_and_varied() -> None:
    models = originals()
    assert len(FILES) >= 8 and len(models) == 9
    schema = {m.get("schemaVersion") for m in models.values()}
    assert min(schema) < 16 and max(schema) >= 39  # old and current
    assert any("rows" in m for m in models.values())
    assert any('"repeat":' in json.dumps(m) and '"repeat": null' not in json.dumps(m) for m in models.values())
    assert any("__inputs" in m for m in models.values())
    text = json.dumps(list(models.values()))
    for needle in ("vllm:", "DCGM_FI_DEV", "node_cpu_seconds_total", "litellm_", "loki"):
        assert needle in text, needle


def test_every_dashboard_builds_back_to_itself(imported) -> None:
    root, _ = imported
    b = build(config_mod.load(None), root)
    by_uid = {d.uid: d for d in b.dashboards}
    for uid, original in originals().items():
        expected = compare.normalise(migrate.migrate(original)[0], OWNERSHIP_TAG)
        got = compare.normalise(json.loads(b.files[f"dashboards/ai-agents/{uid}.json"]), OWNERSHIP_TAG)
        assert compare.differences(expected, got) == [], uid
        assert OWNERSHIP_TAG in by_uid[uid].model["tags"]  # push and prune treat it as the project's
        exprs = [t.get("expr") for p in panels_of(original) for t in p.get("targets") or [] if t.get("expr")]
        built = {t.get("expr") for p in panels_of(by_uid[uid].model) for t in p.get("targets") or []}
        assert set(exprs) <= built  # PromQL (and LogQL) kept to the character
    house = {d.uid for d in b.dashboards if not d.imported}
    for uid in originals():  # not woven into the house navigation, nor the house into it
        links = {link.get("url") for link in by_uid[uid].model.get("links") or []}
        assert not {f"/d/{h}" for h in house} & links


def test_the_modules_read_like_code(imported) -> None:
    root, _ = imported
    modules = sorted(
        p for p in (root / "dashboards").glob("*.py") if "Imported by `agentgrafana import`" in p.read_text()
    )
    assert len(modules) == 9
    for path in modules:
        text = path.read_text()
        assert max(len(line) for line in text.splitlines()) <= 120, path.name
        doc = text.split('"""')[1]
        assert "imported from" in doc and "tests/fixtures/import/" in doc, path.name
        compile(text, str(path), "exec")
    vllm = (root / "dashboards" / "vllm_dashboard.py").read_text()
    panels = [p for p in panels_of(originals()["750918234"]) if p["type"] != "row"]
    assert vllm.count("board.add(") + vllm.count("row.add(") == len(panels) > 10  # a call per panel, not one blob
    assert "Target(" in vllm and "board.row(" in vllm
    assert "board.variable(" in (root / "dashboards" / "node_exporter_full.py").read_text()
    loki = (root / "dashboards" / "loki_logs.py").read_text()
    # LogQL on the Loki datasource variable stays a Loki target (a dict), never a PromQL Target
    assert (
        "targets=[\n                {\n                    'expr': (\n                        'sum(rate({cluster="
        in loki
    )


def test_an_old_rows_dashboard_is_laid_out_as_grafana_does() -> None:
    (old,) = read.read(FIXTURES / "node-exporter-full-old-rows.json")
    model, notes = migrate.migrate(old.model)
    rows = old.model["rows"]
    before = {p["id"]: p for r in rows for p in r["panels"]}
    after = {p["id"]: p for p in panels_of(model) if p["type"] != "row"}
    assert set(before) == set(after) and len(rows) == 19
    assert sum(1 for p in model["panels"] if p["type"] == "row") == 19  # rows had titles: row panels
    for pid, p in before.items():
        assert after[pid]["gridPos"]["w"] == int(p.get("span") or 4) * 2, pid  # 12 spans -> 24 columns
        assert "span" not in after[pid]
    # the expanded rows' panels must not overlap (a row panel keeps its row's height, as Grafana's migration sets
    # it, but is drawn one unit high)
    placed = [(p["gridPos"], p["id"]) for p in model["panels"] if p["type"] != "row"]
    for i, (a, ida) in enumerate(placed):
        for b, idb in placed[i + 1 :]:
            overlap = a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and a["y"] < b["y"] + b["h"]
            assert not (overlap and b["y"] < a["y"] + a["h"]), (ida, idb)
    ys = [p["gridPos"]["y"] for p in model["panels"]]
    assert ys == sorted(ys)
    assert model["templating"]["list"][0]["name"] == "datasource"  # ${DS_LOCALHOST} became the variable
    assert "${DS_LOCALHOST}" not in json.dumps(model) and "__inputs" not in model
    assert any("rows laid out" in n for n in notes) and any("DS_LOCALHOST" in n for n in notes)


def test_unknown_metrics_go_to_the_projects_catalog_with_inferred_types(imported) -> None:
    root, out = imported
    catalog = yaml.safe_load((root / "catalog.yaml").read_text())
    metrics = {m["name"]: m for m in catalog["metrics"]}
    assert all(m["source"] == "imported" for m in metrics.values())
    assert metrics["node_cpu_seconds_total"]["type"] == "counter"
    assert {"cpu", "mode", "instance"} <= set(metrics["node_cpu_seconds_total"]["labels"]) | {"instance"}
    assert metrics["litellm_request_total_latency_metric"]["type"] == "histogram"  # _bucket under a quantile
    assert metrics["node_memory_MemTotal_bytes"]["type"] == "gauge"
    assert "quantile" in metrics["go_gc_duration_seconds"]["labels"]  # from `by (quantile)`
    assert "DCGM_FI_DEV_GPU_TEMP" not in metrics  # the catalog knows dcgm-exporter already
    assert "review: litellm_request_total_latency_metric: a histogram; its buckets are unknown" in out


def test_findings_are_information_at_import_and_fail_generation_until_excluded(tmp_path: Path) -> None:
    root = project(tmp_path)
    litellm = FIXTURES / "litellm-prod-v2.json"
    code, out, _ = run("import", "--root", str(root), str(litellm))
    assert code == 0
    assert "lint finding(s) in the imported dashboards" in out
    assert "rate() uses a fixed window" in out and "(target-promql)" in out
    code, _, err = run("generate", "--root", str(root), "--out", str(tmp_path / "gen"))
    assert code != 0 and "dashboards/litellm_prod_v2.py" in err and not (tmp_path / "gen").exists()
    code, out, _ = run("import", "--root", str(root), str(litellm), "--accept-findings", REASON)
    assert code == 0 and "generate is clean" in out
    exclusions = yaml.safe_load((root / "lint-exclusions.yaml").read_text())["exclusions"]
    assert {e["reason"] for e in exclusions} == {REASON}
    assert {e["object"] for e in exclusions} == {"dashboard be059pwgrlg5cf"}
    for check in ((), ("--check",)):
        code, _, err = run("generate", "--root", str(root), "--out", str(tmp_path / "gen"), *check)
        assert code == 0, err


def test_import_check_reports_a_deliberate_difference(imported, tmp_path: Path) -> None:
    root, _ = imported
    dcgm = FIXTURES / "nvidia-dcgm-exporter.json"
    code, out, _ = run("import", "--check", "--root", str(root), str(dcgm))
    assert code == 0 and "equals it" in out
    module = root / "dashboards" / "nvidia_dcgm_exporter_dashboard.py"
    text = module.read_text()
    try:
        module.write_text(text.replace("'GPU Temperature'", "'GPU temperature (°C)'", 1))
        code, out, _ = run("import", "--check", "--root", str(root), str(dcgm))
        assert code == 1
        assert "panels[0].title: 'GPU Temperature' -> 'GPU temperature (°C)'" in out.replace('"', "'") or (
            "title: 'GPU Temperature' -> 'GPU temperature (°C)'" in out
        )
    finally:
        module.write_text(text)


def test_api_exports_and_resource_files_import_to_the_same_module(tmp_path: Path) -> None:
    model = json.loads((FIXTURES / "nvidia-dcgm-exporter.json").read_text())
    shapes = {
        "export.json": {"dashboard": model, "meta": {"folderUid": "x", "version": 3}},
        "resource.json": {
            "apiVersion": "dashboard.grafana.app/v1beta1",
            "kind": "Dashboard",
            "metadata": {"name": model["uid"], "namespace": "default"},
            "spec": model,
        },
    }
    texts = []
    for name, data in shapes.items():
        root = project(tmp_path / name)
        (tmp_path / name / name).write_text(json.dumps(data))
        code, _, err = run("import", "--root", str(root), str(tmp_path / name / name), "--accept-findings", REASON)
        assert code == 0, err
        text = (root / "dashboards" / "nvidia_dcgm_exporter_dashboard.py").read_text()
        texts.append(text.split('"""', 2)[2])  # the code, not the docstring naming the file
    assert texts[0] == texts[1]


def test_a_v2_resource_file_is_read_back_as_classic(tmp_path: Path) -> None:
    v2 = build(config_mod.from_mapping({"grafana": {"dashboard_schema": "v2"}}), ROOT)
    path, body = next((p, b) for p, b in v2.files.items() if p.startswith("grafana/resources/") and "overview" in p)
    (tmp_path / "overview.json").write_bytes(body)
    (found,) = read.read(tmp_path / "overview.json")
    assert found.model["uid"] == "agent-overview" and found.model["panels"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON at line 1"),
        ('{"title": "no panels"}', "no dashboard found"),
        ("kind: ConfigMap\ndata:\n  a.json: '{broken'\n", "data.a.json: not dashboard JSON"),
        ("- a\n- : b: c\n", "invalid YAML"),
    ],
)
def test_bad_input_names_the_file_and_writes_nothing(tmp_path: Path, content: str, message: str) -> None:
    root = project(tmp_path / "p")
    bad = tmp_path / ("bad.json" if content.startswith("{") else "bad.yaml")
    bad.write_text(content)
    before = sorted(p.name for p in (root / "dashboards").iterdir())
    code, _, err = run("import", "--root", str(root), str(bad))
    assert code == 2 and str(bad) in err and message in err
    assert sorted(p.name for p in (root / "dashboards").iterdir()) == before
    assert not (root / "catalog.yaml").exists()


def test_it_never_overwrites_a_module_it_did_not_write(tmp_path: Path) -> None:
    root = project(tmp_path)
    mine = root / "dashboards" / "nvidia_dcgm_exporter_dashboard.py"
    mine.write_text('"""My own dashboard."""\n')
    code, _, err = run("import", "--root", str(root), str(FIXTURES / "nvidia-dcgm-exporter.json"))
    assert code == 2 and "was not written by `agentgrafana import`" in err
    assert mine.read_text() == '"""My own dashboard."""\n'


def test_a_uid_clash_is_not_excluded_away(tmp_path: Path) -> None:
    model = json.loads((FIXTURES / "nvidia-dcgm-exporter.json").read_text())
    model["uid"] = "agent-overview"  # the house overview's
    (tmp_path / "clash.json").write_text(json.dumps(model))
    root = project(tmp_path / "p")
    code, _, err = run("import", "--root", str(root), str(tmp_path / "clash.json"), "--accept-findings", REASON)
    assert code == 2 and "cannot be excluded" in err and "nothing written" in err
    assert not (root / "dashboards" / "nvidia_dcgm_exporter_dashboard.py").exists()
    assert not (root / "lint-exclusions.yaml").exists() and not (root / "catalog.yaml").exists()


def test_library_panels_stay_references_and_are_said_to(tmp_path: Path) -> None:
    model = {
        "uid": "lib",
        "title": "With a library panel",
        "schemaVersion": 39,
        "panels": [
            {
                "id": 1,
                "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8},
                "title": "Shared",
                "type": "timeseries",
                "libraryPanel": {"uid": "abc123", "name": "Shared latency"},
            },
        ],
    }
    (tmp_path / "lib.json").write_text(json.dumps(model))
    root = project(tmp_path / "p")
    code, out, err = run("import", "--root", str(root), str(tmp_path / "lib.json"), "--accept-findings", REASON)
    assert code == 0, err
    assert "library panels kept as references" in out and "abc123" in out
    built = build(config_mod.load(None), root)
    (panel,) = [p for d in built.dashboards if d.uid == "lib" for p in d.model["panels"]]
    assert panel["libraryPanel"] == {"uid": "abc123", "name": "Shared latency"}


@pytest.mark.live
def test_the_live_check_says_an_imported_dashboard_is_not_simulated(
    tmp_path: Path, prometheus_binary: str, promtool: str
) -> None:
    root = project(tmp_path)
    code, _, err = run(
        "import", "--root", str(root), str(FIXTURES / "litellm-prod-v2.json"), "--accept-findings", REASON
    )
    assert code == 0, err
    code, out, err = run("verify-live", "--root", str(root))
    assert code == 0, out + err
    assert "NOT CHECKED LiteLLM Prod v2: imported, its metrics are not simulated" in out
