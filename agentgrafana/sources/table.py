"""The README's concept x source table (`agentgrafana sources`): what each built-in source provides, and how."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ..catalog import CATALOG, DCGM, KSM, LITELLM, PROMETHEUS, VLLM, Catalog
from .base import Mapping, Source
from .builtin import BUILTIN


def to_markdown(sources: dict[str, Source] = BUILTIN, concepts: Catalog = CATALOG) -> str:
    names = [n for n in sources if n not in ("dcgm-exporter", "kube-state-metrics", "vllm")]
    lines = ["| concept | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in concepts:
        if metric.source in (DCGM, PROMETHEUS, VLLM, KSM, LITELLM) or metric.name == "tenant_monthly_budget_usd":
            continue
        cells = [_cell(sources[n], metric.name) for n in names]
        lines.append(f"| `{metric.name}` ({metric.type}) | " + " | ".join(cells) + " |")
    gpu = sum(1 for m in concepts if m.source == DCGM)
    lines.append("")
    lines.append(
        f"The {gpu} GPU series (`DCGM_FI_*`) come from the `dcgm-exporter` source, the model servers' (`vllm:*`) "
        "from `vllm`, container restarts from `kube-state-metrics`, LiteLLM's deployment, fallback and budget "
        "series (`litellm_deployment_*`, `litellm_*_budget_metric`) from `litellm`; `up`, Prometheus' "
        "rule-evaluation series and `tenant_monthly_budget_usd` are read whatever the sources."
    )
    for n in names:
        renames = sorted(
            {(c, s) for m in _mappings(sources[n]) for c, s in m.labels.items() if s is not None and c != s}
        )
        if renames:
            shown = ", ".join(f"`{c}` ← `{s.replace('$tenant_label', 'metrics.tenant_label')}`" for c, s in renames)
            lines.append(f"Labels of `{n}`, as queries name them ← as the source writes them: {shown}.")
        if sources[n].notes:
            lines.append(f"`{n}`: {sources[n].notes}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _mappings(source: Source) -> Iterator[Mapping]:
    """Every mapping of `source`, the ones inside others (series overrides, split parts) included."""
    stack = list(source.concepts.values())
    while stack:
        mapping = stack.pop()
        yield mapping
        stack.extend(mapping.series.values())
        stack.extend(mapping.parts.values())


def _cell(source: Source, concept: str) -> str:
    mapping = source.concepts.get(concept)
    if mapping is None:
        return "—"
    if mapping.priced:
        return "tokens x `pricing`"
    if mapping.split_label:
        return " + ".join(f"`{p.family}{p.part}` ({mapping.split_label}={v})" for v, p in mapping.parts.items())
    if mapping.series:
        main = _cell(dataclasses.replace(source, concepts={concept: dataclasses.replace(mapping, series={})}), concept)
        extra = ", ".join(f"`{suffix}`: `{m.family}{m.part}`" for suffix, m in mapping.series.items())
        return f"{main} ({extra})"
    name = (mapping.family or concept) + mapping.part
    if name == concept and not mapping.matchers:
        return "same name"
    text = f"`{name}{{{mapping.matchers}}}`" if mapping.matchers else f"`{name}`"
    return text.replace("|", "\\|")  # a table cell
