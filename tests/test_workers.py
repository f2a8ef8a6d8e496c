"""Index.add with worker processes (procs > 1): the same index as one process, the same
semantics (batches committed, upsert by id, skip reports, progress, interruptions)."""

from __future__ import annotations

import random
import sys

import pytest

import vnsearch
from vnsearch import index as index_module

SYLLABLES = (
    "hải phòng đảng ủy khối cơ quan thành phố hội nghị người dân chợ phiên sáng sớm "
    "bàn gỗ lim ca khúc nhạc trẻ phòng khám biển kỹ thuật hoà bình thuỷ lợi"
).split()


def record(i: int, version: int = 0) -> dict:
    r = random.Random(i * 7 + version)
    return {
        "id": f"d{i:04d}",
        "title": f"Bản tin số {i} " + " ".join(r.choices(SYLLABLES, k=3)),
        "body": " ".join(r.choices(SYLLABLES, k=30)) + f". Phiên bản {version}.",
    }


def stored(index: vnsearch.Index) -> dict[str, dict]:
    with index.whoosh_index.searcher() as searcher:
        docs = list(searcher.all_stored_fields())
    by_id = {d["id"]: d for d in docs}
    assert len(by_id) == len(docs) == len(index), "an id is stored twice"
    return by_id


def results(index: vnsearch.Index, query: str) -> list[tuple[str, float, tuple]]:
    found = index.search(query, limit=20)
    return [(hit.id, round(hit.score, 6), tuple(s.to_html() for s in hit.snippets)) for hit in found]


QUERIES = ["hải phòng", "hai phong", "kỹ thuật", "thuy loi", "bản tin số 7", '"người dân"', "phien ban 1"]


@pytest.fixture
def records():
    return [record(i) for i in range(120)]


def test_procs_2_gives_the_documents_and_results_of_procs_1(tmp_path, records):
    one = vnsearch.Index.create(tmp_path / "one")
    two = vnsearch.Index.create(tmp_path / "two")
    report_one = one.add(records, procs=1, batch_size=50)
    report_two = two.add(records, procs=2, batch_size=50)
    assert report_two.added == report_one.added == 120
    assert report_two.characters == report_one.characters
    assert stored(two) == stored(one)
    for query in QUERIES:
        assert results(two, query) == results(one, query), query
    reopened = vnsearch.Index.open(tmp_path / "two")
    assert results(reopened, "hải phòng") == results(one, "hải phòng")


def test_upsert_by_id_across_batches_and_within_one(tmp_path, records):
    index = vnsearch.Index.create(tmp_path / "ix")
    index.add(records[:60], procs=2, batch_size=25)
    # 0-9 replaced twice in one batch, 50-59 replaced, 120-129 new
    again = [record(i, 1) for i in range(10)] + [record(i, 2) for i in range(10)]
    again += [record(i, 1) for i in range(50, 60)] + [record(i, 1) for i in range(120, 130)]
    report = index.add(again, procs=2, batch_size=25)
    assert report.added == len(again)
    docs = stored(index)
    assert sorted(docs) == sorted({r["id"] for r in records[:60] + again})
    assert docs["d0003"]["body"].endswith("Phiên bản 2.")
    assert docs["d0055"]["body"].endswith("Phiên bản 1.")
    assert docs["d0030"]["body"].endswith("Phiên bản 0.")
    assert {hit.id for hit in index.search('"phiên bản 2"', limit=50)} == {f"d{i:04d}" for i in range(10)}


def test_skipped_records_are_reported(tmp_path, records):
    bad = [{"id": "x"}, {"id": "y", "title": ""}]
    mixed = records[:30] + bad + records[30:60]
    index = vnsearch.Index.create(tmp_path / "ix")
    report = index.add(mixed, procs=2, batch_size=20, errors="skip")
    serial = vnsearch.Index.create(tmp_path / "serial").add(mixed, procs=1, batch_size=20, errors="skip")
    assert report.added == serial.added == 60
    assert len(report.skipped) == 2
    assert report.skipped == serial.skipped
    assert len(index) == 60


