"""Where Whoosh keeps an index and how its files reach the disk: the storages, the file
names, the writer lock, crash-safe commits and per-file checksums.

:func:`file_storage` and :class:`MemoryStorage` are the storages vnsearch creates and opens
indexes in; :func:`holds_index` and :func:`is_index_file` know the names Whoosh gives an
index's files (``_MAIN_<generation>.toc`` tables of contents, ``MAIN_*`` segment files and
``MAIN_WRITELOCK``), so that vnsearch can recognise and remove an index without Whoosh.

A commit follows Lucene's order, so that a power cut leaves the previous commit or the new
one, whole, whatever the file system persisted:

1. every new segment file is fsynced (and its CRC32 computed as it is read back);
2. the folder is fsynced, so the new files' names are durable;
3. the new table of contents (TOC) is written under a temporary name, with a footer listing
   the size and CRC32 of every file the commit holds, and fsynced;
4. it is renamed to its final name and the folder is fsynced: the commit point;
5. only then are the files the previous commit needed, and this one does not, deleted.

A file whose checksum the commit records is verified when this storage first opens it; a TOC
is verified whenever it is read. Indexes written before checksums (TOC without a footer)
still open, unverified, and gain checksums at their next commit.

Every change to the folder goes through :class:`FileOps`, so that a test can record a
commit's writes and replay the crash states POSIX allows (``tests/system/crash_replay.py``).
Power loss on real hardware is not tested: fsync is trusted to mean what POSIX says.

Whoosh internals relied on: ``FileStorage`` (``create_file``, ``open_file``, ``delete_file``,
``rename_file``, ``lock``, ``temp_storage``), ``StructFile``/``BufferFile``, ``TOC`` (its
``write``, ``_filename``, ``_pattern``), ``clean_files``, ``Segment.list_files``, and
``SegmentWriter``'s ``storage``, ``indexname``, ``generation`` and ``schema``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
import threading
import uuid
import weakref
import zlib
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping, Sequence

from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.index import _DEF_INDEX_NAME, TOC, LockError, clean_files

from vnsearch.errors import IndexCorruptError, IndexFileMissingError, IndexLockedError
from vnsearch.whoosh_ext import pickles

__all__ = [
    "FileStorage",
    "LockError",
    "MemoryStorage",
    "file_storage",
    "holds_index",
    "is_index_file",
    "FileOps",
    "DurableStorage",
    "commit_toc",
    "hold_segment",
    "release_segment",
    "write_toc",
    "create_index",
    "write_atomic",
    "crc32_of",
    "read_manifest",
    "sync_tree",
    "writer_lock",
    "FileLock",
    "sealed_json",
    "check_seal",
    "has_seal",
    "TOC_MAGIC",
]

pickles.install()  # every pickle Whoosh reads from now on goes through the allow-list

INDEX_NAME = _DEF_INDEX_NAME  # Whoosh's default index name: its files are MAIN_*, _MAIN_*.toc
# Whoosh's default index name starts every file of an index: "MAIN_..." and "_MAIN_...".
_INDEX_FILE_PREFIXES = (INDEX_NAME, "_" + INDEX_NAME)
TOC_MAGIC = b"VNTOCv01"
_FOOTER = struct.Struct(">II")  # manifest length, CRC32 of everything before it
_CHUNK = 1 << 20
_TEMP_TOC = re.compile(r"^_%s_[0-9]+\.toc\..+$" % INDEX_NAME)


def file_storage(folder: str | os.PathLike, *, require_checksums: bool = False) -> "DurableStorage":
    """The storage of the index files in ``folder`` (see :class:`DurableStorage`)."""
    return DurableStorage(folder, require_checksums=require_checksums)


class MemoryStorage(RamStorage):
    """Whoosh's RamStorage, with its temporary files in a private folder: Whoosh puts them in
    ``/tmp/MAIN.tmp``, which concurrent processes share and delete under each other."""

    def __init__(self) -> None:
        super().__init__()
        self._private: str | None = None

    def temp_storage(self, name: str | None = None) -> Any:
        if self._private is None:
            self._private = tempfile.mkdtemp(prefix="vnsearch-")
            weakref.finalize(self, shutil.rmtree, self._private, ignore_errors=True)
        return FileStorage(os.path.join(self._private, name or "tmp")).create()


def holds_index(folder: Path) -> bool:
    """Whether ``folder`` holds a Whoosh table of contents (``TOC._filename``: ``_<name>_<gen>.toc``)."""
    return any(folder.glob("_*.toc"))


def is_index_file(name: str) -> bool:
    """Whether a file named ``name`` is one Whoosh writes for an index of the default name."""
    return name.startswith(_INDEX_FILE_PREFIXES)


class FileOps:
    """The changes a storage makes to a folder: one place, so a test can record them."""

    def create(self, path: str) -> IO[bytes]:
        """A new file open for writing (truncated if it exists)."""
        return open(path, "wb")

    def sync(self, file: IO[bytes]) -> None:
        """Make what was written to an open file durable."""
        file.flush()
        os.fsync(file.fileno())

    def sync_path(self, path: str) -> None:
        """Make a closed file's content durable."""
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def sync_dir(self, path: str) -> None:
        """Make the names in a folder (created, renamed, deleted files) durable."""
        if sys.platform == "win32":
            return  # NTFS has no folder fsync; its metadata journal orders renames
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst)

    def unlink(self, path: str) -> None:
        os.remove(path)


