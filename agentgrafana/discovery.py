"""Find and load content modules from `dashboards/`, `alerts/` and `recording_rules/`.

A module in `dashboards/` defines `dashboard(ctx)` (one dashboard) or `dashboards(ctx)` (several); the
result may be a foundation-sdk builder, a grafanalib `Dashboard`, or a plain dict of dashboard JSON.
A module in `alerts/` defines `alerts(ctx) -> list[Alert]`; one in `recording_rules/` defines
`recording_rules(ctx) -> list[RecordingRule]`. Files starting with `_` are helpers, not content.
"""
from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

CONTENT_KINDS = {
    "dashboards": ("dashboard", "dashboards"),
    "alerts": ("alerts",),
    "recording_rules": ("recording_rules",),
}


class ContentError(Exception):
    """A content module could not be loaded or does not define what its folder requires."""


@dataclass(frozen=True)
class ContentModule:
    kind: str  # dashboards | alerts | recording_rules
    path: Path  # relative to the project root, for messages
    module: ModuleType


def project_root() -> Path:
    """The folder holding `dashboards/`, `alerts/`, `recording_rules/` (the working directory by default)."""
    return Path.cwd()


def discover(root: Path, kinds: tuple[str, ...] = tuple(CONTENT_KINDS)) -> list[ContentModule]:
    """Load every content module, in a fixed order (kind, then file name)."""
    found: list[ContentModule] = []
    for kind in kinds:
        folder = root / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            found.append(ContentModule(kind, path.relative_to(root), _load(root, kind, path)))
    return found


def _load(root: Path, kind: str, path: Path) -> ModuleType:
    name = f"agentgrafana_content.{kind}.{path.stem}"  # loaded afresh on every build: content may have changed
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ContentError(f"{path.relative_to(root)}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # any error in user content is reported with its file
        del sys.modules[name]
        raise ContentError(f"{path.relative_to(root)}: failed to import: {type(exc).__name__}: {exc}") from exc
    if not any(callable(getattr(module, fn, None)) for fn in CONTENT_KINDS[kind]):
        wanted = " or ".join(f"{fn}(ctx)" for fn in CONTENT_KINDS[kind])
        raise ContentError(f"{path.relative_to(root)}: a module in {kind}/ must define {wanted}")
    return module
