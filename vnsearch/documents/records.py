"""Records (JSON objects, CSV rows) read as document values: the keys guessed for each field,
text normalised to NFC, tags, ids, and the extra fields kept.

>>> keys = KeyFinder({"Title": "Hà Nội", "body": ""})
>>> keys.pick(None, ("title", "headline"))
('Title', 'Hà Nội')
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from vnsearch.errors import DocumentError

__all__ = [
    "SPACES",
    "KeyFinder",
    "as_id",
    "as_tags",
    "as_text",
    "clean",
    "content_id",
    "describe",
    "select_fields",
    "tag_tuple",
]

_SURROGATES = re.compile("[\ud800-\udfff]")
#: Runs of spaces, tabs and the Unicode spaces scraped pages are full of (NBSP, thin, ideographic).
SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]+")


def clean(text: str) -> str:
    """NFC, with unpaired surrogates (from JSON escapes) replaced so the text encodes as UTF-8."""
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def tag_tuple(tags: object) -> tuple[str, ...]:
    """Tags as a tuple of NFC strings, blanks and repeats removed, order kept."""
    if tags is None:
        return ()
    items = (tags,) if isinstance(tags, str) else tags
    if not isinstance(items, Iterable):
        raise TypeError(f"tags must be strings, not {type(tags).__name__}")
    seen: dict[str, None] = {}
    for tag in items:
        if not isinstance(tag, str):
            raise TypeError(f"tags must be strings, not {type(tag).__name__}")
        tag = clean(tag).strip()
        if tag:
            seen.setdefault(tag)
    return tuple(seen)


def describe(value: object) -> str:
    """A JSON-flavoured name for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def _blank(value: object) -> bool:
    """Missing for our purposes: None, an all-space string or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return not value
    return False


class KeyFinder:
    """Finds record keys by exact name, then case-insensitively."""

    def __init__(self, record: Mapping[str, Any]):
        self.record = record
        self._folded: dict[str, str] | None = None

    def find(self, name: str) -> str | None:
        if name in self.record:
            return name
        if self._folded is None:
            self._folded = {}
            for key in self.record:
                if isinstance(key, str):
                    self._folded.setdefault(key.casefold(), key)
        return self._folded.get(name.casefold())

    def pick(self, explicit: str | None, candidates: tuple[str, ...]) -> tuple[str | None, Any]:
        """The first candidate key holding a non-blank value, and that value."""
        for name in (explicit,) if explicit else candidates:
            key = self.find(name)
            if key is not None and not _blank(self.record[key]):
                return key, self.record[key]
        return None, None


def as_text(value: object, key: str | None, joiner: str) -> str:
    """A text field's value as a string: lists of paragraphs are joined, objects refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return joiner.join(v for v in value if v.strip())
    raise DocumentError(f"{key!r} must be text, not {describe(value)}")


def as_id(value: object, key: str) -> str:
    """A record id as a string: 17 and 17.0 both become "17"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise DocumentError(f"{key!r} must be a string or a number, not true/false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    raise DocumentError(f"{key!r} must be a string or a number, not {describe(value)}")


def as_tags(value: object, key: str | None) -> tuple[str, ...]:
    """Tags from a list, or from a string separated by commas or semicolons."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tag_tuple(re.split(r"[,;]", value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return tag_tuple(str(value))
    if isinstance(value, (list, tuple)):
        tags = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise DocumentError(f"{key!r} must hold strings, not {describe(item)}")
            tags.append(str(item))
        return tag_tuple(tags)
    raise DocumentError(f"{key!r} must be a list or a string, not {describe(value)}")


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool))


def select_fields(
    record: Mapping[str, Any],
    keys: KeyFinder,
    fields: bool | Iterable[str] | None,
    used: set[str | None],
) -> dict[str, object]:
    """The extras `Document.fields` keeps, as chosen by the ``fields`` argument."""
    if fields is False:
        return {}
    if fields is None or fields is True:
        return {
            key: value
            for key, value in record.items()
            if isinstance(key, str) and key not in used and _is_scalar(value) and not _blank(value)
        }
    names = (fields,) if isinstance(fields, str) else fields
    chosen: dict[str, object] = {}
    for name in names:
        key = keys.find(name)
        if key is not None and not _blank(record[key]):
            chosen[name] = record[key]
    return chosen


def content_id(title: str, body: str, date: _dt.datetime | None, url: str | None) -> str:
    """A stable id from the content, for records that bring none."""
    parts = (clean(title).strip(), clean(body), date.isoformat() if date else "", url or "")
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()
    return f"doc-{digest[:16]}"
