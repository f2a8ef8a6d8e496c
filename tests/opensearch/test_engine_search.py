"""The same documents in OpenSearch (through RemoteIndex) and in a local Index: the same
matches, much the same top 10, snippets on the right characters.

The sample corpus and 2,000 news-vi articles go into both. For each query the matching
documents must be the same (their count always; the documents themselves when there are
few enough to fetch); the top 10 may differ where BM25's statistics do (the engine scores
each shard on its own), and their overlap is reported and held to a minimum.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import pytest

import vnsearch
from vnsearch.opensearch import RemoteIndex
from vnsearch.query import Group, TextClause, parse

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "sample_corpus"
FIELDS = {"source": "keyword"}
MIN_MEAN_OVERLAP = 0.75  # mean top-10 overlap over the QUERIES that rank
MIN_OVERLAP = 0.5  # any one query
EVERY_MATCH = 300  # matches fetched from both engines to compare the sets themselves

QUERIES = [
    # accented
    "đảng ủy hải phòng", "kinh tế thế giới", "giá vàng hôm nay", "bóng đá Việt Nam",
    "xổ số điện toán", "thời tiết Hà Nội", "học sinh thi đại học", "giá xăng dầu tăng",
    # unaccented
    "dang uy hai phong", "kinh te the gioi", "gia vang", "bong da viet nam", "thoi tiet ha noi",
    "hoc sinh thi dai hoc",
    # fields, phrases, operators
    'title:"kinh tế"', '"thế giới"', 'title:(vàng OR xăng)', "+bóng +đá -nữ", "giá NOT vàng",
    "ngân hàng AND lãi suất", '"chứng khoán"~3', '"thị trường chứng khoán"~2',
    # filters, dates
    "kinh tế source:baomoi.com", "bóng đá date:>=2019", "giá date:[2016-01 TO 2017-06]",
    "thời tiết date:<2017", "date:2018", "source:baomoi.com date:[2016-03-01 TO 2016-03-31]",
    # prefix, typo
    "chứng khoá*", "vietlot~",
]


def _filters_only(query: str, schema: Any) -> bool:
    """A query of conditions alone (no words): its matches are not ranked."""
    tree = parse(query, schema).tree
    nodes = [*tree.must, *tree.should]
    while nodes:
        node = nodes.pop()
        if isinstance(node, TextClause):
            return False
        if isinstance(node, Group):
            nodes += [*node.must, *node.should]
    return True


@pytest.fixture(scope="module")
def engines(client: Any, news_records: list[dict[str, Any]]) -> Any:
    local = vnsearch.Index.create(None, FIELDS)
    local.add_path(SAMPLE_CORPUS)
    local.add(news_records)
    # The whole index's statistics: 2,005 documents on 2 shards score apart otherwise.
    remote = RemoteIndex(client, "vnsearch-test-news", global_statistics=True).create(FIELDS, overwrite=True)
    started = time.perf_counter()
    reports = [remote.add_path(SAMPLE_CORPUS), remote.add(news_records)]
    seconds = time.perf_counter() - started
    remote.refresh()
    print(f"\nindexed {sum(r.added for r in reports)} documents into OpenSearch in {seconds:.1f} s")
    yield local, remote
    remote.drop()


def test_every_document_arrives(engines):
    local, remote = engines
    assert len(remote) == len(local) > 2000


def test_top_10_and_matches_agree(engines, capsys):
    local, remote = engines
    overlaps = []
    lines = []
    for query in QUERIES:
        mine, theirs = local.search(query, limit=10), remote.search(query, limit=10)
        assert theirs.total == mine.total, (query, mine.total, theirs.total)
        if mine.total <= EVERY_MATCH:
            every_mine = {h.id for h in local.search(query, limit=EVERY_MATCH, snippets=False)}
            every_theirs = {h.id for h in remote.search(query, limit=EVERY_MATCH, snippets=False)}
            assert every_theirs == every_mine, query
        if mine.total == 0 or not mine.parsed.strip() or _filters_only(query, remote.schema):
            continue  # conditions alone rank nothing: their order is the engines' own
        top_mine, top_theirs = {h.id for h in mine}, {h.id for h in theirs}
        overlap = len(top_mine & top_theirs) / len(top_mine)
        overlaps.append(overlap)
        lines.append(f"  {overlap:4.0%}  {mine.total:5d} matches  {query}")
        assert overlap >= MIN_OVERLAP, (query, sorted(top_mine - top_theirs), sorted(top_theirs - top_mine))
    mean = sum(overlaps) / len(overlaps)
    with capsys.disabled():
        print(f"\ntop-10 overlap, OpenSearch vs local, {len(overlaps)} queries: mean {mean:.1%}, "
              f"min {min(overlaps):.0%}")
        print("\n".join(lines))
    assert len(overlaps) >= len(QUERIES) - 3
    assert mean >= MIN_MEAN_OVERLAP


def test_results_are_vnsearchs_own(engines):
    _, remote = engines
    results = remote.search("hải phòng", limit=3)
    assert isinstance(results, vnsearch.Results) and isinstance(results[0], vnsearch.Hit)
    assert results.to_json_dict()["hits"][0]["snippets"]
    assert "<mark>" in results._repr_html_()
    assert results.pages >= 1 and results.total >= 3
    page_two = remote.search("hải phòng", limit=3, page=2)
    assert {h.id for h in page_two}.isdisjoint({h.id for h in results})


def test_snippets_mark_the_query_words_in_the_stored_text(engines):
    _, remote = engines
    for query, wanted in (("hai phong", "hai phong"), ("đảng ủy", "dang uy"), ("chứng khoá*", "chung khoa")):
        hits = remote.search(query, limit=5)
        assert hits.total
        for hit in hits:
            for snippet in hit.snippets:
                # Each mark is the document's own text, at the offsets given.
                assert snippet.text == hit.body[snippet.start : snippet.end].replace("\n", " ").replace("\r", " ")
                for s, e in snippet.spans:
                    marked = vnsearch.fold(snippet.text[s:e])
                    assert any(part in marked for part in wanted.split()), (query, snippet.text[s:e])


def test_engine_offsets_point_at_the_original_characters(engines, client):
    """The engine's own highlighter, on the encoded field, marks the original's characters:
    the encoding keeps every offset."""
    _, remote = engines
    body = {
        "query": {"match": {"body__vn": {"query": "hải phòng", "analyzer": "vnsearch_exact_query"}}},
        "highlight": {"fields": {"body__vn": {"number_of_fragments": 0}}, "pre_tags": ["\x02"], "post_tags": ["\x03"]},
        "size": 5,
    }
    hits = client.search(index=remote.name, body=body)["hits"]["hits"]
    assert hits
    for hit in hits:
        marked = hit["highlight"]["body__vn"][0]
        original = hit["_source"]["body"]
        spans, offset = [], 0
        for m in re.finditer("\x02(.*?)\x03", marked, re.S):
            start = m.start() - offset
            spans.append((start, start + len(m.group(1))))
            offset += 2
        assert spans
        for s, e in spans:
            assert vnsearch.fold(original[s:e]).replace("_", " ") in ("hai", "phong", "hai phong"), original[s:e]


def test_filters_and_sorting(engines):
    local, remote = engines
    options = dict(filters={"date": (None, "2016-12-31")}, sort="newest", limit=10)
    mine, theirs = local.search("kinh tế", **options), remote.search("kinh tế", **options)
    assert theirs.total == mine.total
    dates = [h.date for h in theirs]
    assert dates == sorted(dates, reverse=True) and all(d.year <= 2016 for d in dates)
    assert [h.date for h in mine] == dates


def test_analysis_version_is_checked_on_open(engines, client):
    _, remote = engines
    again = RemoteIndex(client, remote.name)
    assert "source" in again.schema
    assert html.escape("x") == "x"
