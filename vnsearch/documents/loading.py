"""The loaders: `load` (a file or a folder), `documents_from` (records in memory), and `walk`,
the one folder walk (hidden files skipped, sorted by NFC name) that the notebook cache and the
command line use too, so all three see the same files in the same order.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from vnsearch.documents.formats import Policy, SourceFile, load_file
from vnsearch.documents.model import Document, SkippedRecord
from vnsearch.documents.options import (
    LOAD_OPTIONS,
    MAX_FILE_BYTES,
    MAX_RECORD_CHARS,
    SUFFIX_FORMATS,
    ErrorMode,
    LoadOptions,
)
from vnsearch.documents.records import describe
from vnsearch.errors import DocumentError

__all__ = ["documents_from", "format_of", "load", "load_with", "walk"]


def format_of(path: Path, override: str | None) -> str | None:
    """The format for a file: the override, else from its suffix (ignoring ".gz")."""
    if override is not None:
        return override
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return SUFFIX_FORMATS.get(os.path.splitext(name)[1])


def walk(
    root: str | os.PathLike[str],
    display: str | None = None,
    on_error: Callable[[DocumentError], object] | None = None,
) -> Iterator[tuple[Path, str, str]]:
    """(path, display path, relative id) of every non-hidden file under ``root``, depth first,
    each folder's entries sorted by their NFC names (files and folders together).

    Symbolic links to folders are not followed (no loops); links to files are. A folder that
    cannot be read is reported to ``on_error`` as a `DocumentError` (``display`` names it),
    else left out.
    """
    root = Path(root)
    return _walk(root, os.fspath(root) if display is None else display, on_error, ())


def _walk(
    root: Path, display: str, on_error: Callable[[DocumentError], object] | None, parts: tuple[str, ...]
) -> Iterator[tuple[Path, str, str]]:
    folder = root.joinpath(*parts)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: unicodedata.normalize("NFC", entry.name))
    except OSError as error:
        if on_error is not None:
            reason = "permission denied" if isinstance(error, PermissionError) else error.strerror or error
            on_error(DocumentError(f"cannot read it: {reason}", os.path.join(display, *parts)))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        sub = (*parts, entry.name)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            yield from _walk(root, display, on_error, sub)
        elif is_file:
            rel = unicodedata.normalize("NFC", "/".join(sub))
            yield Path(entry.path), os.path.join(display, *sub), rel


def load(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    encoding: str | None = None,
    id_field: str | None = None,
    title_field: str | None = None,
    body_field: str | None = None,
    date_field: str | None = None,
    url_field: str | None = None,
    tags_field: str | None = None,
    fields: bool | Iterable[str] | None = None,
    errors: ErrorMode = "strict",
    clean_pages: bool = False,
    max_file_bytes: int = MAX_FILE_BYTES,
    max_record_chars: int = MAX_RECORD_CHARS,
    on_skip: Callable[[SkippedRecord], object] | None = None,
) -> Iterator[Document]:
    """Documents from a file or a folder, one at a time.

    The format comes from the suffix (.txt .md .jsonl .ndjson .json .csv .tsv, each optionally
    .gz) unless ``format`` names one of `FORMATS`; for a folder, ``format`` applies to every
    file in it. A folder is read recursively in sorted order, skipping hidden files and files
    with unknown suffixes. ``encoding`` overrides UTF-8/UTF-16 detection (e.g. "cp1258").
    The ``*_field`` and ``fields`` arguments are those of `Document.from_record`.

    A .txt or .md file is one document, its text whole: the first line is the title when it is
    short and more text follows. ``clean_pages=True`` reads them as scraped news pages instead
    (see `vnsearch.documents.pages`): the date from a date line, toolbars and counters dropped,
    the article cut at "Tin khác", "Bình luận" and the like, a closing byline as the author.

    Ids are stable: a record's own id, else its path relative to ``path`` (a file's folder when
    ``path`` is a file) with its line ("news.jsonl:17"), item ("news.json[3]"), or nothing for
    .txt/.md ("2019/bai-viet.txt"). So loading the same files again gives the same ids.

    With ``errors="strict"`` (the default) the first problem raises a `DocumentError` naming the
    file and line. With ``errors="skip"`` bad records, and files that cannot be read, are left
    out and reported to ``on_skip`` as `SkippedRecord`s; without ``on_skip`` they are dropped
    silently; in .jsonl/.csv/.tsv files a line that is not valid UTF-8 is one bad record, and the
    lines after it are still read. A path that does not exist always raises. An empty file
    yields nothing.

    Two bounds keep a hostile file from taking all memory: ``max_file_bytes`` (bytes a file may
    hold once decompressed; a gzip bomb stops there) and ``max_record_chars`` (characters of
    one record: a .txt/.md file, a JSONL line, a JSON item, a CSV row). Past either, the file
    or record is a `DocumentError` naming the limit; with ``errors="skip"`` a too-long JSONL or
    CSV line is skipped and the lines after it are read.
    """
    options = LoadOptions.of(_options(locals()))
    return load_with(path, options, on_skip)


def load_with(
    path: str | os.PathLike[str], options: LoadOptions, on_skip: Callable[[SkippedRecord], object] | None = None
) -> Iterator[Document]:
    """`load` with its options given as one `LoadOptions` value."""
    policy = Policy(options.errors, on_skip)
    root = Path(path)
    display = os.fspath(path)
    if root.is_dir():
        return _load_folder(root, display, options, policy)
    if not root.exists():
        raise DocumentError("no such file or folder", path=display)
    fmt = format_of(root, options.format)
    if fmt is None:
        suffixes = ", ".join(sorted(SUFFIX_FORMATS))
        raise DocumentError(
            f"unknown file type {root.suffix or '(no suffix)'!r} (expected {suffixes}, or pass format=)",
            path=display,
        )
    rel = unicodedata.normalize("NFC", root.name)
    return load_file(SourceFile(root, display, rel, fmt), options, policy)


def _load_folder(root: Path, display: str, options: LoadOptions, policy: Policy) -> Iterator[Document]:
    for path, shown, rel in walk(root, display, policy.fail):
        fmt = format_of(path, options.format)
        if fmt is not None:
            yield from load_file(SourceFile(path, shown, rel, fmt), options, policy)


def _options(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The loader options among a function's arguments: its keywords are LoadOptions' names."""
    return {name: value for name, value in arguments.items() if name in LOAD_OPTIONS}


