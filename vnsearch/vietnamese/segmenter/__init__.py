"""Vietnamese word segmentation: pyvi's CRF, label for label, without pyvi's overhead.

pyvi's ``ViTokenizer`` splits text into *pieces* (syllables, numbers, punctuation) with one
regular expression, then a CRF labels each piece ``B_W`` (begins a word) or ``I_W`` (continues
one). This module runs the same CRF model, read from the pickle inside the installed pyvi
package, but never imports pyvi, scikit-learn, sklearn-crfsuite or numpy: a restricted
unpickler pulls out the crfsuite model bytes, and :class:`_Crf` reads the weights from them
and tags as crfsuite does (``pycrfsuite`` tags only a model it cannot read). Each piece's
features and their weights are looked up once and cached, so segmentation runs about five
times faster than ``ViTokenizer.tokenize`` with identical output.

Nothing heavy happens at import: the model and word list load on first use, once per process.

Two levels:

* :func:`pieces`, :func:`join_flags` and :func:`tokenize` reproduce pyvi exactly;
* :func:`segment` is what vnsearch indexes with: pyvi's labels with its known traps fixed.
"""

from __future__ import annotations

import atexit
import codecs
import importlib.util
import os
import pickle
import re
import string
import struct
import tempfile
import threading
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from vnsearch.errors import VnsearchError

if TYPE_CHECKING:
    import pycrfsuite

__all__ = ["PIECE_RE", "SCAN_RE", "join_flags", "pieces", "segment", "tokenize"]

# The pattern of pyvi's ViTokenizer.sylabelize, alternative for alternative and in order.
_ABBREVIATIONS = [r"[A-ZĐ]+\.", r"Tp\.", r"Mr\.", r"Mrs\.", r"Ms\.", r"Dr\.", r"ThS\."]
_SPECIALS = [r"==>", r"->", r"\.\.\.", r">>", "\n"]
_WEB = r"\w+://[^\s]+"
# pyvi's groups made non-capturing: the same matches, and findall() returns SCAN_RE's groups.
_EMAIL = r"(?:[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)"
_DIGIT = r"\d+(?:[\.,_]\d+)+"
_NON_WORD = r"[^\w\s]"
_WORD = r"\w+"
_PIECE = "(" + "|".join([*_ABBREVIATIONS, *_SPECIALS, _WEB, _EMAIL, _DIGIT, _NON_WORD, _WORD]) + ")"

PIECE_RE: re.Pattern[str] = re.compile(_PIECE)
"""pyvi's piece pattern: ``PIECE_RE.finditer(nfc_text)`` gives the pieces with their offsets
in the NFC form of the text, which is what pyvi splits (see :func:`pieces`)."""

SCAN_RE: re.Pattern[str] = re.compile(_PIECE + r"(?=(\S)?)([^\S\n]*)")
"""PIECE_RE's pieces with what follows each: ``SCAN_RE.findall(nfc_text)`` gives
``(piece, glued, spaces)`` triples, ``glued`` the first character of the next piece when it
starts right after this one (else ``""``), ``spaces`` the whitespace after it but for a
newline, itself a piece.
Pieces cover every other character, so the offsets follow from the lengths:

>>> SCAN_RE.findall("Hà Nội, 10/7")  # doctest: +NORMALIZE_WHITESPACE
[('Hà', '', ' '), ('Nội', ',', ''), (',', '', ' '),
 ('10', '/', ''), ('/', '7', ''), ('7', '', '')]
"""

_MODEL_FILE = "models/pyvi3.pkl"
_WORDS_FILE = "models/words.txt"
_JOIN_LABEL = "I_W"
_PUNCTUATION = string.punctuation
# Pieces after which segment() may cut an over-long sequence without changing a join.
_SENTENCE_ENDS = frozenset({".", "!", "?", "...", "…", ";", "\n"})
_MAX_PIECES = 500
_CACHE_LIMIT = 200_000


# ---------------------------------------------------------------------------------------------
# pieces and the exact pyvi API


