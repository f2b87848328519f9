"""The object content modules receive: configuration, catalog and the helpers to build with."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import panels
from .alerting.duration import seconds
from .board import OWNERSHIP_TAG, Board
from .catalog import CATALOG, Catalog
from .config import Config
from .imported import ImportedDashboard
from .queries import Queries
from .sources import dialect


def queries_for(config: Config, concepts: Catalog = CATALOG, project_sources: dict | None = None) -> Queries:
    """The query builders for `config`'s metric sources (and a project's own, from catalog.yaml)."""
    m = config.metrics
    interval = seconds(config.alerting.group_interval)
    return Queries(dialect(config, concepts, project_sources or {}), m.selector, m.cluster_label, interval)


@dataclass(frozen=True)
class Context:
    """What a content module may read. `tenant` is set when building one tenant's own dashboard.

    `catalog` holds the concepts content names; `q` renders them for the configured sources.
    """

    config: Config
    catalog: Catalog = CATALOG
    tenant: str | None = None
    q: Queries = field(default=None)  # type: ignore[assignment]  # built from config when not given

    # Helper module, so content needs a single import.
    panels = panels

    def __post_init__(self) -> None:
        if self.q is None:
            object.__setattr__(self, "q", queries_for(self.config, self.catalog))

    def uid(self, name: str) -> str:
        """Stable uid: `<prefix>-<name>`, or `<prefix>-<name>-<tenant>` for a tenant's own dashboard."""
        suffix = f"-{self.tenant}" if self.tenant else ""
        return self.config.uid(name) + suffix

    def board(
        self,
        key: str,
        title: str,
        description: str,
        tags: tuple[str, ...] = (),
        variable_series: dict[str, tuple[str, ...]] | None = None,
    ) -> Board:
        """`variable_series`: where a shared variable reads its values on this dashboard, e.g. tenants from spend."""
        if self.tenant:
            title = f"{title} — {self.tenant}"
        return Board(
            self.config,
            self.uid(key),
            title,
            description,
            tags,
            tenant=self.tenant,
            q=self.q,
            variable_series=variable_series,
        )

    def imported(self, uid: str, title: str, **settings: object) -> ImportedDashboard:
        """A dashboard brought in by `agentgrafana import`: kept as written, with the ownership tag added."""
        return ImportedDashboard(uid, title, dict(settings), owner_tag=OWNERSHIP_TAG)

    def for_tenant(self, tenant: str) -> Context:
        return replace(self, tenant=tenant)

    @property
    def thresholds(self):  # noqa: ANN201 - the Thresholds dataclass
        return self.config.thresholds
