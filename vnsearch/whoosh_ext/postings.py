"""Queries evaluated a posting list at a time, over arrays that span the whole index.

Whoosh's matchers walk a query's postings a document at a time, with several Python calls per
posting and per level of the query tree: an OR of twenty terms, some of them syllables found in
most news articles ("được", "hai"), took over a second at 35,000 articles. Here each term's
posting list is read a block at a time into arrays (documents, term frequencies), scored with
BM25 by numpy, and added into one score array over every document; AND, OR and NOT are boolean
arrays. The scores are Whoosh's (tests compare the two on every kind of query); query types
this module does not know (ranges, ...) are matched by Whoosh for that part only; phrases by phrases.py.
"""

from __future__ import annotations

import functools
import pickle
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.formats import Positions
from whoosh.matching import FilterMatcher, ListMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import bm25
from whoosh.util.numeric import byte_to_length

from vnsearch.settings import DEFAULT_CACHE_BYTES
from vnsearch.whoosh_ext import phrases, positions
from vnsearch.whoosh_ext.scoring import CombinedTerm

__all__ = ["Match", "PostingArrays", "PostingCache", "TermPostings", "top"]

# Decoded field lengths, by the byte Whoosh stores per document and field.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_ABSENT = object()  # cached: the term is not in that segment
_VALUE_BYTES = 80  # a posting's encoded positions as Python bytes, about (counted, not summed)


@dataclass(frozen=True)
class Match:
    """The documents a query matches (``mask``) and their scores (0 elsewhere)."""

    mask: np.ndarray
    score: np.ndarray

    def count(self) -> int:
        return int(np.count_nonzero(self.mask))

    def docs(self) -> np.ndarray:
        return np.flatnonzero(self.mask)

    def within(self, allowed: np.ndarray) -> "Match":
        """Only the matches that ``allowed`` (a filter's mask) keeps."""
        mask = self.mask & allowed
        return Match(mask, np.where(mask, self.score, 0.0))


class PostingCache:
    """Posting arrays and field lengths of segments, shared by threads under one byte budget.

    Least recently used entries go first once the budget is passed. Entries are keyed by
    segment id, which a commit never reuses: after a commit only new segments are read.
    Entries are read-only once made; a lock guards the bookkeeping only.
    """

    def __init__(self, budget: int):
        if not isinstance(budget, int) or budget < 0:
            raise ValueError(f"cache_bytes must be a whole number of at least 0, not {budget!r}")
        self.budget = budget
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: Any, value: Any, size: int) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (value, size)
            self._bytes += size
            self._shrink()

    def grow(self, key: Any, size: int) -> None:
        """Count ``size`` more bytes for an entry that has grown (positions read later)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found[0] is not None:
                self._entries[key] = (found[0], found[1] + size)
                self._bytes += size
                self._shrink()

    def _shrink(self) -> None:
        while self._bytes > self.budget and self._entries:
            _, (_, size) = self._entries.popitem(last=False)
            self._bytes -= size

    @property
    def nbytes(self) -> int:
        """Bytes held now (never more than the budget)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