def pieces(text: str) -> list[str]:
    """Split ``text`` into pyvi's pieces: syllables, numbers, punctuation, e-mails, URLs.

    The text is NFC-normalised first, as pyvi does, so the pieces are substrings of
    ``unicodedata.normalize("NFC", text)``; :data:`PIECE_RE` finds them with their offsets.

    >>> pieces("Chiều 10/7, TP. Hải Phòng...")
    ['Chiều', '10', '/', '7', ',', 'TP.', 'Hải', 'Phòng', '...']
    >>> [m.span() for m in PIECE_RE.finditer("Hà Nội.")]
    [(0, 2), (3, 6), (6, 7)]
    >>> pieces("  ")
    []
    """
    return [m.group(0) for m in PIECE_RE.finditer(unicodedata.normalize("NFC", text))]


def join_flags(pieces: Sequence[str]) -> list[bool]:
    """For each piece, whether pyvi joins it to the previous one with ``_``.

    True exactly where pyvi's CRF says ``I_W`` and pyvi's own rule allows the join: neither
    piece is ASCII punctuation or starts with a digit, and a piece that starts with a capital
    does not follow one that does not. ``flags[0]`` is always False.

    >>> join_flags(["Thành", "phố", "Hải", "Phòng", "."])
    [False, True, False, True, False]
    >>> join_flags([])
    []
    """
    if not pieces:
        return []
    cached = _info_cache.get
    infos = [cached(piece) or _info(piece) for piece in pieces]
    return _flags(infos, _tag(infos))


def tokenize(text: str) -> str:
    """Return exactly what ``pyvi.ViTokenizer.tokenize(text)`` returns.

    Pieces are separated by spaces, and those of one word joined by ``_``; a text without
    pieces comes back unchanged.

    >>> tokenize("Thành phố Hải Phòng tổ chức hội nghị.")
    'Thành_phố Hải_Phòng tổ_chức hội_nghị .'
    >>> tokenize("   ")
    '   '
    """
    found = pieces(text)
    if not found:
        return text
    flags = join_flags(found)
    parts = [found[0]]
    for piece, joined in zip(found[1:], flags[1:]):
        parts.append("_" if joined else " ")
        parts.append(piece)
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# segment: pyvi's labels with its traps fixed


def segment(pieces: Sequence[str], *, robust: bool = True) -> list[bool]:
    """Return join flags like :func:`join_flags`, by default with pyvi's known traps fixed.

    With ``robust=False`` this is :func:`join_flags`. With ``robust=True``:

    * a sentence written mostly in capitals (a headline) is fed to the CRF in sentence case:
      on 5,000 news headlines put in capitals, pyvi finds 83% of the words it joins in their
      mixed-case form, and 91% in sentence case (89% in lower case; title case over-joins);
    * ``oa``/``oe``/``uy`` syllables segment alike whatever the tone placement. Found in
      pyvi's model: its dictionary writes all 647 such syllables in the new placement
      (``hoà``, ``thuỷ``), but 61 of the CRF's 91 ``word.lower()`` features for them use the
      old one (``hòa``, ``thủy``); so dictionary look-ups use the new placement and the
      CRF's word features the old one, which joins more real words than either alone;
    * only pieces that start with a letter are joined, so punctuation outside ASCII
      (``“``, ``…``, ``–``) and line breaks never end up inside a word;
    * sequences over 500 pieces are tagged in chunks cut after sentence ends, which bounds
      the work per call and leaves ordinary sentences untouched.

    Text without diacritics is left as pyvi segments it: its model was trained on accented
    text and seldom joins unaccented syllables.

    >>> segment(["ĐẢNG", "ỦY", "KHỐI", "CÁC", "CƠ", "QUAN"])
    [False, True, False, False, False, True]
    >>> segment(["hòa", "bình"]), segment(["hoà", "bình"])
    ([False, True], [False, True])
    """
    if not robust:
        return join_flags(pieces)
    flags: list[bool] = []
    for start, end in _chunks(pieces):
        infos = _robust_infos(pieces[start:end])
        flags.extend(_flags(infos, _tag(infos), letters_only=True))
    return flags


