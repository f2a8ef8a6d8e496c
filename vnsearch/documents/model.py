"""The values every later layer works with: `Document`, `SkippedRecord`, and the read-only
mapping that holds a document's extra fields.

>>> Document(id="1", title=" Hà Nội ", tags="thời sự").title
'Hà Nội'
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from typing import Any

from vnsearch.documents.dates import parse_date
from vnsearch.documents.options import GUESSED_KEYS
from vnsearch.documents.records import (
    KeyFinder,
    as_id,
    as_tags,
    as_text,
    clean,
    content_id,
    describe,
    select_fields,
    tag_tuple,
)
from vnsearch.errors import DocumentError

__all__ = ["Document", "Fields", "FrozenMap", "SkippedRecord"]

Fields = Mapping[str, object]


class FrozenMap(Mapping[str, object]):
    """A read-only, hashable, picklable dict: the type of `Document.fields`."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, object] | Iterable[tuple[str, object]] = ()):
        self._data: dict[str, object] = dict(data)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> object:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return repr(self._data)

    def __reduce__(self) -> tuple[type, tuple[dict[str, object]]]:
        return (FrozenMap, (self._data,))


def _freeze(value: object, key: str) -> object:
    """An immutable, hashable copy of a field value (lists become tuples, dicts read-only)."""
    if isinstance(value, str):
        return clean(value)
    if value is None or isinstance(value, (bool, int, float, _dt.date)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, key) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_freeze(v, key) for v in value)
    if isinstance(value, Mapping):
        return FrozenMap({str(k): _freeze(v, key) for k, v in value.items()})
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"field {key!r}: a {type(value).__name__} cannot be frozen") from None
    return value


@dataclass(frozen=True)
class Document:
    """One searchable document: the value every layer after loading works with.

    Text is NFC-normalised on construction (no tone-mark normalisation: analysis does that).
    `date` is naive: wall-clock time as written, or UTC when the input carried an offset.
    `fields` holds extra values (author, section, ...) as a read-only, hashable mapping whose
    lists are tuples. `source` ("path:line") says where the document came from; it is
    provenance, not content, so it does not take part in equality.
    """

    id: str
    title: str = ""
    body: str = ""
    date: _dt.datetime | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    fields: Fields = _field(default_factory=FrozenMap)
    source: str | None = _field(default=None, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        ident = self.id
        if isinstance(ident, bool) or not isinstance(ident, (str, int)):
            raise TypeError(f"Document id must be a string, not {type(ident).__name__}")
        ident = clean(str(ident)).strip()
        if not ident:
            raise DocumentError("a document needs a non-empty id")
        put(self, "id", ident)
        for name in ("title", "body"):
            value = getattr(self, name)
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise TypeError(f"Document {name} must be a string, not {type(value).__name__}")
            value = clean(value)
            put(self, name, value.strip() if name == "title" else value)
        if self.date is not None:
            put(self, "date", parse_date(self.date))
        if self.url is not None:
            if not isinstance(self.url, str):
                raise TypeError(f"Document url must be a string, not {type(self.url).__name__}")
            put(self, "url", self.url.strip() or None)
        put(self, "tags", tag_tuple(self.tags))
        if self.fields is None:
            put(self, "fields", {})
        if not isinstance(self.fields, Mapping):
            raise TypeError(f"Document fields must be a mapping, not {type(self.fields).__name__}")
        put(self, "fields", FrozenMap({clean(str(k)): _freeze(v, str(k)) for k, v in self.fields.items()}))
        if self.source is not None:
            put(self, "source", os.fspath(self.source))

    @classmethod
    def from_record(
        cls,
        record: Mapping[str, Any],
        *,
        id_field: str | None = None,
        title_field: str | None = None,
        body_field: str | None = None,
        date_field: str | None = None,
        url_field: str | None = None,
        tags_field: str | None = None,
        fields: bool | Iterable[str] | None = None,
        source: str | None = None,
        default_id: str | None = None,
    ) -> Document:
        """Build a document from a dict (a JSON object, a CSV row), guessing the usual keys.

        Without an explicit ``*_field``, the first non-empty of these keys is used (any case):
        id "id"/"_id"/"doc_id"; title "title"/"headline"/"name"; body "body"/"text"/"content";
        date "date"/"published"/"time"/"datetime"; url "url"/"link"; tags "tags"/"tag"/
        "category"/"categories" (a list, or a string separated by commas or semicolons).

        ``fields`` chooses the extras kept in `Document.fields`: ``None`` or ``True`` keeps every
        other non-empty scalar key (strings, numbers, booleans); ``False`` keeps none; a list of
        names keeps exactly those keys, whatever their values.

        The id is the record's own (stringified), else ``default_id``, else a content hash
        ("doc-" + 16 hex digits of SHA-1 over title, body, date and url), so the same record
        always gets the same id. Raises `DocumentError` (without a path: loaders add it) when
        the record has no text or a value cannot be read.
        """
        if not isinstance(record, Mapping):
            raise DocumentError(f"expected an object with text fields, found {describe(record)}")
        keys = KeyFinder(record)
        id_key, id_value = keys.pick(id_field, GUESSED_KEYS["id"])
        title_key, title_value = keys.pick(title_field, GUESSED_KEYS["title"])
        body_key, body_value = keys.pick(body_field, GUESSED_KEYS["body"])
        date_key, date_value = keys.pick(date_field, GUESSED_KEYS["date"])
        url_key, url_value = keys.pick(url_field, GUESSED_KEYS["url"])
        tags_key, tags_value = keys.pick(tags_field, GUESSED_KEYS["tags"])

        title = as_text(title_value, title_key, " ")
        body = as_text(body_value, body_key, "\n\n")
        if not title.strip() and not body.strip():
            raise DocumentError(
                f"has no text (expected a {body_field or 'body'!r} or {title_field or 'title'!r} key)"
            )
        date = None
        if date_key is not None:
            try:
                date = parse_date(date_value)
            except DocumentError as error:
                raise DocumentError(f"bad date in {date_key!r}: {error.reason}") from None
        url = None if url_key is None else as_text(url_value, url_key, " ").strip() or None
        tags = as_tags(tags_value, tags_key)

        used = {id_key, title_key, body_key, date_key, url_key, tags_key}
        extras = select_fields(record, keys, fields, used)
        if id_key is not None:
            ident = as_id(id_value, id_key)
        elif default_id is not None:
            ident = default_id
        else:
            ident = content_id(title, body, date, url)
        return cls(
            id=ident,
            title=title,
            body=body,
            date=date,
            url=url,
            tags=tags,
            fields=extras,
            source=source,
        )


@dataclass(frozen=True)
class SkippedRecord:
    """A record or file that ``errors="skip"`` left out, and why (given to ``on_skip``)."""

    path: str | None
    line: int | None
    reason: str

    def __str__(self) -> str:
        return str(DocumentError(self.reason, path=self.path, line=self.line))
