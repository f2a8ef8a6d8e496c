"""The reference the posting-array evaluation is compared with: Whoosh's own matchers."""

from __future__ import annotations

from typing import Any


def whoosh_scores(searcher: Any, q: Any) -> dict[int, float]:
    """{document: score} of a Whoosh query from Whoosh's own matchers, segment by segment."""
    found = {}
    for sub, offset in searcher.leaf_searchers():
        matcher = q.matcher(sub, searcher.context())
        while matcher.is_active():
            found[offset + matcher.id()] = matcher.score()
            matcher.next()
    return found
