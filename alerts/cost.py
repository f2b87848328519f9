"""Cost alert (group cost-alerts): a tenant's spend over 24 h against its own daily budget.

The budget is per tenant (`budgets.tenants`, else `budgets.daily_usd_default`); the recording rule
`tenant_id:llm_cost_budget:utilisation24h` already divides by it, so one threshold serves every tenant.
"""
from agentgrafana.alerting import scenario as sc
from agentgrafana.alerting.define import alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert, format_number

GROUP = "cost-alerts"
METRIC = "llm_cost_dollars_total"
SPEND_MINUTES = 61  # the scenario spends over an hour, then the 24 h increase is read


def alerts(ctx: Context) -> list[Alert]:
    limit = threshold(ctx, "budget_utilisation_alert")
    budgets = ctx.config.budgets
    plain = default_tenant(budgets.tenants)
    return [alert(
        ctx, "TenantDailyCostBudgetExceeded", key="tenant-cost-budget", group=GROUP,
        expr="tenant_id:llm_cost_budget:utilisation24h",
        threshold_key="budget_utilisation_alert", for_="0s", severity="warning",
        summary="A tenant's LLM spend over the last 24 hours is above its daily budget.",
        description=("Tenant {{ $labels.tenant_id }} has spent {{ $value | humanizePercentage }} of its daily LLM "
                     f"budget in the last 24 hours (alert at {limit * 100:.4g}%)."),
        dashboard="cost", panel="Daily budget utilisation by tenant",
        scenario=sc.Scenario(
            sc.labels(tenant_id=plain),
            lambda v, m: [spend(plain, v * budgets.daily_usd_default, m)],
            settle_minutes=SPEND_MINUTES - 1,
            idle=lambda m: [sc.flat(METRIC, {"model": "gpt-4o", "tenant_id": plain}, m)],
            extra=tuple(override_cases(budgets.tenants, budgets.daily_usd_default, plain, limit))))]


def default_tenant(overrides: dict[str, float]) -> str:
    """A tenant name without a budget override."""
    name = "globex"
    while name in overrides:
        name += "-default"
    return name


def spend(tenant: str, dollars: float, minutes: int) -> sc.InputSeries:
    """`dollars` spent evenly from minute 0 to `minutes`."""
    return sc.counter(METRIC, {"model": "gpt-4o", "tenant_id": tenant}, dollars / minutes, minutes)


def override_cases(overrides: dict[str, float], default: float, plain: str, limit: float) -> list[sc.Case]:
    """Each override tenant is judged by its own budget: just short of it is silent, past it fires, and the
    same dollars spent by a tenant on the default budget lead to the opposite outcome where they differ."""
    out, m = [], SPEND_MINUTES
    above, below = sc.breach_value(">", limit), sc.safe_value(">", limit)
    for tenant, usd in sorted(overrides.items()):
        out.append(sc.Case(f"{tenant} spending ${format_number(usd * below)} of its own ${format_number(usd)} "
                           "budget is silent", (spend(tenant, usd * below, m),), m))
        out.append(sc.Case(f"{tenant} spending ${format_number(usd * above)} of its own ${format_number(usd)} "
                           "budget fires", (spend(tenant, usd * above, m),), m,
                           ((sc.labels(tenant_id=tenant), above),)))
        dollars = (default if usd > default else usd) * above
        fires = tuple((sc.labels(tenant_id=t), dollars / budget) for t, budget in ((tenant, usd), (plain, default))
                      if dollars / budget > limit)
        out.append(sc.Case(f"${format_number(dollars)} spent: judged by ${format_number(usd)} for {tenant}, by the "
                           f"${format_number(default)} default for {plain}",
                           (spend(tenant, dollars, m), spend(plain, dollars, m)), m, fires))
    return out
