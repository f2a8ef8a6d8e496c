"""Indexing in worker processes: each worker analyses its share of a batch into a segment.

Whoosh's own multiprocessing writer starts new processes for every commit and loses a batch
silently when one of them fails; here a pool of workers lives for one :meth:`Index.add` run,
builds one Whoosh segment per share of each batch in the index folder, and returns it. The
parent process, which holds the writer lock, deletes replaced documents and commits the
batch's segments in one step, so the index still moves from commit to commit.

Workers are forked where the platform allows it (Linux, from a single-threaded process),
else spawned: a spawned worker imports vnsearch and loads pyvi's model once, on first use.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from typing import Any, Mapping, Sequence

__all__ = ["Workers", "cores", "commit_with_segments"]

# Whoosh's in-memory budget for the postings of one segment before it sorts them to disk.
WORKER_LIMIT_MB = 128


def cores() -> int:
    """Processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _start_method() -> str:
    # fork is fast and shares the loaded model, but is unsafe with threads or outside Linux.
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Workers:
    """A pool of ``procs`` indexing processes for one run; a context manager.

    Leaving the ``with`` block normally waits for the workers to exit; leaving it with an
    exception, or calling :meth:`terminate`, stops them at once.
    """

    def __init__(self, procs: int, limitmb: int = WORKER_LIMIT_MB):
        self.procs = procs
        self.limitmb = limitmb
        context = multiprocessing.get_context(_start_method())
        self._pool = context.Pool(procs, initializer=_ignore_interrupts)

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._pool.close()
        else:
            self._pool.terminate()
        self._pool.join()

    def terminate(self) -> None:
        self._pool.terminate()
        self._pool.join()

    def build(self, folder: str, batch: Sequence[Mapping[str, Any]], sizes: Sequence[int]) -> "Building":
        """Start building segments of ``batch`` (Whoosh field values per document) in
        ``folder``'s index, one per worker, shares cut to hold about equal ``sizes``."""
        jobs = [
            self._pool.apply_async(build_segment, (folder, share, self.limitmb))
            for share in _shares(batch, sizes, self.procs)
        ]
        return Building(jobs)


class Building:
    """Segments being built; :meth:`segments` waits for them (and raises a worker's error)."""

    def __init__(self, jobs: list[Any]):
        self._jobs = jobs

    def segments(self) -> list[Any]:
        return [job.get() for job in self._jobs]


def _shares(batch: Sequence[Any], sizes: Sequence[int], parts: int) -> list[Sequence[Any]]:
    """``batch`` cut into at most ``parts`` runs of consecutive items of about equal size.

    >>> _shares("abcdef", [1, 1, 1, 1, 1, 5], 2)
    ['abcde', 'f']
    >>> _shares("ab", [1, 1], 4)
    ['a', 'b']
    """
    total = sum(sizes)
    shares: list[Sequence[Any]] = []
    start = 0
    done = 0
    for i, size in enumerate(sizes):
        done += size
        if done * parts >= total * (len(shares) + 1) and len(shares) < parts - 1:
            shares.append(batch[start : i + 1])
            start = i + 1
    if start < len(batch):
        shares.append(batch[start:])
    return shares


def build_segment(folder: str, batch: Sequence[Mapping[str, Any]], limitmb: int) -> Any:
    """In a worker: write ``batch`` as one new segment of the index in ``folder``; return it.

    The segment's files are in the folder, but only a commit by the writer holding the lock
    makes the segment part of the index.
    """
    from whoosh.filedb.filestore import FileStorage
    from whoosh.writing import SegmentWriter

    ix = FileStorage(folder).open_index()
    writer = SegmentWriter(ix, _lk=False, limitmb=limitmb)
    try:
        for values in batch:
            writer.add_document(**values)
        # Leaves the shared temporary folder alone: the parent's commit removes it.
        return writer._finalize_segment()
    except BaseException:
        writer._close_segment()
        raise


def commit_with_segments(writer: Any, segments: Sequence[Any]) -> None:
    """Commit ``writer`` (Whoosh ``SegmentWriter``) with ``segments`` built by workers added.

    What ``SegmentWriter.commit`` and Whoosh's multisegment writer do: merge small existing
    segments, finish the writer's own segment, then write the new table of contents.
    """
    writer._check_state()
    final = writer._merge_segments(None, None, None)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    writer._commit_toc(final + list(segments))
    writer._finish()