class _LeafPostings:
    """One term's postings in one segment: document numbers in the segment (ascending),
    frequencies, and where each block's positions are, read only when asked for."""

    __slots__ = ("ids", "weights", "_starts", "_loaders", "_values", "_cache", "_key")

    def __init__(self, ids: np.ndarray, weights: np.ndarray, blocks: list[tuple[int, Any]], cache: PostingCache, key: Any):
        self.ids = ids
        self.weights = weights
        self._starts = np.array([start for start, _ in blocks], dtype=np.int64)
        self._loaders = [load for _, load in blocks]
        self._values: dict[int, Any] = {}
        self._cache = cache
        self._key = key

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.weights.nbytes + self._starts.nbytes + 100 * len(self._loaders) + 200

    @property
    def index_file(self) -> str | None:
        """Where these postings were read (named by a damaged or forged pickle's error)."""
        segment = self._key[0]
        return f"segment {segment}" if isinstance(segment, str) else None

    def values(self, i: int) -> Any:
        """The encoded positions of the ``i``-th posting."""
        block = int(np.searchsorted(self._starts, i, side="right")) - 1
        return self._block(block)[i - self._starts[block]]

    def _block(self, block: int) -> Any:
        values = self._values.get(block)
        if values is None:
            values = self._values[block] = self._loaders[block]()
            self._cache.grow(self._key, _VALUE_BYTES * len(values))
        return values

    def positions_at(self, indices: np.ndarray, format_: Any) -> tuple[np.ndarray, np.ndarray]:
        """(counts, positions) of the postings at ``indices`` (ascending), each block read
        once, all decoded together (:mod:`~vnsearch.whoosh_ext.positions`)."""
        block_of = np.searchsorted(self._starts, indices, side="right") - 1
        wanted: list[Any] = []
        for b in np.unique(block_of).tolist():
            values = self._block(b)
            wanted += [values[i] for i in (indices[block_of == b] - self._starts[b]).tolist()]
        if type(format_) is Positions:
            return positions.decode(wanted, lambda i: self._decoded(format_, wanted[i]))
        lists = [self._decoded(format_, value) for value in wanted]  # another format: Whoosh's own
        counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        return counts, np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))

    def _decoded(self, format_: Any, value: bytes) -> list[int]:
        # A method: a forged pickle's error finds this segment's name on the stack (self).
        return format_.decode_positions(value)