def documents_from(
    records: Iterable[Mapping[str, Any] | Document],
    *,
    id_field: str | None = None,
    title_field: str | None = None,
    body_field: str | None = None,
    date_field: str | None = None,
    url_field: str | None = None,
    tags_field: str | None = None,
    fields: bool | Iterable[str] | None = None,
    errors: ErrorMode = "strict",
    on_skip: Callable[[SkippedRecord], object] | None = None,
) -> Iterator[Document]:
    """Documents from an iterable of dicts (via `Document.from_record`) or Documents.

    A dict without an id gets a content hash ("doc-3f2a..."), stable however the records are
    ordered; identical records therefore share an id, and an index keeps one of them. Errors
    name the record by its 1-based position, like a line ("record 3: has no text ..." is the
    third); ``errors`` and ``on_skip`` work as in `load`.
    """
    options = LoadOptions.of(_options(locals()))
    policy = Policy(errors, on_skip)
    for index, record in enumerate(records, 1):
        if isinstance(record, Document):
            yield record
            continue
        if not isinstance(record, Mapping):
            policy.fail(DocumentError(f"expected a dict or a Document, found {describe(record)}", line=index))
            continue
        try:
            document = Document.from_record(record, **options.record_options())
        except DocumentError as error:
            policy.fail(DocumentError(error.reason, line=index))
            continue
        yield document

