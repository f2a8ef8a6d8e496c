"""Snippets as data: fragments of the original text with the spans that matched.

Matching is done on the same normal and folded forms the index uses, so a query typed
without accents highlights the accented words it found; spans index the original text.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Sequence

from vnsearch.vietnamese import text as _text
from vnsearch.vietnamese.pieces import PART_RE
from vnsearch.vietnamese.text import strip_controls
from vnsearch.vietnamese.units import MAX_TOKEN_CHARS, units

__all__ = ["Snippet", "find_spans", "make_snippets", "lead_snippet", "whole_snippet"]

FRAGMENT_CHARS = 180
MAX_FRAGMENTS = 3
_ANSI_MARK, _ANSI_RESET = "\x1b[1;33m", "\x1b[0m"
_ELLIPSIS = "…"
_SPACE_RE = re.compile(r"\s+")
_MAX_WINDOWS = 2000  # fragments are chosen among the first matches: work bounded per text
_WORD_REACH = 40  # characters looked at for a word boundary before cutting inside a word


@dataclass(frozen=True)
class Snippet:
    """A fragment of a field's text and the spans in it that matched the query.

    ``spans`` are ``(start, end)`` offsets into ``text``; ``start``/``end`` place ``text``
    in the whole field value, and ``clipped_start``/``clipped_end`` say whether text was cut
    off before or after it.

    >>> s = Snippet("Đảng ủy Khối", ((0, 7),), field="body")
    >>> s.to_html()
    '<mark>Đảng ủy</mark> Khối'
    >>> s.to_text("[", "]")
    '[Đảng ủy] Khối'
    """

    text: str
    spans: tuple[tuple[int, int], ...] = ()
    field: str = "body"
    start: int = 0
    end: int = 0
    clipped_start: bool = False
    clipped_end: bool = False

    def _render(self, mark: str, unmark: str, escape) -> str:
        out: list[str] = [_ELLIPSIS] if self.clipped_start else []
        pos = 0
        for s, e in self.spans:
            out.append(escape(self.text[pos:s]))
            out.append(mark + escape(self.text[s:e]) + unmark)
            pos = e
        out.append(escape(self.text[pos:]))
        if self.clipped_end:
            out.append(_ELLIPSIS)
        return "".join(out)

    def to_html(self, tag: str = "mark", *, pre: str | None = None, post: str | None = None) -> str:
        """HTML with the document text escaped and each match in ``<mark>`` (or the element
        ``tag``); ``pre`` and ``post``, when given, are put around matches as they are.

        >>> Snippet("Hải Phòng", ((0, 9),)).to_html(pre='<em class="hl">', post="</em>")
        '<em class="hl">Hải Phòng</em>'
        """
        return self._render(f"<{tag}>" if pre is None else pre, f"</{tag}>" if post is None else post, _html)

    def to_text(self, before: str = "", after: str = "") -> str:
        """Plain text; ``before``/``after`` wrap each match (nothing by default)."""
        return self._render(before, after, _plain)

    def to_ansi(self) -> str:
        """Text for a terminal, matches in bold yellow."""
        return self._render(_ANSI_MARK, _ANSI_RESET, _plain)

    def __str__(self) -> str:
        return self.to_text()


def _plain(text: str) -> str:
    # Tabs are layout; every other control or bidi character would drive the reader's terminal.
    return strip_controls(text, keep="\t")


def _html(text: str) -> str:
    # A control in HTML is not markup but still reaches whoever copies it to a terminal.
    return html.escape(strip_controls(text, keep="\t"))


# A word character the fold table leaves outside ASCII: the quick scan cannot read such text.
_FOREIGN_RE = re.compile(r"[^\W\x00-\x7f]")
# A token's letters and digits are a whole run of them, except where pyvi's piece pattern
# ends a number before a letter ("6.0L", "1,5kg"): the scan must find "l" and "kg" there.
_ALONE_BEFORE = r"(?:(?<![^\W_])|(?<=\d)(?=[^\W\d_]))"
_ALONE_AFTER = r"(?:(?![^\W_])|(?<=\d)(?=[^\W\d_]))"


# A phrase to highlight: its syllables, each (exact form or None, folded form), and its slop.
Phrase = tuple[tuple[tuple[str | None, str], ...], int]


#: Highlighting looks at most this far into a text (Elasticsearch's max_analyzed_offset
#: default): a search showing an 8 MB one-line document took 1-3 s CPU in its snippet.
MAX_ANALYZED_CHARS = 1_000_000


def find_spans(
    text: str, exact: set[str], folded: set[str], phrases: Sequence[Phrase] = ()
) -> list[tuple[int, int]]:
    """Spans of ``text`` whose tokens are among the ``exact`` or ``folded`` query terms, and
    of the places where a phrase's syllables stand in order (one span each: a phrase is
    never marked word by word where its words stand apart).

    Neighbouring matches separated by one space merge into one span (``Hải Phòng``). A
    phrase syllable typed with accents matches only as written (tone placement aside).

    Only the first :data:`MAX_ANALYZED_CHARS` characters are looked at. A shown hit's whole
    body is not tokenized: a regular expression finds where the folded
    query syllables occur, and only the space-delimited stretches around those places are
    tokenized and checked, which gives the same spans as tokenizing everything.

    >>> find_spans("Đảng ủy Khối họp ở Hải Phòng.", {"hải", "phòng"}, {"dang"})
    [(0, 4), (19, 28)]
    >>> find_spans("Hải đăng ở Phòng khám, Hải Phòng", set(), set(), [((("hải", "hai"), ("phòng", "phong")), 1)])
    [(23, 32)]
    """
    text = text[:MAX_ANALYZED_CHARS]
    spans = _term_spans(text, exact, folded) if exact or folded else []
    for phrase in phrases:
        spans += _phrase_spans(text, phrase)
    return _merge(spans, text)


def _phrase_spans(text: str, phrase: Phrase) -> list[tuple[int, int]]:
    """Where the phrase's syllables follow one another, at most ``slop - 1`` words between."""
    syllables, slop = phrase
    if not text or not syllables:
        return []
    terms = [({e} if e else set(), set() if e else {f}) for e, f in syllables]
    found = [sorted(set(spans)) for spans in _each_term_spans(text, terms)]
    if not all(found):
        return []  # a syllable the text lacks
    gap = _gap_re(max(0, slop - 1))
    out = []
    for start, end in found[0]:
        for spans in found[1:]:
            i = bisect.bisect_left(spans, (end, end))
            if i == len(spans) or not gap.fullmatch(text, end, spans[i][0]):
                break
            end = spans[i][1]
        else:
            out.append((start, end))
    return out