def test_progress_reaches_every_document(tmp_path, records):
    seen = []
    index = vnsearch.Index.create(tmp_path / "ix")
    index.add(records, procs=2, batch_size=40, progress=seen.append)
    assert seen and seen[-1].documents == 120 and seen[-1].characters > 0
    assert [p.documents for p in seen] == sorted(p.documents for p in seen)


def test_failing_record_source_keeps_the_committed_batches(tmp_path, records):
    def source():
        yield from records[:110]
        raise RuntimeError("the scraper broke")

    index = vnsearch.Index.create(tmp_path / "ix")
    with pytest.raises(RuntimeError, match="the scraper broke"):
        index.add(source(), procs=2, batch_size=50)
    # Two batches of 50 were committed, the 10 in flight were not.
    assert sorted(stored(vnsearch.Index.open(tmp_path / "ix"))) == [r["id"] for r in records[:100]]
    index.add(records[100:], procs=2)  # the lock was released
    assert len(vnsearch.Index.open(tmp_path / "ix")) == 120


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the patch reaches workers by fork")
def test_failing_worker_raises_and_keeps_the_last_commit(tmp_path, records, monkeypatch):
    from vnsearch.whoosh_ext.segment_writer import Writer

    original = Writer.add_document

    def add_document(self, **values):
        if values["id"] == "d0075":
            raise ValueError("worker trouble")
        return original(self, **values)

    index = vnsearch.Index.create(tmp_path / "ix")
    index.add(records[:20])
    monkeypatch.setattr(Writer, "add_document", add_document)
    with pytest.raises(ValueError, match="worker trouble"):
        index.add(records[20:], procs=2, batch_size=40)
    monkeypatch.undo()
    assert sorted(stored(vnsearch.Index.open(tmp_path / "ix"))) == [r["id"] for r in records[:60]]
    index.add(records[60:], procs=2)
    assert len(index) == 120
    # The failed run's segment files were removed by the commit that followed.
    reader_files = {name for name in (tmp_path / "ix").iterdir()}
    assert len(reader_files) < 20


def test_with_block_commits_once_at_the_end(tmp_path, records):
    index = vnsearch.Index.create(tmp_path / "ix")
    with index:
        index.add(records[:30], procs=2, batch_size=100)
        assert len(vnsearch.Index.open(tmp_path / "ix")) == 0
        index.add([record(i, 1) for i in range(5)], procs=2, batch_size=100)  # replaces pending ones
    docs = stored(vnsearch.Index.open(tmp_path / "ix"))
    assert len(docs) == 30 and docs["d0002"]["body"].endswith("Phiên bản 1.")

    with pytest.raises(KeyError):
        with index:
            index.add(records[30:60], procs=2)
            raise KeyError("abandon")
    assert len(vnsearch.Index.open(tmp_path / "ix")) == 30


def test_add_path_with_procs(tmp_path, records):
    import json

    corpus = tmp_path / "news.jsonl"
    corpus.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    index = vnsearch.Index.create(tmp_path / "ix")
    assert index.add_path(corpus, procs=2, batch_size=30).added == 120
    one = vnsearch.Index.create(tmp_path / "one")
    one.add_path(corpus, procs=1)
    assert results(index, "hải phòng") == results(one, "hải phòng")


def test_memory_index_ignores_procs(news):
    index = vnsearch.Index.create(None)
    assert index.add(news, procs=2).added == len(news)
    serial = vnsearch.Index.create(None)
    serial.add(news, procs=1)
    assert results(index, "hải phòng") == results(serial, "hải phòng")


def test_automatic_procs(tmp_path, records, monkeypatch):
    index = vnsearch.Index.create(tmp_path / "ix")
    docs = list(vnsearch.Document.from_record(r) for r in records)
    procs, rest = index._procs_for(None, iter(docs))
    assert procs == 1 and list(rest) == docs  # small input: one process
    monkeypatch.setattr(index_module, "_PARALLEL_MIN_CHARS", 1000)
    monkeypatch.setattr("vnsearch.workers.cores", lambda: 2)
    monkeypatch.setattr("vnsearch.workers.can_fork", lambda: True)
    procs, rest = index._procs_for(None, iter(docs))
    assert procs == 2 and list(rest) == docs  # large input: read-ahead documents come first
    monkeypatch.setattr("vnsearch.workers.can_fork", lambda: False)
    assert index._procs_for(None, iter(docs))[0] == 1  # spawned workers are asked for, not chosen
    monkeypatch.setattr("vnsearch.workers.can_fork", lambda: True)
    monkeypatch.setattr("vnsearch.workers.cores", lambda: 1)
    assert index._procs_for(None, iter(docs))[0] == 1


