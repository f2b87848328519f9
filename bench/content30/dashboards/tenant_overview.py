"""Benchmark content: the 30-panel dashboard of `bench/dashboards_equivalent.py`, one per configured tenant.

The issue's scale scenario asks for about 30 panels per tenant dashboard; the product's per-tenant Cost &
usage dashboard has 12, so this content root measures the 30-panel case without padding the product.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ for dashboards_equivalent

from dashboards_equivalent import build_agentgrafana  # noqa: E402


def dashboards(ctx):
    for tenant in sorted(ctx.config.budgets.tenants):
        yield build_agentgrafana(ctx.for_tenant(tenant))
