"""Model-server alerts (group inference-alerts): the queue, the KV cache running out, slow first tokens.

GPU memory is no signal on a vLLM node (it reserves 90 % up front); the KV cache running out is: vLLM then
preempts running requests, and the queue grows; when memory does run out, the container restarts
(kube-state-metrics). A server that is down is `TargetDown` (alerts/meta.py).
"""

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert

GROUP = "inference-alerts"
SERVER = {"model_name": "llama-3-70b", "engine": "0"}
TTFT = "vllm:time_to_first_token_seconds"
TTFT_P95 = "model_name:vllm_time_to_first_token_seconds:p95_rate5m"  # recording_rules/inference.py
BY = ["model_name"]


def alerts(ctx: Context) -> list[Alert]:
    return [queue(ctx), preemptions(ctx), first_token(ctx), restarts(ctx)]


def queue(ctx: Context) -> Alert:
    limit = threshold(ctx, "inference.queue_waiting_alert")
    return alert(
        ctx,
        "InferenceQueueGrowing",
        component="inference",
        key="inference-queue",
        group=GROUP,
        expr=ctx.q.aggregate("sum", ctx.q.sel("vllm:num_requests_waiting", filtered=False), BY, filtered=False),
        threshold_key="inference.queue_waiting_alert",
        for_="10m",
        severity="warning",
        summary=f"Model server {{{{ $labels.model_name }}}}: more than {limit:g} requests have waited for 10 minutes.",
        description=(
            "{{ $value | humanize }} requests are waiting for model {{ $labels.model_name }} (limit "
            f"{limit:g}, for 10 minutes): the servers take less than arrives, and time to first token grows."
        ),
        dashboard="inference",
        panel="Requests running / waiting",
        unit="short",
        actions=(
            "Open **Inference (vLLM)**: if *KV-cache use* is near 1 and *Preemptions* rise, the batch is memory-bound "
            "(see InferenceKVCachePreemptions); otherwise the servers are compute-bound.",
            "Scale the model's deployment out (`kubectl scale deploy/<server> -n inference --replicas=<n+1>`), or "
            "shed load at the gateway (lower the agents' concurrency) until the queue drains.",
            "If it follows a deploy, compare `--max-num-seqs` and `--max-model-len` with the previous version.",
        ),
        incident=sc.Incident(sc.Level("vllm:num_requests_waiting", SERVER), sc.labels(model_name=SERVER["model_name"])),
    )


def preemptions(ctx: Context) -> Alert:
    limit = threshold(ctx, "inference.preemptions_per_10m_alert")
    return alert(
        ctx,
        "InferenceKVCachePreemptions",
        component="inference",
        key="inference-preemptions",
        group=GROUP,
        expr=ctx.q.increase("vllm:num_preemptions_total", BY, "10m", filtered=False),
        threshold_key="inference.preemptions_per_10m_alert",
        for_="5m",
        severity="warning",
        summary=(
            f"Model server {{{{ $labels.model_name }}}}: the KV cache ran out (more than {limit:g} preemptions in "
            "10 min)."
        ),
        description=(
            "vLLM preempted {{ $value | humanize }} requests of model {{ $labels.model_name }} in 10 minutes "
            f"(limit {limit:g}): its KV cache is full, so running requests are evicted and recomputed. This is "
            "where a GPU out-of-memory begins."
        ),
        dashboard="inference",
        panel="Preemptions per 10 min",
        unit="short",
        actions=(
            "Open **Inference (vLLM)** → *KV-cache use* and *Prompt length*: a shift to longer prompts fills the cache "
            "(a retrieval change that stuffs more context is the usual cause).",
            "Lower `--max-num-seqs` (fewer sequences per batch) or `--max-model-len`, or add replicas; quantisation "
            "(`--quantization fp8`) or a larger `--gpu-memory-utilization` gives the cache more room.",
            "Do not raise GPU memory alerts' limits for this: the framebuffer is reserved up front and says nothing.",
        ),
        incident=sc.Incident(
            sc.Rate("vllm:num_preemptions_total", SERVER, per_seconds=600),
            sc.labels(model_name=SERVER["model_name"]),
            settle_minutes=10,  # the 10-minute increase reads the rate in full only after 10 minutes
        ),
    )