class TermPostings:
    """One term's posting list over the whole index: documents (ascending), frequencies,
    and where each block's positions are, read only for the few documents asked about."""

    def __init__(self, ids: np.ndarray, weights: np.ndarray, parts: list[tuple[int, _LeafPostings]], format_: Any):
        self.ids = ids
        self.weights = weights
        self._part_starts = np.array([start for start, _ in parts], dtype=np.int64)
        self._parts = [leaf for _, leaf in parts]
        self._format = format_

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, docnum: int) -> list[int]:
        """The term's positions in a document (empty when the document lacks it)."""
        i = int(np.searchsorted(self.ids, docnum))
        if i == len(self.ids) or self.ids[i] != docnum:
            return []
        if len(self._parts) == 1:
            return self._format.decode_positions(self._parts[0].values(i))
        part = int(np.searchsorted(self._part_starts, i, side="right")) - 1
        return self._format.decode_positions(self._parts[part].values(i - int(self._part_starts[part])))

    def positions_in(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (document, position) of the term in ``docs`` (ascending, all in ``ids``), as
        two arrays; a segment's postings decoded at once, not a call per document."""
        where = np.searchsorted(self.ids, docs)
        part_of = np.searchsorted(self._part_starts, where, side="right") - 1
        counts: list[np.ndarray] = []
        flat: list[np.ndarray] = []
        for p in np.unique(part_of).tolist():
            found = self._parts[p].positions_at(where[part_of == p] - self._part_starts[p], self._format)
            counts.append(found[0])
            flat.append(found[1])
        if len(counts) == 1:
            return np.repeat(docs, counts[0]), flat[0]
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.repeat(docs, np.concatenate(counts)), np.concatenate(flat)


class PostingArrays:
    """One Whoosh searcher's postings and field lengths as arrays over the whole index.

    Made for one searcher (one commit of the index) and shared by threads; each segment's
    arrays are read once into ``cache`` (shared across commits too) and joined per search.
    """

    def __init__(self, searcher: Any, cache: PostingCache | None = None):
        self.searcher = searcher
        self.cache = cache if cache is not None else PostingCache(DEFAULT_CACHE_BYTES)
        self.leaves = [
            (sub.reader(), offset, _segment_key(sub.reader())) for sub, offset in searcher.leaf_searchers()
        ]
        self.size = searcher.doc_count_all()
        self.live = np.ones(self.size, dtype=bool)
        for reader, offset, _ in self.leaves:
            deleted = reader.deleted_docs_set if reader.has_deletions() else ()
            if deleted:
                self.live[offset + np.fromiter(deleted, dtype=np.int64)] = False
        self._lengths: dict[str, np.ndarray] = {}  # one array per field: bounded by the schema
        self._lock = threading.Lock()

    # -- reading --------------------------------------------------------------------------

    def lengths(self, fieldname: str) -> np.ndarray:
        """Every document's length in ``fieldname`` (as Whoosh stores it: one byte, lossy)."""
        found = self._lengths.get(fieldname)
        if found is None:
            parts = []
            for reader, _, segkey in self.leaves:
                key = (segkey, "lengths", fieldname)
                part = self.cache.get(key)
                if part is None:
                    part = _leaf_lengths(reader, fieldname)
                    self.cache.put(key, part, part.nbytes)
                parts.append(part)
            if len(parts) == 1:
                found = parts[0]
            else:
                found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)
            self._lengths[fieldname] = found
        return found

    def postings(self, fieldname: str, btext: bytes) -> TermPostings:
        """A term's posting list over the whole index (each segment's part cached)."""
        ids_parts: list[np.ndarray] = []
        weight_parts: list[np.ndarray] = []
        parts: list[tuple[int, _LeafPostings]] = []
        start = 0
        for reader, offset, segkey in self.leaves:
            leaf = self._leaf(reader, segkey, fieldname, btext)
            if leaf is None:
                continue
            parts.append((start, leaf))
            ids_parts.append(leaf.ids + offset if offset else leaf.ids)
            weight_parts.append(leaf.weights)
            start += len(leaf.ids)
        format_ = self.searcher.schema[fieldname].format
        if len(ids_parts) == 1:
            ids, weights = ids_parts[0], weight_parts[0]
        elif ids_parts:
            ids, weights = np.concatenate(ids_parts), np.concatenate(weight_parts)
        else:
            ids, weights = np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        return TermPostings(ids, weights, parts, format_)

    def _leaf(self, reader: Any, segkey: Any, fieldname: str, btext: bytes) -> _LeafPostings | None:
        key = (segkey, fieldname, btext)
        found = self.cache.get(key)
        if found is not None:
            return found if found is not _ABSENT else None
        try:
            matcher = reader.postings(fieldname, btext)
        except TermNotFound:
            self.cache.put(key, _ABSENT, 100)
            return None
        ids, weights, blocks = _leaf_postings(matcher)
        # Compact while cached (frequencies are small whole numbers): 8 bytes a posting.
        leaf = _LeafPostings(ids.astype(np.int32), weights.astype(np.float32), blocks, self.cache, key)
        self.cache.put(key, leaf, leaf.nbytes)
        return leaf

    def term(self, fieldname: str, text: str) -> TermPostings:
        """``postings`` of a term given as text."""
        return self.postings(fieldname, self.searcher.schema[fieldname].to_bytes(text))

    def bm25(self, fieldname: str, term: TermPostings, weighting: Any, where: Any = slice(None)) -> np.ndarray:
        """BM25 of ``term`` in the documents of ``term.ids[where]``, as Whoosh scores it."""
        return bm25(
            weighting.idf_of(self.size, len(term)),
            term.weights[where].astype(np.float64),
            self.lengths(fieldname)[term.ids[where]],
            self.searcher.avg_field_length(fieldname) or 1,
            weighting.field_B(fieldname),
            weighting.K1,
        )

    # -- evaluating -----------------------------------------------------------------------

    def evaluate(self, q: wq.Query, weighting: Any) -> Match:
        """The documents ``q`` matches and their scores, as Whoosh's matchers would give them."""
        return _Evaluator(self, weighting).run(q).within(self.live)

    def mask(self, q: wq.Query) -> np.ndarray:
        """The documents ``q`` matches (scores not computed where that can be helped)."""
        return _Evaluator(self, None).run(q).mask & self.live


