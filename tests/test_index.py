"""The index: create/open, add, upsert, delete, stats, extra fields, transactions."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

import vnsearch
from vnsearch import Document, Index
from vnsearch.errors import DocumentError, IndexNotFoundError, SchemaError, VnsearchError


def ids(results):
    return [hit.id for hit in results]


def test_in_memory_index_counts_documents(memory_index, news):
    assert len(memory_index) == len(news)
    assert "in memory" in repr(memory_index)


def test_add_returns_a_report(news):
    index = Index.create(None)
    report = index.add(news)
    assert report.added == len(news)
    assert report.skipped == ()
    assert report.characters == sum(len(d["title"]) + len(d["body"]) for d in news)


def test_add_accepts_documents_and_a_single_record():
    index = Index.create(None)
    index.add(Document(id="d1", title="Hải Phòng", body="Thành phố cảng."))
    index.add({"id": "d2", "title": "Hà Nội", "body": "Thủ đô."})
    assert sorted(ids(index.search("thành phố OR thủ đô"))) == ["d1", "d2"]


def test_upsert_by_id_replaces_without_duplicates(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "1", "title": "Bản cũ", "body": "nội dung cũ"}])
    index.update([{"id": "1", "title": "Bản mới", "body": "nội dung mới"}])
    assert len(index) == 1
    assert ids(index.search("mới")) == ["1"]
    assert ids(index.search("cũ")) == []


def test_small_adds_look_ids_up_and_large_ones_read_them_all(tmp_path, monkeypatch):
    from vnsearch import index as index_module

    monkeypatch.setattr(index_module, "_ID_LOOKUPS", 5)
    Index.create(tmp_path / "ix").add([{"id": str(i), "body": f"bản {i} cũ"} for i in range(20)])
    index = Index.open(tmp_path / "ix")  # a new object: no ids known yet
    for i in (3, 30, 4):  # replacing, adding, replacing: one id looked up each
        index.add({"id": str(i), "body": f"bản {i} mới"})
        assert index._known is not None and index._known[1].ids is None  # never read whole
    assert len(index) == 21
    assert sorted(ids(index.search("mới"))) == ["3", "30", "4"]
    index.add([{"id": str(i), "body": f"bản {i} mới"} for i in range(10, 17)])  # more than 5
    assert index._known is not None and index._known[1].ids is not None
    assert len(index) == 21
    assert ids(index.search("cũ", limit=30)) and not set(ids(index.search("cũ", limit=30))) & {"3", "4", "10", "16"}


def test_duplicate_ids_in_one_call_keep_the_last():
    index = Index.create(None)
    index.add([{"id": "1", "body": "một"}, {"id": "1", "body": "hai"}, {"id": "2", "body": "ba"}])
    assert len(index) == 2
    assert index.search("hai")[0].id == "1"
    assert ids(index.search("một")) == []


def test_delete(memory_index):
    assert memory_index.delete("ban-1") == 1
    assert memory_index.delete(["ban-2", "missing"]) == 1
    assert len(memory_index) == 3
    assert "ban-1" not in ids(memory_index.search("bán", limit=50))


def test_reopen_in_a_fresh_process_needs_no_arguments(tmp_path, news):
    path = tmp_path / "ix"
    index = Index.create(path, fields={"author": "text", "views": "number"})
    index.add([{**news[0], "author": "Hoàng Tùng", "views": 12}])
    code = (
        "import json, sys, vnsearch\n"
        "ix = vnsearch.Index.open(sys.argv[1])\n"
        "hits = ix.search('author:\"hoang tung\"')\n"
        "print(json.dumps([len(ix), [h.id for h in hits], ix.stats().fields]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    count, found, fields = json.loads(out.stdout)
    assert count == 1 and found == ["hp-1"]
    assert fields["author"] == "text" and fields["views"] == "number"


def test_extra_fields_of_every_type(tmp_path):
    index = Index.create(
        tmp_path / "ix",
        fields={"author": "text", "section": "keyword", "updated": "date", "views": "number", "raw": "stored"},
    )
    index.add(
        [
            {"id": "1", "body": "Bài một", "author": "Nguyễn Văn A", "section": "Thời sự", "updated": "2020-07-10", "views": 50, "raw": "x"},
            {"id": "2", "body": "Bài hai", "author": "Trần Thị B", "section": "Thể thao", "updated": "2021-01-01", "views": 5},
        ]
    )
    assert ids(index.search("author:nguyen")) == ["1"]
    assert ids(index.search("section:\"thời sự\"")) == ["1"]
    assert ids(index.search("updated:>=2021")) == ["2"]
    assert ids(index.search("views:>10")) == ["1"]
    assert ids(index.search("bài", sort="-views")) == ["1", "2"]
    hit = index.search("bài một")[0]
    assert hit.fields["raw"] == "x" and hit.fields["views"] == 50.0


@pytest.mark.parametrize(
    "fields",
    [{"title": "text"}, {"Bad Name": "text"}, {"x_f": "text"}, {"x": "blob"}],
)
def test_bad_field_declarations(fields):
    with pytest.raises(SchemaError):
        Index.create(None, fields=fields)


def test_open_missing_folder():
    with pytest.raises(IndexNotFoundError):
        Index.open("/nonexistent/vnsearch-index")


def test_create_refuses_to_clobber_an_index(tmp_path):
    Index.create(tmp_path / "ix").add([{"id": "1", "body": "một"}])
    with pytest.raises(VnsearchError, match="already holds an index"):
        Index.create(tmp_path / "ix")
    fresh = Index.create(tmp_path / "ix", overwrite=True)
    assert len(fresh) == 0


def test_stats(tmp_path, news):
    index = Index.create(tmp_path / "ix")
    index.add(news)
    stats = index.stats()
    assert stats.documents == len(news)
    assert stats.terms > 50
    assert stats.size_bytes > 0
    assert stats.fields["title"] == "text"


def test_context_manager_commits_on_success_and_cancels_on_error(tmp_path):
    index = Index.create(tmp_path / "ix")
    with index:
        index.add([{"id": "1", "body": "một"}])
    assert len(Index.open(tmp_path / "ix")) == 1
    with pytest.raises(RuntimeError):
        with index:
            index.add([{"id": "2", "body": "hai"}])
            raise RuntimeError("boom")
    assert len(Index.open(tmp_path / "ix")) == 1


def test_batches_commit_and_progress_reports(tmp_path):
    index = Index.create(tmp_path / "ix")
    seen = []
    docs = [{"id": str(i), "body": f"tin số {i}"} for i in range(25)]
    index.add(docs, batch_size=10, progress=seen.append)
    assert len(index) == 25
    assert seen[-1].documents == 25 and seen[-1].characters > 0


def test_skip_report_lists_bad_records():
    index = Index.create(None)
    report = index.add([{"id": "1", "body": "tốt"}, {"id": "2"}, "không phải dict"], errors="skip")
    assert report.added == 1
    assert [s.line for s in report.skipped] == [2, 3]
    assert all(s.reason for s in report.skipped)


def test_strict_mode_names_the_record():
    index = Index.create(None)
    with pytest.raises(DocumentError, match="record 2"):
        index.add([{"id": "1", "body": "tốt"}, {"id": "2"}])


def test_add_path_indexes_the_sample_corpus(tmp_path):
    from conftest import SAMPLE_CORPUS

    index = Index.create(tmp_path / "ix")
    report = index.add_path(SAMPLE_CORPUS)
    assert report.added == 5
    titles = [hit.title for hit in index.search("hai phong", limit=10)]
    assert titles and all(titles)


def test_dates_are_stored_as_datetimes(memory_index):
    hit = memory_index.search("chợ phiên")[0]
    assert hit.date == dt.datetime(2020, 7, 10)
    assert hit.tags == ("doi-song",)


def test_public_api_is_small_and_explicit():
    assert set(vnsearch.__all__) >= {"Index", "Document", "Results", "Hit", "Snippet", "search", "VnsearchError"}
    for name in vnsearch.__all__:
        assert getattr(vnsearch, name) is not None


def test_report_names_the_keys_the_index_does_not_keep():
    # Issue 17: news-vi's "source" key was dropped without a word.
    index = Index.create(None, {"views": "number"})
    records = [
        {"id": "1", "body": "Mưa lớn", "source": "vnexpress", "views": 3},
        {"id": "2", "body": "Nắng nóng", "section": "thời tiết"},
    ]
    report = index.add(records)
    assert report.unindexed == ("source", "section")
    assert str(report).endswith("; not kept (no such field): source, section")
    assert index.search("mua lon")[0].fields == {"views": 3.0}
    kept = Index.create(None, {"views": "number", "source": "stored", "section": "keyword"})
    assert kept.add(records).unindexed == ()
    assert kept.search("mua lon")[0].fields["source"] == "vnexpress"


def test_add_path_cleans_pages_only_when_asked(tmp_path):
    page = tmp_path / "trang.txt"
    page.write_text("Tiêu đề bài\n\nMột câu dài đủ tám từ để thành đoạn văn.\nBình luận\nÝ kiến của bạn đọc về bài.\n",
                    encoding="utf-8")
    whole = Index.create(None)
    whole.add_path(page)
    assert [hit.id for hit in whole.search("ý kiến bạn đọc")] == ["trang.txt"]
    cleaned = Index.create(None)
    cleaned.add_path(page, clean_pages=True)
    assert len(cleaned) == 1 and not cleaned.search("ý kiến bạn đọc").total


def test_a_group_that_adds_replaces_and_deletes_one_id_is_one_commit(tmp_path):
    """Whoosh deletes only committed documents; a group must not commit halfway for that."""
    index = Index.create(tmp_path / "ix")
    index.add([{"id": f"d{i}", "title": "cũ", "body": "chợ phiên"} for i in range(4)], procs=1)
    generation = index.whoosh_index.latest_generation()
    with index:
        index.add([{"id": "d1", "title": "mới", "body": "chợ phiên"}, {"id": "d9", "title": "một", "body": "x"}], procs=1)
        assert index.delete("d1") == 1  # the pending d1 (the add already replaced the committed one)
        index.add([{"id": "d9", "title": "hai", "body": "y"}], procs=1)  # the later record wins
    assert index.whoosh_index.latest_generation() == generation + 1
    assert "d1" not in index and len(index) == 4
    assert index.get("d9").title == "hai"
    assert index.search("chợ phiên").total == 3
    index.close()


@pytest.mark.parametrize("name, text", [
    ("news.json", '[{"id": "1", "title": "Mưa lớn", "text": "Hà Nội", "source": "vnexpress"}]'),
    ("news.csv", "id,title,text,source\n1,Mưa lớn,Hà Nội,vnexpress\n"),
])
def test_json_and_csv_files_report_or_keep_undeclared_keys(tmp_path, name, text):
    # news-vi's records: id, title, text, source, url; "source" is no field vnsearch guesses.
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    report = Index.create(None).add_path(path)
    assert report.added == 1 and report.unindexed == ("source",)
    kept = Index.create(None, {"source": "stored"})
    assert kept.add_path(path).unindexed == ()
    assert kept.search("ha noi")[0].fields == {"source": "vnexpress"}
