"""The modules of equipment_share import one another one way: no cycle, not even through an import
deferred into a function (such an import is a sign of a cycle, not a fix for one).

The graph is read from the source (ast), every import statement counted wherever it stands;
`from package import name` is an edge to the submodule when `name` is one, else to the package.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = "equipment_share"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for path in ROOT.rglob("*.py")
        if "migrations" not in path.relative_to(ROOT).parts
    }


def imported(node: ast.AST, importer: str, is_package: bool, known: set[str]) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if not isinstance(node, ast.ImportFrom):
        return set()
    source = node.module or ""
    if node.level:  # relative: from . import x, from ..models import y
        package = importer.split(".") if is_package else importer.split(".")[:-1]
        base = package[: len(package) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    targets = set()
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        if submodule in known:
            targets.add(submodule)
        elif source in known:
            targets.add(source)
    return targets


def import_graph() -> dict[str, set[str]]:
    paths = modules()
    known = set(paths)
    return {
        name: {
            target
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            for target in imported(node, name, path.name == "__init__.py", known)
            if target != name
        }
        for name, path in paths.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (depth-first search, iterative)."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = "open"
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(target) == "open":
                return path[path.index(target) :] + [target]
            elif target not in state:
                state[target] = "open"
                path.append(target)
                stack.append(iter(sorted(graph[target])))
    return None


def test_the_modules_import_one_another_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_graph_sees_deferred_imports():
    graph = import_graph()
    assert "equipment_share.services.bookings" in graph["equipment_share.api.bookings"]
    # create_app imports the blueprints inside the function
    assert "equipment_share.web" in graph["equipment_share"]


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"b"}, "b": {"b2", "c"}, "b2": set(), "c": {"b"}}, ["b", "c", "b"]),
    ],
)
def test_find_cycle(graph, cycle):
    assert find_cycle(graph) == cycle
