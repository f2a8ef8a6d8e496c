"""The query language and its translation to Whoosh queries.

:mod:`~vnsearch.query.syntax` parses query strings into a tree of clauses (no Whoosh);
:mod:`~vnsearch.query.build` turns that tree into Whoosh queries and a reranking plan.
"""

from vnsearch.query import build as _build
from vnsearch.query import syntax as _syntax
from vnsearch.query.build import *  # noqa: F403 - the names listed in its __all__
from vnsearch.query.syntax import *  # noqa: F403 - the names listed in its __all__

__all__ = [*_syntax.__all__, *_build.__all__]
