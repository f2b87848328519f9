"""Spend and budget per tenant over 24 h (group agent-cost).

Spend is recorded cheaply: `tenant_id:llm_cost_dollars:rate5m` reads 5 minutes of every pod's raw counters,
and the 24 h spend sums that recorded rate (one sample per tenant and evaluation) times the evaluation
interval, instead of re-reading 24 h of raw counters every minute. At 500 tenants, 6 models and 8 pods
scraped every 15 s that is about 1.2 M samples per evaluation instead of 138 M. "Daily" is a rolling 24 h.

Budgets: one `tenant_id:llm_cost_budget_dollars:daily` series per tenant override (`vector(<usd>)` labelled
with the tenant). Utilisation divides the 24 h spend by the tenant's override, or, for a tenant without
one, by `budgets.daily_usd_default` (built from the spend series itself so it carries the tenant label).

Every budget series, and so every utilisation series, also carries its budget as the label `budget_usd`
with two decimals ("100.00"): alert descriptions print it, and it changes only with the configuration,
so it never splits a series or an alert while the configuration stays the same.
"""

from agentgrafana.alerting.duration import seconds
from agentgrafana.context import Context
from agentgrafana.model import RecordingRule, format_number

GROUP = "agent-cost"
RATE = "tenant_id:llm_cost_dollars:rate5m"
SPEND = "tenant_id:llm_cost_dollars:increase24h"
BUDGET = "tenant_id:llm_cost_budget_dollars:daily"
UTILISATION = "tenant_id:llm_cost_budget:utilisation24h"
RATE1H = "tenant_id:llm_cost_dollars:rate1h"
FORECAST = "tenant_id:llm_cost_budget:forecast24h"
SPEND30D = "tenant_id:llm_cost_dollars:increase30d"
UTILISATION30D = "tenant_id:llm_cost_budget:utilisation30d"
MONTHLY_BUDGET = "tenant_monthly_budget_usd"  # the seed's gauge, where the platform exports it
BUDGET_LABEL = "budget_usd"


def budget_text(usd: float) -> str:
    """The `budget_usd` label value: dollars with two decimals, no thousands separator (like printf "%.2f")."""
    return f"{usd:.2f}"


def with_budget_label(expr: str, usd: float) -> str:
    """`expr` with the label `budget_usd` set to `usd` (label_replace from the empty label always matches)."""
    return f'label_replace({expr}, "{BUDGET_LABEL}", "{budget_text(usd)}", "", "")'


def recording_rules(ctx: Context) -> list[RecordingRule]:
    q, budgets = ctx.q, ctx.config.budgets
    default = format_number(budgets.daily_usd_default)
    interval = format_number(seconds(ctx.config.alerting.group_interval))
    rules = [
        RecordingRule(RATE, ctx.q.rate("llm_cost_dollars_total", ["tenant_id"], "5m", filtered=False), GROUP),
        RecordingRule(SPEND, f"sum_over_time({RATE}[24h]) * {interval}", GROUP),
    ]
    for tenant, usd in sorted(budgets.tenants.items()):
        rules.append(
            RecordingRule(
                BUDGET,
                f"vector({format_number(usd)})",
                GROUP,
                labels=(("tenant_id", tenant), (BUDGET_LABEL, budget_text(usd))),
            )
        )

    def per_budget(dollars: str) -> str:
        """`dollars` (per tenant) over the tenant's daily budget, carrying the budget as `budget_usd`."""
        if not budgets.tenants:
            return with_budget_label(f"{dollars} / {default}", budgets.daily_usd_default)
        fallback = with_budget_label(f"{dollars} * 0 + {default}", budgets.daily_usd_default)
        if not q.cluster_label:
            return f"{dollars}\n/ on (tenant_id) group_left ({BUDGET_LABEL})\n({BUDGET} or on (tenant_id) {fallback})"
        # a budget is the tenant's in every cluster: lift the configured series onto each cluster's spend first
        lifted = f"({dollars} * 0 + on (tenant_id) group_left ({BUDGET_LABEL}) {BUDGET})"
        on = q.on(["tenant_id"])
        return f"{dollars}\n/{on} group_left ({BUDGET_LABEL})\n({lifted} or{on} {fallback})"

    rules.append(RecordingRule(UTILISATION, per_budget(SPEND), GROUP))
    # the pace of the last hour, as a share of the daily budget: where a day at this pace would end
    rules.append(RecordingRule(RATE1H, f"avg_over_time({RATE}[1h])", GROUP))
    rules.append(RecordingRule(FORECAST, per_budget(f"({RATE1H} * 86400)"), GROUP))
    # the seed's monthly budget: 30 days of the hourly pace sampled hourly (720 recorded samples per tenant),
    # over the tenant_monthly_budget_usd gauge where it exists, else budgets.monthly_usd_default
    rules.append(RecordingRule(SPEND30D, f"sum_over_time({RATE1H}[30d:1h]) * 3600", GROUP))
    monthly = format_number(budgets.monthly_usd_default)
    rules.append(
        RecordingRule(
            UTILISATION30D,
            f"{SPEND30D}\n/{q.on(['tenant_id'])}\n"
            f"(max{q.by(['tenant_id'], filtered=False)} ({MONTHLY_BUDGET}) or{q.on(['tenant_id'])} "
            f"{SPEND30D} * 0 + {monthly})",
            GROUP,
        )
    )
    return rules
