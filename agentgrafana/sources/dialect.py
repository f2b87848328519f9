"""`Dialect`: the sources one build is configured for, resolving concept series and holding its catalog."""

from __future__ import annotations

from collections.abc import Mapping as MappingType

from ..catalog import TARGET_LABELS, Catalog, Metric
from ..config import Config, ConfigError
from .base import TENANT, Mapping, Resolved, Source
from .builtin import ALWAYS, BUILTIN


class Dialect:
    """The configured sources of one build: resolves concept series and holds the catalog to validate against."""

    def __init__(
        self, concepts: Catalog, sources: list[Source], tenant_label: str = "tenant_id", cluster_label: str = ""
    ):
        self.concepts = concepts
        self.sources = tuple(sources)
        self.tenant_label = tenant_label
        self._sources = [_with_tenant(s, tenant_label) for s in sources]
        metrics: dict[str, Metric] = {}
        for s in self._sources:
            for m in s.metrics:
                metrics.setdefault(m.name, m)
        self.catalog = Catalog(tuple(metrics.values()), (*TARGET_LABELS, *([cluster_label] if cluster_label else [])))
        self._cache: dict[str, Resolved | None] = {}

    # --- resolution ------------------------------------------------------------------------------------------
    def is_concept(self, series: str) -> bool:
        return self.concepts.series(series) is not None

    def resolve(self, series: str) -> Resolved | None:
        """The first configured source providing the concept series `series`; None when none does."""
        if series not in self._cache:
            self._cache[series] = self._resolve(series)
        return self._cache[series]

    def _resolve(self, series: str) -> Resolved | None:
        concept = self.concepts.series(series)
        if concept is None:
            return None
        metric = concept.metric
        suffix = series[len(metric.name) :]
        for source in self._sources:
            mapping = source.concepts.get(metric.name)
            if mapping is not None:
                return _resolved(series, metric, suffix, mapping, source)
        return None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources if not s.always]


def _resolved(series: str, metric: Metric, suffix: str, mapping: Mapping, source: Source) -> Resolved:
    """`series` (concept `metric` + `suffix`) as `mapping` of `source` provides it."""
    mapping = mapping.series.get(suffix, mapping)
    if mapping.split_label:
        parts = tuple((value, _resolved(series, metric, suffix, part, source)) for value, part in mapping.parts.items())
        first = parts[0][1]
        return Resolved(series, first.series, "", first.labels, source, mapping, mapping.split_label, parts)
    labels = {}
    for label in metric.labels:
        target = mapping.labels.get(label, label)
        if target is not None:
            labels[label] = target
    if mapping.priced:
        name = series
    elif mapping.part:
        name = mapping.family + mapping.part
    else:
        name = (mapping.family or metric.name) + suffix
    return Resolved(series, name, mapping.matchers, labels, source, mapping)


def _with_tenant(source: Source, tenant_label: str) -> Source:
    """`source` with the tenant placeholder replaced by the configured label name."""

    def fix(label: str | None) -> str | None:
        return tenant_label if label == TENANT else label

    metrics = tuple(
        Metric(
            m.name,
            m.type,
            m.unit,
            tuple(dict.fromkeys(fix(label) or label for label in m.labels)),
            m.help,
            m.source,
            m.buckets,
            m.per_request,
            m.typical,
        )
        for m in source.metrics
    )
    concepts = {name: mapping.replace_labels(fix) for name, mapping in source.concepts.items()}
    return Source(source.name, source.title, metrics, concepts, source.application, source.always, source.notes)


def dialect(config: Config, concepts: Catalog, project_sources: MappingType[str, Source] = {}) -> Dialect:
    """The build's dialect: `metrics.sources` in order, then the sources that are always on."""
    known = {**BUILTIN, **project_sources}
    chosen: list[Source] = []
    seen: set[str] = set()
    for i, name in enumerate(config.metrics.sources):
        if name not in known:
            raise ConfigError(
                f"metrics.sources[{i}]: unknown source {name!r} (built in: {', '.join(BUILTIN)}"
                + (f"; catalog.yaml defines: {', '.join(project_sources)}" if project_sources else "")
                + ")"
            )
        if name in seen:
            raise ConfigError(f"metrics.sources[{i}]: {name!r} is listed twice")
        seen.add(name)
        chosen.append(known[name])
    if not chosen:
        raise ConfigError("metrics.sources: name at least one source (e.g. [seed])")
    always = list(ALWAYS) + [s for s in project_sources.values() if s.always]
    m = config.metrics
    return Dialect(concepts, chosen + always, m.tenant_label, m.cluster_label)
