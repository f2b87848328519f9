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
    return [framebuffer(ctx), *xids(ctx), temperature(ctx)]


def _max(ctx: Context, metric: str) -> str:
    return ctx.q.aggregate("max", f"{ctx.q.gpu(metric, filtered=False)} {SUPPORTED}", BY, filtered=False)


def framebuffer(ctx: Context) -> Alert:
    """Framebuffer use, except in namespaces whose servers reserve the memory up front (vLLM: 90 % at start);
    there the KV cache running out is the signal (InferenceKVCachePreemptions)."""
    q = ctx.q
    reserved = ctx.config.thresholds.gpu.memory_preallocated_namespaces
    scope = f'namespace!~"{"|".join(reserved)}"' if reserved else ""
    used = q.aggregate("sum", q.gpu("DCGM_FI_DEV_FB_USED", scope, filtered=False), BY, filtered=False)
    free = q.aggregate("sum", q.gpu("DCGM_FI_DEV_FB_FREE", scope, filtered=False), BY, filtered=False)
    limit = threshold(ctx, "gpu.memory_used_alert_ratio")
    served = {**OLD, "namespace": reserved[0]} if reserved else None

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
                "Model servers that reserve their memory up front (vLLM, in `thresholds.gpu."
                "memory_preallocated_namespaces`) are not watched here: their pressure is InferenceKVCachePreemptions."
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
            sc.Fill("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", {**OLD, "namespace": "batch"}, FRAMEBUFFER_MIB),
            sc.labels(**TARGET),
            settle_minutes=0,
            breach=(1 + limit) / 2 if limit * 1.1 >= 1 else None,
            extra=(
                sc.Case(
                    f"GPUFramebufferMemoryHigh is silent for 2 hours at 92% on a model server in {served['namespace']}"
                    " (vLLM reserves the memory up front)",
                    tuple(
                        sc.Fill("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE", served, FRAMEBUFFER_MIB).drive(0.92, 121)
                    ),
                    120,
                ),
            )
            if served
            else (),
        ),
    )


# XIDs by what they mean (NVIDIA's XID catalogue): hardware faults need the node drained, application faults
# mean a process crashed on the GPU; anything else is unknown and worth a look
HARDWARE_XIDS = (48, 63, 64, 74, 79, 92, 94, 95, 119, 120)
APPLICATION_XIDS = (13, 31, 43, 45)
XID_WINDOW = "30m"
XID_METRIC = "DCGM_FI_DEV_XID_ERRORS"
RAISED = "host_gpu:dcgm_xid:raised30m"  # recording_rules/gpu.py
XID_KINDS = (
    # name, codes (None: any code in neither list), severity, example code, what it means
    ("GPUXidHardwareError", HARDWARE_XIDS, "critical", 79, "a hardware XID: the GPU, its memory or its link failed"),
    ("GPUXidApplicationError", APPLICATION_XIDS, "info", 43, "an application XID: a process crashed on the GPU"),
    ("GPUXidOtherError", None, "warning", 61, "an XID in neither the hardware nor the application list"),
)


def xid_raised(ctx: Context, codes: tuple[int, ...] | None) -> str:
    """GPUs that raised an XID of `codes` (None: of neither list) in the last 30 minutes, by host, GPU and code
    (see recording_rules/gpu.py: the gauge keeps its last value for hours, so only a change counts)."""
    listed = "|".join(str(c) for c in (codes or HARDWARE_XIDS + APPLICATION_XIDS))
    matcher = f'xid=~"{listed}"' if codes else f'xid!~"{listed}"'
    return ctx.q.aggregate("max", f"{RAISED}{{{matcher}}}", ["host", "gpu", "xid"], filtered=False)


def xids(ctx: Context) -> list[Alert]:
    out = []
    for name, codes, severity, example, meaning in XID_KINDS:
        listed = ", ".join(map(str, codes)) if codes else "not listed as hardware or application"
        out.append(
            alert(
                ctx,
                name,
                component="gpu",
                key=f"gpu-{name.removeprefix('GPU').lower()}",
                group=GROUP,
                expr=xid_raised(ctx, codes),
                value=0,
                threshold_key=f"fixed: any XID {listed} raised in the last {XID_WINDOW} (the value counts them)",
                for_="0s",
                severity=severity,
                unit="short",
                summary=f"GPU {{{{ $labels.gpu }}}} on {{{{ $labels.host }}}} raised {meaning.split(':')[0]}.",
                description=(
                    "GPU {{ $labels.gpu }} on {{ $labels.host }} raised XID {{ $labels.xid }}, "
                    f"{meaning}. The alert ends {XID_WINDOW} after the last new XID; check the driver log (dmesg)."
                ),
                dashboard="gpu",
                panel="XID errors",
                actions=XID_ACTIONS,
                incident=sc.Incident(
                    sc.Event(XID_METRIC, OLD, "err_code"),
                    sc.labels(**TARGET, xid=str(example)),
                    settle_minutes=0,
                    breach=example,
                    safe=0,
                    limit=f"code {example}, raised in the last {XID_WINDOW}",
                    extra=xid_cases(name, example),
                ),
            )
        )
    return out


XID_ACTIONS = (
    (
        "Read the XID code: hardware codes (48, 63, 64, 74, 79, 92, 94, 95, 119, 120) mean the GPU or its link failed; "
        "application codes (13, 31, 43, 45) mean a process crashed on it."
    ),
    "Read the driver log on the node: `dmesg | grep -i xid`.",
    (
        "For a hardware XID, cordon and drain the node (`kubectl cordon <node>`, `kubectl drain <node> "
        "--ignore-daemonsets`) and open a hardware ticket; for an application XID, restart the pod and check "
        "its logs."
    ),
)


def xid_cases(name: str, code: int) -> tuple[sc.Case, ...]:
    """The XID stays the gauge's last value for hours: the alert must end 30 minutes after it was raised, in
    both exporter forms, and ignore the unsupported-field sentinel."""
    labelled = {**OLD, "err_code": str(code)}
    other = 43 if code in HARDWARE_XIDS else 79
    return (
        sc.Case(
            f"{name} is silent for XID {other}, which another alert owns",
            (sc.gauge(XID_METRIC, {**OLD, "err_code": str(other)}, other, 5),),
            1,
        ),
        sc.Case(
            f"{name} ends {XID_WINDOW} after XID {code} was raised, though the gauge still reads it",
            (sc.gauge(XID_METRIC, labelled, code, 60),),
            31,
        ),
        sc.Case(
            f"{name} fires when the single series of an older exporter changes from 0 to {code}",
            (sc.InputSeries(sc.selector(XID_METRIC, OLD), f"0x10 {code}x50"),),
            15,
            ((sc.labels(**TARGET, xid=str(code)), 1.0),),
        ),
        sc.Case(
            f"{name} ends {XID_WINDOW} after the single series changed, though it still reads {code}",
            (sc.InputSeries(sc.selector(XID_METRIC, OLD), f"0x10 {code}x50"),),
            45,
        ),
        sc.Case(
            f"{name} is silent when the field is unsupported (dcgm sentinel)",
            (sc.gauge(XID_METRIC, OLD, sc.DCGM_UNSUPPORTED, 5),),
            5,
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
