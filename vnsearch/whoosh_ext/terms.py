"""The terms of an index near a word, as Whoosh's fuzzy queries find them."""

from __future__ import annotations

from typing import Any

from whoosh import query as wq

__all__ = ["near_terms"]


def near_terms(reader: Any, fieldname: str, text: str, maxdist: int, prefixlength: int = 1) -> list[str]:
    """The terms of ``fieldname`` within ``maxdist`` edits of ``text`` that share its first
    ``prefixlength`` characters, as ``FuzzyTerm`` expands to them."""
    fuzzy = wq.FuzzyTerm(fieldname, text, maxdist=maxdist, prefixlength=prefixlength)
    return [t.decode("utf-8") if isinstance(t, bytes) else t for t in fuzzy._btexts(reader)]
