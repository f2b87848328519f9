"""Cost alert (group cost-alerts): a tenant's spend over 24 h against its own daily budget.

The budget is per tenant (`budgets.tenants`, else `budgets.daily_usd_default`); the recording rule
`tenant_id:llm_cost_budget:utilisation24h` already divides by it, so one plain comparison serves every
tenant: utilisation > `thresholds.budget_utilisation_alert`, the limit visible in Grafana's threshold step
and in the Prometheus rule alike. Only tenants past it return a series (no Normal instance per tenant).
The utilisation carries the budget as the label `budget_usd`, so the description tells dollars too.
"Daily" is a rolling 24 hours.
"""

from decimal import Decimal

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert, display_number, format_number
from agentgrafana.queries import PRICE

GROUP = "cost-alerts"
METRIC = "llm_cost_dollars_total"
SPEND = "tenant_id:llm_cost_dollars:increase24h"
UTILISATION = "tenant_id:llm_cost_budget:utilisation24h"
FORECAST = "tenant_id:llm_cost_budget:forecast24h"  # recording_rules/cost.py: last hour's pace over a day
BUDGET_LABEL = "budget_usd"  # set by recording_rules/cost.py, dollars with two decimals
SPEND_MINUTES = 61  # the scenario spends over an hour, then the 24 h increase is read
THRESHOLD_KEY = "budget_utilisation_alert"


def alerts(ctx: Context) -> list[Alert]:
    limit = threshold(ctx, THRESHOLD_KEY)
    budgets = ctx.config.budgets
    plain = default_tenant(budgets.tenants)
    share = f"{limit * 100:.4g}%"
    return [
        alert(
            ctx,
            "TenantDailyCostBudgetExceeded",
            component="cost",
            key="tenant-cost-budget",
            group=GROUP,
            expr=UTILISATION,
            threshold_key=THRESHOLD_KEY,
            for_="0s",
            severity="warning",
            summary="Tenant {{ $labels.tenant_id }}: LLM spend over the last 24 hours is above its daily budget.",
            description=(
                "Tenant {{ $labels.tenant_id }} spent {{ $value | humanizePercentage }} of its daily budget of "
                f"${{{{ $labels.{BUDGET_LABEL} }}}} on LLM calls in the last 24 hours (limit {share})."
            ),
            dashboard="cost",
            panel="Daily budget utilisation by tenant",
            unit="percentunit",
            actions=(
                (
                    "Open **Agent Cost & Usage** for the tenant: find the model and the agent whose spend rose (*Cost "
                    "by model*, *Tokens by model*)."
                ),
                "Check *Tokens per request*: a prompt or retrieval change that doubled the context doubles the cost.",
                (
                    "Tell the tenant's owner (FinOps) before acting; raise the budget in `budgets.tenants.<tenant>` "
                    "only with their agreement."
                ),
                "If a runaway agent loops, stop it (scale it to zero) and read one of its traces.",
            ),
            incident=sc.Incident(
                sc.Spend(METRIC, {"model": "gpt-4o", "tenant_id": plain}, budgets.daily_usd_default),
                tenant_labels(plain, budgets.daily_usd_default),
                settle_minutes=SPEND_MINUTES - 1,
                limit=f"utilisation of the ${format_number(budgets.daily_usd_default)} default budget > {share}",
                extra=tuple(override_cases(budgets.tenants, budgets.daily_usd_default, plain, limit)),
            ),
        ),
        warning(ctx, plain),
        forecast(ctx, plain),
        *([unpriced(ctx)] if ctx.q.priced(METRIC) else []),
    ]


TOKENS = "llm_tokens_total"
UNPRICED = {"model": "house-model-v2", "token_type": "input", "tenant_id": "acme"}


