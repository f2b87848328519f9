"""GPU alerts (group gpu-alerts) on dcgm-exporter series, per host and GPU.

`ctx.q.gpu` gives every series a `host` label from `Hostname` or `hostname` (renamed in 2026 exporter
releases). Fields a GPU does not support read 9223372036854775794; `< 9e18` drops them.
"""

from agentgrafana import scenario as sc
from agentgrafana.alerting.define import alert, threshold
from agentgrafana.context import Context
from agentgrafana.model import Alert

GROUP = "gpu-alerts"
SUPPORTED = "< 9e18"
BY = ["host", "gpu"]
TARGET = {"host": "gpu-node-1", "gpu": "0"}
# dcgm-exporter labels: the older Hostname on the framebuffer series, the newer hostname on temperature
OLD = {"gpu": "0", "UUID": "GPU-5fd4f087", "Hostname": "gpu-node-1", "modelName": "NVIDIA A100-SXM4-80GB"}
NEW = {"gpu": "0", "UUID": "GPU-5fd4f087", "hostname": "gpu-node-1", "modelName": "NVIDIA A100-SXM4-80GB"}
FRAMEBUFFER_MIB = 81920


def alerts(ctx: Context) -> list[Alert]:
    return [framebuffer(ctx), xid(ctx), temperature(ctx)]


def _max(ctx: Context, metric: str) -> str:
    return ctx.q.aggregate("max", f"{ctx.q.gpu(metric, filtered=False)} {SUPPORTED}", BY)


def framebuffer(ctx: Context) -> Alert:
    q = ctx.q
    used = q.aggregate("sum", q.gpu("DCGM_FI_DEV_FB_USED", filtered=False), BY)
    free = q.aggregate("sum", q.gpu("DCGM_FI_DEV_FB_FREE", filtered=False), BY)
    limit = threshold(ctx, "gpu.memory_used_alert_ratio")

    return alert(
        ctx,
        "GPUFramebufferMemoryHigh",
        component="gpu",
        key="gpu-memory-high",
        group=GROUP,
        expr=q.ratio(used, f"{used} + {free}", BY),
        threshold_key="gpu.memory_used_alert_ratio",
        for_="5m",
        severity="warning",
        summary=f"GPU {{{{ $labels.gpu }}}} on {{{{ $labels.host }}}}: framebuffer more than {limit * 100:.4g}% used.",
        description=(
            "GPU {{ $labels.gpu }} on {{ $labels.host }} has {{ $value | humanizePercentage }} of its "
            "framebuffer memory in use."
        ),
        dashboard="gpu",
        panel="Framebuffer used",
        unit="percentunit",
        actions=(
            (
                "On vLLM-style servers most of the memory is reserved by design: look for preemptions and CUDA "
                "out-of-memory errors before acting."
            ),
            (
                "Check the GPU (seed guide, *GPU OOM*): `kubectl exec -it <pod> -n inference -- nvidia-smi` and `dcgmi"
                " dmon -e 155,156` in the dcgm-exporter pod."
            ),
            (
                "Reduce memory pressure: a smaller `MAX_BATCH_SIZE`, a lower `MAX_NUM_SEQS` (KV cache), or "
                "quantisation (`QUANTIZATION=int8` or `fp8`)."
            ),
        ),
        incident=sc.Incident(
            sc.Fill("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", OLD, FRAMEBUFFER_MIB),
            sc.labels(**TARGET),
            settle_minutes=0,
            breach=(1 + limit) / 2 if limit * 1.1 >= 1 else None,
        ),
    )


def xid(ctx: Context) -> Alert:
    metric = "DCGM_FI_DEV_XID_ERRORS"
    return alert(
        ctx,
        "GPUXidErrors",
        component="gpu",
        key="gpu-xid-errors",
        group=GROUP,
        expr=_max(ctx, metric),
        value=0,
        threshold_key="fixed: dcgm-exporter reports 0 until the GPU raises an XID error",
        for_="0s",
        severity="warning",
        summary="GPU {{ $labels.gpu }} on {{ $labels.host }} reported an XID error (driver or hardware fault).",
        description=(
            'GPU {{ $labels.gpu }} on {{ $labels.host }} reported XID error {{ $value | printf "%.0f" }}; '
            "check the driver log (dmesg) for the cause."
        ),
        dashboard="gpu",
        panel="XID errors",
        unit="short",
        actions=(
            (
                "Read the XID code: hardware codes (48, 63, 64, 74, 79, 92, 94, 95, 119, 120) mean the GPU or its link"
                " failed; application codes (13, 31, 43, 45) mean a process crashed on it."
            ),
            "Read the driver log on the node: `dmesg | grep -i xid`.",
            (
                "For a hardware XID, cordon and drain the node (`kubectl cordon <node>`, `kubectl drain <node> "
                "--ignore-daemonsets`) and open a hardware ticket; for an application XID, restart the pod and check "
                "its logs."
            ),
        ),
        incident=sc.Incident(
            sc.Event(metric, OLD, "err_code"),
            sc.labels(**TARGET),
            settle_minutes=0,
            breach=79,
            safe=0,
            extra=(
                sc.Case(
                    "GPUXidErrors is silent when the field is unsupported (dcgm sentinel)",
                    (sc.gauge(metric, OLD, sc.DCGM_UNSUPPORTED, 5),),
                    5,
                ),
            ),
        ),
    )


def temperature(ctx: Context) -> Alert:
    metric = "DCGM_FI_DEV_GPU_TEMP"
    limit = threshold(ctx, "gpu.temperature_alert_celsius")
    return alert(
        ctx,
        "GPUHighTemperature",
        component="gpu",
        key="gpu-high-temperature",
        group=GROUP,
        expr=_max(ctx, metric),
        threshold_key="gpu.temperature_alert_celsius",
        for_="5m",
        severity="warning",
        summary=f"GPU {{{{ $labels.gpu }}}} on {{{{ $labels.host }}}}: temperature above {limit:g} °C.",
        description=(
            "GPU {{ $labels.gpu }} on {{ $labels.host }} is at {{ $value | humanize }} °C "
            f"(limit {limit:g} °C)."
        ),
        dashboard="gpu",
        panel="Temperature",
        unit="celsius",
        actions=(
            "Check power and clocks on **Agent GPUs** (*Power draw*, *SM clock*): a throttling GPU lowers its clock.",
            (
                "Check the node's cooling and the neighbouring GPUs: one hot GPU is a fan or airflow problem, a hot "
                "node a room problem."
            ),
            "Move load away (cordon the node) until the temperature is back under the limit.",
        ),
        incident=sc.Incident(
            sc.Level(metric, NEW),
            sc.labels(**TARGET),
            settle_minutes=0,
            extra=(
                sc.Case(
                    "GPUHighTemperature is silent when the field is unsupported (dcgm sentinel)",
                    (sc.gauge(metric, NEW, sc.DCGM_UNSUPPORTED, 10),),
                    10,
                ),
            ),
        ),
    )
