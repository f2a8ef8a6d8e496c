"""Positions decoded many at once (vnsearch.whoosh_ext.positions, TermPostings.positions_in)
against Whoosh: its own matcher's positions over a multi-segment index with deletions, and its
decoder on every form of value, the damaged ones included."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import fields
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.filedb.filestore import RamStorage
from whoosh.formats import Positions

from vnsearch.whoosh_ext import positions
from vnsearch.whoosh_ext.postings import PostingArrays

VOCABULARY = ["an", "ba", "co", "da"]


@pytest.fixture(scope="module")
def searcher():
    schema = fields.Schema(id=fields.ID(stored=True, unique=True),
                           body=fields.TEXT(analyzer=SpaceSeparatedTokenizer(), phrase=True))
    ix = RamStorage().create_index(schema)
    rng = random.Random(7)
    for start in (0, 300, 600):  # three segments, posting lists of several blocks
        writer = ix.writer()
        for i in range(start, start + 300):
            # Long texts too: deltas of 256 and more (BININT2, BININT), lists of 1,000 and more.
            k = rng.choice([1, 3, 20, 400, 3000, 70000]) if i % 50 == 0 else rng.randint(1, 40)
            writer.add_document(id=f"d{i}", body=" ".join(rng.choices(VOCABULARY, weights=[20, 4, 1, 1], k=k)))
        writer.commit(merge=False)
    writer = ix.writer()
    for i in list(range(5, 40)) + list(range(320, 330)):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(merge=False)
    found = ix.searcher()
    assert len(found.leaf_searchers()) == 3 and found.reader().has_deletions()
    yield found
    found.close()


def whoosh_positions(searcher, word: str) -> dict[int, list[int]]:
    found = {}
    for sub, offset in searcher.leaf_searchers():
        matcher = sub.reader().postings("body", word.encode())
        while matcher.is_active():
            found[offset + matcher.id()] = list(matcher.value_as("positions"))
            matcher.next()
    return found


@pytest.mark.parametrize("word", VOCABULARY)
def test_positions_in_are_whooshs_matchers(searcher, word):
    arrays = PostingArrays(searcher)
    term = arrays.term("body", word)
    expected = whoosh_positions(searcher, word)  # Whoosh's matcher skips deleted documents
    live = term.ids[arrays.live[term.ids]]
    assert live.tolist() == sorted(expected) and len(live) < len(term.ids)
    rng = random.Random(word)
    for docs in (live, np.array(sorted(rng.sample(live.tolist(), 7))), live[:1], live[-30:]):
        got_docs, got = term.positions_in(np.asarray(docs, dtype=np.int64))
        want = [(d, p) for d in np.asarray(docs).tolist() for p in expected[d]]
        assert list(zip(got_docs.tolist(), got.tolist())) == want


def encoded(draw_positions: list[int]) -> bytes:
    return Positions().encode(sorted(draw_positions))


VALUES = st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=1200).map(encoded)


def damaged(value: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return value[:-1]  # no STOP: Whoosh's decoder adds it
    if kind == 1:
        at = rng.randrange(len(value))
        return value[:at] + bytes([rng.randrange(256)]) + value[at + 1 :]
    return value


@settings(max_examples=200, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=60), st.integers(0, 2**32))
def test_decode_is_whooshs_decoder(values, seed):
    rng = random.Random(seed)
    whoosh = Positions()
    kept, expected = [], []
    for value in (damaged(v, rng) for v in values):
        try:
            want = whoosh.decode_positions(value)
        except Exception:  # noqa: BLE001 (damaged past reading: Whoosh's error is the fallback's)
            continue
        if isinstance(want, list) and all(isinstance(p, int) and abs(p) < 2**62 for p in want):
            kept.append(value)
            expected.append(want)
    for few in (0, positions._FEW):  # the numpy reading on small batches too
        positions._FEW, saved = few, positions._FEW
        try:
            counts, flat = positions.decode(kept, lambda i: whoosh.decode_positions(kept[i]))
        finally:
            positions._FEW = saved
        runs = np.split(flat, np.cumsum(counts)[:-1]) if len(kept) else []
        assert [r.tolist() for r in runs] == expected


def test_most_values_are_read_without_the_fallback():
    values = [Positions().encode([5]), Positions().encode([300, 301, 400]), Positions().encode([70000, 70010])]
    values *= positions._FEW
    fell_back: list[int] = []
    counts, flat = positions.decode(values, lambda i: fell_back.append(i) or Positions().decode_positions(values[i]))
    assert fell_back == [] and counts.tolist()[:3] == [1, 3, 2] and flat.tolist()[:6] == [5, 300, 301, 400, 70000, 70010]
    wide = values + [Positions().encode([1, 1000])]  # a delta of 999 after the first: Whoosh's decoder
    counts, flat = positions.decode(wide, lambda i: fell_back.append(i) or Positions().decode_positions(wide[i]))
    assert fell_back == [len(values)] and flat.tolist()[-2:] == [1, 1000]
