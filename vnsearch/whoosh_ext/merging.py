"""When a small commit merges segments: by tiers of size, never the large segments.

Whoosh's default policy (``MERGE_SMALL``) compares running totals of segment sizes with a
Fibonacci series: over an index of many equal segments (one per worker and batch, as bulk
indexing writes them) a handful of one-document commits makes it merge every segment, and
a one-document add took 600 s on 35,431 articles (2 busy cores) and 1.1 GB of memory. Here
a commit merges only segments of the same tier (a power of ten of documents) once there
are :data:`MERGE_FACTOR` of them, and never segments of a tenth of the index or more: each
document is rewritten about once per tier, a merge costs at most about a tenth of the index,
and large segments are left to :meth:`vnsearch.Index.optimize` or a bulk add.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from whoosh.reading import SegmentReader

__all__ = ["MERGE_FACTOR", "merge_small_tiers", "tier"]

MERGE_FACTOR = 10  # segments of one tier merged together


def tier(documents: int) -> int:
    """The power of ten below ``documents``.

    >>> [tier(n) for n in (0, 1, 9, 10, 354, 2214)]
    [0, 0, 0, 1, 2, 3]
    """
    return len(str(max(1, documents))) - 1


def merge_small_tiers(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh merge policy (``writer.commit(mergetype=...)``): adds the segments to merge
    to ``writer`` and returns those kept as they are."""
    total = sum(segment.doc_count_all() for segment in segments)
    large = tier(max(1, total // MERGE_FACTOR))
    by_tier: dict[int, list[Any]] = defaultdict(list)
    for segment in segments:
        level = tier(segment.doc_count_all())
        if level < large:
            by_tier[level].append(segment)
    merged = [segment for group in by_tier.values() if len(group) >= MERGE_FACTOR for segment in group]
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return [segment for segment in segments if all(segment is not m for m in merged)]
