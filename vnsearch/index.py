"""Create, open and write a vnsearch index: a Whoosh index plus a small ``vnsearch.json``.

Writes go through one Whoosh writer at a time. Large inputs are committed in batches, so
memory stays bounded and an interrupted run leaves the index at its last commit: Whoosh
writes new segment files first and switches to them in one step when it commits.

The writer lock is Whoosh's: an ``flock`` on ``MAIN_WRITELOCK`` (``msvcrt`` locking on
Windows). A second writer waits ``lock_timeout`` seconds, then gets `IndexLockedError`. The
OS drops the lock when its process dies, so a killed writer never blocks the index; the lock
file itself stays, harmlessly. Readers never take the lock; an index opened ``readonly=True``
refuses to write at all.

Inside one process, one :class:`Index` may be written from many threads: each write (and a
whole ``with index.batch():`` block) holds the object's own lock, so writes queue instead of
failing. Apps that add a document at a time can leave commits to a background thread
(:meth:`Index.start_autocommit`).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import functools
import itertools
import json
import os
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar, cast

from whoosh.writing import MERGE_SMALL

from vnsearch import workers
from vnsearch.documents import Document, SkippedRecord, documents_from, load, parse_date
from vnsearch.documents.decoding import bytes_read
from vnsearch.documents.options import ErrorMode, check_errors
from vnsearch.errors import (
    DocumentError,
    IndexClosedError,
    IndexFileMissingError,
    IndexLockedError,
    IndexNotFoundError,
    IndexReadOnlyError,
    IndexVersionError,
    SchemaError,
    VnsearchError,
)
from vnsearch.highlight import FRAGMENT_CHARS, MAX_FRAGMENTS
from vnsearch.results import HIGHLIGHT_TAGS
from vnsearch.schema import IndexSchema
from vnsearch.settings import AUTOCOMMIT_DOCUMENTS, AUTOCOMMIT_SECONDS, DEFAULT_CACHE_BYTES
from vnsearch.version import __version__
from vnsearch.whoosh_ext.merging import Merge, small_tier_groups, substitute
from vnsearch.whoosh_ext.readers import delete_term, open_view, shared_readers
from vnsearch.whoosh_ext.segment_writer import Writer, commit_with_segments
from vnsearch.whoosh_ext.storage import (
    LockError,
    MemoryStorage,
    check_seal,
    create_index,
    file_storage,
    has_seal,
    holds_index,
    is_index_file,
    sealed_json,
    write_atomic,
    writer_lock,
)

if TYPE_CHECKING:
    from vnsearch.results import Results
    from vnsearch.searcher import Searcher

__all__ = ["Index", "AddReport", "Progress", "IndexStats", "FORMAT_VERSION"]

FORMAT_VERSION = 1
META_FILE = "vnsearch.json"
DEFAULT_BATCH_SIZE = 5000
DEFAULT_LOCK_TIMEOUT = 10.0
_OPEN_ATTEMPTS = 10
_PROGRESS_EVERY = 0.25  # seconds between progress callbacks
# Input from which procs=None starts workers: ~400 news articles, ~1.5 s in one process (with
# 2 cores, 500,000 characters already index 1.7x faster in two workers, but as 2 segments).
_PARALLEL_MIN_CHARS = 1_000_000
_MAX_AUTO_PROCS = 4  # each worker holds a batch share and its postings in memory
# Commits of fewer writes (an app adding documents as they come) merge by tiers, never the
# large segments; larger ones keep Whoosh's merge policy, as bulk indexing always has.
_SMALL_COMMIT = 1_000
_ID_LOOKUPS = 200  # ids of one write looked up one by one before all are read (_KnownIds)
_MERGE_PAUSE = 1.0  # seconds at most a background merge waits, each time, for writes to end

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _serialised(method: _Method) -> _Method:
    """``method`` run holding the index's write lock: one writing thread at a time."""

    @functools.wraps(method)
    def locked(self: "Index", *args: Any, **kwargs: Any) -> Any:
        with self._writing(), self._write_lock:
            return method(self, *args, **kwargs)

    return cast(_Method, locked)


@dataclass(frozen=True)
class Progress:
    """How far an :meth:`Index.add` run has got.

    ``documents`` and ``characters`` were read; ``indexed`` and ``indexed_characters`` are
    those written into segments so far (behind what was read while worker processes build a
    batch; the same without workers). For :meth:`Index.add_path` of one file, ``bytes_read``
    of its ``bytes_total`` (its size on disk, compressed for ``.gz``); 0 and 0 otherwise.
    """

    documents: int
    characters: int
    skipped: int
    seconds: float
    indexed: int = 0
    indexed_characters: int = 0
    bytes_read: int = 0
    bytes_total: int = 0


@dataclass(frozen=True)
class AddReport:
    """What an :meth:`Index.add` run did: documents written and records skipped, with why.

    ``unindexed`` names the extra keys the documents brought (``Document.fields``, e.g. a
    record's ``source``) that the index has no field for, so they were neither indexed nor
    stored: declare them with ``Index.create(fields=...)`` to keep them.
    """

    added: int
    skipped: tuple[SkippedRecord, ...] = ()
    characters: int = 0
    seconds: float = 0.0
    unindexed: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"indexed {self.added} documents in {self.seconds:.1f} s"
        if self.skipped:
            text += f", skipped {len(self.skipped)}"
        if self.unindexed:
            text += f"; not kept (no such field): {', '.join(self.unindexed)}"
        return text


