"""The cluster's analysis chain gives vnsearch.analysis's tokens: text, position and offsets.

Compared through the index's ``_analyze`` API on the sample corpus and on adversarial strings.
Two differences are known and checked as such: letters outside Latin (Greek, Cyrillic, CJK)
are not transliterated by the engine's ``asciifolding`` in the folded twin (vnsearch folds
them with unidecode); and the parts of a number glued to letters (``1,5kg``) carry the span
of the whole unit, as ``word_delimiter_graph`` does when a char filter changed the length.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from vnsearch.analysis import exact_analyzer, folded_analyzer
from vnsearch.opensearch import RemoteIndex

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "sample_corpus"

ADVERSARIAL = [
    unicodedata.normalize("NFD", "Hòa bình, sức khỏe, thủy lợi, Đảng ủy, người Việt"),
    "Ðảng ủy và Ɖà Nẵng: Đ look-alikes",
    "hòa hoà HÒA HOÀ, khỏe khoẻ, thủy thuỷ, quý QUÝ, hóa hoá, lòe loè",
    "quý khách, lý do, Mỹ Tho, kỹ sư, hy vọng, tỷ lệ, sĩ quan",
    "https://vnexpress.net/thoi-su/hai-phong-123.html và http://a.vn?x=1&y=2",
    "e-mail: nguyen.van.a@gmail.com, TP.HCM, Tp. Hà Nội, ThS. Lê",
    "10.000 người, 3,5 triệu, 1_000, 25/12/2019, 10/7, 2019-07-10, 6.0L, 1,5kg., 100%",
    "U23 Việt Nam, COVID-19, iPhone15, H5N1, 4G/5G, F1, A4",
    "  nhiều   khoảng  trắng\n\nxuống dòng\tvà tab ... ==> kết thúc!!! (ngoặc) [vuông] «kép»",
    "Ελληνικά, Москва, 東京, straße, Æsir, naïve café",
    "x" * 120 + " dài quá " + "https://e.vn/" + "a" * 120,
]
_NON_LATIN = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u3000-\u9fff]")


def _local(text: str, folded: bool) -> list[tuple[int, str, int, int]]:
    analyzer = folded_analyzer() if folded else exact_analyzer()
    return sorted((t.pos, t.text, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True))


def _engine(index: RemoteIndex, text: str, folded: bool) -> list[tuple[int, str, int, int]]:
    return sorted((t["position"], t["token"], t["start_offset"], t["end_offset"]) for t in index.analyze(text, folded))


def _glued_to_digits(text: str, start: int, end: int) -> bool:
    """A span holding a number glued to what follows (1,5kg): its parts take its whole span."""
    return bool(re.search(r"\d[^\W\d_]|\d\d", text[start:end])) and not text[start:end].isalnum()


def _compare(index: RemoteIndex, text: str) -> dict[str, Any]:
    report: dict[str, Any] = {"tokens": 0, "offsets_differ": 0}
    for folded in (False, True):
        mine, theirs = _local(text, folded), _engine(index, text, folded)
        report["tokens"] += len(mine)
        texts_mine = [(p, t) for p, t, _, _ in mine]
        texts_theirs = [(p, t) for p, t, _, _ in theirs]
        if folded and _NON_LATIN.search(text):
            # Only tokens with non-Latin letters may differ, and only in the folded twin.
            keep = [i for i, (_, t, s, e) in enumerate(mine) if not _NON_LATIN.search(text[s:e])]
            texts_mine = [texts_mine[i] for i in keep]
            texts_theirs = [x for x in texts_theirs if not _NON_LATIN.search(x[1]) and x[1].isascii()]
            assert texts_theirs == texts_mine, (folded, text)
            continue
        assert texts_theirs == texts_mine, (folded, text)
        for (_, t, s, e), (_, _, s2, e2) in zip(mine, theirs):
            if (s, e) != (s2, e2):
                report["offsets_differ"] += 1
                assert s2 <= s and e <= e2 and _glued_to_digits(text, s2, e2), (t, (s, e), (s2, e2), text)
    return report


@pytest.fixture(scope="module")
def analysis_index(client: Any) -> Any:
    index = RemoteIndex(client, "vnsearch-test-analysis").create(overwrite=True)
    yield index
    index.drop()


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_adversarial_strings_analyse_alike(analysis_index, text):
    _compare(analysis_index, text)


def test_sample_corpus_analyses_alike(analysis_index, capsys):
    tokens = differ = 0
    for path in sorted(SAMPLE_CORPUS.glob("*.txt")):
        report = _compare(analysis_index, path.read_text(encoding="utf-8"))
        tokens += report["tokens"]
        differ += report["offsets_differ"]
    with capsys.disabled():
        print(f"\nsample corpus: {tokens} tokens (exact and folded), {differ} with the whole unit's span")
    assert tokens > 1000