def unpriced(ctx: Context) -> Alert:
    """Tokens spent on a model `pricing:` does not list: cost is tokens x price here, so that spend counts as $0
    and every budget alert under-reports it. Only where cost comes from pricing (recording_rules/pricing.py)."""
    q = ctx.q
    used = q.rate(TOKENS, ["model"], "15m", filtered=False)
    return alert(
        ctx,
        "LLMModelUnpriced",
        component="cost",
        key="llm-model-unpriced",
        group=GROUP,
        expr=q.aggregate("sum", f"{used}\nunless on (model)\n{PRICE}", ["model"], filtered=False),
        value=0,
        threshold_key="fixed: tokens on a model without a price in `pricing:`",
        for_="15m",
        severity="warning",
        summary="Model {{ $labels.model }} has no price: its tokens count as $0 in every cost panel and budget.",
        description=(
            "Model {{ $labels.model }} used {{ $value | humanize }} tokens per second over the last 15 minutes, "
            "but `pricing:` has no price for it, so its spend is not counted and budgets are under-enforced."
        ),
        dashboard="cost",
        panel="Input tokens by model",
        unit="short",
        actions=(
            (
                "Add the model to `pricing:` in monitoring.yaml (USD per 1,000 input and output tokens, from the "
                "provider's price list or your contract) and deploy the rules; a self-hosted model gets 0."
            ),
            (
                "If the name is a variant of a priced model (a dated snapshot such as gpt-4o-2024-08-06), price it "
                "under that exact name: the join is on the model label as the instrumentation writes it."
            ),
        ),
        incident=sc.Incident(
            sc.Rate(TOKENS, UNPRICED, per_seconds=1),
            sc.labels(model=UNPRICED["model"]),
            breach=1,
            safe=0,
            newcomer=True,  # live: a model nobody priced starts taking traffic
            extra=(
                sc.Case(
                    "LLMModelUnpriced is silent for tokens on a priced model",
                    (sc.counter(TOKENS, {**UNPRICED, "model": "gpt-4o"}, 600, 40),),
                    31,
                ),
            ),
        ),
    )


COST_ACTIONS = (
    "Open **Agent Cost & Usage** for the tenant: find the model and the agent whose spend rose (*Cost by model*).",
    "Check *Tokens per request*: a prompt or retrieval change that doubled the context doubles the cost.",
    "Tell the tenant's owner (FinOps) now, while there is budget left to decide what to slow down.",
)


def warning(ctx: Context, plain: str) -> Alert:
    """A heads-up at 80 % of the budget, while FinOps can still act."""
    budgets = ctx.config.budgets
    t = ctx.config.thresholds
    limit = float(
        Decimal(repr(t.budget_warning_share)) * Decimal(repr(t.budget_utilisation_alert))
    )  # 0.64, not 0.64000000000000001
    share = f"{limit * 100:.4g}%"
    return alert(
        ctx,
        "TenantDailyCostBudgetWarning",
        component="cost",
        key="tenant-cost-budget-warning",
        group=GROUP,
        expr=UTILISATION,
        value=limit,
        threshold_key="thresholds.budget_warning_share x thresholds.budget_utilisation_alert",
        for_="0s",
        severity="info",
        summary=f"Tenant {{{{ $labels.tenant_id }}}}: LLM spend over the last 24 hours passed {share} of its budget.",
        description=(
            "Tenant {{ $labels.tenant_id }} spent {{ $value | humanizePercentage }} of its daily budget of "
            f"${{{{ $labels.{BUDGET_LABEL} }}}} in the last 24 hours (warning at {share})."
        ),
        dashboard="cost",
        panel="Daily budget utilisation by tenant",
        unit="percentunit",
        actions=COST_ACTIONS,
        incident=sc.Incident(
            sc.Spend(METRIC, {"model": "gpt-4o", "tenant_id": plain}, budgets.daily_usd_default),
            tenant_labels(plain, budgets.daily_usd_default),
            settle_minutes=SPEND_MINUTES - 1,
            limit=f"utilisation of the ${format_number(budgets.daily_usd_default)} default budget > {share}",
        ),
    )


