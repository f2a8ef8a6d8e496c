"""vnsearch.search(): sources, the corpus cache, result display, and the example notebook."""

from __future__ import annotations

import html.parser
import json
import os
import re
import shutil
from pathlib import Path

import pytest

import vnsearch
from vnsearch import display, notebook
from vnsearch.index import Index

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = ROOT / "sample_corpus"
HP_ID = "2019-07-10-hai-phong-dang-uy-khoi-hoi-nghi.txt"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and no indexes left open from other tests."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(notebook.CACHE_ENV, str(folder))
    notebook.clear()
    yield folder
    notebook.clear()


@pytest.fixture
def corpus(tmp_path):
    """A copy of the sample corpus that a test may change."""
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, folder)
    return folder


@pytest.fixture
def creations(monkeypatch):
    """Counts the indexes created, to tell a cache hit from a build."""
    made: list[object] = []
    original = Index.create.__func__

    def counting(cls, path=None, *args, **kwargs):
        made.append(path)
        return original(cls, path, *args, **kwargs)

    monkeypatch.setattr(Index, "create", classmethod(counting))
    return made


def _stamp_folders(cache: Path) -> list[Path]:
    return [p for home in cache.iterdir() for p in home.iterdir()]


# -- sources ----------------------------------------------------------------------------------


def test_no_source_searches_the_sample_corpus(sample_cache):
    results = vnsearch.search("đảng ủy hải phòng", limit=3)
    assert results.total == 5
    assert len(results) == 3
    assert results[0].id == HP_ID
    assert results[0].snippets


def test_sample_corpus_index_declares_the_author_field(sample_cache):
    results = vnsearch.search('author:"hoàng tùng"')
    assert {hit.fields["author"] for hit in results} == {"Hoàng Tùng"}


def test_sample_corpus_is_found():
    folder = notebook.sample_corpus()
    assert sorted(p.name for p in folder.glob("*.txt")) == sorted(p.name for p in SAMPLE_CORPUS.glob("*.txt"))


def test_list_of_dicts_is_indexed_in_memory(cache):
    records = [
        {"id": "a", "title": "Hoà bình", "body": "Hội thảo về hòa bình."},
        {"id": "b", "title": "Sức khoẻ", "body": "Chăm sóc sức khỏe."},
    ]
    results = vnsearch.search("hoa binh", records)
    assert [hit.id for hit in results] == ["a"]
    assert not cache.exists()  # nothing written to disk


def test_documents_and_generators_are_sources(cache):
    docs = [vnsearch.Document("x", title="Thuỷ lợi", body="Công trình thủy lợi.")]
    assert [h.id for h in vnsearch.search("thuy loi", docs)] == ["x"]
    assert [h.id for h in vnsearch.search("thuy loi", (d for d in docs))] == ["x"]


def test_equal_lists_share_one_index(cache):
    records = [{"id": "a", "body": "Đảng ủy Khối"}]
    first = notebook.index_for(records)
    assert notebook.index_for([dict(r) for r in records]) is first
    assert notebook.index_for([{"id": "a", "body": "Đảng ủy Tỉnh"}]) is not first


def test_record_options_and_field_types(cache):
    records = [{"key": "k1", "headline": "Bão số 3", "content": "Gió mạnh", "reporter": "Minh Anh"}]
    results = vnsearch.search(
        "author:minh", records, id_field="key", title_field="headline", body_field="content",
        field_types={"author": "text"},
    )
    assert results.total == 0  # "reporter" is not "author"
    results = vnsearch.search(
        "reporter:minh bao", records, id_field="key", title_field="headline", body_field="content",
        field_types={"reporter": "text"},
    )
    assert [(h.id, h.title) for h in results] == [("k1", "Bão số 3")]


def test_file_only_options_are_refused_for_records(cache):
    with pytest.raises(TypeError, match="format"):
        vnsearch.search("x", [{"body": "x"}], format="csv")


