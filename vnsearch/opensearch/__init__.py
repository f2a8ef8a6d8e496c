"""vnsearch on OpenSearch: Vietnamese analysis, query syntax and results past one machine.

vnsearch analyses each document in Python and sends it encoded so that a stock OpenSearch
2.x node (or a hosted service) indexes exactly vnsearch's tokens with its built-in filters
(:mod:`vnsearch.opensearch.analysis`); queries in vnsearch's syntax are translated from the
parsed tree to the query DSL (:mod:`vnsearch.opensearch.dsl`); results are vnsearch's own
:class:`~vnsearch.Results`, their snippets cut from the stored original text.

Needs the optional extra: ``pip install 'vnsearch[opensearch]'`` (opensearch-py).

* :func:`index_settings` -- the settings and mappings of an index, for any client or tool;
* :func:`to_engine_doc` -- a document's JSON source, pure (for Spark, Dask or Ray jobs);
* :class:`RemoteIndex` -- create, add, add_path, delete, refresh, search;
* :func:`connect` -- an ``opensearchpy.OpenSearch`` client for one or more URLs.
"""

from __future__ import annotations

from vnsearch.opensearch.analysis import ANALYSIS_VERSION, encode, index_settings
from vnsearch.opensearch.remote import RemoteIndex, connect, to_engine_doc

__all__ = ["ANALYSIS_VERSION", "RemoteIndex", "connect", "encode", "index_settings", "to_engine_doc"]
