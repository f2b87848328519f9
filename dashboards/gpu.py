"""GPU (DCGM): utilisation, memory, temperature, power, clocks, tensor cores and errors per GPU, host and pod.

Reads NVIDIA dcgm-exporter's default counters. Every query coalesces the host label, which dcgm-exporter
calls `Hostname` before its 2026 releases and `hostname` after, into `host`.
"""

from agentgrafana.context import Context
from agentgrafana.panels import BLUE, GREEN, RED, YELLOW, Target, table_panel, timeseries_panel

# A GPU is its host and index: the pod using it moves (and is exported_pod without honorLabels).
PER_GPU = ("host", "gpu")
LEGEND = "{{host}} GPU {{gpu}}"
PER_INSTANCE = ("host", "gpu", "GPU_I_ID", "GPU_I_PROFILE")  # a MIG instance (both empty on a whole GPU)


def dashboard(ctx: Context):
    q, t = ctx.q, ctx.thresholds
    gpu_t = t.gpu
    board = ctx.board(
        "gpu",
        "Agent GPUs (DCGM)",
        "Inference GPUs from dcgm-exporter: utilisation and memory against the daily-check bands, "
        "temperature, power, clocks, tensor-core activity and hardware errors.",
        tags=("gpu",),
    )
    board.query_variable(
        "host",
        "Host",
        "query_result(count by (Hostname, hostname) (DCGM_FI_DEV_GPU_UTIL))",
        regex='/[Hh]ostname="([^"]+)"/',
    )
    board.query_variable("gpu", "GPU", "label_values(DCGM_FI_DEV_GPU_UTIL, gpu)")

    def per_gpu(metric: str, agg: str = "avg", fn: str = "") -> str:
        return q.aggregate(agg, q.gpu(metric, fn=fn), PER_GPU)

    band = ((BLUE, None), (GREEN, gpu_t.utilisation_low_percent), (RED, gpu_t.utilisation_high_percent))
    board.row("Load")
    board.add(
        timeseries_panel(
            "GPU utilisation",
            f"Share of time the GPU was busy: the profiling counter DCGM_FI_PROF_GR_ENGINE_ACTIVE per GPU instance "
            f"(MIG-aware) where the exporter has it, else DCGM_FI_DEV_GPU_UTIL. Daily check: between "
            f"{gpu_t.utilisation_low_percent:g}% and {gpu_t.utilisation_high_percent:g}% (dashed).",
            [
                Target(
                    f"100 * {q.aggregate('avg', q.gpu('DCGM_FI_PROF_GR_ENGINE_ACTIVE'), PER_INSTANCE)}\nor\n"
                    f"{q.aggregate('avg', q.gpu('DCGM_FI_DEV_GPU_UTIL'), PER_INSTANCE)}",
                    "{{host}} GPU {{gpu}} {{GPU_I_PROFILE}}",
                )
            ],
            "percent",
            steps=band,
            minimum=0,
            maximum=100,
        ),
        w=12,
    )
    used = per_gpu("DCGM_FI_DEV_FB_USED", "sum")
    total = f"({used} + {per_gpu('DCGM_FI_DEV_FB_FREE', 'sum')})"
    board.add(
        timeseries_panel(
            "Framebuffer used",
            f"GPU memory used / total. Daily check: below {gpu_t.memory_used_alert_ratio:.0%}; "
            f"the alert fires above it.",
            [Target(q.ratio(used, total, PER_GPU), LEGEND)],
            "percentunit",
            steps=((GREEN, None), (RED, gpu_t.memory_used_alert_ratio)),
            minimum=0,
            maximum=1,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Tensor core activity",
            "Ratio of cycles the tensor cores were active (DCGM profiling counter).",
            [Target(per_gpu("DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"), LEGEND)],
            "percentunit",
            minimum=0,
            maximum=1,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "SM clock",
            "Streaming-multiprocessor clock frequency.",
            [Target(f"1e6 * {per_gpu('DCGM_FI_DEV_SM_CLOCK')}", LEGEND)],
            "hertz",
            minimum=0,
        ),
        w=12,
    )

    board.row("Health")
    board.add(
        timeseries_panel(
            "Temperature",
            f"GPU temperature. Dashed: alert above {gpu_t.temperature_alert_celsius:g} °C.",
            [Target(per_gpu("DCGM_FI_DEV_GPU_TEMP", "max"), LEGEND)],
            "celsius",
            steps=(
                (GREEN, None),
                (YELLOW, gpu_t.temperature_alert_celsius - 10),
                (RED, gpu_t.temperature_alert_celsius),
            ),
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Power draw",
            "Power used by each GPU.",
            [Target(per_gpu("DCGM_FI_DEV_POWER_USAGE", "sum"), LEGEND)],
            "watt",
            minimum=0,
        ),
        w=8,
    )
    board.add(
        table_panel(
            "XID errors",
            "XIDs the GPUs reported in the selected time range, with NVIDIA's message (e.g. 79: GPU fell off the "
            "bus, 48: double-bit ECC). The gauge keeps the last XID until the driver resets; the alerts fire on "
            "a change.",
            [
                Target(
                    q.aggregate(
                        "max",
                        f"{q.gpu('DCGM_FI_DEV_XID_ERRORS', fn='max_over_time', window='$__range')} > 0 < 9e18",
                        ("host", "gpu", "err_code", "err_msg"),
                    ),
                    instant=True,
                    table=True,
                )
            ],
            "short",
            hide=("Time", "Value"),
            rename={"host": "Host", "gpu": "GPU", "err_code": "XID", "err_msg": "Message"},
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "PCIe replays",
            "PCIe link replays per second; a steady rate points at a bad riser or slot.",
            [Target(per_gpu("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "sum", fn="rate"), LEGEND)],
            "short",
            minimum=0,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Memory copy utilisation",
            "Share of time the memory controller was busy copying.",
            [Target(per_gpu("DCGM_FI_DEV_MEM_COPY_UTIL"), LEGEND)],
            "percent",
            minimum=0,
            maximum=100,
        ),
        w=8,
    )
    board.add(
        timeseries_panel(
            "Framebuffer used (MiB)",
            "GPU memory in use, in MiB as dcgm-exporter reports it.",
            [Target(per_gpu("DCGM_FI_DEV_FB_USED", "sum"), LEGEND)],
            "mbytes",
            minimum=0,
        ),
        w=8,
    )

    # What these GPUs serve: the model servers' own numbers (vllm source), not the agents' LLM calls, most of
    # which go to hosted APIs. Left out of the build when no configured source has model-server metrics.
    board.row("Workload served")
    board.add(
        timeseries_panel(
            "Requests finished by model",
            "Requests the model servers on these GPUs finished per second, by served model. Details: **Inference**.",
            [Target(q.rate("vllm:request_success_total", ["model_name"]), "{{model_name}}")],
            "reqps",
            minimum=0,
        ),
        w=12,
    )
    board.add(
        timeseries_panel(
            "Model server latency P95 by model",
            "95th percentile end-to-end latency of the requests the model servers finished, by served model.",
            [Target(q.quantile(0.95, "vllm:e2e_request_latency_seconds", ["model_name"]), "{{model_name}}")],
            "s",
            minimum=0,
        ),
        w=12,
    )
    return board
