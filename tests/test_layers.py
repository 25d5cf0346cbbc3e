"""The package's layers point one way: every import of a trust module by another (at the top of a file or inside a
function) is an arrow of the import graph, and the graph has no cycle; the lower layers never reach up."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "trust"
FACES = ("trust.cli", "trust.cluster", "trust.api", "trust.demo", "trust.bench", "trust.bench_shards")


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        out[name] = path
    return out


def import_graph() -> dict[str, set[str]]:
    """module → the trust modules it imports (a name imported from a module counts as the module, or as the submodule
    it names)."""
    known = modules()

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "trust":
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    graph[name].add(submodule if submodule in known else resolve(node.module))
            elif isinstance(node, ast.Import):
                graph[name].update(resolve(alias.name) for alias in node.names if alias.name.split(".")[0] == "trust")
        graph[name] -= {name, None, "trust"}  # the package itself holds only the version
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def reaches(graph, layer: str) -> set[str]:
    """Every trust module the modules of ``layer`` import, outside the layer."""
    inside = lambda name: name == layer or name.startswith(layer + ".")  # noqa: E731
    return {target for name, targets in graph.items() if inside(name) for target in targets if not inside(target)}


def test_no_trust_module_imports_itself_back_through_others():
    assert cycles(import_graph()) == []


def test_the_finder_sees_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_lower_layers_never_import_higher_ones():
    graph = import_graph()
    assert reaches(graph, "trust.db") <= {"trust.settings", "trust.errors"}
    assert reaches(graph, "trust.ingest") <= {"trust.db.engine", "trust.db.tables", "trust.errors", "trust.settings", "trust.text"}
    higher = {"trust.pipeline", "trust.analyst", "trust.queues", "trust.lookup", "trust.report", "trust.scoring", *FACES}
    assert not reaches(graph, "trust.detect") & higher
    assert not reaches(graph, "trust.analyst") & {"trust.pipeline", *FACES}  # an appeal queues a recompute, never runs one
    assert not reaches(graph, "trust.grading") & {"trust.pipeline", "trust.publishing", "trust.analyst", *FACES}
    assert not reaches(graph, "trust.publishing") & {"trust.pipeline", *FACES}
    importers_of_faces = {name for name, targets in graph.items() for target in targets
                          if any(target == face or target.startswith(face + ".") for face in FACES)}
    assert {name for name in importers_of_faces if not any(name == f or name.startswith(f + ".") for f in FACES)} == set()