@dataclass(frozen=True)
class IndexStats:
    """Size and shape of an index."""

    documents: int
    terms: int
    size_bytes: int
    fields: Mapping[str, str]
    path: str | None
    segments: int

    def to_json_dict(self) -> dict[str, Any]:
        """Plain data for JSON (``vnsearch stats --json`` and the service's ``/stats``)."""
        return {
            "path": self.path,
            "documents": self.documents,
            "terms": self.terms,
            "size_bytes": self.size_bytes,
            "segments": self.segments,
            "fields": dict(self.fields),
        }


@dataclass
class _Run:
    """Counters of one write run."""

    started: float = field(default_factory=time.perf_counter)
    documents: int = 0
    characters: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    last_report: float = 0.0
    declared: frozenset[str] = frozenset()  # the index's extra fields
    unindexed: dict[str, None] = field(default_factory=dict)  # other keys seen, in order
    # Documents and characters written into segments, when workers write them (else as read).
    written: Callable[[], tuple[int, int]] | None = None
    source: Path | None = None  # the one file read, for progress by bytes
    bytes_total: int = 0
    bytes_read: int = 0


class Index:
    """A vnsearch index on disk (or in memory), with its schema.

    >>> index = Index.create(None)
    >>> report = index.add([{"id": "1", "title": "Hải Phòng", "body": "Đảng ủy Khối họp."}])
    >>> len(index)
    1
    """

    def __init__(
        self,
        whoosh_index: Any,
        schema: IndexSchema,
        path: Path | None,
        *,
        lock_timeout: float,
        cache_bytes: int | None = None,
        readonly: bool = False,
    ):
        self._ix = whoosh_index
        self.schema = schema
        self.path = path
        self.lock_timeout = lock_timeout
        self.readonly = readonly
        self._write_lock = threading.RLock()  # held by each write and each batch block
        self._committer: _Committer | None = None
        self._merger: _Merger | None = None
        self._merges: list[Merge] = []  # merged segments written, for the next commit to use
        self._merging: Merge | None = None  # the one being written
        # Writes waiting for the write lock or holding it: a merge being written pauses meanwhile.
        self._writes = 0
        self._no_writes = threading.Event()
        self._no_writes.set()
        self._writes_lock = threading.Lock()
        self._background_error: BaseException | None = None
        self._pending_since = 0.0  # when the oldest uncommitted write was made
        self._known: tuple[int, _KnownIds] | None = None  # (commit, ids in it): see _known_ids
        self.cache_bytes = DEFAULT_CACHE_BYTES if cache_bytes is None else cache_bytes
        # This process's segment readers of the folder, held while the Index is.
        self._readers = shared_readers(whoosh_index)
        self._writer: Any = None
        self._pending = 0  # documents written but not committed
        self._batch_ids: set[str] = set()
        self._built: list[Any] = []  # segments written by worker processes, not committed
        self._depth = 0  # nesting of ``with index:`` blocks
        self._searcher: Searcher | None = None
        self._closed = False
        self._searcher_lock = threading.Lock()  # apart from the write lock: a long batch never blocks a search

    # -- creating and opening -------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike | None = None,
        fields: Mapping[str, str] | None = None,
        *,
        overwrite: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        cache_bytes: int | None = None,
    ) -> "Index":
        """Create an empty index at ``path`` (``None``: in memory).

        ``fields`` declares extra fields by type: ``{"author": "text", "section": "keyword",
        "published": "date", "views": "number", "raw": "stored"}``. ``cache_bytes`` is as
        for :meth:`open`.
        """
        schema = IndexSchema.build(fields)
        if path is None:
            storage = MemoryStorage()
            folder = None
        else:
            folder = Path(path)
            if folder.exists() and not folder.is_dir():
                raise VnsearchError(f"{folder} is a file, not a folder for an index")
            if folder.is_dir() and any(folder.iterdir()):
                if not _looks_like_index(folder):
                    raise VnsearchError(
                        f"{folder} is not empty and holds no index; choose an empty or new folder"
                    )
                if not overwrite:
                    raise VnsearchError(
                        f"{folder} already holds an index; open it with Index.open or pass overwrite=True"
                    )
            folder.mkdir(parents=True, exist_ok=True)
            storage = file_storage(folder, require_checksums=True)
            # A writer of the index being replaced finishes its commit first.
            with writer_lock(storage, lock_timeout):
                if overwrite:
                    _remove_index_files(folder)
                whoosh_index = create_index(storage, schema.whoosh_schema())
                write_meta(folder, schema)
            return cls(whoosh_index, schema, folder, lock_timeout=lock_timeout, cache_bytes=cache_bytes)
        whoosh_index = create_index(storage, schema.whoosh_schema())
        return cls(whoosh_index, schema, folder, lock_timeout=lock_timeout, cache_bytes=cache_bytes)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        cache_bytes: int | None = None,
        readonly: bool = False,
    ) -> "Index":
        """Open the index at ``path``; its schema comes with it.

        Searches from every thread share the segments (memory-mapped, opened once per
        process) and one cache of posting arrays of at most ``cache_bytes`` (default
        :data:`vnsearch.settings.DEFAULT_CACHE_BYTES`, 64 MiB). ``readonly=True`` opens it
        for searching only: writes raise :class:`IndexReadOnlyError` and the writer lock is
        never taken, so a reader can never hold up the process that writes.
        Whoosh unpickles the schema stored in the folder: open only indexes you trust.
        """
        folder = Path(path)
        if not folder.exists():
            raise IndexNotFoundError(f"no index at {folder}: the folder does not exist")
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise IndexNotFoundError(f"{folder} is not a vnsearch index (no {META_FILE})")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            check_seal(meta, str(meta_path))
            fmt = int(meta["format"])
            schema = IndexSchema.from_json(meta["fields"])
        except (ValueError, KeyError, TypeError, AttributeError, SchemaError) as exc:
            raise IndexVersionError(f"{meta_path} is damaged or from another program: {exc}") from exc
        if fmt != FORMAT_VERSION:
            raise IndexVersionError(
                f"the index at {folder} has format {fmt} (made by vnsearch {meta.get('version', '?')}); "
                f"this vnsearch reads format {FORMAT_VERSION}: rebuild the index"
            )
        storage = file_storage(folder, require_checksums=has_seal(meta))
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                whoosh_index = storage.open_index()
                open_view(whoosh_index)  # opens every segment: damage shows here, not mid-search
                break
            except (FileNotFoundError, IndexFileMissingError) as exc:
                # A writer committing just now removed the files of the commit being opened.
                if attempt == _OPEN_ATTEMPTS - 1:
                    raise IndexVersionError(f"cannot read the index at {folder}: {exc}") from exc
                time.sleep(0.05)
            except VnsearchError:
                raise  # a damaged or forged file, named
            except Exception as exc:  # Whoosh raises EmptyIndexError, pickling and OS errors
                raise IndexVersionError(f"cannot read the index at {folder}: {exc}") from exc
        return cls(
            whoosh_index, schema, folder, lock_timeout=lock_timeout, cache_bytes=cache_bytes, readonly=readonly
        )

    @classmethod
    def exists(cls, path: str | os.PathLike) -> bool:
        """True when ``path`` holds a vnsearch index."""
        return (Path(path) / META_FILE).is_file()

    # -- writing ----------------------------------------------------------------------------

    def add(
        self,
        records: Iterable[Mapping[str, Any] | Document],
        *,
        errors: ErrorMode = "strict",
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Callable[[Progress], None] | None = None,
        procs: int | None = None,
        commit: bool = True,
        **record_options: Any,
    ) -> AddReport:
        """Add or replace (by id) documents given as dicts or :class:`Document` objects.

        ``record_options`` name the record keys (``id_field``, ``title_field``, ...), as for
        :meth:`Document.from_record`. ``errors="skip"`` indexes the good records and lists the
        bad ones in the report; ``"strict"`` raises :class:`DocumentError` on the first one.

        Every ``batch_size`` documents are committed. ``procs`` worker processes analyse and
        write them; ``None`` means as many as there are cores, up to 4, when the index is on
        disk, the input holds more than about a million characters and workers can be forked
        (Linux, from a process that runs one thread: forking a process with other threads
        can deadlock the child), else 1. Where workers are spawned (macOS, Windows, or a
        process with several threads), a script that passes ``procs`` must index under
        ``if __name__ == "__main__":``.

        ``commit=False`` leaves the documents pending, for a later :meth:`commit` (or the
        end of a :meth:`batch`, or the background committer) to make visible at once. Safe
        to call from several threads: calls on one Index run one after the other.
        """
        check_errors(errors)
        run = _Run()
        if isinstance(records, (Mapping, Document)):
            records = [records]
        docs = documents_from(records, errors=errors, on_skip=run.skipped.append, **record_options)
        return self._write(docs, run, batch_size, progress, procs, commit)

    update = add  # upsert by id: adding a document whose id exists replaces it

    def add_path(
        self,
        path: str | os.PathLike,
        *,
        errors: ErrorMode = "strict",
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Callable[[Progress], None] | None = None,
        procs: int | None = None,
        commit: bool = True,
        **loader_options: Any,
    ) -> AddReport:
        """Index a file or folder (``.txt``, ``.md``, ``.jsonl``, ``.json``, ``.csv``, ``.tsv``).

        ``loader_options`` go to :func:`vnsearch.documents.load` (``format``, ``id_field``, ...,
        ``clean_pages=True`` to read .txt/.md files as scraped news pages); the other options
        are those of :meth:`add`.
        """
        check_errors(errors)
        run = _Run()
        docs = load(path, errors=errors, on_skip=run.skipped.append, **loader_options)
        source = Path(path)
        if progress is not None and source.is_file():
            run.source, run.bytes_total = source, source.stat().st_size
        return self._write(docs, run, batch_size, progress, procs, commit)

    @_serialised
    def delete(self, ids: str | Iterable[str], *, commit: bool = True) -> int:
        """Delete documents by id; returns how many were deleted (``commit`` as for :meth:`add`)."""
        if isinstance(ids, str):
            ids = [ids]
        ids = [str(doc_id) for doc_id in ids]
        writer = self._open_writer()
        if any(i in self._batch_ids and not writer.has_pending(i) for i in ids):
            self.commit()  # pending in worker-built segments, which only a commit can delete from
            writer = self._open_writer()
        try:
            deleted = sum(delete_term(writer, self._readers, "id", doc_id) for doc_id in ids)
            deleted += sum(writer.delete_pending(doc_id) for doc_id in ids)
            self._batch_ids.difference_update(ids)
            self._wrote(1)
        except BaseException:
            self.cancel()
            raise
        self._commit_unless_grouped(commit)
        return deleted

    @_serialised
    def commit(self) -> None:
        """Make the writes so far durable and visible to new searchers."""
        self._raise_background_error()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            built, self._built = self._built, []
            small = self._pending < _SMALL_COMMIT
            self._pending = 0
            self._batch_ids.clear()
            merges, self._merges = self._merges, []
            stale: list[Merge] = []

            def policy(writer: Any, segments: list[Any]) -> list[Any]:
                segments, _, old = substitute(merges, segments)
                stale.extend(old)
                # Small commits never merge here (see merging.py); bulk ones as Whoosh does.
                return segments if small and not built else MERGE_SMALL(writer, segments)

            writer.mergetype = policy  # also what commit_with_segments merges by
            try:
                if built:
                    commit_with_segments(writer, built)
                else:
                    writer.commit()
            finally:
                for merge in merges:
                    if merge in stale:
                        merge.discard()  # in no commit: its files go now
                    else:
                        merge.committed()  # in the commit, or left to the next commit's clean-up
            if self._known is not None:
                self._known[1].look_in(None)  # its segments are not held open between writes
                if self._known[0] == writer.generation - 1:
                    self._known = (writer.generation, self._known[1])  # this commit's ids are in it
            self._refresh_searcher()
            self._merge_if_due()

    @_serialised
    def cancel(self) -> None:
        """Drop the writes since the last commit."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            self._built = []  # their files go at the next commit
            self._pending = 0
            self._batch_ids.clear()
            writer.cancel()

    @_serialised
    def optimize(self) -> None:
        """Merge all segments into one: slower to write, a little faster to search."""
        self._check_writable()
        self.commit()
        writer = self._open_writer()
        self._writer = None
        writer.commit(optimize=True)
        self._refresh_searcher()

    def __enter__(self) -> "Index":
        self._write_lock.acquire()  # other threads' writes wait for the block to end
        self._depth += 1
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self._depth -= 1
            if self._depth == 0:
                if exc_type is None:
                    self.commit()
                else:
                    self.cancel()
        finally:
            self._write_lock.release()

    @contextlib.contextmanager
    def batch(self) -> Iterator["Index"]:
        """Group writes into one commit, made when the block ends (dropped if it raises).

        Other threads' writes on this Index wait until the block ends. ``with index:`` is
        the same.
        """
        with self:
            yield self

    def start_autocommit(
        self, documents: int = AUTOCOMMIT_DOCUMENTS, seconds: float = AUTOCOMMIT_SECONDS
    ) -> None:
        """Commit in a background thread from now on, when ``documents`` writes are pending
        or the oldest pending write is ``seconds`` old, as Whoosh's ``BufferedWriter`` does;
        :meth:`add` and :meth:`delete` then no longer commit by themselves.

        For apps that add documents one at a time: each commit costs a fraction of a second
        and makes every search reopen the new segments. An error in a background commit is
        raised by the next write or :meth:`commit`. :meth:`close` stops the thread.
        """
        self._check_writable()
        if not isinstance(documents, int) or documents < 1:
            raise ValueError(f"documents must be a whole number of at least 1, not {documents!r}")
        if not seconds > 0:
            raise ValueError(f"seconds must be more than 0, not {seconds!r}")
        self.stop_autocommit()
        self._committer = _Committer(self, documents, float(seconds))
        self._committer.start()

    def stop_autocommit(self) -> None:
        """Stop the background committer (if any) and commit what is pending."""
        committer, self._committer = self._committer, None
        if committer is not None:
            committer.stop()
            self.commit()

    def close(self) -> None:
        """Commit pending writes and release open readers.

        Searches already running finish on the commit they hold; searches and writes started
        afterwards raise :class:`~vnsearch.errors.IndexClosedError`. Closing twice is harmless.
        """
        if self._closed:
            return
        self.stop_autocommit()
        merger, self._merger = self._merger, None
        if merger is not None:
            merger.stop()  # a merge being written is finished and committed first
        self.commit()
        with self._searcher_lock:
            self._closed = True
            if self._searcher is not None:
                self._searcher.close()
            self._searcher = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            where = str(self.path) if self.path else "the in-memory index"
            raise IndexClosedError(f"{where} was closed: open it again to search or write it")

    # -- reading ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._readers.doc_count()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "in memory"
        return f"<vnsearch.Index {where}: {len(self)} documents>"

    def __contains__(self, doc_id: object) -> bool:
        """True when a document with this id is in the index (as of its last commit)."""
        return isinstance(doc_id, (str, int)) and self.searcher().document(str(doc_id)) is not None

    def get(self, doc_id: str) -> Document | None:
        """The document with this id as stored (as of the last commit), or None."""
        stored = self.searcher().document(str(doc_id))
        if stored is None:
            return None
        tags = stored.pop("tags", "") or ""
        return Document(
            id=stored.pop("id"),
            title=stored.pop("title", ""),
            body=stored.pop("body", ""),
            date=stored.pop("date", None),
            url=stored.pop("url", None),
            tags=tuple(t for t in tags.split(",") if t),
            fields=stored,
        )

    def complete(self, typed: str, limit: int = 5) -> list[str]:
        """Completions of what was typed so far, accents restored (``"ha n"`` -> ``"Hà Nội"``,
        ``"Hà Nam"``); see :meth:`vnsearch.searcher.Searcher.complete`."""
        return self.searcher().complete(typed, limit)

    def searcher(self) -> "Searcher":
        """The index's shared :class:`~vnsearch.searcher.Searcher` (safe across threads)."""
        searcher = self._searcher
        if searcher is not None:
            return searcher
        with self._searcher_lock:  # one Searcher even when threads ask at once, none after close()
            self._check_open()
            if self._searcher is not None:
                return self._searcher
            # The read side (and numpy) loads on the first search: an indexing run never needs it.
            from vnsearch.searcher import Searcher

            self._searcher = Searcher(self, cache_bytes=self.cache_bytes)
        return self._searcher

    def search(
        self,
        query: str,
        limit: int = 10,
        page: int = 1,
        fields: Sequence[str] | None = None,
        filters: Mapping[str, Any] | None = None,
        sort: str | None = None,
        *,
        offset: int | None = None,
        facets: Sequence[str] | str | None = None,
        prefix_last: bool = False,
        strict: bool = False,
        snippets: bool = True,
        fragment_chars: int = FRAGMENT_CHARS,
        fragments: int = MAX_FRAGMENTS,
        highlight_tags: tuple[str, str] = HIGHLIGHT_TAGS,
        suggest: bool = True,
        **settings: Any,
    ) -> "Results":
        """Search the index: ``limit`` hits of page ``page``; see
        :meth:`vnsearch.searcher.Searcher.search` for what each parameter does. Other keyword
        arguments override :class:`~vnsearch.settings.SearchSettings` for this search."""
        return self.searcher().search(
            query, limit, page, fields, filters, sort,
            offset=offset, facets=facets, prefix_last=prefix_last, strict=strict, snippets=snippets,
            fragment_chars=fragment_chars, fragments=fragments, highlight_tags=highlight_tags,
            suggest=suggest, **settings,
        )

    def stats(self) -> IndexStats:
        """Documents, distinct terms, size on disk, fields and segments."""
        self._check_open()
        reader = self._readers.view().reader
        terms = sum(1 for _ in reader.all_terms())
        segments = len(reader.leaf_readers())
        size = 0
        if self.path is not None:
            size = sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())
        return IndexStats(
            documents=len(self),
            terms=terms,
            size_bytes=size,
            fields=self.schema.to_json(),
            path=str(self.path) if self.path else None,
            segments=segments,
        )

    # -- internals ----------------------------------------------------------------------------

    @property
    def whoosh_index(self) -> Any:
        """The underlying Whoosh index, for what vnsearch does not wrap."""
        return self._ix

    def _check_writable(self) -> None:
        self._check_open()
        if self.readonly:
            raise IndexReadOnlyError(f"{self.path} was opened read-only (Index.open(..., readonly=True))")
        self._raise_background_error()

    def _raise_background_error(self) -> None:
        error, self._background_error = self._background_error, None
        if error is not None:
            raise VnsearchError(f"a background commit failed: {error}") from error

    def _wrote(self, count: int) -> None:
        """Counts ``count`` more pending writes (and when the first of them was made)."""
        if self._pending == 0:
            self._pending_since = time.monotonic()
        self._pending += count

    def _commit_unless_grouped(self, commit: bool) -> None:
        """After a write: commit now, or leave it to the batch, the caller or the committer."""
        if self._depth or not commit:
            return
        committer = self._committer
        if committer is None:
            self.commit()
        elif self._pending >= committer.documents:
            committer.wake()

    def _commit_if_due(self, documents: int, seconds: float) -> float:
        """The background committer's step: commits when due; returns seconds until the next."""
        with self._write_lock:
            if self._depth or not self._pending:
                return seconds
            age = time.monotonic() - self._pending_since
            if self._pending < documents and age < seconds:
                return seconds - age
            self.commit()
            return seconds

    def _open_writer(self) -> Any:
        self._check_writable()
        if self._writer is None:
            try:
                self._writer = Writer(self._ix, timeout=self.lock_timeout)
            except LockError:
                where = self.path or "the in-memory index"
                raise IndexLockedError(
                    f"{where} is locked by another writer (waited {self.lock_timeout:g} s); "
                    "try again when it has finished"
                ) from None
        return self._writer

    def _write(
        self,
        docs: Iterator[Document],
        run: _Run,
        batch_size: int,
        progress: Callable[[Progress], None] | None,
        procs: int | None = None,
        commit: bool = True,
    ) -> AddReport:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of at least 1, not {batch_size!r}")
        run.declared = frozenset(spec.name for spec in self.schema.extra_fields)
        with self._writing(), self._write_lock:
            self._check_writable()
            procs, docs = self._procs_for(procs, docs)
            if procs > 1:
                self._write_parallel(docs, run, batch_size, progress, procs)
            else:
                self._write_serial(docs, run, batch_size, progress)
            self._commit_unless_grouped(commit)
        if progress is not None:
            progress(_progress_of(run, finished=True))
        return AddReport(
            added=run.documents,
            skipped=tuple(run.skipped),
            characters=run.characters,
            seconds=time.perf_counter() - run.started,
            unindexed=tuple(run.unindexed),
        )

    def _procs_for(self, procs: int | None, docs: Iterator[Document]) -> tuple[int, Iterator[Document]]:
        """How many processes to index ``docs`` with, and the documents (some read ahead)."""
        if procs is not None and (not isinstance(procs, int) or procs < 1):
            raise ValueError(f"procs must be None or a whole number of at least 1, not {procs!r}")
        if self.path is None:
            return 1, docs  # workers cannot write into this process's memory
        if procs is not None:
            return procs, docs
        available = min(workers.cores(), _MAX_AUTO_PROCS)
        if available < 2 or not workers.can_fork():
            return 1, docs  # spawned workers need the caller's main-module guard: ask for them
        # Workers pay off from about a second of work: read that much ahead to decide.
        head: list[Document] = []
        characters = 0
        try:
            for doc in docs:
                head.append(doc)
                characters += len(doc.title) + len(doc.body)
                if characters >= _PARALLEL_MIN_CHARS:
                    return available, itertools.chain(head, docs)
        except BaseException as exc:
            # Index what came before the failure as if it had not been read ahead.
            return 1, _then_raise(head, exc)
        return 1, iter(head)

    def _write_serial(
        self,
        docs: Iterator[Document],
        run: _Run,
        batch_size: int,
        progress: Callable[[Progress], None] | None,
    ) -> None:
        writer = self._open_writer()
        known = self._known_ids()
        extra = self.schema.extra_fields
        try:
            for doc in docs:
                if writer.has_pending(doc.id):
                    writer.delete_pending(doc.id)  # the later record wins, in the same commit
                elif doc.id in self._batch_ids:
                    # Pending in a worker-built segment: only a commit can replace it.
                    self.commit()
                    writer = self._open_writer()
                    known = self._known_ids()  # under the lock: other processes' commits too
                values = _whoosh_values(doc, extra)
                if doc.id in known:
                    delete_term(writer, self._readers, "id", doc.id)  # update_document, for the ids it needs
                writer.add_document(**values)
                known.add(doc.id)
                self._batch_ids.add(doc.id)
                self._wrote(1)
                _count(run, doc, progress)
                if self._pending >= batch_size:
                    self.commit()
                    writer = self._open_writer()
                    known = self._known_ids()  # under the lock: other processes' commits too
        except BaseException:
            self.cancel()
            raise

    def _known_ids(self) -> "_KnownIds":
        """The ids a write must replace rather than add: those in the index (deleted ones
        too) and those written but not committed. Read with the writer lock held, so from the
        commit the writer extends.

        Kept while the index has no commit but this object's; writes add to it. It may hold
        ids since deleted or cancelled: replacing an absent id deletes nothing.
        """
        latest = self._readers.latest_generation()
        if self._known is None or self._known[0] != latest:
            self._known = (latest, _KnownIds())
        known = self._known[1]
        known.look_in(self._readers.view() if known.ids is None else None)
        known.update(self._batch_ids)
        return known

    def _write_parallel(
        self,
        docs: Iterator[Document],
        run: _Run,
        batch_size: int,
        progress: Callable[[Progress], None] | None,
        procs: int,
    ) -> None:
        """Batches built by worker processes, one segment per worker and batch; the parent
        reads the next batch meanwhile, deletes replaced documents and commits."""
        extra = self.schema.extra_fields
        folder = str(self.path)
        batches = _batches(docs, batch_size - self._pending, batch_size, self._batch_ids, extra, run, progress)
        # Workers start before a writer is opened here, so that they do not inherit its lock.
        with workers.Workers(procs) as pool:
            run.written = pool.done

            def waiting() -> None:
                _report(run, progress)

            writer = self._open_writer()
            known = self._known_ids()
            building = None
            try:
                while True:
                    try:
                        batch, ids, sizes = next(batches)
                    except StopIteration:
                        break
                    except Exception:
                        # A bad record or a failing source: as in one process, the full
                        # batches before it are committed.
                        if building is not None:
                            self._built += building.segments(waiting, _PROGRESS_EVERY)
                            self.commit()
                        raise
                    if building is not None or not batch:
                        # Commit the previous batch; an empty batch means this run's pending
                        # writes hold the id that starts the next one.
                        if building is not None:
                            self._built += building.segments(waiting, _PROGRESS_EVERY)
                            building = None
                        self.commit()
                        writer = self._open_writer()
                        known = self._known_ids()  # under the lock: other processes' commits too
                    if batch:
                        building = pool.build(folder, batch, sizes)
                        for doc_id in ids:
                            if doc_id in known:
                                delete_term(writer, self._readers, "id", doc_id)
                        known.update(ids)
                        self._batch_ids.update(ids)
                        self._wrote(len(batch))
                if building is not None:
                    self._built += building.segments(waiting, _PROGRESS_EVERY)
            except BaseException:
                pool.terminate()  # before cancelling: their files must stop changing
                self.cancel()
                raise

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Marks a write (of the app or the committer) from before it waits for the lock
        until its commit is visible: the background merge pauses meanwhile."""
        with self._writes_lock:
            self._writes += 1
            self._no_writes.clear()
        try:
            yield
        finally:
            with self._writes_lock:
                self._writes -= 1
                if not self._writes:
                    self._no_writes.set()

    def _refresh_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.refresh()

    def _merge_if_due(self) -> None:
        """After a commit: wake the background merger if some tier is due to be merged."""
        if self._merging is None and self._due_merge() is not None:
            if self._merger is None:
                self._merger = _Merger(self)
            self._merger.wake()

    def _due_merge(self) -> list[Any] | None:
        """The next group of segments to merge, none of them merged already."""
        taken = {segid for merge in self._merges for segid in merge.deleted}
        for group in small_tier_groups(self._readers.segments()):
            if not taken.intersection(s.segment_id() for s in group):
                return group
        return None

    def _merge_step(self, stopped: threading.Event) -> bool:
        """The merger's step: write one due merge without the lock, then commit it (or
        leave it to the pending writes' commit); False when none is due."""
        if not _acquire(self._write_lock, stopped):
            return False
        try:
            group = None if self._closed or self._merging else self._due_merge()
            if group is None:
                return False
            def pause() -> None:
                # Bounded: a merge still ends under writes that never stop.
                if not stopped.is_set():
                    self._no_writes.wait(_MERGE_PAUSE)

            merge = self._merging = Merge(self._ix, group, pause)
        finally:
            self._write_lock.release()
        try:
            merge.build()
        except (FileNotFoundError, IndexFileMissingError):
            return False  # another process's commit removed a source: its merge, not ours
        finally:
            self._merging = None
        if not _acquire(self._write_lock, stopped):
            merge.discard()
            return False
        try:
            self._merges.append(merge)
            if self._writer is None and not self._closed:
                try:
                    self._open_writer()
                except IndexLockedError:
                    return True  # another process is writing: our next commit uses it
                self.commit()  # puts it in place of its sources: no document waits for it
        finally:
            self._write_lock.release()
        return True


