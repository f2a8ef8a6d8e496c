"""vnsearch.vietnamese.pieces: pyvi's piece pattern, the scan built on it, numbers and parts."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.vietnamese.pieces import (
    LEADING_SPACES_RE,
    NUMBER_RE,
    PART_RE,
    PIECE_RE,
    SCAN_RE,
)
from vnsearch.vietnamese.segmenter import pieces


def test_pieces_match_pyvi_sylabelize(vi_tokenizer, sample_texts):
    for text in sample_texts:
        _, expected = vi_tokenizer.ViTokenizer.sylabelize(text)
        assert pieces(text) == expected


def test_piece_re_offsets_index_the_nfc_text():
    text = unicodedata.normalize("NFD", "Đảng ủy Khối, 10/7.")
    nfc = unicodedata.normalize("NFC", text)
    assert [nfc[m.start() : m.end()] for m in PIECE_RE.finditer(nfc)] == pieces(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="aăâđêôơưAĐ hàởữ019.,:;!?-_/@\n\t\u00a0\"'“”…=>", max_size=60))
def test_scan_gives_piece_re_pieces_and_their_offsets(text):
    scanned = SCAN_RE.findall(text)
    matches = list(PIECE_RE.finditer(text))
    assert [piece for piece, _, _ in scanned] == [m.group(0) for m in matches]
    pos = LEADING_SPACES_RE.match(text).end()
    for (piece, glued, spaces), m in zip(scanned, matches):
        assert pos == m.start()  # the offsets follow from the lengths, as SCAN_RE says
        pos += len(piece)
        assert glued == (text[pos] if pos < len(text) and not text[pos].isspace() else "")
        pos += len(spaces)


@pytest.mark.parametrize(
    ("piece", "number"),
    [("10.000", True), ("3,5", True), ("1_000", True), ("2019", False), ("10/7", False), ("1.", False)],
)
def test_number_re(piece, number):
    assert bool(NUMBER_RE.fullmatch(piece)) is number


def test_number_re_is_pyvis_number_piece():
    # the number alternative of PIECE_RE and NUMBER_RE are one pattern: a number is one piece
    for number in ["10.000", "3,5", "1_000_000", "1.234,5"]:
        assert [m.group(0) for m in PIECE_RE.finditer(f"giá {number} đồng")] == ["giá", number, "đồng"]


def test_part_re_finds_letters_and_digits_only():
    assert PART_RE.findall("tp.hcm_2019 “Hải–Phòng”") == ["tp", "hcm", "2019", "Hải", "Phòng"]
