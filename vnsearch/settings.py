"""Search settings and their defaults, in one place.

The defaults were chosen with ``benchmarks/quality.py`` on the dev suite (XQuAD-vi and the
sets it derives from news-vi), a change kept only where it held on every set; see
``benchmarks/README.md`` for the tables of what was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

__all__ = [
    "SearchSettings",
    "DEFAULT_SETTINGS",
    "ServerSettings",
    "DEFAULT_SERVER_SETTINGS",
    "DEFAULT_CACHE_BYTES",
    "AUTOCOMMIT_DOCUMENTS",
    "AUTOCOMMIT_SECONDS",
]

# Posting arrays and field lengths kept between searches, shared by all threads of an Index
# (Index.open(..., cache_bytes=)): 64 MiB holds 8 million postings, the most frequent
# syllables of 35,000 news articles several times over.
DEFAULT_CACHE_BYTES = 64 * 2**20

# Index.start_autocommit: commit when this many writes are pending, or the oldest is this old
# (a one-document add is searchable within about half a second plus the commit's own time).
AUTOCOMMIT_DOCUMENTS = 1000
AUTOCOMMIT_SECONDS = 0.5


QUESTION_WORDS = (
    "gì", "nào", "ai", "bao nhiêu", "bao giờ", "như thế nào", "thế nào",
    "tại sao", "vì sao", "khi nào", "ở đâu",
)


@dataclass(frozen=True)
class SearchSettings:
    """How queries are built and scored.

    A query syllable matches its accented form in the exact fields (``exact_weight``, only
    when the user typed accents) and its folded form in the folded twins (``folded_weight``);
    whole words such as ``hải_phòng`` add ``word_weight``. Within each twin the text fields
    are one BM25F field: ``title_weight``, ``body_weight`` and ``other_weight`` multiply a
    field's term frequencies and lengths before the one saturation (``k1``, ``b``).
    """

    # 1: a title counts as text of the document. 2.0 (twice) cost 0.012-0.015 MRR@10 where
    # passages share their article's title and helped no set (benchmarks/README.md).
    title_weight: float = 1.0
    body_weight: float = 1.0
    other_weight: float = 1.0  # extra text fields declared at creation
    exact_weight: float = 1.0
    folded_weight: float = 0.5
    word_weight: float = 0.25
    # A query typed without accents also searching the exact spellings its syllables likely
    # stand for, each weighted by exact_weight * accent_weight * its probability: off, as it
    # lowered unaccented MRR@10 on headline-cuts and helped no set (benchmarks/README.md).
    accent_weight: float = 0.0
    # Neighbouring query syllables found side by side (a folded phrase of two).
    proximity_weight: float = 0.5
    proximity_slop: int = 1  # how far apart two neighbouring query syllables may stand
    k1: float = 0.8
    b: float = 0.8
    # Documents matching every query word rank above partial matches, for queries of up to
    # all_words_max words (a long question rarely has all its words in the answer).
    all_words_first: bool = True
    all_words_max: int = 3
    # Question words say what is asked, not what the answer holds: not searched (unless alone).
    stopwords: tuple[str, ...] = QUESTION_WORDS
    # Best matches (by BM25) reordered by proximity and the short-query tiers.
    rerank_depth: int = 100
    max_terms: int = 64  # words of a query searched; the rest is ignored (and said so)
    max_expansions: int = 200  # terms a prefix or fuzzy word may expand to
    # A query's budget for all its prefix and fuzzy words: terms, and seconds spent expanding;
    # words past it are searched as typed (and Results.ignored says so).
    max_query_expansions: int = 1000
    max_expansion_seconds: float = 0.25

    def with_options(self, **options: Any) -> "SearchSettings":
        """A copy with some settings changed; unknown names raise ``TypeError``."""
        known = {f.name for f in fields(self)}
        unknown = set(options) - known
        if unknown:
            raise TypeError(f"unknown search settings: {', '.join(sorted(unknown))}")
        return replace(self, **options)

    def field_weight(self, name: str) -> float:
        if name == "title":
            return self.title_weight
        if name == "body":
            return self.body_weight
        return self.other_weight


DEFAULT_SETTINGS = SearchSettings()


@dataclass(frozen=True)
class ServerSettings:
    """Limits and defaults of ``vnsearch serve`` (:mod:`vnsearch.server`): safe for a
    service on one machine, each can be raised on the command line."""

    host: str = "127.0.0.1"  # this machine only: another address is a choice to make
    port: int = 7700  # Meilisearch's, which people who search over HTTP know
    max_body_bytes: int = 10 * 1024 * 1024  # one POST /documents
    max_url_chars: int = 4096  # path and query string of one request
    request_seconds: float = 10.0  # a search, completion or lookup that takes longer gets 503
    max_limit: int = 100  # hits per page
    # Searches run in these threads, each keeping its searcher: memory stays bounded.
    search_threads: int = 2


DEFAULT_SERVER_SETTINGS = ServerSettings()
