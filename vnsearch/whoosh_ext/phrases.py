"""Phrases (``whoosh.query.Phrase``, with slop) matched over posting arrays, as Whoosh does.

Whoosh turns a phrase into ``SpanNear2(terms, slop, ordered=True, mindist=1)`` and walks the
intersection of its terms a document at a time, building span objects per position: nested
phrases over common syllables cost most of a second at 5,000 articles. Here the candidates are
the intersection of the terms' document arrays, positions are read for the documents still in
the running only, and the spans are followed for every candidate at once with numpy.

What Whoosh's spans amount to: a document matches when positions ``p0 < p1 < ... < pk`` of the
phrase's words, in order, have ``1 <= p[i] - p[i-1] <= slop`` (a span grows only forward from
its end, and two words never share a position). The score is the sum of the words' scores,
added in the binary tree of ``IntersectionMatcher``s that ``make_binary_tree`` builds, times the
phrase's boost; a word given twice is scored twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from whoosh import query as wq

if TYPE_CHECKING:  # postings imports this module
    from vnsearch.whoosh_ext.postings import PostingArrays, TermPostings

__all__ = ["match"]

_NONE = np.zeros(0, dtype=np.int64)


def match(arrays: PostingArrays, q: wq.Phrase, weighting: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(documents, scores) that ``q`` matches in live documents, as Whoosh's matcher gives them
    (scores 0 when ``weighting`` is None); None for what Whoosh itself must answer: a phrase
    without words (Whoosh raises ValueError) or on a field without positions (QueryError)."""
    schema = arrays.searcher.schema
    if not q.words:
        return None
    if q.fieldname not in schema:
        return _NONE, np.zeros(0)
    field = schema[q.fieldname]
    if not field.format or not field.format.supports("positions"):
        return None
    try:
        btexts = [field.to_bytes(word) for word in q.words]
    except ValueError:
        return _NONE, np.zeros(0)
    found: dict[bytes, TermPostings] = {}
    for btext in btexts:
        if btext not in found:
            found[btext] = arrays.postings(q.fieldname, btext)
    terms = [found[btext] for btext in btexts]
    if any(not len(term) for term in terms):
        return _NONE, np.zeros(0)
    docs = _candidates(arrays, terms)
    docs = _followed(terms, docs, q.slop)
    if weighting is None:
        return docs, np.zeros(len(docs))
    scores = [_term_scores(arrays, q.fieldname, field, term, docs, weighting) for term in terms]
    score = _tree_sum(scores)
    return docs, score * q.boost if q.boost != 1.0 else score


def _candidates(arrays: PostingArrays, terms: list[TermPostings]) -> np.ndarray:
    """Live documents holding every word, rarest first to keep the intersections small."""
    ordered = sorted({id(t): t for t in terms}.values(), key=len)
    docs = ordered[0].ids
    for term in ordered[1:]:
        docs = np.intersect1d(docs, term.ids, assume_unique=True)
    docs = docs.astype(np.int64)
    return docs[arrays.live[docs]]  # a deleted document never matches: its positions unread


def _followed(terms: list[TermPostings], docs: np.ndarray, slop: int) -> np.ndarray:
    """The documents of ``docs`` where the words follow each other within ``slop``."""
    end_docs, end_pos = terms[0].positions_in(docs)
    for term in terms[1:]:
        if not len(end_docs):
            break
        # Each (document, position) pair as one sortable key: the nearest end before a position.
        docs = np.unique(end_docs)
        next_docs, next_pos = term.positions_in(docs)
        stride = int(max(end_pos.max(), next_pos.max(initial=0))) + 1
        ends = end_docs * stride + end_pos
        before = np.searchsorted(ends, next_docs * stride + next_pos - 1, side="right") - 1
        nearest = np.maximum(before, 0)
        ok = (before >= 0) & (end_docs[nearest] == next_docs) & (end_pos[nearest] >= next_pos - slop)
        end_docs, end_pos = next_docs[ok], next_pos[ok]
    return np.unique(end_docs)


def _term_scores(
    arrays: PostingArrays, fieldname: str, field: Any, term: TermPostings, docs: np.ndarray, weighting: Any
) -> np.ndarray:
    where = np.searchsorted(term.ids, docs)
    if field.scorable:
        return arrays.bm25(fieldname, term, weighting, where)
    return term.weights[where].astype(np.float64)  # Whoosh's WeightScorer for unscored fields


def _tree_sum(scores: list[np.ndarray]) -> np.ndarray:
    """The sum in the order of Whoosh's ``make_binary_tree`` (first half, then second)."""
    if len(scores) == 1:
        return scores[0]
    half = len(scores) // 2
    return _tree_sum(scores[:half]) + _tree_sum(scores[half:])
