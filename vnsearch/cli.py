"""The ``vnsearch`` command: index files, search an index, show its statistics.

Errors become one line on stderr (what went wrong, where, what to do) and an exit status:
2 for a wrong command line, 1 for other errors, 130 when interrupted. ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from vnsearch.documents.options import FORMATS, LOAD_OPTIONS, RECORD_FIELDS
from vnsearch.errors import (
    DocumentError,
    IndexLockedError,
    IndexNotFoundError,
    IndexVersionError,
    QuerySyntaxError,
    SchemaError,
    VnsearchError,
    one_line,
)
from vnsearch.settings import DEFAULT_SERVER_SETTINGS
from vnsearch.version import __version__
from vnsearch.vietnamese.text import strip_controls

__all__ = ["ProgressBar", "build_parser", "main"]

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
_SKIPPED_SHOWN = 5  # skipped records listed in the summary; the rest are counted
_GZIP_RATIO = 3.5  # typical expansion of gzipped text, to estimate its size unpacked
_BYTES_PER_CHAR = 1.4  # first guess for Vietnamese UTF-8 with some markup, refined as files finish
_PROGRESS_DELAY = 1.0  # seconds before the progress bar appears: quick runs stay quiet
# The loader options a command line sets (--errors is handled apart; --field declares fields).
_LOADER_FLAGS = tuple(name for name in LOAD_OPTIONS if name not in ("errors", "fields"))

_EXAMPLES_INDEX = """\
examples:
  vnsearch index sample_corpus --index news-index
  vnsearch index articles.jsonl --index news-index --body-field content --field author:text
  vnsearch index dump.csv --index news-index --errors skip --field views:number
"""
_EXAMPLES_SEARCH = """\
examples:
  vnsearch search "đảng ủy hải phòng"                 (the sample corpus)
  vnsearch search "hai phong" --index news-index --limit 5
  vnsearch search 'title:"ban chấp hành"' --sort date --json
  vnsearch search "hội nghị" --corpus articles.jsonl --page 2
