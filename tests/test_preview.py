"""Previews: valid PNGs of the expected size, one box per panel, data drawn when recorded, changes lit."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")
from matplotlib import image as mpimg  # noqa: E402

from agentgrafana.model import Build, DashboardOut, Folder  # noqa: E402
from agentgrafana.preview import layout, parse_results, preview_command  # noqa: E402
from agentgrafana.preview.render import HEADER, UNIT, WIDTH, render_dashboard  # noqa: E402
from agentgrafana.preview.units import format_value  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def p(pid: int, ptype: str, title: str, x: int, y: int, w: int, h: int, **extra: Any) -> dict[str, Any]:
    out = {"id": pid, "type": ptype, "title": title, "gridPos": {"x": x, "y": y, "w": w, "h": h}, **extra}
    if ptype != "row":
        out.setdefault(
            "targets",
            [{"refId": "A", "expr": f'sum(rate(metric_{pid}_total{{tenant_id=~"$tenant"}}[$__rate_interval]))'}],
        )
    return out


def model(uid: str = "agent-overview") -> dict[str, Any]:
    return {
        "uid": uid,
        "title": "Agent overview",
        "tags": ["ai-agents"],
        "panels": [
            p(1, "row", "Right now", 0, 0, 24, 1),
            p(
                2,
                "stat",
                "Success rate",
                0,
                1,
                8,
                5,
                fieldConfig={
                    "defaults": {
                        "unit": "percentunit",
                        "thresholds": {"steps": [{"color": "red", "value": None}, {"color": "green", "value": 0.95}]},
                    }
                },
            ),
            p(3, "stat", "Active sessions", 8, 1, 8, 5),
            p(4, "bargauge", "Cost by tenant", 16, 1, 8, 5),
            p(5, "row", "Traffic", 0, 6, 24, 1),
            p(6, "timeseries", "Request rate by agent", 0, 7, 12, 8),
            p(7, "table", "Slowest tools", 12, 7, 12, 8),
            {
                **p(8, "row", "Details", 0, 15, 24, 1),
                "collapsed": True,
                "panels": [p(9, "timeseries", "Tokens", 0, 16, 24, 6)],
            },
            p(10, "text", "Notes", 0, 16, 24, 3),
        ],
    }


def series(n: int, base: float) -> list[dict[str, Any]]:
    return [
        {
            "labels": {"agent_name": f"agent-{i}"},
            "values": [[1_700_000_000 + 60 * k, base * (i + 1) + k] for k in range(30)],
        }
        for i in range(n)
    ]


RESULTS = {
    "dashboards": {
        "agent-overview": {
            "2": series(1, 0.97),
            "3": series(2, 5),
            "4": series(3, 10),
            "6": series(3, 1),
            "7": series(2, 0.2),
            "9": [],
        }
    }
}


def read_png(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    img = mpimg.imread(path)
    return img.shape[1], img.shape[0]


def test_layout_opens_collapsed_rows_and_pushes_panels_down() -> None:
    placed = {x.key: (x.x, x.y, x.w, x.h) for x in layout(model())}
    assert placed["id:9"] == (0, 16, 24, 6)  # under its row
    assert placed["id:10"] == (0, 22, 24, 3)  # pushed below the opened row


def test_png_has_expected_size_and_one_box_per_panel(tmp_path: Path) -> None:
    m = model()
    out = tmp_path / "agent-overview.png"
    boxes = render_dashboard(m, out, parse_results(RESULTS)["agent-overview"], changed={"id:6"})
    panels = [b for b in boxes if b.content != "row"]
    assert len(panels) == 7 and len(boxes) == 10
    assert read_png(out) == (WIDTH, HEADER + 25 * UNIT + 16)
    content = {b.key: b.content for b in panels}
    assert content == {
        "id:2": "value",
        "id:3": "value",
        "id:4": "bars",
        "id:6": "series",
        "id:7": "table",
        "id:9": "placeholder",
        "id:10": "text",  # its Markdown, not "no data"
    }
    assert [b.key for b in boxes if b.highlighted] == ["id:6"]
    for b in panels:  # inside the picture, no two panels overlap
        assert 0 <= b.x and b.x + b.w <= WIDTH and HEADER <= b.y
    for i, a in enumerate(panels):
        for b in panels[i + 1 :]:
            assert a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y


def test_light_theme_and_empty_dashboard(tmp_path: Path) -> None:
    boxes = render_dashboard({"uid": "empty", "title": "Nothing yet", "panels": []}, tmp_path / "e.png", theme="light")
    assert boxes == [] and read_png(tmp_path / "e.png")[0] == WIDTH


def test_pie_with_data(tmp_path: Path) -> None:
    m = {"uid": "share", "title": "Share", "panels": [p(1, "piechart", "Model cost share", 0, 0, 12, 8)]}
    boxes = render_dashboard(
        m, tmp_path / "s.png", parse_results({"dashboards": {"share": {"1": series(3, 2)}}})["share"]
    )
    assert [b.content for b in boxes] == ["pie"]
    assert read_png(tmp_path / "s.png") == (WIDTH, HEADER + 8 * UNIT + 16)


def test_units() -> None:
    assert format_value(0.973, "percentunit") == "97.3%"
    assert format_value(0.0123, "s") == "12.3 ms"
    assert format_value(12.345, "currencyUSD") == "$12.35"
    assert format_value(0.00042, "currencyUSD") == "$0.00042"
    assert format_value(None) == "—"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd, check=True, capture_output=True
    )


def test_command_writes_one_png_per_dashboard_with_data_and_base(tmp_path: Path) -> None:
    folder = Folder("ai-agents", "AI agents")
    old_model, new_model = model(), model()
    new_model["panels"][5]["targets"][0]["expr"] = "sum(rate(other_total[5m]))"
    other = {"uid": "gpu", "title": "GPU fleet", "panels": [p(1, "stat", "GPUs", 0, 0, 6, 4)]}
    _git(tmp_path, "init", "-q", "-b", "main")
    gen = tmp_path / "generated" / "dashboards" / "ai-agents"
    gen.mkdir(parents=True)
    (gen / "agent-overview.json").write_text(json.dumps(old_model, indent=2, sort_keys=True))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "base")
    files = {
        f"dashboards/ai-agents/{m['uid']}.json": json.dumps(m, indent=2, sort_keys=True).encode()
        for m in (new_model, other)
    }
    build = Build(
        dashboards=[DashboardOut(m["uid"], m["title"], folder, m, "dashboards/x.py") for m in (new_model, other)],
        rule_groups=[],
        grafana_rule_groups=[],
        files=files,
    )
    data = tmp_path / "build" / "live-results.json"
    data.parent.mkdir()
    data.write_text(json.dumps(RESULTS))
    out, err = io.StringIO(), io.StringIO()
    args = argparse.Namespace(root=str(tmp_path), config=None, out=tmp_path / "prev", base="HEAD", data=None)
    assert preview_command(args, lambda a: build, out, err) == 0, err.getvalue()
    assert sorted(x.name for x in (tmp_path / "prev").iterdir()) == ["agent-overview.png", "gpu.png"]
    text = out.getvalue()
    assert "agent-overview.png: 7 panels, 5 of 6 with data, 1 highlighted" in text
    assert "gpu.png: 1 panel, 0 of 1 with data, 1 highlighted" in text  # new since base: every panel lit
    assert f"data from {data}" in text
    args.data = tmp_path / "missing.json"
    assert preview_command(args, lambda a: build, io.StringIO(), err) == 2
    assert "cannot read query results" in err.getvalue()


def test_a_series_is_named_by_its_rendered_legend_like_grafana() -> None:
    from agentgrafana.live.check import legend_name
    from agentgrafana.preview.data import parse_results

    labels = {"agent_name": "code-agent", "slo": "agent-availability"}
    doc = {
        "dashboards": {
            "d": {"1": [{"labels": labels, "values": [[1, 2.0]], "legend": legend_name("{{agent_name}} 1h", labels)}]}
        }
    }
    (series,) = parse_results(doc)["d"]["1"]
    assert series.name == "code-agent 1h"
    (plain,) = parse_results({"dashboards": {"d": {"1": [{"labels": labels, "values": [[1, 2.0]]}]}}})["d"]["1"]
    assert plain.name == "code-agent, agent-availability"  # older results files: the label values


# --- fidelity: what is drawn is what Grafana would show ------------------------------------------------------
def _panel_id(model: dict, title: str) -> str:
    from agentgrafana.model import panels_of

    return str(next(p["id"] for p in panels_of(model) if p.get("title") == title))


def _series(labels: dict, legend: str, points: list[tuple[float, float]]) -> dict:
    return {"labels": labels, "legend": legend, "values": [[t, v] for t, v in points]}


def test_previews_draw_heatmap_cells_named_quantiles_threshold_lines_and_threshold_coloured_bars(
    default_build, tmp_path
) -> None:
    from agentgrafana.preview.render import NAMED_COLORS

    models = {d.uid: d.model for d in default_build.dashboards}
    perf, cost = models["agent-performance"], models["agent-cost"]
    t = [1_800_000_000 + 60 * i for i in range(10)]
    heat = _panel_id(perf, "Latency distribution")
    quant = _panel_id(perf, "Agent latency P50 / P95 / P99")
    perf_results = parse_results(
        {
            "dashboards": {
                "agent-performance": {
                    heat: [
                        _series({"le": le}, le, [(x, c) for x in t])
                        for le, c in (("0.5", 1.0), ("1", 3.0), ("+Inf", 4.0))
                    ],
                    quant: [
                        _series({"agent_name": "support-bot"}, f"P{q} support-bot", [(x, v) for x in t])
                        for q, v in (("50", 1.0), ("95", 4.0), ("99", 12.0))
                    ],
                }
            }
        }
    )["agent-performance"]
    boxes = {b.title: b for b in render_dashboard(perf, tmp_path / "p.png", perf_results)}
    assert boxes["Latency distribution"].content == "heatmap"
    assert ("cells", 10, 3) in boxes["Latency distribution"].marks  # three buckets, ten steps
    marks = boxes["Agent latency P50 / P95 / P99"].marks
    assert {("line", f"P{q} support-bot") for q in ("50", "95", "99")} <= set(marks)  # legendFormat honoured
    assert ("threshold", 10.0, NAMED_COLORS["red"], "dashed") in marks  # the P99 alert, dashed as in Grafana

    budget = _panel_id(cost, "Daily budget utilisation by tenant")
    cost_results = parse_results(
        {
            "dashboards": {
                "agent-cost": {
                    budget: [
                        _series({"tenant_id": "acme"}, "acme", [(t[-1], 0.4)]),
                        _series({"tenant_id": "globex"}, "globex", [(t[-1], 1.55)]),
                    ]
                }
            }
        }
    )["agent-cost"]
    bars = next(
        b for b in render_dashboard(cost, tmp_path / "c.png", cost_results) if b.title.startswith("Daily budget")
    )
    assert bars.content == "bars"
    assert bars.marks[0] == ("bar", "globex", NAMED_COLORS["red"])  # over budget: red, and first (sort_desc)
    assert bars.marks[1][1:] == ("acme", NAMED_COLORS["green"])


def test_results_of_an_older_query_are_not_drawn_under_a_changed_one(default_build, tmp_path) -> None:
    model = next(d.model for d in default_build.dashboards if d.uid == "agent-performance")
    pid = _panel_id(model, "Throughput")
    results = parse_results(
        {"dashboards": {"agent-performance": {pid: [_series({"agent_name": "a"}, "a", [(1_800_000_000, 1.0)])]}}}
    )["agent-performance"]
    stale = render_dashboard(model, tmp_path / "s.png", results, queries={pid: ["sum(rate(old_metric[5m]))"]})
    assert next(b for b in stale if b.title == "Throughput").content == "changed-query"
    from agentgrafana.model import panels_of
    from agentgrafana.preview.render import panel_queries

    current = panel_queries(next(p for p in panels_of(model) if p.get("title") == "Throughput"))
    fresh = render_dashboard(model, tmp_path / "f.png", results, queries={pid: current})
    assert next(b for b in fresh if b.title == "Throughput").content == "series"
