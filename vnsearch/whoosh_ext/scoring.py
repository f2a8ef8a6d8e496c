"""BM25 for vnsearch: the idf of Lucene and bm25s, and BM25F proper over several fields.

Whoosh's "BM25F" is a sum of per-field BM25 scores: a query syllable found in a short title
saturates there on its own and is paid again in the body. :class:`CombinedTerm` is BM25F as
Robertson, Zaragoza and Taylor define it (CIKM 2004; Lucene's CombinedFieldQuery): the
field-weighted frequencies and lengths are added first and saturated once per query term, as
if the fields were one field holding each field's text ``weight`` times.

Whoosh's idf, ``log(N / (df + 1)) + 1``, never falls below about 1, so words found in
almost every document ("của", "là", "có") weigh nearly as much as rare ones in a long
query; ``log(1 + (N - df + 0.5) / (df + 0.5))`` goes to zero for them.
"""

from __future__ import annotations

from math import log
from typing import Any

from whoosh import query as wq
from whoosh.scoring import BM25F, BM25FScorer, WeightScorer

__all__ = ["BM25", "CombinedTerm"]


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


class CombinedTerm(wq.Or):
    """One term searched in several fields as one BM25F field (``fields``: name and weight).

    With weights w and, per document, term frequencies tf and lengths len in each field:
    tf~ = sum(w * tf), len~ = sum(w * len), avglen~ = sum(w * avglen), and the score is BM25 of
    tf~ in a document of length len~, with the idf of the documents holding the term in any of
    the fields. :mod:`vnsearch.whoosh_ext.postings` evaluates it so; Whoosh's own matchers
    (never used for it by vnsearch) would see the OR of the per-field terms.

    ``spellings`` (text and probability) make it a probabilistic structured query (Darwish
    and Oard, SIGIR 2003): the term is one of several spellings, each occurrence of one
    counted by its probability (tf~ = sum(w * p * tf)), the idf that of the documents holding
    any; ``text`` is then the most likely.

    >>> q = CombinedTerm((("title", 2.0), ("body", 1.0)), "hải", boost=0.5)
    >>> q.fields, q.text, q.spellings
    ((('title', 2.0), ('body', 1.0)), 'hải', (('hải', 1.0),))
    """

    def __init__(
        self,
        fields: tuple[tuple[str, float], ...],
        text: str,
        boost: float = 1.0,
        spellings: tuple[tuple[str, float], ...] = (),
    ):
        spellings = tuple(spellings) or ((text, 1.0),)
        super().__init__(
            [wq.Term(name, t, boost=weight * p) for name, weight in fields for t, p in spellings], boost=boost
        )
        self.fields = tuple(fields)
        self.text = text
        self.spellings = spellings

    def __repr__(self) -> str:
        more = f", spellings={self.spellings!r}" if self.spellings != ((self.text, 1.0),) else ""
        return f"{type(self).__name__}({self.fields!r}, {self.text!r}, boost={self.boost!r}{more})"

    def __str__(self) -> str:
        names = "+".join(f"{name}^{weight:g}" for name, weight in self.fields)
        boost = f"^{self.boost:g}" if self.boost != 1.0 else ""
        if self.spellings == ((self.text, 1.0),):
            return f"({names}):{self.text}{boost}"
        return f"({names}):({'|'.join(f'{t}^{p:.2g}' for t, p in self.spellings)}){boost}"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self) and other.fields == self.fields and other.text == self.text
            and other.boost == self.boost and other.spellings == self.spellings
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.fields, self.text, self.boost, self.spellings))

    def normalize(self) -> "CombinedTerm":
        return self  # an Or's normalising would flatten it into per-field terms

    def with_boost(self, boost: float) -> "CombinedTerm":
        return CombinedTerm(self.fields, self.text, boost, self.spellings)
