"""How vnsearch writes Whoosh segments: a faster segment writer.

:class:`Writer` is Whoosh's ``SegmentWriter`` with the hot spots of a large write removed; an
index it writes reads with Whoosh's own readers:

* vnsearch's text fields are indexed from the analyzer's units in one pass
  (:func:`vnsearch.analysis.twin_positions`), not through a chain of token generators, and a
  text is analysed once for its exact field and its folded twin;
* postings are kept per term in flat lists, in the order documents arrive (:class:`_Postings`),
  instead of one tuple per posting sorted at the end; past a memory budget they go to sorted
  runs on disk, merged term by term;
* each posting list is written whole in Whoosh 3's block format (:class:`_BlockWriter`), not
  posting by posting; blocks are pickled with protocol 4 and compressed from 128 bytes, which
  Whoosh's readers read as they read its own protocol-2, always-compressed blocks.
"""

from __future__ import annotations

import gc
import hashlib
import heapq
import itertools
import marshal
import operator
import zlib
from array import array
from pickle import dumps  # whoosh.compat's dumps; whoosh.compat itself is not imported
from typing import Any, Callable, Iterator, Mapping, Sequence

from whoosh import formats
from whoosh.codec import whoosh3
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.filedb import filetables
from whoosh.system import pack_int, pack_long, pack_uint, pack_ushort
from whoosh.util import random_name
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from vnsearch.analysis import exact_analyzer, folded_analyzer, twin_positions
from vnsearch.whoosh_ext.storage import DurableStorage, commit_toc

__all__ = ["PAUSE_EVERY", "Writer", "build_segment", "commit_with_segments"]

PAUSE_EVERY = 200  # terms or postings a background writer handles between two calls of its pause


class Writer(SegmentWriter):
    """Whoosh's segment writer, faster on vnsearch's text fields (same index format)."""

    def __init__(self, ix: Any, *, pause: Callable[[], object] | None = None, **kwargs: Any):
        """``pause`` is called every :data:`PAUSE_EVERY` terms written: a background writer
        (a merge) waits there while the index's own writes run."""
        super().__init__(ix, **kwargs)
        self.pause = pause
        self._plans = _plans(self.schema)
        # Spelling and vector fields take Whoosh's own path, with everything else.
        self._whoosh_only = not self._plans or any(
            field.separate_spelling() or field.vector for _, field in self.schema.items()
        )
        if not self._whoosh_only:
            self.pool = _Postings(self._tempstorage, limitmb=kwargs.get("limitmb", 128), pause=pause)
        self._new_ids: dict[str, list[int]] = {}  # id -> its documents in the new segment
        self._deleted_new: set[int] = set()  # documents of the new segment deleted before commit

    def add_document(self, **fields: Any) -> None:
        docnum = self.docnum
        self._add_document(**fields)
        if fields.get("id") is not None:
            self._new_ids.setdefault(str(fields["id"]), []).append(docnum)

    def has_pending(self, doc_id: str) -> bool:
        """True when this writer holds an uncommitted document with this id."""
        return doc_id in self._new_ids

    def delete_pending(self, doc_id: str) -> int:
        """Delete this writer's uncommitted documents with this id (Whoosh deletes only
        committed ones): marked deleted in the new segment when it is committed, so a group of
        writes that adds and then deletes or replaces an id is still one commit."""
        docnums = self._new_ids.pop(doc_id, [])
        self._deleted_new.update(docnums)
        return len(docnums)

    def _add_document(self, **fields: Any) -> None:
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
        twins: dict[tuple[int, bool], tuple[dict[str, list[int]], dict[str, list[int]]]] = {}
        encoded: dict[int, tuple[list[int], bytes]] = {}
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
                    words, folded = plan
                    # The exact field and its folded twin hold one value: analysed once.
                    pair = twins.get((id(value), words))
                    if pair is None:
                        pair = twins[id(value), words] = twin_positions(value, words)
                    length = pool.add_positions(fieldname, docnum, pair[folded], encoded)
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
            # As in Whoosh, postings already pooled stay: the writer must be cancelled (Index does).
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _commit_toc(self, segments: Any) -> None:
        for docnum in self._deleted_new:  # the new segment is written; its deletions go in the TOC
            self.newsegment.delete_document(docnum)
        # Lucene's order: new files fsynced, TOC renamed into place, then old files deleted.
        commit_toc(self, segments)

    def _flush_segment(self) -> None:
        # Whoosh's, with the per-document reader's lengths read once per field.
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        lengths = _Lengths(pdr) if pdr is not None else None
        if isinstance(self.pool, _Postings) and _BlockWriter.fits(self.codec, self.fieldwriter):
            self.pool.write(self.fieldwriter, self.schema, lengths)
        else:
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr is not None:
            pdr.close()


