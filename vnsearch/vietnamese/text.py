"""Pure functions on Vietnamese strings: normalisation and folding (no Whoosh here).

Two forms of a text matter to search:

* the *normal* form (:func:`normalize`): Unicode NFC, look-alikes of ``Đ`` replaced by ``Đ``,
  and one tone-mark placement for ``oa``, ``oe`` and ``uy``. vnsearch uses the "new" placement,
  the tone on the second vowel of an open syllable (``hoà``, ``khoẻ``, ``thuỷ``), because it is the
  form pyvi's word dictionary is written in; ``hòa``, ``khỏe`` and ``thủy`` become those;
* the *folded* form (:func:`fold`): lower case, no diacritics, ``đ`` -> ``d``, every other
  non-ASCII letter through unidecode, and the spelling variants ``y``/``i`` merged (see
  :func:`fold_syllable`), so that a query typed without accents finds accented text.

This module is the only home of the tone table (:data:`OLD_TO_NEW`), of the fold table
(:data:`FOLD_TABLE`) and of the ``y``/``i`` rule (:func:`fold_syllable`, :func:`may_end_in_y`).
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = [
    "normalize",
    "normalize_with_offsets",
    "fold",
    "fold_syllable",
    "strip_diacritics",
    "has_diacritics",
    "tone_placements",
    "may_end_in_y",
    "OLD_TO_NEW",
    "NEW_TO_OLD",
    "FOLD_TABLE",
    "CONTROL_CHARS",
    "strip_controls",
]

# Look-alikes of the capital D with stroke: Icelandic eth and African D.
_D_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u0189": "\u0110"})

_TONES = "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook above, tilde, dot below


def _toned(base: str, tone: str) -> str:
    return unicodedata.normalize("NFC", base + tone)


# The tone table: a final oa/oe/uy toned on its first vowel ("hòa", "khỏe", "thủy", the old
# placement) -> toned on its second ("hoà", "khoẻ", "thuỷ", the new placement), in every case.
OLD_TO_NEW: dict[str, str] = {}
for _tone in _TONES:
    for _first, _seconds in (("o", "ae"), ("u", "y")):
        for _f in (_first, _first.upper()):
            for _s in _seconds + _seconds.upper():
                OLD_TO_NEW[_toned(_f, _tone) + _s] = _f + _toned(_s, _tone)
NEW_TO_OLD: dict[str, str] = {new: old for old, new in OLD_TO_NEW.items()}

_OLD_PLACEMENT_RE = re.compile(
    # not after q ("quý" has its tone on y in both styles) and not before another letter;
    # character classes, not an alternation of the pairs, as the engine scans them far faster
    r"(?<![qQ])(?:[{o}][aeAE]|[{u}][yY])(?![^\W\d_])".format(
        o="".join(_toned(c, t) for c in "oO" for t in _TONES),
        u="".join(_toned(c, t) for c in "uU" for t in _TONES),
    )
)


def _place_tones(text: str) -> str:
    return _OLD_PLACEMENT_RE.sub(lambda m: OLD_TO_NEW[m.group(0)], text)


def tone_placements(syllable: str) -> tuple[str, str]:
    """``syllable`` with the old and with the new tone placement (the same when it has neither).

    ``qu`` is a consonant: "quý" has its tone on ``y`` in both placements.

    >>> tone_placements("hoà"), tone_placements("Thủy"), tone_placements("quý")
    (('hòa', 'hoà'), ('Thủy', 'Thuỷ'), ('quý', 'quý'))
    """
    ending = syllable[-2:]
    if ending in OLD_TO_NEW:
        old, new = ending, OLD_TO_NEW[ending]
    elif ending in NEW_TO_OLD:
        old, new = NEW_TO_OLD[ending], ending
    else:
        return syllable, syllable
    if syllable[-3:-2] in ("q", "Q"):
        return syllable, syllable
    return syllable[:-2] + old, syllable[:-2] + new


def _normal_nfc(text: str) -> str:
    """normalize() of a text already in NFC."""
    if "\u00d0" in text or "\u0189" in text:
        text = text.translate(_D_LOOKALIKES)
    return _place_tones(text)


def normalize(text: str) -> str:
    """Return the normal form of ``text``: NFC, ``Đ`` look-alikes fixed, new tone placement.

    Idempotent, and NFD input gives the same result as NFC input.

    >>> normalize("Hòa bình") == normalize("Hoà bình") == "Hoà bình"
    True
    >>> normalize("thủy lợi, sức khỏe, QUÝ")
    'thuỷ lợi, sức khoẻ, QUÝ'
    >>> normalize("\\u00d0\u1ea3ng") == "Đảng"
    True
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return _normal_nfc(text)


