"""Verify an index end to end, like Lucene's CheckIndex, and repair its metadata.

:func:`check_index` reads everything: ``vnsearch.json`` and its checksum, each table of
contents (TOC) and its footer, the size and CRC32 of every file the last commit lists, then
every stored document and every posting of every segment. ``repair=True`` then rebuilds
what can be rebuilt from what is intact:

* a damaged or missing ``vnsearch.json``, from the schema in the TOC;
* a damaged last TOC, by going back to the previous intact one (the damaged file is kept
  aside as ``*.damaged``);
* a damaged segment, by committing a TOC without it: its documents are lost, and counted.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vnsearch.errors import IndexNotFoundError, VnsearchError
from vnsearch.index import META_FILE, Index, write_meta
from vnsearch.schema import IndexSchema
from vnsearch.whoosh_ext import storage as st

__all__ = ["Problem", "CheckReport", "check_index"]

_TOC = re.compile(r"^_MAIN_([0-9]+)\.toc$")


@dataclass(frozen=True)
class Problem:
    """Something damaged: the file, and what is wrong with it."""

    file: str
    what: str

    def __str__(self) -> str:
        return f"{self.file}: {self.what}"


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_index` found (and, with ``repair``, did)."""

    path: str
    files: int = 0
    documents: int = 0
    postings: int = 0
    problems: tuple[Problem, ...] = ()
    repairs: tuple[str, ...] = ()
    documents_lost: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Run:
    folder: Path
    problems: list[Problem] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    postings: int = 0
    lost: int = 0

    def problem(self, file: str, what: str) -> None:
        self.problems.append(Problem(file, what))


def check_index(path: str | os.PathLike, *, repair: bool = False) -> CheckReport:
    """Check the index at ``path``; with ``repair``, rebuild its metadata from what is intact."""
    folder = Path(path)
    if not folder.is_dir():
        raise IndexNotFoundError(f"no index at {folder}: the folder does not exist")
    run = _Run(folder)
    tocs = sorted(
        ((int(m.group(1)), name) for name in os.listdir(folder) if (m := _TOC.match(name))), reverse=True
    )
    if not tocs and not (folder / META_FILE).exists():
        raise IndexNotFoundError(f"{folder} is not a vnsearch index (no {META_FILE}, no table of contents)")
    meta_ok, sealed = _check_meta(run)
    good = _check_tocs(run, tocs, repair, require_checksums=sealed or not meta_ok)
    if good is not None:
        info, manifest = good
        damaged = _check_files(run, info, manifest)
        if damaged and repair:
            _drop_segments(run, info, damaged, manifest)
        if not meta_ok and repair:
            _rebuild_meta(run, info.schema)
            meta_ok = True
        if meta_ok and not (damaged and not repair):
            _read_everything(run)
    return CheckReport(
        path=str(folder),
        files=run.files,
        documents=run.documents,
        postings=run.postings,
        problems=tuple(run.problems),
        repairs=tuple(run.repairs),
        documents_lost=run.lost,
    )


def _check_tocs(
    run: _Run, tocs: list[tuple[int, str]], repair: bool, require_checksums: bool
) -> tuple[Any, dict] | None:
    """The newest TOC that reads whole, as (Whoosh TOC, manifest); damaged newer ones noted."""
    from whoosh.index import TOC

    storage = st.DurableStorage(run.folder, require_checksums=require_checksums)
    for position, (generation, name) in enumerate(tocs):
        run.files += 1
        try:
            info = TOC.read(storage, "MAIN", gen=generation)
            manifest = st.read_manifest(run.folder, name) or {}
        except Exception as exc:  # noqa: BLE001 (a damaged TOC fails in many ways)
            if position == 0 or not repair:
                run.problem(name, _reason(exc))
            if repair and position == 0:
                continue  # try the previous commit
            return None
        if position > 0 and repair:
            for _, newer in tocs[:position]:
                os.replace(run.folder / newer, run.folder / f"{newer}.damaged")
            run.repairs.append(f"went back to the commit in {name}; the damaged newer TOC is kept as *.damaged")
        return info, manifest
    if not tocs:
        run.problem("_MAIN_*.toc", "no table of contents: the index has no commit")
    return None


def _check_meta(run: _Run) -> tuple[bool, bool]:
    """Whether ``vnsearch.json`` is intact, and whether it carries a checksum."""
    path = run.folder / META_FILE
    run.files += 1
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        st.check_seal(meta, str(path))
        IndexSchema.from_json(meta["fields"])
        int(meta["format"])
    except FileNotFoundError:
        run.problem(META_FILE, "missing")
        return False, False
    except (VnsearchError, ValueError, KeyError, TypeError, AttributeError) as exc:
        run.problem(META_FILE, _reason(exc))
        return False, False
    return True, st.has_seal(meta)


