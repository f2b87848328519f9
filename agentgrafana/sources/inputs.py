"""Test inputs in the build's dialect: the promtool series an incident describes in concepts, as the source emits them.

An incident speaks concepts (`agent_errors_total{agent_name="support-bot"}`); a build on `otel-genai` reads
`gen_ai_invoke_agent_duration_seconds_count{gen_ai_agent_name="support-bot", error_type="..."}`. `render` turns
the one into the other: the source's series name, its label names, label values that satisfy its fixed matchers
and `metrics.selector`, errors taken out of the requests they are part of (so an error ratio stays the ratio the
incident asked for), and spend turned into tokens at the configured price where cost is tokens x `pricing`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping as MappingType
from collections.abc import Sequence

from ..config import Config, ConfigError
from ..scenario import InputSeries, number, selector
from .base import Resolved, matches, parse_matchers
from .dialect import Dialect

SERIES_RE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?$")
LABEL_RE = re.compile(r'\s*([a-zA-Z_]\w*)=("(?:[^"\\]|\\.)*")\s*,?')
LINEAR_RE = re.compile(r"^(-?[0-9.e+-]+?)([+-])([0-9.e+-]+)x([0-9]+)$")
TOKENS = "llm_tokens_total"


def parse_series(text: str) -> tuple[str, dict[str, str]]:
    """`name{a="b"}` -> (name, {a: b})."""
    m = SERIES_RE.match(text)
    if m is None:
        raise ValueError(f"not a series selector: {text!r}")
    name, body = m.group(1), m.group(2) or ""
    labels = {}
    pos = 0
    while pos < len(body):
        lm = LABEL_RE.match(body, pos)
        if lm is None:
            raise ValueError(f"not a series selector: {text!r}")
        labels[lm.group(1)] = json.loads(lm.group(2))
        pos = lm.end()
    return name, labels


def satisfying(op: str, value: str) -> str | None:
    """A label value matching `op value` (None: leave the label out, which matches)."""
    if op == "=":
        return value
    if op == "=~":
        for candidate in value.split("|"):
            if re.fullmatch(value, candidate):
                return candidate
        raise ConfigError(f'cannot derive a test value for the matcher =~"{value}"; give the source an example')
    return None if not re.fullmatch(value, "") or op == "!=" and value != "" else "x"


def selector_labels(selector_text: str) -> dict[str, str]:
    """Label values every application series of the tests carries, so `metrics.selector` matches them."""
    out = {}
    for label, op, value in parse_matchers(selector_text):
        v = satisfying(op, value)
        if v is not None:
            out[label] = v
    return out


def render(series: Sequence[InputSeries], dialect: Dialect, config: Config) -> list[InputSeries]:
    """`series` (concepts) as the configured sources expose them; other series stay as they are."""
    scoped = selector_labels(config.metrics.selector) if config.metrics.selector else {}
    out: list[tuple[InputSeries, Resolved | None, dict[str, str]]] = []
    for s in series:
        name, labels = parse_series(s.series)
        resolved = dialect.resolve(name) if dialect.is_concept(name) else None
        if resolved is None:
            out.append((s, None, labels))
            continue
        values = s.values
        if resolved.split_label:  # one family per value of the label: the series goes to its value's family
            value = labels.pop(resolved.split_label, "")
            part = dict(resolved.parts).get(value)
            if part is None:
                raise ConfigError(
                    f"{name}: the test series {s.series} needs {resolved.split_label} set to one of "
                    f"{', '.join(dict(resolved.parts))} ({resolved.source.name} has one family per value)"
                )
            resolved = part
        if resolved.priced:
            resolved, labels, values = _as_tokens(dialect, config, labels, values)
        new_labels = _labels(resolved, labels, scoped)
        out.append((InputSeries(selector(resolved.series, new_labels), values), resolved, new_labels))
    return _take_out_subsets(out)


def _labels(resolved: Resolved, labels: MappingType[str, str], scoped: MappingType[str, str]) -> dict[str, str]:
    new = {}
    for label, value in labels.items():
        if label == "le" or label not in resolved.labels and label not in _known(resolved):
            new[label] = value
        elif label in resolved.labels:
            new[resolved.labels[label]] = value
        # else: a concept label the source lacks: dropped
    for label, op, value in parse_matchers(resolved.matchers) if resolved.matchers else []:
        if label in new and matches(op, value, new[label]):
            continue
        example = resolved.mapping.example.get(label)
        chosen = example if example is not None else satisfying(op, value)
        if chosen is None:
            new.pop(label, None)
        else:
            new[label] = chosen
    if resolved.source.application:
        new.update({k: v for k, v in scoped.items() if k not in new})
    return new


def _known(resolved: Resolved) -> set[str]:
    """Labels of the concept (whether or not the source has them)."""
    return set(resolved.labels) | {k for k, v in resolved.mapping.labels.items() if v is None}


def _as_tokens(
    dialect: Dialect, config: Config, labels: dict[str, str], values: str
) -> tuple[Resolved, dict[str, str], str]:
    """A spend counter (USD) as the input-token counter that costs the same at the configured price."""
    tokens = dialect.resolve(TOKENS)
    if tokens is None:
        raise ConfigError("cost is priced from tokens, but no configured source provides llm_tokens_total")
    model = labels.get("model", "")
    price = config.pricing.get(model)
    if price is None or price.input <= 0:
        raise ConfigError(f"pricing.{model}: the tests spend on {model!r}, which needs an input price above 0")
    per_token = price.input / 1000
    return tokens, {**labels, "token_type": "input"}, scale(values, 1 / per_token)


def scale(values: str, factor: float) -> str:
    """Expanding notation with every value multiplied by `factor` (`0+2x10` -> `0+4x10` for 2)."""
    out = []
    for item in values.split():
        m = LINEAR_RE.match(item)
        if m:
            start, sign, step, times = m.groups()
            out.append(f"{number(float(start) * factor)}{sign}{number(float(step) * factor)}x{times}")
            continue
        m2 = re.match(r"^(-?[0-9.e+-]+)x([0-9]+)$", item)
        if m2:
            out.append(f"{number(float(m2.group(1)) * factor)}x{m2.group(2)}")
        elif item in ("_", "stale") or item.startswith("_x"):
            out.append(item)
        else:
            out.append(number(float(item) * factor))
    return " ".join(out)


def _take_out_subsets(
    rendered: list[tuple[InputSeries, Resolved | None, dict[str, str]]],
) -> list[InputSeries]:
    """Errors that are part of a family's requests (otel: `_count{error_type!=""}`) come out of the requests
    series they belong to, so requests + errors = the requests the incident described."""
    series = [s for s, _, _ in rendered]
    for s, resolved, labels in rendered:
        if resolved is None or not resolved.mapping.subset_of:
            continue
        for j, (_, other_resolved, other_labels) in enumerate(rendered):
            if other_resolved is None or other_resolved.concept != resolved.mapping.subset_of + "_count":
                continue
            shared = set(labels) & set(other_labels)
            if all(labels[k] == other_labels[k] for k in shared):
                series[j] = InputSeries(series[j].series, _minus(series[j].values, s.values))
                break
    return series


def _minus(total: str, part: str) -> str:
    """`0+10x30` minus `0+2x30` -> `0+8x30`; anything else stays as it is."""
    a, b = LINEAR_RE.match(total), LINEAR_RE.match(part)
    if not (a and b) or a.group(2) != "+" or b.group(2) != "+" or a.group(4) != b.group(4):
        return total
    start = float(a.group(1)) - float(b.group(1))
    step = float(a.group(3)) - float(b.group(3))
    if step < 0 or start < 0:
        return total
    return f"{number(start)}+{number(step)}x{a.group(4)}"
