"""vnsearch.vietnamese.segmenter: identical to pyvi where it claims to be, robust where it says so."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch.vietnamese.segmenter import join_flags, pieces, segment, tokenize


def _show(text: str, flags_of=segment) -> str:
    """The pieces of ``text`` joined as pyvi writes them: "Hải_Phòng tổ_chức"."""
    found = pieces(text)
    flags = flags_of(found)
    return "".join(("_" if joined else " ") + piece for piece, joined in zip(found, flags))[1:]


# ---------------------------------------------------------------------------------------------
# identical to pyvi


def test_tokenize_matches_pyvi_on_every_sample_line(vi_tokenizer, sample_texts):
    lines = [line for text in sample_texts for line in text.split("\n")]
    for line in lines:
        assert tokenize(line) == vi_tokenizer.tokenize(line), line


def test_tokenize_matches_pyvi_on_whole_articles(vi_tokenizer, sample_texts):
    # whole files: line breaks become pieces, and sequences run to thousands of pieces
    for text in sample_texts:
        assert tokenize(text) == vi_tokenizer.tokenize(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\n",
        "Hà Nội",
        "HÀ NỘI",
        "hòa bình và hoà bình",
        "Ha Noi mua thu",
        "Chiều 10/7, TP. Hải Phòng...",
        "Tp.HCM, ThS. Nguyễn Văn A, Mr. Smith, Dr. Who, Mrs. Ms. X.",
        "a ==> b -> c >> d ... e",
        "email: ten.ho+tag@vnsearch.example.vn, web: https://vnsearch.example/a?b=1",
        "1.000.000 đồng, 3,5%, 2_3, 12_34abc",
        "“Một người” – con người… (nhà) [cửa] {x}",
        "dòng một\ndòng hai\n\nđoạn mới",
        "Nghe\u0301 NFD: Vie\u0323\u0302t Nam",
        "a\x00b c\x00 \x00",
        "ΑΣ ΣΑ İstanbul ǅemal ß",
        "😀 👍🏽 e\u0301 \u200b \u00a0 x",
        "_ __ _a a_",
    ],
)
def test_tokenize_matches_pyvi_on_edge_cases(vi_tokenizer, text):
    assert tokenize(text) == vi_tokenizer.tokenize(text)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="aăâeêioôơuưyđAĐHhnNgG àáảãạờởữệụỳ.,:;!?-_/@\n\"'“”…", max_size=40))
def test_tokenize_matches_pyvi_on_random_text(vi_tokenizer, text):
    assert tokenize(text) == vi_tokenizer.tokenize(text)


def test_tokenize_returns_text_without_pieces_unchanged():
    assert tokenize(" \t ") == " \t "
    assert tokenize("") == ""


def test_join_flags_shapes():
    assert join_flags([]) == []
    assert join_flags(["Hà"]) == [False]
    flags = join_flags(pieces("Thành phố Hải Phòng tổ chức hội nghị."))
    assert flags == [False, True, False, True, False, True, False, True, False]


# ---------------------------------------------------------------------------------------------
# segment(): pyvi's traps fixed


def test_segment_joins_hai_phong():
    assert _show("Đảng ủy Khối các cơ quan thành phố Hải Phòng") == (
        "Đảng_ủy Khối các cơ_quan thành_phố Hải_Phòng"
    )


def test_segment_is_join_flags_when_not_robust():
    found = pieces("ĐỘI TUYỂN BÓNG ĐÁ VIỆT NAM. Hòa bình “một người”")
    assert segment(found, robust=False) == join_flags(found)


@pytest.mark.parametrize(
    "headline",
    [
        "ĐỘI TUYỂN BÓNG ĐÁ VIỆT NAM GIÀNH CHIẾN THẮNG",
        "ĐẢNG ỦY KHỐI CÁC CƠ QUAN THÀNH PHỐ TỔ CHỨC HỘI NGHỊ BAN CHẤP HÀNH",
    ],
)
def test_all_caps_headline_segments_like_its_lower_case_form(headline):
    found = pieces(headline)
    assert segment(found) == segment(pieces(headline.lower()))
    assert segment(found) != join_flags(found)  # pyvi alone misses words here


def test_all_caps_headline_then_normal_sentence():
    assert _show("ĐỘI TUYỂN VIỆT NAM THẮNG. Người hâm mộ ăn mừng ở Hà Nội.") == (
        "ĐỘI_TUYỂN VIỆT_NAM THẮNG . Người hâm_mộ ăn_mừng ở Hà_Nội ."
    )


def test_acronyms_do_not_make_a_sentence_all_caps():
    found = pieces("UBND TP Hà Nội yêu cầu các sở ngành báo cáo")
    assert segment(found) == join_flags(found)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hòa bình", "hoà bình"),
        ("sức khỏe", "sức khoẻ"),
        ("thủy lợi", "thuỷ lợi"),
        ("điều hòa", "điều hoà"),
        ("tùy chọn", "tuỳ chọn"),
    ],
)
def test_both_tone_placements_are_joined(old, new):
    assert segment(pieces(old)) == segment(pieces(new)) == [False, True]


def test_tone_placement_is_kept_after_qu():
    # "quý" has its tone on y in both placements: nothing to convert
    assert _show("Quý khách hàng") == _show("Quý khách hàng", join_flags)


def test_segment_never_joins_pieces_that_are_not_letters():
    text = "a\nb “một người” – con người… nhà\ncửa"
    found = pieces(text)
    flags = segment(found)
    for i, joined in enumerate(flags):
        if joined:
            assert found[i][0].isalpha() and found[i - 1][0].isalpha(), found[i - 1 : i + 1]


def test_segment_empty_and_punctuation_only():
    assert segment([]) == []
    found = pieces("... !!! ?? -- “” …")
    assert found and segment(found) == [False] * len(found)


def test_segment_long_input_finishes_and_keeps_sentences():
    sentence = pieces("Thành phố Hải Phòng tổ chức hội nghị Ban Chấp hành lần thứ 20.")
    long = sentence * (3000 // len(sentence) + 1)
    flags = segment(long[:3000])
    assert len(flags) == 3000
    assert flags[: len(sentence)] == segment(sentence + sentence)[: len(sentence)]
    assert sum(flags) > 3000 // len(sentence) * 4  # still segmented all the way through


def test_segment_long_input_without_punctuation():
    found = ["nhà", "cửa"] * 1500
    flags = segment(found)
    assert len(flags) == 3000 and any(flags[2900:])


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_segment_any_text(text):
    found = pieces(text)
    flags = segment(found)
    assert len(flags) == len(found) == len(join_flags(found))
    assert not flags or flags[0] is False


def test_threads_get_the_same_answers(sample_texts):
    texts = [line for text in sample_texts for line in text.split("\n") if line][:40]
    expected = [join_flags(pieces(text)) for text in texts]
    results: dict[int, list[list[bool]]] = {}

    def work(worker: int) -> None:
        results[worker] = [join_flags(pieces(text)) for text in texts]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result == expected for result in results.values())


# ---------------------------------------------------------------------------------------------
# lazy and light


_IMPORTS = """
import json, sys
import vnsearch
before = set(sys.modules)
import vnsearch.vietnamese.segmenter as segmenter
at_import = set(sys.modules) - before
segmenter.tokenize("Thành phố Hải Phòng")
after_use = set(sys.modules) - before
print(json.dumps({"at_import": sorted(at_import), "after_use": sorted(after_use)}))
"""


def test_import_and_use_pull_in_neither_pyvi_nor_sklearn_nor_numpy():
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS], cwd=root, capture_output=True, text=True, check=True
    )
    modules = json.loads(out.stdout)
    heavy = ("pyvi", "sklearn", "sklearn_crfsuite", "numpy")
    for stage in ("at_import", "after_use"):
        loaded = {name.split(".")[0] for name in modules[stage]}
        assert not loaded & set(heavy), (stage, loaded & set(heavy))
    # The model's weights are read from its bytes: crfsuite itself is not needed to tag.
    assert "pycrfsuite" not in modules["after_use"]