def test_pages_are_cleaned_for_the_sample_corpus_only(cache, tmp_path, creations):
    page = tmp_path / "trang" / "ghi-chep.txt"
    page.parent.mkdir()
    page.write_text("Ghi chép\n\nMột câu dài đủ tám từ để thành đoạn văn.\nBình luận\nÝ kiến bạn đọc.\n",
                    encoding="utf-8")
    assert [hit.id for hit in vnsearch.search("ý kiến bạn đọc", page.parent)] == ["ghi-chep.txt"]
    assert not vnsearch.search("ý kiến bạn đọc", page.parent, clean_pages=True).total
    assert len(creations) == 2  # the option is part of the cache key
    with pytest.raises(TypeError, match="clean_pages only apply to files"):
        vnsearch.search("x", [{"body": "x"}], clean_pages=True)
    assert notebook.index_for(None) is notebook.index_for(None, clean_pages=True)


def test_search_options_reach_the_index(sample_cache):
    results = vnsearch.search("hội nghị", limit=2, page=2)
    assert [hit.rank for hit in results] == [3, 4]
    dated = vnsearch.search("hội nghị", filters={"date": ">=2021"})
    assert [hit.id for hit in dated] == ["2021-08-24-hai-phong-thuong-truc-thanh-uy-giao-ban.txt"]


def test_index_folder_source_sees_new_commits(cache, tmp_path):
    folder = tmp_path / "ix"
    index = Index.create(folder)
    index.add([{"id": "1", "body": "Hải Phòng"}])
    assert vnsearch.search("hai phong", index=str(folder)).total == 1
    index.add([{"id": "2", "body": "Hải Phòng mùa mưa"}])
    assert vnsearch.search("hai phong", index=folder).total == 2
    index.close()


