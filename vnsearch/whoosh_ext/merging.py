"""When small commits merge segments: by tiers of size, never the large segments, and in the
background, so that a merge never delays the commit that made a document visible.

Whoosh's default policy (``MERGE_SMALL``) compares running totals of segment sizes with a
Fibonacci series: over an index of many equal segments (one per worker and batch, as bulk
indexing writes them) a handful of one-document commits makes it merge every segment, and
a one-document add took 600 s on 35,431 articles (2 busy cores) and 1.1 GB of memory. Here
segments of the same tier (a power of ten of documents) are merged once there are
:data:`MERGE_FACTOR` of them, and never segments of a tenth of the index or more: each
document is rewritten about once per tier, a merge costs at most about a tenth of the index,
and large segments are left to :meth:`vnsearch.Index.optimize` or a bulk add.

Whoosh merges inside a commit, holding the writer lock: every tenth one-document commit
rewrote ten segments first (0.5 s of CPU on the 35,431-article index, seconds beside 8
searching threads), and the document it added waited for it. :class:`Merge` instead writes
the merged segment beside the index without the lock (as a worker writes one); a later
commit puts it in the place of its sources (:func:`substitute`), in that commit's one table
of contents, unless a source has changed meanwhile (then the merged files are dropped).
It still shares the interpreter with the commits beside it: it pauses (``pause``, every
:data:`~vnsearch.whoosh_ext.segment_writer.PAUSE_EVERY` documents, postings or terms) while
the index's own writes wait or run.
"""

from __future__ import annotations

import copy
import uuid
from collections import defaultdict
from typing import Any, Callable, Iterator, Sequence

from whoosh.reading import SegmentReader

from vnsearch.whoosh_ext.segment_writer import PAUSE_EVERY, Writer
from vnsearch.whoosh_ext.storage import hold_segment, release_segment

__all__ = ["MERGE_FACTOR", "Merge", "small_tier_groups", "substitute", "tier"]

MERGE_FACTOR = 10  # segments of one tier merged together


def tier(documents: int) -> int:
    """The power of ten below ``documents``.

    >>> [tier(n) for n in (0, 1, 9, 10, 354, 2214)]
    [0, 0, 0, 1, 2, 3]
    """
    return len(str(max(1, documents))) - 1


def small_tier_groups(segments: Sequence[Any]) -> list[list[Any]]:
    """The groups of segments due to be merged: :data:`MERGE_FACTOR` or more of one tier,
    below a tenth of the index, smallest tier first."""
    total = sum(segment.doc_count_all() for segment in segments)
    large = tier(max(1, total // MERGE_FACTOR))
    by_tier: dict[int, list[Any]] = defaultdict(list)
    for segment in segments:
        level = tier(segment.doc_count_all())
        if level < large:
            by_tier[level].append(segment)
    return [by_tier[level] for level in sorted(by_tier) if len(by_tier[level]) >= MERGE_FACTOR]


class Merge:
    """One group of segments merged into a new segment, written without the writer lock.

    Make it where the index's commits cannot run (the files it starts are held from them at
    once), :meth:`build` it anywhere, then :func:`substitute` it in a commit or
    :meth:`discard` it.
    """

    def __init__(self, ix: Any, sources: Sequence[Any], pause: Callable[[], object] | None = None):
        """``pause`` is called every :data:`PAUSE_EVERY` documents, postings or terms: the
        index waits there while its own writes run, which then need not share the CPU."""
        self.sources = list(sources)
        # Deletions only grow: a source deleted from since is no longer what was merged.
        self.deleted = {s.segment_id(): s.deleted_count() for s in self.sources}
        self.segment: Any = None
        self._storage = ix.storage
        self._scratch = ix.storage.temp_storage(f"merge-{uuid.uuid4().hex}.tmp")
        apart = copy.copy(ix)
        apart.storage = _ScratchApart(ix.storage, self._scratch)
        self._writer = Writer(apart, _lk=False, pause=pause)
        self._id = self._writer.newsegment.segment_id()
        hold_segment(self._storage, self._id)  # a commit meanwhile must not delete its files

    def build(self) -> Any:
        """Write the merged segment (the sources' live documents, in order); return it."""
        writer = self._writer
        try:
            for source in self.sources:
                reader = _PausingReader(writer.storage, writer.schema, source, writer.pause)
                try:
                    writer.add_reader(reader)
                finally:
                    reader.close()
            self.segment = writer._finalize_segment()
        except BaseException:
            writer._close_segment()
            self.discard()
            raise
        finally:
            self._scratch.destroy()
        return self.segment

    def still_fits(self, segments: Sequence[Any]) -> bool:
        """Whether every source is in ``segments`` as it was merged (no deletions since)."""
        current = {s.segment_id(): s.deleted_count() for s in segments}
        return all(current.get(segid) == deleted for segid, deleted in self.deleted.items())

    def committed(self) -> None:
        """The merged segment is in a commit: its files are the commit's to keep."""
        release_segment(self._storage, self._id)

    def discard(self) -> None:
        """Drop the merged segment's files."""
        release_segment(self._storage, self._id)
        prefix = f"{self._id}."
        for name in self._storage.list():
            if name.startswith(prefix):
                try:
                    self._storage.delete_file(name)
                except OSError:
                    pass  # the next commit's clean-up removes it


class _PausingReader(SegmentReader):
    """A segment's reader whose documents and postings, read for a merge, come with pauses."""

    def __init__(self, storage: Any, schema: Any, segment: Any, pause: Callable[[], object] | None):
        super().__init__(storage, schema, segment)
        self._pause = pause

    def iter_docs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        return _pausing(super().iter_docs(), self._pause)

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        return _pausing(super().iter_postings(), self._pause)


def _pausing(items: Iterator[Any], pause: Callable[[], object] | None) -> Iterator[Any]:
    if pause is None:
        yield from items
        return
    for n, item in enumerate(items, 1):
        yield item
        if n % PAUSE_EVERY == 0:
            pause()


class _ScratchApart:
    """The index's storage with temporary files in a folder of their own: Whoosh's writers
    put theirs (postings runs, stored-field columns) in one shared folder, ``MAIN.tmp``,
    which every commit destroys when it ends."""

    def __init__(self, storage: Any, scratch: Any):
        self._storage = storage
        self._scratch = scratch

    def temp_storage(self, name: str | None = None) -> Any:
        return self._scratch

    def __iter__(self) -> Any:
        return iter(self._storage)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


def substitute(merges: Sequence[Merge], segments: Sequence[Any]) -> tuple[list[Any], list[Merge], list[Merge]]:
    """``segments`` with each built merge that still fits in the place of its sources;
    returns the new list, the merges used and those that no longer fit."""
    used: list[Merge] = []
    stale: list[Merge] = []
    out = list(segments)
    for merge in merges:
        if merge.segment is not None and merge.still_fits(out):
            gone = set(merge.deleted)
            out = [s for s in out if s.segment_id() not in gone] + [merge.segment]
            used.append(merge)
        else:
            stale.append(merge)
    return out, used, stale
