"""Publication dates as written in Vietnamese sources, read into naive datetimes.

>>> parse_date("Thứ Ba, 24/08/2021 21:30")
datetime.datetime(2021, 8, 24, 21, 30)
>>> date_line("Ngày đăng 10/07/2020 | 17:00")
datetime.datetime(2020, 7, 10, 17, 0)
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import math
import re

from vnsearch.documents.records import SPACES, describe
from vnsearch.errors import DocumentError

__all__ = ["COUNTER", "date_bound", "date_line", "parse_date"]

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
#: A view counter on a page ("Lượt xem: 1.204", "View count: 106"): part of a date line.
COUNTER = r"(?:(?:số\s*)?lượt\s*(?:xem|đọc|truy\s*cập)|views?|view\s*count|đã\s*xem)\s*:?\s*[\d.,]+"
# Words that may surround a date on a page's date line without making it prose.
_DATE_NOISE = re.compile(
    r"\b(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s*nhật|cn|t[2-7]"
    r"|mon(?:day)?|tue(?:sday)?|wed(?:nesday)?|thu(?:rsday)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
    r"|ngày\s*đăng|đăng\s*ngày|đăng\s*lúc|ngày\s*cập\s*nhật|cập\s*nhật(?:\s*lúc)?"
    r"|ngày\s*xuất\s*bản|xuất\s*bản|thời\s*gian(?:\s*đăng)?|ngày|lúc|giờ"
    r"|posted|published|updated|date|on|at"
    r"|(?:gmt|utc)\s*[+-]\s*\d{1,2}(?::?\d{2})?|gmt|utc|ict"
    rf"|{COUNTER}"
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


def date_line(text: str) -> _dt.datetime | None:
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
        raise DocumentError(f"cannot read {describe(value)} as a date ({_DATE_HELP})")
    text = SPACES.sub(" ", value).strip()
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


_YEAR_OR_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2}))?\Z")


def date_bound(value: str, upper: bool = False) -> _dt.datetime:
    """A date range's bound: the first moment of the year, month or day ``value`` names or,
    with ``upper``, the last; a moment (with a time of day) is itself either way.

    Any form :func:`parse_date` reads names a day (``2020-07-10``, ``10/07/2020``,
    ``ngày 10 tháng 7 năm 2020``); ``2020`` and ``2020-07`` name a year and a month.

    >>> date_bound("2020-07", upper=True)
    datetime.datetime(2020, 7, 31, 23, 59, 59, 999999)
    >>> date_bound("10/07/2020", upper=True)
    datetime.datetime(2020, 7, 10, 23, 59, 59, 999999)

    Raises ``ValueError`` (a :class:`~vnsearch.errors.DocumentError`) for what is no date.
    """
    text = value.strip()
    span = _YEAR_OR_MONTH.match(text)
    if span:
        year, month = int(span.group(1)), span.group(2)
        try:
            start = _dt.datetime(year, int(month or 1), 1)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a date ({exc})") from None
    else:
        day = parse_date(text)
        if day is None:
            raise ValueError(f"{value!r} is not a date (use 2020, 2020-07 or 2020-07-10)")
        start = day
        if start.time() != _dt.time() or ":" in text:
            return start  # a moment, not a day
    if not upper:
        return start
    try:
        if span is None:
            end = start + _dt.timedelta(days=1)
        elif span.group(2):
            end = _dt.datetime(start.year + (start.month == 12), start.month % 12 + 1, 1)
        else:
            end = _dt.datetime(start.year + 1, 1, 1)
    except (ValueError, OverflowError):  # the end of year 9999
        return _dt.datetime.max
    return end - _dt.timedelta(microseconds=1)

