"""Cost & Usage: tokens and spend by model and tenant, each tenant's daily spend against its budget.

With `budgets.per_tenant_dashboards: true`, every tenant listed under `budgets.tenants` also gets its own
copy with the tenant fixed, in its own folder (so folder permissions can give a tenant its own view).
"""

from agentgrafana.context import Context
from agentgrafana.model import format_number
from agentgrafana.panels import (
    GREEN,
    RED,
    YELLOW,
    Target,
    bargauge_panel,
    pie_panel,
    stat_panel,
    table_panel,
    timeseries_panel,
)

COST = "llm_cost_dollars_total"
TOKENS = "llm_tokens_total"
DAILY_COST = "tenant_id:llm_cost_dollars:increase24h"
MONTHLY = "tenant_id:llm_cost_budget:utilisation30d"
UTILISATION = "tenant_id:llm_cost_budget:utilisation24h"
PER_TENANT = ("tenant_id",)
BUDGET_LABEL = "budget_usd"  # on the utilisation rule (recording_rules/cost.py): the budget it is judged by


def dashboards(ctx: Context):
    yield dashboard(ctx)
    if ctx.config.budgets.per_tenant_dashboards:
        for tenant in sorted(ctx.config.budgets.tenants):
            yield dashboard(ctx.for_tenant(tenant))


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds
    budgets = ctx.config.budgets
    budget_text = (
        f"${budgets.for_tenant(ctx.tenant):,.2f}"
        if ctx.tenant
        else f"${budgets.daily_usd_default:,.2f} by default"
        + (f", {len(budgets.tenants)} tenant override(s)" if budgets.tenants else "")
    )
    board = ctx.board(
        "cost",
        "Agent Cost & Usage",
        f"LLM tokens and spend by model and tenant; daily spend against each tenant's budget ({budget_text}).",
        # a tenant that spends without agent requests of its own (a batch job) is still listed
        variable_series={"tenant": (COST, TOKENS), "model": (COST, TOKENS)},
    )
    alert_at = t.budget_utilisation_alert
    top = int(ctx.config.grafana.top_n)  # panels comparing tenants show the highest this many

    board.row("Spend")
    board.add(
        stat_panel(
            "Spend in the last 24 h",
            "LLM cost over the last 24 hours for the selected tenants.",
            [f"sum({q.sel(DAILY_COST, labels=PER_TENANT)})"],
            "currencyUSD",
            decimals=2,
        ),
        w=6,
        h=5,
    )
    board.add(
        stat_panel(
            "Spend in range",
            "LLM cost in the selected time range.",
            [Target(q.increase(COST, window="$__range"), instant=True)],  # one figure: no range query
            "currencyUSD",
            decimals=2,
            sparkline=False,
        ),
        w=6,
        h=5,
    )
    board.add(
        stat_panel(
            "Cost per request",
            "Average LLM cost of one agent request."
            + q.scope_note(q.rate(COST), q.rate("agent_request_duration_seconds_count")),
            [q.ratio(q.rate(COST), q.rate("agent_request_duration_seconds_count"))],
            "currencyUSD",
            decimals=4,
        ),
        w=6,
        h=5,
    )
    board.add(
        stat_panel(
            "Tokens per request",
            "Average input + output tokens of one agent request."
            + q.scope_note(q.rate(TOKENS), q.rate("agent_request_duration_seconds_count")),
            [q.ratio(q.rate(TOKENS), q.rate("agent_request_duration_seconds_count"))],
            "short",
            decimals=0,
        ),
        w=6,
        h=5,
    )

    board.row("Budgets")
    if ctx.tenant:  # one tenant's dashboard: its own budget, nothing that compares tenants
        board.add(
            stat_panel(
                "Daily budget used",
                f"Spend over the last 24 h / this tenant's daily budget ({budget_text}); red at the alert's "
                f"{alert_at:.0%}.",
                [Target(f"max({q.sel(UTILISATION, labels=PER_TENANT)})", instant=True)],
                "percentunit",
                steps=((GREEN, None), (YELLOW, 0.8 * alert_at), (RED, alert_at)),
                sparkline=False,
            ),
            w=12,
            h=5,
        )
        board.add(
            stat_panel(
                "Monthly budget used",
                "Spend over the last 30 days / this tenant's monthly budget (the tenant_monthly_budget_usd gauge "
                f"where the platform exports it, else ${ctx.config.budgets.monthly_usd_default:g}).",
                [Target(f"max({q.sel(MONTHLY, labels=PER_TENANT)})", instant=True)],
                "percentunit",
                steps=((GREEN, None), (YELLOW, 0.8), (RED, 1)),
                sparkline=False,
            ),
            w=12,
            h=5,
        )
    else:
        board.add(
            bargauge_panel(
                "Daily budget utilisation by tenant",
                f"Spend over the last 24 h / the tenant's daily budget ({budget_text}), for the {top} highest. Red: "
                f"alert at {alert_at:.0%}.",
                [
                    Target(
                        f"sort_desc({q.top(q.sel(UTILISATION, labels=PER_TENANT), 'tenant_id', top)})",
                        "{{tenant_id}}",
                        instant=True,
                    )
                ],
                "percentunit",
                steps=((GREEN, None), (YELLOW, 0.8 * alert_at), (RED, alert_at)),
                maximum=max(1.5, alert_at * 1.5),
            ),
            w=12,
            h=8,
        )
        board.add(
            bargauge_panel(
                "Monthly budget utilisation by tenant",
                "Spend over the last 30 days / the tenant's monthly budget: the tenant_monthly_budget_usd gauge "
                f"where the platform exports it, else ${ctx.config.budgets.monthly_usd_default:g}; the {top} "
                "highest.",
                [
                    Target(
                        f"sort_desc({q.top(q.sel(MONTHLY, labels=PER_TENANT), 'tenant_id', top)})",
                        "{{tenant_id}}",
                        instant=True,  # bars in value order, highest first (an instant result keeps sort_desc's order)
                    )
                ],
                "percentunit",
                steps=((GREEN, None), (YELLOW, 0.8), (RED, 1)),
                maximum=1.5,
            ),
            w=12,
            h=8,
        )
        board.add(
            bargauge_panel(
                "Daily cost by tenant",
                f"Spend over the last 24 h by tenant, the {top} highest.",
                [
                    Target(
                        f"sort_desc({q.top(q.sel(DAILY_COST, labels=PER_TENANT), 'tenant_id', top)})",
                        "{{tenant_id}}",
                        instant=True,
                    )
                ],
                "currencyUSD",
                steps=((GREEN, None),),
            ),
            w=12,
            h=8,
        )

        watch = 0.8 * alert_at
        board.add(
            table_panel(
                f"Tenants over {watch:.0%} of their daily budget",
                f"Every tenant whose spend over the last 24 h passed {watch:.0%} of its daily budget (the alert "
                f"fires at {alert_at:.0%}), highest first, with the budget it is judged by.",
                [
                    Target(
                        f"sort_desc({q.sel(UTILISATION, labels=PER_TENANT)} > {format_number(watch)})",
                        instant=True,
                        table=True,
                    )
                ],
                "percentunit",
                rename={"tenant_id": "Tenant", BUDGET_LABEL: "Daily budget (USD)", "Value": "Used"},
                sort_by="Used",
            ),
            w=12,
            h=8,
        )

    board.row("By model and tenant")
    board.add(
        timeseries_panel(
            "Input tokens by model",
            "Prompt tokens per second by model.",
            [Target(q.rate(TOKENS, ["model"], matchers='token_type="input"'), "{{model}}")],
            "short",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Output tokens by model",
            "Completion tokens per second by model.",
            [Target(q.rate(TOKENS, ["model"], matchers='token_type="output"'), "{{model}}")],
            "short",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Cost by model",
            "LLM spend per hour by model.",
            [Target(f"3600 * {q.rate(COST, ['model'])}", "{{model}}")],
            "currencyUSD",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        pie_panel(
            "Model cost share",
            "Each model's share of the spend in the selected time range.",
            [Target(q.increase(COST, ["model"], window="$__range"), "{{model}}", instant=True)],
            "currencyUSD",
        ),
        w=8,
        h=9,
    )
    if not ctx.tenant:  # panels comparing tenants: not on one tenant's own dashboard
        _tenant_comparisons(ctx, board, top)
    return board


def _tenant_comparisons(ctx: Context, board, top: int) -> None:  # noqa: ANN001 - a Board
    q = ctx.q
    board.add(
        timeseries_panel(
            "Cost by tenant",
            f"LLM spend per hour by tenant: the {top} that spent most in the time range, the rest as 'other'.",
            [
                Target(
                    q.top(
                        f"3600 * {q.rate(COST, ['tenant_id'])}",
                        "tenant_id",
                        top,
                        q.increase(COST, ["tenant_id"], "$__range"),
                        other=True,
                    ),
                    "{{tenant_id}}",
                )
            ],
            "currencyUSD",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        table_panel(
            "Top tenants by cost",
            "The ten tenants that spent most in the selected time range.",
            [Target(f"topk(10, {q.increase(COST, ['tenant_id'], window='$__range')})", instant=True, table=True)],
            "currencyUSD",
            rename={"tenant_id": "Tenant", "Value": "Spend"},
            sort_by="Spend",
        ),
        w=16,
        h=9,
    )
