"""vnsearch on OpenSearch as a system of ``quality.py`` (``--opensearch URL``).

Indexes the corpus into a fresh index of the cluster through :class:`vnsearch.opensearch.RemoteIndex`
(dropped afterwards) and searches it with the same search options as the local engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from peers import Doc


class RemoteEngine:
    """:class:`peers.Engine` over a RemoteIndex in the cluster at ``url``."""

    name = "vnsearch on OpenSearch"

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        from vnsearch.opensearch import RemoteIndex, connect  # needs vnsearch[opensearch]

        # The whole index's statistics: a benchmark corpus is small for its shards.
        self._index = RemoteIndex(connect(url), f"vnsearch-quality-{uuid.uuid4().hex[:8]}", global_statistics=True)
        self._options = dict(options)

    def index(self, docs: Sequence[Doc]) -> None:
        self._index.create(overwrite=True)
        self._index.add([{"id": doc.id, "title": doc.title, "body": doc.text} for doc in docs])
        self._index.refresh()

    def search(self, query: str, k: int) -> list[str]:
        return [str(hit.id) for hit in self._index.search(query, limit=k, snippets=False, **self._options)]

    def close(self) -> None:
        self._index.drop()
