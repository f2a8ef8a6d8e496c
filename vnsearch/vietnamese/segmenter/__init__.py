"""Vietnamese word segmentation: pyvi's CRF, label for label, without pyvi's overhead.

pyvi's ``ViTokenizer`` splits text into *pieces* (syllables, numbers, punctuation) with one
regular expression, then a CRF labels each piece ``B_W`` (begins a word) or ``I_W`` (continues
one). This module runs the same CRF model, read from the pickle inside the installed pyvi
package, but never imports pyvi, scikit-learn, sklearn-crfsuite or numpy: a restricted
unpickler pulls out the crfsuite model bytes (:mod:`.model`), :mod:`.crf` reads the weights
from them and tags as crfsuite does (``pycrfsuite`` tags only a model it cannot read), and
:mod:`.features` gives each piece's attributes. Each piece's features and their weights are
looked up once and cached here, so segmentation runs about five times faster than
``ViTokenizer.tokenize`` with identical output.

Nothing heavy happens at import: the model and word list load on first use, once per process.

Two levels:

* :func:`pieces`, :func:`join_flags` and :func:`tokenize` reproduce pyvi exactly;
* :func:`segment` is what vnsearch indexes with: pyvi's labels with its known traps fixed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from vnsearch.vietnamese.pieces import PIECE_RE, SCAN_RE
from vnsearch.vietnamese.segmenter.features import (
    SENTENCE_ENDS,
    Info,
    crfsuite_attributes,
    dictionary_codes,
    new_info,
)
from vnsearch.vietnamese.segmenter.model import crfsuite_tagger, pyvi_model
from vnsearch.vietnamese.text import tone_placements

__all__ = ["PIECE_RE", "SCAN_RE", "join_flags", "pieces", "segment", "tokenize"]

_JOIN_LABEL = "I_W"
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
            if pieces[i] in SENTENCE_ENDS:
                cut = i + 1
                break
        spans.append((start, cut))
        start = cut
    if start < n:
        spans.append((start, n))
    return spans


def _robust_infos(pieces: Sequence[str]) -> list[Info]:
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


def _sentence_case(sentence: Sequence[str]) -> list[Info]:
    """Infos of the sentence lowered, its first word capitalised: "HÀ NỘI" -> "Hà nội"."""
    lowered = [piece.lower() for piece in sentence]
    for i, piece in enumerate(lowered):
        if piece[0].isalpha():
            lowered[i] = piece.capitalize()
            break
    return [_robust_info(piece) for piece in lowered]


_robust_cache: dict[str, Info] = {}


def _robust_info(piece: str) -> Info:
    """The info segment() feeds for ``piece``: CRF word features in the old tone placement,
    dictionary look-ups in the new one (see :func:`segment`)."""
    info = _robust_cache.get(piece)
    if info is None:
        old, new = tone_placements(piece)
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
# the cached infos, tagging and pyvi's join rule


_info_cache: dict[str, Info] = {}


def _info(piece: str) -> Info:
    """The cached :class:`Info` of ``piece``."""
    info = _info_cache.get(piece)
    if info is None:
        if len(_info_cache) >= _CACHE_LIMIT:
            _info_cache.clear()  # a plain bound: real text has a small vocabulary of pieces
        info = _info_cache[piece] = new_info(piece, pyvi_model())
    return info


def _tag(infos: list[Info]) -> list[str]:
    """The CRF's label for each piece."""
    if not infos:
        return []
    crf = pyvi_model().crf
    if crf is None:
        return crfsuite_tagger().tag(crfsuite_attributes(infos))
    return crf.tag(infos, dictionary_codes(infos))


def _flags(infos: list[Info], labels: list[str], *, letters_only: bool = False) -> list[bool]:
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
