"""LLM gateway: what only a LiteLLM proxy knows: deployments failing and cooled down, fallbacks, team budgets.

The proxy's requests, latency, tokens and spend fill the overview, performance and cost dashboards (the
`litellm` source maps them onto the concepts); this dashboard holds the series no other source has, and is
left out when the build does not read a LiteLLM proxy.
"""

from agentgrafana.context import Context
from agentgrafana.panels import GREEN, RED, YELLOW, Target, bargauge_panel, table_panel, timeseries_panel

FAILURES = "litellm_deployment_failure_responses_total"
COOLDOWNS = "litellm_deployment_cooled_down_total"
FALLBACK_OK = "litellm_deployment_successful_fallbacks_total"
FALLBACK_FAILED = "litellm_deployment_failed_fallbacks_total"
STATE = "litellm_deployment_state"
REMAINING = "litellm_remaining_team_budget_metric"
MAX_BUDGET = "litellm_team_max_budget_metric"
DEPLOYMENT = ["litellm_model_name", "api_base"]
TEAM = ["team", "team_alias"]


def dashboard(ctx: Context):
    q = ctx.q
    top = ctx.config.grafana.top_n
    board = ctx.board(
        "gateway",
        "LLM gateway (LiteLLM)",
        "The LiteLLM proxy's own view: which deployments fail and are taken out of rotation, which requests "
        "fell back to another model, and how much budget each team has left.",
        tags=("gateway", "litellm"),
    )

    board.row("Deployments")
    board.add(
        timeseries_panel(
            "Deployment failures by status",
            "Failed LLM API calls per second by deployment and HTTP status: 429 is the provider's rate limit "
            "(the rate-limit alert's), 5xx the provider failing.",
            [
                Target(
                    q.rate(FAILURES, ["litellm_model_name", "exception_status"]),
                    "{{litellm_model_name}} {{exception_status}}",
                )
            ],
            "reqps",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Deployment state",
            "The router's view of each deployment: 0 healthy, 1 partial outage, 2 complete outage (traffic goes "
            "to the others, or to fallbacks).",
            [Target(q.aggregate("max", q.sel(STATE), DEPLOYMENT), "{{litellm_model_name}} {{api_base}}")],
            "short",
            steps=((GREEN, None), (YELLOW, 1), (RED, 2)),
            minimum=0,
            maximum=2,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Cooldowns per 15 min",
            "Times the router took a deployment out of rotation after failures, by the status that caused it. "
            "Cooldowns of every deployment of a model mean its requests fail or fall back.",
            [
                Target(
                    q.increase(COOLDOWNS, ["litellm_model_name", "exception_status"], "15m"),
                    "{{litellm_model_name}} {{exception_status}}",
                )
            ],
            "short",
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Fallbacks per minute",
            "Requests answered by a fallback model after the requested one failed (ok), and those whose "
            "fallback failed too (failed: the client got the error).",
            [
                Target(
                    f"60 * {q.rate(FALLBACK_OK, ['requested_model', 'fallback_model'])}",
                    "ok {{requested_model}} → {{fallback_model}}",
                ),
                Target(
                    f"60 * {q.rate(FALLBACK_FAILED, ['requested_model', 'fallback_model'])}",
                    "failed {{requested_model}} → {{fallback_model}}",
                ),
            ],
            "short",
            minimum=0,
        ),
        w=12,
    )

    board.row("Team budgets")
    share = q.ratio(q.aggregate("max", q.sel(REMAINING), TEAM), q.aggregate("max", q.sel(MAX_BUDGET), TEAM), TEAM)
    board.add(
        bargauge_panel(
            f"Budget left, {top} lowest teams",
            f"Share of each team's LiteLLM budget left in its budget period, the {top} teams with least left "
            "first. LiteLLM rejects a team's requests at 0.",
            [Target(f"sort(bottomk({top}, {share}))", "{{team_alias}}", instant=True)],
            "percentunit",
            ((RED, None), (YELLOW, 0.1), (GREEN, 0.25)),
            maximum=1,
        ),
        w=12,
        h=9,
    )
    board.add(
        table_panel(
            "Remaining budget (USD)",
            f"The {top} teams with the least budget left, in dollars.",
            [Target(f"bottomk({top}, {q.aggregate('max', q.sel(REMAINING), TEAM)})", instant=True, table=True)],
            "currencyUSD",
            hide=("Time", "team"),
            rename={"team_alias": "Team", "Value": "Remaining"},
        ),
        w=12,
        h=9,
    )
    return board