def test_a_folder_holding_vnsearch_json_is_never_opened_as_a_source(cache, tmp_path, monkeypatch):
    folder = tmp_path / "downloaded"
    Index.create(folder).close()  # as if the folder of documents came with an index in it
    (folder / "a.txt").write_text("Hải Phòng\nBài về Hải Phòng.", encoding="utf-8")
    opened: list[object] = []
    real_open = Index.open
    monkeypatch.setattr(Index, "open", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    with pytest.raises(vnsearch.CorpusIsIndexError, match="index=DIR"):
        vnsearch.search("hai phong", folder)
    assert opened == []
    monkeypatch.undo()
    monkeypatch.setenv(notebook.CACHE_ENV, str(cache))
    with pytest.raises(TypeError, match="no source"):
        vnsearch.search("hai phong", folder, index=folder)
    with pytest.raises(vnsearch.IndexNotFoundError, match="no index at"):
        vnsearch.search("hai phong", index=tmp_path / "nowhere")


def test_index_object_source_is_used_as_is(memory_index):
    assert notebook.index_for(memory_index) is memory_index


def test_missing_path_and_wrong_types(cache, tmp_path):
    with pytest.raises(vnsearch.VnsearchError, match="no such file or folder"):
        vnsearch.search("x", tmp_path / "nowhere")
    with pytest.raises(TypeError, match="source must be"):
        vnsearch.search("x", 42)
    with pytest.raises(TypeError, match="source must be"):
        vnsearch.search("x", {"body": "a dict is one record, not a source"})


# -- the corpus cache -------------------------------------------------------------------------


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(notebook.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert notebook.cache_dir() == tmp_path / "xdg" / "vnsearch"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert notebook.cache_dir() == tmp_path / "home" / ".cache" / "vnsearch"
    monkeypatch.setenv(notebook.CACHE_ENV, str(tmp_path / "mine"))
    assert notebook.cache_dir() == tmp_path / "mine"


def test_corpus_is_indexed_once_then_reused(cache, corpus, creations):
    assert vnsearch.search("hải phòng", corpus).total == 5
    assert len(creations) == 1
    (folder,) = _stamp_folders(cache)
    about = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    assert about["source"] == str(corpus.resolve()) and about["documents"] == 5

    vnsearch.search("hà nội", corpus)
    notebook.clear()  # as a new process would: only the disk cache is left
    vnsearch.search("hà nội", str(corpus))
    assert len(creations) == 1
    assert _stamp_folders(cache) == [folder]


def test_corpus_is_rebuilt_when_a_file_changes(cache, corpus, creations):
    extra = corpus / "extra.jsonl"
    extra.write_text('{"id": "e", "body": "Tiếng đàn"}\n', encoding="utf-8")
    assert vnsearch.search("xylophone", corpus).total == 0
    (old,) = _stamp_folders(cache)
    extra.write_text('{"id": "e", "body": "Tiếng đàn xylophone"}\n', encoding="utf-8")
    assert [h.id for h in vnsearch.search("xylophone", corpus)] == ["e"]
    assert len(creations) == 2
    (new,) = _stamp_folders(cache)  # the old state was removed
    assert new != old


def test_corpus_is_rebuilt_when_a_file_is_added_or_removed(cache, corpus, creations):
    vnsearch.search("hội nghị", corpus)
    (corpus / "extra.jsonl").write_text('{"id": "e", "body": "Tiếng đàn xylophone"}\n', encoding="utf-8")
    assert [h.id for h in vnsearch.search("xylophone", corpus)] == ["e"]
    (corpus / "extra.jsonl").unlink()
    assert vnsearch.search("xylophone", corpus).total == 0
    assert len(creations) == 3


def test_loader_options_get_their_own_cache(cache, tmp_path, creations):
    data = tmp_path / "news.jsonl"
    data.write_text('{"key": "a", "noi_dung": "Đảng ủy Khối"}\n', encoding="utf-8")
    assert [h.id for h in vnsearch.search("dang uy", data, id_field="key", body_field="noi_dung")] == ["a"]
    with pytest.raises(vnsearch.DocumentError, match="news.jsonl:1"):
        vnsearch.search("dang uy", data)  # no text under the usual keys: strict by default
    assert vnsearch.search("dang uy", data, errors="skip").total == 0
    assert len(creations) == 3


def test_a_crash_while_building_leaves_no_cache(cache, corpus, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Index, "add_path", broken)
    with pytest.raises(RuntimeError):
        vnsearch.search("hội nghị", corpus)
    assert _stamp_folders(cache) == []  # no index, and no temporary folder either
    monkeypatch.undo()
    monkeypatch.setenv(notebook.CACHE_ENV, str(cache))
    assert vnsearch.search("hội nghị", corpus).total == 5


def test_a_damaged_cache_is_rebuilt(cache, corpus, creations):
    vnsearch.search("hội nghị", corpus)
    (folder,) = _stamp_folders(cache)
    (folder / "vnsearch.json").write_text("{broken", encoding="utf-8")
    notebook.clear()
    assert vnsearch.search("hội nghị", corpus).total == 5
    assert len(creations) == 2


def test_builds_left_by_crashed_runs_are_removed(cache, corpus):
    vnsearch.search("hội nghị", corpus)
    (folder,) = _stamp_folders(cache)
    stale = folder.parent / ".build-old-1-abc"
    stale.mkdir()
    os.utime(stale, (0, 0))
    fresh = folder.parent / ".build-now-2-def"
    fresh.mkdir()
    notebook.clear()
    vnsearch.search("hội nghị", corpus)
    assert not stale.exists() and fresh.exists()  # a fresh one may be another process's build


def test_open_indexes_are_bounded(cache, monkeypatch):
    monkeypatch.setattr(notebook, "_MAX_OPEN", 2)
    for n in range(4):
        vnsearch.search("x", [{"id": str(n), "body": f"văn bản {n}"}])
    assert len(notebook._open) == 2


# -- display ----------------------------------------------------------------------------------

HOSTILE = [
    {
        "id": "evil<1>",
        "title": "<script>alert(1)</script> Hải Phòng",
        "body": "Xem <img src=x onerror=alert(2)> tại Hải Phòng & \x1b[31mđỏ\x1b[0m.",
        "url": "javascript:alert(3)",
        "date": "2024-01-02",
    },
    {"id": "ok", "title": "Hải Phòng mùa mưa", "body": "Mưa lớn ở Hải Phòng.", "url": "https://example.vn/a?b=1&c=2"},
]


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]


def test_html_escapes_document_text(cache):
    results = vnsearch.search("hai phong", HOSTILE)
    page = results._repr_html_()
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= {"div", "style", "p", "b", "table", "thead", "tbody", "tr", "th", "td", "mark", "a"}
    assert "script" not in parser.tags and "img" not in parser.tags
    assert parser.hrefs == ["https://example.vn/a?b=1&c=2"]  # no javascript: link
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>Hải Phòng</mark>" in page
    assert "evil&lt;1&gt;" in page


def test_html_shows_rank_title_date_score_and_snippet(sample_cache):
    results = vnsearch.search("hải phòng", limit=2)
    page = results._repr_html_()
    hit = results[0]
    assert f'<td class="vs-rank">{hit.rank}</td>' in page
    assert f"{hit.score:.2f}" in page
    assert "<mark>" in page and "vs-snippet" in page
    dated = next(h for h in vnsearch.search("hội nghị") if h.date)
    assert f"{dated.date:%Y-%m-%d}" in vnsearch.search("hội nghị")._repr_html_()


def test_html_and_text_show_suggestion_and_notes(sample_cache):
    results = vnsearch.search("hai phong place:hanoi")
    assert results.suggestion and results.ignored
    page, text = results._repr_html_(), repr(results)
    assert "Did you mean <b>" in page and "Did you mean" in text
    assert "Note: ignored" in page and "Note: ignored" in text


def test_text_listing_is_readable_and_clean(cache):
    results = vnsearch.search("hai phong", HOSTILE)
    text = repr(results)
    assert text.splitlines()[0].startswith("2 results for 'hai phong'")
    assert "  1. " in text and "[Hải Phòng]" in text
    assert "\x1b" not in text  # document text cannot drive the terminal
    plain = display.results_text(results, style="plain")
    assert "[Hải" not in plain and "\x1b" not in plain
    ansi = display.results_text(results, style="ansi")
    assert "\x1b[1;33mHải Phòng\x1b[0m" in ansi
    assert "\x1b[31m" not in ansi


def test_summaries():
    def fake(total: int, shown: int, page: int = 1, limit: int = 10):
        hits = tuple(vnsearch.Hit(str(i), i, 1.0) for i in range(shown))
        return vnsearch.Results("q", hits, total, page=page, limit=limit, seconds=0.012)

    assert display.summary(fake(0, 0)) == "No results for 'q' (12 ms)"
    assert display.summary(fake(1, 1)) == "1 result for 'q' (12 ms)"
    assert display.summary(fake(25, 10, page=2)) == "Results 11–20 of 25 for 'q' (page 2 of 3, 12 ms)"
    assert display.summary(fake(5, 0, page=3, limit=2)).startswith("No results on page 3 of 3: 5 results")


def test_to_dicts_and_dataframe(sample_cache):
    results = vnsearch.search("hải phòng", limit=2)
    rows = results.to_dicts()
    assert [row["rank"] for row in rows] == [1, 2]
    assert {"id", "rank", "score", "title", "date", "url", "snippets"} <= set(rows[0])
    json.dumps(rows)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(vnsearch.VnsearchError, match="pip install pandas"):
            results.to_dataframe()
    else:  # pragma: no cover - pandas is optional
        assert list(results.to_dataframe()["rank"]) == [1, 2]


# -- the example notebook ---------------------------------------------------------------------


def test_example_notebook_runs_top_to_bottom(cache, tmp_path, monkeypatch):
    notebook_path = ROOT / "examples" / "quickstart.ipynb"
    cells = json.loads(notebook_path.read_text(encoding="utf-8"))["cells"]
    code = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    assert len(code) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for number, source in enumerate(code, 1):
        exec(compile(source, f"quickstart.ipynb cell {number}", "exec"), namespace)  # noqa: S102 - our own notebook
    assert isinstance(namespace["results"], vnsearch.Results)
    assert re.search(r"vnsearch\.search\(", "\n".join(code))


# -- the cache is keyed by content, built from a snapshot -------------------------------------


def _news(folder: Path, word: str) -> Path:
    folder.mkdir(exist_ok=True)
    file = folder / "news.jsonl"
    file.write_text(json.dumps({"id": "a", "body": f"Tin {word} hôm nay"}, ensure_ascii=False) + "\n", encoding="utf-8")
    return file


def test_a_same_size_edit_with_the_mtime_put_back_is_seen(cache, tmp_path, creations):
    file = _news(tmp_path / "docs", "mưa")
    assert vnsearch.search("mua", tmp_path / "docs").total == 1
    before = file.stat()
    _news(tmp_path / "docs", "gió")  # "gió" and "mưa" have the same length in UTF-8
    os.utime(file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert file.stat().st_size == before.st_size and file.stat().st_mtime_ns == before.st_mtime_ns
    assert vnsearch.search("gio", tmp_path / "docs").total == 1  # in the same process
    assert vnsearch.search("mua", tmp_path / "docs").total == 0
    notebook.clear()
    notebook._hashes.clear()  # as a new process would: only the disk cache is left
    assert vnsearch.search("gio", tmp_path / "docs").total == 1
    assert len(creations) == 2


def test_a_file_written_during_the_build_is_not_half_indexed(cache, tmp_path, monkeypatch, creations):
    file = _news(tmp_path / "docs", "mưa")
    real_add_path = Index.add_path
    calls: list[int] = []

    def add_then_edit(self, *args, **kwargs):
        report = real_add_path(self, *args, **kwargs)
        if not calls:  # the writer finishes just after the first build read the file
            _news(tmp_path / "docs", "bão lớn")
        calls.append(1)
        return report

    monkeypatch.setattr(Index, "add_path", add_then_edit)
    assert vnsearch.search("bao lon", tmp_path / "docs").total == 1  # the second build read it whole
    assert vnsearch.search("mua", tmp_path / "docs").total == 0
    assert len(calls) == 2 and len(_stamp_folders(cache)) == 1
    assert file.read_text(encoding="utf-8").count("bão lớn") == 1


def test_files_that_keep_changing_end_in_a_clear_error(cache, tmp_path, monkeypatch):
    _news(tmp_path / "docs", "mưa")
    real_add_path = Index.add_path
    words = iter(["gió", "bão", "lũ", "nắng"])

    def add_then_edit(self, *args, **kwargs):
        report = real_add_path(self, *args, **kwargs)
        _news(tmp_path / "docs", next(words))
        return report

    monkeypatch.setattr(Index, "add_path", add_then_edit)
    with pytest.raises(vnsearch.VnsearchError, match="kept changing while they were indexed"):
        vnsearch.search("mua", tmp_path / "docs")
    assert _stamp_folders(cache) == []


def test_a_reader_never_sees_an_empty_index_during_a_swap(cache, tmp_path):
    import threading

    _news(tmp_path / "docs", "mưa 0")
    totals: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                totals.append(vnsearch.search("tin", tmp_path / "docs").total)
            except BaseException as exc:  # noqa: BLE001 - any failure is the finding
                failures.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(1, 6):
            _news(tmp_path / "docs", f"mưa {n}")
            assert vnsearch.search(f"mua {n}", tmp_path / "docs").total == 1
    finally:
        stop.set()
        thread.join()
    assert failures == []
    assert totals and set(totals) == {1}