class _KnownIds:
    """The ids of :meth:`Index._known_ids`: the first :data:`_ID_LOOKUPS` of a write looked
    up in the commit one at a time (a term lookup per segment), then every id read. Reading
    35,431 ids took 0.5 s of CPU, most of an app's first one-document add (seconds beside
    searching threads); looking each id up instead costs a term lookup per segment and
    document, too slow for a bulk add."""

    def __init__(self) -> None:
        self.ids: set[str] | None = None  # every id of the commit, once read
        self.commit: Any = None  # the view of the commit looked up in until then
        self._added: set[str] = set()
        self._lookups = 0

    def look_in(self, commit: Any) -> None:
        """Look ids up in ``commit`` (a view) from now on; ``None`` drops the view held."""
        self.commit = commit
        self._lookups = 0  # counted per write: many one-document adds never read every id

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._added:
            return True
        if self.ids is None:
            self._lookups += 1
            reader = self.commit.reader
            if self._lookups <= _ID_LOOKUPS:
                return bool(reader.doc_count_all()) and ("id", doc_id) in reader
            self.ids = set(reader.field_terms("id")) if reader.doc_count_all() else set()
            self.commit = None
        return doc_id in self.ids

    def add(self, doc_id: str) -> None:
        self._added.add(doc_id)

    def update(self, ids: Iterable[str]) -> None:
        self._added.update(ids)