def _chunks(pieces: Sequence[str]) -> list[tuple[int, int]]:
    """Cut ``pieces`` into spans of at most _MAX_PIECES, after sentence ends where possible."""
    n = len(pieces)
    spans: list[tuple[int, int]] = []
    start = 0
    while n - start > _MAX_PIECES:
        cut = start + _MAX_PIECES
        for i in range(cut - 1, start, -1):
            if pieces[i] in _SENTENCE_ENDS:
                cut = i + 1
                break
        spans.append((start, cut))
        start = cut
    if start < n:
        spans.append((start, n))
    return spans


def _robust_infos(pieces: Sequence[str]) -> list[_Info]:
    """What segment() feeds the CRF: tone-robust pieces, capitals in sentence case."""
    cached = _robust_cache.get
    infos = [cached(piece) or _robust_info(piece) for piece in pieces]
    start = votes = 0
    last = len(infos) - 1
    for i, info in enumerate(infos):
        votes += info.capitals
        if info.ends_sentence or i == last:
            if votes > 0:
                infos[start : i + 1] = _sentence_case(pieces[start : i + 1])
            start, votes = i + 1, 0
    return infos


def _sentence_case(sentence: Sequence[str]) -> list[_Info]:
    """Infos of the sentence lowered, its first word capitalised: "HÀ NỘI" -> "Hà nội"."""
    lowered = [piece.lower() for piece in sentence]
    for i, piece in enumerate(lowered):
        if piece[0].isalpha():
            lowered[i] = piece.capitalize()
            break
    return [_robust_info(piece) for piece in lowered]


# Tone on the first vowel of a final oa/oe/uy ("hòa", "khỏe", "thủy"), the old placement,
# mapped to the tone on the second ("hoà", "khoẻ", "thuỷ"), the new placement.
_TONE_MARKS = "\u0300\u0301\u0309\u0303\u0323"
_OLD_TO_NEW = {
    unicodedata.normalize("NFC", first + tone) + second: first
    + unicodedata.normalize("NFC", second + tone)
    for tone in _TONE_MARKS
    for first, seconds in (("o", "ae"), ("u", "y"), ("O", "AE"), ("U", "Y"))
    for second in seconds + seconds.swapcase()
}
_NEW_TO_OLD = {new: old for old, new in _OLD_TO_NEW.items()}


def _placements(piece: str) -> tuple[str, str]:
    """``piece`` with the old and with the new tone placement (the same when it has none).

    ``qu`` is a consonant: "quý" has its tone on ``y`` in both placements.
    """
    ending = piece[-2:]
    if ending in _OLD_TO_NEW:
        old, new = ending, _OLD_TO_NEW[ending]
    elif ending in _NEW_TO_OLD:
        old, new = _NEW_TO_OLD[ending], ending
    else:
        return piece, piece
    if piece[-3:-2] in ("q", "Q"):
        return piece, piece
    return piece[:-2] + old, piece[:-2] + new


_robust_cache: dict[str, _Info] = {}


def _robust_info(piece: str) -> _Info:
    """The info segment() feeds for ``piece``: CRF word features in the old tone placement,
    dictionary look-ups in the new one (see :func:`segment`)."""
    info = _robust_cache.get(piece)
    if info is None:
        old, new = _placements(piece)
        if old == new:
            info = _info(piece)
        else:
            dictionary = _info(new)
            info = _info(old)._replace(
                lower=dictionary.lower,
                bigram_ends=dictionary.bigram_ends,
                trigram_ends=dictionary.trigram_ends,
            )
        if len(_robust_cache) >= _CACHE_LIMIT:
            _robust_cache.clear()
        _robust_cache[piece] = info
    return info


# ---------------------------------------------------------------------------------------------
# features and tagging


