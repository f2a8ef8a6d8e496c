"""The one error hierarchy: everything vnsearch raises on purpose is a VnsearchError."""

from __future__ import annotations

__all__ = [
    "VnsearchError",
    "DocumentError",
    "IndexNotFoundError",
    "IndexLockedError",
    "IndexReadOnlyError",
    "IndexVersionError",
    "QuerySyntaxError",
    "SchemaError",
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


class IndexVersionError(VnsearchError):
    """The index was made by an incompatible version of vnsearch."""


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
