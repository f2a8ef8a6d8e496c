"""The one-line :func:`search` for notebooks and scripts.

``search(query, source)`` finds or builds an index for ``source`` and searches it:

* an index folder is opened only when asked for by name, ``search(query, index=DIR)``: a
  folder given as the source is always documents, even one that holds a ``vnsearch.json``
  (a downloaded folder could carry one, and opening it would read an index its sender made);
* a corpus file or folder is indexed on first use into a per-user cache and reused while its
  files are unchanged (same names and sizes, and the same bytes where the times changed or were
  kept, see :func:`_files_stamp`); any change rebuilds it;
* a list of dicts or :class:`~vnsearch.documents.Document` objects is indexed in memory;
* no source means the sample corpus that ships with vnsearch.

The cache lives in ``$VNSEARCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/vnsearch``, else
``~/.cache/vnsearch``. Each corpus gets a folder named after it and a hash of its path and
loader options; inside, one sub-folder per state of its files. A build writes into a hidden
temporary folder and renames it into place when complete, so a crash never leaves a half
index where a later call would find it. Opened indexes are kept in a small in-process cache,
so repeated calls only re-check file times and search.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vnsearch.documents.loading import walk
from vnsearch.documents.options import FILE_OPTIONS, LOAD_OPTIONS, ErrorMode, LoadOptions
from vnsearch.errors import CorpusIsIndexError, IndexClosedError, IndexNotFoundError, VnsearchError
from vnsearch.index import META_FILE, Index, Progress
from vnsearch.version import __version__

if TYPE_CHECKING:
    from vnsearch.documents import Document
    from vnsearch.results import Results

__all__ = ["CACHE_ENV", "SAMPLE_FIELDS", "cache_dir", "clear", "index_for", "sample_corpus", "search"]

CACHE_ENV = "VNSEARCH_CACHE_DIR"
#: Extra fields of the sample corpus's index: its articles carry a byline.
SAMPLE_FIELDS: Mapping[str, str] = {"author": "text"}
_MAX_OPEN = 8  # indexes kept open in this process
_STALE_BUILD_SECONDS = 3600.0  # a temporary build folder this old belongs to a crashed run
_BUILD_ATTEMPTS = 3  # builds tried while the files keep changing under them
_SEARCH_ATTEMPTS = 3  # a search whose cached index another thread closed (swap, eviction) starts again
_HASH_CHUNK = 1 << 20  # bytes read at a time when hashing a corpus file
_MAX_HASHES = 100_000  # file digests remembered in this process
_SOURCE_FILE = "source.json"  # written beside the index: what it was built from, for people
# The loader options search() takes from its keywords; fields= belongs to Index.search.
_LOADER_OPTIONS = tuple(name for name in LOAD_OPTIONS if name != "fields")

_open: OrderedDict[tuple[str, str], tuple[str, Index]] = OrderedDict()
_lock = threading.RLock()


def search(
    query: str, source: Any = None, limit: int = 10, *, index: str | os.PathLike[str] | None = None, **options: Any
) -> Results:
    """Search ``source`` (a corpus file or folder, a list of dicts or Documents; the sample
    corpus when ``None``) or the index folder ``index``, and return the first ``limit`` hits.

    >>> results = search("hai phong")                                  # doctest: +SKIP
    >>> results[0].title                                               # doctest: +SKIP
    'Đảng ủy Khối các cơ quan thành phố tổ chức hội nghị Ban Chấp hành lần thứ 20'

    ``options`` go to :meth:`vnsearch.Index.search` (``page``, ``fields``, ``filters``,
    ``sort``, ...), except the loader options used when ``source`` must be indexed:
    ``id_field``, ``title_field``, ``body_field``, ``date_field``, ``url_field``,
    ``tags_field``, ``format``, ``encoding``, ``errors``, ``clean_pages`` (read .txt/.md
    files as scraped news pages: on for the sample corpus, off for other sources) and
    ``field_types`` (extra fields to declare, as for :meth:`vnsearch.Index.create`).
    """
    build = {name: options.pop(name) for name in (*_LOADER_OPTIONS, "field_types") if name in options}
    for _ in range(_SEARCH_ATTEMPTS - 1):
        try:
            return index_for(source, index=index, **build).search(query, limit=limit, **options)
        except IndexClosedError:
            continue  # the cache swapped in a newer build (or evicted it) as this search began
    return index_for(source, index=index, **build).search(query, limit=limit, **options)


def index_for(
    source: Any = None,
    *,
    index: str | os.PathLike[str] | None = None,
    progress: Callable[[Progress], None] | None = None,
    field_types: Mapping[str, str] | None = None,
    errors: ErrorMode = "strict",
    clean_pages: bool | None = None,
    **loader_options: Any,
) -> Index:
    """The index :func:`search` uses for ``source``: opened, cached or built as needed.

    ``clean_pages=None`` means on for the sample corpus (scraped news pages), else off;
    ``index`` names an index folder to open instead of a source to read; ``progress`` is
    called as :meth:`vnsearch.Index.add_path` calls it while a corpus is indexed.
    """
    if index is not None:
        if source is not None or field_types is not None or clean_pages is not None or loader_options:
            raise TypeError("index= opens an index as it is: no source and no loader options beside it")
        return _index_folder(Path(index).expanduser().resolve(), index)
    if "fields" in loader_options:
        raise TypeError("unknown loader options: fields")  # search() gives fields= to Index.search
    if clean_pages is not None:
        loader_options = {**loader_options, "clean_pages": clean_pages}
    LoadOptions.of({**loader_options, "errors": errors})  # unknown names and bad values fail here
    if isinstance(source, Index):
        return source
    if source is None:
        source = sample_corpus()
        if field_types is None:
            field_types = SAMPLE_FIELDS
        loader_options.setdefault("clean_pages", True)  # its files are scraped news pages
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser().resolve()
        if not path.exists():
            raise VnsearchError(f"{source}: no such file or folder (expected a corpus file or folder)")
        if Index.exists(path):
            # A corpus is documents; an index is opened only when asked for by name.
            raise CorpusIsIndexError(
                f"{source} holds a vnsearch index ({META_FILE}) and a corpus is read as documents: "
                f"open it as an index (index=DIR in Python, --index DIR on the command line), "
                f"or remove {META_FILE} to read the folder as documents"
            )
        return _corpus_index(path, field_types or {}, errors, loader_options, progress)
    if isinstance(source, (Mapping, bytes)) or not isinstance(source, Iterable):
        raise TypeError(
            f"source must be an index folder, a corpus path or a list of dicts or Documents, "
            f"not {type(source).__name__}"
        )
    return _records_index(list(source), field_types or {}, errors, loader_options)


def _index_folder(path: Path, named: Any) -> Index:
    """The index at ``path``, opened once per process and reopened when it is rebuilt."""
    if not Index.exists(path):
        raise IndexNotFoundError(f"no index at {named}: build one with vnsearch.Index.create or 'vnsearch index'")
    return _cached(("index", str(path)), _meta_stamp(path), lambda: Index.open(path))


def sample_corpus() -> Path:
    """The folder of the sample corpus: inside the installed package, else in the source tree."""
    try:
        bundled = importlib.resources.files("vnsearch") / "sample_corpus"
    except (ImportError, TypeError):  # pragma: no cover - vnsearch is imported, so it exists
        bundled = None
    # A Path is a real folder; a zip import would give a Traversable the loaders cannot read.
    if isinstance(bundled, Path) and bundled.is_dir():
        return bundled
    in_tree = Path(__file__).resolve().parent.parent / "sample_corpus"
    if in_tree.is_dir():
        return in_tree
    raise VnsearchError("the sample corpus is missing from this installation: reinstall vnsearch, or pass a source")


def cache_dir() -> Path:
    """Where corpus indexes are cached (``$VNSEARCH_CACHE_DIR`` overrides the default)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "vnsearch"


