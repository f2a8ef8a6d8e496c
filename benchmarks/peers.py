"""Peer retrieval systems for the quality benchmark (``quality.py``).

Every peer indexes ``title + text`` of each paragraph and answers a question
with an OR of its terms, returning the ids of the ten best documents.  Each
peer comes in the variants that give it its best shot at Vietnamese typed
with or without diacritics ("folding"):

* SQLite FTS5, ``unicode61 remove_diacritics 2`` on the raw text, and on
  text folded with :func:`unidecode.unidecode` plus ``lower()``;
* bm25s (its default parameters, ``method="lucene"``) on lower-cased
  syllables, and on unidecode-folded syllables;
* Whoosh's ``StandardAnalyzer``, alone and followed by
  ``CharsetFilter(accent_map)``.

The optional dependencies (``bm25s``, ``unidecode``) come with the project's
``bench`` extra; ``sqlite3`` is in the standard library and Whoosh is a
dependency of vnsearch itself.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "Doc",
    "Engine",
    "PEERS",
    "Bm25sEngine",
    "Fts5Engine",
    "WhooshEngine",
    "fold_unidecode",
    "missing_peer_modules",
    "syllables",
]


@dataclass(frozen=True)
class Doc:
    """One corpus paragraph."""

    id: str
    title: str
    text: str

    @property
    def full_text(self) -> str:
        """Title and body as one string, the text every peer indexes."""
        return f"{self.title}\n{self.text}"


class Engine(Protocol):
    """A retrieval system under test."""

    name: str

    def index(self, docs: Sequence[Doc]) -> None:
        """Index ``docs``; called once, before any search."""

    def search(self, query: str, k: int) -> list[str]:
        """Return the ids of at most ``k`` matching documents, best first."""


_WORD = re.compile(r"[^\W_]+")


def syllables(text: str) -> list[str]:
    """Split ``text`` into lower-cased syllables on whitespace and punctuation.

    >>> syllables("Đội thủ Panthers đã thua bao nhiêu điểm?")
    ['đội', 'thủ', 'panthers', 'đã', 'thua', 'bao', 'nhiêu', 'điểm']
    >>> syllables("(intercept) 6½ lần, snake_case")
    ['intercept', '6½', 'lần', 'snake', 'case']
    """
    return _WORD.findall(text.lower())


def fold_unidecode(text: str) -> str:
    """Fold ``text`` to lower-case ASCII with unidecode.

    >>> fold_unidecode("Đội thủ Panthers")
    'doi thu panthers'
    """
    from unidecode import unidecode

    return unidecode(text).lower()


def _identity(text: str) -> str:
    return text


class Fts5Engine:
    """SQLite FTS5 with its ``bm25()`` ranking, in memory.

    ``fold`` is applied to documents and queries before FTS5 sees them;
    ``tokenize`` is the FTS5 tokenizer spec.
    """

    def __init__(
        self,
        name: str,
        tokenize: str = "unicode61 remove_diacritics 2",
        fold: Callable[[str], str] = _identity,
    ) -> None:
        self.name = name
        self._tokenize = tokenize
        self._fold = fold
        self._db = sqlite3.connect(":memory:")

    def index(self, docs: Sequence[Doc]) -> None:
        tokenize = self._tokenize.replace("'", "''")
        self._db.execute(
            f"CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, body, tokenize='{tokenize}')"
        )
        self._db.executemany(
            "INSERT INTO docs (doc_id, body) VALUES (?, ?)",
            ((doc.id, self._fold(doc.full_text)) for doc in docs),
        )
        self._db.commit()

    def search(self, query: str, k: int) -> list[str]:
        terms = _WORD.findall(self._fold(query))
        if not terms:
            return []
        match = " OR ".join(f'"{term}"' for term in terms)
        rows = self._db.execute(
            "SELECT doc_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT ?",
            (match, k),
        )
        return [doc_id for (doc_id,) in rows]


class Bm25sEngine:
    """bm25s with its default parameters (``method="lucene"``, k1=1.5, b=0.75).

    Documents and queries are split by ``tokenize``; documents that share no
    term with the query (score 0) are not returned.
    """

    def __init__(self, name: str, tokenize: Callable[[str], list[str]] = syllables) -> None:
        self.name = name
        self._tokenize = tokenize
        self._ids: list[str] = []
        self._retriever: Any = None

    def index(self, docs: Sequence[Doc]) -> None:
        import bm25s

        self._ids = [doc.id for doc in docs]
        self._retriever = bm25s.BM25(method="lucene")
        self._retriever.index(
            [self._tokenize(doc.full_text) for doc in docs], show_progress=False
        )

    def search(self, query: str, k: int) -> list[str]:
        tokens = self._tokenize(query)
        if not tokens:
            return []
        results = self._retriever.retrieve(
            [tokens], k=min(k, len(self._ids)), show_progress=False
        )
        return [
            self._ids[int(doc)]
            for doc, score in zip(results.documents[0], results.scores[0])
            if score > 0
        ]


class WhooshEngine:
    """Whoosh (BM25F, its default scoring) in a RAM index with one text field.

    ``analyzer`` is a zero-argument factory for the field's analyzer; the query
    is an OR of the terms that analyzer makes of the question.
    """

    def __init__(self, name: str, analyzer: Callable[[], Any]) -> None:
        self.name = name
        self._analyzer = analyzer()
        self._index: Any = None
        self._searcher: Any = None

    def index(self, docs: Sequence[Doc]) -> None:
        from whoosh.fields import ID, TEXT, Schema
        from whoosh.filedb.filestore import RamStorage

        schema = Schema(id=ID(stored=True, unique=True), body=TEXT(analyzer=self._analyzer))
        self._index = RamStorage().create_index(schema)
        with self._index.writer() as writer:
            for doc in docs:
                writer.add_document(id=doc.id, body=doc.full_text)
        self._searcher = self._index.searcher()

    def search(self, query: str, k: int) -> list[str]:
        from whoosh.query import Or, Term

        terms = dict.fromkeys(token.text for token in self._analyzer(query))
        if not terms:
            return []
        hits = self._searcher.search(Or([Term("body", term) for term in terms]), limit=k)
        return [hit["id"] for hit in hits]


def _standard_analyzer() -> Any:
    from whoosh.analysis import StandardAnalyzer

    return StandardAnalyzer()


def _standard_accent_analyzer() -> Any:
    from whoosh.analysis import CharsetFilter, StandardAnalyzer
    from whoosh.support.charset import accent_map

    return StandardAnalyzer() | CharsetFilter(accent_map)


def missing_peer_modules() -> list[str]:
    """Names of the modules the peers need that are not installed."""
    needed = ("bm25s", "unidecode", "whoosh")
    return [name for name in needed if importlib.util.find_spec(name) is None]


#: Factories for the peers, in report order.
PEERS: tuple[Callable[[], Engine], ...] = (
    lambda: Fts5Engine("fts5 unicode61 rd2"),
    lambda: Fts5Engine("fts5 unidecode", tokenize="unicode61", fold=fold_unidecode),
    lambda: Bm25sEngine("bm25s syllables"),
    lambda: Bm25sEngine("bm25s unidecode", tokenize=lambda text: syllables(fold_unidecode(text))),
    lambda: WhooshEngine("whoosh standard", _standard_analyzer),
    lambda: WhooshEngine("whoosh standard+accent_map", _standard_accent_analyzer),
)
