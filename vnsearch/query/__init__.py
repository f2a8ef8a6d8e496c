"""The query language and its translation to Whoosh queries.

:mod:`~vnsearch.query.syntax` parses query strings into a tree of clauses (no Whoosh);
:mod:`~vnsearch.query.build` turns that tree into Whoosh queries and a reranking plan.
"""

from vnsearch.query.build import Proximity, QueryTerms, Reranking, build
from vnsearch.query.syntax import (
    MAX_QUERY_CHARS,
    FilterClause,
    Group,
    Node,
    ParsedQuery,
    TextClause,
    check_bounds,
    filter_clause,
    parse,
    parse_date_bound,
)

__all__ = [
    "MAX_QUERY_CHARS",
    "FilterClause",
    "Group",
    "Node",
    "ParsedQuery",
    "Proximity",
    "QueryTerms",
    "Reranking",
    "TextClause",
    "build",
    "check_bounds",
    "filter_clause",
    "parse",
    "parse_date_bound",
]