def first_token(ctx: Context) -> Alert:
    limit = threshold(ctx, "inference.ttft_p95_alert_seconds")
    buckets = ctx.q.buckets(TTFT)
    return alert(
        ctx,
        "InferenceSlowFirstToken",
        component="inference",
        key="inference-ttft",
        group=GROUP,
        expr=TTFT_P95,
        threshold_key="inference.ttft_p95_alert_seconds",
        for_="10m",
        severity="warning",
        summary=f"Model {{{{ $labels.model_name }}}}: P95 time to first token above {limit:g} s for 10 minutes.",
        description=(
            "P95 time to first token of model {{ $labels.model_name }} is {{ $value | humanizeDuration }} "
            f"(limit {limit:g}s): users of streaming agents wait that long before anything appears."
        ),
        dashboard="inference",
        panel="Time to first token P50 / P95 / P99",
        unit="s",
        actions=(
            "Open **Inference (vLLM)**: a long *Queue time* means too few servers (scale out); a short queue with slow "
            "first tokens means long prompts (prefill): check *Prompt length*.",
            "Enable prefix caching (`--enable-prefix-caching`) when agents resend the same system prompt.",
        ),
        incident=sc.Incident(
            sc.Quantile(TTFT, buckets, SERVER, q=0.95),
            sc.labels(model_name=SERVER["model_name"]),
            breach=min(sc.breach_value(">", limit), (limit + max(buckets)) / 2),
        ),
    )


RESTARTS = "kube_pod_container_status_restarts_total"
POD = {"namespace": "inference", "pod": "vllm-llama-0", "container": "vllm"}


def restarts(ctx: Context) -> Alert:
    """A model server's container restarted: a CUDA out-of-memory kills it, the pod comes back, and the
    requests in flight fail. Watched in the namespaces whose servers reserve GPU memory (they are the servers)."""
    namespaces = ctx.config.thresholds.gpu.memory_preallocated_namespaces or ["inference"]
    scope = f'namespace=~"{"|".join(namespaces)}"'
    return alert(
        ctx,
        "InferenceServerRestarting",
        component="inference",
        key="inference-restarts",
        group=GROUP,
        expr=ctx.q.increase(RESTARTS, ["namespace", "pod"], "15m", scope, filtered=False),
        value=0,
        threshold_key="fixed: any restart of a model server",
        for_="0s",
        severity="warning",
        summary="Model server {{ $labels.pod }} in {{ $labels.namespace }} restarted in the last 15 minutes.",
        description=(
            "Container restarts of {{ $labels.pod }} ({{ $labels.namespace }}) in 15 minutes: {{ $value | humanize }}"
            ". An out-of-memory kill is the usual cause; the requests it served failed."
        ),
        dashboard="inference",
        panel="Model server restarts",
        unit="short",
        actions=(
            "`kubectl describe pod <pod> -n <namespace>`: *Last State: Terminated, Reason: OOMKilled* (host memory) "
            "or a CUDA out-of-memory in `kubectl logs <pod> --previous` (GPU memory).",
            "For GPU memory: lower `--max-num-seqs` or `--max-model-len`, and check **Inference (vLLM)** → "
            "*KV-cache use* and *Preemptions* just before the restart.",
        ),
        incident=sc.Incident(
            sc.Rate(RESTARTS, POD, per_seconds=900),
            sc.labels(namespace=POD["namespace"], pod=POD["pod"]),
            breach=1,
            safe=0,
            settle_minutes=15,  # the 15-minute increase reads the restarts in full after 15 minutes
        ),
    )
