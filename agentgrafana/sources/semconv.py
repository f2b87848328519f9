"""How an OpenTelemetry GenAI instrumentation records each concept: instrument names, units, attributes, advice.

This is the instrumentation's side, written from the semantic conventions (dotted instrument and attribute
names), not from the Prometheus names in `builtin.py`: the live check records these instruments through the
real OpenTelemetry SDK and its Prometheus exporter, so if `builtin.py` assumes a name, label or bucket the
exporter does not produce, the panels and alerts reading it come out empty and the check fails.

Roles: `observe` records a histogram concept's observations; `fail` records a counter concept's events as
failed observations (with `error.type`) of the instrument its `parent` concept records, taken out of the
parent's own observations; `amount` records a counter concept's increase as one observation (token usage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

OBSERVE, FAIL, AMOUNT = "observe", "fail", "amount"
TENANT_ATTRIBUTE = "$tenant"  # the tenant attribute: no convention, so it is named after metrics.tenant_label


@dataclass(frozen=True)
class Instrument:
    name: str
    unit: str
    buckets: tuple[float, ...]
    description: str = ""


@dataclass(frozen=True)
class Recording:
    concept: str
    instrument: str
    role: str
    attributes: dict[str, str] = field(default_factory=dict)  # concept label -> attribute
    fixed: dict[str, str] = field(default_factory=dict)  # attribute -> value on every observation
    parent: str = ""  # FAIL: the histogram concept whose observations these are
    error_type: str = ""  # FAIL: error.type when the concept has no error_type label


# Bucket advice from the semantic conventions.
DURATION_ADVICE = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
AGENT_ADVICE = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6)
TOKEN_ADVICE = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)

INSTRUMENTS = (
    Instrument("gen_ai.invoke_agent.duration", "s", AGENT_ADVICE, "Duration of agent invocations"),
    Instrument("gen_ai.execute_tool.duration", "s", DURATION_ADVICE, "Duration of tool executions"),
    Instrument("gen_ai.client.operation.duration", "s", DURATION_ADVICE, "GenAI operation duration"),
    Instrument("gen_ai.client.token.usage", "{token}", TOKEN_ADVICE, "Number of input and output tokens used"),
)

AGENT = {"agent_name": "gen_ai.agent.name", "model": "gen_ai.request.model", "tenant_id": TENANT_ATTRIBUTE}
CHAT = {"model": "gen_ai.request.model", "provider": "gen_ai.provider.name", "tenant_id": TENANT_ATTRIBUTE}
TOOL = {"tool_name": "gen_ai.tool.name", "agent_name": "gen_ai.agent.name"}

OTEL_GENAI = (
    Recording(
        "agent_request_duration_seconds",
        "gen_ai.invoke_agent.duration",
        OBSERVE,
        AGENT,
        {"gen_ai.operation.name": "invoke_agent"},
    ),
    Recording(
        "agent_errors_total", "gen_ai.invoke_agent.duration", FAIL, AGENT, parent="agent_request_duration_seconds"
    ),
    Recording(
        "agent_timeout_total",
        "gen_ai.invoke_agent.duration",
        FAIL,
        AGENT,
        parent="agent_request_duration_seconds",
        error_type="timeout",
    ),
    Recording(
        "llm_inference_duration_seconds",
        "gen_ai.client.operation.duration",
        OBSERVE,
        CHAT,
        {"gen_ai.operation.name": "chat"},
    ),
    Recording(
        "llm_rate_limit_errors_total",
        "gen_ai.client.operation.duration",
        FAIL,
        CHAT,
        parent="llm_inference_duration_seconds",
        error_type="429",
    ),
    Recording(
        "llm_tokens_total",
        "gen_ai.client.token.usage",
        AMOUNT,
        {"model": "gen_ai.request.model", "token_type": "gen_ai.token.type", "tenant_id": TENANT_ATTRIBUTE},
        {"gen_ai.operation.name": "chat"},
    ),
    Recording(
        "tool_execution_duration_seconds",
        "gen_ai.execute_tool.duration",
        OBSERVE,
        TOOL,
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.type": "function"},
    ),
    Recording(
        "tool_execution_errors_total",
        "gen_ai.execute_tool.duration",
        FAIL,
        TOOL,
        parent="tool_execution_duration_seconds",
    ),
)

# Where a source prices tokens (no cost metric), the simulated spend of this concept becomes token usage.
SPEND_CONCEPT = "llm_cost_dollars_total"

# source name -> its instrumentation
INSTRUMENTATION = {"otel-genai": OTEL_GENAI}