class _Evaluator:
    def __init__(self, arrays: PostingArrays, weighting: Any):
        self.arrays = arrays
        self.weighting = weighting  # None: matches only, scores left at 0
        self.size = arrays.size

    def empty(self) -> Match:
        return Match(np.zeros(self.size, dtype=bool), np.zeros(self.size, dtype=np.float64))

    def run(self, q: wq.Query) -> Match:
        kind = type(q)  # exact types: FuzzyTerm is a Term, Ordered an And, and so on
        if kind is wq.Term:
            out = self.empty()
            self.add_term(q, out)
            return out
        if kind is CombinedTerm:
            out = self.empty()
            self.add_combined(q, out)
            return out
        if kind is wq.Or and not q.scale:
            out = self.empty()
            for sub in q.subqueries:
                if type(sub) is wq.Term:
                    self.add_term(sub, out)
                elif type(sub) is CombinedTerm:
                    self.add_combined(sub, out)
                else:
                    found = self.run(sub)
                    out.mask[found.mask] = True
                    out.score[:] += found.score
            return out
        if kind is wq.And:
            if not q.subqueries:
                return self.empty()
            parts = [self.run(sub) for sub in q.subqueries]
            mask = parts[0].mask.copy()
            for f in parts[1:]:
                mask &= f.mask
            score = np.zeros(self.size, dtype=np.float64)
            for f in parts:
                score += f.score
            return Match(mask, np.where(mask, score, 0.0))
        if kind is wq.AndMaybe:
            required, optional = self.run(q.a), self.run(q.b)
            return Match(required.mask, required.score + np.where(required.mask, optional.score, 0.0))
        if kind is wq.AndNot:
            positive, negative = self.run(q.a), self.run(q.b)
            return positive.within(~negative.mask)
        if q is wq.NullQuery:
            return self.empty()
        if kind is wq.Phrase and (matched := phrases.match(self.arrays, q, self.weighting)) is not None:
            out = self.empty()
            out.mask[matched[0]], out.score[matched[0]] = True, matched[1]
            return out
        return self.whoosh(q)

    def add_term(self, q: wq.Term, out: Match) -> None:
        """Adds a term's matches and BM25 scores into ``out`` (each document once per term)."""
        searcher = self.arrays.searcher
        schema = searcher.schema
        if q.fieldname not in schema:
            return
        field = schema[q.fieldname]
        try:
            btext = field.to_bytes(q.text)
        except ValueError:
            return
        term = self.arrays.postings(q.fieldname, btext)
        if not len(term):
            return
        out.mask[term.ids] = True
        if self.weighting is None:
            return
        if field.scorable:
            score = self.arrays.bm25(q.fieldname, term, self.weighting)
        else:
            score = term.weights  # Whoosh's WeightScorer for unscored fields
        out.score[term.ids] += score * q.boost if q.boost != 1.0 else score

    def add_combined(self, q: CombinedTerm, out: Match) -> None:
        """Adds a BM25F term's matches and scores into ``out`` (see :class:`CombinedTerm`)."""
        arrays, schema = self.arrays, self.arrays.searcher.schema
        fields = [(fieldname, weight) for fieldname, weight in q.fields if fieldname in schema]
        terms = [
            (fieldname, weight * chance, arrays.term(fieldname, text))
            for fieldname, weight in fields for text, chance in q.spellings
        ]
        routes = [route for route in terms if len(route[2])]
        if not routes:
            return
        if len(routes) == 1:
            ids = routes[0][2].ids
            tf = routes[0][1] * routes[0][2].weights.astype(np.float64)
        else:
            # Dense over the index: cheaper than sorting the union of long posting lists.
            dense, seen = np.zeros(self.size, dtype=np.float64), np.zeros(self.size, dtype=bool)
            for _, weight, term in routes:
                dense[term.ids] += np.float64(weight) * term.weights  # a chance is no float32
                seen[term.ids] = True  # a field weighted 0 still matches, as a Term with boost 0
            ids = np.flatnonzero(seen)
            tf = dense[ids]
        out.mask[ids] = True
        if self.weighting is None:
            return
        length = np.zeros(len(ids), dtype=np.float64)
        average = 0.0
        for fieldname, weight in fields:
            length += weight * arrays.lengths(fieldname)[ids]
            average += weight * (arrays.searcher.avg_field_length(fieldname) or 0.0)
        w = self.weighting
        score = bm25(w.idf_of(self.size, len(ids)), tf, length, average or 1.0, w.B, w.K1)
        out.score[ids] += score * q.boost if q.boost != 1.0 else score

    def whoosh(self, q: wq.Query) -> Match:
        """A query this module does not evaluate itself, matched and scored by Whoosh."""
        out = self.empty()
        searcher = self.arrays.searcher
        context = searcher.context(weighting=self.weighting) if self.weighting is not None else None
        for sub, offset in searcher.leaf_searchers():
            matcher = q.matcher(sub, context)
            while matcher.is_active():
                docnum = offset + matcher.id()
                out.mask[docnum] = True
                if self.weighting is not None:
                    out.score[docnum] += matcher.score()
                matcher.next()
        return out


