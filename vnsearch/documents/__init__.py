"""Documents, and the loaders that read them from files.

`Document` is the typed value every later layer works with: NFC text, a naive datetime, a tuple
of tags and a read-only mapping of extra fields. The loaders are generators that pick a format
from the file suffix (override with ``format=``), stream the line formats, and raise a
`DocumentError` naming the file and line. Pure Python: this module never imports Whoosh.

Formats
    ``.txt`` / ``.md``        one document per file; scraped pages are cleaned (see below)
    ``.jsonl`` / ``.ndjson``  one JSON object per line; blank lines are skipped
    ``.json``                 an array of objects, one object, or an object per line
    ``.csv`` / ``.tsv``       a header row, then one record per row
    any of these + ``.gz``    gzip-compressed
    a folder                  every file with a known suffix, recursively, in sorted order

Text files are read as UTF-8 (with or without a BOM) or UTF-16 (with a BOM); anything else is
an error asking for UTF-8, unless ``encoding=`` names the codec.

Cleaning a scraped page (``.txt`` / ``.md``) uses general rules, not per-site code:
    * a date line near the top ("Ngày đăng 10/07/2020 | 17:00", "16:17 06/11/2020") gives the date;
    * the line just above it (or the first short, unpunctuated line) is the headline;
      without one, a "QR CODE: <title>" caption, else the lead sentence, gives a title;
    * furniture lines are dropped: toolbars ("Print", "EmailPrintAa"), view counters, cookie
      notices and their buttons, QR-code lines, social-media prompts;
    * the article ends at a block heading ("Tin khác", "Tiện ích thông tin", "Ý kiến bạn đọc",
      ...) or at a run of truncated teaser lines ending in "…";
    * a closing byline ("Hoàng Tùng") moves from the body to ``fields["author"]``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as _dt
import email.utils
import gzip
import hashlib
import json
import math
import os
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import IO, Any, Literal

from vnsearch.errors import DocumentError

__all__ = [
    "FORMATS",
    "Document",
    "SkippedRecord",
    "documents_from",
    "load",
    "parse_date",
]

#: The formats `load` understands; pass one as ``format=`` to override the suffix.
FORMATS = ("txt", "md", "jsonl", "json", "csv", "tsv")

_SUFFIX_FORMATS = {
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
_FORMAT_ALIASES = {
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

# Record keys tried, in order, when the caller names no field (matched case-insensitively).
_ID_KEYS = ("id", "_id", "doc_id")
_TITLE_KEYS = ("title", "headline", "name")
_BODY_KEYS = ("body", "text", "content")
_DATE_KEYS = ("date", "published", "time", "datetime")
_URL_KEYS = ("url", "link")
_TAGS_KEYS = ("tags", "tag", "category", "categories")

_CHUNK = 1 << 16  # bytes read at a time: streaming, never the whole file
_CSV_FIELD_LIMIT = 1 << 26  # the csv default (128 KiB) is smaller than some long articles
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]+")

Fields = Mapping[str, object]
ErrorMode = Literal["strict", "skip"]


# --------------------------------------------------------------------------- values


def _clean(text: str) -> str:
    """NFC, with unpaired surrogates (from JSON escapes) replaced so the text encodes as UTF-8."""
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


class _FrozenMap(Mapping[str, object]):
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
        return (_FrozenMap, (self._data,))


def _freeze(value: object, key: str) -> object:
    """An immutable, hashable copy of a field value (lists become tuples, dicts read-only)."""
    if isinstance(value, str):
        return _clean(value)
    if value is None or isinstance(value, (bool, int, float, _dt.date)):
        return value
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v, key) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_freeze(v, key) for v in value)
    if isinstance(value, Mapping):
        return _FrozenMap({str(k): _freeze(v, key) for k, v in value.items()})
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"field {key!r}: a {type(value).__name__} cannot be frozen") from None
    return value


def _tag_tuple(tags: object) -> tuple[str, ...]:
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
        tag = _clean(tag).strip()
        if tag:
            seen.setdefault(tag)
    return tuple(seen)


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
    fields: Fields = _field(default_factory=_FrozenMap)
    source: str | None = _field(default=None, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        ident = self.id
        if isinstance(ident, bool) or not isinstance(ident, (str, int)):
            raise TypeError(f"Document id must be a string, not {type(ident).__name__}")
        ident = _clean(str(ident)).strip()
        if not ident:
            raise DocumentError("a document needs a non-empty id")
        put(self, "id", ident)
        for name in ("title", "body"):
            value = getattr(self, name)
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise TypeError(f"Document {name} must be a string, not {type(value).__name__}")
            value = _clean(value)
            put(self, name, value.strip() if name == "title" else value)
        if self.date is not None:
            put(self, "date", parse_date(self.date))
        if self.url is not None:
            if not isinstance(self.url, str):
                raise TypeError(f"Document url must be a string, not {type(self.url).__name__}")
            put(self, "url", self.url.strip() or None)
        put(self, "tags", _tag_tuple(self.tags))
        if self.fields is None:
            put(self, "fields", {})
        if not isinstance(self.fields, Mapping):
            raise TypeError(f"Document fields must be a mapping, not {type(self.fields).__name__}")
        put(self, "fields", _FrozenMap({_clean(str(k)): _freeze(v, str(k)) for k, v in self.fields.items()}))
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
            raise DocumentError(f"expected an object with text fields, found {_describe(record)}")
        keys = _KeyFinder(record)
        id_key, id_value = keys.pick(id_field, _ID_KEYS)
        title_key, title_value = keys.pick(title_field, _TITLE_KEYS)
        body_key, body_value = keys.pick(body_field, _BODY_KEYS)
        date_key, date_value = keys.pick(date_field, _DATE_KEYS)
        url_key, url_value = keys.pick(url_field, _URL_KEYS)
        tags_key, tags_value = keys.pick(tags_field, _TAGS_KEYS)

        title = _as_text(title_value, title_key, " ")
        body = _as_text(body_value, body_key, "\n\n")
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
        url = None if url_key is None else _as_text(url_value, url_key, " ").strip() or None
        tags = _as_tags(tags_value, tags_key)

        used = {id_key, title_key, body_key, date_key, url_key, tags_key}
        extras = _select_fields(record, keys, fields, used)
        if id_key is not None:
            ident = _as_id(id_value, id_key)
        elif default_id is not None:
            ident = default_id
        else:
            ident = _content_id(title, body, date, url)
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


# --------------------------------------------------------------------------- records


def _describe(value: object) -> str:
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


class _KeyFinder:
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


def _as_text(value: object, key: str | None, joiner: str) -> str:
    """A text field's value as a string: lists of paragraphs are joined, objects refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return joiner.join(v for v in value if v.strip())
    raise DocumentError(f"{key!r} must be text, not {_describe(value)}")