class _Committer:
    """A daemon thread committing an index's pending writes when due (see start_autocommit).

    It holds the index weakly: an Index dropped without close() stops its committer.
    """

    def __init__(self, index: Index, documents: int, seconds: float):
        self.documents = documents
        self.seconds = seconds
        self._index = weakref.ref(index)
        self._wakeup = threading.Event()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vnsearch-autocommit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopped.set()
        self._wakeup.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        wait = self.seconds
        while not self._stopped.is_set():
            self._wakeup.wait(wait)
            self._wakeup.clear()
            index = self._index()
            if index is None or self._stopped.is_set():
                return
            try:
                wait = index._commit_if_due(self.documents, self.seconds)
            except Exception as exc:  # kept for the app's next write to raise
                index._background_error = exc
                wait = self.seconds
            del index  # not held while waiting


class _Merger:
    """A daemon thread writing due merges of small segments (see merging.py), woken after
    commits; it holds the index weakly, as _Committer does."""

    def __init__(self, index: Index):
        self._index = weakref.ref(index)
        self._wakeup = threading.Event()
        self._stopped = threading.Event()
        self.idle = threading.Event()  # set while no merge is due or being written
        self._thread = threading.Thread(target=self._run, name="vnsearch-merge", daemon=True)
        self._thread.start()
        weakref.finalize(index, self._halt)  # an Index dropped without close() stops it too
        _MERGERS.add(self)

    def _halt(self) -> None:
        self._stopped.set()
        self._wakeup.set()

    def wake(self) -> None:
        self.idle.clear()
        self._wakeup.set()

    def stop(self) -> None:
        self._halt()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def _run(self) -> None:
        while True:
            if not self._wakeup.is_set():
                self.idle.set()
            self._wakeup.wait()
            self._wakeup.clear()
            index = self._index()
            if index is None or self._stopped.is_set():
                self.idle.set()
                return
            try:
                while not self._stopped.is_set() and index._merge_step(self._stopped):
                    pass
            except Exception as exc:  # kept for the app's next write to raise
                index._background_error = exc
            del index  # not held while waiting