def _segment_key(reader: Any) -> Any:
    """What names a segment's postings: its id (never reused), or the reader itself."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else ("reader", id(reader))


def _leaf_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """One segment's lengths of ``fieldname``, read from Whoosh's length column at once."""
    codes = np.zeros(reader.doc_count_all(), dtype=np.uint8)
    perdoc, column_name = reader._perdoc, _lenfield(fieldname)
    if perdoc.has_column(column_name):
        column = perdoc._cached_reader(column_name, LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, min(column._count, len(codes)))
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    return _LENGTHS[codes]


def _leaf_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray, list[tuple[int, Any]]]:
    """One segment's posting list as (document numbers, weights, blocks), read a block at a
    time; blocks are (index of the block's first posting, a function reading its values)."""
    if isinstance(matcher, FilterMatcher):  # deleted documents are masked out later
        matcher = matcher.child
    if isinstance(matcher, ListMatcher):
        ids = np.asarray(matcher._ids, dtype=np.int64)
        listed = matcher._weights
        list_weights = np.ones(len(ids)) if listed is None else np.asarray(listed, dtype=np.float64)
        values = matcher._values
        return ids, list_weights, [(0, lambda: values)]
    deltas: list[int] = []
    weights: list[float] = []
    blocks: list[tuple[int, Any]] = []
    starts: list[tuple[int, int]] = []  # (index of a block's first id, the block before's last id)
    last = 0
    while matcher.is_active():
        matcher._read_data()
        block_ids, block_weights, _ = matcher._data
        count = matcher._blocklength
        if deltas:
            starts.append((len(deltas), last))
        blocks.append((len(deltas), functools.partial(
            _block_values, matcher._postfile, matcher._dataoffset, matcher._nextoffset, matcher._compression,
        )))
        deltas.extend(block_ids)
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        last = matcher._maxid
        matcher._next_block()
    ids = np.array(deltas, dtype=np.int64)
    # Each block's first id is absolute: make it a delta from the block before for one cumsum.
    for index, before in starts:
        ids[index] -= before
    return np.cumsum(ids), np.array(weights, dtype=np.float64), blocks


def _block_values(postfile: Any, start: int, end: int, compression: int) -> Any:
    """The encoded values (positions) of one block of a posting list, as Whoosh reads them."""
    data = postfile.get(start, end - start)
    return pickle.loads(zlib.decompress(data) if compression else data)[2]


def top(match: Match, depth: int, tiers: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The ``depth`` best (document, score) pairs, best first; ties go to the lower number.

    With ``tiers`` (an integer per document), a higher tier comes first whatever the scores.
    """
    if tiers is None:
        return _top(np.flatnonzero(match.mask), match.score, depth)
    docs = np.flatnonzero(match.mask)
    levels = tiers[docs]
    best: list[tuple[int, float]] = []
    for level in np.unique(levels)[::-1].tolist():
        if len(best) >= depth:
            break
        best.extend(_top(docs[levels == level], match.score, depth - len(best)))
    return best


def _top(docs: np.ndarray, all_scores: np.ndarray, depth: int) -> list[tuple[int, float]]:
    scores = all_scores[docs]
    if len(docs) > depth:
        kth = np.partition(scores, len(docs) - depth)[len(docs) - depth]
        keep = scores >= kth
        docs, scores = docs[keep], scores[keep]
    order = np.lexsort((docs, -scores))[:depth]
    return [(int(d), float(s)) for d, s in zip(docs[order], scores[order])]
