"""The scale scenario: N tenants with per-tenant Cost & usage dashboards, generated, validated and written.

Run as a worker in a fresh interpreter (`python bench/scale.py --tenants N --out DIR`), so each size gets
its own peak RSS; it prints one JSON line with the phases it timed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

STARTED = time.perf_counter()
REPO = Path(__file__).resolve().parents[1]


def tenant_config(tenants: int) -> dict[str, Any]:
    """The configuration mapping: tenant-0000 ... each with a budget, and a dashboard of its own."""
    return {"budgets": {"tenants": {f"tenant-{i:04d}": 100.0 for i in range(tenants)}, "per_tenant_dashboards": True}}


def panel_counts(model: dict[str, Any]) -> tuple[int, int]:
    """(panels that show data, rows) of a dashboard model."""
    types = [p.get("type") for p in model.get("panels") or []]
    return sum(t != "row" for t in types), sum(t == "row" for t in types)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tenants", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True, help="output folder (should not exist yet)")
    ap.add_argument(
        "--panels30",
        action="store_true",
        help="build bench/content30 (a 30-panel dashboard per tenant) instead of the product's content",
    )
    args = ap.parse_args(argv)

    from agentgrafana.config import from_mapping
    from agentgrafana.pipeline import build
    from agentgrafana.writer import write_tree

    imported = time.perf_counter()
    config = from_mapping(tenant_config(args.tenants))
    build_result = build(config, REPO / "bench" / "content30" if args.panels30 else REPO)
    built = time.perf_counter()
    write_tree(args.out, build_result.files)
    written = time.perf_counter()

    tenant_boards = [d for d in build_result.dashboards if d.folder.uid != config.grafana.folder.uid]
    panels, rows = panel_counts(tenant_boards[0].model) if tenant_boards else (0, 0)
    print(
        json.dumps(
            {
                "tenants": args.tenants,
                "dashboards": len(build_result.dashboards),
                "tenant_dashboards": len(tenant_boards),
                "panels_per_tenant_dashboard": panels,
                "rows_per_tenant_dashboard": rows,
                "files": len(build_result.files),
                "bytes": sum(len(body) for body in build_result.files.values()),
                "startup_s": imported - STARTED,
                "build_s": built - imported,  # generate + validate (the whole pipeline, rules included)
                "write_s": written - built,
                "seconds": written - imported,  # generate + validate + write
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