@functools.lru_cache(maxsize=8)
def _gap_re(words: int) -> re.Pattern[str]:
    return re.compile(r"[\W_]*" + (r"(?:[^\W_]+[\W_]+){0,%d}" % words if words else ""))


def _term_spans(text: str, exact: set[str], folded: set[str]) -> list[tuple[int, int]]:
    """The spans of :func:`find_spans` for single terms, before neighbours are merged."""
    if not text or not (exact or folded):
        return []
    scan = _scanner(frozenset(exact), frozenset(folded))
    if scan is None:
        return []  # no term has a letter or digit, and every token does
    skeleton = _skeleton(text)
    if skeleton is None:
        return _token_spans(text, 0, len(text), exact, folded)
    spans: list[tuple[int, int]] = []
    end = -1
    for m in scan.finditer(skeleton):
        if m.start() < end:
            continue  # in the stretch just checked
        start, end = _stretch_start(text, m.start(), max(end, 0)), _stretch_end(text, m.end())
        spans += _token_spans(text, start, end, exact, folded)
    return spans


def _each_term_spans(text: str, terms: list[tuple[set[str], set[str]]]) -> list[list[tuple[int, int]]]:
    """:func:`_term_spans` of each ``(exact, folded)`` of ``terms``, from one scan of the text
    for all of them (a stretch any of them may match is checked for each)."""
    scan = _scanner(frozenset().union(*(e for e, _ in terms)), frozenset().union(*(f for _, f in terms)))
    if scan is None:
        return [[] for _ in terms]
    skeleton = _skeleton(text)
    if skeleton is None:
        return [_term_spans(text, exact, folded) for exact, folded in terms]
    found: list[list[tuple[int, int]]] = [[] for _ in terms]
    end = -1
    for m in scan.finditer(skeleton):
        if m.start() < end:
            continue  # in the stretch just checked
        start, end = _stretch_start(text, m.start(), max(end, 0)), _stretch_end(text, m.end())
        for spans, (exact, folded) in zip(found, terms):
            spans += _token_spans(text, start, end, exact, folded)
    return found


