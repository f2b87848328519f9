"""The simulated platform: who calls what. Every series the simulator writes is derived from these entities."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..config import Config

AGENT_JOB = ("agent-platform", "10.0.1.15:8000")
DCGM_JOB = "dcgm-exporter"
FB_TOTAL_MIB = 81920.0

MODELS = {"gpt-4o": "openai", "claude-3-5-sonnet": "anthropic", "llama-3-70b": "vllm"}
SELF_HOSTED = "vllm"  # the provider of the models served on the platform's own GPUs
# agent -> (models it calls, tenants using it, tools, vector collections)
AGENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "research-agent": (("gpt-4o",), ("acme", "globex", "initech"), ("web_search", "retrieve_docs"), ("docs-kb",)),
    "support-agent": (
        ("claude-3-5-sonnet",),
        ("acme", "globex", "umbrella"),
        ("retrieve_docs", "ticket_lookup", "send_email"),
        ("docs-kb", "tickets"),
    ),
    "code-agent": (("gpt-4o",), ("initech",), ("code_exec", "retrieve_docs"), ("code-index",)),
    "sales-agent": (("llama-3-70b",), ("globex", "umbrella"), ("sql_query", "send_email"), ("docs-kb",)),
}
TENANTS = ("acme", "globex", "initech", "umbrella")
OVERSPENDER = "globex"  # keeps the default budget and blows through it in the budget scenario
# dcgm-exporter's err_msg for the XID codes an incident may raise
XID_MESSAGES = {
    "13": "Graphics Engine Exception",
    "31": "GPU memory page fault",
    "43": "GPU stopped processing",
    "45": "Preemptive cleanup, due to previous errors",
    "48": "Double Bit ECC Error",
    "63": "Row remapping event",
    "64": "Row remapper failure",
    "74": "NVLink Error",
    "79": "GPU has fallen off the bus",
    "92": "High single-bit ECC error rate",
    "94": "Contained ECC error",
    "95": "Uncontained ECC error",
    "119": "GSP RPC timeout",
    "120": "GSP error",
}


@dataclass(frozen=True)
class Workload:
    """One (agent, tenant, model) stream of requests."""

    agent: str
    tenant: str
    model: str
    rate: float  # requests per second at the diurnal mean


@dataclass(frozen=True)
class Gpu:
    """One GPU scraped by dcgm-exporter; `host_label` is `Hostname` (older releases) or `hostname` (2026)."""

    host: str
    host_label: str
    index: int
    model_name: str
    pod: str
    namespace: str = "inference"  # where the workload using the GPU runs
    container: str = "vllm"
    mig: tuple[str, str] = ("", "")  # (GPU_I_ID, GPU_I_PROFILE) of a MIG instance; empty on a whole GPU

    @property
    def uuid(self) -> str:
        digest = hashlib.sha256(f"{self.host}/{self.index}".encode()).hexdigest()
        return f"GPU-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    @property
    def key(self) -> str:
        return f"{self.host}/{self.index}"

    def labels(self) -> dict[str, str]:
        """dcgm-exporter labels (with --kubernetes), plus what Prometheus adds when scraping."""
        return {
            "gpu": str(self.index),
            "UUID": self.uuid,
            "pci_bus_id": f"00000000:{0x07 + 0x10 * self.index:02X}:00.0",
            "device": f"nvidia{self.index}",
            "modelName": self.model_name,
            self.host_label: self.host,
            "pod": self.pod,
            "namespace": self.namespace,
            "container": self.container,
            **({"GPU_I_ID": self.mig[0], "GPU_I_PROFILE": self.mig[1]} if self.mig[0] else {}),
            "job": DCGM_JOB,
            "instance": f"{self.host}:9400",
        }


@dataclass(frozen=True)
class Topology:
    workloads: tuple[Workload, ...]
    tools: dict[str, tuple[str, ...]]
    collections: dict[str, tuple[str, ...]]
    gpus: tuple[Gpu, ...]
    budgets: dict[str, float] = field(default_factory=dict)  # tenant -> daily budget in USD
    overspender: str = OVERSPENDER
    rich_tenant: str | None = None  # a tenant whose override budget lies above the default

    @property
    def model_servers(self) -> tuple[Gpu, ...]:
        """The GPUs the self-hosted models' servers run on."""
        return tuple(g for g in self.gpus if g.container == "vllm")

    @property
    def agents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.agent for w in self.workloads))

    @property
    def tenants(self) -> tuple[str, ...]:
        return tuple(sorted({w.tenant for w in self.workloads}))

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w.model for w in self.workloads))

    def provider(self, model: str) -> str:
        return MODELS.get(model, "custom")

    def values(self, label: str) -> tuple[str, ...]:
        """The simulated values of a workload label (none for a label the platform does not fill)."""
        if label == "agent_name":
            return self.agents
        if label == "model":
            return self.models
        if label == "tenant_id":
            return self.tenants
        if label == "provider":
            return tuple(dict.fromkeys(self.provider(m) for m in self.models))
        if label == "model_name":  # a model server's: the models the platform serves itself
            return tuple(m for m in self.models if self.provider(m) == SELF_HOSTED)
        if label in ("namespace", "pod", "container"):  # the model servers' pods (kube-state-metrics)
            return tuple(dict.fromkeys(str(g.labels()[label]) for g in self.model_servers))
        if label == "tool_name":
            return tuple(sorted({t for tools in self.tools.values() for t in tools}))
        if label == "collection":
            return tuple(sorted({c for cs in self.collections.values() for c in cs}))
        if label == "job":  # the scrape target whose own series (up) the simulator writes
            return (AGENT_JOB[0],)
        if label == "instance":
            return (AGENT_JOB[1],)
        return ()


