"""The readers of each format: one file in, documents out, streamed.

``txt``/``md`` is one document per file (`vnsearch.documents.pages`); ``jsonl`` one object per
line; ``json`` an array (read item by item by `JsonStream`, so memory stays at about one item),
one object, or objects one after another; ``csv``/``tsv`` a header row, then a record per row.
Bad records raise, or in skip mode go to the `Policy`'s ``on_skip``, with the file and line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from vnsearch.documents import decoding
from vnsearch.documents.decoding import open_bytes, text_chunks, text_lines, too_long
from vnsearch.documents.model import Document, SkippedRecord
from vnsearch.documents.options import GUESSED_KEYS, LoadOptions, check_errors
from vnsearch.documents.pages import clean_page, plain_page
from vnsearch.documents.records import KeyFinder, as_id, as_tags, as_text, clean, describe, select_fields
from vnsearch.errors import DocumentError

__all__ = ["JsonStream", "Policy", "SourceFile", "load_file"]

_CSV_FIELD_LIMIT = 1 << 26  # the csv default (128 KiB) is smaller than some long articles


class Policy:
    """What to do with a bad record: raise (strict) or report to on_skip and go on (skip)."""

    def __init__(self, errors: str, on_skip: Callable[[SkippedRecord], object] | None):
        check_errors(errors)
        self.strict = errors == "strict"
        self.on_skip = on_skip

    def fail(self, error: DocumentError) -> None:
        if self.strict:
            raise error
        if self.on_skip is not None:
            self.on_skip(SkippedRecord(error.path, error.line, error.reason))


@dataclass(frozen=True)
class SourceFile:
    """One file to load: where it is, how to name it in errors, its id stem, its format."""

    path: Path
    display: str
    rel: str
    format: str


def _convert(
    record: object,
    options: LoadOptions,
    policy: Policy,
    *,
    display: str,
    line: int,
    default_id: str,
    label: str = "",
) -> Document | None:
    """Document.from_record with the file and line added to its errors."""
    if not isinstance(record, Mapping):
        policy.fail(DocumentError(f"{label}expected a JSON object, found {describe(record)}", display, line))
        return None
    try:
        return Document.from_record(
            record, **options.record_options(), source=f"{display}:{line}", default_id=default_id
        )
    except DocumentError as error:
        policy.fail(DocumentError(label + error.reason, display, line))
    except (TypeError, RecursionError) as error:
        policy.fail(DocumentError(f"{label}cannot use this record: {error}", display, line))
    return None


def _keep(errors: dict[int, DocumentError]) -> Callable[[DocumentError], None]:
    """An on_bad_line for text_chunks that keeps each error by line, to report in file order."""

    def keep(error: DocumentError) -> None:
        errors[error.line or 0] = error

    return keep


def _load_text(file: SourceFile, options: LoadOptions) -> Iterator[Document]:
    """A .txt or .md file: one document, whole, or cleaned of page furniture (``clean_pages``)."""
    parts: list[str] = []
    held = 0
    with open_bytes(file.path, file.display, options.max_file_bytes) as raw:
        for chunk in text_chunks(raw, file.display, options.encoding):
            held += len(chunk)
            if held > options.max_record_chars:  # one document per file: the file is the record
                raise too_long(options.max_record_chars, "the text", file.display, None)
            parts.append(chunk)
    text = "".join(parts)
    if not text.strip():
        return
    article = clean_page(text) if options.clean_pages else plain_page(text)
    if not article.title and not article.body.strip():
        return
    meta = KeyFinder(article.fields)
    id_key, ident = meta.pick(options.id_field, GUESSED_KEYS["id"])
    url_key, url = meta.pick(options.url_field, GUESSED_KEYS["url"])
    tags_key, tags = meta.pick(options.tags_field, GUESSED_KEYS["tags"])
    used = {id_key, url_key, tags_key}
    extras = select_fields(article.fields, meta, options.fields, used)
    yield Document(
        id=as_id(ident, id_key) if id_key is not None else file.rel,
        title=article.title,
        body=article.body,
        date=article.date,
        url=as_text(url, url_key, " ") if url_key is not None else None,
        tags=as_tags(tags, tags_key),
        fields=extras,
        source=file.display,
    )


def _load_jsonl(file: SourceFile, options: LoadOptions, policy: Policy) -> Iterator[Document]:
    """JSON Lines: one object per line, streamed; blank lines are skipped."""
    bad_lines: dict[int, DocumentError] = {}  # undecodable lines (skip mode), reported in turn
    with open_bytes(file.path, file.display, options.max_file_bytes) as raw:
        chunks = text_chunks(raw, file.display, options.encoding, None if policy.strict else _keep(bad_lines))
        lines = text_lines(chunks, options.max_record_chars, file.display, None if policy.strict else policy.fail)
        for number, line in lines:
            if number in bad_lines:
                policy.fail(bad_lines.pop(number))
                continue
            stripped = line.strip()
            if not stripped:
                continue
            try:
                record = json.loads(stripped)
            except json.JSONDecodeError as error:
                column = error.colno + len(line) - len(line.lstrip())
                policy.fail(DocumentError(f"not valid JSON: {error.msg} (column {column})", file.display, number))
                continue
            except RecursionError:
                policy.fail(DocumentError("not valid JSON: nested too deeply", file.display, number))
                continue
            except ValueError as error:  # e.g. an integer longer than Python will convert
                policy.fail(DocumentError(f"not valid JSON: {error}", file.display, number))
                continue
            document = _convert(
                record, options, policy, display=file.display, line=number, default_id=f"{file.rel}:{number}"
            )
            if document is not None:
                yield document


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class JsonStream:
    """Parses JSON values one at a time from text chunks, keeping memory to about one value."""

    def __init__(self, chunks: Iterable[str], display: str, limit: int | None = None):
        self._chunks = iter(chunks)
        self.display = display
        self.limit = limit  # characters one value may take (max_record_chars)
        self.buf = ""
        self.pos = 0
        self.first_line = 1  # line number of buf[0]
        self.eof = False
        self._mark = (0, 1)  # a (position, line) already counted, so line() never rescans

    def _more(self) -> bool:
        if self.eof:
            return False
        if self.pos > decoding.CHUNK or self.pos * 2 > len(self.buf):
            self.first_line += self.buf.count("\n", 0, self.pos)
            self.buf, self.pos = self.buf[self.pos :], 0
            self._mark = (0, self.first_line)
        try:
            self.buf += next(self._chunks)
        except StopIteration:
            self.eof = True
            return False
        return True

    def line(self, pos: int | None = None) -> int:
        """The 1-based line number at a position in the buffer (default: the current one)."""
        pos = self.pos if pos is None else pos
        start, line = self._mark
        if pos < start:
            start, line = 0, self.first_line
        line += self.buf.count("\n", start, pos)
        self._mark = (pos, line)
        return line

    def peek(self) -> str:
        """The next non-space character ("" at the end), without consuming it."""
        while True:
            self.pos = _JSON_SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def error(self, message: str, pos: int | None = None) -> DocumentError:
        return DocumentError(f"not valid JSON: {message}", self.display, self.line(pos))

    def value(self) -> object:
        """The JSON value at the current position; reads more text until it is complete."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as error:
                truncated = error.pos >= len(self.buf) - 16 or error.msg.startswith("Unterminated string")
                if self.eof or not truncated:
                    raise self.error(error.msg, error.pos) from None
            except RecursionError:
                raise self.error("nested too deeply") from None
            except ValueError as error:
                raise self.error(str(error)) from None
            else:
                if end < len(self.buf) or self.eof:  # a number at the end may go on
                    self.pos = end
                    return value
            pending = len(self.buf) - self.pos
            if self.limit is not None and pending > self.limit:
                what = "the value" if self.pos else "the JSON"
                raise too_long(self.limit, what, self.display, self.line())
            while len(self.buf) - self.pos <= 2 * pending and self._more():
                pass