@functools.lru_cache(maxsize=64)
def _scanner(exact: frozenset[str], folded: frozenset[str]) -> re.Pattern[str] | None:
    """A pattern finding, in a folded text, every syllable of every term, folded (and more)."""
    parts = {part for term in exact | folded for part in PART_RE.findall(_text.fold(term))}
    if not parts:
        return None
    alternatives = [
        re.escape(part[:-1]) + "[iy]" if _text.may_end_in_y(part) else re.escape(part)
        for part in sorted(parts, key=len, reverse=True)
    ]
    return re.compile(_ALONE_BEFORE + "(?:" + "|".join(alternatives) + ")" + _ALONE_AFTER)


@functools.lru_cache(maxsize=4)  # one text's skeleton serves every phrase syllable looked for in it
def _skeleton(text: str) -> str | None:
    """``text`` folded character for character (so offsets hold), or None when it cannot be.

    Not for text with an e-mail address, where a token may end inside a run of letters.
    """
    if "@" in text or not unicodedata.is_normalized("NFC", text):
        return None
    lower = text.lower()
    if len(lower) != len(text):
        return None
    skeleton = lower.translate(_text.FOLD_TABLE)
    if not skeleton.isascii() and _FOREIGN_RE.search(skeleton):
        return None
    return skeleton


def _stretch_start(text: str, pos: int, lo: int = 0) -> int:
    """The start of the space-delimited stretch around ``pos``: tokens never cross a space.
    ``lo``: where the stretch before ended (the searches stop there: linear in the text)."""
    return max(text.rfind(" ", lo, pos), text.rfind("\n", lo, pos), lo - 1) + 1


def _stretch_end(text: str, pos: int) -> int:
    space = text.find(" ", pos)
    newline = text.find("\n", pos, space if space >= 0 else len(text))  # never past the space
    ends = [i for i in (space, newline) if i >= 0]
    return min(ends) if ends else len(text)


def _token_spans(text: str, start: int, end: int, exact: set[str], folded: set[str]) -> list[tuple[int, int]]:
    """Spans of the tokens of ``text[start:end]`` (whole units and their parts, as the
    exact analyzer without words sees them) that match a term."""
    fold = _text.fold
    stretch = text[start:end]
    if stretch.isalnum():  # one syllable: one token (the usual case)
        lower = _text.normalize(stretch).lower()
        hit = len(stretch) <= MAX_TOKEN_CHARS and (lower in exact or fold(lower) in folded)
        return [(start, end)] if hit else []
    spans = []
    for unit in units(stretch, False):
        if unit.word is not None:
            lower = unit.word.lower()
            if lower in exact or fold(lower) in folded:
                spans.append((start + unit.start, start + unit.word_end))
        lower = unit.text.lower()
        if lower in exact or fold(lower) in folded:
            spans.append((start + unit.start, start + unit.end))
    return spans


