"""Bytes to text: files opened (gzip or not), UTF-8 or UTF-16 detected or a codec named,
decoded chunk by chunk, split into numbered lines; every failure a `DocumentError` naming the
file, the line and the byte offset.
"""

from __future__ import annotations

import codecs
import gzip
import os
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from vnsearch.errors import DocumentError

__all__ = ["CHUNK", "BoundedReader", "bytes_read", "open_bytes", "text_chunks", "text_lines", "too_long"]

CHUNK = 1 << 16  # bytes read at a time: streaming, never the whole file

# The file on disk (the compressed one for .gz) of each path open_bytes opened, by path: what
# a progress bar measures; the latest opening of a path wins.
_opened: dict[str, IO[bytes]] = {}
_opened_lock = threading.Lock()


def bytes_read(path: Path) -> int | None:
    """How far into ``path`` on disk (compressed, for .gz) its loader has read; None when it
    is not open (not yet, or read and closed)."""
    with _opened_lock:
        raw = _opened.get(os.path.realpath(path))
    if raw is None or raw.closed:
        return None
    try:
        return raw.tell()
    except (OSError, ValueError):  # closed meanwhile by the reading thread
        return None


class BoundedReader:
    """A file's bytes read at most CHUNK at a time, counted as they are decompressed, so a gzip
    bomb stops at ``limit`` bytes with a `DocumentError` before memory or time run out."""

    def __init__(self, raw: IO[bytes], display: str, limit: int):
        self.raw = raw
        self.display = display
        self.limit = limit
        self.total = 0

    def read(self, size: int = CHUNK) -> bytes:
        data = self.raw.read(min(size, CHUNK) if size >= 0 else CHUNK)  # GzipFile.read(n) inflates at most n
        self.total += len(data)
        if self.total > self.limit:
            raise DocumentError(
                f"holds more than {self.limit:,} bytes once decompressed (max_file_bytes); "
                "if it is a real file, raise the limit (max_file_bytes=, --max-file-bytes)",
                path=self.display,
            )
        return data

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> BoundedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def too_long(limit: int, what: str, display: str | None, line: int | None) -> DocumentError:
    """The error for a record over ``max_record_chars``: which limit, and how to raise it."""
    return DocumentError(
        f"{what} is longer than {limit:,} characters (max_record_chars); if it is a real "
        "document, raise the limit (max_record_chars=, --max-record-chars)",
        display,
        line,
    )


def open_bytes(path: Path, display: str, limit: int | None = None) -> IO[bytes]:
    """The file's bytes (decompressed for .gz), with OS errors as DocumentErrors; with ``limit``,
    read through a `BoundedReader` that stops after that many (decompressed) bytes."""
    try:
        if path.name.lower().endswith(".gz"):
            opened: IO[bytes] = gzip.open(path, "rb")  # type: ignore[assignment]  # GzipFile reads bytes like IO
            raw = opened.fileobj  # type: ignore[attr-defined]  # the compressed file GzipFile opened
        else:
            opened = raw = open(path, "rb")
        with _opened_lock:
            for name in [name for name, held in _opened.items() if held.closed]:
                del _opened[name]  # files read and closed: let them go
            _opened[os.path.realpath(path)] = raw
        return opened if limit is None else BoundedReader(opened, display, limit)  # type: ignore[return-value]  # reads like IO
    except FileNotFoundError:
        raise DocumentError("no such file or folder", path=display) from None
    except PermissionError:
        raise DocumentError("cannot read it: permission denied", path=display) from None
    except IsADirectoryError:
        raise DocumentError("is a folder, not a file", path=display) from None
    except OSError as error:
        raise DocumentError(f"cannot read it: {error.strerror or error}", path=display) from None


def _read(raw: IO[bytes], display: str) -> bytes:
    try:
        return raw.read(CHUNK)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DocumentError(f"is not a valid gzip file ({error})", path=display) from None
    except OSError as error:
        raise DocumentError(f"cannot read it: {error.strerror or error}", path=display) from None


def _looks_like_utf16(sample: bytes) -> bool:
    """NUL in every other byte: UTF-16 text saved without a byte-order mark."""
    sample = sample[:4096]
    half = len(sample) // 2
    return half >= 2 and (sample[1::2].count(0) > half * 0.6 or sample[0::2].count(0) > half * 0.6)


