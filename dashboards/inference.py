"""Inference: the model servers the platform runs itself (vLLM): latency, queue, KV cache, preemptions, tokens.

GPU memory on a vLLM node sits near `--gpu-memory-utilization` (0.9) by design: pressure shows here, as the KV
cache filling up, requests preempted and the queue growing, not as framebuffer use.
"""

from agentgrafana.context import Context
from agentgrafana.panels import GREEN, RED, YELLOW, Target, heatmap_panel, timeseries_panel

E2E = "vllm:e2e_request_latency_seconds"
TTFT = "vllm:time_to_first_token_seconds"
ITL = "vllm:inter_token_latency_seconds"
QUEUE = "vllm:request_queue_time_seconds"
BY = ["model_name"]
OOM_ERRORS = 'error_type=~"(?i).*(oom|out.?of.?memory).*"'  # CUDA OOM as the agents report it


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds.inference
    board = ctx.board(
        "inference",
        "Inference (vLLM)",
        "The self-hosted model servers: latency, time to first token, queue, KV cache, preemptions and tokens, "
        "by model (the Model variable filters model_name).",
        tags=("inference",),
    )

    namespaces = ctx.config.thresholds.gpu.memory_preallocated_namespaces or ["inference"]
    servers = f'namespace=~"{"|".join(namespaces)}"'  # where the model servers run
    oom_panel = q.provides("vllm:num_requests_waiting")  # OOMs of the platform's own model servers

    def quantiles(histogram: str, qs: tuple[float, ...] = (0.5, 0.95, 0.99)) -> list[Target]:
        return [Target(q.quantile(p, histogram, BY), f"P{round(p * 100)} {{{{model_name}}}}") for p in qs]

    board.row("Latency")
    board.add(
        timeseries_panel(
            "End-to-end latency P50 / P95 / P99",
            "Time from arrival to the last token of the requests vLLM finished, by model.",
            quantiles(E2E),
            "s",
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Time to first token P50 / P95 / P99",
            f"Time until the first generated token (what a streaming user waits for). Dashed: the alert at "
            f"P95 > {t.ttft_p95_alert_seconds:g} s.",
            quantiles(TTFT),
            "s",
            steps=((GREEN, None), (RED, t.ttft_p95_alert_seconds)),
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Inter-token latency P50 / P95",
            "Time between two generated tokens: the decode speed each user sees.",
            quantiles(ITL, (0.5, 0.95)),
            "s",
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Queue time P95",
            "How long requests waited before vLLM scheduled them; it grows before the queue length alert fires.",
            quantiles(QUEUE, (0.95,)),
            "s",
            minimum=0,
        ),
        w=12,
    )

    board.row("Load and KV cache")
    board.add(
        timeseries_panel(
            "Requests running / waiting",
            f"Requests in the running batch and waiting for it, by model. Dashed: the queue alert at "
            f"{t.queue_waiting_alert:g} waiting.",
            [
                Target(q.aggregate("sum", q.sel("vllm:num_requests_running"), BY), "running {{model_name}}"),
                Target(q.aggregate("sum", q.sel("vllm:num_requests_waiting"), BY), "waiting {{model_name}}"),
            ],
            "short",
            steps=((GREEN, None), (RED, t.queue_waiting_alert)),
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "KV-cache use",
            f"Share of the KV cache in use, by model and engine. Near 1, vLLM preempts requests to free blocks "
            f"(yellow from {t.kv_cache_usage_warning:.0%}).",
            [
                Target(
                    q.aggregate("max", q.sel("vllm:kv_cache_usage_perc"), ["model_name", "engine"]),
                    "{{model_name}} engine {{engine}}",
                )
            ],
            "percentunit",
            steps=((GREEN, None), (YELLOW, t.kv_cache_usage_warning), (RED, 0.98)),
            minimum=0,
            maximum=1,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Preemptions per 10 min",
            f"Requests preempted because the KV cache ran out: the OOM precursor. Dashed: the alert at "
            f"{t.preemptions_per_10m_alert:g} per 10 min.",
            [Target(q.increase("vllm:num_preemptions_total", BY, "10m"), "{{model_name}}")],
            "short",
            steps=((GREEN, None), (RED, t.preemptions_per_10m_alert)),
            minimum=0,
        ),
        w=8,
    )

    board.add(
        timeseries_panel(
            "Model server restarts",
            "Container restarts of the model servers per 15 min (kube-state-metrics): an out-of-memory kill "
            "shows here, often right after the preemptions above.",
            [
                Target(
                    q.increase("kube_pod_container_status_restarts_total", ["namespace", "pod"], "15m", servers),
                    "{{namespace}}/{{pod}}",
                )
            ],
            "short",
            steps=((GREEN, None), (RED, 1)),
            minimum=0,
        ),
        w=12 if oom_panel else 24,
        h=6,
    )
    if oom_panel:
        board.add(
            timeseries_panel(
                "Out-of-memory errors the agents saw",
                "Agent errors per 15 min whose type names an out-of-memory failure (CUDA OOM from a model "
                "server, error_type matching oom / out of memory), by agent: what the users felt of the OOM. "
                "Summed from the recorded 5-minute rates: an error may count in the next bar, never twice.",
                [
                    Target(  # one point per 15 min: each window read once, not once per 30 s step
                        q.increase("agent_errors_total", ["agent_name"], "15m", OOM_ERRORS),
                        "{{agent_name}}",
                        min_interval="15m",
                    )
                ],
                "short",
                steps=((GREEN, None), (RED, 1)),
                minimum=0,
            ),
            w=12,
            h=6,
        )

    board.row("Tokens")
    board.add(
        timeseries_panel(
            "Token throughput",
            "Prompt (prefill) and generated tokens per second, by model.",
            [
                Target(q.rate("vllm:prompt_tokens_total", BY), "prompt {{model_name}}"),
                Target(q.rate("vllm:generation_tokens_total", BY), "generated {{model_name}}"),
            ],
            "short",
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Finish reasons",
            "Finished requests per second by reason: `length` means the output hit max_tokens, `abort` that the "
            "client went away.",
            [Target(q.rate("vllm:request_success_total", ["finished_reason"]), "{{finished_reason}}")],
            "reqps",
            stacked=True,
            minimum=0,
        ),
        w=12,
    )
    board.add(
        heatmap_panel(
            "Prompt length",
            "Prompt tokens of finished requests per bucket; brighter cells hold more requests.",
            q.rate("vllm:request_prompt_tokens_bucket", ["le"]),
            "short",
        ),
        w=12,
        h=9,
    )
    board.add(
        heatmap_panel(
            "Generation length",
            "Generated tokens of finished requests per bucket.",
            q.rate("vllm:request_generation_tokens_bucket", ["le"]),
            "short",
        ),
        w=12,
        h=9,
    )
    return board