class _Info(NamedTuple):
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
    # The CRF's weights of those attributes, per label, when read from the model (see _Crf):
    own_score: tuple[float, float] = (0.0, 0.0)  # "own" summed in order, as crfsuite does
    previous_weights: tuple[tuple[float, float], ...] = ()  # of as_previous, in order
    next_weights: tuple[tuple[float, float], ...] = ()  # of as_next, in order


_info_cache: dict[str, _Info] = {}


def _info(piece: str) -> _Info:
    """The cached :class:`_Info` of ``piece``."""
    info = _info_cache.get(piece)
    if info is None:
        if len(_info_cache) >= _CACHE_LIMIT:
            _info_cache.clear()  # a plain bound: real text has a small vocabulary of pieces
        info = _info_cache[piece] = _new_info(piece)
    return info


def _new_info(piece: str) -> _Info:
    model = _model()
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
    own_score, previous_weights, next_weights = (0.0, 0.0), (), ()
    if crf is not None:
        own_score = _sum_in_order((0.0, 0.0), crf.weights_of(own))
        previous_weights, next_weights = crf.weights_of(previous), crf.weights_of(following)
    return _Info(
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
        piece in _SENTENCE_ENDS,
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
_EDGE = _Info("", (), (), (), _NO_ENDS, _NO_TRIGRAM_ENDS, True, False, False, 0, True)
# Dictionary attributes of piece i by code = bigram(i-1, i) + 2 * trigram(i-2, i-1, i):
# _BEFORE[code[i]], and _AFTER[code[i + 1]][code[i + 2]] from the next two pieces' codes.
_BEFORE = [(), (b"-1:word.bi_gram()",), (b"-2:word.tri_gram()",)]
_BEFORE.append(_BEFORE[1] + _BEFORE[2])
_AFTER_ONE = [(), (b"+1:word.bi_gram()",), (b"+2:word.tri_gram()",)]
_AFTER_ONE.append(_AFTER_ONE[1] + _AFTER_ONE[2])
_AFTER = [[_AFTER_ONE[(next1 & 1) + (next2 & 2)] for next2 in range(4)] for next1 in range(4)]


def _codes(infos: list[_Info]) -> list[int]:
    """Each piece's dictionary code (see _BEFORE), then two zeros for the pieces past the end."""
    codes = [0]
    if len(infos) > 1:
        codes.append(infos[1].lower in infos[0].bigram_ends)
        codes += [
            (c.lower in b.bigram_ends) + 2 * (c.lower in a.trigram_ends.get(b.lower, _NO_ENDS))
            for a, b, c in zip(infos, infos[1:], infos[2:])
        ]
    codes += (0, 0)
    return codes


def _attributes(infos: list[_Info]) -> list[list[bytes]]:
    """crfsuite attributes of each piece, as pyvi's feature dicts become them.

    pycrfsuite turns ``{name: "value"}`` into the attribute ``name:value`` and ``{name: bool}``
    into ``name`` weighted 1.0 or 0.0; a zero weight adds nothing to a score, so false
    booleans are left out. The order is pyvi's, so scores are summed in the same order.
    """
    codes = _codes(infos)
    return [
        [*info.own, *before.as_previous, *_BEFORE[code], *after.as_next, *_AFTER[next1][next2]]
        for info, before, after, code, next1, next2 in zip(
            infos, [_EDGE, *infos], [*infos[1:], _EDGE], codes, codes[1:], codes[2:]
        )
    ]


def _tag(infos: list[_Info]) -> list[str]:
    """The CRF's label for each piece."""
    if not infos:
        return []
    crf = _model().crf
    if crf is None:
        return _tagger().tag(_attributes(infos))
    return crf.tag(infos, _codes(infos))


def _sum_in_order(start: tuple[float, float], weights: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """``start`` plus each pair of weights in turn: the additions crfsuite makes, in its order."""
    s0, s1 = start
    for w0, w1 in weights:
        s0 += w0
        s1 += w1
    return s0, s1


def _weights_of(
    weights: dict[bytes, tuple[float, float]], attributes: Sequence[bytes]
) -> tuple[tuple[float, float], ...]:
    return tuple(weights[a] for a in attributes if a in weights)


class _Crf(NamedTuple):
    """A crfsuite model of two labels, read from its bytes, for tagging without pycrfsuite.

    crfsuite scores a label at a piece by adding the weights of the piece's attributes for it,
    in order, from 0; then Viterbi with the transition weights, the first label winning ties.
    Here the same additions run in the same order on the same doubles, so the labels are
    crfsuite's, without converting every attribute string to crfsuite's for every piece.
    """

    labels: tuple[str, str]
    weights: dict[bytes, tuple[float, float]]  # attribute -> its weight for each label
    transitions: tuple[float, float, float, float]  # 0->0, 0->1, 1->0, 1->1
    before: tuple[tuple[tuple[float, float], ...], ...]  # weights of _BEFORE[code]
    after: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]  # of _AFTER[next1][next2]

    @classmethod
    def build(
        cls,
        labels: tuple[str, str],
        weights: dict[bytes, tuple[float, float]],
        transitions: tuple[float, float, float, float],
    ) -> "_Crf":
        before = tuple(_weights_of(weights, attributes) for attributes in _BEFORE)
        after = tuple(tuple(_weights_of(weights, attributes) for attributes in row) for row in _AFTER)
        return cls(labels, weights, transitions, before, after)

    def weights_of(self, attributes: Sequence[bytes]) -> tuple[tuple[float, float], ...]:
        """The weights of the attributes the model knows, in order."""
        return _weights_of(self.weights, attributes)

    def tag(self, infos: list[_Info], codes: list[int]) -> list[str]:
        """The label of each piece: crfsuite's Viterbi (crf1dc_viterbi) over two labels."""
        t00, t01, t10, t11 = self.transitions
        before_weights, after_weights = self.before, self.after
        back: list[int] = []  # 2 bits a piece: the best previous label for labels 0 and 1
        a0 = a1 = 0.0
        first = True
        for info, previous, following, code, next1, next2 in zip(
            infos, [_EDGE, *infos], [*infos[1:], _EDGE], codes, codes[1:], codes[2:]
        ):
            # The state scores: the piece's attributes in _attributes' order.
            s0, s1 = info.own_score
            for w0, w1 in previous.previous_weights:
                s0 += w0
                s1 += w1
            for w0, w1 in before_weights[code]:
                s0 += w0
                s1 += w1
            for w0, w1 in following.next_weights:
                s0 += w0
                s1 += w1
            for w0, w1 in after_weights[next1][next2]:
                s0 += w0
                s1 += w1
            if first:
                a0, a1 = s0, s1
                first = False
                continue
            # crfsuite keeps the first best: label 1 only when strictly better
            x, y = a0 + t00, a1 + t10
            best0 = y > x
            m0 = y if best0 else x
            x, y = a0 + t01, a1 + t11
            best1 = y > x
            m1 = y if best1 else x
            back.append(best0 + 2 * best1)
            a0, a1 = m0 + s0, m1 + s1
        label = 1 if a1 > a0 else 0
        labels = [label]
        for links in reversed(back):
            label = (links >> label) & 1
            labels.append(label)
        names = self.labels
        return [names[label] for label in reversed(labels)]


def _flags(infos: list[_Info], labels: list[str], *, letters_only: bool = False) -> list[bool]:
    """pyvi's rule: an ``I_W`` label joins unless punctuation, digits or a capital forbid it.

    ``letters_only`` also forbids joining a piece that does not start with a letter.
    """
    flags = [False] * len(infos)
    for i in range(1, len(infos)):
        if labels[i] == _JOIN_LABEL:
            cur, prev = infos[i], infos[i - 1]
            if letters_only and not (cur.alpha and prev.alpha):
                continue
            flags[i] = not (cur.blocks or prev.blocks or (cur.title_start and not prev.title_start))
    return flags


# ---------------------------------------------------------------------------------------------
# loading pyvi's model without pyvi


class _Model(NamedTuple):
    """pyvi's model: the crfsuite model bytes and the dictionary's two- and three-syllable
    words, keyed by first syllable (then second) so that lookups build no strings."""

    crfsuite: bytes
    attributes: frozenset[bytes] | None  # the attributes the CRF has weights for, if readable
    bigrams: dict[str, frozenset[str]]
    trigrams: dict[str, dict[str, frozenset[str]]]
    crf: _Crf | None = None  # the CRF's weights, when the model's layout is the expected one


class _Stub:
    """Stands in for a class pickled with pyvi's model: accepts any arguments, keeps state."""

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


def _numpy_scalar(dtype: _Stub, data: bytes) -> float:
    """numpy.float64 from its pickled bytes, without numpy (the model pickles only f8)."""
    if len(data) != 8:
        raise pickle.UnpicklingError("unexpected numpy scalar in pyvi's model")
    return struct.unpack("<d", data)[0]


_STAND_INS: dict[tuple[str, str], Any] = {
    ("sklearn_crfsuite.estimator", "CRF"): _Stub,
    ("sklearn_crfsuite._fileresource", "FileResource"): _Stub,
    ("pycrfsuite._logparser", "TrainLogParser"): _Stub,
    ("numpy", "dtype"): _Stub,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("_codecs", "encode"): codecs.encode,  # how protocol 2 stores bytes
}


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles pyvi's CRF with stand-ins; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _STAND_INS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in pyvi's model") from None


def _pyvi_dir() -> Path:
    """The installed pyvi package's directory, found without importing pyvi."""
    spec = importlib.util.find_spec("pyvi")
    if spec is None or not spec.submodule_search_locations:
        raise VnsearchError("pyvi is not installed; vnsearch needs its model (pip install pyvi)")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_model() -> _Model:
    """Read the crfsuite bytes from pyvi's pickle and the dictionary from words.txt."""
    root = _pyvi_dir()
    with open(root / _MODEL_FILE, "rb") as f:
        crf = _ModelUnpickler(f).load()
    data = crf.modelfile.__dict__.get("__FILE_RESOURCE_DATA__")
    if not isinstance(data, bytes):
        raise VnsearchError(f"no crfsuite model inside {root / _MODEL_FILE}")
    # pyvi reads words.txt with codecs.open, which splits on "\n" only; so do we.
    words = (root / _WORDS_FILE).read_bytes().decode("utf-8").split("\n")
    bigrams: dict[str, set[str]] = {}
    trigrams: dict[str, dict[str, set[str]]] = {}
    for word in words:
        syllables = word.split(" ")
        if len(syllables) == 2:
            bigrams.setdefault(syllables[0], set()).add(syllables[1])
        elif len(syllables) == 3:
            first, second, third = syllables
            trigrams.setdefault(first, {}).setdefault(second, set()).add(third)
    return _Model(
        data,
        _crfsuite_attributes(data),
        {first: frozenset(ends) for first, ends in bigrams.items()},
        {
            first: {second: frozenset(ends) for second, ends in seconds.items()}
            for first, seconds in trigrams.items()
        },
        _crfsuite_crf(data),
    )


_CRFSUITE_HEADER = struct.Struct("<4sI4s9I")  # magic, size, type, version, counts and offsets
_CQDB_HEADER = struct.Struct("<4sIIIII")  # chunk id, size, flag, byte order, bwd size, offset
_CQDB_BYTE_ORDER = 0x62445371


def _crfsuite_attributes(data: bytes) -> frozenset[bytes] | None:
    """The attribute strings of a crfsuite model, read from its CQDB dictionary.

    crfsuite ignores attributes it has no weights for; leaving them out before tagging saves
    converting and looking them up. None when the layout is not the expected one.
    """
    try:
        magic, _, _, _, _, _, num_attrs, _, _, chunk, _, _ = _CRFSUITE_HEADER.unpack_from(data)
        if magic != b"lCRF":
            return None
        attributes = _cqdb_strings(data, chunk)
    except struct.error:
        return None
    if attributes is None or len(attributes) != num_attrs:
        return None
    return frozenset(attributes.values())


_FEATURES_HEADER = struct.Struct("<4sII")  # chunk id, size, number of features
_FEATURE = struct.Struct("<IIId")  # type (0 state, 1 transition), source, destination, weight


def _cqdb_strings(data: bytes, chunk: int) -> dict[int, bytes] | None:
    """The strings of a crfsuite CQDB dictionary by id, or None if the layout is unexpected
    (``struct.error`` if the bytes end too soon)."""
    cqdb, _, _, order, count, table = _CQDB_HEADER.unpack_from(data, chunk)
    if cqdb != b"CQDB" or order != _CQDB_BYTE_ORDER:
        return None
    strings = {}
    for offset in struct.unpack_from(f"<{count}I", data, chunk + table):
        ident, size = struct.unpack_from("<iI", data, chunk + offset)
        start = chunk + offset + 8
        strings[ident] = data[start : start + size - 1]  # size counts the final NUL
    return strings


def _crfsuite_crf(data: bytes) -> _Crf | None:
    """The labels, state and transition weights of a crfsuite model of two labels (crfsuite's
    crf1d model file), or None when the layout is not the expected one."""
    try:
        magic, size, kind, _, _, num_labels, num_attrs, features, labels_at, attrs_at, _, _ = (
            _CRFSUITE_HEADER.unpack_from(data)
        )
        if magic != b"lCRF" or size != len(data) or kind != b"FOMC" or num_labels != 2:
            return None
        labels, attributes = _cqdb_strings(data, labels_at), _cqdb_strings(data, attrs_at)
        if labels is None or attributes is None or len(attributes) != num_attrs or set(labels) != {0, 1}:
            return None
        chunk, _, count = _FEATURES_HEADER.unpack_from(data, features)
        if chunk != b"FEAT":
            return None
        state: dict[bytes, list[float]] = {}
        transitions = [0.0] * 4
        seen = set()
        start = features + _FEATURES_HEADER.size
        for kind_, source, target, weight in _FEATURE.iter_unpack(data[start : start + count * _FEATURE.size]):
            if target > 1 or (kind_, source, target) in seen:
                return None  # crfsuite has one weight per attribute (or label) and label
            seen.add((kind_, source, target))
            if kind_ == 0:
                state.setdefault(attributes[source], [0.0, 0.0])[target] = weight
            elif kind_ == 1 and source <= 1:
                transitions[2 * source + target] = weight
            else:
                return None
        names = (labels[0].decode("utf-8"), labels[1].decode("utf-8"))
    except (struct.error, KeyError, UnicodeDecodeError):
        return None
    return _Crf.build(
        names,
        {attribute: (w[0], w[1]) for attribute, w in state.items()},
        (transitions[0], transitions[1], transitions[2], transitions[3]),
    )


_lock = threading.Lock()
_loaded: _Model | None = None
_local = threading.local()


def _model() -> _Model:
    """pyvi's model, loaded on first use, once per process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load_model()
    return _loaded


def _tagger() -> pycrfsuite.Tagger:
    """This thread's tagger: a crfsuite tagger holds the sequence being tagged."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        import pycrfsuite

        model = _model()
        tagger = pycrfsuite.Tagger()
        if hasattr(tagger, "open_inmemory"):
            # the bytes stay referenced by _loaded for as long as the tagger reads them
            tagger.open_inmemory(model.crfsuite)
        else:
            tagger.open(_model_file(model.crfsuite))
        _local.tagger = tagger
    return tagger


_model_path: str | None = None


def _model_file(data: bytes) -> str:
    """The crfsuite model written once to a temporary file, for python-crfsuite < 0.9.7."""
    global _model_path
    with _lock:
        if _model_path is None:
            fd, name = tempfile.mkstemp(prefix="vnsearch-pyvi-", suffix=".crfsuite")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            atexit.register(os.unlink, name)
            _model_path = name
    return _model_path
