"""The one error hierarchy: everything vnsearch raises on purpose is a VnsearchError."""

from __future__ import annotations

__all__ = [
    "VnsearchError",
    "DocumentError",
    "IndexNotFoundError",
    "IndexLockedError",
    "IndexReadOnlyError",
    "IndexClosedError",
    "IndexVersionError",
    "IndexCorruptError",
    "IndexFileMissingError",
    "CorpusIsIndexError",
    "QuerySyntaxError",
    "SchemaError",
    "one_line",
]


class VnsearchError(Exception):
    """Base class of every error vnsearch raises on purpose."""


class DocumentError(VnsearchError, ValueError):
    """A file or record could not be read as a document; names the file and line."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        self.reason = message
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        elif line is not None:
            where = f"record {line}: "
        super().__init__(where + message)


class IndexNotFoundError(VnsearchError, FileNotFoundError):
    """No vnsearch index at this path."""


class IndexLockedError(VnsearchError):
    """Another writer holds the index lock."""


class IndexReadOnlyError(VnsearchError):
    """This index was opened read-only: it cannot be written."""


class IndexClosedError(VnsearchError):
    """This index was closed: open it again to search or write it."""


class IndexVersionError(VnsearchError):
    """The index was made by an incompatible version of vnsearch."""


class IndexCorruptError(IndexVersionError):
    """A file of the index is damaged or was not written by vnsearch; the message names it."""


class IndexFileMissingError(IndexCorruptError):
    """A file the commit being read lists is gone: damage, or a writer's commit that just
    replaced that commit (opening again reads the new one)."""


class CorpusIsIndexError(VnsearchError, ValueError):
    """A folder given as documents holds a vnsearch index: open it by name as an index instead."""


class SchemaError(VnsearchError, ValueError):
    """A field definition or field name is not valid for this index."""


class QuerySyntaxError(VnsearchError, ValueError):
    """The query string cannot be parsed; `position` is the character offset of the problem."""

    def __init__(self, message: str, query: str = "", position: int | None = None):
        self.reason = message
        self.query = query
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where}")


def one_line(exc: BaseException) -> str:
    """An error as the one line the command line and the HTTP service show for it.

    >>> one_line(FileNotFoundError(2, "No such file or directory", "news.jsonl"))
    'No such file or directory: news.jsonl'
    """
    if isinstance(exc, OSError) and not isinstance(exc, VnsearchError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        text = f"{exc.strerror}{where}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())