@pytest.mark.parametrize("procs", [0, -1, 1.5, "2"])
def test_bad_procs(tmp_path, procs):
    with pytest.raises(ValueError, match="procs"):
        vnsearch.Index.create(tmp_path / "ix").add([{"id": "1", "body": "x"}], procs=procs)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the patch reaches workers by fork")
def test_dying_worker_raises_instead_of_hanging(tmp_path, records, monkeypatch):
    import os
    from concurrent.futures.process import BrokenProcessPool

    from vnsearch.whoosh_ext.segment_writer import Writer

    original = Writer.add_document

    def add_document(self, **values):
        if values["id"] == "d0075":
            os._exit(3)  # as if killed
        return original(self, **values)

    index = vnsearch.Index.create(tmp_path / "ix")
    monkeypatch.setattr(Writer, "add_document", add_document)
    with pytest.raises(BrokenProcessPool):
        index.add(records, procs=2, batch_size=40)
    monkeypatch.undo()
    assert sorted(stored(vnsearch.Index.open(tmp_path / "ix"))) == [r["id"] for r in records[:40]]


def test_spawned_workers(tmp_path, records, monkeypatch):
    monkeypatch.setattr("vnsearch.workers.can_fork", lambda: False)
    one = vnsearch.Index.create(tmp_path / "one")
    one.add(records, procs=1)
    two = vnsearch.Index.create(tmp_path / "two")
    assert two.add(records, procs=2, batch_size=70).added == 120
    assert stored(two) == stored(one)
    assert results(two, "hải phòng") == results(one, "hải phòng")


def test_optimize_merges_the_workers_segments(tmp_path, records):
    # Compared with a merged index from one process: Whoosh's merge sums field lengths from
    # their one-byte approximations, so scores move a little from those of a fresh segment.
    one = vnsearch.Index.create(tmp_path / "one")
    one.add(records, procs=1, batch_size=40)
    one.optimize()
    two = vnsearch.Index.create(tmp_path / "two")
    two.add(records, procs=2, batch_size=40)
    assert two.stats().segments > 1
    two.optimize()
    assert two.stats().segments == 1
    assert stored(two) == stored(one)
    for query in QUERIES:
        assert results(two, query) == results(one, query), query


def test_progress_moves_while_workers_build_before_the_commit(tmp_path, records, monkeypatch):
    monkeypatch.setattr(index_module, "_PROGRESS_EVERY", 0.0)  # every chance to report, reported
    index = vnsearch.Index.create(tmp_path / "ix")
    seen: list[tuple[int, int, int]] = []  # (read, written into segments, documents committed)
    index.add(records, procs=2, batch_size=1000, progress=lambda p: seen.append((p.documents, p.indexed, len(index))))
    before_commit = [(read, written) for read, written, committed in seen if committed == 0]
    # Reports come while the workers build the one batch, from their counts, before it commits.
    assert any(read == 120 and written > 0 for read, written in before_commit)
    assert [written for _, written, _ in seen] == sorted(written for _, written, _ in seen)
    assert seen[-1] == (120, 120, 120)


def test_progress_of_a_gz_file_is_by_compressed_bytes_up_to_its_size(tmp_path, monkeypatch):
    import gzip
    import json

    monkeypatch.setattr(index_module, "_PROGRESS_EVERY", 0.0)
    r = random.Random(5)
    path = tmp_path / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for i in range(300):  # random hex hardly compresses: the file spans many reads
            out.write(json.dumps({"id": str(i), "title": f"Tin {i}", "body": "Hải Phòng",
                                  "source": "%x" % r.getrandbits(16000)}) + "\n")
    size = path.stat().st_size
    seen = []
    index = vnsearch.Index.create(tmp_path / "ix")
    index.add_path(path, procs=1, progress=seen.append)
    assert {p.bytes_total for p in seen} == {size}
    read = [p.bytes_read for p in seen]
    assert read == sorted(read) and read[-1] == size
    assert any(0 < b < size for b in read)