def forecast(ctx: Context, plain: str) -> Alert:
    """At the pace of the last hour, the tenant would pass its budget within 24 hours: warn before it does."""
    budgets = ctx.config.budgets
    limit = threshold(ctx, THRESHOLD_KEY)
    share = f"{limit * 100:.4g}%"
    return alert(
        ctx,
        "TenantDailyCostBudgetForecast",
        component="cost",
        key="tenant-cost-budget-forecast",
        group=GROUP,
        expr=FORECAST,
        threshold_key=THRESHOLD_KEY,
        for_="15m",
        severity="warning",
        summary="Tenant {{ $labels.tenant_id }}: at the last hour's pace, LLM spend would pass its daily budget.",
        description=(
            "At its pace of the last hour, tenant {{ $labels.tenant_id }} would spend "
            "{{ $value | humanizePercentage }} of its daily budget of "
            f"${{{{ $labels.{BUDGET_LABEL} }}}} in 24 hours (limit {share}), for 15 minutes now."
        ),
        dashboard="cost",
        panel="Daily budget utilisation by tenant",
        unit="percentunit",
        actions=COST_ACTIONS,
        incident=sc.Incident(
            sc.Pace(METRIC, {"model": "gpt-4o", "tenant_id": plain}, budgets.daily_usd_default),
            tenant_labels(plain, budgets.daily_usd_default),
            settle_minutes=65,  # the hour of recorded 5-minute rates full
            limit=f"a day at this pace over the ${format_number(budgets.daily_usd_default)} default budget > {share}",
            minutes=45,
        ),
    )


def default_tenant(overrides: dict[str, float]) -> str:
    """A tenant name without a budget override."""
    name = "globex"
    while name in overrides:
        name += "-default"
    return name


def tenant_labels(tenant: str, budget: float) -> sc.Labels:
    """The alert's labels for a tenant: its name and its budget as the recording rules write it."""
    return sc.labels(tenant_id=tenant, **{BUDGET_LABEL: f"{budget:.2f}"})


SERIES = {"model": "gpt-4o", "tenant_id": "globex"}


def spend(tenant: str, dollars: float, minutes: int) -> sc.InputSeries:
    """`dollars` spent by `tenant` before minute `minutes` (the incident's shape)."""
    return sc.Spend(METRIC, SERIES, 1).spend(dollars, minutes, tenant)


def override_cases(overrides: dict[str, float], default: float, plain: str, limit: float) -> list[sc.Case]:
    """Each override tenant is judged by its own budget: just short of it is silent, past it fires, and the
    same dollars spent by a tenant on the default budget lead to the opposite outcome where they differ.
    A firing alert's value is the tenant's utilisation of its own budget."""
    out, m = [], SPEND_MINUTES
    above, below = sc.breach_value(">", limit), sc.safe_value(">", limit)
    for tenant, usd in sorted(overrides.items()):
        out.append(
            sc.Case(
                f"{tenant} spending ${display_number(usd * below)} of its own ${display_number(usd)} budget is silent",
                (spend(tenant, usd * below, m),),
                m,
            )
        )
        out.append(
            sc.Case(
                f"{tenant} spending ${display_number(usd * above)} of its own ${display_number(usd)} budget fires",
                (spend(tenant, usd * above, m),),
                m,
                ((tenant_labels(tenant, usd), above),),
            )
        )
        dollars = (default if usd > default else usd) * above
        fires = tuple(
            (tenant_labels(t, budget), dollars / budget)
            for t, budget in ((tenant, usd), (plain, default))
            if dollars / budget > limit
        )
        out.append(
            sc.Case(
                f"${display_number(dollars)} spent: judged by ${display_number(usd)} for {tenant}, by the "
                f"${display_number(default)} default for {plain}",
                (spend(tenant, dollars, m), spend(plain, dollars, m)),
                m,
                fires,
            )
        )
    return out
