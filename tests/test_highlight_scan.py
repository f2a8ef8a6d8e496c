"""find_spans scans for the query's syllables and tokenizes only around them: it must give
exactly the spans that tokenizing the whole text gives."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import highlight as hl
from vnsearch.analysis import CompoundWordFilter, VietnameseTokenizer
from vnsearch.vietnamese.text import fold


def everywhere(text, exact, folded):
    """The reference: every token of the whole text, from the analyzer, checked against the terms."""
    spans = []
    for t in CompoundWordFilter()(VietnameseTokenizer(words=False)(text, chars=True)):
        lower = t.text.lower()
        if lower in exact or fold(lower) in folded:
            spans.append((t.startchar, t.endchar))
    return hl._merge(spans, text)


def tokens(text):
    return [t.text.lower() for t in CompoundWordFilter()(VietnameseTokenizer(words=False)(text, chars=True))]


TEXTS = [
    "Đảng ủy Khối các cơ quan thành phố Hải Phòng tổ chức hội nghị lần thứ 20.",
    "Động cơ 6.0L, dung tích 1,5kg; giá 2.000đ/kg và 7-7,5L/100km.",
    "Liên hệ toa.soan@baochinhphu.vn hoặc https://vnexpress.net/tin-tuc-123.html ngay.",
    "TP.HCM, ngày 10/7/2019: Kỹ thuật, kĩ sư, lý do, lí lẽ, QUÝ khách, hòa bình, hoà bình.",
    "Xe ô tô\nchạy\ttrên đường\u00a0cao tốc; “Thủy lợi” – sức khỏe… ĐẢNG ỦY",
    "Tiếng Việt Ελληνικά, naïve café, Straße İstanbul ﬁ",
    unicodedata.normalize("NFD", "Hòa bình ở Hải Phòng, thủy lợi và kỹ thuật."),
    "snake_case foo_bar 3a 3.5a a3 x2.0y ___ __init__ l L",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_spans_as_tokenizing_everything(text):
    toks = tokens(text)
    for i, token in enumerate(toks):
        for exact, folded in (({token}, set()), (set(), {fold(token)}), ({token}, {fold(toks[i - 1])})):
            assert hl.find_spans(text, exact, folded) == everywhere(text, exact, folded), (token, exact, folded)


def test_folded_query_finds_accented_and_spelling_variants():
    text = "Kỹ thuật và kĩ sư, hòa bình"
    spans = hl.find_spans(text, set(), {"ki", "hoa"})
    assert [text[s:e] for s, e in spans] == ["Kỹ", "kĩ", "hòa"]


def test_no_terms_or_no_letters():
    assert hl.find_spans("Hải Phòng", set(), set()) == []
    assert hl.find_spans("Hải Phòng", {"..."}, {"--"}) == []
    assert hl.find_spans("", {"hải"}, set()) == []


_PIECES = st.sampled_from(
    ["Hải", "phòng", "hòa", "hoà", "kỹ", "kĩ", "ky", "ĐẢNG", "ủy", "6.0", "L", "1,5", "kg", "10/7/2019",
     "TP.", "HCM", "a@b.vn", "http://x.vn/a-1", "_", "x2", "3a", "Ελλη", "ﬁ", "İ", "…", "“", "."]
)
_SEPARATORS = st.sampled_from(["", "", " ", " ", "\n", "\t", ", ", "\u00a0"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PIECES, _SEPARATORS), max_size=25), st.data())
def test_same_spans_on_generated_text(parts, data):
    text = "".join(p + s for p, s in parts)
    if data.draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    toks = tokens(text) or ["hải"]
    chosen = data.draw(st.lists(st.sampled_from(toks), min_size=1, max_size=3))
    exact = set(chosen) if data.draw(st.booleans()) else set()
    folded = {fold(t) for t in chosen}
    assert hl.find_spans(text, exact, folded) == everywhere(text, exact, folded)


def test_highlighting_looks_only_as_far_as_max_analyzed_chars():
    from vnsearch.highlight import MAX_ANALYZED_CHARS, find_spans

    filler = "x " * (MAX_ANALYZED_CHARS // 2)
    text = "Hải Phòng " + filler + "Hải Phòng"
    spans = find_spans(text, set(), {"hai", "phong"})
    assert spans == [(0, 9)]  # the far occurrence is past the analysed prefix


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PIECES, _SEPARATORS), max_size=25), st.data())
def test_one_scan_for_a_phrases_syllables_finds_what_one_scan_each_does(parts, data):
    text = "".join(p + s for p, s in parts)
    toks = tokens(text) or ["hải"]
    chosen = data.draw(st.lists(st.sampled_from(toks + ["vắng"]), min_size=1, max_size=4))
    terms = [({t}, set()) if data.draw(st.booleans()) else (set(), {fold(t)}) for t in chosen]
    assert hl._each_term_spans(text, terms) == [hl._term_spans(text, e, f) for e, f in terms]
