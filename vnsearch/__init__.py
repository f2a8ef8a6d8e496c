"""vnsearch: full-text search for Vietnamese text.

>>> import vnsearch
>>> index = vnsearch.Index.create(None)                         # in memory
>>> report = index.add([{"id": "1", "title": "Hải Phòng", "body": "Đảng ủy Khối họp."}])
>>> [hit.id for hit in index.search("dang uy khoi")]
['1']

Names are imported on first use, so ``import vnsearch`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vnsearch import errors
from vnsearch.errors import *  # noqa: F403 - the error classes, listed in errors.__all__
from vnsearch.version import __version__

if TYPE_CHECKING:
    # What mypy, pyright and IDEs see (``X as X``: re-exported); at run time __getattr__
    # imports each on first use.
    from vnsearch.documents import Document as Document
    from vnsearch.documents import SkippedRecord as SkippedRecord
    from vnsearch.documents import load as load
    from vnsearch.highlight import Snippet as Snippet
    from vnsearch.index import AddReport as AddReport
    from vnsearch.index import Index as Index
    from vnsearch.index import IndexStats as IndexStats
    from vnsearch.index import Progress as Progress
    from vnsearch.notebook import search as search
    from vnsearch.results import Hit as Hit
    from vnsearch.results import Results as Results
    from vnsearch.searcher import Searcher as Searcher
    from vnsearch.settings import SearchSettings as SearchSettings
    from vnsearch.vietnamese.text import fold as fold
    from vnsearch.vietnamese.text import normalize as normalize

_LAZY = {
    "Index": "vnsearch.index",
    "AddReport": "vnsearch.index",
    "Progress": "vnsearch.index",
    "IndexStats": "vnsearch.index",
    "Document": "vnsearch.documents",
    "SkippedRecord": "vnsearch.documents",
    "load": "vnsearch.documents",
    "Searcher": "vnsearch.searcher",
    "Results": "vnsearch.results",
    "Hit": "vnsearch.results",
    "Snippet": "vnsearch.highlight",
    "SearchSettings": "vnsearch.settings",
    "normalize": "vnsearch.vietnamese.text",
    "fold": "vnsearch.vietnamese.text",
    "search": "vnsearch.notebook",
}

__all__ = ["__version__", *_LAZY, *errors.__all__]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vnsearch' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
