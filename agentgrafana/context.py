"""The object content modules receive: configuration, catalog and the helpers to build with."""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import panels, queries
from .board import Board
from .catalog import CATALOG, Catalog
from .config import Config


@dataclass(frozen=True)
class Context:
    """What a content module may read. `tenant` is set when building one tenant's own dashboard."""

    config: Config
    catalog: Catalog = CATALOG
    tenant: str | None = None

    # Helper modules, so content needs a single import.
    q = queries
    panels = panels

    def uid(self, name: str) -> str:
        """Stable uid: `<prefix>-<name>`, or `<prefix>-<name>-<tenant>` for a tenant's own dashboard."""
        suffix = f"-{self.tenant}" if self.tenant else ""
        return self.config.uid(name) + suffix

    def board(self, key: str, title: str, description: str, tags: tuple[str, ...] = ()) -> Board:
        if self.tenant:
            title = f"{title} — {self.tenant}"
        return Board(self.config, self.uid(key), title, description, tags, tenant=self.tenant)

    def for_tenant(self, tenant: str) -> Context:
        return replace(self, tenant=tenant)

    @property
    def thresholds(self):  # noqa: ANN201 - the Thresholds dataclass
        return self.config.thresholds