# -- the in-process cache ---------------------------------------------------------------------


def _cached(key: tuple[str, str], stamp: str, make: Any) -> Index:
    """The open index under ``key`` if it is still at ``stamp``, else ``make()``'s."""
    with _lock:
        entry = _open.get(key)
        if entry is not None and entry[0] == stamp:
            _open.move_to_end(key)
            return entry[1]
        if entry is not None:
            del _open[key]
            entry[1].close()
        index = make()
        _open[key] = (stamp, index)
        while len(_open) > _MAX_OPEN:
            _, (_, evicted) = _open.popitem(last=False)
            evicted.close()
        return index


def _meta_stamp(path: Path) -> str:
    # A rebuilt index rewrites vnsearch.json; Whoosh's searchers follow commits by themselves.
    stat = (path / META_FILE).stat()
    return f"{stat.st_mtime_ns}:{stat.st_size}"


# -- lists of records -------------------------------------------------------------------------


def _records_index(
    records: list[Mapping[str, Any] | Document],
    field_types: Mapping[str, str],
    errors: ErrorMode,
    loader_options: Mapping[str, Any],
) -> Index:
    wrong = set(loader_options) & set(FILE_OPTIONS)
    if wrong:
        raise TypeError(f"{', '.join(sorted(wrong))} only apply to files, not to a list of records")
    settings = {"fields": dict(field_types), "errors": errors, **loader_options}
    key = _digest(_fingerprint(records), json.dumps(settings, sort_keys=True))

    def build() -> Index:
        index = Index.create(None, field_types)
        index.add(records, errors=errors, **loader_options)
        return index

    return _cached(("records", key), "", build)


