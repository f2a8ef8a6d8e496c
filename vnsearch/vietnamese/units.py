"""Syllable and word units of a text, with exact offsets into the original string.

A :class:`Unit` is one token before any filter: a syllable (or a number, or one part of a
date, URL or e-mail) in the normal form of :func:`vnsearch.vietnamese.text.normalize`, case
kept, its span in the *original* string (NFD input included), and, on the first unit of a
multi-syllable word (pyvi's segmentation) or of a glued run (``10/7/2019``, ``tp.hcm``), that
word and where it ends. :mod:`vnsearch.analysis` turns units into Whoosh tokens and
:mod:`vnsearch.highlight` into spans. Pure Python: no Whoosh here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from itertools import repeat
from typing import NamedTuple

from vnsearch.vietnamese import segmenter
from vnsearch.vietnamese import text as _text
from vnsearch.vietnamese.pieces import LEADING_SPACES_RE, NUMBER_RE, PART_RE, SCAN_RE

__all__ = ["Unit", "units", "analyse", "MAX_TOKEN_CHARS"]

# Longer runs (base64 blobs, giant URLs) are not useful terms and bloat the index.
MAX_TOKEN_CHARS = 100

# Text longer than this between newlines is segmented in slices, as pyvi is slow on long input.
_PARAGRAPH_PIECES = 400
_CUTS = frozenset(".!?;")  # where a long paragraph is cut


class Unit(NamedTuple):
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
        if NUMBER_RE.fullmatch(piece):
            parts = ((0, len(piece)),)
        else:
            parts = tuple(m.span() for m in PART_RE.finditer(piece))
        if len(_parts_cache) >= _CACHE_LIMIT:
            _parts_cache.clear()
        _parts_cache[piece] = parts
    return parts


# Texts longer than this are analysed a slice at a time, and not cached, so that one huge
# document costs memory in proportion to a slice, not to the whole document.
_SLICE_CHARS = 200_000


def analyse(value: str, words: bool) -> Iterable[Unit]:
    """The units of ``value``: cached for ordinary texts, streamed slice by slice for huge ones."""
    if len(value) <= _SLICE_CHARS:
        return _cached_units(value, words)
    return _sliced_units(value, words)


@functools.lru_cache(maxsize=8)
def _cached_units(value: str, words: bool) -> tuple[Unit, ...]:
    # Cached because the exact and the folded field analyse the same text one after the other.
    return units(value, words)


def _sliced_units(value: str, words: bool) -> Iterator[Unit]:
    start = 0
    while start < len(value):
        end = _slice_end(value, start + _SLICE_CHARS)
        for unit in units(value[start:end], words):
            yield Unit(unit.text, unit.start + start, unit.end + start, unit.word, unit.word_end + start)
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


def units(value: str, words: bool) -> tuple[Unit, ...]:
    """The tokens of ``value`` as units, before any filter (uncached).

    >>> [(u.text, u.start, u.end, u.word) for u in units("Hải Phòng, 10/7", True)]
    [('Hải', 0, 3, 'Hải_Phòng'), ('Phòng', 4, 9, None), ('10', 11, 13, '10/7'), ('7', 14, 15, None)]
    """
    normal, mapped = _text.normalize_with_offsets(value)
    scanned = SCAN_RE.findall(normal)
    joins: Iterable[bool] = _join_flags([s[0] for s in scanned]) if words else repeat(False)
    new = tuple.__new__  # a Unit without the Python-level __new__ of NamedTuple
    units: list[Unit] = []
    append = units.append
    head = -1  # index in units of the first syllable of the word being built
    syllables: list[str] | None = None  # that word's syllables, once a second one joins it
    word_end = 0
    joinable = False  # the previous piece is a syllable, alphanumeric, that the next may join
    run: list[tuple[str, int, bool]] | None = None  # glued pieces: 10/7/2019, TP.HCM, a URL
    pos = LEADING_SPACES_RE.match(normal).end()  # type: ignore[union-attr]
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
                units[head] = new(Unit, (text, head_start, head_end, word, word_end))
                syllables = None
            head = len(units)
        append(new(Unit, (syllable, ps, pe, None, pe)))
    if syllables is not None:
        text, head_start, head_end, _, _ = units[head]
        units[head] = new(Unit, (text, head_start, head_end, "_".join(syllables), word_end))
    if mapped is not None:
        return tuple(
            new(Unit, (text, mapped[start], mapped[end], word, mapped[word_end]))
            for text, start, end, word, word_end in units
        )
    return tuple(units)


def _glued_units(
    normal: str, parts: list[tuple[int, int, int]], append: Callable[[Unit], None]
) -> None:
    """Append the units of a glued run of several parts, the first carrying the whole run."""
    whole = normal[parts[0][0] : parts[-1][1]]
    whole_end = parts[-1][1]
    first = True
    for ps, pe, _ in parts:
        if pe - ps > MAX_TOKEN_CHARS:
            continue
        word = whole if first and len(whole) <= MAX_TOKEN_CHARS else None
        append(tuple.__new__(Unit, (normal[ps:pe], ps, pe, word, whole_end)))
        first = False


def _join_flags(pieces: list[str]) -> list[bool]:
    """pyvi's word boundaries for the pieces, segmented paragraph by paragraph.

    A paragraph ends at a newline; one over _PARAGRAPH_PIECES pieces is also cut at the
    first sentence end after that many. The newline or sentence end gets False.
    """
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
