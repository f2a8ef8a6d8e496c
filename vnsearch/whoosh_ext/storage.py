"""Where Whoosh keeps an index: its storages, its file names and its writer lock.

:func:`file_storage` and :class:`MemoryStorage` are the storages vnsearch creates and opens
indexes in; :func:`holds_index` and :func:`is_index_file` know the names Whoosh gives an
index's files (``_MAIN_<generation>.toc`` tables of contents, ``MAIN_*`` segment files and
``MAIN_WRITELOCK``), so that vnsearch can recognise and remove an index without Whoosh.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import _DEF_INDEX_NAME, LockError

__all__ = ["FileStorage", "LockError", "MemoryStorage", "file_storage", "holds_index", "is_index_file"]

# Whoosh's default index name starts every file of an index: "MAIN_..." and "_MAIN_...".
_INDEX_FILE_PREFIXES = (_DEF_INDEX_NAME, "_" + _DEF_INDEX_NAME)


def file_storage(folder: str | os.PathLike) -> FileStorage:
    """Whoosh's storage of the index files in ``folder``."""
    return FileStorage(str(folder))


class MemoryStorage(RamStorage):
    """Whoosh's RamStorage, with its temporary files in a private folder: Whoosh puts them in
    ``/tmp/MAIN.tmp``, which concurrent processes share and delete under each other."""

    def __init__(self) -> None:
        super().__init__()
        self._private: str | None = None

    def temp_storage(self, name: str | None = None) -> Any:
        if self._private is None:
            self._private = tempfile.mkdtemp(prefix="vnsearch-")
            weakref.finalize(self, shutil.rmtree, self._private, ignore_errors=True)
        return FileStorage(os.path.join(self._private, name or "tmp")).create()


def holds_index(folder: Path) -> bool:
    """Whether ``folder`` holds a Whoosh table of contents (``TOC._filename``: ``_<name>_<gen>.toc``)."""
    return any(folder.glob("_*.toc"))


def is_index_file(name: str) -> bool:
    """Whether a file named ``name`` is one Whoosh writes for an index of the default name."""
    return name.startswith(_INDEX_FILE_PREFIXES)
