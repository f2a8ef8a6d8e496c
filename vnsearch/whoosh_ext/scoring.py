"""BM25 for vnsearch: Whoosh's BM25F with the idf of Lucene and bm25s.

Whoosh's idf, ``log(N / (df + 1)) + 1``, never falls below about 1, so words found in
almost every document ("của", "là", "có") weigh nearly as much as rare ones in a long
query; ``log(1 + (N - df + 0.5) / (df + 0.5))`` goes to zero for them.
"""

from __future__ import annotations

from math import log
from typing import Any

from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

__all__ = ["BM25"]


class BM25(BM25F):
    """BM25F (per-field ``B`` as ``fieldname_B=...``) with the Lucene idf."""

    def scorer(self, searcher: Any, fieldname: str, text: bytes, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _Scorer(self, searcher, fieldname, text, qf=qf)

    def field_B(self, fieldname: str) -> float:
        return self._field_B.get(fieldname, self.B)

    def idf(self, searcher: Any, fieldname: str, text: bytes) -> float:
        parent = searcher.get_parent()
        return self.idf_of(parent.doc_count_all(), parent.doc_frequency(fieldname, text))

    @staticmethod
    def idf_of(documents: int, df: int) -> float:
        return log(1.0 + (documents - df + 0.5) / (df + 0.5))


class _Scorer(BM25FScorer):
    def __init__(self, weighting: BM25, searcher: Any, fieldname: str, text: bytes, qf: int = 1):
        super().__init__(searcher, fieldname, text, weighting.field_B(fieldname), weighting.K1, qf=qf)
        self.idf = weighting.idf(searcher, fieldname, text)