def normalize_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """Return ``(normalize(text), offsets)`` where ``offsets[i]`` is the index in ``text`` of
    the normalised character ``i`` (with one extra entry for the end), or ``None`` when the
    two strings line up character for character (the usual case: the input was NFC).

    >>> normalize_with_offsets("hoà")
    ('hoà', None)
    >>> normalize_with_offsets("ho\\u0300a")
    ('hoà', [0, 1, 3, 4])
    """
    if unicodedata.is_normalized("NFC", text):
        return _normal_nfc(text), None
    # Compose each run that starts at a base character on its own, so each output
    # character is known to come from one span of the input.
    out: list[str] = []
    offsets: list[int] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or unicodedata.combining(text[i]) == 0:
            piece = unicodedata.normalize("NFC", text[start:i])
            out.append(piece)
            # A run that composes into several characters (a base, then marks) maps its first
            # to the run's start and the rest to its end, so spans ending inside it cover it.
            offsets.append(start)
            offsets.extend([i] * (len(piece) - 1))
            start = i
    offsets.append(len(text))
    normal = "".join(out)
    # Tone placement and the Đ table swap characters one for one, so offsets still hold.
    return _normal_nfc(normal), offsets


def _build_fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0xC0, 0x1EFA):
        ch = chr(cp)
        decomposed = unicodedata.normalize("NFD", ch)
        base = decomposed[0]
        if (
            len(decomposed) > 1
            and base.isascii()
            and base.isalpha()
            and all(unicodedata.combining(c) for c in decomposed[1:])
        ):
            table[cp] = base.lower()
    table[ord("đ")] = table[ord("Đ")] = "d"
    table[0x00D0] = table[0x0189] = "d"
    return table


FOLD_TABLE: dict[int, str] = _build_fold_table()
"""``str.translate`` table folding each Vietnamese letter to its lower-case ASCII base, one
character for one (so offsets hold): what :func:`fold` does before unidecode and ``y``/``i``."""