"""


# -- argument parsing -------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _field_spec(text: str) -> tuple[str, str]:
    name, sep, kind = text.partition(":")
    # vnsearch.schema imports dataclasses (and inspect): only once a --field is given.
    from vnsearch.schema import FIELD_TYPES

    if not sep or not name or kind not in FIELD_TYPES:
        raise argparse.ArgumentTypeError(
            f"expected NAME:TYPE with TYPE one of {', '.join(FIELD_TYPES)}, got {text!r}"
        )
    return name, kind


def _either(names: Sequence[str]) -> str:
    """ "a, b or c": a list of names as a sentence says it."""
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


_FIELD_TYPES_HERE = "{field types}"  # filled in by _HelpFormatter when help is shown


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written, and the field types of vnsearch.schema named in the help."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if text and _FIELD_TYPES_HERE in text:
            # Imported when help is shown: vnsearch.schema imports dataclasses (and inspect).
            from vnsearch.schema import FIELD_TYPES

            text = text.replace(_FIELD_TYPES_HERE, _either(FIELD_TYPES))
        return text


def _add_loader_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading files")
    add = group.add_argument
    add("--format", metavar="FMT",
        help=f"read every file as FMT ({', '.join(FORMATS)}) whatever its suffix")
    add("--encoding", metavar="CODEC", help="text encoding of the files (default: UTF-8, or UTF-16 with a BOM)")
    for field in RECORD_FIELDS:
        add(f"--{field.option.replace('_', '-')}", metavar="KEY",
            help=f"record key of the {field.label} (default: {_either(field.keys)})")
    add("--clean-pages", action=argparse.BooleanOptionalAction, default=None,
        help="read .txt/.md files as scraped news pages: take the date line, drop toolbars and "
        "counters, end at 'Tin khác', 'Bình luận' and the like (default: on for the sample "
        "corpus, off for your files)")
    add("--max-file-bytes", type=int, metavar="N",
        help="stop at a file holding more than N bytes once decompressed (default: 4 GiB)")
    add("--max-record-chars", type=int, metavar="N",
        help="refuse a record (a .txt file, a JSONL line, a CSV row) over N characters (default: 32 Mi)")
    add("--errors", choices=("strict", "skip"), default="strict",
        help="on a bad record: stop (strict, the default) or leave it out and report it (skip)")


def _loader_options(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in _LOADER_FLAGS if getattr(args, name) is not None}


def _add_opensearch_options(parser: argparse.ArgumentParser) -> None:
    from vnsearch.opensearch.cli import add_options  # plain argparse: no client imported

    add_options(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``vnsearch`` command."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's default must not undo "vnsearch --debug search ...".
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback when something fails")
    parser = argparse.ArgumentParser(
        prog="vnsearch",
        description="Full-text search for Vietnamese text: accent-insensitive, word-aware.",
        epilog="Run 'vnsearch COMMAND --help' for the options of a command.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"vnsearch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    raw = _HelpFormatter

    index = commands.add_parser(
        "index", parents=[common], formatter_class=raw, epilog=_EXAMPLES_INDEX,
        help=f"index files or folders ({' '.join('.' + f for f in FORMATS)}, optionally .gz)",
        description="Index files or folders into an index folder. Documents whose id is already "
        "in the index replace it. Interrupting keeps everything up to the last commit.",
    )
    index.add_argument("paths", nargs="+", metavar="PATH", help="a file or folder of documents, or - for standard input")
    index.add_argument("--index", metavar="DIR", help="the index folder (created if needed)")
    index.add_argument("--field", action="append", type=_field_spec, default=[], metavar="NAME:TYPE",
                       help=f"declare an extra field; TYPE is {_FIELD_TYPES_HERE} (repeatable)")
    index.add_argument("--overwrite", action="store_true",
                       help="replace the index in DIR instead of adding to it")
    index.add_argument("--batch-size", type=_positive_int, default=5000, metavar="N",
                       help="documents per commit (default: 5000)")
    index.add_argument("--no-progress", dest="progress", action="store_false",
                       help="no progress bar (it is shown only on a terminal anyway)")
    _add_loader_options(index)
    _add_opensearch_options(index)
    index.set_defaults(run=_run_index)

    search = commands.add_parser(
        "search", parents=[common], formatter_class=raw, epilog=_EXAMPLES_SEARCH,
        help="search an index, a corpus, or the sample corpus",
        description="Search an index folder (--index), a corpus file or folder (--corpus, indexed "
        "once into a cache), or, with neither, the sample corpus. See the README for the query syntax.",
    )
    search.add_argument("query", metavar="QUERY", help="the query, e.g. 'đảng ủy' or 'title:\"hải phòng\" date:>=2020'")
    where = search.add_mutually_exclusive_group()
    where.add_argument("--index", metavar="DIR", help="an index folder made by 'vnsearch index'")
    where.add_argument("--corpus", metavar="PATH", help="a file or folder of documents, indexed on first use and cached")
    search.add_argument("--field", action="append", dest="fields", metavar="F",
                        help="search bare words in text field F only (repeatable)")
    search.add_argument("--limit", type=_positive_int, default=10, metavar="N", help="results per page (default: 10)")
    search.add_argument("--page", type=_positive_int, default=1, metavar="N", help="page of results (default: 1)")
    search.add_argument("--sort", metavar="ORDER",
                        help="relevance (default), date (newest first), oldest, or a date or number field (-FIELD: descending)")
    search.add_argument("--json", action="store_true", help="print one JSON object: total, suggestion, hits")
    search.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="highlight matches in colour: auto (on a terminal, unless NO_COLOR is set), always, never")
    search.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bar while --corpus is first indexed (shown only on a terminal anyway)")
    _add_loader_options(search)
    _add_opensearch_options(search)
    search.set_defaults(run=_run_search)

    stats = commands.add_parser(
        "stats", parents=[common], help="show the size and fields of an index",
        description="Show the documents, terms, size on disk, segments and fields of an index.",
    )
    stats.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    stats.add_argument("--json", action="store_true", help="print the statistics as JSON")
    stats.set_defaults(run=_run_stats)

    check = commands.add_parser(
        "check", parents=[common], help="verify every file of an index; --repair rebuilds its metadata",
        description="Verify an index: vnsearch.json, each table of contents, the checksum of every file "
        "the last commit lists, then every stored document and posting. Exits 1 if anything is damaged. "
        "--repair rebuilds vnsearch.json from the table of contents, goes back to the last intact commit, "
        "or commits without a damaged segment (its documents are lost, and counted).",
    )
    check.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    check.add_argument("--repair", action="store_true", help="rebuild the metadata from what is intact")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(run=_run_check)

    defaults = DEFAULT_SERVER_SETTINGS
    serve = commands.add_parser(
        "serve", parents=[common], help="serve an index over HTTP: a JSON API and a search page",
        description="Serve an index over HTTP: a search page at /, a JSON API (/search, /complete, "
        "/documents, /stats, /health) described at /openapi.json. Needs the server extra: "
        "pip install 'vnsearch[server]'. Writes are off unless --api-key is given.",
    )
    serve.add_argument("--index", required=True, metavar="DIR", help="the index folder")
    serve.add_argument("--host", default=defaults.host, metavar="ADDR",
                       help=f"the address to listen on (default: {defaults.host}, this machine only)")
    serve.add_argument("--port", type=int, default=defaults.port, metavar="N", help=f"the port (default: {defaults.port})")
    serve.add_argument("--api-key", metavar="KEY", default=os.environ.get("VNSEARCH_API_KEY"),
                       help="allow POST /documents and DELETE /documents/ID to requests that send "
                       "'Authorization: Bearer KEY' (default: $VNSEARCH_API_KEY; unset: writes are off)")
    serve.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                       help="let pages from ORIGIN call the API (repeatable; default: none)")
    serve.add_argument("--timeout", type=float, default=defaults.request_seconds, metavar="S",
                       help=f"seconds a search may take before the answer is 503 (default: {defaults.request_seconds:g})")
    serve.add_argument("--max-body", type=_positive_int, default=defaults.max_body_bytes, metavar="BYTES",
                       help=f"largest POST /documents body (default: {defaults.max_body_bytes:,})")
    serve.set_defaults(run=_run_serve)
    return parser


# -- vnsearch index ---------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar on a terminal: percent, documents, documents/s and time left.

    It counts documents as written into segments (by worker processes too, not only as the
    parent reads them). A file given by itself is measured in bytes read of it on disk
    (compressed, for .gz: its total is known up front), scaled to the share written so far;
    a folder's total is estimated from its files' sizes, the bytes-per-character ratio refined
    each time a folder finishes. Nothing is drawn for the first ``delay`` seconds, so quick
    runs stay quiet.
    """

    def __init__(self, stream: IO[str], total_bytes: int, *, delay: float = 1.0, width: int = 24):
        self.stream = stream
        self.total_bytes = total_bytes
        self.delay = delay
        self.width = width
        self.bytes_per_char = _BYTES_PER_CHAR
        self.drawn = False
        # Counts of the paths already done; each add_path call counts from zero.
        self._documents = self._characters = 0
        self._bytes_done = 0
        self._estimated_bytes = self._estimated_characters = 0  # folders': for bytes_per_char
        self._started = time.perf_counter()

    def path_done(self, report: Any, path_bytes: int, *, estimated: bool = True) -> None:
        """Count a finished path; ``estimated``: its ``path_bytes`` were an estimate (a folder)."""
        self._documents += report.added
        self._characters += report.characters
        self._bytes_done += path_bytes
        if estimated:
            self._estimated_bytes += path_bytes
            self._estimated_characters += report.characters
            if self._estimated_characters:
                self.bytes_per_char = self._estimated_bytes / self._estimated_characters

    def __call__(self, progress: Any) -> None:
        seconds = time.perf_counter() - self._started
        if seconds < self.delay:
            return
        documents = self._documents + progress.indexed
        if progress.bytes_total:
            # What was read, times the share of it written: moves while workers build.
            share = progress.indexed_characters / progress.characters if progress.characters else 0.0
            done = self._bytes_done + progress.bytes_read * min(share, 1.0)
        else:
            done = self._bytes_done + progress.indexed_characters * self.bytes_per_char
        self.draw_fraction(documents, done / max(1, self.total_bytes), seconds)

    def line(self, documents: int, characters: int, seconds: float) -> str:
        """The bar with ``characters`` of the expected total written."""
        expected = max(1.0, self.total_bytes / self.bytes_per_char)
        return self.fraction_line(documents, characters / expected, seconds)

    def fraction_line(self, documents: int, fraction: float, seconds: float) -> str:
        """The bar at ``fraction`` of the work (shown up to 99%: the commit is still to come)."""
        shown = min(max(fraction, 0.0), 0.99)
        filled = int(shown * self.width)
        bar = "=" * filled + (">" if filled < self.width else "") + " " * max(0, self.width - filled - 1)
        rate = documents / seconds if seconds > 0 else 0.0
        text = f"indexing [{bar}] {shown:4.0%}  {documents:,} docs  {rate:,.0f} docs/s"
        if 0 < fraction < 1 and seconds > 0:
            text += f"  ~{_duration(seconds * (1 - fraction) / fraction)} left"
        return text

    def draw_fraction(self, documents: int, fraction: float, seconds: float) -> None:
        self.stream.write("\r\x1b[K" + self.fraction_line(documents, fraction, seconds))
        self.stream.flush()
        self.drawn = True

    def committing(self) -> None:
        """Say that the last, possibly long, commit is running (only if the bar is showing)."""
        if self.drawn:
            self.stream.write(f"\r\x1b[Kindexing: {self._documents:,} docs read, committing...")
            self.stream.flush()

    def clear(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _input_bytes(path: Path, format: str | None) -> int:
    """Bytes the progress bar counts for ``path``: a file's size on disk (compressed, for .gz,
    as the indexer reports bytes read of it), or about how many bytes of text a folder holds."""
    # The loaders' own walk and suffix table; _run_index has imported the loaders already.
    from vnsearch.documents.loading import format_of, walk

    if path.is_file():
        try:
            return path.stat().st_size
        except OSError:
            return 0
    files = [file for file, _, _ in walk(path)]
    total = 0
    for file in files:
        if format_of(file, format) is None:
            continue
        try:
            size = file.stat().st_size
        except OSError:
            continue
        total += int(size * _GZIP_RATIO) if file.name.lower().endswith(".gz") else size
    return total


def _run_index(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if "-" not in args.paths:
        return _index_paths(args, out, err)
    if args.paths.count("-") > 1:
        raise _UsageError("'-' (standard input) can be given once")
    import shutil
    import tempfile

    # The loaders read files: standard input is spooled to one, then indexed like any other.
    spool = Path(tempfile.mkdtemp(prefix="vnsearch-stdin-"))
    try:
        path = _spool_stdin(spool, args.format)
        args.paths = [str(path) if p == "-" else p for p in args.paths]
        return _index_paths(args, out, err)
    finally:
        shutil.rmtree(spool, ignore_errors=True)


def _spool_stdin(folder: Path, format: str | None) -> Path:
    """Standard input copied into ``folder``, named for its format: ``--format``, else JSON
    Lines when it starts with ``{``, JSON with ``[``, plain text otherwise."""
    import shutil

    source = sys.stdin.buffer
    head = source.read(65536)
    if format is None:
        first = head.lstrip()[:1]
        format = "jsonl" if first == b"{" else "json" if first == b"[" else "txt"
    path = folder / f"stdin.{format.lower().lstrip('.')}"
    with open(path, "wb") as spooled:
        spooled.write(head)
        shutil.copyfileobj(source, spooled)
    return path


def _index_paths(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    # Each command loads what it needs when it runs: --help and a wrong option stay instant.
    from vnsearch.documents import SkippedRecord, load
    from vnsearch.index import Index

    if (args.index is None) == (args.opensearch is None):
        raise _UsageError("give the index: --index DIR, or --opensearch URL --index-name NAME")
    folder: Any = Path(args.index) if args.index is not None else f"the OpenSearch index {args.index_name}"
    declared = dict(args.field)
    if len(declared) != len(args.field):
        raise _UsageError("--field declares the same field twice")
    loader = _loader_options(args)
    for path in args.paths:
        load(path, errors=args.errors, **loader)  # checks the path, format and encoding, reads nothing
    if args.opensearch is not None:
        from vnsearch.opensearch.cli import remote_index

        index = remote_index(args, declared, create=True)
    elif Index.exists(folder) and not args.overwrite:
        index = Index.open(folder)
        have = index.schema.to_json()
        for name, kind in declared.items():
            if have.get(name) != kind:
                now = f"declares {name} as {have[name]}" if name in have else f"has no field {name}"
                raise SchemaError(
                    f"the index at {folder} {now}; add --overwrite to rebuild it with {name}:{kind}"
                )
    else:
        index = Index.create(folder, declared, overwrite=args.overwrite)
    sizes = [_input_bytes(Path(p), loader.get("format")) for p in args.paths]
    bar = ProgressBar(err, sum(sizes), delay=_PROGRESS_DELAY) if args.progress and _is_terminal(err) else None
    started = time.perf_counter()
    added, characters = 0, 0
    skipped: list[SkippedRecord] = []
    unindexed: dict[str, None] = {}
    try:
        # One "with" block: batches commit as they fill, an interruption keeps the last commit.
        with index:
            for path, size in zip(args.paths, sizes):
                report = index.add_path(
                    path, errors=args.errors, batch_size=args.batch_size, progress=bar, **loader
                )
                added += report.added
                characters += report.characters
                skipped.extend(report.skipped)
                unindexed.update(dict.fromkeys(report.unindexed))
                if bar is not None:
                    bar.path_done(report, size, estimated=not Path(path).is_file())
            if bar is not None:
                bar.committing()
        seconds = time.perf_counter() - started
        total = len(index)
    finally:
        if bar is not None:
            bar.clear()
        index.close()  # after a failure "with" has already dropped the uncommitted writes
    rate = f", {added / seconds:,.0f} documents/s" if seconds > 0 and added else ""
    print(f"indexed {added:,} documents ({characters:,} characters) into {strip_controls(str(folder))} in {seconds:.1f} s{rate}", file=out)
    if skipped:
        print(f"skipped {len(skipped):,} {'record' if len(skipped) == 1 else 'records'}:", file=out)
        for record in skipped[:_SKIPPED_SHOWN]:
            print(f"  {strip_controls(str(record))}", file=out)
        if len(skipped) > _SKIPPED_SHOWN:
            print(f"  ... and {len(skipped) - _SKIPPED_SHOWN:,} more", file=out)
    if unindexed:
        names = strip_controls(", ".join(unindexed))  # record keys come from the files
        example = next((n for n in unindexed if n.isidentifier() and n.islower()), "NAME")
        print(f"not kept (the index has no field for them): {names}; declare one with --field "
              f"{example}:stored (and --overwrite for an index already there)", file=out)
    print(f"the index now holds {total:,} documents", file=out)
    return 0


# -- vnsearch search --------------------------------------------------------------------------


def _run_search(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    # Loaded when the command runs (see _index_paths).
    from vnsearch import display
    from vnsearch.index import Index
    from vnsearch.notebook import index_for

    loader = _loader_options(args)
    if args.opensearch is not None:
        if args.index is not None or args.corpus is not None or loader or args.errors != "strict":
            raise _UsageError("--opensearch searches the cluster's index: no --index, --corpus or file options")
        from vnsearch.opensearch.cli import remote_index

        index = remote_index(args)
    elif args.index is not None:
        if loader or args.errors != "strict":
            raise _UsageError("the options for reading files apply to --corpus, not to --index")
        if not Index.exists(args.index):
            raise IndexNotFoundError(
                f"no index at {args.index}: build one with 'vnsearch index PATH... --index {args.index}'"
            )
        index = Index.open(args.index)
    elif args.corpus is not None:
        # The first search of a corpus builds its cache: as long as 'vnsearch index', so the same bar.
        bar = None
        if args.progress and _is_terminal(err):
            bar = ProgressBar(err, _input_bytes(Path(args.corpus), loader.get("format")), delay=_PROGRESS_DELAY)
        try:
            index = index_for(args.corpus, errors=args.errors, progress=bar, **loader)
        finally:
            if bar is not None:
                bar.clear()
    else:
        index = index_for(None, errors=args.errors, **loader)
    results = index.search(args.query, limit=args.limit, page=args.page, fields=args.fields, sort=args.sort)
    if args.json:
        json.dump(results.to_json_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    color = args.color == "always" or (
        args.color == "auto" and _is_terminal(out) and not os.environ.get("NO_COLOR")
    )
    print(display.results_text(results, style="ansi" if color else "plain"), file=out)
    return 0


# -- vnsearch stats ---------------------------------------------------------------------------


def _run_stats(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    # Loaded when the command runs (see _index_paths).
    from vnsearch.index import Index

    if not Index.exists(args.index):
        raise IndexNotFoundError(f"no index at {args.index}: build one with 'vnsearch index PATH... --index {args.index}'")
    index = Index.open(args.index)
    stats = index.stats()
    index.close()
    if args.json:
        json.dump(stats.to_json_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    print(f"index:      {stats.path}", file=out)
    print(f"documents:  {stats.documents:,}", file=out)
    print(f"terms:      {stats.terms:,}", file=out)
    print(f"size:       {_size(stats.size_bytes)}", file=out)
    print(f"segments:   {stats.segments}", file=out)
    print("fields:     " + ", ".join(f"{name} ({kind})" for name, kind in stats.fields.items()), file=out)
    return 0


# -- vnsearch check ---------------------------------------------------------------------------


def _run_check(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from vnsearch.check import check_index

    report = check_index(args.index, repair=args.repair)
    if args.json:
        json.dump(
            {
                "path": report.path, "ok": report.ok, "files": report.files, "documents": report.documents,
                "postings": report.postings, "documents_lost": report.documents_lost,
                "problems": [{"file": p.file, "what": p.what} for p in report.problems],
                "repairs": list(report.repairs),
            },
            out, ensure_ascii=False, indent=2,
        )
        out.write("\n")
    else:
        for problem in report.problems:
            print(f"damaged: {problem}", file=out)
        for repair in report.repairs:
            print(f"repaired: {repair}", file=out)
        verdict = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        print(f"{verdict}: {report.files} files, {report.documents:,} documents, "
              f"{report.postings:,} postings read", file=out)
    return 0 if report.ok else EXIT_ERROR


def _run_serve(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    # Loaded when the command runs (see _index_paths); the server extra only here.
    import dataclasses

    from vnsearch.index import Index

    if not Index.exists(args.index):
        raise IndexNotFoundError(f"no index at {args.index}: build one with 'vnsearch index PATH... --index {args.index}'")
    if not 0 <= args.port <= 65535:
        raise _UsageError(f"--port must be from 0 to 65535, not {args.port}")
    if args.timeout <= 0:
        raise _UsageError("--timeout must be more than 0 seconds")
    settings = dataclasses.replace(DEFAULT_SERVER_SETTINGS, host=args.host, port=args.port,
                                   request_seconds=args.timeout, max_body_bytes=args.max_body)
    from vnsearch.server import serve

    serve(args.index, host=args.host, port=args.port, api_key=args.api_key or None,
          cors_origins=args.cors_origin, settings=settings,
          announce=lambda line: print(line, file=err, flush=True))
    return 0


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)  # pragma: no cover - the loop always returns


# -- errors and the entry point ---------------------------------------------------------------


class _UsageError(Exception):
    """A command line that parses but does not make sense; exits with status 2."""


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _hint(exc: BaseException, command: str) -> str:
    """What to do about an error, when its message does not say it already."""
    if isinstance(exc, DocumentError) and exc.line is not None:
        return "fix the record, or pass --errors skip to leave bad records out"
    if isinstance(exc, SchemaError) and command == "search":
        return "'vnsearch stats --index DIR' lists the fields of an index"
    if isinstance(exc, QuerySyntaxError):
        return "see the query syntax in the README"
    if isinstance(exc, (IndexNotFoundError, IndexLockedError, IndexVersionError)):
        return ""
    if isinstance(exc, OSError):
        return "check the path and its permissions"
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``vnsearch`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    out, err = sys.stdout, sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:  # --help, --version, or a usage error already printed
        return int(exit.code or 0) if not isinstance(exit.code, str) else EXIT_USAGE
    debug = getattr(args, "debug", False)
    command = args.command
    run: Callable[[argparse.Namespace, IO[str], IO[str]], int] = args.run
    try:
        return run(args, out, err)
    except _UsageError as exc:
        print(f"vnsearch {command}: error: {strip_controls(str(exc))}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc(file=err)
        print(f"vnsearch {command}: interrupted; the index keeps its last commit", file=err)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, and keep Python from complaining at exit.
        _silence_stdout()
        return 0
    except (VnsearchError, OSError) as exc:
        if debug:
            traceback.print_exc(file=err)
        message = strip_controls(one_line(exc))  # a file name or query may carry ESC or U+202E
        hint = _hint(exc, command)
        print(f"vnsearch {command}: error: {message}" + (f"; {hint}" if hint else ""), file=err)
        return EXIT_ERROR


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":  # pragma: no cover - python -m vnsearch uses __main__.py
    sys.exit(main())