def _merge(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and (s <= merged[-1][1] or (s - merged[-1][1] == 1 and text[s - 1] == " ")):
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def make_snippets(
    text: str,
    spans: list[tuple[int, int]],
    *,
    field: str = "body",
    fragments: int = MAX_FRAGMENTS,
    chars: int = FRAGMENT_CHARS,
) -> tuple[Snippet, ...]:
    """Up to ``fragments`` fragments of about ``chars`` characters around the best matches,
    cut at word boundaries, in document order."""
    if not spans:
        return ()
    windows = _windows(text, spans, chars)
    # Best windows first: the most distinct matched words, then the most matches, then earliest.
    ranked = sorted(windows, key=lambda w: (-w[2], -w[3], w[0]))
    chosen: list[tuple[int, int]] = []
    for start, end, _, _ in ranked:
        if len(chosen) == fragments:
            break
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
    chosen.sort()
    return tuple(_snippet(text, start, end, spans, field) for start, end in chosen)


def _windows(text: str, spans: list[tuple[int, int]], chars: int) -> list[tuple[int, int, int, int]]:
    """One candidate window per match (of the first _MAX_WINDOWS): it starts a little before
    that match and takes the following matches that fit, never longer than ``chars``;
    returns (start, end, distinct words, matches)."""
    windows = []
    spans = spans[:_MAX_WINDOWS]
    ends = [e for _, e in spans]  # increasing: the spans are sorted and do not overlap
    for i, (s, e) in enumerate(spans):
        start = _word_start(text, max(0, s - chars // 4))
        if e - start > chars:
            start = s  # a long match: the crop starts with it
        end = min(len(text), start + chars)
        inside = spans[i : bisect.bisect_right(ends, end, lo=i)]
        if not inside:
            end = min(e, start + chars)
            inside = [(s, e)]
        # Never past the crop: a word longer than the crop is cut.
        end = min(_word_end(text, max(end, inside[-1][1])), start + chars)
        distinct = {_text.fold(text[a:b].lower()) for a, b in inside}
        windows.append((start, end, len(distinct), len(inside)))
    return windows


def _word_start(text: str, pos: int) -> int:
    """``pos`` moved forward to the start of a word (or kept at a sentence start)."""
    if pos <= 0:
        return 0
    if text[pos - 1].isspace():
        return pos
    space = _SPACE_RE.search(text, pos, pos + _WORD_REACH)  # bounded: linear in the text
    return space.end() if space else pos


def _word_end(text: str, pos: int) -> int:
    """``pos`` moved forward to the end of the word it is in."""
    if pos >= len(text):
        return len(text)
    space = _SPACE_RE.search(text, pos, pos + _WORD_REACH)  # bounded: linear in the text
    return space.start() if space else min(len(text), pos + _WORD_REACH)


def _snippet(text: str, start: int, end: int, spans: Iterable[tuple[int, int]], field: str) -> Snippet:
    inside = tuple((s - start, e - start) for s, e in spans if s >= start and e <= end)
    fragment = text[start:end]
    # Line breaks read badly inside a one-line fragment; each becomes one space (same length).
    fragment = fragment.replace("\r", " ").replace("\n", " ")
    return Snippet(
        fragment,
        inside,
        field=field,
        start=start,
        end=end,
        clipped_start=start > 0,
        clipped_end=end < len(text),
    )


def lead_snippet(text: str, *, field: str = "body", chars: int = FRAGMENT_CHARS) -> Snippet | None:
    """The first ``chars`` characters of ``text``, cut at a word boundary (no matches)."""
    if not text:
        return None
    end = len(text) if len(text) <= chars else _word_start_before(text, chars)
    return _snippet(text, 0, end, (), field)


def _word_start_before(text: str, pos: int) -> int:
    cut = text.rfind(" ", 0, pos)
    return cut if cut > 0 else pos


def whole_snippet(text: str, spans: list[tuple[int, int]], *, field: str) -> Snippet:
    """All of a short text (a title) with its matches."""
    return _snippet(text, 0, len(text), spans, field)
