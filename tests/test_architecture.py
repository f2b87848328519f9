"""The layout shows the flow (content -> model -> lint -> outputs -> delivery): the import graph of agentgrafana/
has no cycles, no lower layer imports a higher one, and the engine never imports a content module."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "agentgrafana"
DELIVERY = (
    "agentgrafana.writer",
    "agentgrafana.grafana",
    "agentgrafana.review",
    "agentgrafana.preview",
    "agentgrafana.live",
)
TOP = ("agentgrafana.entry", "agentgrafana.cli", "agentgrafana.readme")
CONTENT = ("dashboards", "alerts", "recording_rules", "agentgrafana_content")


@functools.cache
def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every agentgrafana module `name` imports, anywhere in the file (lazy imports are dependencies too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                out.add(candidate if candidate in modules else target)
    return out


@functools.cache
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_import_graph_has_no_cycles() -> None:
    graph = {m: {t for t in targets if t in _modules() and t != m} for m, targets in _graph().items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_no_layer_imports_a_higher_one() -> None:
    for module, targets in _graph().items():
        if _within(module, TOP):
            continue
        assert not [t for t in targets if _within(t, TOP)], f"{module} imports the command line"
        if not _within(module, DELIVERY):
            upward = sorted(t for t in targets if _within(t, DELIVERY))
            assert not upward, f"{module} (engine) imports delivery modules {upward}"


def test_the_engine_never_imports_content() -> None:
    for module, targets in _graph().items():
        content = sorted(t for t in targets if _within(t, CONTENT))
        assert not content, f"{module} imports content modules {content}"


def test_commands_that_never_talk_to_grafana_do_not_import_its_client() -> None:
    """`generate` starts without requests, urllib3, matplotlib or the live machinery (a third of a cold start)."""
    import subprocess
    import sys

    code = (
        "import sys; from agentgrafana.cli import main, parser; parser(); "
        "main(['catalog', '--format', 'json'], stdout=open('/dev/null', 'w')); "
        "print(sorted(m for m in ('requests', 'urllib3', 'matplotlib', 'agentgrafana.live.check', "
        "'agentgrafana.grafana.client', 'agentgrafana.review') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
