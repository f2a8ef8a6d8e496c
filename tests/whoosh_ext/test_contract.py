"""The private Whoosh names vnsearch relies on exist in the installed Whoosh, and only
vnsearch.whoosh_ext uses them: an upgrade of Whoosh fails here first, one name a test."""

from __future__ import annotations

import ast
import importlib
import inspect
import struct
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb.structfile import BufferFile
from whoosh.index import _DEF_INDEX_NAME, TOC
from whoosh.matching import FilterMatcher, ListMatcher
from whoosh.scoring import BM25F, BM25FScorer

import vnsearch
import vnsearch.whoosh_ext as boundary
from vnsearch.whoosh_ext import INTERNAL_MODULES, PRIVATE_NAMES, Private
from vnsearch.whoosh_ext.storage import MemoryStorage, holds_index, is_index_file

PACKAGE = Path(vnsearch.__file__).resolve().parent
BOUNDARY = PACKAGE / "whoosh_ext"


def resolve(qualified: str) -> Any:
    """The object a qualified name names: the longest importable module, then attributes."""
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(qualified)


def owner_of(private: Private) -> str:
    return private.name.rsplit(".", 1)[0]


@pytest.fixture(scope="module")
def instances():
    """Live Whoosh objects, by the qualified name of their class, for the names set on instances."""
    ix = MemoryStorage().create_index(fields.Schema(t=fields.TEXT(phrase=True)))
    writer = ix.writer()
    for i in range(300):  # more than a block (128 postings) of "hello"
        writer.add_document(t=f"hello world number {i}")
    writer.commit()
    writer = ix.writer()
    reader = ix.reader()
    searcher = ix.searcher()
    matcher = reader.postings("t", b"hello")
    found = {
        "whoosh.reading.SegmentReader": reader,
        "whoosh.columns.FixedBytesColumn.Reader": reader._perdoc._cached_reader(_lenfield("t"), LENGTHS_COLUMN),
        "whoosh.matching.ListMatcher": ListMatcher([1, 2], weights=[1.0, 2.0], values=[b"a", b"b"]),
        "whoosh.matching.FilterMatcher": FilterMatcher(ListMatcher([1, 2]), frozenset([1]), exclude=True),
        "whoosh.codec.whoosh3.W3LeafMatcher": matcher,
        "whoosh.scoring.BM25F": BM25F(t_B=0.5),
        "whoosh.scoring.BM25FScorer": BM25FScorer(searcher, "t", b"hello", 0.75, 1.2),
        "whoosh.writing.SegmentWriter": writer,
        "whoosh.codec.whoosh3.W3Codec": writer.codec,
        "whoosh.codec.whoosh3.W3FieldWriter": writer.fieldwriter,
        "whoosh.filedb.filetables.OrderedHashWriter": writer.fieldwriter._tindex,
        "whoosh.filedb.compound.CompoundStorage": reader._storage.a,
        "whoosh.filedb.structfile.BufferFile": BufferFile(memoryview(b"whoosh")),
        "whoosh.index.FileIndex": ix,
    }
    yield found
    writer.cancel()
    searcher.close()
    reader.close()


def shape_of(obj: Any) -> str:
    """What ``Private.shape`` records: parameters after self, a struct's format, or a repr."""
    if isinstance(obj, struct.Struct):
        return obj.format
    if isinstance(getattr(obj, "__self__", None), struct.Struct):  # pack_int is Struct.pack
        return obj.__self__.format
    if callable(obj):
        names = list(inspect.signature(obj).parameters)
        if names and names[0] in ("self", "cls"):
            names = names[1:]
        return ", ".join(names)
    return repr(obj)


