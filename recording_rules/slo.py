"""Agent SLOs (group slo-recording): availability and latency SLIs over the burn-rate windows, per agent.

The rules come from `slos:` in the configuration; see `agentgrafana/alerting/slo.py` for their names
(Sloth's) and why 1d and 3d are derived from the recorded 5-minute rates.
"""

from agentgrafana.alerting.slo import agent_slos, sli_rules
from agentgrafana.context import Context
from agentgrafana.model import RecordingRule


def recording_rules(ctx: Context) -> list[RecordingRule]:
    return [rule for slo in agent_slos(ctx) for rule in sli_rules(ctx, slo)]