class DurableStorage(FileStorage):
    """Whoosh's ``FileStorage`` whose changes go through :class:`FileOps` and whose files
    are checked against the CRC32s their commit recorded."""

    ops: FileOps = FileOps()

    def __init__(self, path: str | os.PathLike, *, require_checksums: bool = False, **kwargs: Any):
        """``require_checksums``: a TOC without a footer is damaged (cut short), not old."""
        super().__init__(str(path), **kwargs)
        self.require_checksums = require_checksums
        self.sums: dict[str, tuple[int, int]] = {}  # file name -> (size, CRC32), from TOCs read
        self._verified: set[str] = set()

    # -- writing ----------------------------------------------------------------------------

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> StructFile:
        if excl or mode != "wb":
            return super().create_file(name, excl=excl, mode=mode, **kwargs)
        return StructFile(self.ops.create(self._fpath(name)), name=name, **kwargs)

    def delete_file(self, name: str) -> None:
        self.ops.unlink(self._fpath(name))

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        if safe and os.path.exists(self._fpath(newname)):
            raise NameError(f"File {newname!r} exists")
        self.ops.replace(self._fpath(oldname), self._fpath(newname))

    def lock(self, name: str) -> Any:
        if os.name == "nt":
            return super().lock(name)
        return FileLock(self._fpath(name))

    def temp_storage(self, name: str | None = None) -> FileStorage:
        # Scratch files (sorted runs) are never part of a commit: no fsync, no recording.
        return FileStorage(os.path.join(self.folder, name or f"{uuid.uuid4().hex}.tmp")).create()

    # -- reading ----------------------------------------------------------------------------

    def open_file(self, name: str, **kwargs: Any) -> Any:
        path = self._fpath(name)
        if TOC._pattern(INDEX_NAME).match(name):
            with open(path, "rb") as f:
                data = f.read()
            payload, manifest = split_toc(data, path)
            if manifest is None and self.require_checksums:
                raise IndexCorruptError(f"{path} is damaged: its checksum footer is missing (cut short?)")
            _check_toc_version(payload, path)
            if manifest is not None:
                self.sums.update(manifest)
            return BufferFile(memoryview(payload), name=name)
        if name not in self._verified:
            self.check(name)
        return super().open_file(name, **kwargs)

    def check(self, name: str) -> None:
        """Check ``name`` against its commit's CRC32 now, even if this process wrote it: a
        segment is mapped once per process, so this is its one check before it is read."""
        if name in self.sums:
            size, crc = self.sums[name]
            check_file(self._fpath(name), size, crc)
            self._verified.add(name)

    def verified(self, names: Iterable[str]) -> None:
        """Record files as checked (this process wrote and summed them)."""
        self._verified.update(names)


