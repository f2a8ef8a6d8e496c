"""The one place where ``vnsearch.opensearch`` reaches into the rest of vnsearch.

Everything the OpenSearch backend shares with the local engine (normalising and folding,
the tokenizer, the query parser and its tree, snippets, results, documents and reports) is
imported here and only here, so that a change of vnsearch's layout is one edit. The names
with a leading underscore in their home module are listed so: they are relied on as they are.

* ``vnsearch.query.syntax._is_filter``: whether a node of the tree is a condition only;
* ``vnsearch.searcher._positive``, ``_check_fields``: the checks of a search's arguments.
"""

from __future__ import annotations

from typing import NamedTuple

from vnsearch.analysis import MAX_TOKEN_CHARS, VietnameseTokenizer
from vnsearch.documents import Document, SkippedRecord, documents_from, load, parse_date
from vnsearch.documents.dates import date_bound
from vnsearch.documents.options import ErrorMode, check_errors
from vnsearch.errors import (
    DocumentError,
    IndexNotFoundError,
    IndexVersionError,
    QuerySyntaxError,
    SchemaError,
    VnsearchError,
)
from vnsearch.highlight import Snippet, find_spans, lead_snippet, make_snippets, whole_snippet
from vnsearch.index import AddReport, Progress
from vnsearch.query import FilterClause, Group, Node, ParsedQuery, TextClause, check_bounds, filter_clause, parse
from vnsearch.query.build import clause_syllables
from vnsearch.query.syntax import _is_filter as is_filter
from vnsearch.results import Hit, Results
from vnsearch.schema import FIELD_TYPES, FieldSpec, IndexSchema
from vnsearch.searcher import _check_fields as check_fields
from vnsearch.searcher import _positive as positive
from vnsearch.settings import DEFAULT_SETTINGS, SearchSettings
from vnsearch.version import __version__
from vnsearch.vietnamese.text import fold, has_diacritics, normalize

__all__ = [
    "__version__", "MAX_TOKEN_CHARS", "Unit", "units",
    "Document", "ErrorMode", "SkippedRecord", "check_errors", "date_bound", "documents_from", "load", "parse_date",
    "DocumentError", "IndexNotFoundError", "IndexVersionError", "QuerySyntaxError", "SchemaError",
    "VnsearchError",
    "Snippet", "find_spans", "lead_snippet", "make_snippets", "whole_snippet",
    "AddReport", "Progress",
    "FilterClause", "Group", "Node", "ParsedQuery", "TextClause", "check_bounds", "filter_clause", "parse",
    "clause_syllables", "is_filter",
    "FIELD_TYPES", "FieldSpec", "IndexSchema", "Hit", "Results", "check_fields", "positive",
    "DEFAULT_SETTINGS", "SearchSettings", "fold", "has_diacritics", "normalize",
]


class Unit(NamedTuple):
    """One token of vnsearch's analysis: its text (normal form, case kept), its span in the
    original string, its position, and on the first token of a pyvi word or a glued unit
    (``Hải_Phòng``, ``10/7/2019``) that word and where it ends."""

    text: str
    start: int
    end: int
    position: int
    word: str | None
    word_end: int


def units(text: str, words: bool = True) -> list[Unit]:
    """The tokens vnsearch's exact analyzer makes of ``text``, before lower-casing."""
    return [
        Unit(t.text, t.startchar, t.endchar, t.pos, t.word, t.word_endchar)
        for t in VietnameseTokenizer(words=words)(text, positions=True, chars=True)
    ]
