"""What a type checker sees of the public surface."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import vnsearch
from vnsearch import Index
from vnsearch.searcher import Searcher


def test_index_search_spells_out_the_searchers_parameters():
    index_side = list(inspect.signature(Index.search).parameters.values())
    searcher_side = list(inspect.signature(Searcher.search).parameters.values())
    assert [(p.name, p.kind, p.default) for p in index_side] == [(p.name, p.kind, p.default) for p in searcher_side]


def test_type_checkers_see_each_lazy_name_where_it_loads_from():
    tree = ast.parse(Path(vnsearch.__file__).read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                seen.update({alias.name: imp.module for alias in imp.names})
    assert seen == vnsearch._LAZY
