"""Segment readers shared by every thread and search of a process, over memory-mapped files.

Whoosh opens a new reader for every searcher, and its compound-segment storage wraps each
file of a segment in a ``BufferFile``, whose ``BytesIO`` copies that file into anonymous
memory: a searcher per thread over a 31 MB index cost 60 MB and two file descriptors per
thread. Here a segment is opened once per process (per folder and segment id): its files are
views of one ``mmap`` (pages belong to the OS's file cache, shared, never copied), and the one
reader is shared by every thread. Whoosh reads its files by ``seek`` then ``read``; so that
threads sharing a file never move each other's place, each thread keeps its own position
(a ``threading.local``, which goes when its thread goes).

A commit that adds segments opens only those; one that deletes documents in a segment makes a
new reader object for it (deletions live in Whoosh's segment object) over the same mapping.

The Whoosh internals relied on are in :data:`vnsearch.whoosh_ext.PRIVATE_NAMES`.
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import threading
import weakref
from typing import Any

from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage, OverlayStorage, StorageError
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC
from whoosh.query import Term
from whoosh.reading import EmptyReader, MultiReader, SegmentReader

from vnsearch.whoosh_ext import pickles

_PICKLE_PEEK = 512  # bytes copied to unpickle from; longer pickles are read whole

__all__ = ["MappedFile", "SharedReaders", "SharedSegmentReader", "View", "delete_term", "open_view", "shared_readers"]


class _ThreadPositions:
    """A read-only file over a buffer whose position is kept per thread."""

    def __init__(self, buf: memoryview):
        self._buf = buf
        self._size = len(buf)
        self._where = threading.local()

    def tell(self) -> int:
        return getattr(self._where, "at", 0)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self.tell()
        elif whence == os.SEEK_END:
            offset += self._size
        self._where.at = max(0, offset)
        return self._where.at

    def read(self, size: int | None = -1) -> bytes:
        at = self.tell()
        end = self._size if size is None or size < 0 else min(self._size, at + size)
        self._where.at = max(at, end)
        return bytes(self._buf[at:end])

    def readline(self, size: int | None = -1) -> bytes:
        at = self.tell()
        end = self._size if size is None or size < 0 else min(self._size, at + size)
        newline = bytes(self._buf[at:end]).find(b"\n")  # pickle's readline: rare, short
        if newline >= 0:
            end = at + newline + 1
        return self.read(end - at)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        pass


class MappedFile(BufferFile):
    """Whoosh's ``BufferFile`` without the copy: reads slice the (memory-mapped) buffer, and
    each thread has its own position, so one file serves every thread."""

    def __init__(self, buf: memoryview, name: str | None = None):
        self._buf = buf
        self._name = name
        self.file = _ThreadPositions(buf)
        self.onclose = None
        self.is_real = False
        self.is_closed = False

    def read_pickle(self) -> Any:
        """The pickle at the current position: unpickled from a small copy of the bytes there
        (a posting block's header is a few dozen), not a Python ``read`` call per opcode."""
        at = self.file.tell()
        for end in (at + _PICKLE_PEEK, len(self._buf)):
            chunk = io.BytesIO(self._buf[at:end])
            try:
                value = pickles.load(chunk)  # restricted: an index file never runs code
            except (EOFError, pickle.UnpicklingError):  # cut short: the pickle is longer
                if end >= len(self._buf):
                    raise
                continue
            self.file.seek(at + chunk.tell())
            return value
        raise EOFError("no pickle at the end of the file")

    def subset(self, position: int, length: int, name: str | None = None) -> "MappedFile":
        return MappedFile(self._buf[position : position + length], name=name or self._name)

    def close(self) -> None:
        self.is_closed = True  # the mapping is the segment's; it goes with its last reader


class _MappedCompound(CompoundStorage):
    """A compound segment file as a storage whose files are views of one mapping."""

    def __init__(self, source: memoryview, keep: Any = None, name: str | None = None):
        self._keep = keep  # the mmap (or bytes) the views point into
        self._source = source
        self._file = MappedFile(source, name=name)  # named: a damaged directory's error says which
        self.is_closed = False
        self._diroffset = self._file.read_long()
        self._dirlength = self._file.read_int()
        self._file.seek(self._diroffset)
        self._dir = self._file.read_pickle()
        self._options = self._file.read_pickle()
        self._locks: dict[str, Any] = {}

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> MappedFile:
        if self.is_closed:
            raise StorageError("Storage was closed")
        offset, length = self.range(name)
        return MappedFile(self._source[offset : offset + length], name=name)

    def close(self) -> None:
        self.is_closed = True  # the mapping is unmapped when no view of it is left


class _MappedFiles(FileStorage):
    """A segment's separate files (a segment not made compound), each memory-mapped."""

    readonly = True

    def __init__(self, storage: Any):
        self._parent = storage
        self.folder = getattr(storage, "folder", "")

    def open_file(self, name: str, *args: Any, **kwargs: Any) -> MappedFile:
        return _map(self._parent, name)

    def file_exists(self, name: str) -> bool:
        return self._parent.file_exists(name)

    def file_length(self, name: str) -> int:
        return self._parent.file_length(name)

    def list(self) -> list[str]:
        return self._parent.list()

    def close(self) -> None:
        pass


def _map(storage: Any, name: str) -> MappedFile:
    """The file ``name`` of ``storage`` as a MappedFile: mapped on disk, viewed in memory."""
    check = getattr(storage, "check", None)  # DurableStorage: the file's CRC32 (not RamStorage)
    if check is not None:
        check(name)
    dbfile = storage.open_file(name)
    if isinstance(dbfile, BufferFile):  # RamStorage: the bytes are in memory already
        return MappedFile(memoryview(dbfile._buf), name=name)
    try:
        if os.fstat(dbfile.fileno()).st_size == 0:
            return MappedFile(memoryview(b""), name=name)  # an empty file cannot be mapped
        mapped = mmap.mmap(dbfile.fileno(), 0, access=mmap.ACCESS_READ)
    finally:
        dbfile.close()  # the mapping keeps its own handle
    return MappedFile(memoryview(mapped), name=name)


class SharedSegmentReader(SegmentReader):
    """Whoosh's ``SegmentReader`` over mapped files; one per segment, shared by threads."""

    def __init__(self, storage: Any, schema: Any, segment: Any, files: Any, generation: int | None = None):
        self.schema = schema
        self.is_closed = False
        self._segment = segment
        self._segid = segment.segment_id()
        self._gen = generation
        # An overlay, as Whoosh's: a file may be added to a segment after it was written.
        self._storage = OverlayStorage(files, storage) if segment.is_compound() else files
        self._codec = segment.codec()
        self._terms = self._codec.terms_reader(self._storage, segment)
        self._perdoc = self._codec.per_document_reader(self._storage, segment)

    def close(self) -> None:
        self.is_closed = True  # shared: its files go when the last view of them does


def _segment_files(storage: Any, segment: Any) -> Any:
    """A storage over one segment's files, mapped once."""
    if not segment.is_compound():
        return _MappedFiles(storage)
    name = segment.make_filename(segment.COMPOUND_EXT)
    whole = _map(storage, name)
    return _MappedCompound(whole._buf, name=name)


class View:
    """One commit of an index as read by this process: a reader over shared segment readers,
    and the commit's number (``generation``)."""

    __slots__ = ("reader", "generation")

    def __init__(self, reader: Any, generation: int):
        self.reader = reader
        self.generation = generation


class SharedReaders:
    """The segment readers of one index folder (or in-memory storage), opened once each.

    Readers are held for the latest commit seen; a segment that a commit removed (merged away)
    is let go, and its mapping goes when no search still holds a view of it.
    """

    def __init__(self, storage: Any, indexname: str, schema: Any):
        self._storage = storage
        self._indexname = indexname
        self._schema = schema  # the index's, so that each commit's table is read without unpickling one
        self._lock = threading.Lock()
        self._files: dict[str, Any] = {}  # segment id -> its mapped storage
        self._readers: dict[tuple[str, int], SharedSegmentReader] = {}  # (id, deletions) -> reader

    def latest_generation(self) -> int:
        return TOC._latest_generation(self._storage, self._indexname)

    def segments(self) -> list[Any]:
        """The segments of the latest commit, as its table of contents lists them."""
        return list(TOC.read(self._storage, self._indexname, schema=self._schema).segments)

    def doc_count(self) -> int:
        """Documents in the latest commit, deleted ones left out (from its table of contents)."""
        toc = TOC.read(self._storage, self._indexname, schema=self._schema)
        return sum(segment.doc_count() for segment in toc.segments)

    def view(self) -> View:
        """The latest commit: new segments opened, the others reused."""
        toc = TOC.read(self._storage, self._indexname, schema=self._schema)
        self._schema = toc.schema  # an index opened from disk: its table's schema, kept
        with self._lock:
            readers = []
            for segment in toc.segments:
                segid = segment.segment_id()
                key = (segid, segment.deleted_count())  # deletions only grow in a segment
                reader = self._readers.get(key)
                if reader is None:
                    files = self._files.get(segid)
                    if files is None:
                        files = self._files[segid] = _segment_files(self._storage, segment)
                    reader = SharedSegmentReader(self._storage, toc.schema, segment, files, toc.generation)
                    self._readers[key] = reader
                readers.append(reader)
            current = {r.segment().segment_id(): r for r in readers}
            self._readers = {k: r for k, r in self._readers.items() if current.get(k[0]) is r}
            self._files = {segid: f for segid, f in self._files.items() if segid in current}
        # A MultiReader even over one segment: its generation is this commit's.
        whole = MultiReader(readers, generation=toc.generation) if readers else EmptyReader(toc.schema)
        return View(whole, toc.generation)

    def open_segments(self) -> int:
        """How many segment readers are held (a test counts them)."""
        with self._lock:
            return len(self._readers)


_registry: "weakref.WeakValueDictionary[Any, SharedReaders]" = weakref.WeakValueDictionary()
_registry_lock = threading.Lock()


def shared_readers(whoosh_index: Any) -> SharedReaders:
    """The process's one :class:`SharedReaders` for the index's folder (per storage in memory)."""
    storage = whoosh_index.storage
    folder = getattr(storage, "folder", None)
    key: Any = ("folder", os.path.realpath(folder)) if folder and not _in_memory(storage) else ("ram", id(storage))
    with _registry_lock:
        found = _registry.get(key)
        if found is None:
            found = SharedReaders(storage, whoosh_index.indexname, whoosh_index._schema)
            _registry[key] = found
        return found


def open_view(whoosh_index: Any) -> View:
    """The latest commit of ``whoosh_index``, over this process's shared segment readers."""
    return shared_readers(whoosh_index).view()


def _in_memory(storage: Any) -> bool:
    from whoosh.filedb.filestore import RamStorage

    return isinstance(storage, RamStorage)


def delete_term(writer: Any, readers: SharedReaders, fieldname: str, text: str) -> int:
    """Whoosh's ``writer.delete_by_term``, found with this process's shared readers.

    Whoosh's own looks documents up with a new reader of every segment, each file copied into
    memory: over a large index, seconds and hundreds of MB for one replaced document. The
    shared readers of the commit the writer started from number documents as the writer does;
    documents the writer has already deleted are not counted again.
    """
    searcher = _deleting_searcher(writer, readers)
    if searcher is None:
        return writer.delete_by_term(fieldname, text) or 0
    count = 0
    for docnum in searcher.docs_for_query(Term(fieldname, text), for_deletion=True):
        segment, segdocnum = writer._segment_and_docnum(docnum)
        if not segment.is_deleted(segdocnum):
            writer.delete_document(docnum)
            count += 1
    return count


def _deleting_searcher(writer: Any, readers: SharedReaders) -> Any:
    """A Whoosh searcher over the shared readers of the writer's starting commit, made once
    per writer; None if the folder has another commit (then Whoosh's own way is right)."""
    found = getattr(writer, "_vnsearch_deleting", False)
    if found is False:
        from whoosh.searching import Searcher

        view = readers.view()
        same = view.generation == writer.generation - 1 and len(view.reader.leaf_readers()) == len(writer.segments)
        found = Searcher(view.reader, closereader=False) if same and writer.segments else None
        writer._vnsearch_deleting = found
    return found
