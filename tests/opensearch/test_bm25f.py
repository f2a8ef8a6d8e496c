"""Words in no particular field are scored by BM25F: the engine's score of a one-word query is
the model's, computed here from each field's analysed tokens and the index's field weights.

The model (the local engine's too): over the text fields f, for a term t and a twin X (exact
or folded), tf = sum w_f * tf_f(t), L = sum w_f * len_f, and BM25 of tf, L and the combined
statistics, times the clause's boost. Lucene's own choices are reproduced, not tolerated:
lengths are stored in one byte (SmallFloat.intToByte4), a length counts the tokens that take
a position (a pyvi word over its syllables does not), the mean length is every token over the
documents. (OpenSearch keeps the model's constant factor k1 + 1, which Lucene 9 leaves out.)
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from vnsearch import Document
from vnsearch.opensearch import RemoteIndex, index_settings
from vnsearch.opensearch.analysis import COMBINED_FIELD
from vnsearch.opensearch.local import SearchSettings, fold, has_diacritics, load

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "sample_corpus"
# Weights that are not the defaults, one of them not whole: what the index bakes in is tested.
SETTINGS = SearchSettings(title_weight=3.0, other_weight=1.6)
BAKED = {"title": 3, "body": 1, "author": 2}
MADE = [
    Document(id="m1", title="Phòng chống bão", body="Người dân phòng bão, phòng lũ.", fields={"author": "Phong"}),
    Document(id="m2", title="Hải Phòng", body="Thành phố cảng.", fields={"author": "Trần Phòng Phòng"}),
    Document(id="m3", title="Bóng đá", body="Đội tuyển thắng " * 12 + "phòng ngự tốt.", fields={"author": "An"}),
    Document(id="m4", title="Không có", body="Chỉ có chữ khác ở đây.", fields={"author": "Bình"}),
    Document(id="m5", body="phong phòng phóng phỏng", fields={"author": "Phòng Văn Phong"}),
]


def _int4(i: int) -> int:
    bits = i.bit_length()
    if bits < 4:
        return i
    shift = bits - 4
    return ((i >> shift) & 0x07) | ((shift + 1) << 3)


def _int4_value(code: int) -> int:
    shift = (code >> 3) - 1
    return code & 0x07 if shift == -1 else ((code & 0x07) | 0x08) << shift


_FREE = 255 - _int4(2**31 - 1)  # lengths below this are stored exactly


def stored_length(length: int) -> int:
    """A length as Lucene's norm keeps it: SmallFloat.intToByte4, then byte4ToInt."""
    return length if length < _FREE else _FREE + _int4_value(_int4(length - _FREE))


def test_stored_lengths_are_exact_then_lossy():
    assert [stored_length(n) for n in (0, 23, 24, 31)] == [0, 23, 24, 31]
    assert stored_length(1000) <= 1000 and stored_length(1000) > 900
    assert all(stored_length(n) <= stored_length(n + 1) for n in range(5000))


def _counts(remote: RemoteIndex, text: str, folded: bool) -> tuple[Counter[str], int, int]:
    """A text's term counts, its length (tokens taking a position) and its token count."""
    tokens = remote.analyze(text, folded=folded) if text else []
    return Counter(t["token"] for t in tokens), len({t["position"] for t in tokens}), len(tokens)


def _expected(remote: RemoteIndex, docs: list[Document], term: str, folded: bool, boost: float) -> dict[str, float]:
    """Each matching document's BM25F score for ``term`` in one twin, from its fields' tokens."""
    weights = remote.weights
    assert weights is not None
    k1, b = SETTINGS.k1, SETTINGS.b
    rows = []
    for doc in docs:
        tf = length = tokens = 0
        for name, w in weights.items():
            text = doc.fields.get(name, "") if name not in ("title", "body") else getattr(doc, name)
            counts, n_positions, n_tokens = _counts(remote, text, folded)
            tf += w * counts[term]
            length += w * n_positions
            tokens += w * n_tokens
        rows.append((doc.id, tf, length, tokens))
    n = len(rows)  # every document has some text
    mean = sum(r[3] for r in rows) / n  # Lucene: the field's every token over its documents
    df = sum(1 for r in rows if r[1])
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    out = {}
    for doc_id, tf, length, _ in rows:
        if tf:
            out[doc_id] = boost * idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * stored_length(length) / mean))
    return out


@pytest.fixture(scope="module")
def bm25f_index(client: Any) -> Any:
    # One shard: the statistics are the whole index's.
    remote = RemoteIndex(client, "vnsearch-test-bm25f", settings=SETTINGS)
    remote.create({"author": "text"}, overwrite=True, shards=1, replicas=0)
    docs = [*load(SAMPLE_CORPUS), *MADE]
    remote.add(docs)
    remote.refresh()
    yield remote, docs
    remote.drop()


def test_the_index_bakes_in_whole_field_weights(bm25f_index):
    remote, _ = bm25f_index
    assert remote.weights == BAKED
    assert RemoteIndex(remote.client, remote.name).weights == BAKED  # read back from _meta
    source = remote.client.get(index=remote.name, id="m1")["_source"]
    assert COMBINED_FIELD not in source and source["title"] == "Phòng chống bão"


@pytest.mark.parametrize("query", ["phong", "phòng", "bão"])
def test_a_one_word_query_scores_bm25f(bm25f_index, query):
    remote, docs = bm25f_index
    settings = remote.settings
    expected = Counter(_expected(remote, docs, fold(query), True, settings.folded_weight))
    if has_diacritics(query):  # typed accents: the exact twin too
        expected.update(_expected(remote, docs, query.lower(), False, settings.exact_weight))
    # A search's own field weights do not change the baked-in ones.
    results = remote.search(query, limit=50, snippets=False, title_weight=1.0, other_weight=7.0)
    assert COMBINED_FIELD in results.parsed
    got = {hit.id: hit.score for hit in results}
    assert set(got) == set(expected) and len(expected) >= 3
    for doc_id, score in expected.items():
        assert got[doc_id] == pytest.approx(score, rel=1e-5), doc_id
    # Long sample-corpus bodies store their length lossily: the model must hold there too.
    assert any(doc_id.startswith("m") for doc_id in got) and any(not doc_id.startswith("m") for doc_id in got)


def test_an_index_made_before_the_combined_field_is_searched_field_by_field(client, index_name):
    # The mapping earlier vnsearch made: no combined field, no weights in _meta.
    body = index_settings({"author": "text"})
    del body["mappings"]["properties"][COMBINED_FIELD]
    del body["mappings"]["_meta"]["vnsearch"]["weights"]
    client.indices.create(index=index_name, body=body)
    old = RemoteIndex(client, index_name)
    assert old.weights is None
    report = old.add(MADE)  # the strict mapping would refuse a combined field
    assert report.added == len(MADE) and not report.skipped
    old.refresh()
    results = old.search("phòng", limit=10, snippets=False)
    assert COMBINED_FIELD not in results.parsed and "body__vn.f" in results.parsed
    assert {h.id for h in results} == {"m1", "m2", "m3", "m5"}