# The initials of the open syllables whose final i may be written y: kỹ/kĩ, lý/lí, mỹ/mĩ, sỹ/sĩ,
# tỷ/tỉ, quý/quí, hy/hi.
_Y_AS_I_INITIALS = "h|k|l|m|qu|s|t"
_Y_AS_I_RE = re.compile(rf"^(?:{_Y_AS_I_INITIALS})y$")
_I_FROM_Y_RE = re.compile(rf"(?:{_Y_AS_I_INITIALS})i")


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics (``đ`` -> ``d``) and fold other letters with unidecode.

    Case is kept.

    >>> strip_diacritics("Đảng ủy Khối")
    'Dang uy Khoi'
    """
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    stripped = text.translate(_FOLD_TABLE_CASED)
    if stripped.isascii():
        return stripped
    return _unidecode(stripped)


def _build_cased_table() -> dict[int, str]:
    table = {}
    for cp, base in FOLD_TABLE.items():
        table[cp] = base.upper() if chr(cp).isupper() else base
    return table


_FOLD_TABLE_CASED = _build_cased_table()


def _unidecode(text: str) -> str:
    # imported on the first letter the table cannot fold: most texts never need its tables
    from unidecode import unidecode

    return unidecode(text)


def fold_syllable(syllable: str) -> str:
    """Merge the ``y``/``i`` spelling variants of an already folded syllable.

    Vietnamese writes the final vowel of some open syllables either way for one word:
    ``kỹ``/``kĩ``, ``lý``/``lí``, ``mỹ``/``mĩ``, ``sỹ``/``sĩ``, ``tỷ``/``tỉ``, ``quý``/``quí``,
    ``hy``/``hi``. The rule: a syllable made of exactly one of the initials h, k, l, m, qu, s, t
    and the vowel ``y`` folds to the same initial and ``i``. Nothing else changes, so different
    words stay apart: ``tay``/``tai``, ``thuy``/``thui``, ``my``/``may``.

    >>> [fold_syllable(s) for s in ["ky", "ly", "quy", "tay", "y", "thuy"]]
    ['ki', 'li', 'qui', 'tay', 'y', 'thuy']
    """
    if len(syllable) <= 3 and syllable.endswith("y") and _Y_AS_I_RE.match(syllable):
        return syllable[:-1] + "i"
    return syllable


def may_end_in_y(folded: str) -> bool:
    """True when :func:`fold_syllable` may have made the folded syllable ``folded`` from one
    ending in ``y``: the same initials and a final ``i``.

    >>> [may_end_in_y(s) for s in ["ki", "qui", "thi", "tai"]]
    [True, True, False, False]
    """
    return _I_FROM_Y_RE.fullmatch(folded) is not None


@functools.lru_cache(maxsize=65536)
def fold(token: str) -> str:
    """Return the folded form of a token (a syllable, an ``_``-joined word, a number, a URL).

    Idempotent. Vietnamese letters go through a table; other non-ASCII letters through
    unidecode; ``y``/``i`` variants merge per syllable (:func:`fold_syllable`).

    >>> fold("Đảng")
    'dang'
    >>> fold("Kỹ_thuật") == fold("kĩ_thuật") == "ki_thuat"
    True
    >>> fold("Tiếng Việt Ελληνικά")
    'tieng viet ellenika'
    """
    folded = token.lower().translate(FOLD_TABLE)
    if not folded.isascii():
        folded = _unidecode(unicodedata.normalize("NFC", folded)).lower()
    if "y" not in folded:
        return folded
    if "_" in folded:
        return "_".join(fold_syllable(part) for part in folded.split("_"))
    return fold_syllable(folded)


def has_diacritics(text: str) -> bool:
    """True when ``text`` has a Vietnamese diacritic or ``đ`` (the user typed accents).

    >>> has_diacritics("dang uy"), has_diacritics("Đảng ủy"), has_diacritics("ky")
    (False, True, False)
    """
    return text.translate(_FOLD_TABLE_CASED) != text



#: What must never reach a terminal, a JSON reader or a page from a document, a file name or a
#: query: C0 controls, DEL, C1 controls (CSI is U+009B), the bidi embeddings, overrides and
#: isolates, and the marks (LRM, RLM, ALM) that can reorder what is shown around them.
CONTROL_CHARS = (
    "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
)
_CONTROL_CLASS = f"[{CONTROL_CHARS}]"


@functools.lru_cache(maxsize=8)
def _controls_except(keep: str) -> re.Pattern[str]:
    # One pattern per set of kept characters ("\t" for snippets, "\n\t" for listings).
    kept = "".join(re.escape(c) for c in keep)
    return re.compile(f"(?![{kept}]){_CONTROL_CLASS}" if kept else _CONTROL_CLASS)


def strip_controls(text: str, keep: str = "") -> str:
    r"""``text`` for display: each control or bidi character becomes a space, except those in
    ``keep`` (say ``"\t"`` or ``"\n"``), so the text keeps its length and its words stay apart.

    >>> strip_controls("a\x1b[2Jb\u202ec\x9bd")
    'a [2Jb c d'
    >>> strip_controls("one\ntwo\tthree", keep="\n")
    'one\ntwo three'
    """
    return _controls_except(keep).sub(" ", text)