def _json_values(stream: JsonStream) -> Iterator[tuple[int | None, int, object]]:
    """(array index or None, start line, value) for an array's items or top-level values."""
    c = stream.peek()
    if c == "[":
        stream.pos += 1
        index = 0
        if stream.peek() == "]":
            stream.pos += 1
        else:
            while True:
                stream.peek()
                line = stream.line()
                yield index, line, stream.value()
                index += 1
                c = stream.peek()
                stream.pos += 1
                if c == "]":
                    break
                if c != ",":
                    raise stream.error(f"expected ',' or ']' after item [{index - 1}]", stream.pos - 1)
        if stream.peek():
            raise stream.error("unexpected text after the array")
        return
    while c:
        line = stream.line()
        yield None, line, stream.value()
        c = stream.peek()


def _load_json(file: SourceFile, options: LoadOptions, policy: Policy) -> Iterator[Document]:
    """A JSON array of objects (ids "name.json[i]"), one object, or objects one after another."""
    with open_bytes(file.path, file.display, options.max_file_bytes) as raw:
        stream = JsonStream(text_chunks(raw, file.display, options.encoding), file.display, options.max_record_chars)
        for index, line, record in _json_values(stream):
            if index is None:
                default_id, label = f"{file.rel}:{line}", ""
            else:
                default_id, label = f"{file.rel}[{index}]", f"item [{index}]: "
            document = _convert(
                record, options, policy, display=file.display, line=line, default_id=default_id, label=label
            )
            if document is not None:
                yield document


