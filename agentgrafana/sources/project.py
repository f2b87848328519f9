"""A project's own `catalog.yaml`: metrics and sources added without touching `agentgrafana/`.

    metrics:                      # new concepts: content may read them like any catalog metric
      - {name: agent_guardrail_blocks_total, type: counter, unit: short, labels: [agent_name, rule],
         help: Requests a guardrail blocked.}
    sources:                      # dialects `metrics.sources` may name
      my-stack:
        title: Our in-house exporter
        metrics: [{name: my_agent_seconds, type: histogram, unit: s, labels: [agent], buckets: [0.5, 1, 5, 30]}]
        concepts:
          agent_request_duration_seconds: {family: my_agent_seconds, labels: {agent_name: agent}}

Every key is checked; a mistake names the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import COUNTER, GAUGE, HISTOGRAM, LABEL_NAME_RE, METRIC_NAME_RE, Catalog, Metric
from ..config import MAX_CONFIG_BYTES, ConfigError, decode, parse_yaml
from .base import Mapping, Source

FILE = "catalog.yaml"
PROJECT = "project"
IMPORTED = "imported"  # a metric `agentgrafana import` inferred from a dashboard's queries: not simulated
TYPES = (COUNTER, GAUGE, HISTOGRAM)


@dataclass(frozen=True)
class ProjectCatalog:
    """What a project's catalog.yaml adds: concept metrics (provided by the always-on `project` source) and sources."""

    metrics: tuple[Metric, ...] = ()
    sources: dict[str, Source] = field(default_factory=dict)
    path: str = ""

    def concepts(self, base: Catalog) -> Catalog:
        return Catalog(base.metrics + self.metrics) if self.metrics else base

    def all_sources(self) -> dict[str, Source]:
        out = dict(self.sources)
        if self.metrics:
            out[PROJECT] = Source(
                PROJECT,
                f"metrics defined in {self.path}",
                self.metrics,
                {m.name: Mapping() for m in self.metrics},
                always=True,
            )
        return out


def load(root: Path, base: Catalog) -> ProjectCatalog:
    """`root/catalog.yaml`, or an empty catalog when there is none."""
    path = root / FILE
    if not path.is_file():
        return ProjectCatalog()
    shown = FILE
    raw = path.read_bytes()
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_CONFIG_BYTES // 1024} KiB")
    data = parse_yaml(decode(raw, path), path)
    if data is None:
        return ProjectCatalog(path=shown)
    _mapping(data, shown, {"metrics", "sources"})
    metrics = tuple(_metric(m, f"{shown}: metrics[{i}]", PROJECT) for i, m in enumerate(_list(data, "metrics", shown)))
    taken = {name for m in base.metrics for name in m.series_names()}
    for m in metrics:
        clash = sorted(set(m.series_names()) & taken)
        if clash:
            raise ConfigError(f"{shown}: metrics: {m.name} clashes with the catalog's series {clash[0]}")
        taken |= set(m.series_names())
    concepts = Catalog(base.metrics + metrics)
    sources_data = data.get("sources") or {}
    if not isinstance(sources_data, dict):
        raise ConfigError(f"{shown}: sources: expected a mapping of source name -> definition")
    sources = {}
    for name, body in sources_data.items():
        if not isinstance(name, str) or not name or len(name) > 40:
            raise ConfigError(f"{shown}: sources: source names must be 1-40 characters, got {name!r}")
        sources[name] = _source(name, body, f"{shown}: sources.{name}", concepts)
    return ProjectCatalog(metrics, sources, shown)


def _source(name: str, body: Any, where: str, concepts: Catalog) -> Source:
    _mapping(body, where, {"title", "metrics", "concepts", "application"})
    metrics = tuple(_metric(m, f"{where}.metrics[{i}]", name) for i, m in enumerate(_list(body, "metrics", where)))
    families = {m.name: m for m in metrics}
    raw = body.get("concepts") or {}
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{where}.concepts: expected a mapping of concept -> how this source provides it")
    mappings = {}
    for concept, spec in raw.items():
        key = f"{where}.concepts.{concept}"
        try:
            known = concepts.metric(str(concept))
        except KeyError:
            raise ConfigError(f"{key}: not a concept of the catalog (see `agentgrafana catalog`)") from None
        mappings[known.name] = _concept(spec or {}, key, known, families)
    application = body.get("application", True)
    if not isinstance(application, bool):
        raise ConfigError(f"{where}.application: expected true or false")
    return Source(name, str(body.get("title") or name), metrics, mappings, application=application)


