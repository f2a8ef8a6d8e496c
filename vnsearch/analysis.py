"""Whoosh analysis for Vietnamese: a tokenizer and small filters over :mod:`vnsearch.vietnamese.units`.

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

from typing import Iterator

from whoosh.analysis import Composable, Filter, LowercaseFilter, Token, Tokenizer

from vnsearch.vietnamese import text as _text
from vnsearch.vietnamese.units import MAX_TOKEN_CHARS, analyse

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
        for pos, unit in enumerate(analyse(value, self.words), start_pos):
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
    for pos, unit in enumerate(analyse(value, words)):
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
