"""What the CRF sees of each piece: pyvi's features, as crfsuite attributes, with their weights.

pyvi describes each piece by a dict of features (its lower case, ``isupper``, ``istitle``,
``isdigit``, the same of its neighbours, and whether its neighbours make a two- or
three-syllable word of pyvi's dictionary). Here each piece's own share is computed once, as
an :class:`Info`; :func:`dictionary_codes` and :func:`crfsuite_attributes` add the dictionary
attributes of a sequence, in pyvi's order.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from vnsearch.vietnamese.segmenter.model import PyviModel

__all__ = [
    "Info",
    "new_info",
    "dictionary_codes",
    "crfsuite_attributes",
    "EDGE",
    "BEFORE",
    "AFTER",
    "SENTENCE_ENDS",
]

_PUNCTUATION = string.punctuation
# Pieces after which segment() may cut an over-long sequence without changing a join.
SENTENCE_ENDS: frozenset[str] = frozenset({".", "!", "?", "...", "…", ";", "\n"})


class Info(NamedTuple):
    """What the CRF and pyvi's join rule need to know about one piece, computed once.

    The attribute tuples are bytes, which pycrfsuite passes to crfsuite without encoding.
    """

    lower: str
    own: tuple[bytes, ...]  # "bias", "word.lower():<lower>", and its true word.is*() flags
    as_previous: tuple[bytes, ...]  # "-1:word.lower():<lower>" and flags, seen by the next piece
    as_next: tuple[bytes, ...]  # "+1:word.lower():<lower>" and flags, seen by the previous piece
    bigram_ends: frozenset[str]  # second syllables of dictionary words that start with it
    trigram_ends: dict[str, frozenset[str]]  # second -> third syllables of such trigrams
    blocks: bool  # pyvi never joins across it: ASCII punctuation or a leading digit
    title_start: bool  # its first character is a capital
    alpha: bool  # its first character is a letter
    capitals: int  # +1 for a word in capitals, -1 for one with small letters, else 0
    ends_sentence: bool  # segment() may cut a long sequence after it
    # The CRF's weights of those attributes, per label, when read from the model (see Crf):
    own_score: tuple[float, float] = (0.0, 0.0)  # "own" summed in order, as crfsuite does
    previous_weights: tuple[tuple[float, float], ...] = ()  # of as_previous, in order
    next_weights: tuple[tuple[float, float], ...] = ()  # of as_next, in order


def new_info(piece: str, model: PyviModel) -> Info:
    """The :class:`Info` of ``piece``, its attributes weighed by ``model``'s CRF when it has one."""
    lower = piece.lower()
    title, upper = piece.istitle(), piece.isupper()
    # crfsuite reads attribute names as C strings, so a NUL ends them there as well
    encoded = lower.encode("utf-8").split(b"\0", 1)[0]
    own = [b"bias", b"word.lower():" + encoded]
    previous = [b"-1:word.lower():" + encoded]
    following = [b"+1:word.lower():" + encoded]
    # pyvi's own feature order: isupper before istitle, but istitle before isupper for neighbours
    if upper:
        own.append(b"word.isupper()")
    if title:
        own.append(b"word.istitle()")
        previous.append(b"-1:word.istitle()")
        following.append(b"+1:word.istitle()")
    if upper:
        previous.append(b"-1:word.isupper()")
        following.append(b"+1:word.isupper()")
    if piece.isdigit():
        own.append(b"word.isdigit()")
    known = model.attributes
    if known is not None:
        own, previous, following = (
            [attribute for attribute in attributes if attribute in known]
            for attributes in (own, previous, following)
        )
    first = piece[0]
    crf = model.crf
    own_score: tuple[float, float] = (0.0, 0.0)
    previous_weights: tuple[tuple[float, float], ...] = ()
    next_weights: tuple[tuple[float, float], ...] = ()
    if crf is not None:
        own_score = _sum_in_order((0.0, 0.0), crf.weights_of(own))
        previous_weights, next_weights = crf.weights_of(previous), crf.weights_of(following)
    return Info(
        lower,
        tuple(own),
        tuple(previous),
        tuple(following),
        model.bigrams.get(lower, _NO_ENDS),
        model.trigrams.get(lower, _NO_TRIGRAM_ENDS),
        piece in _PUNCTUATION or first.isdigit(),
        first.istitle(),
        first.isalpha(),
        _capitals(piece),
        piece in SENTENCE_ENDS,
        own_score,
        previous_weights,
        next_weights,
    )


def _capitals(piece: str) -> int:
    """The piece's vote on whether its sentence is written in capitals."""
    if len(piece) < 2:
        return 0  # single letters are as often initials as words
    if piece.isupper():
        return 1
    return -1 if piece.upper() != piece else 0


_NO_ENDS: frozenset[str] = frozenset()
_NO_TRIGRAM_ENDS: dict[str, frozenset[str]] = {}
# Stands before the first piece and after the last: contributes no attributes.
EDGE = Info("", (), (), (), _NO_ENDS, _NO_TRIGRAM_ENDS, True, False, False, 0, True)
# Dictionary attributes of piece i by code = bigram(i-1, i) + 2 * trigram(i-2, i-1, i):
# BEFORE[code[i]], and AFTER[code[i + 1]][code[i + 2]] from the next two pieces' codes.
BEFORE = [(), (b"-1:word.bi_gram()",), (b"-2:word.tri_gram()",)]
BEFORE.append(BEFORE[1] + BEFORE[2])
_AFTER_ONE = [(), (b"+1:word.bi_gram()",), (b"+2:word.tri_gram()",)]
_AFTER_ONE.append(_AFTER_ONE[1] + _AFTER_ONE[2])
AFTER = [[_AFTER_ONE[(next1 & 1) + (next2 & 2)] for next2 in range(4)] for next1 in range(4)]


def dictionary_codes(infos: list[Info]) -> list[int]:
    """Each piece's dictionary code (see BEFORE), then two zeros for the pieces past the end."""
    codes = [0]
    if len(infos) > 1:
        codes.append(infos[1].lower in infos[0].bigram_ends)
        codes += [
            (c.lower in b.bigram_ends) + 2 * (c.lower in a.trigram_ends.get(b.lower, _NO_ENDS))
            for a, b, c in zip(infos, infos[1:], infos[2:])
        ]
    codes += (0, 0)
    return codes


def crfsuite_attributes(infos: list[Info]) -> list[list[bytes]]:
    """crfsuite attributes of each piece, as pyvi's feature dicts become them.

    pycrfsuite turns ``{name: "value"}`` into the attribute ``name:value`` and ``{name: bool}``
    into ``name`` weighted 1.0 or 0.0; a zero weight adds nothing to a score, so false
    booleans are left out. The order is pyvi's, so scores are summed in the same order.
    """
    codes = dictionary_codes(infos)
    return [
        [*info.own, *before.as_previous, *BEFORE[code], *after.as_next, *AFTER[next1][next2]]
        for info, before, after, code, next1, next2 in zip(
            infos, [EDGE, *infos], [*infos[1:], EDGE], codes, codes[1:], codes[2:]
        )
    ]


def _sum_in_order(start: tuple[float, float], weights: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """``start`` plus each pair of weights in turn: the additions crfsuite makes, in its order."""
    s0, s1 = start
    for w0, w1 in weights:
        s0 += w0
        s1 += w1
    return s0, s1