def _fingerprint(records: Iterable[Any]) -> str:
    """A digest of the records' content, so an equal list reuses its index."""
    digest = hashlib.sha256()
    for record in records:
        try:
            text = json.dumps(record, sort_keys=True, ensure_ascii=False, default=repr)
        except (TypeError, ValueError):  # a Document, keys that do not sort, a cycle
            text = repr(record)
        digest.update(text.encode("utf-8", "surrogatepass"))
        digest.update(b"\x1e")
    return digest.hexdigest()


# -- corpus files and folders -----------------------------------------------------------------


def _corpus_index(
    path: Path,
    field_types: Mapping[str, str],
    errors: ErrorMode,
    loader_options: Mapping[str, Any],
    progress: Callable[[Progress], None] | None = None,
) -> Index:
    settings = {
        "path": str(path),
        "fields": dict(field_types),
        "errors": errors,
        "loader": dict(loader_options),
        "vnsearch": __version__,  # another version may analyse differently
    }
    key = _digest(json.dumps(settings, sort_keys=True, ensure_ascii=False))[:16]
    stamp, _ = _snapshot(path)
    return _cached(("corpus", key), stamp, lambda: _cached_build(path, key, settings, progress))


def _cached_build(
    path: Path, key: str, settings: Mapping[str, Any], progress: Callable[[Progress], None] | None = None
) -> Index:
    """The cached index of ``path`` as its files are now, built first if need be.

    A build is kept only if no file changed while it ran (same size, times and inode before and
    after), so a file being written is never half-indexed: the build is tried again instead.
    """
    home = cache_dir() / f"{_slug(path.name)}-{key}"
    for _ in range(_BUILD_ATTEMPTS):
        stamp, before = _snapshot(path)
        final = home / stamp
        if Index.exists(final):
            try:
                index = Index.open(final)
            except VnsearchError:
                shutil.rmtree(final, ignore_errors=True)  # damaged or from another version: rebuild
            else:
                _remove_stale(home, keep=final)
                return index
        if _build(path, home, stamp, settings, before, progress):
            _remove_stale(home, keep=final)
            return Index.open(final)
    raise VnsearchError(
        f"{path}: the files kept changing while they were indexed ({_BUILD_ATTEMPTS} tries); "
        "search again once they are written"
    )


