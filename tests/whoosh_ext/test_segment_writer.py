"""vnsearch.whoosh_ext.segment_writer.Writer writes the index Whoosh's own SegmentWriter writes."""

from __future__ import annotations

import datetime as dt
import pickle
import struct
import unicodedata
import zlib

import pytest
from whoosh.writing import SegmentWriter

from vnsearch.analysis import exact_analyzer, folded_analyzer, term_positions
from vnsearch.documents import Document
from vnsearch.index import _whoosh_values
from vnsearch.schema import IndexSchema
from vnsearch.whoosh_ext import segment_writer as writing
from vnsearch.whoosh_ext.segment_writer import Writer, _plans
from vnsearch.whoosh_ext.storage import MemoryStorage

TEXTS = [
    "Đảng ủy Khối các cơ quan thành phố Hải Phòng tổ chức hội nghị lần thứ 20.",
    "Chiều 10/7/2019, TP.HCM: giá 2.000đ/kg, động cơ 6.0L; xem https://vnexpress.net/a-1.html.",
    "Hòa bình, hoà bình, thủy lợi, KỸ THUẬT, kĩ sư — “Hải Phòng” … hải phòng!\nDòng mới ở đây.",
    unicodedata.normalize("NFD", "Hòa bình ở Hải Phòng, thủy lợi và kỹ thuật."),
    "Liên hệ toa.soan@baochinhphu.vn; Ελληνικά; naïve café; " + "x" * 150,
    "",
]


def documents() -> list[Document]:
    docs = []
    for i, body in enumerate(TEXTS * 3):
        docs.append(
            Document.from_record(
                {
                    "id": f"d{i}",
                    "title": TEXTS[(i + 1) % len(TEXTS)][:60] or "Tiêu đề",
                    "body": body or "trống",
                    "date": dt.datetime(2020, 1, 1 + i),
                    "url": f"https://example.vn/{i}",
                    "tags": ["thời sự", "hải phòng"],
                    "author": "Nguyễn Văn A",
                    "section": "Xã hội",
                    "views": i * 10,
                    "raw": {"i": i},
                }
            )
        )
    return docs


FIELDS = {"author": "text", "section": "keyword", "views": "number", "raw": "stored"}


def build(writer_class, limitmb=128, docs=None, commits=1):
    """An index of ``docs`` written by ``writer_class``, committed in ``commits`` parts; the
    last commit merges the segments before it into the new one (through the writer's pool)."""
    schema = IndexSchema.build(FIELDS)
    # Whoosh's RamStorage keeps temporary files in /tmp/MAIN.tmp, shared by concurrent runs.
    ix = MemoryStorage().create_index(schema.whoosh_schema())
    docs = documents() if docs is None else docs
    step = -(-len(docs) // commits)
    for start in range(0, len(docs), step):
        writer = writer_class(ix, limitmb=limitmb)
        for doc in docs[start : start + step]:
            writer.add_document(**_whoosh_values(doc, schema.extra_fields))
        if start:
            writer.delete_by_term("id", docs[start - 1].id)  # the merge leaves it out
        writer.commit(optimize=start + step >= len(docs) and commits > 1)
    return ix


def many_documents(count=300):
    """Documents whose common terms have posting lists of several blocks (128 postings)."""
    base = documents()
    return [
        Document.from_record(
            {
                "id": f"m{i}",
                "title": base[i % len(base)].title,
                "body": " ".join(TEXTS[j % len(TEXTS)] for j in range(i % 4 + 1)) + f" số {i}",
                "date": dt.datetime(2021, 1 + i % 12, 1 + i % 28),
                "tags": [f"t{i % 7}", "chung"],
                "author": f"Tác giả {i % 9}",
                "section": f"mục {i % 3}",
                "views": i,
            }
        )
        for i in range(count)
    ]


def raw_postings(ix):
    """Every term's term info and posting blocks, decoded from the files: (summary, data)."""
    (segment,) = ix._segments()
    reader = ix.reader()
    terms = reader._terms
    raw = {}
    for fieldname, text in reader.all_terms():
        tbytes = ix.schema[fieldname].to_bytes(text)
        info = terms.term_info(fieldname, tbytes)
        offset, length = info.extent()
        if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves it as struct's 1-tuple
            (length,) = length
        f = terms._postfile
        f.seek(offset)
        assert f.read(4) == b"W3Bl"
        blocks = []
        while True:
            size = struct.unpack("!i", f.read(4))[0]
            start = f.tell()
            summary = f.read_pickle()
            data = f.read(abs(size) - (f.tell() - start))
            # Whoosh compresses every block; vnsearch only those of 128 bytes and more.
            assert summary[3] == 3 or len(data) < 128
            decoded = pickle.loads(zlib.decompress(data) if summary[3] else data)
            blocks.append((summary[:3] + summary[4:], decoded))
            if size < 0:
                break
        assert f.tell() - offset == length
        stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length())
        raw[fieldname, text] = (stats, info.max_weight(), info.min_id(), info.max_id(), blocks)
    reader.close()
    return segment.doc_count_all(), raw