class FileLock:
    """Whoosh's ``flock`` lock, opened so that a damaged lock file never blocks: a FIFO, a
    folder or a symbolic link in its place is an :class:`IndexLockedError` naming it, at
    once. The OS drops the lock when its process dies, so a lock is never stale."""

    def __init__(self, path: str):
        self.path = path
        self.fd: int | None = None

    def acquire(self, blocking: bool = False) -> bool:
        import fcntl

        flags = os.O_CREAT | os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            raise IndexLockedError(
                f"{self.path} cannot be used as the index's lock file ({exc.strerror}); "
                "if no writer is running, remove it"
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise IndexLockedError(f"{self.path} is not a regular file, so it cannot lock the index; remove it")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError:
            os.close(fd)
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        import fcntl

        if self.fd is None:
            raise RuntimeError("the lock was not acquired")
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)
        self.fd = None

    def __del__(self) -> None:
        if self.fd is not None:  # a writer dropped without commit or cancel
            try:
                os.close(self.fd)
            except OSError:
                pass


@contextlib.contextmanager
def writer_lock(storage: DurableStorage, timeout: float) -> Iterator[None]:
    """Hold the index's writer lock (``MAIN_WRITELOCK``), waiting up to ``timeout`` seconds."""
    from whoosh.util.filelock import try_for

    lock = storage.lock(f"{INDEX_NAME}_WRITELOCK")
    if not try_for(lock.acquire, timeout=timeout, delay=0.1):
        raise IndexLockedError(
            f"{storage.folder} is locked by another writer (waited {timeout:g} s); try again when it has finished"
        )
    try:
        yield
    finally:
        lock.release()


def crc32_of(path: str) -> tuple[int, int]:
    """``(size, CRC32)`` of a file, read in chunks."""
    crc = 0
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
    return size, crc


def check_file(path: str, size: int, crc: int) -> None:
    """Raise :class:`IndexCorruptError` naming ``path`` unless it has this size and CRC32."""
    try:
        actual_size = os.path.getsize(path)
    except FileNotFoundError:
        raise IndexFileMissingError(f"{path} is missing: the index's last commit needs it") from None
    if actual_size != size:
        raise IndexCorruptError(
            f"{path} is damaged: {actual_size} bytes where its commit recorded {size}"
        )
    if crc32_of(path)[1] != crc:
        raise IndexCorruptError(f"{path} is damaged: its checksum differs from the one its commit recorded")


def split_toc(data: bytes, path: str) -> tuple[bytes, dict[str, tuple[int, int]] | None]:
    """A TOC file's Whoosh bytes and its manifest (``None``: written before checksums)."""
    if not data.endswith(TOC_MAGIC):
        return data, None
    end = len(data) - len(TOC_MAGIC) - _FOOTER.size
    if end < 0:
        raise IndexCorruptError(f"{path} is damaged: too short for its footer")
    length, crc = _FOOTER.unpack_from(data, end)
    start = end - length
    if start < 0 or zlib.crc32(data[:end] + data[end : end + 4]) != crc:
        raise IndexCorruptError(f"{path} is damaged: its checksum does not match")
    try:
        files = json.loads(data[start:end].decode("utf-8"))["files"]
        manifest = {str(name): (int(size), int(crc)) for name, (size, crc) in files.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"{path} is damaged: its file list cannot be read ({exc})") from None
    return data[:start], manifest


def _check_toc_version(payload: bytes, path: str) -> None:
    """Refuse TOC formats other than Whoosh's current one: Whoosh reads older ones with an
    unrestricted unpickler."""
    from whoosh.index import _CURRENT_TOC_VERSION

    stream = BufferFile(memoryview(payload))
    try:
        for _ in range(3):
            stream.read_varint()  # the sizes of int, long and float
        stream.read_int()  # -12345, the byte-order check
        version = stream.read_int()
    except (struct.error, IndexError, ValueError):
        raise IndexCorruptError(f"{path} is damaged: too short for a table of contents") from None
    if version != _CURRENT_TOC_VERSION:
        raise IndexCorruptError(
            f"{path} is a table of contents in format {version}, not Whoosh's {_CURRENT_TOC_VERSION}: "
            "damaged, forged or from an old Whoosh (rebuild the index)"
        )