def _as_id(value: object, key: str) -> str:
    """A record id as a string: 17 and 17.0 both become "17"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise DocumentError(f"{key!r} must be a string or a number, not true/false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    raise DocumentError(f"{key!r} must be a string or a number, not {_describe(value)}")


def _as_tags(value: object, key: str | None) -> tuple[str, ...]:
    """Tags from a list, or from a string separated by commas or semicolons."""
    if value is None:
        return ()
    if isinstance(value, str):
        return _tag_tuple(re.split(r"[,;]", value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _tag_tuple(str(value))
    if isinstance(value, (list, tuple)):
        tags = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise DocumentError(f"{key!r} must hold strings, not {_describe(item)}")
            tags.append(str(item))
        return _tag_tuple(tags)
    raise DocumentError(f"{key!r} must be a list or a string, not {_describe(value)}")


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool))


def _select_fields(
    record: Mapping[str, Any],
    keys: _KeyFinder,
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


def _content_id(title: str, body: str, date: _dt.datetime | None, url: str | None) -> str:
    """A stable id from the content, for records that bring none."""
    parts = (_clean(title).strip(), _clean(body), date.isoformat() if date else "", url or "")
    digest = hashlib.sha1("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()
    return f"doc-{digest[:16]}"


# --------------------------------------------------------------------------- dates

_DATE_HELP = (
    "expected e.g. 2020-07-10, 2020-07-10T17:00+07:00, 10/07/2020 17:00, 2020-07, 2020 "
    "or epoch seconds"
)
_ISO = re.compile(
    r"(\d{4})([-/.])(\d{1,2})(?:\2(\d{1,2})"
    r"(?:(?:[T ]|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.I,
)
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_DMY = re.compile(r"(?<![\d.])(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})(?![\d/])")
_VN_LONG = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s*(?:năm|,)\s*(\d{4})(?!\d)", re.I)
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2})\s*(?::|h(?=\s*\d))\s*(\d{2})(?:\s*:\s*(\d{2}))?"
    r"(?:\s*([ap])\.?\s*m\b\.?)?(?![\d:])",
    re.I,
)
# Words that may surround a date on a page's date line without making it prose.
_DATE_NOISE = re.compile(
    r"\b(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|cn|t[2-7]"
    r"|mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
    r"|ngày\s*đăng|đăng\s*ngày|đăng\s*lúc|ngày\s*cập\s*nhật|cập\s*nhật(?:\s*lúc)?"
    r"|ngày\s*xuất\s*bản|xuất\s*bản|thời\s*gian(?:\s*đăng)?|ngày|lúc|giờ"
    r"|posted|published|updated|date|on|at"
    r"|(?:gmt|utc)\s*[+-]\s*\d{1,2}(?::?\d{2})?|gmt|utc|ict"
    r"|(?:số\s*)?lượt\s*(?:xem|đọc|truy\s*cập)\s*:?\s*[\d.,]+|views?\s*:?\s*[\d.,]+"
    r"|view\s*count\s*:?\s*[\d.,]+|đã\s*xem\s*:?\s*[\d.,]+"
    r"|print|e-?mail|aa|gốc|in)\b",
    re.I,
)
_DATE_SEPARATORS = re.compile(r"[\s|,;:\-–—/()·.•]*")


def _naive(value: _dt.datetime) -> _dt.datetime:
    """Aware datetimes become naive UTC, so every Document.date compares with every other."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=None)
    return value.astimezone(_dt.timezone.utc).replace(tzinfo=None)


def _make(
    text: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> _dt.datetime:
    """A datetime, with an impossible date reported as a DocumentError naming the text."""
    try:
        return _dt.datetime(year, month, day, hour, minute, second, micro)
    except (ValueError, OverflowError) as error:
        raise DocumentError(f"cannot read {text!r} as a date: {error}") from None


def _from_epoch(value: float, text: object) -> _dt.datetime:
    """Epoch seconds (milliseconds when beyond year 5138) as a naive UTC datetime."""
    if not math.isfinite(value):
        raise DocumentError(f"cannot read {text!r} as a date ({_DATE_HELP})")
    seconds = value / 1000 if abs(value) >= 1e11 else value
    try:
        return _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=seconds)
    except (OverflowError, ValueError):
        raise DocumentError(f"cannot read {text!r} as a date: out of range") from None


def _hour(hour: int, ampm: str | None) -> int:
    """A 12-hour clock reading on the 24-hour clock."""
    if ampm is None:
        return hour
    if not 1 <= hour <= 12:
        return 99  # makes datetime() refuse it
    return hour % 12 + (12 if ampm.lower() == "p" else 0)


def _parse_iso(text: str) -> _dt.datetime | None:
    m = _ISO.fullmatch(text)
    if not m:
        return None
    year, month, day = int(m[1]), int(m[3]), int(m[4] or 1)
    hour, minute, second = int(m[5] or 0), int(m[6] or 0), int(m[7] or 0)
    micro = int((m[8] or "0").ljust(6, "0")[:6])
    value = _make(text, year, month, day, hour, minute, second, micro)
    zone = m[9]
    if zone:
        if zone.upper() == "Z":
            offset = _dt.timedelta(0)
        else:
            digits = zone[1:].replace(":", "")
            offset = _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
            offset = -offset if zone[0] == "-" else offset
        if offset >= _dt.timedelta(hours=24):
            raise DocumentError(f"cannot read {text!r} as a date: bad UTC offset")
        value = _naive(value.replace(tzinfo=_dt.timezone(offset)))
    return value


