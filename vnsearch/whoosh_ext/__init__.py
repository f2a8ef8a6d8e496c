"""The Whoosh boundary: the only code that relies on Whoosh's private internals.

vnsearch pins Whoosh-Reloaded exactly, because the modules here read and write Whoosh's
segments below its documented API: :mod:`~vnsearch.whoosh_ext.segment_writer` writes posting
lists in Whoosh 3's block format, :mod:`~vnsearch.whoosh_ext.postings` reads them a block at a
time, :mod:`~vnsearch.whoosh_ext.positions` decodes their positions without unpickling, :mod:`~vnsearch.whoosh_ext.scoring` extends Whoosh's BM25F scorer,
:mod:`~vnsearch.whoosh_ext.storage` knows Whoosh's file names and commits in a crash-safe
order with checksums, :mod:`~vnsearch.whoosh_ext.pickles` restricts what index pickles may
name, :mod:`~vnsearch.whoosh_ext.readers` opens segments once per process over memory-mapped
files, and
:mod:`~vnsearch.whoosh_ext.terms` expands fuzzy terms. The rest of vnsearch uses Whoosh's
documented API only (``whoosh.query``, ``whoosh.fields``, ``whoosh.analysis``, ``whoosh.sorting``,
indexes, readers and searchers); a test keeps it so.

Every private name relied on is in :data:`PRIVATE_NAMES`, listed below (qualified name, what
for, the module using it); :data:`INTERNAL_MODULES` are the Whoosh modules, outside its
documented API, that only this package imports. ``tests/whoosh_ext/test_contract.py`` checks each against the
installed Whoosh, with its parameters or struct format where given, so an upgrade fails there
first.

"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Private", "PRIVATE_NAMES", "INTERNAL_MODULES"]


class Private(NamedTuple):
    """One private Whoosh name vnsearch relies on."""

    name: str  # qualified: the module, then attributes
    use: str  # what vnsearch uses it for
    module: str  # the vnsearch.whoosh_ext modules that use it, ", "-joined
    instance: bool = False  # set on instances (in __init__ or later), not on the class
    # The parameters after self (", "-joined), a struct's format, or a constant's repr.
    shape: str | None = None


_W3 = "whoosh.codec.whoosh3"
_LEAF = f"{_W3}.W3LeafMatcher"
_WRITER = "whoosh.writing.SegmentWriter"

PRIVATE_NAMES: tuple[Private, ...] = (
    # -- reading posting lists and field lengths a block at a time ---------------------------
    Private(f"{_W3}.LENGTHS_COLUMN", "the column type of a segment's field lengths", "postings"),
    Private(f"{_W3}._lenfield", "the name of a field's length column", "postings", shape="fieldname"),
    Private("whoosh.reading.SegmentReader._perdoc", "a segment's per-document reader", "postings", True),
    Private("whoosh.reading.SegmentReader.deleted_docs_set", "a segment's deleted documents, at once",
            "postings"),
    Private("whoosh.matching.FilterMatcher.child", "the posting list under the deleted documents' filter",
            "postings", True),
    Private(f"{_W3}.W3PerDocReader._cached_reader", "the reader of a field's length column", "postings",
            shape="fieldname, column"),
    Private("whoosh.columns.FixedBytesColumn.Reader._dbfile", "the lengths' file, read at once", "postings", True),
    Private("whoosh.columns.FixedBytesColumn.Reader._basepos", "where the lengths start", "postings", True),
    Private("whoosh.columns.FixedBytesColumn.Reader._count", "how many lengths there are", "postings", True),
    Private("whoosh.matching.ListMatcher._ids", "an inlined posting list's documents", "postings", True),
    Private("whoosh.matching.ListMatcher._weights", "an inlined posting list's weights", "postings", True),
    Private("whoosh.matching.ListMatcher._values", "an inlined posting list's values", "postings", True),
    Private(f"{_LEAF}._read_data", "reads the current block's (ids, weights, values) pickle", "postings",
            shape=""),
    Private(f"{_LEAF}._data", "the current block's data, ids as deltas", "postings", True),
    Private(f"{_LEAF}._blocklength", "the current block's posting count", "postings", True),
    Private(f"{_LEAF}._maxid", "the current block's last document", "postings", True),
    Private(f"{_LEAF}._postfile", "the postings file, to read a block's values later", "postings", True),
    Private(f"{_LEAF}._dataoffset", "where the current block's data starts", "postings", True),
    Private(f"{_LEAF}._nextoffset", "where the current block's data ends", "postings", True),
    Private(f"{_LEAF}._compression", "whether the current block is compressed", "postings", True),
    Private(f"{_LEAF}._next_block", "moves to the next block", "postings", shape=""),
    Private("whoosh.scoring.bm25", "BM25 of arrays of frequencies and lengths (numpy)", "postings",
            shape="idf, tf, fl, avgfl, B, K1"),
    Private("whoosh.util.numeric.byte_to_length", "decodes a stored length byte", "postings"),
    Private("whoosh.formats.Positions.encode", "the bytes of positions, decoded without unpickling",
            "positions", shape="poslist"),
    # -- scoring --------------------------------------------------------------------------------
    Private("whoosh.scoring.BM25F._field_B", "per-field B values", "scoring", True),
    Private("whoosh.scoring.BM25FScorer.__init__", "the scorer vnsearch's idf replaces", "scoring",
            shape="searcher, fieldname, text, B, K1, qf"),
    Private("whoosh.scoring.BM25FScorer.idf", "the idf a scorer uses, replaced", "scoring", True),
    # -- writing segments --------------------------------------------------------------------------
    Private(f"{_WRITER}.__init__", "_lk=False: a worker writes a segment without the lock", "segment_writer",
            shape="ix, poolclass, timeout, delay, _lk, limitmb, docbase, codec, compound, kwargs"),
    Private(f"{_WRITER}._check_state", "refuses a closed writer", "segment_writer", shape=""),
    Private(f"{_WRITER}._check_fields", "refuses unknown field names", "segment_writer",
            shape="schema, fieldnames"),
    Private(f"{_WRITER}._added", "whether the writer's own segment holds documents", "segment_writer", True),
    Private(f"{_WRITER}._tempstorage", "where the postings pool's runs go", "segment_writer", True),
    Private(f"{_WRITER}._flush_segment", "overridden: writes the segment's postings", "segment_writer",
            shape=""),
    Private(f"{_WRITER}._finalize_segment", "finishes a segment without committing it",
            "segment_writer, merging", shape=""),
    Private(f"{_WRITER}._close_segment", "drops a segment's files", "segment_writer, merging", shape=""),
    Private(f"{_WRITER}._merge_segments", "merges small segments before a commit", "segment_writer",
            shape="mergetype, optimize, merge"),
    Private(f"{_WRITER}._commit_toc", "commits a list of segments", "segment_writer", shape="segments"),
    Private(f"{_WRITER}._finish", "closes the writer after a commit", "segment_writer", shape=""),
    Private("whoosh.writing.PostingPool.add", "the pool interface _Postings replaces", "segment_writer",
            shape="item"),
    Private("whoosh.writing.PostingPool.iter_postings", "the pool interface _Postings replaces",
            "segment_writer", shape=""),
    Private("whoosh.writing.PostingPool.cleanup", "the pool interface _Postings replaces", "segment_writer",
            shape=""),
    Private(f"{_W3}.W3Codec", "the codec whose block format is written", "segment_writer"),
    Private(f"{_W3}.W3Codec._blocklimit", "postings per block", "segment_writer", True),
    Private(f"{_W3}.W3Codec._compression", "the zlib level of blocks", "segment_writer", True),
    Private(f"{_W3}.W3Codec._inlinelimit", "inlined posting lists (must be off)", "segment_writer", True),
    Private(f"{_W3}.W3FieldWriter", "the field writer whose files are written", "segment_writer"),
    Private(f"{_W3}.W3FieldWriter._codec", "the field writer's codec", "segment_writer", True),
    Private(f"{_W3}.W3FieldWriter._postfile", "the postings file written to", "segment_writer", True),
    Private(f"{_W3}.W3FieldWriter._tindex", "the term index added to", "segment_writer", True),
    Private(f"{_W3}.W3FieldWriter._fieldid", "the current field's number in term keys", "segment_writer", True),
    Private(f"{_W3}.W3TermInfo._struct", "packs a term's info", "segment_writer", shape="!BfIBBfII"),
    Private(f"{_W3}.WHOOSH3_HEADER_MAGIC", "starts every posting list", "segment_writer", shape="b'W3Bl'"),
    Private("whoosh.filedb.filetables.OrderedHashWriter", "the term index's type", "segment_writer"),
    Private("whoosh.filedb.filetables.OrderedHashWriter.dbfile", "the term index's file", "segment_writer", True),
    Private("whoosh.filedb.filetables.OrderedHashWriter.index", "the term index's key positions",
            "segment_writer", True),
    Private("whoosh.filedb.filetables.OrderedHashWriter.buckets", "the term index's hash buckets",
            "segment_writer", True),
    Private("whoosh.filedb.filetables.OrderedHashWriter.lastkey", "the term index's last key",
            "segment_writer", True),
    Private("whoosh.filedb.filetables.OrderedHashWriter.hashfn", "the term index's hash (md5_hash)",
            "segment_writer", True),
    Private("whoosh.filedb.filetables.md5_hash", "the term index's hash, computed inline", "segment_writer",
            shape="key"),
    Private("whoosh.filedb.filetables._lengths", "packs a term index entry's lengths", "segment_writer",
            shape="!ii"),
    Private("whoosh.system.pack_int", "packs block lengths and term info", "segment_writer", shape="!i"),
    Private("whoosh.system.pack_long", "packs a posting list's offset", "segment_writer", shape="!q"),
    Private("whoosh.system.pack_uint", "packs a position list's length", "segment_writer", shape="!I"),
    Private("whoosh.system.pack_ushort", "packs a field number in term keys", "segment_writer", shape="!H"),
    Private("whoosh.util.random_name", "names the postings' sorted runs", "segment_writer"),
    Private("whoosh.util.numeric.length_to_byte", "encodes a length as a byte", "segment_writer",
            shape="length"),
    # -- segment readers shared by threads, over mapped files ------------------------------------
    Private("whoosh.reading.SegmentReader.__init__", "what SharedSegmentReader's own __init__ sets up",
            "readers", shape="storage, schema, segment, generation, codec"),
    Private("whoosh.reading.SegmentReader._segment", "the reader's segment", "readers", True),
    Private("whoosh.reading.SegmentReader._segid", "the reader's segment id", "readers", True),
    Private("whoosh.reading.SegmentReader._gen", "the reader's commit", "readers", True),
    Private("whoosh.reading.SegmentReader._storage", "the segment's files", "readers", True),
    Private("whoosh.reading.SegmentReader._codec", "the segment's codec", "readers", True),
    Private("whoosh.reading.SegmentReader._terms", "the segment's terms reader", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage._dir", "a compound file's directory of files", "readers",
            True),
    Private("whoosh.filedb.compound.CompoundStorage._options", "a compound file's options", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage._locks", "a compound file's locks", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage._source", "the mapped compound file", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage._file", "the compound file", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage._diroffset", "where the directory starts", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage._dirlength", "the directory's length", "readers", True),
    Private("whoosh.filedb.compound.CompoundStorage.range", "a file's place in the compound file", "readers",
            shape="name"),
    Private("whoosh.filedb.structfile.BufferFile._buf", "the buffer a BufferFile reads", "readers", True),
    Private("whoosh.filedb.structfile.BufferFile._name", "a BufferFile's name", "readers", True),
    Private("whoosh.index.TOC._latest_generation", "the latest commit's number, from the file names",
            "readers", shape="storage, indexname"),
    Private("whoosh.index.FileIndex._schema", "the schema an index was opened with", "readers", True),
    Private(f"{_WRITER}._segment_and_docnum", "a document's segment, to skip deleted ones", "readers",
            shape="docnum"),
    # -- storage and terms ------------------------------------------------------------------------
    Private("whoosh.index._DEF_INDEX_NAME", "the prefix of every index file", "storage", shape="'MAIN'"),
    Private("whoosh.index.TOC._filename", "the name of a commit's table of contents", "storage",
            shape="indexname, gen"),
    Private("whoosh.index.TOC._pattern", "recognises a table of contents' name", "storage",
            shape="indexname"),
    Private("whoosh.index._CURRENT_TOC_VERSION", "the only TOC format read (older ones unpickle freely)",
            "storage", shape="-111"),
    Private("whoosh.filedb.filestore.FileStorage._fpath", "a file's path in the index folder", "storage",
            shape="fname"),
    Private("whoosh.codec.whoosh3.loads", "unpickles blocks and inlined terms: restricted", "pickles"),
    Private("whoosh.formats.loads", "unpickles positions: restricted", "pickles"),
    Private("whoosh.columns.loads", "unpickles stored fields: restricted", "pickles"),
    Private("whoosh.filedb.structfile.load_pickle", "unpickles block summaries, compound directories, "
            "segment lists: restricted", "pickles"),
    Private("whoosh.index.pickle", "unpickles the schema: restricted", "pickles"),
    Private("whoosh.index.toc_loaders", "old TOC formats' unrestricted loaders: emptied", "pickles"),
    Private("whoosh.query.FuzzyTerm._btexts", "the index's terms near a word", "terms", shape="ixreader"),
)


# Whoosh's modules outside its documented API (and their submodules): the Whoosh 3 codec,
# the struct packers, the number codes, the term index's file format, Python 2 shims.
INTERNAL_MODULES: tuple[str, ...] = (
    "whoosh.codec.whoosh3",
    "whoosh.compat",
    "whoosh.filedb.compound",
    "whoosh.filedb.structfile",
    "whoosh.filedb.filetables",
    "whoosh.system",
    "whoosh.util.numeric",
)


def _listing(names: tuple[Private, ...]) -> str:
    return "".join(f"* ``{p.name}`` — {p.use} ({p.module})\n" for p in names)


__doc__ = (__doc__ or "") + _listing(PRIVATE_NAMES) + "\nInternal modules: " + ", ".join(
    f"``{m}``" for m in INTERNAL_MODULES
) + ".\n"
