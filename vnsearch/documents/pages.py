r"""Text files read into a title, a date, a body and extra fields: as they are, or cleaned of
the furniture of a scraped news page (``clean_pages=True``).

A plain file (`plain_page`) keeps all its text: the first line is the title when it is short
and more text follows (a Markdown heading loses its "#"), the rest is the body. Front matter
("---" lines around "key: value" lines) gives the title, date and extra fields in both modes.

Cleaning a scraped page (`clean_page`) uses general rules, not per-site code:
    * a date line near the top ("Ngày đăng 10/07/2020 | 17:00", "16:17 06/11/2020") gives the date;
    * the line just above it (or the first short, unpunctuated line) is the headline;
      without one, a "QR CODE: <title>" caption, else the lead sentence, gives a title;
    * furniture lines are dropped: toolbars ("Print", "EmailPrintAa"), view counters, cookie
      notices and their buttons, QR-code lines, social-media prompts;
    * the article ends at a block heading ("Tin khác", "Tiện ích thông tin", "Ý kiến bạn đọc",
      "Bình luận", ...) or at a run of truncated teaser lines ending in "…";
    * a closing byline ("Hoàng Tùng") moves from the body to ``fields["author"]``.

>>> page = "Tiêu đề\nNgày đăng 10/07/2020\nNội dung bài viết rất dài, đủ tám từ trở lên.\nBình luận\nHay quá"
>>> clean_page(page).body
'Nội dung bài viết rất dài, đủ tám từ trở lên.'
>>> plain_page(page).body.endswith("Bình luận\nHay quá")
True
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from vnsearch.documents.dates import COUNTER, date_line, parse_date
from vnsearch.documents.options import GUESSED_KEYS
from vnsearch.documents.records import SPACES, KeyFinder, as_text
from vnsearch.errors import DocumentError

__all__ = ["Article", "clean_page", "plain_page"]

_TOOL = (
    r"(?:print|e-?mail|aa|a\+|a-|share|tweet|in bài|bản in|gửi email|gửi bài|chia sẻ|lưu tin"
    r"|facebook|zalo|twitter)"
)
# Furniture lines (toolbars, counters, buttons, cookie notices) are a few dozen characters; the
# toolbar pattern, tried on a 40 MB line of "aa", took 3.4 GB, so longer lines are text.
_FURNITURE_CHARS = 400
_TOOLBAR = re.compile(rf"{_TOOL}(?:[\s|·/,•]*{_TOOL})*", re.I)
_COUNTER = re.compile(COUNTER, re.I)
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
_PLAIN_TITLE_CHARS = 250  # a longer first line of a plain file is prose, not a title


@dataclass
class Article:
    """What a text file holds: what the cleaner finds in a scraped page, or a plain file's parts."""

    title: str
    date: _dt.datetime | None
    body: str
    fields: dict[str, object]


def _words(line: str) -> int:
    return len(line.split())


def _is_furniture(line: str) -> bool:
    """A page-furniture line: toolbar, counter, cookie notice, button, QR code, social prompt."""
    if len(line) >= _FURNITURE_CHARS:
        return bool(_QR.search(line))
    return bool(
        _TOOLBAR.fullmatch(line)
        or _COUNTER.fullmatch(line)
        or _BUTTON.fullmatch(line)
        or _SOCIAL.fullmatch(line)
        or _QR.search(line)
        or _COOKIE.search(line)
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


def clean_page(text: str) -> Article:
    """Title, date, body and extras of a scraped news page, cleaned (see the module's doc)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, text = _front_matter(text)
    lines = [SPACES.sub(" ", line).strip() for line in text.split("\n")]
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
    date_at = next((i for i in window if is_text[i] and date_line(lines[i])), None)
    date = date_line(lines[date_at]) if date_at is not None else None

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
    return _with_front_matter(meta, title, date, body, fields)


def plain_page(text: str) -> Article:
    """Title, body and front matter of a text file read as it is: no line is dropped.

    The first non-blank line is the title when it is at most 250 characters (a Markdown
    heading without its "#"), and the body is the text after it, or all the text when nothing
    follows. A longer first line is prose: the body is all the text, the title its lead sentence.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta, text = _front_matter(text)
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    title, body = "", text.strip("\n")
    if first is not None:
        head = lines[first].strip()
        rest = "\n".join(lines[first + 1 :]).strip("\n")
        if head.startswith("#") and head.lstrip("#").strip():
            head = head.lstrip("#").strip()
        if len(head) > _PLAIN_TITLE_CHARS:
            title = _lead_title(body)
        else:
            title, body = head, rest if rest.strip() else body
    return _with_front_matter(meta, title, None, body, {})


def _with_front_matter(
    meta: dict[str, object], title: str, date: _dt.datetime | None, body: str, fields: dict[str, object]
) -> Article:
    """The article, with a title and date from front matter winning, its other keys as fields."""
    keys = KeyFinder(meta)
    meta_title_key, meta_title = keys.pick(None, GUESSED_KEYS["title"])
    if meta_title_key is not None:
        title = as_text(meta_title, meta_title_key, " ")
    meta_date_key, meta_date = keys.pick(None, GUESSED_KEYS["date"])
    if meta_date_key is not None:
        try:
            date = parse_date(meta_date)
        except DocumentError as error:
            raise DocumentError(f"bad date in front matter {meta_date_key!r}: {error.reason}") from None
    for key, value in meta.items():
        if key not in (meta_title_key, meta_date_key):
            fields.setdefault(key, value)
    return Article(title=title, date=date, body=body, fields=fields)


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
