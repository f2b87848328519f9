"""Token prices (group llm-pricing), for sources that count tokens but not dollars (otel-genai).

One `model_token_type:llm_price_dollars_per_token:pricing` series per model and token type, from `pricing:` in
the configuration (USD per 1,000 tokens; the built-in table when absent). Cost is then tokens x price, joined on
`model` and `token_type` (`ctx.q.rate("llm_cost_dollars_total")` writes the join). A model with no price drops
out of that product: `alerts/cost.py` raises `LLMModelUnpriced` so its spend is not counted as $0 unnoticed.
Nothing is generated where the sources have a cost metric of their own (the seed's `llm_cost_dollars_total`).
"""

from decimal import Decimal

from agentgrafana.context import Context
from agentgrafana.model import RecordingRule, format_number
from agentgrafana.queries import PRICE

GROUP = "llm-pricing"
COST = "llm_cost_dollars_total"


def per_token(per_thousand: float) -> str:
    """USD per token, exactly as written per 1,000 (0.015 -> 0.000015, not 1.4999999999999999e-05)."""
    return format_number(float(Decimal(repr(per_thousand)) / 1000))


def recording_rules(ctx: Context) -> list[RecordingRule]:
    if not ctx.q.priced(COST):
        return []
    rules = []
    for model, price in sorted(ctx.config.pricing.items()):
        for token_type, per_thousand in (("input", price.input), ("output", price.output)):
            rules.append(
                RecordingRule(
                    PRICE,
                    f"vector({per_token(per_thousand)})",
                    GROUP,
                    labels=(("model", model), ("token_type", token_type)),
                )
            )
    return rules
