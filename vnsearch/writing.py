"""How vnsearch writes Whoosh segments: a faster segment writer, and worker processes.

:class:`Writer` is Whoosh's ``SegmentWriter`` with three hot spots of a large write removed,
the index format unchanged:

* vnsearch's text fields are indexed from the analyzer's units in one pass
  (:func:`vnsearch.analysis.term_positions`), not through a chain of token generators; any
  other field, or a field with a boost, goes through Whoosh's own code;
* postings that overflow memory are sorted to disk in ``marshal`` chunks, not pickled one by
  one;
* when the segment is written, field lengths are read once per field, not once per posting.

Workers: Whoosh's own multiprocessing writer starts new processes for every commit and loses a
batch silently when one of them fails; here a pool of workers lives for one
:meth:`Index.add` run, builds one segment per share of each batch in the index folder, and
returns it. The parent process, which holds the writer lock, deletes replaced documents and
commits the batch's segments in one step, so the index still moves from commit to commit.
Workers are forked on Linux, else spawned: a spawned worker imports vnsearch and loads pyvi's
model once, on first use.
"""

from __future__ import annotations

import itertools
import marshal
import multiprocessing
import os
import signal
import sys
import threading
import time
from pickle import dumps  # whoosh.compat's dumps; whoosh.compat itself is not imported
from typing import Any, Iterator, Mapping, Sequence

from whoosh import formats
from whoosh.system import pack_uint
from whoosh.writing import PostingPool, SegmentWriter

from vnsearch.analysis import exact_analyzer, folded_analyzer, term_positions

__all__ = ["Writer", "Workers", "cores", "commit_with_segments"]

# Whoosh's in-memory budget for the postings of one segment before it sorts them to disk.
WORKER_LIMIT_MB = 128
_RUN_CHUNK = 50_000  # postings per marshal record in a sorted run


class Writer(SegmentWriter):
    """Whoosh's segment writer, faster on vnsearch's text fields (same index format)."""

    def __init__(self, ix: Any, **kwargs: Any):
        super().__init__(ix, **kwargs)
        self.pool = _Pool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))
        self._plans = _plans(self.schema)
        # Spelling and vector fields take Whoosh's own path, with everything else.
        self._whoosh_only = not self._plans or any(
            field.separate_spelling() or field.vector for _, field in self.schema.items()
        )

    def add_document(self, **fields: Any) -> None:
        # Whoosh's SegmentWriter.add_document, with vnsearch's text fields on a short path.
        if self._whoosh_only or any(name.startswith("_") for name in fields):
            return super().add_document(**fields)  # also boosts and custom stored values
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        fieldnames = sorted(fields)
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields[fieldname]
                if value is None:
                    continue
                field = schema[fieldname]
                plan = self._plans.get(fieldname)
                length = 0
                if plan is not None and isinstance(value, str):
                    length = pool.add_positions(fieldname, docnum, term_positions(value, *plan), field.format)
                    if not field.scorable:
                        length = 0
                elif field.indexed:
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        pool.add((fieldname, tbytes, docnum, weight * 1.0, vbytes))  # times no boost
                perdocwriter.add_field(fieldname, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        # Whoosh's, with the per-document reader's lengths read once per field.
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(pdr) if pdr is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


def _plans(schema: Any) -> dict[str, tuple[bool, bool]]:
    """``{field name: (words, folded)}`` of the fields :func:`term_positions` can index:
    vnsearch's analyzers and Whoosh's plain ``Positions`` format."""
    analyzers = {
        (words, folded): (folded_analyzer if folded else exact_analyzer)(words)
        for words in (True, False)
        for folded in (True, False)
    }
    plans = {}
    for name, field in schema.items():
        fmt = getattr(field, "format", None)
        if not isinstance(fmt, formats.Positions) or type(fmt) is not formats.Positions:
            continue
        if fmt.field_boost != 1.0 or not field.indexed:
            continue
        if field.vector or field.separate_spelling() or field.column_type:
            continue
        for plan, analyzer in analyzers.items():
            if field.analyzer == analyzer:
                plans[name] = plan
    return plans


_ONE_POSITION: dict[int, bytes] = {}  # Positions.encode([p]) by p: most postings have one


class _Pool(PostingPool):
    """Whoosh's posting pool, adding a field's postings at once and writing sorted runs as
    marshal chunks (postings are tuples of str, bytes, int, float and bytes)."""

    def add_positions(self, fieldname: str, docnum: int, positions: Mapping[str, list[int]], fmt: Any) -> int:
        """Add one document's postings for a ``Positions`` field; return its length."""
        one = _ONE_POSITION
        current = self.current
        size = 0
        length = 0
        for text, poses in positions.items():
            tbytes = text.encode("utf-8")
            freq = len(poses)
            if freq == 1:
                vbytes = one.get(poses[0])
                if vbytes is None:
                    vbytes = one[poses[0]] = pack_uint(1) + dumps(poses, 2)  # Positions.encode
            else:
                vbytes = fmt.encode(poses)
            current.append((fieldname, tbytes, docnum, float(freq), vbytes))
            # PostingPool.add's estimate of the memory a posting takes
            size += 150 + len(fieldname) + 2 * len(tbytes) + len(vbytes)
            length += freq
        self.fieldnames.add(fieldname)
        self.currentsize += size
        if self.currentsize > self.limit:
            self.save()
        return length

    def _write_run(self, f: Any, items: Any) -> None:
        items = iter(items)
        while True:
            chunk = list(itertools.islice(items, _RUN_CHUNK))
            if not chunk:
                break
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path: str) -> Iterator[Any]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


class _Lengths:
    """A per-document reader whose field lengths come from lists read once per field."""

    def __init__(self, pdr: Any):
        self._pdr = pdr
        self._lengths: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            read = self._pdr.doc_field_length
            lengths = [read(d, fieldname, default) for d in range(self._pdr.doc_count_all())]
            self._lengths[fieldname] = lengths
        return lengths[docnum]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pdr, name)


def cores() -> int:
    """Processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether workers start by fork: on Linux, where it is the default start method.

    Elsewhere they are spawned, which re-imports the main module: a script must then guard
    its indexing with ``if __name__ == "__main__":``.
    """
    return sys.platform.startswith("linux")


def _start_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent alone decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


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
        from concurrent.futures import ProcessPoolExecutor

        self.procs = procs
        self.limitmb = limitmb
        context = multiprocessing.get_context("fork" if can_fork() else "spawn")
        self._pool = ProcessPoolExecutor(
            procs, mp_context=context, initializer=_start_worker, initargs=(os.getpid(),)
        )

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self._pool.shutdown(wait=True)
        else:
            self.terminate()

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
            self._pool.submit(build_segment, folder, share, self.limitmb)
            for share in _shares(batch, sizes, self.procs)
        ]
        return Building(jobs)


class Building:
    """Segments being built; :meth:`segments` waits for them (and raises a worker's error)."""

    def __init__(self, jobs: list[Any]):
        self._jobs = jobs

    def segments(self) -> list[Any]:
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


def build_segment(folder: str, batch: Sequence[Mapping[str, Any]], limitmb: int) -> Any:
    """In a worker: write ``batch`` as one new segment of the index in ``folder``; return it.

    The segment's files are in the folder, but only a commit by the writer holding the lock
    makes the segment part of the index.
    """
    from whoosh.filedb.filestore import FileStorage

    ix = FileStorage(folder).open_index()
    writer = Writer(ix, _lk=False, limitmb=limitmb)
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