def _build(
    path: Path,
    home: Path,
    stamp: str,
    settings: Mapping[str, Any],
    before: tuple[Any, ...],
    progress: Callable[[Progress], None] | None,
) -> bool:
    """Build the index of ``path`` into ``home/stamp``; False if a file changed meanwhile."""
    final = home / stamp
    home.mkdir(parents=True, exist_ok=True)
    building = home / f".build-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        index = Index.create(building, settings["fields"])
        report = index.add_path(path, errors=settings["errors"], progress=progress, **settings["loader"])
        index.close()
        if _signatures(path) != before:
            return False  # what was read may mix two states of a file: not a snapshot
        about = {
            "source": str(path),
            "files": stamp,
            "documents": report.added,
            "skipped": [str(s) for s in report.skipped[:100]],
            "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "settings": settings,
        }
        (building / _SOURCE_FILE).write_text(json.dumps(about, ensure_ascii=False, indent=1), encoding="utf-8")
        if final.exists() and not Index.exists(final):
            shutil.rmtree(final, ignore_errors=True)  # the remains of a damaged index
        from vnsearch.whoosh_ext.storage import DurableStorage, sync_tree

        sync_tree(building)  # whole on disk before its name says it is the cache
        try:
            # A new name per state of the files: readers of the previous state keep their folder.
            os.rename(building, final)
        except OSError:
            if not Index.exists(final):
                raise
            # Another process finished the same build first: use theirs.
        else:
            DurableStorage.ops.sync_dir(str(home))
    finally:
        if building.exists():
            shutil.rmtree(building, ignore_errors=True)
    return True


def _remove_stale(home: Path, keep: Path) -> None:
    """Drop indexes of earlier states of the files, and builds left by crashed runs."""
    now = time.time()
    for entry in home.iterdir():
        if entry == keep or not entry.is_dir():
            continue
        if entry.name.startswith(".build-"):
            try:
                if now - entry.stat().st_mtime < _STALE_BUILD_SECONDS:
                    continue  # perhaps another process is building it right now
            except OSError:
                continue
        shutil.rmtree(entry, ignore_errors=True)


def _files(path: Path) -> Iterable[tuple[Path, str]]:
    """The files the loaders read under ``path`` (a file is its own), with their relative names."""
    if path.is_file():
        yield path, ""
        return
    for file, _, rel in walk(path):  # the loaders' walk: the files they read, in their order
        yield file, rel


def _signature(file: Path) -> tuple[int, ...] | None:
    # ctime changes on every write and cannot be set back by os.utime, unlike mtime.
    try:
        stat = file.stat()
    except OSError:
        return None  # a broken link: the loader cannot read it either
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def _signatures(path: Path) -> tuple[Any, ...]:
    """What says cheaply whether any file under ``path`` changed: names, sizes, times, inodes."""
    return tuple((rel, _signature(file)) for file, rel in _files(path))


def _snapshot(path: Path) -> tuple[str, tuple[Any, ...]]:
    """A digest of the names and bytes of the files under ``path``, and their signatures.

    Each file's bytes are hashed once per signature in this process, so a repeated search only
    stats its files; a same-size edit whose modification time was put back is still seen.
    """
    digest = hashlib.sha256()
    signatures = []
    for file, rel in _files(path):
        signature = _signature(file)
        signatures.append((rel, signature))
        if signature is None:
            continue
        content = _content_digest(file, signature)
        digest.update(f"{rel}\0{content}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16], tuple(signatures)


_hashes: dict[tuple[str, tuple[int, ...]], str] = {}


def _content_digest(file: Path, signature: tuple[int, ...]) -> str:
    key = (str(file), signature)
    with _lock:
        known = _hashes.get(key)
    if known is not None:
        return known
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(file, "rb") as stream:
            while chunk := stream.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return "unreadable"  # the loader reports it; the key must still be made
    value = digest.hexdigest()
    with _lock:
        if len(_hashes) >= _MAX_HASHES:
            _hashes.clear()
        _hashes[key] = value
    return value


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return slug[:40] or "corpus"


def clear() -> None:
    """Close and forget the indexes kept open by :func:`search` (the disk cache stays)."""
    with _lock:
        while _open:
            _, (_, index) = _open.popitem()
            index.close()