@pytest.mark.parametrize("private", PRIVATE_NAMES, ids=[p.name for p in PRIVATE_NAMES])
def test_each_private_name_exists_with_its_shape(private, instances):
    if private.instance:
        owner = owner_of(private)
        obj = instances[owner]
        assert isinstance(obj, resolve(owner))
        attr = private.name.rsplit(".", 1)[1]
        assert hasattr(obj, attr), f"{private.name} is gone: vnsearch.whoosh_ext.{private.module} uses it"
        return
    try:
        obj = resolve(private.name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{private.name} is gone ({exc}): vnsearch.whoosh_ext.{private.module} uses it")
    if private.shape is not None:
        assert shape_of(obj) == private.shape, f"{private.name} changed: {private.use}"


def test_each_name_says_which_module_uses_it():
    modules = {path.stem for path in BOUNDARY.glob("*.py")}
    for private in PRIVATE_NAMES:
        last = private.name.rsplit(".", 1)[1]
        for module in private.module.split(", "):
            assert module in modules
            source = (BOUNDARY / f"{module}.py").read_text(encoding="utf-8")
            assert last in source, f"{module} never spells {last}: drop {private.name} or fix its module"


def test_each_module_calling_a_private_writer_method_is_named():
    # A call like ``writer._finalize_segment()`` on another object is a use the list must name.
    for private in PRIVATE_NAMES:
        last = private.name.rsplit(".", 1)[1]
        if not private.name.startswith("whoosh.writing.SegmentWriter._") or private.instance or last == "__init__":
            continue
        for path in BOUNDARY.glob("*.py"):
            calls = [
                node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                if isinstance(node, ast.Attribute) and node.attr == last
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "super"))
            ]
            if calls:
                assert path.stem in private.module.split(", "), f"{path.stem} uses {last}: name it in {private.name}"


def test_the_docstring_lists_every_name():
    doc = boundary.__doc__ or ""
    for private in PRIVATE_NAMES:
        assert f"``{private.name}`` — {private.use} ({private.module})" in doc
    assert len({p.name for p in PRIVATE_NAMES}) == len(PRIVATE_NAMES)


def test_whoosh_names_its_files_as_storage_expects(tmp_path):
    ix = resolve("whoosh.filedb.filestore.FileStorage")(str(tmp_path)).create_index(fields.Schema(t=fields.TEXT))
    writer = ix.writer()
    writer.add_document(t="hello")
    writer.commit()
    assert TOC._filename(_DEF_INDEX_NAME, 1) in {p.name for p in tmp_path.iterdir()}
    assert holds_index(tmp_path)
    assert all(is_index_file(p.name) for p in tmp_path.iterdir() if p.is_file())


def test_a_block_holds_ids_weights_and_values(instances):
    # postings._block_values reads a block's values as the third item of its pickle.
    matcher = instances["whoosh.codec.whoosh3.W3LeafMatcher"]
    matcher._read_data()
    assert len(matcher._data) == 3
    assert len(matcher._data[0]) == matcher._blocklength


# -- only vnsearch.whoosh_ext touches them ----------------------------------------------------

PRIVATE_ATTRIBUTES = {
    p.name.rsplit(".", 1)[1] for p in PRIVATE_NAMES if p.name.rsplit(".", 1)[1].startswith("_")
} - {"__init__"}


def outside_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if BOUNDARY not in p.parents)


def _internal(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in INTERNAL_MODULES)


def boundary_breaches(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "whoosh":
            names = [f"{node.module}.{a.name}" for a in node.names]
            if _internal(node.module) or any(_internal(n) for n in names):
                found.append(f"line {node.lineno}: imports {node.module}")
            found += [f"line {node.lineno}: imports {n}" for a, n in zip(node.names, names) if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: imports {a.name}" for a in node.names if _internal(a.name)]
        elif isinstance(node, ast.Attribute) and node.attr in PRIVATE_ATTRIBUTES:
            receiver = node.value
            if not (isinstance(receiver, ast.Name) and receiver.id in ("self", "cls")):
                found.append(f"line {node.lineno}: uses .{node.attr}")
    return found


def test_no_module_outside_whoosh_ext_uses_whoosh_internals():
    breaches = {str(p.relative_to(PACKAGE)): b for p in outside_modules() if (b := boundary_breaches(p))}
    assert breaches == {}


def test_the_scan_finds_each_kind_of_breach(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import whoosh.codec.whoosh3\n"
        "from whoosh.system import pack_int\n"
        "from whoosh.index import _DEF_INDEX_NAME\n"
        "from whoosh.util import numeric\n"
        "def f(q, r):\n"
        "    return q._btexts(r)\n",
        encoding="utf-8",
    )
    assert len(boundary_breaches(bad)) == 5
    good = tmp_path / "good.py"
    good.write_text("from whoosh import query as wq\nclass A:\n    def f(self):\n        return self._count\n")
    assert boundary_breaches(good) == []
