"""Static import-layering checks over ghost_core, read with `ast` (nothing is imported).

Every import counts, at module level and inside functions: a function-level import only defers
a cycle, it does not remove it. Imports under `if TYPE_CHECKING:` are left out, because they never
run (they are how a type-only reference points back up the layers).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "ghost_core"


@cache
def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name → (file, is a package's __init__)."""
    found = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement, skipping the bodies of `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


@cache
def imports_of(name: str) -> frozenset[str]:
    """The ghost_core modules `name` imports (`from pkg import sub` counts pkg and pkg.sub)."""
    path, is_package = modules()[name]
    here = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = here.split(".")[: len(here.split(".")) - node.level + 1]
            source = ".".join([*base, node.module] if node.module else base)
        else:
            source = node.module or ""
        targets.add(source)
        targets.update(f"{source}.{alias.name}" for alias in node.names)
    known = modules()
    return frozenset(t for t in targets if t in known and t != name)


def node_of(module: str) -> str:
    """Package-level node: `ghost_core.faces.tracking` → `ghost_core.faces`; top-level modules
    (`ghost_core.knobs`, `ghost_core.errors`) and the root package are nodes of their own."""
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan), each sorted, plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _edges(group: list[str], graph: dict[str, set[str]], why: dict[tuple[str, str], str]) -> str:
    members = set(group)
    return "; ".join(
        f"{a} -> {b}" + (f" ({why[a, b]})" if (a, b) in why else "")
        for a in group
        for b in sorted(graph[a] & members)
    )


def package_graph() -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    graph: dict[str, set[str]] = {node_of(m): set() for m in modules()}
    why: dict[tuple[str, str], str] = {}
    for module in modules():
        for target in imports_of(module):
            a, b = node_of(module), node_of(target)
            if a != b:
                graph[a].add(b)
                why.setdefault((a, b), f"{module} imports {target}")
    return graph, why


def module_graph(package: str) -> tuple[dict[str, set[str]], dict[tuple[str, str], str]]:
    inside = [m for m in modules() if m == package or m.startswith(package + ".")]
    return {m: {t for t in imports_of(m) if t in inside} for m in inside}, {}


def test_the_parser_sees_imports_at_every_level() -> None:
    """Guards the check itself: function-level and relative imports count, TYPE_CHECKING does not."""
    assert "ghost_core.executors.base" in imports_of("ghost_core.executors.local")
    assert "ghost_core.models_store" in imports_of("ghost_core.faces.landmarks")  # inside a function
    assert "ghost_core.knobs" not in imports_of("ghost_core.executors.base")  # TYPE_CHECKING only
    assert len(package_graph()[0]) > 15


def test_no_import_cycles_between_packages() -> None:
    graph, why = package_graph()
    found = cycles(graph)
    assert not found, "import cycles between ghost_core packages:\n" + "\n".join(
        _edges(group, graph, why) for group in found
    )


def test_no_import_cycles_inside_executors() -> None:
    graph, why = module_graph("ghost_core.executors")
    found = cycles(graph)
    assert not found, "\n".join(_edges(group, graph, why) for group in found)


def test_no_import_cycles_inside_models_store() -> None:
    graph, why = module_graph("ghost_core.models_store")
    found = cycles(graph)
    assert not found, "\n".join(_edges(group, graph, why) for group in found)