_MERGERS: "weakref.WeakSet[_Merger]" = weakref.WeakSet()


@atexit.register
def _finish_merges() -> None:
    # A daemon thread dies mid-write at exit: a merge being written is finished and committed
    # first, so that a process that never closed its Index leaves no half-written segment.
    for merger in list(_MERGERS):
        merger.stop()


def _acquire(lock: Any, stopped: threading.Event) -> bool:
    """Take ``lock`` unless ``stopped`` is set first (close() may hold it while it waits)."""
    while not lock.acquire(timeout=0.1):
        if stopped.is_set():
            return False
    return True


def _batches(
    docs: Iterator[Document],
    first_size: int,
    batch_size: int,
    pending_ids: set[str],
    extra: tuple,
    run: _Run,
    progress: Callable[[Progress], None] | None,
) -> Iterator[tuple[list[dict[str, Any]], list[str], list[int]]]:
    """``(values, ids, sizes)`` of batches of ``batch_size`` documents (``first_size`` for the
    first), each cut short before an id it already holds (or ``pending_ids`` holds: then the
    first batch is empty)."""
    batch: list[dict[str, Any]] = []
    ids: list[str] = []
    sizes: list[int] = []
    seen = set(pending_ids)
    limit = max(1, first_size)
    for doc in docs:
        if doc.id in seen or len(batch) >= limit:
            yield batch, ids, sizes
            batch, ids, sizes, seen, limit = [], [], [], set(), batch_size
        batch.append(_whoosh_values(doc, extra))
        ids.append(doc.id)
        sizes.append(len(doc.title) + len(doc.body) + 100)
        seen.add(doc.id)
        _count(run, doc, progress)
    if batch:
        yield batch, ids, sizes