def read_manifest(folder: str | os.PathLike, name: str) -> dict[str, tuple[int, int]] | None:
    """The file list a TOC records (``None`` for a TOC without checksums)."""
    path = os.path.join(str(folder), name)
    with open(path, "rb") as f:
        return split_toc(f.read(), path)[1]


def _toc_bytes(schema: Any, segments: Sequence[Any], generation: int, manifest: Mapping[str, tuple[int, int]]) -> bytes:
    """The TOC Whoosh would write, plus vnsearch's footer (file list and CRC32)."""
    ram = RamStorage()
    TOC(schema, list(segments), generation).write(ram, INDEX_NAME)
    payload = ram.files[TOC._filename(INDEX_NAME, generation)]
    listing = json.dumps({"files": {k: list(v) for k, v in sorted(manifest.items())}}).encode("utf-8")
    body = payload + listing
    crc = zlib.crc32(body + _FOOTER.pack(len(listing), 0)[:4])
    return body + _FOOTER.pack(len(listing), crc) + TOC_MAGIC


def write_toc(storage: DurableStorage, schema: Any, segments: Sequence[Any], generation: int,
               manifest: Mapping[str, tuple[int, int]]) -> None:
    """Steps 3 and 4: the TOC under a temporary name, fsynced, renamed, the folder fsynced."""
    ops = storage.ops
    final = TOC._filename(INDEX_NAME, generation)
    temp = storage._fpath(f"{final}.{uuid.uuid4().hex[:12]}")
    f = ops.create(temp)
    try:
        f.write(_toc_bytes(schema, segments, generation, manifest))
        ops.sync(f)
    finally:
        f.close()
    ops.replace(temp, storage._fpath(final))
    ops.sync_dir(storage.folder)


def _segment_files(storage: DurableStorage, segments: Sequence[Any]) -> list[str]:
    names = set(storage.list())
    files = []
    for segment in segments:
        prefix = f"{segment.segment_id()}."
        files += sorted(name for name in names if name.startswith(prefix))
    return files


class _Held:
    """A segment being written outside a commit, as Whoosh's ``clean_files`` sees segments."""

    def __init__(self, segid: str):
        self._segid = segid

    def segment_id(self) -> str:
        return self._segid


_HELD: dict[Any, dict[str, _Held]] = {}  # folder (or in-memory storage) -> segments held
_HELD_LOCK = threading.Lock()


def _held_key(storage: Any) -> Any:
    # Per folder, not per storage object: two Index objects of one folder share a process.
    if isinstance(storage, DurableStorage):
        return ("folder", os.path.realpath(storage.folder))
    return ("ram", id(storage))


def hold_segment(storage: Any, segid: str) -> None:
    """Keep the files of segment ``segid`` (being written, in no commit yet) from the
    clean-up of this process's commits, which deletes the files of every other segment.
    Another process's commit does not know of it (its merge then fails and is dropped)."""
    with _HELD_LOCK:
        _HELD.setdefault(_held_key(storage), {})[segid] = _Held(segid)


def release_segment(storage: Any, segid: str) -> None:
    """Stop keeping the files of ``segid`` (see :func:`hold_segment`)."""
    key = _held_key(storage)
    with _HELD_LOCK:
        held = _HELD.get(key, {})
        held.pop(segid, None)
        if not held:
            _HELD.pop(key, None)


def _clean(storage: Any, writer: Any, segments: Sequence[Any]) -> None:
    """Delete the files only previous commits needed, keeping the held segments' files."""
    with _HELD_LOCK:
        held = list(_HELD.get(_held_key(storage), {}).values())
    clean_files(storage, writer.indexname, writer.generation, [*segments, *held])