def _parse_number(text: str) -> _dt.datetime | None:
    if not _NUMBER.fullmatch(text):
        return None
    digits = text.lstrip("+-")
    if "." not in digits and len(digits) == 4:
        return _make(text, int(digits), 1, 1)
    if "." not in digits and len(digits) == 8:
        return _make(text, int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    if len(digits.split(".")[0]) >= 9:
        return _from_epoch(float(text), text)
    return None


def _find_date(text: str) -> tuple[_dt.datetime, str] | None:
    """The first day-month-year date (and time) in text, and what is left around them.

    Vietnamese dates are day first: 06/11/2020 is the 6th of November, never June 11.
    """
    m = _DMY.search(text) or _VN_LONG.search(text)
    if not m:
        return None
    if m.re is _DMY:
        day, month, year_text = int(m[1]), int(m[3]), m[4]
    else:
        day, month, year_text = int(m[1]), int(m[2]), m[3]
    year = int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 70 else 1900
    rest = text[: m.start()] + " " + text[m.end() :]
    hour = minute = second = 0
    t = _TIME.search(rest)
    if t:
        hour, minute, second = _hour(int(t[1]), t[4]), int(t[2]), int(t[3] or 0)
        rest = rest[: t.start()] + " " + rest[t.end() :]
    return _make(text, year, month, day, hour, minute, second), rest


def _date_line(text: str) -> _dt.datetime | None:
    """The date of a line that is only a date (with a time, labels, counters), else None."""
    try:
        found = _find_date(text)
    except DocumentError:
        return None
    if found is None:
        return None
    value, rest = found
    if not _DATE_SEPARATORS.fullmatch(_DATE_NOISE.sub(" ", rest)):
        return None
    return value


def _parse_rfc2822(text: str) -> _dt.datetime | None:
    if not re.search(r"[A-Za-z]{3}", text):
        return None
    try:
        return _naive(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def parse_date(value: object) -> _dt.datetime | None:
    """Read a publication date; returns a naive datetime, or None for None and blank strings.

    Accepts datetime and date objects; ISO 8601 ("2020-07-10", "2020-07-10T17:00",
    "2020-07-10T17:00:00Z", "+07:00" offsets, "2020/07/10"); Vietnamese day-first dates
    ("10/07/2020", "10/07/2020 17:00", "16:17 06/11/2020", "Thứ Ba, 24/08/2021 21:30",
    "30/07/2019 | 5:00 PM", "ngày 10 tháng 7 năm 2020"); "yyyy-mm"; "yyyy"; RFC 2822 (RSS);
    and epoch numbers (seconds; milliseconds when that large; whole numbers 1000-9999 are years).
    Times with an offset are converted to UTC. Raises `DocumentError` (a ValueError, without a
    path: callers add the file and line) for anything else.
    """
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return _naive(value)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise DocumentError(f"cannot read {value!r} as a date ({_DATE_HELP})")
    if isinstance(value, int) and 1000 <= value <= 9999:
        return _dt.datetime(value, 1, 1)
    if isinstance(value, (int, float)):
        return _from_epoch(float(value), value)
    if not isinstance(value, str):
        raise DocumentError(f"cannot read {_describe(value)} as a date ({_DATE_HELP})")
    text = _SPACES.sub(" ", value).strip()
    if not text:
        return None
    for parse in (_parse_iso, _parse_number):
        result = parse(text)
        if result is not None:
            return result
    found = _find_date(text)
    if found is not None:
        result, rest = found
        if _DATE_SEPARATORS.fullmatch(_DATE_NOISE.sub(" ", rest)):
            return result
    result = _parse_rfc2822(text)
    if result is not None:
        return result
    raise DocumentError(f"cannot read {value!r} as a date ({_DATE_HELP})")


# --------------------------------------------------------------------------- page cleaning

_TOOL = (
    r"(?:print|e-?mail|aa|a\+|a-|share|tweet|in bài|bản in|gửi email|gửi bài|chia sẻ|lưu tin"
    r"|facebook|zalo|twitter)"
)
_TOOLBAR = re.compile(rf"{_TOOL}(?:[\s|·/,•]*{_TOOL})*", re.I)
_COUNTER = re.compile(
    r"(?:(?:số\s*)?lượt\s*(?:xem|đọc|truy\s*cập)|views?|view\s*count|đã\s*xem)\s*:?\s*[\d.,]+",
    re.I,
)
_COOKIE = re.compile(
    r"\b(?:uses?|use of|sử dụng|dùng)\s+(?:\w+\s+)?cookies?\b"
    r"|\bcookies?\s+(?:policy|settings|consent)\b|chính sách cookie",
    re.I,
)
_BUTTON = re.compile(
    r"(?:read more|learn more|đọc thêm|xem thêm|xem tiếp|accept(?: all)?|tôi đồng ý|đồng ý"
    r"|chấp nhận|ok|got it|đóng|close|back to top|lên đầu trang|về đầu trang|quay lại|trở về)"
    r"\s*[.!»›>]?",
    re.I,
)
_SOCIAL = re.compile(
    r"chúng tôi trên mạng xã hội|kết nối với chúng tôi|theo dõi chúng tôi(?: trên .{1,60})?"
    r"|follow us(?: on .{1,60})?",
    re.I,
)
_QR = re.compile(r"\bQR[ -]?code\b|\bmã QR\b", re.I)
_QR_TITLE = re.compile(r"QR[ -]?code\s*:\s*(.{3,300})", re.I)
# Headings of the blocks that follow an article; the article ends at the first one.
_TERMINATOR = re.compile(
    r"(?:tin khác|các tin khác|tin liên quan|các tin liên quan|tin cùng chuyên mục|tin cùng loại"
    r"|bài viết liên quan|bài liên quan|tin bài liên quan|tin đã đưa|các tin đã đưa|tin mới hơn"
    r"|tin cũ hơn|tin mới nhất|tiện ích thông tin|ý kiến bạn đọc|ý kiến của bạn|gửi ý kiến"
    r"|bình luận|gửi bình luận|đọc nhiều nhất|tin đọc nhiều|tin xem nhiều|xem nhiều nhất"
    r"|related (?:news|articles|posts)|other news|comments?)\s*:?",
    re.I,
)
_DATELINE_PREFIX = re.compile(
    r"^(?:\([^()]{1,40}\)\s*[-–—:]\s*)?"
    r"(?:(?:(?:rạng sáng|sáng|trưa|chiều|tối|đêm|hôm nay|hôm qua)(?:\s+nay)?\s+)?"
    r"(?:ngày\s+)?\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*,\s*)?",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’)]*\s+")
_ABBREVIATIONS = {"tp", "ths", "ts", "pgs", "gs", "bs", "q", "p", "tt", "mr", "mrs", "dr", "st", "v.v"}
_BYLINE = re.compile(
    r"(?:(?:bài|tin|ảnh|bài và ảnh|tin và ảnh|tin, ảnh|bài, ảnh|pv)\s*:\s*)?"
    r"([^():]+?)\s*(?:\([^()]{1,150}\))?",
    re.I,
)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_KEY = re.compile(r"([A-Za-z_][\w-]*)\s*:\s*(.*)")
_FRONT_ITEM = re.compile(r"\s+-\s+(.*)")

_HEAD_WINDOW = 8  # non-blank lines searched for the date line and headline
_PARAGRAPH_WORDS = 8  # a line this long is prose: the article has started
_TITLE_CHARS = 150  # titles made from a lead sentence are cut to this


@dataclass
class _Article:
    """What the cleaner finds in one scraped page."""

    title: str
    date: _dt.datetime | None
    body: str
    fields: dict[str, object]


def _words(line: str) -> int:
    return len(line.split())


def _is_furniture(line: str) -> bool:
    """A page-furniture line: toolbar, counter, cookie notice, button, QR code, social prompt."""
    return bool(
        _TOOLBAR.fullmatch(line)
        or _COUNTER.fullmatch(line)
        or _BUTTON.fullmatch(line)
        or _SOCIAL.fullmatch(line)
        or _QR.search(line)
        or (len(line) < 400 and _COOKIE.search(line))
    )


def _is_section_label(line: str) -> bool:
    """A short all-capitals line such as "TIN TỨC NỔI BẬT": a section name, not a headline."""
    return line.isupper() and _words(line) <= 6


def _is_headline(line: str) -> bool:
    """Short, unpunctuated at the end, not a label: how headlines look."""
    return (
        2 <= _words(line) <= 40
        and len(line) <= 250
        and not line.endswith((".", ":", ";", ",", "…"))
        and not _is_section_label(line)
        and not _TERMINATOR.fullmatch(line)
    )


def _is_teaser(line: str) -> bool:
    """A truncated link to another article: short and ending in an ellipsis."""
    return len(line) <= 160 and line.endswith(("…", "..."))


def _is_byline(line: str) -> bool:
    """An author line such as "Hoàng Tùng" or "Phan Xuân Bính (Đảng ủy Khối ...)"."""
    m = _BYLINE.fullmatch(line)
    if not m:
        return False
    words = m[1].split()
    return 2 <= len(words) <= 5 and all(
        w.isalpha() and w[0].isupper() and (len(w) == 1 or w[1:].islower()) for w in words
    )


def _lead_title(body: str) -> str:
    """A fair title from the lead sentence, without its dateline ("Chiều 10/7, ")."""
    first = next((line for line in body.split("\n") if line.strip()), "")
    first = first[: 8 * _TITLE_CHARS]  # the title is cut short anyway; keeps this linear
    sentence = first
    for m in _SENTENCE_END.finditer(first):
        word = first[first.rfind(" ", 0, m.start()) + 1 : m.start()]
        nxt = first[m.end() : m.end() + 1]
        if word.casefold() in _ABBREVIATIONS:
            continue
        if nxt and (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘("):
            sentence = first[: m.start() + len(m.group().rstrip())]
            break
    sentence = _DATELINE_PREFIX.sub("", sentence, count=1).strip() or sentence.strip()
    sentence = sentence.rstrip(" .!…")
    if len(sentence) > _TITLE_CHARS:
        cut = sentence.rfind(" ", 0, _TITLE_CHARS)
        sentence = sentence[: cut if cut > 0 else _TITLE_CHARS].rstrip(" ,;:–-") + "…"
    return sentence[:1].upper() + sentence[1:]


def _front_matter(text: str) -> tuple[dict[str, object], str]:
    """Simple "key: value" front matter between --- lines, and the text after it."""
    m = _FRONT_MATTER.match(text)
    if not m or len(m[1]) > 65536:
        return {}, text
    meta: dict[str, object] = {}
    last: str | None = None
    for raw in m[1].split("\n"):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = _FRONT_ITEM.fullmatch(raw)
        if item and last is not None:
            previous = meta.get(last)
            meta[last] = [*(previous if isinstance(previous, list) else []), _unquote(item[1])]
            continue
        kv = _FRONT_KEY.fullmatch(raw)
        if not kv:
            return {}, text  # not front matter after all: leave the page as it is
        last, value = kv[1], kv[2].strip()
        if value.startswith("[") and value.endswith("]"):
            meta[last] = [_unquote(v) for v in value[1:-1].split(",") if v.strip()]
        else:
            meta[last] = _unquote(value)
    return meta, text[m.end() :]


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _parse_article(text: str) -> _Article:
    """Title, date, body and extras of a scraped page or plain text file (see module doc)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, text = _front_matter(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    n = len(lines)
    furniture = [bool(line) and _is_furniture(line) for line in lines]
    is_text = [bool(line) and not furniture[i] for i, line in enumerate(lines)]

    qr_title = ""
    for line in lines:
        m = _QR_TITLE.fullmatch(line)
        if m:
            qr_title = m[1].strip()
            break

    window: list[int] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        window.append(i)
        if is_text[i] and _words(line) >= _PARAGRAPH_WORDS and line.endswith((".", "…", "!", "?", "”")):
            break
        if len(window) >= _HEAD_WINDOW:
            break
    date_at = next((i for i in window if is_text[i] and _date_line(lines[i])), None)
    date = _date_line(lines[date_at]) if date_at is not None else None

    headline_at: int | None = None
    headline = ""
    if date_at is not None:
        before = [i for i in window if i < date_at and is_text[i]]
        after = [i for i in range(date_at + 1, n) if is_text[i]]
        if before and _is_headline(lines[before[-1]]):
            headline_at = before[-1]
        elif (
            len(after) >= 2
            and _is_headline(lines[after[0]])
            and after[0] + 1 < n
            and not lines[after[0] + 1]
        ):
            headline_at = after[0]  # a headline below the date, set off by a blank line
        start = max(date_at, headline_at if headline_at is not None else -1) + 1
    else:
        candidates = [i for i in window if is_text[i]]
        while len(candidates) > 1 and _is_section_label(lines[candidates[0]]):
            candidates.pop(0)
        start = 0
        if candidates:
            first = candidates[0]
            line = lines[first]
            has_more = any(is_text[j] for j in range(first + 1, n))
            if line.startswith("#") and line.lstrip("#").strip():
                headline_at, start = first, first + 1
            elif has_more and _is_headline(line):
                headline_at, start = first, first + 1
    if headline_at is not None:
        headline = lines[headline_at].lstrip("#").strip() if lines[headline_at].startswith("#") else lines[headline_at]

    body_lines: list[str] = []
    started = has_text = False
    i = start
    while i < n:
        line = lines[i]
        if not line:
            body_lines.append("")
        elif is_text[i] and i != date_at:
            if _TERMINATOR.fullmatch(line):
                if started:
                    break
            elif started and _is_teaser(line) and _teaser_run(lines, is_text, i) >= 2:
                break
            elif not has_text and _is_section_label(line):
                pass
            else:
                body_lines.append(line)
                has_text = True
                started = started or _words(line) >= _PARAGRAPH_WORDS
        i += 1

    while body_lines and not body_lines[-1]:
        body_lines.pop()
    fields: dict[str, object] = {}
    if len([b for b in body_lines if b]) > 1 and _is_byline(body_lines[-1]):
        fields["author"] = body_lines.pop()
        while body_lines and not body_lines[-1]:
            body_lines.pop()
    compact: list[str] = []
    for line in body_lines:
        if line or (compact and compact[-1]):
            compact.append(line)
    body = "\n".join(compact)

    title = headline or qr_title or (_lead_title(body) if body else "")
    keys = _KeyFinder(meta)
    meta_title_key, meta_title = keys.pick(None, _TITLE_KEYS)
    if meta_title_key is not None:
        title = _as_text(meta_title, meta_title_key, " ")
    meta_date_key, meta_date = keys.pick(None, _DATE_KEYS)
    if meta_date_key is not None:
        try:
            date = parse_date(meta_date)
        except DocumentError as error:
            raise DocumentError(f"bad date in front matter {meta_date_key!r}: {error.reason}") from None
    for key, value in meta.items():
        if key not in (meta_title_key, meta_date_key):
            fields.setdefault(key, value)
    return _Article(title=title, date=date, body=body, fields=fields)


def _teaser_run(lines: list[str], is_text: list[bool], start: int) -> int:
    """How many teaser lines follow one another from start."""
    count = 0
    for j in range(start, len(lines)):
        if not is_text[j]:
            continue  # blank lines and furniture may sit between teasers
        if not _is_teaser(lines[j]):
            break
        count += 1
    return count


# --------------------------------------------------------------------------- reading bytes


def _open(path: Path, display: str) -> IO[bytes]:
    """The file's bytes (decompressed for .gz), with OS errors as DocumentErrors."""
    try:
        if path.name.lower().endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]  # GzipFile reads bytes like IO
        return open(path, "rb")
    except FileNotFoundError:
        raise DocumentError("no such file or folder", path=display) from None
    except PermissionError:
        raise DocumentError("cannot read it: permission denied", path=display) from None
    except IsADirectoryError:
        raise DocumentError("is a folder, not a file", path=display) from None
    except OSError as error:
        raise DocumentError(f"cannot read it: {error.strerror or error}", path=display) from None


def _read(raw: IO[bytes], display: str) -> bytes:
    try:
        return raw.read(_CHUNK)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DocumentError(f"is not a valid gzip file ({error})", path=display) from None
    except OSError as error:
        raise DocumentError(f"cannot read it: {error.strerror or error}", path=display) from None


def _looks_like_utf16(sample: bytes) -> bool:
    """NUL in every other byte: UTF-16 text saved without a byte-order mark."""
    sample = sample[:4096]
    half = len(sample) // 2
    return half >= 2 and (sample[1::2].count(0) > half * 0.6 or sample[0::2].count(0) > half * 0.6)


def _text_chunks(
    raw: IO[bytes],
    display: str,
    encoding: str | None,
    on_bad_line: Callable[[DocumentError], object] | None = None,
) -> Iterator[str]:
    """Decoded text, chunk by chunk, from UTF-8 (BOM or not) or UTF-16 (BOM) bytes.

    Text before a bad byte is yielded first, so errors come in file order; the error then
    names the line and the byte offset. With ``on_bad_line`` (the line formats in skip mode),
    a line that cannot be decoded is reported to it and decoded with U+FFFD replacements, for
    the caller to skip, so the lines after it are still read (not for UTF-16/32, whose bytes
    cannot be split into lines before decoding).
    """
    chunk = _read(raw, display)
    if not chunk:
        return
    consumed = 0
    if encoding is None:
        if chunk.startswith(codecs.BOM_UTF8):
            codec, skip = "utf-8", 3
        elif chunk.startswith(codecs.BOM_UTF16_LE):
            codec, skip = "utf-16-le", 2
        elif chunk.startswith(codecs.BOM_UTF16_BE):
            codec, skip = "utf-16-be", 2
        else:
            codec, skip = "utf-8", 0
    else:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise DocumentError(f"unknown encoding {encoding!r}") from None
        skip = 3 if codec == "utf-8" and chunk.startswith(codecs.BOM_UTF8) else 0
    chunk, consumed = chunk[skip:], skip
    check_nul = not codec.startswith(("utf-16", "utf-32"))
    if check_nul and b"\x00" in chunk:
        if encoding is None and _looks_like_utf16(chunk):
            raise DocumentError(
                "looks like UTF-16 without a byte-order mark; re-save it as UTF-8", path=display
            )
        offset = consumed + chunk.index(b"\x00")
        raise DocumentError(f"is a binary file, not text (found a NUL byte at offset {offset})", path=display)

    decoder = codecs.getincrementaldecoder(codec)("strict")
    newlines = 0
    final = False
    while True:
        nul = chunk.find(b"\x00") if check_nul else -1
        data = chunk if nul < 0 else chunk[:nul]
        try:
            text = decoder.decode(data, final=final and nul < 0)
        except UnicodeDecodeError as error:
            good = error.object[: error.start]
            resync = on_bad_line is not None and check_nul
            try:
                prefix = good.decode(codec, "replace" if resync else "strict") if codec == "utf-8" or resync else ""
            except UnicodeDecodeError:
                prefix = ""
            line = newlines + prefix.count("\n") + 1
            offset = consumed - (len(error.object) - len(data)) + error.start
            bad = error.object[error.start : error.start + 1]
            found = f"found byte 0x{bad[0]:02x} at offset {offset}" if bad else f"ends mid-character at offset {offset}"
            if encoding is not None:
                message = f"cannot be decoded as {encoding} ({found})"
            elif codec.startswith("utf-16"):
                message = f"is not valid UTF-16 ({error.reason} at offset {offset}); re-save it as UTF-8"
            else:
                message = f"is not UTF-8 or UTF-16 ({found}); re-save it as UTF-8"
            if not resync:
                if prefix:
                    yield prefix
                raise DocumentError(message, path=display, line=line) from None
            # Report the bad line, give it with replacement characters, go on after its newline.
            on_bad_line(DocumentError(message, path=display, line=line))
            rest = error.object[error.start :] + chunk[len(data) :]
            end = rest.find(b"\n")
            while end < 0 and not final:
                more = _read(raw, display)
                final = not more
                rest += more
                end = rest.find(b"\n")
            yield prefix + (rest if end < 0 else rest[: end + 1]).decode(codec, "replace")
            newlines = line
            if end < 0:
                return
            consumed = offset + end + 1
            chunk = rest[end + 1 :]
            decoder = codecs.getincrementaldecoder(codec)("strict")
            if not chunk and not final:
                chunk = _read(raw, display)
                final = not chunk
            continue
        if text:
            newlines += text.count("\n")
            yield text
        if nul >= 0:
            raise DocumentError(
                f"is a binary file, not text (found a NUL byte at offset {consumed + nul})",
                path=display,
                line=newlines + 1,
            )
        if final:
            return
        consumed += len(chunk)
        chunk = _read(raw, display)
        final = not chunk


def _lines(chunks: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(1-based line number, line with its "\\n") from text chunks; splits on "\\n" only."""
    pending: list[str] = []
    number = 0
    for chunk in chunks:
        if "\n" not in chunk:
            pending.append(chunk)
            continue
        parts = chunk.split("\n")
        pending.append(parts[0])
        parts[0] = "".join(pending)
        for part in parts[:-1]:
            number += 1
            yield number, part + "\n"
        pending = [parts[-1]]
    tail = "".join(pending)
    if tail:
        yield number + 1, tail


# --------------------------------------------------------------------------- loaders


class _Policy:
    """What to do with a bad record: raise (strict) or report to on_skip and go on (skip)."""

    def __init__(self, errors: str, on_skip: Callable[[SkippedRecord], object] | None):
        if errors not in ("strict", "skip"):
            raise ValueError(f"errors must be 'strict' or 'skip', not {errors!r}")
        self.strict = errors == "strict"
        self.on_skip = on_skip

    def fail(self, error: DocumentError) -> None:
        if self.strict:
            raise error
        if self.on_skip is not None:
            self.on_skip(SkippedRecord(error.path, error.line, error.reason))


@dataclass(frozen=True)
class _Options:
    """The record-mapping arguments of load(), passed on to Document.from_record."""

    id_field: str | None = None
    title_field: str | None = None
    body_field: str | None = None
    date_field: str | None = None
    url_field: str | None = None
    tags_field: str | None = None
    fields: bool | Iterable[str] | None = None


@dataclass(frozen=True)
class _File:
    """One file to load: where it is, how to name it in errors, its id stem, its format."""

    path: Path
    display: str
    rel: str
    format: str


def _convert(
    record: object,
    options: _Options,
    policy: _Policy,
    *,
    display: str,
    line: int,
    default_id: str,
    label: str = "",
) -> Document | None:
    """Document.from_record with the file and line added to its errors."""
    if not isinstance(record, Mapping):
        policy.fail(DocumentError(f"{label}expected a JSON object, found {_describe(record)}", display, line))
        return None
    try:
        return Document.from_record(
            record,
            id_field=options.id_field,
            title_field=options.title_field,
            body_field=options.body_field,
            date_field=options.date_field,
            url_field=options.url_field,
            tags_field=options.tags_field,
            fields=options.fields,
            source=f"{display}:{line}",
            default_id=default_id,
        )
    except DocumentError as error:
        policy.fail(DocumentError(label + error.reason, display, line))
    except (TypeError, RecursionError) as error:
        policy.fail(DocumentError(f"{label}cannot use this record: {error}", display, line))
    return None


def _keep(errors: dict[int, DocumentError]) -> Callable[[DocumentError], None]:
    """An on_bad_line for _text_chunks that keeps each error by line, to report in file order."""

    def keep(error: DocumentError) -> None:
        errors[error.line or 0] = error

    return keep


def _load_text(file: _File, encoding: str | None, options: _Options) -> Iterator[Document]:
    """A .txt or .md file: one document, cleaned of page furniture."""
    with _open(file.path, file.display) as raw:
        text = "".join(_text_chunks(raw, file.display, encoding))
    if not text.strip():
        return
    article = _parse_article(text)
    if not article.title and not article.body.strip():
        return
    meta = _KeyFinder(article.fields)
    id_key, ident = meta.pick(options.id_field, _ID_KEYS)
    url_key, url = meta.pick(options.url_field, _URL_KEYS)
    tags_key, tags = meta.pick(options.tags_field, _TAGS_KEYS)
    used = {id_key, url_key, tags_key}
    extras = _select_fields(article.fields, meta, options.fields, used)
    yield Document(
        id=_as_id(ident, id_key) if id_key is not None else file.rel,
        title=article.title,
        body=article.body,
        date=article.date,
        url=_as_text(url, url_key, " ") if url_key is not None else None,
        tags=_as_tags(tags, tags_key),
        fields=extras,
        source=file.display,
    )


def _load_jsonl(file: _File, encoding: str | None, options: _Options, policy: _Policy) -> Iterator[Document]:
    """JSON Lines: one object per line, streamed; blank lines are skipped."""
    bad_lines: dict[int, DocumentError] = {}  # undecodable lines (skip mode), reported in turn
    with _open(file.path, file.display) as raw:
        chunks = _text_chunks(raw, file.display, encoding, None if policy.strict else _keep(bad_lines))
        for number, line in _lines(chunks):
            if number in bad_lines:
                policy.fail(bad_lines.pop(number))
                continue
            stripped = line.strip()
            if not stripped:
                continue
            try:
                record = json.loads(stripped)
            except json.JSONDecodeError as error:
                column = error.colno + len(line) - len(line.lstrip())
                policy.fail(DocumentError(f"not valid JSON: {error.msg} (column {column})", file.display, number))
                continue
            except RecursionError:
                policy.fail(DocumentError("not valid JSON: nested too deeply", file.display, number))
                continue
            except ValueError as error:  # e.g. an integer longer than Python will convert
                policy.fail(DocumentError(f"not valid JSON: {error}", file.display, number))
                continue
            document = _convert(
                record, options, policy, display=file.display, line=number, default_id=f"{file.rel}:{number}"
            )
            if document is not None:
                yield document


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _JsonStream:
    """Parses JSON values one at a time from text chunks, keeping memory to about one value."""

    def __init__(self, chunks: Iterable[str], display: str):
        self._chunks = iter(chunks)
        self.display = display
        self.buf = ""
        self.pos = 0
        self.first_line = 1  # line number of buf[0]
        self.eof = False
        self._mark = (0, 1)  # a (position, line) already counted, so line() never rescans

    def _more(self) -> bool:
        if self.eof:
            return False
        if self.pos > _CHUNK or self.pos * 2 > len(self.buf):
            self.first_line += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos :], 0
            self._mark = (0, self.first_line)
        try:
            self.buf += next(self._chunks)
        except StopIteration:
            self.eof = True
            return False
        return True

    def line(self, pos: int | None = None) -> int:
        """The 1-based line number at a position in the buffer (default: the current one)."""
        pos = self.pos if pos is None else pos
        start, line = self._mark
        if pos < start:
            start, line = 0, self.first_line
        line += self.buf.count("\n", start, pos)
        self._mark = (pos, line)
        return line

    def peek(self) -> str:
        """The next non-space character ("" at the end), without consuming it."""
        while True:
            self.pos = _JSON_SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def error(self, message: str, pos: int | None = None) -> DocumentError:
        return DocumentError(f"not valid JSON: {message}", self.display, self.line(pos))

    def value(self) -> object:
        """The JSON value at the current position; reads more text until it is complete."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as error:
                truncated = error.pos >= len(self.buf) - 16 or error.msg.startswith("Unterminated string")
                if self.eof or not truncated:
                    raise self.error(error.msg, error.pos) from None
            except RecursionError:
                raise self.error("nested too deeply") from None
            except ValueError as error:
                raise self.error(str(error)) from None
            else:
                if end < len(self.buf) or self.eof:  # a number at the end may go on
                    self.pos = end
                    return value
            pending = len(self.buf) - self.pos
            while len(self.buf) - self.pos <= 2 * pending and self._more():
                pass


def _json_values(stream: _JsonStream) -> Iterator[tuple[int | None, int, object]]:
    """(array index or None, start line, value) for an array's items or top-level values."""
    c = stream.peek()
    if c == "[":
        stream.pos += 1
        index = 0
        if stream.peek() == "]":
            stream.pos += 1
        else:
            while True:
                stream.peek()
                line = stream.line()
                yield index, line, stream.value()
                index += 1
                c = stream.peek()
                stream.pos += 1
                if c == "]":
                    break
                if c != ",":
                    raise stream.error(f"expected ',' or ']' after item [{index - 1}]", stream.pos - 1)
        if stream.peek():
            raise stream.error("unexpected text after the array")
        return
    while c:
        line = stream.line()
        yield None, line, stream.value()
        c = stream.peek()


def _load_json(file: _File, encoding: str | None, options: _Options, policy: _Policy) -> Iterator[Document]:
    """A JSON array of objects (ids "name.json[i]"), one object, or objects one after another."""
    with _open(file.path, file.display) as raw:
        stream = _JsonStream(_text_chunks(raw, file.display, encoding), file.display)
        for index, line, record in _json_values(stream):
            if index is None:
                default_id, label = f"{file.rel}:{line}", ""
            else:
                default_id, label = f"{file.rel}[{index}]", f"item [{index}]: "
            document = _convert(
                record, options, policy, display=file.display, line=line, default_id=default_id, label=label
            )
            if document is not None:
                yield document


def _load_csv(file: _File, encoding: str | None, options: _Options, policy: _Policy) -> Iterator[Document]:
    """CSV or TSV with a header row; each row's id defaults to "name.csv:<line>"."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    delimiter = "\t" if file.format == "tsv" else ","
    bad_lines: dict[int, DocumentError] = {}  # undecodable lines (skip mode), reported in turn
    ended = False  # set when the reader has asked for a line after the last one
    with _open(file.path, file.display) as raw:
        chunks = _text_chunks(raw, file.display, encoding, None if policy.strict else _keep(bad_lines))

        def source() -> Iterator[str]:
            nonlocal ended
            for _, text in _lines(chunks):
                yield text
            ended = True

        reader = csv.reader(source(), delimiter=delimiter)
        header: list[str] = []
        previous = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                for number in sorted(bad_lines):
                    policy.fail(bad_lines.pop(number))
                return
            except csv.Error as error:
                raise DocumentError(f"not valid CSV: {error}", file.display, reader.line_num) from None
            line, previous = previous + 1, reader.line_num
            undecodable = [bad_lines.pop(n) for n in sorted(bad_lines) if n <= previous]
            for error in undecodable:
                policy.fail(error)
            if ended and row:
                # Only an open quote makes the reader run past the last line for a row.
                raise DocumentError(
                    f"a quote opened in this row is never closed, so lines {line}-{previous} "
                    "were read as one row; close the quote",
                    file.display,
                    line,
                )
            if undecodable:
                if not header:
                    raise DocumentError("the header row cannot be decoded", file.display, line)
                continue
            if not header:
                if any(cell.strip() for cell in row):
                    header = [_clean(cell).strip() for cell in row]
                    seen: set[str] = set()
                    for name in header:
                        if name in seen:
                            raise DocumentError(f"the header names column {name!r} twice", file.display, line)
                        if name:
                            seen.add(name)
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                policy.fail(
                    DocumentError(f"has {len(row)} cells but the header has {len(header)}", file.display, line)
                )
                continue
            record = {name: cell for name, cell in zip(header, row) if name}
            document = _convert(
                record, options, policy, display=file.display, line=line, default_id=f"{file.rel}:{line}"
            )
            if document is not None:
                yield document


def _load_file(file: _File, encoding: str | None, options: _Options, policy: _Policy) -> Iterator[Document]:
    """One file's documents; a file-level error is raised, or reported in skip mode."""
    try:
        if file.format in ("txt", "md"):
            try:
                yield from _load_text(file, encoding, options)
            except (TypeError, RecursionError) as error:
                raise DocumentError(f"cannot use this file: {error}", file.display) from None
        elif file.format == "jsonl":
            yield from _load_jsonl(file, encoding, options, policy)
        elif file.format == "json":
            yield from _load_json(file, encoding, options, policy)
        else:
            yield from _load_csv(file, encoding, options, policy)
    except DocumentError as error:
        if error.path is None:
            error = DocumentError(error.reason, file.display, error.line)
        policy.fail(error)


def _format_of(path: Path, override: str | None) -> str | None:
    """The format for a file: the override, else from its suffix (ignoring ".gz")."""
    if override is not None:
        return override
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return _SUFFIX_FORMATS.get(os.path.splitext(name)[1])


def _walk(root: Path, display: str, policy: _Policy, parts: tuple[str, ...] = ()) -> Iterator[tuple[Path, str, str]]:
    """(path, display path, relative id) of every non-hidden file, sorted by name at each level.

    Symbolic links to folders are not followed (no loops); links to files are.
    """
    folder = root.joinpath(*parts)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: unicodedata.normalize("NFC", entry.name))
    except PermissionError:
        policy.fail(DocumentError("cannot read it: permission denied", os.path.join(display, *parts)))
        return
    except OSError as error:
        policy.fail(DocumentError(f"cannot read it: {error.strerror or error}", os.path.join(display, *parts)))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        sub = (*parts, entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            yield from _walk(root, display, policy, sub)
        elif is_file:
            rel = unicodedata.normalize("NFC", "/".join(sub))
            yield Path(entry.path), os.path.join(display, *sub), rel


def load(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    title_field: str | None = None,
    body_field: str | None = None,
    date_field: str | None = None,
    url_field: str | None = None,
    tags_field: str | None = None,
    fields: bool | Iterable[str] | None = None,
    errors: ErrorMode = "strict",
    on_skip: Callable[[SkippedRecord], object] | None = None,
) -> Iterator[Document]:
    """Documents from a file or a folder, one at a time.

    The format comes from the suffix (.txt .md .jsonl .ndjson .json .csv .tsv, each optionally
    .gz) unless ``format`` names one of `FORMATS`; for a folder, ``format`` applies to every
    file in it. A folder is read recursively in sorted order, skipping hidden files and files
    with unknown suffixes. ``encoding`` overrides UTF-8/UTF-16 detection (e.g. "cp1258").
    The ``*_field`` and ``fields`` arguments are those of `Document.from_record`.

    Ids are stable: a record's own id, else its path relative to ``path`` (a file's folder when
    ``path`` is a file) with its line ("news.jsonl:17"), item ("news.json[3]"), or nothing for
    .txt/.md ("2019/bai-viet.txt"). So loading the same files again gives the same ids.

    With ``errors="strict"`` (the default) the first problem raises a `DocumentError` naming the
    file and line. With ``errors="skip"`` bad records, and files that cannot be read, are left
    out and reported to ``on_skip`` as `SkippedRecord`s; without ``on_skip`` they are dropped
    silently; in .jsonl/.csv/.tsv files a line that is not valid UTF-8 is one bad record, and the
    lines after it are still read. A path that does not exist always raises. An empty file
    yields nothing.
    """
    policy = _Policy(errors, on_skip)
    options = _Options(id_field, title_field, body_field, date_field, url_field, tags_field, fields)
    if format is not None:
        key = format.lower().lstrip(".")
        if key not in _FORMAT_ALIASES:
            raise DocumentError(f"unknown format {format!r} (expected one of {', '.join(FORMATS)})")
        format = _FORMAT_ALIASES[key]
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DocumentError(f"unknown encoding {encoding!r}") from None
    root = Path(path)
    display = os.fspath(path)
    if root.is_dir():
        return _load_folder(root, display, format, encoding, options, policy)
    if not root.exists():
        raise DocumentError("no such file or folder", path=display)
    fmt = _format_of(root, format)
    if fmt is None:
        suffixes = ", ".join(sorted(_SUFFIX_FORMATS))
        raise DocumentError(
            f"unknown file type {root.suffix or '(no suffix)'!r} (expected {suffixes}, or pass format=)",
            path=display,
        )
    rel = unicodedata.normalize("NFC", root.name)
    return _load_file(_File(root, display, rel, fmt), encoding, options, policy)


def _load_folder(
    root: Path, display: str, format: str | None, encoding: str | None, options: _Options, policy: _Policy
) -> Iterator[Document]:
    for path, shown, rel in _walk(root, display, policy):
        fmt = _format_of(path, format)
        if fmt is not None:
            yield from _load_file(_File(path, shown, rel, fmt), encoding, options, policy)


def documents_from(
    records: Iterable[Mapping[str, Any] | Document],
    *,
    id_field: str | None = None,
    title_field: str | None = None,
    body_field: str | None = None,
    date_field: str | None = None,
    url_field: str | None = None,
    tags_field: str | None = None,
    fields: bool | Iterable[str] | None = None,
    errors: ErrorMode = "strict",
    on_skip: Callable[[SkippedRecord], object] | None = None,
) -> Iterator[Document]:
    """Documents from an iterable of dicts (via `Document.from_record`) or Documents.

    A dict without an id gets a content hash ("doc-3f2a..."), stable however the records are
    ordered; identical records therefore share an id, and an index keeps one of them. Errors
    name the record by its 1-based position, like a line ("record 3: has no text ..." is the
    third); ``errors`` and ``on_skip`` work as in `load`.
    """
    policy = _Policy(errors, on_skip)
    for index, record in enumerate(records, 1):
        if isinstance(record, Document):
            yield record
            continue
        if not isinstance(record, Mapping):
            policy.fail(DocumentError(f"expected a dict or a Document, found {_describe(record)}", line=index))
            continue
        try:
            document = Document.from_record(
                record,
                id_field=id_field,
                title_field=title_field,
                body_field=body_field,
                date_field=date_field,
                url_field=url_field,
                tags_field=tags_field,
                fields=fields,
            )
        except DocumentError as error:
            policy.fail(DocumentError(error.reason, line=index))
            continue
        yield document
