"""The Whoosh tokenizer and analyzers: offsets, words, glued units, pickling."""

from __future__ import annotations

import pickle
import subprocess
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.analysis import VietnameseTokenizer, exact_analyzer, folded_analyzer
from vnsearch.vietnamese.text import fold, normalize


def tokens(analyzer, text):
    return [(t.text, text[t.startchar : t.endchar]) for t in analyzer(text, positions=True, chars=True)]


def texts(analyzer, text):
    return [t.text for t in analyzer(text)]


def test_syllables_and_words():
    got = texts(exact_analyzer(), "Đảng ủy Khối các cơ quan thành phố Hải Phòng")
    assert "hải_phòng" in got and "hải" in got and "phòng" in got
    assert "cơ_quan" in got
    assert got.count("hải") == 1


def test_words_come_first_with_the_position_of_their_first_syllable():
    toks = list((t.text, t.pos, t.startchar, t.endchar) for t in exact_analyzer()("ở Hải Phòng", positions=True, chars=True))
    assert ("hải_phòng", 1, 2, 11) in toks
    assert ("hải", 1, 2, 5) in toks
    assert ("phòng", 2, 6, 11) in toks
    assert [t[0] for t in toks].index("hải_phòng") < [t[0] for t in toks].index("hải")


def test_folded_analyzer():
    assert texts(folded_analyzer(), "Đảng ủy Khối") == texts(folded_analyzer(), "dang uy khoi") or "dang" in texts(
        folded_analyzer(), "Đảng ủy Khối"
    )
    assert set(texts(folded_analyzer(), "Hải Phòng")) >= {"hai_phong", "hai", "phong"}


@pytest.mark.parametrize("old, new", [("hòa bình", "hoà bình"), ("thủy lợi", "thuỷ lợi"), ("sức khỏe", "sức khoẻ")])
def test_tone_placement_does_not_change_tokens(old, new):
    assert texts(exact_analyzer(), old) == texts(exact_analyzer(), new)


def test_nfd_input_has_offsets_into_the_original():
    text = unicodedata.normalize("NFD", "Hòa bình ở Hải Phòng")
    for tok, source in tokens(exact_analyzer(words=False), text):
        assert normalize(source).lower() == tok


def test_all_caps_headline_is_segmented_like_lower_case():
    upper = texts(exact_analyzer(), "ĐẢNG ỦY KHỐI CÁC CƠ QUAN THÀNH PHỐ HẢI PHÒNG")
    lower = texts(exact_analyzer(), "đảng ủy khối các cơ quan thành phố hải phòng")
    assert upper == lower
    assert "thành_phố" in upper and "cơ_quan" in upper


def test_dates_are_whole_and_in_parts():
    got = tokens(exact_analyzer(), "Chiều 10/7/2019, hội nghị")
    assert ("10/7/2019", "10/7/2019") in got
    assert ("2019", "2019") in got and ("7", "7") in got


def test_abbreviations_urls_and_emails():
    got = texts(exact_analyzer(), "TP.HCM và ĐBQH; xem https://vnexpress.net/tin-tuc-123.html hoặc gửi toa.soan@baochinhphu.vn.")
    assert "tp.hcm" in got and "hcm" in got
    assert "đbqh" in got
    assert "https://vnexpress.net/tin-tuc-123.html" in got and "vnexpress" in got and "123" in got
    assert "toa.soan@baochinhphu.vn" in got and "baochinhphu" in got


def test_numbers_with_separators_stay_whole():
    assert "10.000" in texts(exact_analyzer(), "giá 10.000 đồng")
    assert "3,5" in texts(exact_analyzer(), "tăng 3,5%")


def test_mixed_vietnamese_and_english():
    got = texts(exact_analyzer(), "Apple ra mắt iPhone mới tại Việt Nam")
    assert "apple" in got and "iphone" in got and "việt_nam" in got


def test_punctuation_and_emoji_are_dropped():
    assert texts(exact_analyzer(), "!!! ... 🎉🎉 ?") == []
    assert texts(exact_analyzer(), "Vui quá 🎉") == ["vui", "quá"]


def test_empty_text():
    assert texts(exact_analyzer(), "") == []


def test_folding_in_analyzers_merges_y_and_i():
    assert texts(folded_analyzer(), "kỹ thuật") == texts(folded_analyzer(), "kĩ thuật")


def test_analyzers_pickle_and_compare_equal_by_settings():
    for make in (exact_analyzer, folded_analyzer):
        a = make()
        b = pickle.loads(pickle.dumps(a))
        assert a == b
        assert texts(a, "Hải Phòng") == texts(b, "Hải Phòng")
    assert VietnameseTokenizer(words=True) != VietnameseTokenizer(words=False)


def test_pickled_analyzer_works_in_another_process():
    blob = pickle.dumps(exact_analyzer())
    code = (
        "import pickle, sys; a = pickle.loads(sys.stdin.buffer.read()); "
        "print(' '.join(t.text for t in a('thành phố Hải Phòng')))"
    )
    out = subprocess.run([sys.executable, "-c", code], input=blob, capture_output=True, check=True)
    assert "hải_phòng" in out.stdout.decode("utf-8")


def test_import_does_not_load_pyvi_or_sklearn():
    code = "import sys, vnsearch, vnsearch.analysis; print(sorted(m for m in ('pyvi', 'sklearn', 'pycrfsuite') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_analysis_never_raises_and_offsets_point_at_the_source(text):
    for t in exact_analyzer(words=False)(text, positions=True, chars=True):
        source = text[t.startchar : t.endchar]
        assert source
        assert normalize(source).lower() == t.text or t.text.startswith(normalize(source).lower()[:1])


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ .,/:-@\n")), max_size=80))
def test_vietnamese_like_text_with_words(text):
    for t in folded_analyzer()(text, positions=True, chars=True):
        assert t.text == fold(t.text)
        assert 0 <= t.startchar < t.endchar <= len(text)


def test_a_character_that_normalises_into_several_keeps_its_span():
    # U+0A33 is excluded from composition: NFC turns it into a letter and a nukta.
    text = "\u0a33 Hải"
    spans = [text[t.startchar : t.endchar] for t in exact_analyzer(words=False)(text, chars=True)]
    assert spans == ["\u0a33", "Hải"]