def commit_toc(writer: Any, segments: Sequence[Any]) -> None:
    """``SegmentWriter._commit_toc`` in Lucene's order (see the module docstring)."""
    storage = writer.storage
    if not isinstance(storage, DurableStorage):
        # The in-memory index: nothing to fsync.
        TOC(writer.schema, list(segments), writer.generation).write(storage, writer.indexname)
        _clean(storage, writer, segments)
        return
    ops = storage.ops
    manifest: dict[str, tuple[int, int]] = {}
    fresh = []
    for name in _segment_files(storage, segments):
        known = storage.sums.get(name)
        if known is not None:
            manifest[name] = known  # durable since the commit that recorded it
            continue
        path = storage._fpath(name)
        manifest[name] = crc32_of(path)
        ops.sync_path(path)
        fresh.append(name)
    if fresh:
        ops.sync_dir(storage.folder)
    write_toc(storage, writer.schema, segments, writer.generation, manifest)
    storage.sums.update(manifest)
    storage.verified(fresh)
    # The commit is durable: what only the previous commits needed can go.
    _clean(storage, writer, segments)
    for name in storage.list():
        if _TEMP_TOC.match(name):
            try:
                storage.delete_file(name)  # a TOC a crash left half-written
            except OSError:
                pass


def create_index(storage: Any, schema: Any) -> Any:
    """A new, empty index in ``storage`` (its first TOC written as a commit is)."""
    from whoosh.index import FileIndex

    if not isinstance(storage, DurableStorage):
        return storage.create_index(schema)
    prefix = f"_{INDEX_NAME}_"
    for name in storage.list():
        if name.startswith(prefix):
            storage.delete_file(name)
    write_toc(storage, schema, [], 0, {})
    return FileIndex(storage, schema=schema, indexname=INDEX_NAME)


_SEAL_KEY = "crc32"


def sealed_json(obj: Mapping[str, Any]) -> bytes:
    """``obj`` as JSON with a CRC32 of its canonical form under ``"crc32"``."""
    body = {k: v for k, v in obj.items() if k != _SEAL_KEY}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return json.dumps({**body, _SEAL_KEY: zlib.crc32(canonical)}, ensure_ascii=False, indent=1).encode("utf-8")


def has_seal(obj: Any) -> bool:
    """Whether JSON read from an index carries a CRC32 (written by a vnsearch with checksums)."""
    return isinstance(obj, dict) and _SEAL_KEY in obj


def check_seal(obj: Mapping[str, Any], path: str) -> None:
    """Raise :class:`IndexCorruptError` naming ``path`` if ``obj`` carries a CRC32 that does
    not match (JSON written before checksums carries none)."""
    if _SEAL_KEY not in obj:
        return
    body = {k: v for k, v in obj.items() if k != _SEAL_KEY}
    canonical = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
    if obj[_SEAL_KEY] != zlib.crc32(canonical):
        raise IndexCorruptError(f"{path} is damaged: its checksum does not match its content")


def write_atomic(folder: str | os.PathLike, name: str, data: bytes, ops: FileOps | None = None) -> None:
    """Replace ``folder/name`` with ``data`` so that a crash leaves the old or the new bytes."""
    ops = ops or DurableStorage.ops
    final = os.path.join(str(folder), name)
    temp = f"{final}.{uuid.uuid4().hex[:12]}.tmp"
    f = ops.create(temp)
    try:
        f.write(data)
        ops.sync(f)
    finally:
        f.close()
    ops.replace(temp, final)
    ops.sync_dir(str(folder))


def sync_tree(path: str | os.PathLike, ops: FileOps | None = None) -> None:
    """fsync every file under ``path`` and the folders, deepest first (before a rename
    that publishes the folder)."""
    ops = ops or DurableStorage.ops
    for root, _dirs, files in os.walk(str(path), topdown=False):
        for name in files:
            ops.sync_path(os.path.join(root, name))
        ops.sync_dir(root)
