"""Ranked hits with snippets, paging, filters, sorting and "did you mean" suggestions.

A :class:`Searcher` is made once per index and shared by every thread: all search one
commit over segment readers opened once per process (:mod:`vnsearch.whoosh_ext.readers`),
and each search first checks, cheaply, whether the index has a newer commit. Matches are
found, counted and scored over posting arrays (:mod:`vnsearch.whoosh_ext.postings`) kept in one
cache under a byte budget; the best are then reordered by proximity.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import threading
import time
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from whoosh import query as wq
from whoosh import sorting
from whoosh.searching import Searcher as WhooshSearcher

from vnsearch import facets as _facets
from vnsearch import highlight as _hl
from vnsearch import query as _q
from vnsearch.errors import IndexClosedError, IndexFileMissingError, QuerySyntaxError, SchemaError
from vnsearch.ranking import rank
from vnsearch.results import HIGHLIGHT_TAGS, Hit, Results
from vnsearch.schema import FOLDED_SUFFIX
from vnsearch.settings import DEFAULT_CACHE_BYTES, DEFAULT_SETTINGS, SearchSettings
from vnsearch.suggest import complete as _complete
from vnsearch.suggest import suggest as _suggest
from vnsearch.whoosh_ext.postings import PostingArrays, PostingCache
from vnsearch.whoosh_ext.readers import shared_readers
from vnsearch.whoosh_ext.scoring import BM25

if TYPE_CHECKING:
    from vnsearch.index import Index

__all__ = ["Searcher", "Results", "Hit"]

_SORTS = ("relevance", "date", "newest", "oldest")
_OPEN_ATTEMPTS = 10  # tries to open a commit whose files a writer is removing


class _Commit:
    """One commit of the index as searched: shared, read-only, by every thread."""

    __slots__ = ("generation", "reader", "searcher", "arrays")

    def __init__(self, view: Any, cache: PostingCache):
        self.generation = view.generation
        self.reader = view.reader
        self.searcher = WhooshSearcher(view.reader, closereader=False)
        self.arrays = PostingArrays(self.searcher, cache)


class _MallocTrim:
    """Gives the C heap's free pages back to the system, at most once per ``interval``.

    glibc keeps a heap ("arena") per thread that allocates at once, and keeps what a search
    frees (its arrays of one number per document) in that thread's arena: 8 searching threads
    grew a 35,431-article process by 57 MiB that no search used again (one arena: 9 MiB).
    ``malloc_trim(0)`` returns it (27 ms on that heap, so once a second costs under 3% of a
    core). Elsewhere than glibc it does nothing.
    """

    def __init__(self, interval: float = 1.0):
        self.interval = interval
        self._next = 0.0
        self._lock = threading.Lock()
        self._trim: Any = None
        try:
            import ctypes

            self._trim = ctypes.CDLL(None).malloc_trim  # the process's libc; glibc only
        except (OSError, AttributeError):
            pass

    def now_and_then(self) -> None:
        if self._trim is None or time.monotonic() < self._next or not self._lock.acquire(blocking=False):
            return
        try:
            self._trim(0)
            self._next = time.monotonic() + self.interval
        finally:
            self._lock.release()


_trim = _MallocTrim()


class Searcher:
    """Searches one index; safe to share across threads and to keep for the index's life.

    Every thread searches the same commit through the same segment readers (opened once per
    process, memory-mapped) and the same posting cache (``cache_bytes``, least recently used
    out first); a thread keeps nothing once its search returns.
    """

    def __init__(self, index: "Index", settings: SearchSettings = DEFAULT_SETTINGS, cache_bytes: int | None = None):
        self._index = index
        self.settings = settings
        self.cache = PostingCache(DEFAULT_CACHE_BYTES if cache_bytes is None else cache_bytes)
        self._readers = shared_readers(index.whoosh_index)
        self._commit: _Commit | None = None
        self._lock = threading.Lock()
        self._closed = False

    def _current(self) -> _Commit:
        """The latest commit (a cheap check of the folder first; opened once, by one thread)."""
        commit = self._commit
        if self._closed:
            raise self._closed_error()
        if commit is None or commit.generation != self._readers.latest_generation():
            with self._lock:
                commit = self._commit
                if self._closed:
                    raise self._closed_error()
                if commit is None or commit.generation != self._readers.latest_generation():
                    commit = self._commit = _Commit(self._open_view(), self.cache)
        return commit

    def _closed_error(self) -> IndexClosedError:
        where = self._index.path or "the in-memory index"
        return IndexClosedError(f"{where} was closed: open it again to search it")

    def _open_view(self) -> Any:
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                return self._readers.view()
            except (FileNotFoundError, IndexFileMissingError):
                # A writer committing just now removed the files of the commit being opened.
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """The stored fields of the document with this id, or None when there is none."""
        found = self._current().searcher.document(id=str(doc_id))
        return dict(found) if found is not None else None

    def complete(self, typed: str, limit: int = 5) -> list[str]:
        """Completions of ``typed`` (its last word a prefix), accents restored: ``"ha n"`` ->
        ``["Hà Nội", "Hà Nam", ...]``, commonest first."""
        limit = _positive(limit, "limit")
        arrays = self._current().arrays
        return _complete(str(typed)[: _q.MAX_QUERY_CHARS], arrays, self._index.schema, limit)

    def refresh(self) -> None:
        """See the latest commit (searches check for one by themselves, too)."""
        self._current()

    def close(self) -> None:
        """Let go of the commit searched (its segments close when no search holds them); a
        search started afterwards raises :class:`~vnsearch.errors.IndexClosedError`."""
        with self._lock:
            self._closed = True
            self._commit = None

    # -- searching ------------------------------------------------------------------------

    def search(
        self,
        query: str,
        limit: int = 10,
        page: int = 1,
        fields: Sequence[str] | None = None,
        filters: Mapping[str, Any] | None = None,
        sort: str | None = None,
        *,
        offset: int | None = None,
        facets: Sequence[str] | str | None = None,
        prefix_last: bool = False,
        strict: bool = False,
        snippets: bool = True,
        fragment_chars: int = _hl.FRAGMENT_CHARS,
        fragments: int = _hl.MAX_FRAGMENTS,
        highlight_tags: tuple[str, str] = HIGHLIGHT_TAGS,
        suggest: bool = True,
        **settings: Any,
    ) -> Results:
        """Search with the query language of :mod:`vnsearch.query`.

        ``fields`` limits bare words to some text fields; ``filters`` maps field names to a
        value (``{"tags": "thoi-su"}``), a list of values (any of them), a ``(low, high)``
        pair or a comparison string (``{"date": ">=2020-07"}``); ``sort`` is ``"relevance"``
        (the default), ``"date"``/``"newest"``, ``"oldest"``, or a sortable field name
        (``"-views"`` for descending). ``offset`` (hits to skip) replaces ``page`` when given.
        ``facets`` names keyword or date fields (``["tags", "date:year"]``) whose values are
        counted over all matches. ``prefix_last`` matches the last word as a prefix, with or
        without accents, when the query does not end in a space (search as you type).
        ``fragment_chars`` and ``fragments`` size the body snippets; ``highlight_tags`` are
        the strings put around matches in :meth:`Results.to_json_dict`. Other keyword
        arguments override :class:`~vnsearch.settings.SearchSettings` for this search.
        """
        started = time.perf_counter()
        limit = _positive(limit, "limit")
        if offset is None:
            page = _positive(page, "page")
            offset = (page - 1) * limit
        else:
            offset = _not_negative(offset, "offset")
            page = offset // limit + 1
        fragment_chars, fragments = _positive(fragment_chars, "fragment_chars"), _positive(fragments, "fragments")
        options = self.settings.with_options(**settings) if settings else self.settings
        schema = self._index.schema
        if fields is not None:
            fields = _check_fields(fields, schema)
        facet_specs = _facets.parse_facets(facets, schema) if facets else ()
        parsed = typed = _q.parse(query, schema, strict=strict)
        if prefix_last:
            parsed = _prefix_last(parsed)
        shape: dict[str, Any] = {"offset": offset, "highlight_tags": tuple(highlight_tags)}
        commit = self._current()
        searcher, reader = commit.searcher, commit.reader
        sortedby, reverse = _sorting(sort, schema)
        wquery, terms, reranking = _q.build(parsed, schema, settings=options, reader=reader, fields=fields)
        # Ranked by relevance: find and count with the query, then reorder its best matches.
        plan = reranking if sortedby is None else None
        ignored = list(parsed.ignored)
        if terms.truncated:
            ignored.append(f"words after the first {options.max_terms}")
        if terms.unexpanded:
            words = terms.unexpanded
            more = f" and {len(words) - 5} more" if len(words) > 5 else ""
            ignored.append(f"expansion budget spent: {', '.join(words[:5])}{more} searched as typed")
        filter_query = _filters(filters, schema) if filters else None
        if wquery is None:
            if filter_query is None:
                empty: dict[str, dict[str, int]] = {spec.name: {} for spec in facet_specs}
                return Results(query, (), 0, page, limit, "", tuple(ignored), None, time.perf_counter() - started,
                               facets=empty, **shape)
            wquery = wq.Every()
        weighting = BM25(B=options.b, K1=options.k1)
        arrays = commit.arrays
        with searcher.__class__(reader, weighting=weighting, closereader=False) as scoring:
            found = arrays.evaluate(wquery, weighting)
            if filter_query is not None:
                found = found.within(arrays.mask(filter_query))
            total = found.count()
            counts = _facets.facet_counts(arrays, found.mask, facet_specs) if facet_specs else {}
            if plan is None:
                # Sorted by a field: Whoosh sorts the matches; the sort key is no relevance.
                # (An empty filter set would mean "no filter" to Whoosh.)
                ranked = [(hit.docnum, 0.0) for hit in scoring.search(
                    wq.Every(), limit=offset + limit, filter=set(found.docs().tolist()),
                    sortedby=sortedby, reverse=reverse,
                )] if total else []
            else:
                ranked = rank(arrays, weighting, found, plan, max(options.rerank_depth, offset + limit))
            shown = _shown_scores([score for _, score in ranked[: offset + limit]])
            sizes = (fragment_chars, fragments)
            hits = tuple(
                self._hit(offset + i + 1, scoring, docnum, (shown[offset + i], score), terms, snippets, sizes)
                for i, (docnum, score) in enumerate(ranked[offset : offset + limit])
            )
        suggestion = None
        if suggest and not parsed.is_empty:
            # As typed: the words of a search as you type are restored too.
            suggestion = _suggest(typed, arrays, weighting, schema)
        _trim.now_and_then()
        return Results(
            query=query,
            hits=hits,
            total=total,
            page=page,
            limit=limit,
            parsed=str(wquery),
            ignored=tuple(ignored),
            suggestion=suggestion,
            seconds=time.perf_counter() - started,
            facets=counts,
            **shape,
        )

    def _hit(
        self,
        rank: int,
        searcher: Any,
        docnum: int,
        scores: tuple[float, float],
        terms: _q.QueryTerms,
        snippets: bool,
        sizes: tuple[int, int],
    ) -> Hit:
        stored = dict(searcher.stored_fields(docnum))
        title, body = stored.pop("title", ""), stored.pop("body", "")
        tags = stored.pop("tags", "") or ""
        fragments: tuple[_hl.Snippet, ...] = ()
        title_snippet = None
        if snippets:
            chars, count = sizes
            title_spans = _hl.find_spans(title, terms.exact, terms.folded, terms.phrases)
            title_snippet = _hl.whole_snippet(title, title_spans, field="title")
            body_spans = _hl.find_spans(body, terms.exact, terms.folded, terms.phrases)
            fragments = _hl.make_snippets(body, body_spans, fragments=count, chars=chars)
            if not fragments:
                lead = _hl.lead_snippet(body, chars=chars)
                fragments = (lead,) if lead else ()
        return Hit(
            id=stored.pop("id"),
            rank=rank,
            score=scores[0],
            raw_score=scores[1],
            title=title,
            body=body,
            date=stored.pop("date", None),
            url=stored.pop("url", None),
            tags=tuple(t for t in tags.split(",") if t),
            fields=stored,
            snippets=fragments,
            title_snippet=title_snippet,
        )


def _shown_scores(scores: list[float]) -> list[float]:
    """The scores shown, in rank order: each never above the one ranked before it (a hit in
    a lower tier of :mod:`vnsearch.ranking` may have the higher score)."""
    shown: list[float] = []
    for score in scores:
        shown.append(min(score, shown[-1]) if shown else score)
    return shown


def _prefix_last(parsed: _q.ParsedQuery) -> _q.ParsedQuery:
    """``parsed`` with its last plain word matched as a prefix, when the query ends in it."""
    text = parsed.text
    if not text or text[-1].isspace():
        return parsed  # the last word is finished
    tree = parsed.tree
    clauses = [(name, i, node) for name in ("must", "should") for i, node in enumerate(getattr(tree, name))]
    if not clauses:
        return parsed
    name, i, last = max(clauses, key=lambda c: getattr(c[2], "position", -1))
    if not isinstance(last, _q.TextClause) or last.kind != "words" or not text.endswith(last.text.split()[-1]):
        return parsed
    *head, word = last.text.split()
    replaced = [dataclasses.replace(last, text=" ".join(head))] if head else []
    replaced.append(dataclasses.replace(last, text=word, kind="prefix", position=len(text) - len(word)))
    nodes = list(getattr(tree, name))
    nodes[i : i + 1] = replaced
    return dataclasses.replace(parsed, tree=dataclasses.replace(tree, **{name: tuple(nodes)}))


def _not_negative(value: int, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must be at least 0, not {number}")
    return number


def _positive(value: int, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, not {number}")
    return number


def _check_fields(fields: Sequence[str], schema: Any) -> tuple[str, ...]:
    if isinstance(fields, str):
        fields = [fields]
    text_fields = schema.text_fields
    for name in fields:
        if name not in text_fields:
            raise SchemaError(f"{name!r} is not a text field of this index ({', '.join(text_fields)})")
    return tuple(fields)


def _filters(filters: Mapping[str, Any], schema: Any) -> wq.Query | None:
    """A Whoosh filter from ``{"field": value}`` conditions, all of which must hold."""
    clauses: list[wq.Query] = []
    for name, value in filters.items():
        if name not in schema or name.endswith(FOLDED_SUFFIX):
            raise SchemaError(f"cannot filter on {name!r}: not a field of this index")
        values = list(value) if isinstance(value, (list, set, frozenset)) else [value]
        alternatives = [_filter_one(name, v, schema) for v in values]
        clauses.append(wq.Or(alternatives) if len(alternatives) > 1 else alternatives[0])
    return wq.And(clauses) if len(clauses) > 1 else (clauses[0] if clauses else None)


def _filter_one(name: str, value: Any, schema: Any) -> wq.Query:
    """One filter condition, built as a clause: a value is never pasted into query text."""
    kind = schema[name].type
    node: _q.Node
    try:
        if kind == "text":
            node = _q.TextClause(_bound_text(value), name, "phrase")
        elif isinstance(value, tuple) and len(value) == 2:
            low, high = (None if v is None else _bound_text(v) for v in value)
            node = _q.FilterClause(name, low=low or None, high=high or None)
            _q.check_bounds(kind, node)
        elif isinstance(value, (_dt.date, _dt.datetime)):
            node = _q.filter_clause(name, kind, _bound_text(value))
        else:
            node = _q.filter_clause(name, kind, str(value))
    except ValueError as exc:
        raise QuerySyntaxError(f"cannot filter {name} on {value!r}: {exc}", str(value), 0) from None
    parsed = _q.ParsedQuery(str(value), _q.Group(must=(node,)))
    q, _, _ = _q.build(parsed, schema)
    if q is None:
        raise QuerySyntaxError(f"cannot filter {name} on {value!r}", str(value), 0)
    return q


def _bound_text(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def _sorting(sort: str | None, schema: Any) -> tuple[Any, bool]:
    if sort in (None, "", "relevance"):
        return None, False
    if sort in ("date", "newest", "oldest"):
        # Dated documents first either way; Whoosh would put undated ones first when newest.
        dated = sorting.QueryFacet({0: wq.Every("date")}, other=1)
        newest = sort != "oldest"
        return sorting.MultiFacet([dated, sorting.FieldFacet("date", reverse=newest)]), False
    name = sort.lstrip("-")
    if name not in schema or schema[name].type not in ("date", "number", "keyword", "id"):
        raise SchemaError(f"cannot sort by {sort!r}: use relevance, date, oldest or a date or number field")
    return name, sort.startswith("-")