def text_chunks(
    raw: IO[bytes],
    display: str,
    encoding: str | None,
    on_bad_line: Callable[[DocumentError], object] | None = None,
) -> Iterator[str]:
    """Decoded text, chunk by chunk, from UTF-8 (BOM or not) or UTF-16 (BOM) bytes.

    Text before a bad byte is yielded first, so errors come in file order; the error then
    names the line and the byte offset. With ``on_bad_line`` (the line formats in skip mode),
    a line that cannot be decoded is reported to it and decoded with U+FFFD replacements, for
    the caller to skip, so the lines after it are still read (not for UTF-16/32, whose bytes
    cannot be split into lines before decoding).
    """
    chunk = _read(raw, display)
    if not chunk:
        return
    consumed = 0
    if encoding is None:
        if chunk.startswith(codecs.BOM_UTF8):
            codec, skip = "utf-8", 3
        elif chunk.startswith(codecs.BOM_UTF16_LE):
            codec, skip = "utf-16-le", 2
        elif chunk.startswith(codecs.BOM_UTF16_BE):
            codec, skip = "utf-16-be", 2
        else:
            codec, skip = "utf-8", 0
    else:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise DocumentError(f"unknown encoding {encoding!r}") from None
        skip = 3 if codec == "utf-8" and chunk.startswith(codecs.BOM_UTF8) else 0
    chunk, consumed = chunk[skip:], skip
    check_nul = not codec.startswith(("utf-16", "utf-32"))
    if check_nul and b"\x00" in chunk:
        if encoding is None and _looks_like_utf16(chunk):
            raise DocumentError(
                "looks like UTF-16 without a byte-order mark; re-save it as UTF-8", path=display
            )
        offset = consumed + chunk.index(b"\x00")
        raise DocumentError(f"is a binary file, not text (found a NUL byte at offset {offset})", path=display)

    decoder = codecs.getincrementaldecoder(codec)("strict")
    newlines = 0
    final = False
    while True:
        nul = chunk.find(b"\x00") if check_nul else -1
        data = chunk if nul < 0 else chunk[:nul]
        try:
            text = decoder.decode(data, final=final and nul < 0)
        except UnicodeDecodeError as error:
            good = error.object[: error.start]
            resync = on_bad_line is not None and check_nul
            try:
                prefix = good.decode(codec, "replace" if resync else "strict") if codec == "utf-8" or resync else ""
            except UnicodeDecodeError:
                prefix = ""
            line = newlines + prefix.count("\n") + 1
            offset = consumed - (len(error.object) - len(data)) + error.start
            bad = error.object[error.start : error.start + 1]
            found = f"found byte 0x{bad[0]:02x} at offset {offset}" if bad else f"ends mid-character at offset {offset}"
            if encoding is not None:
                message = f"cannot be decoded as {encoding} ({found})"
            elif codec.startswith("utf-16"):
                message = f"is not valid UTF-16 ({error.reason} at offset {offset}); re-save it as UTF-8"
            else:
                message = f"is not UTF-8 or UTF-16 ({found}); re-save it as UTF-8"
            if not resync or on_bad_line is None:  # resync implies a callback; says so to mypy
                if prefix:
                    yield prefix
                raise DocumentError(message, path=display, line=line) from None
            # Report the bad line, give it with replacement characters, go on after its newline.
            on_bad_line(DocumentError(message, path=display, line=line))
            rest = error.object[error.start :] + chunk[len(data) :]
            end = rest.find(b"\n")
            while end < 0 and not final:
                more = _read(raw, display)
                final = not more
                rest += more
                end = rest.find(b"\n")
            yield prefix + (rest if end < 0 else rest[: end + 1]).decode(codec, "replace")
            newlines = line
            if end < 0:
                return
            consumed = offset + end + 1
            chunk = rest[end + 1 :]
            decoder = codecs.getincrementaldecoder(codec)("strict")
            if not chunk and not final:
                chunk = _read(raw, display)
                final = not chunk
            continue
        if text:
            newlines += text.count("\n")
            yield text
        if nul >= 0:
            raise DocumentError(
                f"is a binary file, not text (found a NUL byte at offset {consumed + nul})",
                path=display,
                line=newlines + 1,
            )
        if final:
            return
        consumed += len(chunk)
        chunk = _read(raw, display)
        final = not chunk


def text_lines(
    chunks: Iterable[str],
    limit: int | None = None,
    display: str | None = None,
    on_long_line: Callable[[DocumentError], object] | None = None,
) -> Iterator[tuple[int, str]]:
    """(1-based line number, line with its "\\n") from text chunks; splits on "\\n" only.

    A line longer than ``limit`` characters is never held whole: it raises the `too_long` error,
    or, with ``on_long_line`` (skip mode), is reported to it and given as an empty line (so the
    CSV reader's line numbers stay those of the file).
    """
    pending: list[str] = []
    held = 0  # characters in pending
    skipping = False  # inside a too-long line already reported
    number = 0

    def overflow() -> None:
        error = too_long(limit or 0, "the line", display, number + 1)
        if on_long_line is None:
            raise error
        on_long_line(error)

    for chunk in chunks:
        if "\n" not in chunk:
            if skipping:
                continue
            pending.append(chunk)
            held += len(chunk)
            if limit is not None and held > limit:
                overflow()
                pending, held, skipping = [], 0, True
            continue
        parts = chunk.split("\n")
        if skipping:
            number += 1
            yield number, "\n"
            skipping = False
            parts = parts[1:]
        else:
            pending.append(parts[0])
            parts[0] = "".join(pending)
        for part in parts[:-1]:
            if limit is not None and len(part) > limit:
                overflow()
                number += 1
                yield number, "\n"
                continue
            number += 1
            yield number, part + "\n"
        pending, held = [parts[-1]], len(parts[-1])
        if limit is not None and held > limit:
            overflow()
            pending, held, skipping = [], 0, True
    tail = "".join(pending)
    if tail:
        yield number + 1, tail
