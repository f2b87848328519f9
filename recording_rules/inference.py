"""Model-server series the inference alerts read (group inference-recording): vLLM's P95 time to first token."""

from agentgrafana.context import Context
from agentgrafana.model import RecordingRule

GROUP = "inference-recording"
TTFT = "vllm:time_to_first_token_seconds"
TTFT_P95 = "model_name:vllm_time_to_first_token_seconds:p95_rate5m"


def recording_rules(ctx: Context) -> list[RecordingRule]:
    return [RecordingRule(TTFT_P95, ctx.q.quantile(0.95, TTFT, ["model_name"], "5m", filtered=False), GROUP)]
