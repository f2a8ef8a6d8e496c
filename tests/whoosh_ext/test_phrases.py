"""Phrases matched over posting arrays (vnsearch.whoosh_ext.phrases) against Whoosh's own matcher.

A plain Whoosh index of random texts over a six-word vocabulary, so that words repeat, follow
each other at every distance and fill posting lists of several blocks; three segments, deleted
documents. Every phrase is compared with what ``Phrase.matcher`` gives, document by document.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import fields
from whoosh import query as wq
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.filedb.filestore import RamStorage
from whoosh.query.qcore import QueryError
from whoosh_reference import whoosh_scores

from vnsearch.whoosh_ext.postings import PostingArrays
from vnsearch.whoosh_ext.scoring import BM25

WEIGHTING = BM25(B=0.75, K1=1.2)
VOCABULARY = ["an", "ba", "co", "da", "em", "ga"]
ABSENT = "zz"


@pytest.fixture(scope="module")
def searcher():
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        body=fields.TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=True),
        plain=fields.TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=False),
    )
    ix = RamStorage().create_index(schema)
    rng = random.Random(15)
    for start in (0, 250, 500):  # three segments
        writer = ix.writer()
        for i in range(start, start + 250):
            words = rng.choices(VOCABULARY, weights=[8, 4, 2, 2, 1, 1], k=rng.randint(1, 30))
            writer.add_document(id=f"d{i}", body=" ".join(words), plain=" ".join(words))
        writer.commit(merge=False)
    writer = ix.writer()
    for i in list(range(10, 60)) + list(range(300, 320)):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    found = ix.searcher(weighting=WEIGHTING)
    assert len(found.leaf_searchers()) == 3 and found.reader().has_deletions()
    yield found
    found.close()


@pytest.fixture(scope="module")
def arrays(searcher):
    return PostingArrays(searcher)


def assert_same(arrays, searcher, q: wq.Query) -> None:
    expected = whoosh_scores(searcher, q)
    found = arrays.evaluate(q, WEIGHTING)
    docs = found.docs().tolist()
    assert docs == sorted(expected), q
    for d in docs:
        assert found.score[d] == expected[d], (q, d)  # the same operations in the same order
    assert arrays.mask(q).nonzero()[0].tolist() == docs


@pytest.mark.parametrize(
    "words, slop",
    [
        (["an", "ba"], 1),
        (["an", "an"], 1),  # a repeated word: two positions, never one twice
        (["an", "an", "an"], 1),
        (["an", "ba", "an"], 2),
        (["co", "da", "em"], 3),
        (["ga", "em", "da", "co", "ba"], 5),
        (["an", "ba"], 0),  # nothing is 1..0 apart
        (["ba"], 1),  # one word: every document that has it
        (["an", ABSENT], 1),
        ([ABSENT, ABSENT], 4),
    ],
)
def test_phrase_matches_and_scores_as_whoosh(arrays, searcher, words, slop):
    assert_same(arrays, searcher, wq.Phrase("body", words, slop=slop))


def test_the_cases_above_match_something(arrays, searcher):
    # Guard against a fixture where the comparisons above are of empty sets.
    for words, slop, at_least in ((["an", "an", "an"], 1, 20), (["co", "da", "em"], 3, 10), (["an", "ba"], 1, 100)):
        assert len(whoosh_scores(searcher, wq.Phrase("body", words, slop=slop))) >= at_least


def test_boost_and_nesting(arrays, searcher):
    q = wq.Or([
        wq.Phrase("body", ["an", "ba"], boost=2.5),
        wq.And([wq.Phrase("body", ["co", "an"], slop=2), wq.Term("body", "da")]),
    ])
    expected_or = whoosh_scores(searcher, q.subqueries[0])
    found = arrays.evaluate(q, WEIGHTING)
    assert set(expected_or) <= set(found.docs().tolist())
    assert_same(arrays, searcher, q.subqueries[0])
    assert_same(arrays, searcher, q.subqueries[1].subqueries[0])


def test_deleted_documents_never_match(arrays, searcher):
    found = arrays.evaluate(wq.Phrase("body", ["an"]), WEIGHTING)
    ids = {searcher.stored_fields(d)["id"] for d in found.docs().tolist()}
    assert not ids & {f"d{i}" for i in list(range(10, 60)) + list(range(300, 320))}
    assert len(ids) > 400


def test_what_whoosh_refuses_it_refuses_too(arrays, searcher):
    q = wq.Phrase("plain", ["an", "ba"])  # no positions
    with pytest.raises(QueryError):
        whoosh_scores(searcher, q)
    with pytest.raises(QueryError):
        arrays.evaluate(q, WEIGHTING)
    assert arrays.evaluate(wq.Phrase("nofield", ["an", "ba"]), WEIGHTING).count() == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    words=st.lists(st.sampled_from(VOCABULARY + [ABSENT]), min_size=1, max_size=5),
    slop=st.integers(0, 6),
    boost=st.sampled_from([1.0, 0.5, 3.0]),
)
def test_any_phrase_equals_whooshs(arrays, searcher, words, slop, boost):
    assert_same(arrays, searcher, wq.Phrase("body", words, slop=slop, boost=boost))
