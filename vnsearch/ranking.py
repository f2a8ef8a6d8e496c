"""Ranking policy in one place: how the matches of a query are ordered.

A search ranks in two phases. The query (:mod:`vnsearch.query.build`) finds and counts the
matches and scores them with BM25F, title and body saturating together once per query term
(:mod:`vnsearch.whoosh_ext.scoring`); :func:`rank` then
orders them by a sort key, best first:

1. **all words** (short queries only, ``all_words_first``): how many of the query's
   all-words clauses a document matches, so a document with every word of ``hải phòng``
   comes before one with only some of them, whatever their scores;
2. **together**: among the best ``rerank_depth`` of those, how many pairs of neighbouring
   query words stand next to each other (a word, Hải Phòng, before its syllables scattered);
3. **score**: BM25F plus the proximity boosts (neighbouring query syllables close together
   score again, with ``proximity_weight``).

The tiers are part of the key, not bonuses added to the score: the score a hit shows is the
one it was ranked by within its tier.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vnsearch.query import Proximity, Reranking
from vnsearch.whoosh_ext.postings import Match, PostingArrays, top

__all__ = ["rank"]


def rank(
    arrays: PostingArrays, weighting: Any, found: Match, plan: Reranking, depth: int
) -> list[tuple[int, float]]:
    """The best ``depth`` matches of ``found`` as (docnum, score), in ranking order.

    Positions are read only at those candidates, and only for the terms of a proximity.
    """
    tiers = None
    if plan.all_words:
        tiers = np.zeros(len(found.mask), dtype=np.int32)
        for q in plan.all_words:
            tiers += found.mask & arrays.mask(q)
    candidates = top(found, depth, tiers)
    docs = np.array(sorted(docnum for docnum, _ in candidates), dtype=np.int64)
    scores = dict(candidates)
    closes = {close for close, _ in plan.proximity} | {close for group in plan.together for close in group}
    held = {close: _close_docs(arrays, weighting, close, docs) for close in closes}
    for close, boost in plan.proximity:
        for docnum, both in held[close].items():
            scores[docnum] += boost * both
    together = dict.fromkeys(scores, 0)
    for group in plan.together:
        for docnum in set().union(*(held[close] for close in group)):
            together[docnum] += 1
    first = (lambda docnum: int(tiers[docnum])) if tiers is not None else (lambda docnum: 0)
    return sorted(scores.items(), key=lambda item: (-first(item[0]), -together[item[0]], -item[1], item[0]))


def _close_docs(arrays: PostingArrays, weighting: Any, close: Proximity, docs: np.ndarray) -> dict[int, float]:
    """Of ``docs`` (sorted), those where ``close`` holds, with the sum of the two terms' BM25."""
    first, second = arrays.term(close.fieldname, close.first), arrays.term(close.fieldname, close.second)
    both = np.intersect1d(np.intersect1d(docs, first.ids, assume_unique=True), second.ids, assume_unique=True)
    steps = range(1, close.slop + 1)
    found = []
    for docnum in both.tolist():
        after = set(second.positions(docnum))
        if any(p + step in after for p in first.positions(docnum) for step in steps):
            found.append(docnum)
    if not found:
        return {}
    where = np.array(found)
    score = (
        arrays.bm25(close.fieldname, first, weighting, np.searchsorted(first.ids, where))
        + arrays.bm25(close.fieldname, second, weighting, np.searchsorted(second.ids, where))
    )
    return dict(zip(found, score.tolist()))
