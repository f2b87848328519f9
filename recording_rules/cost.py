"""Spend and budget per tenant over 24 h (group agent-cost).

Budgets: one `tenant_id:llm_cost_budget_dollars:daily` series per tenant override (`vector(<usd>)` labelled
with the tenant). Utilisation divides the 24 h spend by the tenant's override, or, for a tenant without
one, by `budgets.daily_usd_default` (built from the spend series itself so it carries the tenant label).
"""
from agentgrafana.context import Context
from agentgrafana.model import RecordingRule, format_number

GROUP = "agent-cost"
SPEND = "tenant_id:llm_cost_dollars:increase24h"
BUDGET = "tenant_id:llm_cost_budget_dollars:daily"
UTILISATION = "tenant_id:llm_cost_budget:utilisation24h"


def recording_rules(ctx: Context) -> list[RecordingRule]:
    budgets = ctx.config.budgets
    default = format_number(budgets.daily_usd_default)
    rules = [RecordingRule(SPEND, ctx.q.increase("llm_cost_dollars_total", ["tenant_id"], "24h", filtered=False),
                           GROUP)]
    for tenant, usd in sorted(budgets.tenants.items()):
        rules.append(RecordingRule(BUDGET, f"vector({format_number(usd)})", GROUP, labels=(("tenant_id", tenant),)))
    if budgets.tenants:
        expr = f"{SPEND}\n/ on (tenant_id)\n({BUDGET} or on (tenant_id) ({SPEND} * 0 + {default}))"
    else:
        expr = f"{SPEND} / {default}"
    rules.append(RecordingRule(UTILISATION, expr, GROUP))
    return rules
