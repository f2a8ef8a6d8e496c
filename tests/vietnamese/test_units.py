"""vnsearch.vietnamese.units: syllables and words with exact offsets into the original text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.vietnamese import units as units_module
from vnsearch.vietnamese.text import normalize
from vnsearch.vietnamese.units import MAX_TOKEN_CHARS, Unit, analyse, units


def _texts(value: str, words: bool = True) -> list[tuple[str, str | None]]:
    return [(u.text, u.word) for u in units(value, words)]


def test_words_and_glued_runs_ride_on_their_first_unit():
    assert _texts("Thành phố Hải Phòng, ngày 10/7/2019") == [
        ("Thành", "Thành_phố"),
        ("phố", None),
        ("Hải", "Hải_Phòng"),
        ("Phòng", None),
        ("ngày", None),
        ("10", "10/7/2019"),
        ("7", None),
        ("2019", None),
    ]
    assert _texts("Thành phố Hải Phòng", words=False) == [
        ("Thành", None),
        ("phố", None),
        ("Hải", None),
        ("Phòng", None),
    ]


def test_numbers_stay_whole_and_punctuation_is_dropped():
    assert _texts("giá 10.000 đồng (3,5%)!") == [
        ("giá", None),
        ("10.000", None),
        ("đồng", None),
        ("3,5", None),
    ]


def test_offsets_index_the_original_nfd_text():
    original = unicodedata.normalize("NFD", "Hòa bình ở Hải Phòng.")
    found = units(original, True)
    assert [original[u.start : u.end] for u in found] == original.rstrip(".").split()
    assert [u.text for u in found] == ["Hoà", "bình", "ở", "Hải", "Phòng"]  # the normal form
    head = next(u for u in found if u.word == "Hải_Phòng")
    assert original[head.start : head.word_end] == unicodedata.normalize("NFD", "Hải Phòng")


def test_runs_longer_than_max_token_chars_give_no_unit():
    assert _texts("a " + "x" * (MAX_TOKEN_CHARS + 1) + " b", words=False) == [("a", None), ("b", None)]
    assert _texts("x" * MAX_TOKEN_CHARS, words=False) == [("x" * MAX_TOKEN_CHARS, None)]


def test_huge_texts_are_analysed_slice_by_slice_with_the_same_units(monkeypatch):
    paragraph = "Thành phố Hải Phòng tổ chức hội nghị ngày 10/7/2019.\n"
    text = paragraph * 40
    whole = units(text, True)
    monkeypatch.setattr(units_module, "_SLICE_CHARS", 3 * len(paragraph) + 5)
    assert tuple(analyse(text, True)) == whole
    assert all(isinstance(u, Unit) for u in whole)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="aăâđêôơưAĐhoàởữy019.,:/@_-\n \u0300\u0301\u0323", max_size=60),
    st.booleans(),
)
def test_every_unit_maps_back_to_its_text(value, words):
    found = units(value, words)
    nfc = unicodedata.is_normalized("NFC", value)
    end = 0
    for unit in found:
        assert end <= unit.start < unit.end <= unit.word_end <= len(value)
        source = normalize(value[unit.start : unit.end])
        # a mark that composes with nothing stays in the span of the letter before it
        assert source == unit.text if nfc else unit.text in source
        end = unit.end
        if unit.word is not None:
            assert any(other.end == unit.word_end for other in found)  # a word ends on a unit
