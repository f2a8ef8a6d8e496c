"""Accents restored as evidence: the spellings of a folded syllable and their posteriors."""

from __future__ import annotations

import math

import pytest

from vnsearch.vietnamese import text as _text
from vnsearch.vietnamese.accents import MAX_CANDIDATES, accentings, posteriors
from vnsearch.vietnamese.units import units


def test_every_accented_syllable_of_the_sample_articles_is_a_spelling_of_its_fold(sample_texts):
    seen = 0
    for text in sample_texts:
        for unit in units(text, False):
            syllable = unit.text.lower()
            if not syllable.isalpha() or not _text.has_diacritics(syllable):
                continue
            seen += 1
            assert syllable in accentings(_text.fold(syllable)), syllable
    assert seen > 1000


@pytest.mark.parametrize("folded", ["dang", "nguyen", "truong", "hoa", "ki", "qui", "uy", "a"])
def test_spellings_fold_back_and_are_written_as_the_index_writes_them(folded):
    spellings = accentings(folded)
    assert folded in spellings and len(set(spellings)) == len(spellings)
    for s in spellings:
        assert _text.fold(s) == folded
        assert _text.normalize(s) == s  # the new tone placement (hoà), as the exact fields hold it


@pytest.mark.parametrize("token", ["covid19", "10", "Dang", "đang", "abcdefgh", "aoeui", "x_y", ""])
def test_what_is_not_a_folded_syllable_has_no_spellings(token):
    assert accentings(token) == ()


def _counts(table):
    return lambda term: table.get(term, 0)


def test_without_words_each_syllable_keeps_its_prior():
    table = {"đang": 60, "đảng": 30, "dạng": 10, "uỷ": 5, "uy": 15}
    p = posteriors(["dang", "uy"], _counts(table))
    assert p[0] == pytest.approx({"đang": 0.6, "đảng": 0.3, "dạng": 0.1})
    assert p[1] == pytest.approx({"uy": 0.75, "uỷ": 0.25})


def test_a_word_the_index_knows_accents_its_syllables_as_written_there():
    table = {"đang": 600, "đảng": 30, "uỷ": 5, "uy": 150, "đảng_uỷ": 25}
    left, right = posteriors(["dang", "uy"], _counts(table))
    assert max(left, key=left.get) == "đảng" and max(right, key=right.get) == "uỷ"
    # The evidence reaches along the chain: "khoi" next to "uy" does not undo it.
    table |= {"khối": 40, "khói": 20}
    first, _, third = posteriors(["dang", "uy", "khoi"], _counts(table))
    assert max(first, key=first.get) == "đảng" and third == pytest.approx({"khối": 2 / 3, "khói": 1 / 3})


def test_unknown_syllables_leave_their_neighbours_alone():
    table = {"hà": 80, "há": 20, "nội": 90, "nói": 10, "hà_nội": 70}
    p = posteriors(["zzq", "ha", "noi", "12"], _counts(table))
    assert p[0] == {} and p[3] == {}
    assert max(p[1], key=p[1].get) == "hà" and max(p[2], key=p[2].get) == "nội"
    for dist in p[1:3]:
        assert math.isclose(sum(dist.values()), 1.0)


def test_only_the_commonest_spellings_are_kept():
    table = {s: i + 1 for i, s in enumerate(accentings("ma"))}
    (p,) = posteriors(["ma"], _counts(table))
    assert len(p) == MAX_CANDIDATES
    assert set(p) == set(sorted(table, key=table.get)[-MAX_CANDIDATES:])
