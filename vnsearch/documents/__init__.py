"""Documents, and the loaders that read them from files: the input side of vnsearch.

`Document` is the typed value every later layer works with: NFC text, a naive datetime, a tuple
of tags and a read-only mapping of extra fields. The loaders are generators that pick a format
from the file suffix (override with ``format=``), stream the line formats, and raise a
`DocumentError` naming the file and line. Pure Python: this package never imports Whoosh.

Formats
    ``.txt`` / ``.md``        one document per file, whole; ``clean_pages=True`` cleans scraped pages
    ``.jsonl`` / ``.ndjson``  one JSON object per line; blank lines are skipped
    ``.json``                 an array of objects, one object, or an object per line
    ``.csv`` / ``.tsv``       a header row, then one record per row
    any of these + ``.gz``    gzip-compressed
    a folder                  every file with a known suffix, recursively, in sorted order

Text files are read as UTF-8 (with or without a BOM) or UTF-16 (with a BOM); anything else is
an error asking for UTF-8, unless ``encoding=`` names the codec.

The modules, each depending only on those above it:
    options    formats, suffixes, record fields and the keys guessed for each, `LoadOptions`
               (imports nothing heavy: the command line builds its flags from it)
    records    record values: key guessing, text, ids, tags, extra fields
    dates      `parse_date`, and the date lines of scraped pages
    model      `Document`, `SkippedRecord`, the read-only fields mapping
    pages      text files as they are, or cleaned of a news page's furniture
    decoding   bytes to text: gzip, UTF-8/UTF-16 detection, codecs, numbered lines
    formats    one reader per format, the JSON stream parser among them
    loading    `load`, `documents_from`, and `walk`, the one folder walk

The names below are imported on first use, so that ``vnsearch.documents.options`` stays cheap
to import for the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vnsearch.documents.options import FORMATS, LoadOptions

if TYPE_CHECKING:
    from vnsearch.documents.dates import parse_date
    from vnsearch.documents.loading import documents_from, load, walk
    from vnsearch.documents.model import Document, SkippedRecord

__all__ = [
    "FORMATS",
    "Document",
    "LoadOptions",
    "SkippedRecord",
    "documents_from",
    "load",
    "parse_date",
    "walk",
]

_LAZY = {
    "Document": "vnsearch.documents.model",
    "SkippedRecord": "vnsearch.documents.model",
    "parse_date": "vnsearch.documents.dates",
    "documents_from": "vnsearch.documents.loading",
    "load": "vnsearch.documents.loading",
    "walk": "vnsearch.documents.loading",
}


# Where older pickles look: a dict in a "stored" field of an index made before this package
# was split was pickled as vnsearch.documents._FrozenMap.
_MOVED = {"_FrozenMap": ("vnsearch.documents.model", "FrozenMap")}


def __getattr__(name: str) -> Any:
    module, attribute = _MOVED.get(name) or (_LAZY.get(name), name)
    if module is None:
        raise AttributeError(f"module 'vnsearch.documents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
