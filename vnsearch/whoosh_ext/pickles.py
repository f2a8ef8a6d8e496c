"""No code from index bytes: every pickle Whoosh reads goes through one restricted unpickler.

Whoosh stores the schema, the segment list, stored fields, posting blocks, their summaries,
positions and compound-file directories as pickles, and a pickle can name any callable. Here
a pickle may name only what an index holds: Whoosh's and vnsearch's field types, formats,
analyzers, codecs, segments and columns, and a few standard types (sets, dates, arrays, the
helpers pickle itself uses for bytes and compiled regexes). Anything else is an
:class:`~vnsearch.errors.IndexCorruptError` naming the file being read, before any of the
pickle's calls run. A module is imported only if it is Whoosh's or ``vnsearch.analysis``.

:func:`install` puts :func:`loads` and :func:`load` in place of ``pickle.loads``/``load`` in
the Whoosh modules that read index files, for the whole process (a Whoosh index of one's own,
with classes of one's own in its schema, then needs them added with :func:`allow`).

Whoosh internals relied on: the module-level names ``loads`` in ``whoosh.codec.whoosh3``,
``whoosh.formats`` and ``whoosh.columns``, ``load_pickle`` in ``whoosh.filedb.structfile``,
``pickle`` and ``toc_loaders`` in ``whoosh.index`` (old TOC formats unpickle through an
unrestricted ``RenamingUnpickler``: they are refused).
"""

from __future__ import annotations

import _compat_pickle
import functools
import importlib
import io
import pickle
import sys
import types
from typing import Any, BinaryIO

from vnsearch.errors import IndexCorruptError

__all__ = ["loads", "load", "install", "allow", "ALLOWED_GLOBALS"]

# Standard names an index's pickles use: exactly these.
ALLOWED_GLOBALS: set[tuple[str, str]] = {
    *(("builtins", name) for name in ("int", "float", "str", "bytes", "bool", "dict", "list", "tuple")),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "object"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "slice"),
    ("copyreg", "_reconstructor"),
    ("_codecs", "encode"),  # protocol 2 writes bytes as _codecs.encode(text, "latin1")
    ("re", "_compile"),  # a compiled regex (Whoosh's RegexTokenizer)
    ("datetime", "datetime"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("array", "array"),
    ("array", "_array_reconstructor"),
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
}
# Modules whose classes of the kinds below an index holds; only these are imported.
_IMPORTABLE_PREFIXES = ("whoosh.", "vnsearch.analysis")


def _base_kinds() -> tuple[type, ...]:
    from whoosh import analysis, columns, fields, formats
    from whoosh.codec import base as codec_base

    return (
        fields.FieldType,
        fields.Schema,
        formats.Format,
        analysis.Composable,
        codec_base.Segment,
        codec_base.Codec,
        columns.Column,
    )


_kinds: tuple[type, ...] | None = None


def _allowed_object(module: str, name: str) -> Any:
    """The class ``module.name`` if an index may hold it, else None."""
    global _kinds
    if not module.startswith(_IMPORTABLE_PREFIXES):
        return None
    if module not in sys.modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return None
    obj = getattr(sys.modules[module], name, None) if "." not in name else None
    if _kinds is None:
        _kinds = _base_kinds()
    if isinstance(obj, type) and issubclass(obj, _kinds):
        return obj
    if isinstance(obj, types.FunctionType) and module.startswith("whoosh.lang."):
        return obj  # a stemmer's function (StemFilter pickles it by name)
    return None


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        # Protocol 2 writes Python 2's names (__builtin__.long): pickle's own mapping.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) in ALLOWED_GLOBALS:
            return super().find_class(module, name)
        obj = _allowed_object(module, name)
        if obj is None:
            raise IndexCorruptError(
                f"{_reading_file()} holds a pickle naming {module}.{name}, which no index holds: "
                "the file is damaged or forged (nothing in it was run)"
            )
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise IndexCorruptError(f"{_reading_file()} holds a pickle with a persistent id: damaged or forged")


def loads(data: bytes | memoryview) -> Any:
    """``pickle.loads`` restricted to the allow-list."""
    return _Unpickler(io.BytesIO(data)).load()


def load(file: BinaryIO) -> Any:
    """``pickle.load`` restricted to the allow-list."""
    return _Unpickler(file).load()


def allow(*classes: type) -> None:
    """Let pickles name these classes too (for Whoosh indexes with classes of one's own)."""
    for cls in classes:
        ALLOWED_GLOBALS.add((cls.__module__, cls.__qualname__))


def _reading_file() -> str:
    """The name of the index file being read, found on the stack (only on the error path):
    a Whoosh file object held by a frame's ``self`` or locals, or by what they hold."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        local = frame.f_locals
        if isinstance(local.get("tocfilename"), str):
            return local["tocfilename"]
        for key in ("self", "stream", "dbfile", "postfile"):
            name = _file_in(local.get(key), 2)
            if name:
                return name
        frame = frame.f_back
    return "an index file"


def _file_in(obj: Any, depth: int) -> str | None:
    """The name of a Whoosh file that ``obj`` is or holds (``depth`` levels down)."""
    from whoosh.filedb.structfile import StructFile

    if obj is None:
        return None
    named = getattr(obj, "index_file", None)  # vnsearch's cached postings name their segment
    if isinstance(named, str):
        return named
    if isinstance(obj, StructFile):
        return str(obj._name) if getattr(obj, "_name", None) else None
    if isinstance(obj, functools.partial):
        return next(filter(None, (_file_in(arg, 0) for arg in obj.args)), None)
    segment: Any = getattr(obj, "_segment", None)
    if segment is not None and hasattr(segment, "segment_id"):
        return f"{segment.segment_id()}.{'seg' if getattr(segment, 'compound', False) else '*'}"
    if depth <= 0:
        return None
    if hasattr(obj, "__dict__"):
        values = list(vars(obj).values())
    else:  # a vnsearch object with __slots__ (a segment's cached postings)
        values = [getattr(obj, slot, None) for slot in getattr(type(obj), "__slots__", ())]
    for value in values:
        if isinstance(value, (list, tuple)) and value:
            value = value[0]
        if (
            isinstance(value, (StructFile, functools.partial))
            or hasattr(value, "_segment")
            or type(value).__module__.startswith("vnsearch.")
        ):
            name = _file_in(value, depth - 1)
            if name:
                return name
    return None


class _PickleModule(types.SimpleNamespace):
    """What ``whoosh.index`` uses of the ``pickle`` module, with ``loads`` restricted."""


_installed = False


def install() -> None:
    """Route the unpickling of every Whoosh module that reads index files through here."""
    global _installed
    if _installed:
        return
    import whoosh.columns
    import whoosh.formats
    import whoosh.index
    from whoosh.codec import whoosh3
    from whoosh.filedb import compound, structfile  # noqa: F401 (compound reads via structfile)

    whoosh3.loads = loads
    whoosh.formats.loads = loads
    whoosh.columns.loads = loads
    structfile.load_pickle = load
    whoosh.index.pickle = _PickleModule(
        loads=loads, dumps=pickle.dumps, PicklingError=pickle.PicklingError
    )
    whoosh.index.toc_loaders = {}  # old TOC formats: Whoosh's unrestricted RenamingUnpickler
    _installed = True
