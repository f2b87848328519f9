"""Find and load content modules from `dashboards/`, `alerts/` and `recording_rules/`.

A module in `dashboards/` defines `dashboard(ctx)` (one dashboard) or `dashboards(ctx)` (several); the
result may be a foundation-sdk builder, a grafanalib `Dashboard`, or a plain dict of dashboard JSON.
A module in `alerts/` defines `alerts(ctx) -> list[Alert]`; one in `recording_rules/` defines
`recording_rules(ctx) -> list[RecordingRule]`. Files starting with `_` are helpers, not content.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")
# Set by the CLI's SIGINT handler: a KeyboardInterrupt then is the user's Ctrl-C, not a content bug.
USER_INTERRUPT = threading.Event()

CONTENT_KINDS = {
    "dashboards": ("dashboard", "dashboards"),
    "alerts": ("alerts",),
    "recording_rules": ("recording_rules",),
}


class ContentError(Exception):
    """A content module could not be loaded or does not define what its folder requires."""


class NoContent(Exception):
    """The project root holds no content module at all (a usage error: usually the wrong --root)."""


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
    except BaseException as exc:  # noqa: BLE001 - even sys.exit() in content must not end the run with 0
        sys.modules.pop(name, None)
        if isinstance(exc, KeyboardInterrupt) and USER_INTERRUPT.is_set():
            raise
        raise ContentError(f"{path.relative_to(root)}: failed to import: {describe(exc)}") from None
    if not any(callable(getattr(module, fn, None)) for fn in CONTENT_KINDS[kind]):
        wanted = " or ".join(f"{fn}(ctx)" for fn in CONTENT_KINDS[kind])
        raise ContentError(f"{path.relative_to(root)}: a module in {kind}/ must define {wanted}")
    return module


def describe(exc: BaseException) -> str:
    """One bounded line for an exception raised by content (never a repr of a huge value)."""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({str(exc.code)[:40]!s}); content must return, not exit"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (KeyboardInterrupt)"
    if isinstance(exc, RecursionError):
        return "RecursionError: nested too deeply (or endless recursion)"
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ in content
        text = "<unprintable>"
    text = " ".join(text.split())
    return f"{type(exc).__name__}: {text[:300]}{'...' if len(text) > 300 else ''}"


def call_content(m: ContentModule, what: str, fn: Callable[[], T], passthrough: tuple[type, ...] = ()) -> T:
    """Run `fn` (a call into content module `m`); any exception, SystemExit included, becomes a ContentError
    naming the module. Exceptions of the `passthrough` types (already clear messages) go through as they are."""
    try:
        return fn()
    except ContentError:
        raise
    except BaseException as exc:  # noqa: BLE001 - content may raise anything, even SystemExit
        if (passthrough and isinstance(exc, passthrough)) or (
            isinstance(exc, KeyboardInterrupt) and USER_INTERRUPT.is_set()
        ):
            raise
        raise ContentError(f"{m.path}: {what} failed: {describe(exc)}") from None
