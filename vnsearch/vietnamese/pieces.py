"""The regular expressions that cut text into pieces: syllables, numbers, URLs, e-mails.

:data:`PIECE_RE` is pyvi's own piece pattern (what its CRF labels), :data:`SCAN_RE` the same
pieces with what follows each (what the analysis scans), :data:`NUMBER_RE` a number written
with separators and :data:`PART_RE` a run of letters and digits (the tokens inside a piece).
Every other module imports them from here.

>>> [m.group(0) for m in PIECE_RE.finditer("TP. Hải Phòng, 10.000 người...")]
['TP.', 'Hải', 'Phòng', ',', '10.000', 'người', '...']
>>> SCAN_RE.findall("Hà Nội, 10/7")  # doctest: +NORMALIZE_WHITESPACE
[('Hà', '', ' '), ('Nội', ',', ''), (',', '', ' '),
 ('10', '/', ''), ('/', '7', ''), ('7', '', '')]
>>> bool(NUMBER_RE.fullmatch("3,5")), bool(NUMBER_RE.fullmatch("10/7"))
(True, False)
>>> PART_RE.findall("tp.hcm_2019")
['tp', 'hcm', '2019']
"""

from __future__ import annotations

import re

__all__ = ["PIECE_RE", "SCAN_RE", "NUMBER_RE", "PART_RE", "LEADING_SPACES_RE"]

# The pattern of pyvi's ViTokenizer.sylabelize, alternative for alternative and in order.
_ABBREVIATIONS = [r"[A-ZĐ]+\.", r"Tp\.", r"Mr\.", r"Mrs\.", r"Ms\.", r"Dr\.", r"ThS\."]
_SPECIALS = [r"==>", r"->", r"\.\.\.", r">>", "\n"]
_WEB = r"\w+://[^\s]+"
# pyvi's groups made non-capturing: the same matches, and findall() returns SCAN_RE's groups.
_EMAIL = r"(?:[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)"
# A number written with separators stays one piece (and one token): 10.000, 3,5, 1_000.
_NUMBER = r"\d+(?:[\.,_]\d+)+"
_NON_WORD = r"[^\w\s]"
_WORD = r"\w+"
_PIECE = "(" + "|".join([*_ABBREVIATIONS, *_SPECIALS, _WEB, _EMAIL, _NUMBER, _NON_WORD, _WORD]) + ")"

PIECE_RE: re.Pattern[str] = re.compile(_PIECE)
"""pyvi's piece pattern: ``PIECE_RE.finditer(nfc_text)`` gives the pieces with their offsets
in the NFC form of the text, which is what pyvi splits."""

SCAN_RE: re.Pattern[str] = re.compile(_PIECE + r"(?=(\S)?)([^\S\n]*)")
"""PIECE_RE's pieces with what follows each: ``SCAN_RE.findall(nfc_text)`` gives
``(piece, glued, spaces)`` triples, ``glued`` the first character of the next piece when it
starts right after this one (else ``""``), ``spaces`` the whitespace after it but for a
newline, itself a piece.
Pieces cover every other character, so the offsets follow from the lengths (and from
:data:`LEADING_SPACES_RE` before the first piece)."""

NUMBER_RE: re.Pattern[str] = re.compile(_NUMBER)
"""A number with separators, one token whole: ``NUMBER_RE.fullmatch(piece)``."""

PART_RE: re.Pattern[str] = re.compile(r"[^\W_]+")
"""A run of letters and digits: the tokens of a piece that is not a number."""

LEADING_SPACES_RE: re.Pattern[str] = re.compile(r"[^\S\n]*")
"""The spaces before a text's first piece, which SCAN_RE's triples do not cover."""
