"""The vocabulary of sources: a concept mapping, a source, a resolved concept series; matcher text helpers."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from dataclasses import dataclass, field

from ..catalog import Metric

# In a source's definition, the label that carries the tenant (`metrics.tenant_label`).
TENANT = "$tenant_label"
MATCHER_RE = re.compile(r'\s*([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*")\s*,?')


@dataclass(frozen=True)
class Mapping:
    """How a source provides one concept family.

    `family`: the source's metric family (a histogram's base name); empty for a concept derived from others.
    `part`: for a counter concept read from a histogram, the series it is (`_count` or `_sum`).
    `labels`: concept label -> the source's label name (unnamed labels keep their name; None: the source lacks it).
    `matchers`: fixed PromQL matchers that select the concept within the family (`error_type!=""`).
    `example`: label values that satisfy `matchers`, for test inputs (`{"error_type": "429"}`).
    `subset_of`: the concept whose counts include this one's (errors are requests whose `error_type` is set), so
    test inputs for both stay consistent. `priced`: cost computed as tokens x `pricing` (no cost metric).
    `series`: a concept series read from another family than the rest (`_count` from LiteLLM's total-requests
    counter, which counts failures that its latency histogram never observes), keyed by suffix.
    `split_label` / `parts`: a concept spread over one family per value of a label (LiteLLM's input and output
    token counters are `llm_tokens_total{token_type}`); queries read every part and set the label.
    """

    family: str = ""
    part: str = ""
    labels: MappingType[str, str | None] = field(default_factory=dict)
    matchers: str = ""
    example: MappingType[str, str] = field(default_factory=dict)
    subset_of: str = ""
    priced: bool = False
    series: MappingType[str, Mapping] = field(default_factory=dict)
    split_label: str = ""
    parts: MappingType[str, Mapping] = field(default_factory=dict)

    def replace_labels(self, fix: Callable[[str | None], str | None]) -> Mapping:
        """This mapping (and the ones inside it) with every source label name passed through `fix`."""
        return dataclasses.replace(
            self,
            labels={k: fix(v) for k, v in self.labels.items()},
            series={k: m.replace_labels(fix) for k, m in self.series.items()},
            parts={k: m.replace_labels(fix) for k, m in self.parts.items()},
        )


@dataclass(frozen=True)
class Source:
    """A dialect of metrics: the families it exposes (catalog entries) and the concepts it provides.

    `application`: its series come from the agent platform, so `metrics.selector` scopes them (not dcgm-exporter's
    or Prometheus' own). `always`: provided whatever `metrics.sources` says (Prometheus' own series).
    """

    name: str
    title: str
    metrics: tuple[Metric, ...]
    concepts: MappingType[str, Mapping]
    application: bool = True
    always: bool = False
    notes: str = ""


@dataclass(frozen=True)
class Resolved:
    """One concept series as a configured source provides it."""

    concept: str  # concept series, e.g. agent_errors_total
    series: str  # the source's series, e.g. gen_ai_invoke_agent_duration_seconds_count
    matchers: str  # fixed matchers (PromQL text, source label names)
    labels: MappingType[str, str]  # concept label -> source label, for every concept label the source has
    source: Source
    mapping: Mapping
    split_label: str = ""  # set: the concept is read from `parts`, one family per value of this label
    parts: tuple[tuple[str, Resolved], ...] = ()

    @property
    def priced(self) -> bool:
        return self.mapping.priced

    def renamed(self) -> dict[str, str]:
        """Concept labels whose source label has another name."""
        return {c: s for c, s in self.labels.items() if c != s}


def rename_matchers(matchers: str, labels: MappingType[str, str]) -> str:
    """PromQL matchers on concept labels (`token_type="input"`) with the source's label names."""
    if not matchers:
        return ""
    parts = []
    pos = 0
    while pos < len(matchers):
        m = MATCHER_RE.match(matchers, pos)
        if m is None:  # not plain matchers: leave the text as written (validation reports it)
            return matchers
        label, op, value = m.groups()
        parts.append(f"{labels.get(label, label)}{op}{value}")
        pos = m.end()
    return ", ".join(parts)


def parse_matchers(matchers: str) -> list[tuple[str, str, str]]:
    """`a="x", b!=""` -> [(a, =, x), (b, !=, "")] (values unquoted)."""
    out = []
    pos = 0
    while pos < len(matchers):
        m = MATCHER_RE.match(matchers, pos)
        if m is None:
            raise ValueError(f"not label matchers: {matchers!r}")
        label, op, value = m.groups()
        out.append((label, op, bytes(value[1:-1], "utf-8").decode("unicode_escape")))
        pos = m.end()
    return out


def matches(op: str, pattern: str, value: str) -> bool:
    """Whether `value` satisfies the PromQL matcher `op "pattern"`."""
    if op == "=":
        return value == pattern
    if op == "!=":
        return value != pattern
    hit = re.fullmatch(pattern, value) is not None
    return hit if op == "=~" else not hit
