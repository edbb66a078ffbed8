"""Imports run one way: indicators -> rating -> models -> reports, with no cycle between modules.

Every import of every module of the four packages is read from its source (imports inside
functions and under TYPE_CHECKING too), so a cycle cannot hide behind a function-level import.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("indicators", "rating", "models", "reports")
# which packages each package may import (besides itself)
MAY_IMPORT = {"indicators": set(), "rating": {"indicators"}, "models": {"indicators", "rating"},
              "reports": {"indicators", "rating", "models"}}
# the entry points wire every stage, the reports included (rating's is its lazy hand-out of run)
ENTRIES = {"rating", "rating.cli", "rating.pipeline"}


def modules(root: Path = ROOT) -> dict[str, Path]:
    """{dotted module name: source file} of every module of the four packages."""
    found = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """(imported module, line) for every import in one module that names one of the packages.

    `from a import b` is an import of the module a.b when it exists, else of a.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{a.name}" if f"{source}.{a.name}" in known else source for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # `import a.b.c` of a name inside a.b
                target = target.rpartition(".")[0]
            if target.split(".")[0] in PACKAGES:
                out.append((target, node.lineno))
    return out


def graph(root: Path = ROOT) -> dict[str, dict[str, int]]:
    """{module: {imported module: first line importing it}} over the four packages."""
    mods = modules(root)
    edges: dict[str, dict[str, int]] = {}
    for name, path in mods.items():
        edges[name] = {}
        for target, line in imports(name, path, set(mods)):
            if target != name:
                edges[name].setdefault(target, line)
    return edges


def upward(edges: dict[str, dict[str, int]]) -> list[str]:
    """Imports that break the package order, outside the entry points."""
    bad = []
    for src, targets in edges.items():
        pkg = src.split(".")[0]
        for dst, line in targets.items():
            dst_pkg = dst.split(".")[0]
            if dst_pkg != pkg and dst_pkg not in MAY_IMPORT[pkg] and src not in ENTRIES:
                bad.append(f"{src} (line {line}) imports {dst}")
    return bad


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every import cycle through an import within a strongly connected component (the shortest
    way back to the importer), each a list of modules with the first repeated last."""
    index, low, stack, on_stack, comps = {}, {}, [], set(), []

    def visit(v):  # Tarjan; the graph has a few hundred nodes, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(set(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    found = set()
    for comp in comps:  # for each import inside a component, a shortest way back to its importer
        for a in sorted(comp):
            for b in sorted(w for w in edges[a] if w in comp):
                paths, frontier = {b: [b]}, [b]
                while a not in paths:  # breadth first: a is reachable from b within the component
                    reached = []
                    for v in frontier:
                        for w in sorted(edges[v]):
                            if w in comp and w not in paths:
                                paths[w] = paths[v] + [w]
                                reached.append(w)
                    frontier = reached
                way = [a] + paths[a]
                turn = way.index(min(way[:-1]))  # the same cycle read from its first module
                found.add(tuple(way[turn:-1] + way[:turn + 1]))
    return sorted(list(c) for c in found)


def describe(cycle: list[str], edges: dict[str, dict[str, int]]) -> str:
    return " -> ".join(f"{a} (line {edges[a][b]})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}"


def test_no_upward_import():
    bad = upward(graph())
    assert not bad, "imports against the order indicators -> rating -> models -> reports:\n" + "\n".join(bad)


def test_no_import_cycle():
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycles:\n" + "\n".join(describe(c, edges) for c in found)


def test_the_checks_see_function_level_imports(tmp_path):
    """The checks find a cycle and an upward import even when hidden inside a function."""
    for pkg in PACKAGES:
        (tmp_path / pkg).mkdir()
        (tmp_path / pkg / "__init__.py").write_text("")
    (tmp_path / "indicators" / "a.py").write_text("from indicators import b\n")
    (tmp_path / "indicators" / "b.py").write_text("def f():\n    from indicators.a import x\n    from rating import y\n")
    edges = graph(tmp_path)
    assert cycles(edges) == [["indicators.a", "indicators.b", "indicators.a"]]
    assert upward(edges) == ["indicators.b (line 3) imports rating"]


def test_the_version_is_the_installed_packages():
    """The version the manifests and model cards record has one source: the package metadata."""
    from importlib import metadata

    import rating
    from rating.version import __version__

    assert rating.__version__ == __version__ == metadata.version("integrity-rating")