def _check_files(run: _Run, info: Any, manifest: dict[str, tuple[int, int]]) -> list[Any]:
    """Check every file the TOC's segments need; the segments with a damaged file."""
    names = set(os.listdir(run.folder))
    damaged = []
    for segment in info.segments:
        prefix = f"{segment.segment_id()}."
        files = sorted(n for n in names if n.startswith(prefix))
        bad = False
        if not files:
            run.problem(f"{segment.segment_id()}.seg", "missing: the last commit needs it")
            bad = True
        for name in files:
            run.files += 1
            if name in manifest:
                size, crc = manifest[name]
                try:
                    st.check_file(str(run.folder / name), size, crc)
                except VnsearchError as exc:
                    run.problem(name, _reason(exc))
                    bad = True
        for name, _ in manifest.items():
            if name.startswith(prefix) and name not in names:
                run.problem(name, "missing: the last commit needs it")
                bad = True
        if bad:
            damaged.append(segment)
    return damaged


def _drop_segments(run: _Run, info: Any, damaged: list[Any], manifest: dict[str, tuple[int, int]]) -> None:
    """Commit a TOC without the damaged segments (under the writer lock)."""
    index_storage = st.DurableStorage(run.folder)
    lock = index_storage.lock("WRITELOCK")
    if not lock.acquire():
        run.problem("MAIN_WRITELOCK", "held by a writer: repair not attempted")
        return
    try:
        keep = [s for s in info.segments if s not in damaged]
        run.lost += sum(s.doc_count() for s in damaged)
        kept = {n: v for n, v in manifest.items() if any(n.startswith(f"{s.segment_id()}.") for s in keep)}
        st.write_toc(index_storage, info.schema, keep, info.generation + 1, kept)
        run.repairs.append(
            f"committed generation {info.generation + 1} without {len(damaged)} damaged segment(s) "
            f"({run.lost} documents lost: re-add them)"
        )
    finally:
        lock.release()


def _rebuild_meta(run: _Run, whoosh_schema: Any) -> None:
    schema = _schema_from_whoosh(whoosh_schema)
    if schema is None:
        run.repairs.append(f"{META_FILE} not rebuilt: the schema in the TOC is not one vnsearch writes")
        return
    write_meta(run.folder, schema)
    run.repairs.append(f"rebuilt {META_FILE} from the schema in the table of contents")


_TYPES = {"TEXT": "text", "KEYWORD": "keyword", "DATETIME": "date", "NUMERIC": "number", "STORED": "stored"}


def _schema_from_whoosh(whoosh_schema: Any) -> IndexSchema | None:
    """The vnsearch schema whose Whoosh schema is ``whoosh_schema`` (None if none is)."""
    base = set(IndexSchema.build(None).whoosh_schema().names())
    names = [n for n in whoosh_schema.names() if n not in base]
    extra = {}
    for name in names:
        kind = _TYPES.get(type(whoosh_schema[name]).__name__)
        if kind is None:
            return None
        extra[name] = kind
    for name, kind in list(extra.items()):  # a text field's folded twin is not declared
        if kind == "text":
            twin = IndexSchema.build({name: "text"})[name].folded_name
            extra.pop(twin or "", None)
    try:
        schema = IndexSchema.build(extra)
    except VnsearchError:
        return None
    return schema if sorted(schema.whoosh_schema().names()) == sorted(whoosh_schema.names()) else None


def _read_everything(run: _Run) -> None:
    """Open the index and read every stored document and every posting."""
    try:
        index = Index.open(run.folder)
    except VnsearchError as exc:
        run.problem(_file_named(str(exc)), _reason(exc))
        return
    try:
        with index.whoosh_index.reader() as reader:
            for leaf, _ in reader.leaf_readers():
                segment = leaf.segment()
                where = f"{segment.segment_id()}.seg"
                try:
                    run.documents += sum(1 for _ in leaf.all_stored_fields())
                    for fieldname, _text, _doc, _weight, value in leaf.iter_postings():
                        run.postings += 1
                        fmt = leaf.schema[fieldname].format
                        if value and type(fmt).__name__ == "Positions":
                            fmt.decode_positions(value)
                except Exception as exc:  # noqa: BLE001 (damage shows as any exception)
                    run.problem(where, _reason(exc))
    finally:
        index.close()


def _reason(exc: BaseException) -> str:
    return " ".join(f"{exc}".split()) or type(exc).__name__


def _file_named(message: str) -> str:
    match = re.search(r"(_?MAIN_[\w.]+|vnsearch\.json)", message)
    return match.group(1) if match else "(index)"