GPUS = (
    Gpu("gpu-node-a", "Hostname", 0, "NVIDIA A100-SXM4-80GB", "vllm-llama-0"),
    Gpu("gpu-node-a", "Hostname", 1, "NVIDIA A100-SXM4-80GB", "vllm-llama-0"),
    Gpu("gpu-node-b", "hostname", 0, "NVIDIA H100 80GB HBM3", "vllm-llama-1"),
    Gpu("gpu-node-b", "hostname", 1, "NVIDIA H100 80GB HBM3", "embed-batch-0", "batch", "worker", ("1", "3g.40gb")),
)


def topology(config: Config) -> Topology:
    """The default platform, extended with every tenant that has a budget override in `config`."""
    budgets = config.budgets
    extra = tuple(t for t in sorted(budgets.tenants) if t not in TENANTS)
    workloads: list[Workload] = []
    for a_index, (agent, (models, tenants, _, _)) in enumerate(AGENTS.items()):
        for t_index, tenant in enumerate(tenants + (extra if agent == "support-agent" else ())):
            for model in models:
                rate = 0.35 + 0.15 * ((a_index + 2 * t_index) % 4)
                workloads.append(Workload(agent, tenant, model, rate))
    tenant_names = sorted({w.tenant for w in workloads})
    richer = [t for t in tenant_names if budgets.for_tenant(t) > budgets.daily_usd_default and t != OVERSPENDER]
    rich = max(richer, key=lambda t: (budgets.for_tenant(t), t)) if richer else None
    overspender = (
        OVERSPENDER
        if budgets.for_tenant(OVERSPENDER) == budgets.daily_usd_default
        else min(tenant_names, key=lambda t: (budgets.for_tenant(t), t))
    )
    return Topology(
        workloads=tuple(workloads),
        tools={agent: spec[2] for agent, spec in AGENTS.items()},
        collections={agent: spec[3] for agent, spec in AGENTS.items()},
        gpus=GPUS,
        budgets={t: budgets.for_tenant(t) for t in tenant_names},
        overspender=overspender,
        rich_tenant=rich,
    )
