"""Whoosh analysis for Vietnamese: a tokenizer and small filters built on :mod:`vnsearch.vietnamese.text`.

The pipeline, composed with ``|`` as in Whoosh:

* :class:`VietnameseTokenizer` finds syllables (and numbers, dates, URLs, e-mails,
  abbreviations) in the normal form of the text, with exact ``startchar``/``endchar`` into
  the *original* string, and marks the word boundaries pyvi finds (``Hải Phòng``);
* :class:`CompoundWordFilter` emits each multi-syllable word (``hải_phòng``) and each glued
  unit (``10/7/2019``, ``tp.hcm``) as one more token, at the position of its first part;
* ``LowercaseFilter`` (exact fields) or :class:`FoldFilter` (folded fields).

>>> [t.text for t in exact_analyzer()("Đảng ủy Khối, ngày 10/7/2019")]  # doctest: +SKIP
['đảng_uỷ', 'đảng', 'uỷ', 'khối', 'ngày', '10/7/2019', '10', '7', '2019']

Objects here hold settings only, never pyvi's model: Whoosh pickles them into the index.
"""

from __future__ import annotations

import functools
import re
from itertools import repeat
from typing import Callable, Iterable, Iterator, NamedTuple

from whoosh.analysis import Composable, Filter, LowercaseFilter, Token, Tokenizer

from vnsearch.vietnamese import text as _text

__all__ = [
    "VietnameseTokenizer",
    "CompoundWordFilter",
    "FoldFilter",
    "exact_analyzer",
    "folded_analyzer",
    "term_positions",
    "twin_positions",
    "MAX_TOKEN_CHARS",
]

# Longer runs (base64 blobs, giant URLs) are not useful terms and bloat the index.
MAX_TOKEN_CHARS = 100

# A number written with separators stays one token: 10.000, 3,5.
_NUMBER_RE = re.compile(r"\d+(?:[.,_]\d+)+")
_PART_RE = re.compile(r"[^\W_]+")
_HAS_PART_RE = re.compile(r"[^\W_]")
# Text longer than this between newlines is segmented in slices, as pyvi is slow on long input.
_PARAGRAPH_PIECES = 400
_CUTS = frozenset(".!?;")  # where a long paragraph is cut
_LEADING_SPACES_RE = re.compile(r"[^\S\n]*")  # before the first piece


class _Unit(NamedTuple):
    """One syllable or part token: its text (normal form), span in the original string, and,
    on the first part of a word or glued unit, that word's text and end."""

    text: str
    start: int
    end: int
    word: str | None
    word_end: int


_parts_cache: dict[str, tuple[tuple[int, int], ...]] = {}
_CACHE_LIMIT = 100_000  # distinct pieces remembered; real text has far fewer


def _parts(piece: str) -> tuple[tuple[int, int], ...]:
    """Spans (relative to ``piece``) of the alphanumeric parts of one scanned piece."""
    parts = _parts_cache.get(piece)
    if parts is None:
        if _NUMBER_RE.fullmatch(piece):
            parts = ((0, len(piece)),)
        else:
            parts = tuple(m.span() for m in _PART_RE.finditer(piece))
        if len(_parts_cache) >= _CACHE_LIMIT:
            _parts_cache.clear()
        _parts_cache[piece] = parts
    return parts


# Texts longer than this are analysed a slice at a time, and not cached, so that one huge
# document costs memory in proportion to a slice, not to the whole document.
_SLICE_CHARS = 200_000


def _analyse(value: str, words: bool) -> Iterable[_Unit]:
    """The units of ``value``: cached for ordinary texts, streamed slice by slice for huge ones."""
    if len(value) <= _SLICE_CHARS:
        return _cached_units(value, words)
    return _sliced_units(value, words)


@functools.lru_cache(maxsize=8)
def _cached_units(value: str, words: bool) -> tuple[_Unit, ...]:
    # Cached because the exact and the folded field analyse the same text one after the other.
    return _units(value, words)


def _sliced_units(value: str, words: bool) -> Iterator[_Unit]:
    start = 0
    while start < len(value):
        end = _slice_end(value, start + _SLICE_CHARS)
        for unit in _units(value[start:end], words):
            yield _Unit(unit.text, unit.start + start, unit.end + start, unit.word, unit.word_end + start)
        start = end