def _load_csv(file: SourceFile, options: LoadOptions, policy: Policy) -> Iterator[Document]:
    """CSV or TSV with a header row; each row's id defaults to "name.csv:<line>"."""
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    delimiter = "\t" if file.format == "tsv" else ","
    bad_lines: dict[int, DocumentError] = {}  # undecodable lines (skip mode), reported in turn
    ended = False  # set when the reader has asked for a line after the last one
    with open_bytes(file.path, file.display, options.max_file_bytes) as raw:
        chunks = text_chunks(raw, file.display, options.encoding, None if policy.strict else _keep(bad_lines))
        lines = text_lines(chunks, options.max_record_chars, file.display, None if policy.strict else policy.fail)

        fed = 0  # characters of the row being read: a quoted field may span many lines

        def source() -> Iterator[str]:
            nonlocal ended, fed
            for number, text in lines:
                fed += len(text)
                if fed > options.max_record_chars:  # no resync inside an open quote: strict
                    raise too_long(options.max_record_chars, "the row", file.display, number)
                yield text
            ended = True

        reader = csv.reader(source(), delimiter=delimiter)
        header: list[str] = []
        previous = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                for number in sorted(bad_lines):
                    policy.fail(bad_lines.pop(number))
                return
            except csv.Error as error:
                raise DocumentError(f"not valid CSV: {error}", file.display, reader.line_num) from None
            line, previous = previous + 1, reader.line_num
            fed = 0
            undecodable = [bad_lines.pop(n) for n in sorted(bad_lines) if n <= previous]
            for bad in undecodable:
                policy.fail(bad)
            if ended and row:
                # Only an open quote makes the reader run past the last line for a row.
                raise DocumentError(
                    f"a quote opened in this row is never closed, so lines {line}-{previous} "
                    "were read as one row; close the quote",
                    file.display,
                    line,
                )
            if undecodable:
                if not header:
                    raise DocumentError("the header row cannot be decoded", file.display, line)
                continue
            if not header:
                if any(cell.strip() for cell in row):
                    header = [clean(cell).strip() for cell in row]
                    seen: set[str] = set()
                    for name in header:
                        if name in seen:
                            raise DocumentError(f"the header names column {name!r} twice", file.display, line)
                        if name:
                            seen.add(name)
                continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
                policy.fail(
                    DocumentError(f"has {len(row)} cells but the header has {len(header)}", file.display, line)
                )
                continue
            record = {name: cell for name, cell in zip(header, row) if name}
            document = _convert(
                record, options, policy, display=file.display, line=line, default_id=f"{file.rel}:{line}"
            )
            if document is not None:
                yield document


def load_file(file: SourceFile, options: LoadOptions, policy: Policy) -> Iterator[Document]:
    """One file's documents; a file-level error is raised, or reported in skip mode."""
    try:
        if file.format in ("txt", "md"):
            try:
                yield from _load_text(file, options)
            except (TypeError, RecursionError) as error:
                raise DocumentError(f"cannot use this file: {error}", file.display) from None
        elif file.format == "jsonl":
            yield from _load_jsonl(file, options, policy)
        elif file.format == "json":
            yield from _load_json(file, options, policy)
        else:
            yield from _load_csv(file, options, policy)
    except DocumentError as error:
        if error.path is None:
            error = DocumentError(error.reason, file.display, error.line)
        policy.fail(error)
