"""Accents restored as evidence: the accented spellings of a folded syllable, and how likely
each is in a query, judged by the index's own counts.

A query typed without accents (``dang uy khoi``) is searched folded; the accented forms
of its syllables, weighted by how likely each is there, can be searched beside it (exact
terms are rarer, so they tell more). :func:`accentings` lists the spellings a folded
syllable can stand for; :func:`posteriors` gives each syllable of a query a probability
over those the index holds, from two counts the caller supplies: documents holding a
syllable (the prior) and documents holding a two-syllable word, as pyvi segments them
(``đảng_uỷ``: the evidence of the neighbours). Together they are a first-order chain over
the syllables: a pair the index knows as a word is accented as the index writes that word,
a pair it does not know leaves each syllable to its prior.

pyvi's ``ViUtils.add_accents`` is not used: it restores about three syllables in four of a
question and lowers retrieval quality (benchmarks/README.md).
"""

from __future__ import annotations

import itertools
import unicodedata
from typing import Callable, Sequence

from vnsearch.vietnamese.text import fold, may_end_in_y, normalize

__all__ = ["accentings", "posteriors", "MAX_CANDIDATES"]

# The letters a folded letter may have been, before the tone: the one home of this table.
_LETTERS = {"a": "aăâ", "e": "eê", "o": "oôơ", "u": "uư", "d": "dđ"}
_VOWELS = frozenset("aăâeêioôơuưy")
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # none, grave, acute, hook, tilde, dot
# A Vietnamese syllable has at most three vowels and seven letters (nghiêng): longer runs are
# not syllables, and their spellings would multiply.
_MAX_VOWELS = 3
_MAX_LETTERS = 7
#: Spellings of a syllable kept for the chain, the commonest in the index first.
MAX_CANDIDATES = 4
# A pair must be a word in this many documents before it speaks for its accents.
_MIN_WORD_DOCUMENTS = 2


def accentings(folded: str) -> tuple[str, ...]:
    """Every spelling (lower case, NFC, the index's tone placement) that folds to ``folded``,
    itself included; ``()`` for what is not a folded Vietnamese syllable.

    >>> spellings = accentings("dang")
    >>> all(s in spellings for s in ("dang", "đang", "đảng", "đăng", "dạng")), len(spellings)
    (True, 36)
    >>> "kỹ" in accentings("ki"), "hoà" in accentings("hoa"), accentings("covid19")
    (True, True, ())
    """
    if not folded.isascii() or not folded.isalpha() or folded != folded.lower():
        return ()
    bases = [folded]
    if may_end_in_y(folded):
        bases.append(folded[:-1] + "y")
    found: dict[str, None] = {}
    for base in bases:
        if len(base) > _MAX_LETTERS or sum(c in _VOWELS for c in base) > _MAX_VOWELS:
            continue
        for letters in itertools.product(*(_LETTERS.get(c, c) for c in base)):
            vowels = [i for i, c in enumerate(letters) if c in _VOWELS]
            found[normalize("".join(letters))] = None
            for i in vowels:
                for tone in _TONES[1:]:
                    toned = letters[:i] + (unicodedata.normalize("NFC", letters[i] + tone),) + letters[i + 1 :]
                    found[normalize("".join(toned))] = None
    return tuple(s for s in found if fold(s) == folded)


def posteriors(
    folded: Sequence[str], documents: Callable[[str], int]
) -> list[dict[str, float]]:
    """For each folded syllable of a query, its accented spellings the index holds with the
    probability of each there, given its neighbours (forward-backward over the chain).

    ``documents(term)`` is how many documents hold the exact term (a syllable, or two joined
    by ``_``); a syllable without spellings in the index gets ``{}``.

    >>> counts = {"đảng": 50, "đang": 900, "uỷ": 40, "ủy": 0, "uy": 30, "đảng_uỷ": 35}
    >>> p = posteriors(["dang", "uy"], lambda t: counts.get(t, 0))
    >>> max(p[0], key=p[0].get), round(p[0]["đảng"], 2)
    ('đảng', 0.97)
    >>> p = posteriors(["dang"], lambda t: counts.get(t, 0))
    >>> max(p[0], key=p[0].get), round(p[0]["đang"], 2)
    ('đang', 0.95)
    """
    options: list[list[tuple[str, float]]] = []
    for syllable in folded:
        held = [(s, documents(s)) for s in accentings(syllable)]
        held = sorted(((s, n) for s, n in held if n > 0), key=lambda item: -item[1])[:MAX_CANDIDATES]
        total = sum(n for _, n in held)
        options.append([(s, n / total) for s, n in held])
    # pair[i][a][b]: how strongly spellings a of syllable i and b of syllable i + 1 go together.
    pairs: list[list[list[float]]] = []
    for left, right in zip(options, options[1:]):
        if not left or not right:
            pairs.append([[1.0] * len(right) for _ in left])
            continue
        words = [[documents(f"{a}_{b}") for b, _ in right] for a, _ in left]
        seen = sum(map(sum, words))
        if seen < _MIN_WORD_DOCUMENTS:
            pairs.append([[1.0] * len(right) for _ in left])  # not a word here: no evidence
            continue
        # The word's own spellings, smoothed by the priors, over the priors: a ratio, so a
        # pair that is not a word in one spelling still counts by its prior in the others.
        pairs.append([
            [(n + pa * pb) / (seen + 1) / (pa * pb) for n, (_, pb) in zip(row, right)]
            for row, (_, pa) in zip(words, left)
        ])
    forward = [[p for _, p in options[0]]] if options else []
    for i in range(1, len(options)):
        prev = forward[-1]
        step = [
            p * (sum(prev[a] * pairs[i - 1][a][b] for a in range(len(prev))) if prev else 1.0)
            for b, (_, p) in enumerate(options[i])
        ]
        forward.append(_normalised(step))
    backward = [[1.0] * len(o) for o in options]
    for i in range(len(options) - 2, -1, -1):
        nxt, following = backward[i + 1], options[i + 1]
        if not following:
            continue
        backward[i] = _normalised([
            sum(pairs[i][a][b] * following[b][1] * nxt[b] for b in range(len(following)))
            for a in range(len(options[i]))
        ])
    return [
        dict(zip((s for s, _ in o), _normalised([f * b for f, b in zip(fw, bw)])))
        for o, fw, bw in zip(options, forward, backward)
    ]


def _normalised(values: list[float]) -> list[float]:
    total = sum(values)
    return [v / total for v in values] if total > 0 else values
