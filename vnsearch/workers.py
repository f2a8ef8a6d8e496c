"""Worker processes for indexing: a pool that lives for one :meth:`Index.add` run.

Whoosh's own multiprocessing writer starts new processes for every commit and loses a batch
silently when one of them fails; here each worker builds one segment per share of a batch in
the index folder (:func:`vnsearch.whoosh_ext.segment_writer.build_segment`) and returns it.
The parent process, which holds the writer lock, deletes replaced documents and commits the
batch's segments in one step, so the index still moves from commit to commit. Workers are
forked on Linux from a process running one thread, else spawned (see :func:`can_fork`): a
spawned worker imports vnsearch and loads pyvi's model once, on first use.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, Callable, Iterator, Mapping, Sequence

from vnsearch.whoosh_ext.segment_writer import build_segment

__all__ = ["Workers", "Building", "cores", "can_fork", "start_method", "WORKER_LIMIT_MB"]

# Whoosh's in-memory budget for the postings of one segment before it sorts them to disk.
WORKER_LIMIT_MB = 128


def cores() -> int:
    """Processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers start by fork: on Linux, and only from a process running one thread.

    A forked child gets a copy of every lock as it stood, held or not, but only the forking
    thread: a lock another thread held (an app's searcher, a background committer, a logging
    handler) stays held for good and can deadlock the worker (Python 3.12 warns of it).
    Otherwise workers are spawned, which re-imports the main module: a script must then
    guard its indexing with ``if __name__ == "__main__":``; when workers were not asked for
    (``procs=None``), vnsearch indexes in the calling process instead.
    """
    return sys.platform.startswith("linux") and threading.active_count() == 1


def start_method() -> str:
    """How workers would start now: ``"fork"`` or ``"spawn"`` (see :func:`can_fork`)."""
    return "fork" if can_fork() else "spawn"


# In a worker: the pool's shared counts of documents and characters written (see _start_worker).
_done: Any = None


def _start_worker(parent: int, done: Any) -> None:
    global _done
    # Ctrl-C reaches the whole process group: the parent alone decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _done = done
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _build_counted(folder: str, share: Sequence[Mapping[str, Any]], limitmb: int) -> Any:
    """In a worker: :func:`build_segment`, counting each document in the pool's shared counts
    as it is written, so that the parent can show progress while the segment is built."""
    return build_segment(folder, _Counted(share, _done), limitmb)


class _Counted(Sequence[Mapping[str, Any]]):
    """A batch share that adds each document (and its characters) to ``done`` as it is read."""

    def __init__(self, share: Sequence[Mapping[str, Any]], done: Any):
        self._share = share
        self._done = done

    def __len__(self) -> int:
        return len(self._share)

    def __getitem__(self, i: Any) -> Any:
        return self._share[i]

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for values in self._share:
            yield values
            if self._done is not None:
                with self._done.get_lock():
                    self._done[0] += 1
                    self._done[1] += len(values.get("title", "")) + len(values.get("body", ""))


def _exit_with_parent(parent: int) -> None:
    """Exit when the parent is gone (killed): nothing would ever commit this worker's work."""
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


class Workers:
    """A pool of ``procs`` indexing processes for one run; a context manager.

    Leaving the ``with`` block normally waits for the workers to exit; leaving it with an
    exception, or calling :meth:`terminate`, stops them at once. A worker that dies makes
    :meth:`Building.segments` raise ``BrokenProcessPool``.
    """

    def __init__(self, procs: int, limitmb: int = WORKER_LIMIT_MB):
        self.procs = procs
        self.limitmb = limitmb
        context = multiprocessing.get_context(start_method())
        # Documents and characters written by all workers: shared memory, passed at start.
        self._done = context.Array("q", 2)
        self._pool = ProcessPoolExecutor(
            procs, mp_context=context, initializer=_start_worker, initargs=(os.getpid(), self._done)
        )

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._pool.shutdown(wait=True)
        else:
            self.terminate()

    def done(self) -> tuple[int, int]:
        """Documents and characters the workers have written into segments so far."""
        with self._done.get_lock():
            return int(self._done[0]), int(self._done[1])

    def terminate(self) -> None:
        """Stop the workers now, whatever they are doing."""
        # The executor has no public way to stop running tasks (before Python 3.14).
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def build(self, folder: str, batch: Sequence[Mapping[str, Any]], sizes: Sequence[int]) -> "Building":
        """Start building segments of ``batch`` (Whoosh field values per document) in
        ``folder``'s index, one per worker, shares cut to hold about equal ``sizes``."""
        jobs = [
            self._pool.submit(_build_counted, folder, share, self.limitmb)
            for share in _shares(batch, sizes, self.procs)
        ]
        return Building(jobs)


class Building:
    """Segments being built; :meth:`segments` waits for them (and raises a worker's error)."""

    def __init__(self, jobs: list[Any]):
        self._jobs = jobs

    def segments(self, on_wait: Callable[[], object] | None = None, every: float = 0.25) -> list[Any]:
        """The built segments; ``on_wait`` is called every ``every`` seconds while waiting
        and as each worker finishes (a progress bar's chance to show the workers' counts)."""
        pending = set(self._jobs)
        while pending and on_wait is not None:
            _, pending = wait(pending, timeout=max(every, 0.01), return_when=FIRST_COMPLETED)
            on_wait()
        return [job.result() for job in self._jobs]


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