def contents(ix):
    with ix.reader() as reader:
        postings = {}
        for fieldname, text in reader.all_terms():
            postings[fieldname, text] = list(_postings(reader, fieldname, text))
        lengths = {
            (name, n): reader.doc_field_length(n, name) for n in range(reader.doc_count_all()) for name in ix.schema.names()
        }
        stored = list(reader.all_stored_fields())
        columns = {
            name: list(reader.column_reader(name)) for name in ix.schema.names() if reader.has_column(name)
        }
    return postings, lengths, stored, columns


def _postings(reader, fieldname, text):
    m = reader.postings(fieldname, text)
    while m.is_active():
        yield m.id(), m.weight(), m.value()
        m.next()


@pytest.mark.parametrize("limitmb", [128, 0.002])  # 0.002 MB: sorted runs on disk
def test_same_index_as_whoosh(limitmb):
    assert contents(build(Writer, limitmb)) == contents(build(SegmentWriter))


@pytest.mark.parametrize("limitmb", [128, 0.05])
@pytest.mark.parametrize("commits", [1, 3])  # 3: merges read earlier segments into the pool
def test_same_posting_blocks_as_whoosh(limitmb, commits):
    docs = many_documents()
    ours = build(Writer, limitmb, docs, commits)
    theirs = build(SegmentWriter, 128, docs, commits)
    count, raw = raw_postings(ours)
    assert (count, raw) == raw_postings(theirs)
    assert max(len(blocks) for *_, blocks in raw.values()) >= 2
    assert contents(ours) == contents(theirs)


def test_text_fields_take_the_short_path():
    schema = IndexSchema.build(FIELDS).whoosh_schema()
    assert _plans(schema) == {
        "title": (True, False),
        "title_f": (True, True),
        "body": (True, False),
        "body_f": (True, True),
        "author": (True, False),
        "author_f": (True, True),
    }


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("words", [True, False])
def test_term_positions_are_the_analyzers(text, words):
    for folded, analyzer in ((False, exact_analyzer(words)), (True, folded_analyzer(words))):
        expected: dict[str, list[int]] = {}
        for t in analyzer(text, positions=True, mode="index"):
            expected.setdefault(t.text, []).append(t.pos)
        got = term_positions(text, words, folded)
        assert got == expected and list(got) == list(expected)


def test_other_codecs_get_the_postings_through_whoosh(monkeypatch):
    # The block writer knows Whoosh 3's codec only; any other gets Whoosh's add_postings.
    monkeypatch.setattr(writing._BlockWriter, "fits", staticmethod(lambda codec, fieldwriter: False))
    docs = many_documents(150)
    assert contents(build(Writer, 0.05, docs, 2)) == contents(build(SegmentWriter, 128, docs, 2))


@pytest.mark.parametrize("poses", [[0], [7], [70_000], [70_000], [1, 2, 3], [3, 100_000], list(range(0, 900, 7))])
def test_position_values_are_whooshs(poses):
    from whoosh.formats import Positions

    assert writing._encode(poses) == Positions().encode(poses)
