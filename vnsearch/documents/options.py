"""What a loader can be told: the formats and suffixes, the record fields and the keys guessed
for each, and the options of `LoadOptions`, whose field names are the loaders' keyword names.

This module imports nothing heavy, so ``vnsearch.cli`` builds its flags from it at start-up:
its values are named tuples, not dataclasses (``dataclasses`` imports ``inspect``, which
would add about 8 ms to the command's start).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

from vnsearch.errors import DocumentError

__all__ = [
    "FILE_OPTIONS",
    "FORMATS",
    "FORMAT_ALIASES",
    "GUESSED_KEYS",
    "LOAD_OPTIONS",
    "RECORD_FIELDS",
    "RECORD_OPTIONS",
    "SUFFIX_FORMATS",
    "ErrorMode",
    "MAX_FILE_BYTES",
    "MAX_RECORD_CHARS",
    "LoadOptions",
    "RecordField",
    "check_errors",
]

ErrorMode = Literal["strict", "skip"]

#: The formats `load` understands; pass one as ``format=`` to override the suffix.
FORMATS = ("txt", "md", "jsonl", "json", "csv", "tsv")

#: The format of each file suffix (after any ".gz"); a folder's other files are left out.
SUFFIX_FORMATS: Mapping[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".tsv": "tsv",
}
#: The names ``format=`` accepts, and the format each means.
FORMAT_ALIASES: Mapping[str, str] = {
    "txt": "txt",
    "text": "txt",
    "md": "md",
    "markdown": "md",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "jsonlines": "jsonl",
    "json": "json",
    "csv": "csv",
    "tsv": "tsv",
}


class RecordField(NamedTuple):
    """A field of `Document` that a record's key fills: its name, what it is, the keys tried."""

    name: str
    label: str
    keys: tuple[str, ...]

    @property
    def option(self) -> str:
        """The loader option naming the record key explicitly ("body_field")."""
        return f"{self.name}_field"


#: Record keys tried, in order, when the caller names no field (matched case-insensitively).
RECORD_FIELDS = (
    RecordField("id", "document id", ("id", "_id", "doc_id")),
    RecordField("title", "title", ("title", "headline", "name")),
    RecordField("body", "text", ("body", "text", "content")),
    RecordField("date", "date", ("date", "published", "time", "datetime")),
    RecordField("url", "URL", ("url", "link")),
    RecordField("tags", "tags", ("tags", "tag", "category", "categories")),
)
GUESSED_KEYS: Mapping[str, tuple[str, ...]] = {f.name: f.keys for f in RECORD_FIELDS}


#: Bytes one file may hold once decompressed: several times the largest real dumps (news-vi's
#: 35,431 articles are about 0.2 GB), so only a gzip bomb reaches it.
MAX_FILE_BYTES = 4 << 30
#: Characters in one record (a .txt/.md file, a JSONL line, a JSON item, a CSV row): a whole
#: novel is about 3 M, so 32 M is no real document, and it bounds the memory a record takes.
MAX_RECORD_CHARS = 32 << 20


def check_errors(errors: object) -> None:
    """Refuse an ``errors=`` value other than "strict" and "skip"."""
    if errors not in ("strict", "skip"):
        raise ValueError(f"errors must be 'strict' or 'skip', not {errors!r}")


class _LoadOptionFields(NamedTuple):
    format: str | None = None
    encoding: str | None = None
    id_field: str | None = None
    title_field: str | None = None
    body_field: str | None = None
    date_field: str | None = None
    url_field: str | None = None
    tags_field: str | None = None
    fields: bool | Iterable[str] | None = None
    errors: ErrorMode = "strict"
    clean_pages: bool = False
    max_file_bytes: int = MAX_FILE_BYTES
    max_record_chars: int = MAX_RECORD_CHARS


class LoadOptions(_LoadOptionFields):
    """How to read documents: the keyword options of `load` (and, for records, of
    `documents_from`), checked when made; ``format`` is kept as its canonical name.

    >>> LoadOptions(format="ndjson", body_field="content").format
    'jsonl'
    """

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> LoadOptions:
        self = super().__new__(cls, *args, **kwargs)
        check_errors(self.errors)
        if self.format is not None:
            key = self.format.lower().lstrip(".")
            if key not in FORMAT_ALIASES:
                raise DocumentError(f"unknown format {self.format!r} (expected one of {', '.join(FORMATS)})")
            self = self._replace(format=FORMAT_ALIASES[key])
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise DocumentError(f"unknown encoding {self.encoding!r}") from None
        if not isinstance(self.clean_pages, bool):
            raise TypeError(f"clean_pages must be True or False, not {self.clean_pages!r}")
        for name in ("max_file_bytes", "max_record_chars"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, not {value!r}")
        return self

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> LoadOptions:
        """Options from a mapping of keyword arguments; unknown names are a TypeError."""
        unknown = set(options) - set(LOAD_OPTIONS)
        if unknown:
            raise TypeError(f"unknown loader options: {', '.join(sorted(unknown))}")
        return cls(**options)

    def record_options(self) -> dict[str, Any]:
        """The keyword arguments of `Document.from_record` among these options."""
        return {name: getattr(self, name) for name in RECORD_OPTIONS}


#: Every option of `LoadOptions`, in order: the loaders' keyword names.
LOAD_OPTIONS: tuple[str, ...] = LoadOptions._fields
#: The options that say how a record maps to a `Document` (those of `Document.from_record`).
RECORD_OPTIONS = (*(f.option for f in RECORD_FIELDS), "fields")
#: The options that only apply to files, not to lists of records.
FILE_OPTIONS = ("format", "encoding", "clean_pages", "max_file_bytes", "max_record_chars")
