"""Facet counts: how many of a search's matches hold each value of a field.

``facets=["tags", "date:year"]`` asks, beside the hits, for the count of every tag and every
year over *all* the matches, as Meilisearch's ``facetDistribution`` does. A keyword field
counts its values; a date field counts by ``year``, ``month`` or ``day`` (``date`` alone is
by year).

Each field's document-to-value table is read once per commit of the index (one pass over
the field's terms or its sort column) and kept with that commit's posting arrays; a search
then counts its matches with one ``numpy.bincount``.
"""

from __future__ import annotations

import datetime as _dt
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from vnsearch.errors import SchemaError
from vnsearch.schema import IndexSchema

__all__ = ["FacetSpec", "parse_facets", "facet_counts", "MAX_FACET_VALUES", "DATE_PARTS"]

MAX_FACET_VALUES = 100  # values reported per facet, the commonest (Meilisearch's default too)
DATE_PARTS = ("year", "month", "day")
# Whoosh's DATETIME column stores this for a document that has no date.
_NO_DATE = 2**64 - 1


@dataclass(frozen=True)
class FacetSpec:
    """One facet asked for: a field, and for a date field the part counted by."""

    field: str
    part: str | None = None

    @property
    def name(self) -> str:
        """The name the counts are reported under: as asked (``tags``, ``date:year``)."""
        return f"{self.field}:{self.part}" if self.part else self.field


def parse_facets(names: Sequence[str] | str, schema: IndexSchema) -> tuple[FacetSpec, ...]:
    """Facet names checked against ``schema``; a comma-separated string is accepted too.

    >>> [f.name for f in parse_facets("tags, date:month", IndexSchema.build())]
    ['tags', 'date:month']
    """
    if isinstance(names, str):
        names = [n for n in names.split(",")]
    specs: list[FacetSpec] = []
    for raw in names:
        name = str(raw).strip()
        if not name:
            continue
        field, _, given = name.partition(":")
        part: str | None = given
        if field not in schema:
            raise SchemaError(f"cannot count facet {name!r}: {field!r} is not a field of this index")
        kind = schema[field].type
        if kind == "date":
            part = part or "year"
            if part not in DATE_PARTS:
                raise SchemaError(f"cannot count facet {name!r}: a date counts by {', '.join(DATE_PARTS)}")
        elif kind == "keyword":
            if given:
                raise SchemaError(f"cannot count facet {name!r}: only a date field takes ':{given}'")
            part = None
        else:
            raise SchemaError(f"cannot count facet {name!r}: facets are keyword or date fields, {field!r} is {kind}")
        spec = FacetSpec(field, part)
        if spec not in specs:
            specs.append(spec)
    return tuple(specs)


@dataclass(frozen=True)
class _Table:
    """Pairs (document, value number) of one facet over the whole index, and the values."""

    docs: np.ndarray
    values: np.ndarray
    labels: tuple[str, ...]


_tables: "weakref.WeakKeyDictionary[Any, dict[FacetSpec, _Table]]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def facet_counts(arrays: Any, mask: np.ndarray, specs: Sequence[FacetSpec]) -> dict[str, dict[str, int]]:
    """For each facet, its values' counts among the documents of ``mask``, commonest first
    (ties by value), at most :data:`MAX_FACET_VALUES` of them.

    ``arrays`` is the search's :class:`~vnsearch.whoosh_ext.postings.PostingArrays`: its
    leaves are read, and the tables are kept as long as it lives.
    """
    out: dict[str, dict[str, int]] = {}
    for spec in specs:
        table = _table(arrays, spec)
        hit = mask[table.docs] if len(table.docs) else np.zeros(0, dtype=bool)
        counts = np.bincount(table.values[hit], minlength=len(table.labels))
        order = sorted((i for i in np.flatnonzero(counts).tolist()), key=lambda i: (-counts[i], table.labels[i]))
        out[spec.name] = {table.labels[i]: int(counts[i]) for i in order[:MAX_FACET_VALUES]}
    return out


def _table(arrays: Any, spec: FacetSpec) -> _Table:
    with _lock:
        cached = _tables.get(arrays)
        if cached is None:
            cached = _tables[arrays] = {}
        table = cached.get(spec)
    if table is None:
        table = _read_dates(arrays, spec.field, spec.part) if spec.part else _read_keywords(arrays, spec.field)
        with _lock:
            cached[spec] = table
    return table


def _read_keywords(arrays: Any, field: str) -> _Table:
    """Every (document, value) of a keyword field, from its posting lists."""
    labels: list[str] = []
    docs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    reader = arrays.searcher.reader()
    for number, term in enumerate(reader.field_terms(field)):
        text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        labels.append(text)
        ids = np.fromiter(reader.postings(field, term).all_ids(), dtype=np.int64)
        docs.append(ids)
        values.append(np.full(len(ids), number, dtype=np.int64))
    return _pairs(docs, values, labels, arrays.live)


def _read_dates(arrays: Any, field: str, part: str) -> _Table:
    """Every dated document's year, month or day, from a date field's sort column."""
    from whoosh.util.times import long_to_datetime

    width = {"year": 4, "month": 7, "day": 10}[part]
    numbers: dict[str, int] = {}
    docs: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for reader, offset, _ in arrays.leaves:
        if not reader.has_column(field):
            continue
        raw = np.fromiter(reader.column_reader(field, translate=False), dtype=np.uint64)
        dated = np.flatnonzero(raw != np.uint64(_NO_DATE))
        labels = [_label(long_to_datetime(int(v)), width) for v in raw[dated].tolist()]
        docs.append(dated + offset)
        values.append(np.fromiter((numbers.setdefault(t, len(numbers)) for t in labels), dtype=np.int64, count=len(labels)))
    return _pairs(docs, values, list(numbers), arrays.live)


def _label(when: _dt.datetime, width: int) -> str:
    return when.strftime("%Y-%m-%d")[:width]


def _pairs(docs: list[np.ndarray], values: list[np.ndarray], labels: list[str], live: np.ndarray) -> _Table:
    all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int64)
    all_values = np.concatenate(values) if values else np.zeros(0, dtype=np.int64)
    keep = live[all_docs] if len(all_docs) else np.zeros(0, dtype=bool)  # deleted documents count for nothing
    return _Table(all_docs[keep], all_values[keep], tuple(labels))
