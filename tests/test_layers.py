"""The package's layers: every import points down (or across one layer), never up, no cycles.

Type-only imports (under ``if TYPE_CHECKING:``) are left out: they make no edge at run time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import vnsearch

PACKAGE = Path(vnsearch.__file__).parent

#: Top to bottom. A module may import from its own layer or any layer below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("vnsearch", "__main__", "cli", "notebook", "server", "opensearch"),  # interfaces
    ("index", "searcher", "check"),  # the write side, the read side, the index checker
    ("workers", "query", "ranking", "results", "suggest", "highlight", "display", "facets"),
    ("whoosh_ext",),  # the only code that touches Whoosh's internals
    ("schema",),
    ("analysis",),  # Whoosh's analysis classes, pickled into every index by path
    ("documents", "vietnamese"),  # input documents and the language: pure Python
    ("errors", "settings", "version"),
)
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def component(module: str) -> str:
    """``vnsearch.whoosh_ext.postings`` -> ``whoosh_ext``; the package itself -> ``vnsearch``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "vnsearch"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(path: Path) -> set[str]:
    """The vnsearch modules ``path`` imports at run time (at the top or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == "vnsearch")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if base.split(".")[0] != "vnsearch":
                continue
            for alias in node.names:  # a submodule named, or a name of the module itself
                found.add(f"{base}.{alias.name}" if _is_module(f"{base}.{alias.name}") else base)
    return {name for name in found if _is_module(name)}


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        source = component(module_name(path))
        edges.setdefault(source, set()).update(component(m) for m in imports(path))
    return edges


def test_every_component_has_a_layer():
    unknown = sorted(set(graph()) - set(LEVEL))
    assert not unknown, f"add these to LAYERS in {__file__}: {unknown}"


def test_imports_point_down():
    upward = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        for target in targets
        if target != source and LEVEL.get(target, -1) < LEVEL.get(source, 99)
    ]
    assert not upward, upward


def test_no_import_cycles_between_components():
    edges = {source: {t for t in targets if t != source} for source, targets in graph().items()}
    cycles = []
    for start in edges:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in edges.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert not cycles, cycles


def test_the_language_and_document_layers_never_import_whoosh_or_numpy():
    for folder in ("vietnamese", "documents"):
        for path in (PACKAGE / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                )
                assert not any(n.split(".")[0] in ("whoosh", "numpy") for n in names), (path, names)