def _then_raise(docs: list[Document], exc: BaseException) -> Iterator[Document]:
    yield from docs
    raise exc


def _count(run: _Run, doc: Document, progress: Callable[[Progress], None] | None) -> None:
    run.documents += 1
    run.characters += len(doc.title) + len(doc.body)
    for key in doc.fields:
        if key not in run.declared:
            run.unindexed.setdefault(key)
    _report(run, progress)


def _progress_of(run: _Run, finished: bool = False) -> Progress:
    indexed, indexed_characters = run.written() if run.written is not None else (run.documents, run.characters)
    if run.source is not None:
        # Once the run is over the loader has read the whole file (and closed it).
        position = run.bytes_total if finished else bytes_read(run.source)
        if position is not None:
            run.bytes_read = max(run.bytes_read, position)
    return Progress(
        run.documents, run.characters, len(run.skipped), time.perf_counter() - run.started,
        indexed, indexed_characters, run.bytes_read, run.bytes_total,
    )


def _report(run: _Run, progress: Callable[[Progress], None] | None) -> None:
    """Call ``progress`` if it is due (every _PROGRESS_EVERY seconds)."""
    if progress is not None and time.perf_counter() - run.last_report >= _PROGRESS_EVERY:
        run.last_report = time.perf_counter()
        progress(_progress_of(run))


