"""GPU events (group gpu-recording): the XIDs each GPU raised in the last 30 minutes.

dcgm-exporter keeps the last XID in `DCGM_FI_DEV_XID_ERRORS` until the driver resets or the exporter restarts,
so alerting on the value fires for hours after one fault. An XID is *raised* when the gauge changed within
the window (older exporters: one series per GPU) or when its `err_code` series appeared in it (newer
exporters: one series per code). `count_values` turns the code into the label `xid`, so alerts pick
hardware or application codes with a label matcher. A repeated identical XID is not a change; enable
dcgm-exporter's `DCGM_EXP_XID_ERRORS_COUNT` to count those.
"""

from agentgrafana.context import Context
from agentgrafana.model import RecordingRule

GROUP = "gpu-recording"
XID = "DCGM_FI_DEV_XID_ERRORS"
WINDOW = "30m"
RAISED = "host_gpu:dcgm_xid:raised30m"


def recording_rules(ctx: Context) -> list[RecordingRule]:
    xid = ctx.q.raw(XID, filtered=False)  # left out where no source provides it
    current = f"({xid} < 9e18) > 0"
    raised = f"({current} and changes({xid}[{WINDOW}]) > 0)\nor\n({current} unless {xid} offset {WINDOW})"
    per_gpu = ctx.q.aggregate("max", ctx.q.with_host(f"({raised})"), ["host", "gpu", "err_code"], filtered=False)
    by = ctx.q.by(["host", "gpu"], filtered=False)
    return [RecordingRule(RAISED, f'count_values{by} ("xid", {per_gpu})', GROUP)]
