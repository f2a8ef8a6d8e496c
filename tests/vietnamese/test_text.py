"""Normalisation and folding: literal Vietnamese cases and properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vnsearch.vietnamese.text import (
    FOLD_TABLE,
    NEW_TO_OLD,
    OLD_TO_NEW,
    fold,
    fold_syllable,
    may_end_in_y,
    normalize,
    normalize_with_offsets,
    strip_diacritics,
    tone_placements,
)


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("hòa bình", "hoà bình"),
        ("hoà bình", "hoà bình"),
        ("thủy lợi", "thuỷ lợi"),
        ("thuỷ lợi", "thuỷ lợi"),
        ("sức khỏe", "sức khoẻ"),
        ("HÒA BÌNH", "HOÀ BÌNH"),
        ("Thủy", "Thuỷ"),
        ("Ủy ban", "Uỷ ban"),
        ("hoàng", "hoàng"),  # a final consonant: the tone already sits on a
        ("quý", "quý"),  # qu + y: tone on y in both styles
        ("tòa án", "toà án"),
        ("xòe", "xoè"),
        ("ngoài", "ngoài"),
        ("", ""),
    ],
)
def test_normalize_tone_placement(text, expected):
    assert normalize(text) == expected
    assert normalize(nfd(text)) == expected


def test_normalize_d_lookalikes():
    assert normalize("\u00d0ảng") == "Đảng"  # Icelandic eth
    assert normalize("\u0189ảng") == "Đảng"  # African D


def test_nfd_and_nfc_give_the_same_normal_form():
    text = "Đảng ủy Khối các cơ quan thành phố Hải Phòng, thủy lợi"
    assert normalize(nfd(text)) == normalize(text)


def test_offsets_map_back_to_nfd_source():
    source = nfd("Hòa bình")
    normal, offsets = normalize_with_offsets(source)
    assert normal == "Hoà bình"
    assert offsets is not None and len(offsets) == len(normal) + 1
    assert source[offsets[0] : offsets[3]] == nfd("Hòa")
    assert offsets[-1] == len(source)


@pytest.mark.parametrize(
    "token, expected",
    [
        ("Đảng", "dang"),
        ("đường", "duong"),
        ("ĐBQH", "dbqh"),
        ("Hải_Phòng", "hai_phong"),
        ("kỹ", "ki"),
        ("kĩ", "ki"),
        ("lý", "li"),
        ("lí", "li"),
        ("Mỹ", "mi"),
        ("Mĩ", "mi"),
        ("sỹ", "si"),
        ("tỷ", "ti"),
        ("tỉ", "ti"),
        ("quý", "qui"),
        ("quí", "qui"),
        ("tay", "tay"),
        ("tai", "tai"),
        ("thủy", "thuy"),
        ("thủi", "thui"),
        ("kỹ_thuật", "ki_thuat"),
        ("café", "cafe"),
        ("Москва", "moskva"),
        ("2019", "2019"),
    ],
)
def test_fold(token, expected):
    assert fold(token) == expected


def test_fold_never_merges_different_rhymes():
    assert fold("tay") != fold("tai")
    assert fold("may") != fold("mai")
    assert fold("thuy") != fold("thui")


def test_fold_syllable_only_touches_open_i_y_syllables():
    assert fold_syllable("ky") == "ki"
    assert fold_syllable("sky") == "sky"
    assert fold_syllable("y") == "y"


def test_strip_diacritics_keeps_case():
    assert strip_diacritics("Đảng ủy Khối") == "Dang uy Khoi"


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@given(st.text())
def test_fold_is_idempotent(text):
    once = fold(text)
    assert fold(once) == once


@given(st.text(alphabet="aăâeêioôơuưyđAĂÂEÊIOÔƠUƯYĐ\u0300\u0301\u0303\u0309\u0323 hgnqt", max_size=30))
def test_nfd_input_gives_the_same_normal_form(text):
    assert normalize(nfd(text)) == normalize(unicodedata.normalize("NFC", text))


def test_the_tone_table_has_both_placements_of_every_tone():
    # oa, oe, uy in four cases each (oa oA Oa OA...) and five tones: 3 * 4 * 5
    assert len(OLD_TO_NEW) == len(NEW_TO_OLD) == 60
    for old, new in OLD_TO_NEW.items():
        assert normalize(old) == new and normalize(new) == new
        assert NEW_TO_OLD[new] == old
        assert fold(old) == fold(new)


@pytest.mark.parametrize(
    ("syllable", "placements"),
    [
        ("hoà", ("hòa", "hoà")),
        ("hòa", ("hòa", "hoà")),
        ("KHOẺ", ("KHỎE", "KHOẺ")),
        ("thủy", ("thủy", "thuỷ")),
        ("quý", ("quý", "quý")),
        ("QUÝ", ("QUÝ", "QUÝ")),
        ("hoàn", ("hoàn", "hoàn")),
        ("a", ("a", "a")),
    ],
)
def test_tone_placements(syllable, placements):
    assert tone_placements(syllable) == placements


@given(st.text(alphabet="hklmqustyiu", min_size=1, max_size=4))
def test_may_end_in_y_is_where_fold_syllable_merges_y_and_i(syllable):
    folded = fold_syllable(syllable)
    if folded != syllable:
        assert may_end_in_y(folded)
    if may_end_in_y(syllable):
        assert fold_syllable(syllable[:-1] + "y") == syllable


def test_the_fold_table_folds_one_character_for_one():
    text = "Đảng ủy Khối các cơ quan"
    assert text.lower().translate(FOLD_TABLE) == "dang uy khoi cac co quan"
    assert all(len(base) == 1 for base in FOLD_TABLE.values())