def _concept(spec: Any, key: str, concept: Metric, families: dict[str, Metric]) -> Mapping:
    _mapping(spec, key, {"family", "part", "labels", "matchers", "example", "subset_of", "priced"})
    priced = spec.get("priced", False)
    if not isinstance(priced, bool):
        raise ConfigError(f"{key}.priced: expected true or false")
    family = _string(spec, "family", key, concept.name if not priced else "")
    part = _string(spec, "part", key, "")
    if part not in ("", "_count", "_sum"):
        raise ConfigError(f"{key}.part: expected _count or _sum (a counter read from a histogram), got {part!r}")
    if not priced:
        metric = families.get(family)
        if metric is None:
            raise ConfigError(f"{key}.family: {family!r} is not among this source's metrics")
        if part and metric.type != HISTOGRAM:
            raise ConfigError(f"{key}.part: {family} is a {metric.type}, not a histogram")
        if concept.type == HISTOGRAM and metric.type != HISTOGRAM:
            raise ConfigError(f"{key}.family: {concept.name} is a histogram; {family} is a {metric.type}")
    labels = spec.get("labels") or {}
    if not isinstance(labels, dict):
        raise ConfigError(f"{key}.labels: expected a mapping of concept label -> this source's label (or null)")
    for k, v in labels.items():
        if k not in concept.labels:
            raise ConfigError(f"{key}.labels.{k}: {concept.name} has no label {k} (it has {', '.join(concept.labels)})")
        if v is not None and (not isinstance(v, str) or not LABEL_NAME_RE.match(v)):
            raise ConfigError(f"{key}.labels.{k}: expected a label name or null, got {v!r}")
    example = spec.get("example") or {}
    if not isinstance(example, dict) or not all(isinstance(v, str) for v in example.values()):
        raise ConfigError(f"{key}.example: expected a mapping of label -> value (strings)")
    matchers = _string(spec, "matchers", key, "")
    from ..config import _valid_selector

    if matchers and not _valid_selector(matchers):
        raise ConfigError(f'{key}.matchers: expected PromQL label matchers such as status="error", got {matchers!r}')
    return Mapping(family, part, labels, matchers, example, _string(spec, "subset_of", key, ""), priced)


def _metric(data: Any, where: str, source: str) -> Metric:
    _mapping(data, where, {"name", "type", "unit", "labels", "help", "buckets", "source"})
    provenance = _string(data, "source", where, "")
    if provenance not in ("", IMPORTED):
        raise ConfigError(f"{where}.source: expected {IMPORTED} (written by `agentgrafana import`) or nothing")
    imported = provenance == IMPORTED
    name = _string(data, "name", where, "")
    if not METRIC_NAME_RE.match(name) or (":" in name and not imported):  # exporters' own names may have colons
        raise ConfigError(f"{where}.name: expected a metric name (letters, digits, '_'), got {name!r}")
    kind = _string(data, "type", where, "")
    if kind not in TYPES:
        raise ConfigError(f"{where}.type: expected one of {', '.join(TYPES)}, got {kind!r}")
    labels = data.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) and LABEL_NAME_RE.match(x) for x in labels):
        raise ConfigError(f"{where}.labels: expected a list of label names")
    buckets = data.get("buckets") or []
    if not isinstance(buckets, list) or not all(
        isinstance(b, (int, float)) and not isinstance(b, bool) and b == b for b in buckets
    ):
        raise ConfigError(f"{where}.buckets: expected a list of numbers")
    if kind == HISTOGRAM and (sorted(set(buckets)) != list(buckets) or not (buckets or imported)):
        raise ConfigError(f"{where}.buckets: a histogram needs its bucket bounds, increasing, without +Inf")
    return Metric(
        name,
        kind,
        _string(data, "unit", where, "short"),
        tuple(labels),
        _string(data, "help", where, ""),
        IMPORTED if imported else source,
        tuple(float(b) for b in buckets),
    )


def _mapping(data: Any, where: str, allowed: set[str]) -> None:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping")
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ConfigError(f"{where}: {key}: expected a list")
    return value


def _string(data: dict[str, Any], key: str, where: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or len(value) > 1000 or not value.isprintable():
        raise ConfigError(f"{where}.{key}: expected a single-line string")
    return value