def _slice_end(value: str, end: int) -> int:
    """A cut at or after ``end`` that splits no word: after a newline, else after a space."""
    if end >= len(value):
        return len(value)
    for sep in ("\n", " "):
        cut = value.find(sep, end, end + _SLICE_CHARS // 2)
        if cut != -1:
            return cut + 1
    return end  # no space for 100,000 characters: not text anyone will search by word


def _units(value: str, words: bool) -> tuple[_Unit, ...]:
    """The tokens of ``value`` as units, before any filter (uncached)."""
    from vnsearch.vietnamese import segmenter

    normal, mapped = _text.normalize_with_offsets(value)
    scanned = segmenter.SCAN_RE.findall(normal)
    joins: Iterable[bool] = _join_flags([s[0] for s in scanned]) if words else repeat(False)
    new = tuple.__new__  # a _Unit without the Python-level __new__ of NamedTuple
    units: list[_Unit] = []
    append = units.append
    head = -1  # index in units of the first syllable of the word being built
    syllables: list[str] | None = None  # that word's syllables, once a second one joins it
    word_end = 0
    joinable = False  # the previous piece is a syllable, alphanumeric, that the next may join
    run: list[tuple[str, int, bool]] | None = None  # glued pieces: 10/7/2019, TP.HCM, a URL
    pos = _LEADING_SPACES_RE.match(normal).end()  # type: ignore[union-attr]
    # Offsets are in the normal form until the end.
    for (piece, glued, spaces), joined in zip(scanned, joins):
        start = pos
        pos += len(piece)
        end = pos
        pos += len(spaces)
        if run is None and not glued and piece.isalnum():
            # Most pieces: a syllable with spaces around it, its own single part.
            syllable, ps, pe = piece, start, end
            joins_previous = joinable and joined
            joinable = True
        else:
            if run is None:
                run = []
            run.append((piece, start, joined))
            if glued:
                continue
            first, first_start, first_joined = run[0]
            if len(run) == 2 and first.isalnum() and not _parts(piece):
                # Next most common: a syllable and the punctuation after it ("Nội," "đó.").
                syllable, ps, pe = first, first_start, first_start + len(first)
                joins_previous = joinable and first_joined
                joinable = False
            else:
                parts = [
                    (s + ps, s + pe, i) for i, (p, s, _) in enumerate(run) for ps, pe in _parts(p)
                ]
                if len(parts) != 1:
                    if parts:
                        _glued_units(normal, parts, append)
                    joinable = False
                    run = None
                    continue
                # One part in the run: a syllable, joined only from and to pieces next to its own.
                ps, pe, i = parts[0]
                part_piece, _, part_joined = run[i]
                syllable = normal[ps:pe]
                alnum = part_piece.isalnum()
                joins_previous = joinable and part_joined and alnum and i == 0
                joinable = alnum and i == len(run) - 1
            run = None
        if pe - ps > MAX_TOKEN_CHARS:
            joinable = False
            continue
        if joins_previous:
            if syllables is None:
                syllables = [units[head][0]]
            syllables.append(syllable)
            word_end = pe
        else:
            if syllables is not None:
                text, head_start, head_end, _, _ = units[head]
                word = "_".join(syllables)
                units[head] = new(_Unit, (text, head_start, head_end, word, word_end))
                syllables = None
            head = len(units)
        append(new(_Unit, (syllable, ps, pe, None, pe)))
    if syllables is not None:
        text, head_start, head_end, _, _ = units[head]
        units[head] = new(_Unit, (text, head_start, head_end, "_".join(syllables), word_end))
    if mapped is not None:
        return tuple(
            new(_Unit, (text, mapped[start], mapped[end], word, mapped[word_end]))
            for text, start, end, word, word_end in units
        )
    return tuple(units)


def _glued_units(
    normal: str, parts: list[tuple[int, int, int]], append: Callable[[_Unit], None]
) -> None:
    """Append the units of a glued run of several parts, the first carrying the whole run."""
    whole = normal[parts[0][0] : parts[-1][1]]
    whole_end = parts[-1][1]
    first = True
    for ps, pe, _ in parts:
        if pe - ps > MAX_TOKEN_CHARS:
            continue
        word = whole if first and len(whole) <= MAX_TOKEN_CHARS else None
        append(tuple.__new__(_Unit, (normal[ps:pe], ps, pe, word, whole_end)))
        first = False


def _join_flags(pieces: list[str]) -> list[bool]:
    """pyvi's word boundaries for the pieces, segmented paragraph by paragraph.

    A paragraph ends at a newline; one over _PARAGRAPH_PIECES pieces is also cut at the
    first sentence end after that many. The newline or sentence end gets False.
    """
    from vnsearch.vietnamese import segmenter

    segment = segmenter.segment
    flags: list[bool] = []
    n = len(pieces)
    start = 0
    while True:
        try:
            stop = pieces.index("\n", start)
        except ValueError:
            stop = n
        while stop - start > _PARAGRAPH_PIECES:
            cuts = (k for k in range(start + _PARAGRAPH_PIECES, stop) if pieces[k] in _CUTS)
            cut = next(cuts, -1)
            if cut < 0:
                break
            flags += segment(pieces[start:cut])
            flags.append(False)
            start = cut + 1
        if stop > start:
            flags += segment(pieces[start:stop])
        if stop == n:
            return flags
        flags.append(False)
        start = stop + 1


class VietnameseTokenizer(Tokenizer):
    """Syllable tokens of Vietnamese text, with pyvi's word boundaries attached.

    Each token's ``text`` is a syllable (or a number, or one part of a date, URL or e-mail) in
    the normal form of :func:`vnsearch.vietnamese.text.normalize`, case kept; ``startchar``/``endchar``
    index the original string, NFD input included. The first token of a multi-syllable word
    or of a glued unit carries ``word`` (``Hải_Phòng``, ``10/7/2019``) and ``word_endchar``;
    :class:`CompoundWordFilter` turns those into tokens. Punctuation is dropped.

    ``words=False`` skips pyvi's segmentation (syllables and glued units only).
    """

    def __init__(self, words: bool = True):
        self.words = words

    def __eq__(self, other: object) -> bool:
        # Whoosh's Tokenizer compares classes only; settings matter here.
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.words))

    def __repr__(self) -> str:
        return f"VietnameseTokenizer(words={self.words})"

    def __call__(  # noqa: PLR0913 - Whoosh's tokenizer signature
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = _text.normalize(value)
            t.boost = 1.0
            t.word = None
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for pos, unit in enumerate(_analyse(value, self.words), start_pos):
            t.text = unit.text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = unit.text
            t.word = unit.word
            if positions:
                t.pos = pos
            if chars:
                t.startchar = start_char + unit.start
                t.endchar = start_char + unit.end
                t.word_endchar = start_char + unit.word_end
            yield t


class CompoundWordFilter(Filter):
    """Emit each multi-syllable word and glued unit as a token before its first syllable.

    The extra token has the position and ``startchar`` of its first syllable, the ``endchar``
    of its last, and ``is_word = True``; syllable tokens get ``is_word = False``.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            word = getattr(t, "word", None)
            if word is not None:
                syllable = t.text
                endchar = getattr(t, "endchar", None)
                t.text = word
                t.is_word = True
                if endchar is not None:
                    t.endchar = t.word_endchar
                yield t
                t.text = syllable
                if endchar is not None:
                    t.endchar = endchar
            t.is_word = False
            yield t


class FoldFilter(Filter):
    """Fold each token for diacritic-insensitive matching (:func:`vnsearch.vietnamese.text.fold`).

    >>> [t.text for t in FoldFilter()(iter([Token(text="Đảng_uỷ")]))]
    ['dang_uy']
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        fold = _text.fold
        for t in tokens:
            t.text = fold(t.text)
            yield t


def term_positions(value: str, words: bool = True, folded: bool = False) -> dict[str, list[int]]:
    """Each term of ``value`` with its positions, as :func:`exact_analyzer` (or, with
    ``folded``, :func:`folded_analyzer`) with those ``words`` gives them: what Whoosh's
    ``Positions`` format collects from the token stream, in one pass without tokens.

    >>> term_positions("Hải Phòng, hải cảng 10/7")
    {'hải_phòng': [0], 'hải': [0, 2], 'phòng': [1], 'hải_cảng': [2], 'cảng': [3], '10/7': [4], '10': [4], '7': [5]}
    >>> list(term_positions("Hải Phòng", folded=True))
    ['hai_phong', 'hai', 'phong']
    """
    key_of = _text.fold if folded else str.lower
    positions: dict[str, list[int]] = {}
    for pos, unit in enumerate(_analyse(value, words)):
        if words and unit.word is not None:  # CompoundWordFilter's token comes first
            key = key_of(unit.word)
            found = positions.get(key)
            if found is None:
                positions[key] = [pos]
            else:
                found.append(pos)
        key = key_of(unit.text)
        found = positions.get(key)
        if found is None:
            positions[key] = [pos]
        else:
            found.append(pos)
    return positions


def twin_positions(value: str, words: bool = True) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """``(term_positions(value, words), term_positions(value, words, folded=True))`` at the cost
    of one pass: the folded terms are the folded exact terms, their positions merged.

    A folded term that only one exact term becomes shares that term's list of positions.

    >>> twin_positions("Hòa bình, hoà BÌNH", words=False)
    ({'hoà': [0, 2], 'bình': [1, 3]}, {'hoa': [0, 2], 'binh': [1, 3]})
    """
    exact = term_positions(value, words)
    fold = _text.fold
    folded: dict[str, list[int]] = {}
    for term, positions in exact.items():
        key = fold(term)
        found = folded.get(key)
        folded[key] = positions if found is None else sorted(found + positions)
    return exact, folded


def exact_analyzer(words: bool = True) -> Composable:
    """Normalised, lower-cased syllables plus words: for matching with the accents typed."""
    tokenizer = VietnameseTokenizer(words=words)
    if words:
        return tokenizer | CompoundWordFilter() | LowercaseFilter()
    return tokenizer | LowercaseFilter()


def folded_analyzer(words: bool = True) -> Composable:
    """Folded syllables plus folded words: for matching whatever accents were typed."""
    tokenizer = VietnameseTokenizer(words=words)
    if words:
        return tokenizer | CompoundWordFilter() | FoldFilter()
    return tokenizer | FoldFilter()