def _whoosh_values(doc: Document, extra: tuple) -> dict[str, Any]:
    """The values Whoosh indexes and stores for one document."""
    values: dict[str, Any] = {
        "id": doc.id,
        "title": doc.title,
        "title_f": doc.title,
        "body": doc.body,
        "body_f": doc.body,
    }
    if doc.date is not None:
        values["date"] = doc.date
    if doc.url:
        values["url"] = doc.url
    if doc.tags:
        values["tags"] = ",".join(tag.replace(",", " ") for tag in doc.tags)
    for spec in extra:
        value = doc.fields.get(spec.name)
        if value is None or value == "":
            continue
        try:
            values.update(_convert(spec, value))
        except (TypeError, ValueError) as exc:
            raise DocumentError(
                f"field {spec.name!r}: {exc}", path=doc.source
            ) from None
    return values


def _convert(spec: Any, value: Any) -> dict[str, Any]:
    if spec.type == "text":
        text = str(value)
        return {spec.name: text, spec.folded_name: text}
    if spec.type == "keyword":
        items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
        return {spec.name: ",".join(str(v).strip() for v in items if str(v).strip())}
    if spec.type == "date":
        if not isinstance(value, _dt.datetime):
            value = parse_date(value)
        return {spec.name: value} if value is not None else {}
    if spec.type == "number":
        return {spec.name: float(value)}
    return {spec.name: value}


def _looks_like_index(folder: Path) -> bool:
    return (folder / META_FILE).is_file() or holds_index(folder)


def _remove_index_files(folder: Path) -> None:
    # Only the files Whoosh and vnsearch write; nothing else. The lock file stays: the caller
    # holds it, and another process may be waiting on it.
    for path in folder.iterdir():
        if path.name == "MAIN_WRITELOCK":
            continue
        if path.is_file() and (path.name == META_FILE or is_index_file(path.name)):
            path.unlink()


def write_meta(folder: Path, schema: IndexSchema) -> None:
    """Write ``vnsearch.json`` (format, version, fields, CRC32) so a crash leaves old or new."""
    meta = {"format": FORMAT_VERSION, "version": __version__, "fields": schema.to_json()}
    write_atomic(folder, META_FILE, sealed_json(meta))