def _plans(schema: Any) -> dict[str, tuple[bool, bool]]:
    """``{field name: (words, folded)}`` of the fields :func:`twin_positions` can index:
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


_RUN_RECORDS = 5_000  # terms per marshal record in a sorted run


class _Postings:
    """The postings of one segment, by field and term, in the order documents arrive.

    Whoosh's ``PostingPool`` keeps one tuple per posting and sorts them all; documents are
    added in number order, so here each term keeps one flat list ``[docnum, weight, vbytes,
    ...]`` (a positions posting's weight as its int frequency) and only the terms are sorted,
    when the segment is written. (Flat lists of numbers and bytes also keep the garbage
    collector's work per term, not per posting.) Past ``limitmb`` of estimated memory, the
    postings so far go to a run on disk, sorted by term; writing merges the runs and what is
    in memory term by term.
    """

    def __init__(self, tempstore: Any, limitmb: float = 128, pause: Callable[[], object] | None = None):
        self._tempstore = tempstore
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        # Field -> term -> flat postings; terms as str from add_positions, bytes from add.
        self._terms: dict[str, dict[Any, list[Any]]] = {}
        self._runs: list[str] = []
        self.fieldnames: set[str] = set()  # PostingPool's attribute
        self._pause = pause

    def _field(self, fieldname: str) -> dict[Any, list[Any]]:
        terms = self._terms.get(fieldname)
        if terms is None:
            terms = self._terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        return terms

    def add_positions(
        self,
        fieldname: str,
        docnum: int,
        positions: Mapping[str, list[int]],
        encoded: dict[int, tuple[list[int], bytes]],
    ) -> int:
        """Add one document's postings for a ``Positions`` field; return the field's length.

        ``encoded`` holds the values of the document's position lists already encoded, by
        ``id``: an exact field and its folded twin share most of their lists.
        """
        terms = self._field(fieldname)
        one = _ONE_POSITION
        size = 32 * len(positions)  # three list slots a posting
        for text, poses in positions.items():
            freq = len(poses)  # the weight, as a small int until the block is written
            if freq == 1:
                vbytes = one.get(poses[0]) or _encode(poses)
            else:
                known = encoded.get(id(poses))
                if known is None:
                    vbytes = _encode(poses)
                    encoded[id(poses)] = (poses, vbytes)  # holds the list: its id stays unique
                    size += len(vbytes) + 33
                else:
                    vbytes = known[1]
            postings = terms.get(text)
            if postings is None:
                terms[text] = [docnum, freq, vbytes]
                size += 200 + 2 * len(text)  # a new term: key, dict entry, list
            else:
                postings += (docnum, freq, vbytes)
        self._size += size
        if self._size > self._limit:
            self.save()
        return sum(map(len, positions.values()))

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Add one posting ``(fieldname, tbytes, docnum, weight, vbytes)`` (PostingPool's API)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        terms = self._field(fieldname)
        postings = terms.get(tbytes)
        if postings is None:
            terms[tbytes] = [docnum, weight, vbytes]
            self._size += 200 + len(tbytes)
        else:
            postings += (docnum, weight, vbytes)
        self._size += 80 + len(vbytes or b"")
        if self._size > self._limit:
            self.save()

    def save(self) -> None:
        """Write the postings in memory to a new sorted run on disk."""
        if not self._terms:
            return
        name = f"{random_name()}.run"
        with self._tempstore.create_file(name).raw_file() as f:
            records = self._memory_records()
            while True:
                chunk = list(itertools.islice(records, _RUN_RECORDS))
                if not chunk:
                    break
                marshal.dump(chunk, f)
        self._runs.append(name)
        self._terms, self._size = {}, 0

    def _memory_records(self) -> Iterator[tuple[str, bytes, list[Any]]]:
        """``(fieldname, tbytes, flat postings)`` of the postings in memory, in order."""
        for fieldname in sorted(self._terms):
            terms = self._terms[fieldname]
            # UTF-8 keeps the order of code points: sorted str keys are sorted bytes keys.
            texts = sorted(key for key in terms if isinstance(key, str))
            records = ((fieldname, text.encode("utf-8"), terms[text]) for text in texts)
            if len(texts) == len(terms):
                yield from records
                continue
            other = ((fieldname, key, terms[key]) for key in sorted(k for k in terms if isinstance(k, bytes)))
            yield from heapq.merge(records, other, key=_record_key)

    def _run_records(self, name: str) -> Iterator[tuple[str, bytes, list[Any]]]:
        with self._tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    break
                yield from chunk
        self._tempstore.delete_file(name)
        self._runs.remove(name)

    def terms(self) -> Iterator[tuple[str, bytes, list[Any]]]:
        """``(fieldname, tbytes, flat postings)`` of every term in order, in document order,
        the runs on disk merged with memory."""
        sources = [self._run_records(name) for name in list(self._runs)]
        sources.append(self._memory_records())
        records = heapq.merge(*sources, key=_record_key) if len(sources) > 1 else sources[0]
        for (fieldname, tbytes), group in itertools.groupby(records, key=_record_key):
            # One list holds its postings in document order (documents and merged segments
            # are added in number order); a term in several lists needs a look.
            postings = next(group)[2]
            merged = False
            # The rest of the group next() began (B031 sees a second use); runs are older than
            # memory: their documents come first.
            for _, _, more in group:  # noqa: B031
                postings = postings + more
                merged = True
            if merged:
                docnums = postings[0::3]
                if any(b <= a for a, b in zip(docnums, docnums[1:])):
                    # A field added both ways (from text and from a merged segment): interleaved.
                    triples = sorted(zip(docnums, postings[1::3], postings[2::3]), key=_first)
                    postings = [x for triple in triples for x in triple]
            yield fieldname, tbytes, postings

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        """All postings as Whoosh's sorted ``(fieldname, tbytes, docnum, weight, vbytes)``."""
        for fieldname, tbytes, postings in self.terms():
            for docnum, weight, vbytes in zip(postings[0::3], postings[1::3], postings[2::3]):
                yield fieldname, tbytes, docnum, float(weight), vbytes

    def write(self, fieldwriter: Any, schema: Any, lengths: Any) -> None:
        """Write every term's posting list with ``fieldwriter`` (Whoosh's ``W3FieldWriter``)."""
        blocks = _BlockWriter(fieldwriter)
        pause = self._pause
        written = 0
        for fieldname, terms in itertools.groupby(self.terms(), key=_first):
            field = schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            field_lengths = lengths.field_lengths(fieldname) if lengths is not None else None
            blocks.start_field(field.format)
            for _, tbytes, postings in terms:
                blocks.write_term(tbytes, postings, field_lengths)
                written += 1
                if pause is not None and written % PAUSE_EVERY == 0:
                    pause()
            fieldwriter.finish_field()

    def cleanup(self) -> None:
        for name in self._runs:
            try:
                self._tempstore.delete_file(name)
            except OSError:
                pass
        self._runs = []


def _record_key(record: tuple) -> tuple[str, bytes]:
    return record[0], record[1]


def _first(item: tuple) -> Any:
    return item[0]


_ONE_POSITION: dict[int, bytes] = {}  # Positions.encode([p]) by p: most postings have one
_ONE_POSITION_LIMIT = 1 << 16  # positions cached: the first 65,536 of a text, not a huge one's


def _encode(poses: list[int]) -> bytes:
    """Whoosh's ``Positions.encode(poses)``."""
    if len(poses) == 1:
        vbytes = _ONE_POSITION.get(poses[0])
        if vbytes is None:
            vbytes = pack_uint(1) + dumps(poses, 2)
            if poses[0] < _ONE_POSITION_LIMIT:
                _ONE_POSITION[poses[0]] = vbytes
        return vbytes
    return pack_uint(len(poses)) + dumps([poses[0], *map(operator.sub, poses[1:], poses)], 2)


# Smaller blocks are written uncompressed, which each block's summary says (Whoosh meant to
# skip pickles under 20 bytes; a slip in its writer compresses all). Measured on news-vi:
# blocks under 128 bytes are 60% of all and shrink 2% compressed, for a zlib call each.
_COMPRESS_MIN_BYTES = 128
# Whoosh pickles blocks with protocol 2, which writes bytes as latin-1 strings rebuilt by a
# call; its readers load any protocol. Protocol 4 writes them as bytes: pickles 45% smaller,
# 6 times faster to write and 5 times faster to read (measured on position values).
_BLOCK_PROTOCOL = 4


class _BlockWriter:
    """Writes whole posting lists in Whoosh 3's block format, as ``W3PostingsWriter`` does
    posting by posting: blocks of ``blocklimit`` postings, each a pickled tuple of delta-coded
    document numbers, weights and values (compressed unless small), after a pickled summary."""

    def __init__(self, fieldwriter: Any):
        codec = fieldwriter._codec
        self._postfile = fieldwriter._postfile
        self._offset = self._postfile.tell()
        self._terms = _TermIndex(fieldwriter._tindex)
        self._fieldwriter = fieldwriter
        self._blocklimit = codec._blocklimit
        self._compression = codec._compression
        self._fixedsize: int | None = None
        self._fieldid = b""

    @staticmethod
    def fits(codec: Any, fieldwriter: Any) -> bool:
        """Whether the codec is the one this writer knows (Whoosh 3, no inlined postings)."""
        return (
            type(codec) is whoosh3.W3Codec
            and type(fieldwriter) is whoosh3.W3FieldWriter
            and codec._inlinelimit <= 1
            and _TermIndex.fits(fieldwriter._tindex)
        )

    def start_field(self, fmt: Any) -> None:
        """Start the field the field writer has just started."""
        self._fixedsize = fmt.fixed_value_size()
        self._fieldid = pack_ushort(self._fieldwriter._fieldid)
        self._terms.sync()

    def write_term(self, tbytes: bytes, postings: list[Any], field_lengths: list[int] | None) -> None:
        """Write one term's flat postings ``[docnum, weight, vbytes, ...]`` and its term info."""
        if len(postings) == 3:
            return self._write_one(tbytes, postings, field_lengths)
        docnums = postings[0::3]
        weights = postings[1::3]
        values = postings[2::3]
        out = [WHOOSH3_HEADER_MAGIC]
        limit = self._blocklimit
        total_weight: float = 0
        minlength: int | None = None
        maxlength = 0
        maxweight: float = 0
        count = len(docnums)
        for start in range(0, count, limit):
            ids = docnums[start : start + limit]
            n = len(ids)
            raw_weights = weights[start : start + limit]
            block_weights = array("f", raw_weights).tolist()  # W3PostingsWriter's C floats
            if field_lengths is None:
                block_min, block_max = None, 0
            else:
                block_lengths = list(map(field_lengths.__getitem__, ids))
                block_max = max(block_lengths)
                block_min = min(block_lengths) if block_max else None
                if block_min == 0:  # W3PostingsWriter leaves zero lengths out of the minimum
                    block_min = min(length for length in block_lengths if length)
            block_maxweight = max(0, float(max(raw_weights)))  # Whoosh's weights are floats
            total_weight += sum(block_weights)
            if block_min is not None:
                minlength = block_min if minlength is None else min(minlength, block_min)
            if block_max > maxlength:
                maxlength = block_max
            if block_maxweight > maxweight:
                maxweight = block_maxweight

            # W3PostingsWriter's _mini_weights
            if block_weights.count(1.0) == n:
                mini_weights: Any = None
            elif block_weights.count(block_weights[0]) == n:
                mini_weights = block_weights[0]
            else:
                mini_weights = tuple(block_weights)
            block_values = values[start : start + limit]
            if not all(block_values):
                block_values = [v for v in block_values if v]
            deltas = (ids[0], *map(operator.sub, ids[1:], ids))
            out.append(
                self._block(
                    (deltas, mini_weights, self._mini_values(block_values)),
                    (n, ids[-1], block_maxweight),
                    _length_byte(block_min),
                    _length_byte(block_max),
                    last=start + limit >= count,
                )
            )
        terminfo = (total_weight, count, _length_byte(minlength), _length_byte(maxlength), maxweight)
        self._add_term(tbytes, b"".join(out), terminfo, docnums[0], docnums[-1])

    def _write_one(self, tbytes: bytes, postings: list[Any], field_lengths: list[int] | None) -> None:
        """:meth:`write_term` for a term in one document, as most are: the same bytes."""
        docnum, weight, vbytes = postings
        weight32 = array("f", (weight,))[0]
        length_byte = _length_byte(field_lengths[docnum] if field_lengths is not None else 0)
        maxweight = max(0, float(weight))
        data = ((docnum,), None if weight32 == 1.0 else weight32, self._mini_values([vbytes] if vbytes else []))
        block = self._block(data, (1, docnum, maxweight), length_byte, length_byte, last=True)
        terminfo = (weight32, 1, length_byte, length_byte, maxweight)
        self._add_term(tbytes, WHOOSH3_HEADER_MAGIC + block, terminfo, docnum, docnum)

    def _mini_values(self, values: list[bytes]) -> Any:
        # W3PostingsWriter._mini_values, of the values that are not empty
        fixedsize = self._fixedsize
        if fixedsize is None or fixedsize < 0:
            return tuple(values)
        return b"".join(values) if fixedsize else None

    def _block(self, data: tuple, head: tuple, min_byte: int, max_byte: int, *, last: bool) -> bytes:
        """One block: its length (negative for the last), its summary, its data.

        ``head`` is the summary's (postings, last document, highest weight); the data is
        compressed from _COMPRESS_MIN_BYTES on, which the summary records.
        """
        databytes = dumps(data, _BLOCK_PROTOCOL)
        comp = self._compression if len(databytes) >= _COMPRESS_MIN_BYTES else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        infobytes = dumps((*head, comp, min_byte, max_byte), 2)
        length = len(infobytes) + len(databytes)
        return pack_int(-length if last else length) + infobytes + databytes

    def _add_term(self, tbytes: bytes, chunk: bytes, terminfo: tuple, first: int, last: int) -> None:
        """Write a term's blocks and add its term info: ``terminfo`` is its (total weight,
        document frequency, shortest and longest length bytes, highest weight)."""
        startoffset = self._offset
        self._postfile.write(chunk)
        self._offset += len(chunk)
        info = _TERMINFO.pack(0, *terminfo, first, last) + pack_long(startoffset) + pack_int(len(chunk))
        self._terms.add(self._fieldid + tbytes, info)


class _TermIndex:
    """Adds keys to Whoosh's term index (``OrderedHashWriter``, MD5 hashes) as its ``add``
    does, with fewer calls: one write a term, the hash from the digest's bytes."""

    def __init__(self, tindex: Any):
        self._tindex = tindex
        self._file = tindex.dbfile
        self._index = tindex.index
        self._buckets = tindex.buckets
        self.sync()

    def sync(self) -> None:
        """Read the file's position (once a field): ``tell`` on a buffered file is a system
        call, which per term was about a quarter of writing a one-document segment."""
        self._position = self._file.tell()

    @staticmethod
    def fits(tindex: Any) -> bool:
        return type(tindex) is filetables.OrderedHashWriter and tindex.hashfn is filetables.md5_hash

    def add(self, key: bytes, value: bytes) -> None:
        tindex = self._tindex
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        position = self._position
        self._index.append(position)
        entry = _KEY_VALUE_LENGTHS.pack(len(key), len(value)) + key + value
        self._file.write(entry)
        self._position += len(entry)
        h = int.from_bytes(hashlib.md5(key, usedforsecurity=False).digest()[-4:], "big")  # md5_hash
        self._buckets[h & 255].append((h, position))
        tindex.lastkey = key


_KEY_VALUE_LENGTHS = filetables._lengths
# length_to_byte for the lengths of most documents, from a list; None stands for none (0).
_LENGTH_BYTES = [length_to_byte(n) for n in range(4096)]


def _length_byte(length: int | None) -> int:
    if length is None:
        return 0
    return _LENGTH_BYTES[length] if length < 4096 else length_to_byte(length)


_TERMINFO = whoosh3.W3TermInfo._struct


class _Lengths:
    """A per-document reader whose field lengths come from lists read once per field."""

    def __init__(self, pdr: Any):
        self._pdr = pdr
        self._lengths: dict[str, list[int]] = {}

    def field_lengths(self, fieldname: str) -> list[int]:
        """The length of ``fieldname`` in each document of the segment, by number."""
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            read = self._pdr.doc_field_length
            lengths = [read(d, fieldname, 0) for d in range(self._pdr.doc_count_all())]
            self._lengths[fieldname] = lengths
        return lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        return self.field_lengths(fieldname)[docnum]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pdr, name)


def build_segment(folder: str, batch: Sequence[Mapping[str, Any]], limitmb: int) -> Any:
    """In a worker: write ``batch`` as one new segment of the index in ``folder``; return it.

    The segment's files are in the folder, but only a commit by the writer holding the lock
    makes the segment part of the index.
    """
    # Indexing leaves no garbage cycles (13 objects for 2,500 articles), but the collector's
    # passes over the growing postings cost 15% of the time: off while this worker builds.
    collecting = gc.isenabled()
    gc.disable()
    try:
        ix = DurableStorage(folder).open_index()
        writer = Writer(ix, _lk=False, limitmb=limitmb)
        try:
            for values in batch:
                writer.add_document(**values)
            # Leaves the shared temporary folder alone: the parent's commit removes it.
            return writer._finalize_segment()
        except BaseException:
            writer._close_segment()
            raise
    finally:
        if collecting:
            gc.enable()


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
