"""Peer retrieval systems for the quality benchmark (``quality.py``).

Every peer indexes ``title + text`` of each paragraph and answers a question
with an OR of its terms, returning the ids of the ten best documents.  Each
peer comes in the variants that give it its best shot at Vietnamese typed
with or without diacritics ("folding"):

* SQLite FTS5, ``unicode61 remove_diacritics 2`` on the raw text, and on
  text folded with :func:`unidecode.unidecode` plus ``lower()``;
* bm25s (its default parameters, ``method="lucene"``) on lower-cased
  syllables, and on unidecode-folded syllables;
* tantivy (through tantivy-py; BM25, k1 1.2, b 0.75) with its ``default``
  analyzer (simple tokenizer, long tokens removed, lower case), and the same
  followed by its ``ascii_fold`` filter;
* Whoosh's ``StandardAnalyzer``, alone and followed by
  ``CharsetFilter(accent_map)``.

The optional dependencies (``bm25s``, ``unidecode``, ``tantivy``) come with
the project's ``bench`` extra; ``sqlite3`` is in the standard library and
Whoosh is a dependency of vnsearch itself.  tantivy is optional even there:
without it its two peers are left out, and the report says so.
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
    "TantivyEngine",
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


class TantivyEngine:
    """tantivy in a RAM index with one text field, ranked by its BM25.

    ``fold`` adds tantivy's ``ascii_fold`` filter (Lucene's ASCIIFoldingFilter,
    which also maps ``đ`` to ``d``) to the ``default`` analyzer; queries are
    an OR of the terms that analyzer makes of the question.
    """

    def __init__(self, name: str, fold: bool = False) -> None:
        self.name = name
        self._fold = fold
        self._index: Any = None
        self._searcher: Any = None
        self._analyzer: Any = None
        self._schema: Any = None

    def index(self, docs: Sequence[Doc]) -> None:
        import tantivy

        builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        builder = builder.filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
        if self._fold:
            builder = builder.filter(tantivy.Filter.ascii_fold())
        self._analyzer = builder.build()
        schema = tantivy.SchemaBuilder()
        schema.add_unsigned_field("n", stored=True)
        schema.add_text_field("body", tokenizer_name="peer", index_option="freq")
        self._schema = schema.build()
        self._index = tantivy.Index(self._schema)
        self._index.register_tokenizer("peer", self._analyzer)
        writer = self._index.writer(heap_size=100_000_000, num_threads=1)
        self._ids = [doc.id for doc in docs]
        for n, doc in enumerate(docs):
            writer.add_document(tantivy.Document(n=n, body=doc.full_text))
        writer.commit()
        writer.wait_merging_threads()
        self._index.reload()
        self._searcher = self._index.searcher()

    def search(self, query: str, k: int) -> list[str]:
        import tantivy

        terms = dict.fromkeys(self._analyzer.analyze(query))
        if not terms:
            return []
        clauses = [(tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "body", t)) for t in terms]
        hits = self._searcher.search(tantivy.Query.boolean_query(clauses), limit=k).hits
        return [self._ids[self._searcher.doc(address)["n"][0]] for _, address in hits]


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
    """Names of the modules the peers need that are not installed (tantivy is optional)."""
    needed = ("bm25s", "unidecode", "whoosh")
    return [name for name in needed if importlib.util.find_spec(name) is None]


def has_tantivy() -> bool:
    """Whether tantivy-py is installed (its peers run only then)."""
    return importlib.util.find_spec("tantivy") is not None


#: Factories for the peers, in report order: (name, needs tantivy, factory).
PEER_FACTORIES: tuple[tuple[str, bool, Callable[[], Engine]], ...] = (
    ("fts5 unicode61 rd2", False, lambda: Fts5Engine("fts5 unicode61 rd2")),
    ("fts5 unidecode", False, lambda: Fts5Engine("fts5 unidecode", tokenize="unicode61", fold=fold_unidecode)),
    ("bm25s syllables", False, lambda: Bm25sEngine("bm25s syllables")),
    ("bm25s unidecode", False,
     lambda: Bm25sEngine("bm25s unidecode", tokenize=lambda text: syllables(fold_unidecode(text)))),
    ("tantivy default", True, lambda: TantivyEngine("tantivy default")),
    ("tantivy ascii_fold", True, lambda: TantivyEngine("tantivy ascii_fold", fold=True)),
    ("whoosh standard", False, lambda: WhooshEngine("whoosh standard", _standard_analyzer)),
    ("whoosh standard+accent_map", False,
     lambda: WhooshEngine("whoosh standard+accent_map", _standard_accent_analyzer)),
)

#: The factories of the peers that can run here.
PEERS: tuple[Callable[[], Engine], ...] = tuple(
    make for _, tantivy, make in PEER_FACTORIES if not tantivy or has_tantivy()
)
