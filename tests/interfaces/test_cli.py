"""The vnsearch command, run in-process through cli.main()."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import vnsearch
from vnsearch import cli, notebook
from vnsearch.index import Index, Progress

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = ROOT / "sample_corpus"
HP_ID = "2019-07-10-hai-phong-dang-uy-khoi-hoi-nghi.txt"


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    """Each test gets its own cache, its own working folder, and no colour from the environment."""
    monkeypatch.setenv(notebook.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    notebook.clear()
    yield tmp_path / "cache"
    notebook.clear()


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    """The sample corpus indexed once, with its author field, for read-only tests."""
    folder = tmp_path_factory.mktemp("cli") / "news-index"
    args = ["index", str(SAMPLE_CORPUS), "--index", str(folder), "--field", "author:text", "--clean-pages"]
    assert cli.main(args) == 0
    return folder


def _jsonl(path: Path, *records: object) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# -- vnsearch index ---------------------------------------------------------------------------


def test_index_prints_a_summary(capsys, tmp_path):
    code, out, err = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix")
    assert code == 0, err
    assert out.startswith("indexed 5 documents (")
    assert "the index now holds 5 documents" in out
    assert err == ""  # no progress bar off a terminal
    assert Index.exists(tmp_path / "ix")


def test_index_again_replaces_by_id(capsys, tmp_path):
    run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix")
    code, out, _ = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix")
    assert code == 0 and "the index now holds 5 documents" in out


def test_index_several_paths_with_loader_options(capsys, tmp_path):
    a = _jsonl(tmp_path / "a.jsonl", {"key": "a1", "headline": "Bão số 3", "noi_dung": "Gió giật mạnh", "ngay": "2024-09-07"})
    b = tmp_path / "b.jsonl.gz"
    b.write_bytes(gzip.compress(json.dumps({"key": "b1", "headline": "Lũ", "noi_dung": "Nước lên"}).encode()))
    code, out, err = run(
        capsys, "index", a, b, "--index", tmp_path / "ix", "--id-field", "key", "--title-field", "headline",
        "--body-field", "noi_dung", "--date-field", "ngay",
    )
    assert code == 0, err
    assert "indexed 2 documents" in out
    hits = Index.open(tmp_path / "ix").search("bao so 3")
    assert [(h.id, h.title, h.date.year) for h in hits] == [("a1", "Bão số 3", 2024)]


def test_index_declares_fields(capsys, tmp_path):
    data = _jsonl(tmp_path / "d.jsonl", {"id": "1", "body": "Tin nóng", "section": "Thời sự", "views": 12})
    code, _, err = run(capsys, "index", data, "--index", tmp_path / "ix", "--field", "section:keyword", "--field", "views:number")
    assert code == 0, err
    assert Index.open(tmp_path / "ix").schema.to_json()["views"] == "number"
    code, out, _ = run(capsys, "search", "tin views:>=10", "--index", tmp_path / "ix", "--json")
    assert [h["id"] for h in json.loads(out)["hits"]] == ["1"]


def test_index_refuses_changed_fields_on_an_existing_index(capsys, tmp_path):
    run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix", "--field", "author:text")
    code, _, err = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix", "--field", "author:keyword")
    assert code == 1
    assert err.count("\n") == 1 and "declares author as text" in err and "--overwrite" in err
    code, _, err = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix", "--field", "author:keyword", "--overwrite")
    assert code == 0, err


@pytest.mark.parametrize("spec", ["author", "author:colour", ":text"])
def test_bad_field_declarations_are_usage_errors(capsys, tmp_path, spec):
    code, _, err = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix", "--field", spec)
    assert code == 2 and "NAME:TYPE" in err


def test_index_skips_bad_records_and_lists_them(capsys, tmp_path):
    data = _jsonl(tmp_path / "d.jsonl", *([{"id": f"g{i}", "body": "tốt"} for i in range(3)] + [{"id": f"b{i}"} for i in range(7)]))
    code, out, err = run(capsys, "index", data, "--index", tmp_path / "ix", "--errors", "skip")
    assert code == 0, err
    assert "indexed 3 documents" in out and "skipped 7 records:" in out
    assert f"{data}:4: has no text" in out
    assert "... and 2 more" in out


def test_index_stops_at_a_bad_record_with_one_line(capsys, tmp_path):
    data = _jsonl(tmp_path / "d.jsonl", {"id": "1", "body": "tốt"}, {"id": "2"})
    code, _, err = run(capsys, "index", data, "--index", tmp_path / "ix")
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"vnsearch index: error: {data}:2: has no text")
    assert "--errors skip" in err


def test_debug_shows_the_traceback(capsys, tmp_path):
    data = _jsonl(tmp_path / "d.jsonl", {"id": "2"})
    code, _, err = run(capsys, "--debug", "index", data, "--index", tmp_path / "ix")
    assert code == 1 and "Traceback" in err and err.rstrip().endswith("--errors skip to leave bad records out")
    code, _, err = run(capsys, "index", data, "--index", tmp_path / "ix2", "--debug")
    assert code == 1 and "Traceback" in err


def test_missing_input_is_an_error(capsys, tmp_path):
    code, _, err = run(capsys, "index", tmp_path / "nowhere.jsonl", "--index", tmp_path / "ix")
    assert code == 1 and "nowhere.jsonl: no such file or folder" in err
    assert not (tmp_path / "ix").exists()  # checked before creating anything


def test_os_errors_are_one_line(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(capsys, "index", SAMPLE_CORPUS, "--index", blocker / "ix")
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("vnsearch index: error: ")


def test_interrupt_keeps_the_last_commit(capsys, tmp_path, monkeypatch):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Index, "add_path", interrupted)
    code, _, err = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix")
    assert code == 130
    assert err == "vnsearch index: interrupted; the index keeps its last commit\n"


def test_progress_bar_on_a_terminal(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    monkeypatch.setattr(cli, "_PROGRESS_DELAY", 0.0)
    monkeypatch.setattr("vnsearch.index._PROGRESS_EVERY", 0.0)
    code, out, err = run(capsys, "index", SAMPLE_CORPUS, "--index", tmp_path / "ix")
    assert code == 0
    assert "indexing [" in err and "docs/s" in err
    assert "indexing: 5 docs read, committing..." in err
    assert err.endswith("\r\x1b[K")  # the bar is cleared before the summary
    assert "indexed 5 documents" in out


def test_first_search_of_a_corpus_shows_progress(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_PROGRESS_DELAY", 0.0)
    monkeypatch.setattr("vnsearch.index._PROGRESS_EVERY", 0.0)
    args = ("search", "hai phong", "--corpus", SAMPLE_CORPUS, "--color", "never")
    code, out, err = run(capsys, *args)
    assert code == 0 and err == ""  # stderr is not a terminal here: silent
    notebook.clear()
    shutil.rmtree(notebook.cache_dir())
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    code, out, err = run(capsys, *args, "--no-progress")
    assert code == 0 and err == ""
    notebook.clear()
    shutil.rmtree(notebook.cache_dir())
    code, out, err = run(capsys, *args)
    assert code == 0 and "Hải Phòng" in out
    assert "indexing [" in err and "docs/s" in err
    assert err.endswith("\r\x1b[K")  # cleared before the results
    code, out, err = run(capsys, *args)
    assert code == 0 and err == ""  # the cache is built: nothing to show


def test_progress_bar_line():
    stream = io.StringIO()
    bar = cli.ProgressBar(stream, total_bytes=3000, delay=0.0)
    bar.bytes_per_char = 1.5  # so 2,000 characters are expected
    assert bar.line(10, 500, 2.0) == "indexing [======>                 ]  25%  10 docs  5 docs/s  ~0:06 left"
    assert "99%" in bar.line(50, 5000, 2.0) and "left" not in bar.line(50, 5000, 2.0)
    bar(Progress(documents=1, characters=10, skipped=0, seconds=0.1))
    assert stream.getvalue().startswith("\r\x1b[Kindexing [")
    bar.clear()
    assert stream.getvalue().endswith("\r\x1b[K")
    quiet = cli.ProgressBar(io.StringIO(), total_bytes=10, delay=60.0)
    quiet(Progress(1, 1, 0, 0.1))
    assert not quiet.drawn


def test_progress_bar_of_one_file_moves_with_what_is_written(tmp_path):
    stream = io.StringIO()
    bar = cli.ProgressBar(stream, total_bytes=1000, delay=0.0)
    # All 1,000 bytes of a .gz file read, half of its characters written by the workers so far.
    bar(Progress(documents=40, characters=8000, skipped=0, seconds=1.0, indexed=20,
                 indexed_characters=4000, bytes_read=1000, bytes_total=1000))
    assert " 50%  20 docs" in stream.getvalue()
    bar(Progress(40, 8000, 0, 2.0, indexed=40, indexed_characters=8000, bytes_read=1000, bytes_total=1000))
    assert " 99%  40 docs" in stream.getvalue().rsplit("\r", 1)[-1]  # 99% until the commit is made
    gz = tmp_path / "news.jsonl.gz"
    gz.write_bytes(b"x" * 10)
    assert cli._input_bytes(gz, None) == 10  # a file by itself: its size on disk, as indexing reports


def test_input_bytes_counts_text_files(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"x" * 100)
    (tmp_path / "b.jsonl.gz").write_bytes(b"x" * 10)
    (tmp_path / "photo.jpg").write_bytes(b"x" * 1000)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.txt").write_bytes(b"x" * 1000)
    assert cli._input_bytes(tmp_path, None) == 100 + int(10 * cli._GZIP_RATIO)
    assert cli._input_bytes(tmp_path, "txt") == 100 + int(10 * cli._GZIP_RATIO) + 1000
    assert cli._duration(3725) == "1:02:05" and cli._duration(65) == "1:05"


# -- vnsearch search --------------------------------------------------------------------------


def test_search_without_index_uses_the_sample_corpus(capsys):
    code, out, err = run(capsys, "search", "đảng ủy hải phòng", "--limit", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Results 1–2 of 5 for 'đảng ủy hải phòng'")
    assert "  1. Đảng ủy Khối các cơ quan thành phố" in out
    assert "\x1b" not in out  # plain when piped
    assert notebook.cache_dir().exists()


def test_search_colours_on_a_terminal(capsys, sample_index, monkeypatch):
    code, out, _ = run(capsys, "search", "hải phòng", "--index", sample_index, "--color", "always")
    assert code == 0 and "\x1b[1;33m" in out
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)
    assert "\x1b[1;33m" in run(capsys, "search", "hải phòng", "--index", sample_index)[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b" not in run(capsys, "search", "hải phòng", "--index", sample_index)[1]
    assert "\x1b" not in run(capsys, "search", "hải phòng", "--index", sample_index, "--color", "never")[1]


def test_search_json(capsys, sample_index):
    code, out, _ = run(capsys, "search", "hai phong", "--index", sample_index, "--json", "--limit", "2")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 5 and data["suggestion"] == "Hải Phòng"
    assert len(data["hits"]) == 2
    for hit in data["hits"]:
        assert {"id", "rank", "score", "title", "date", "url", "snippets"} <= set(hit)
    assert any("<mark>" in s for hit in data["hits"] for s in hit["snippets"])


def test_search_fields_pages_and_sort(capsys, sample_index):
    out = run(capsys, "search", "hội nghị", "--index", sample_index, "--json", "--limit", "2", "--page", "2")[1]
    assert [h["rank"] for h in json.loads(out)["hits"]] == [3, 4]
    out = run(capsys, "search", "hội nghị", "--index", sample_index, "--json", "--sort", "date")[1]
    dates = [h["date"] for h in json.loads(out)["hits"] if h["date"]]
    assert dates == sorted(dates, reverse=True) and len(dates) == 4
    out = run(capsys, "search", "hoàng tùng", "--index", sample_index, "--json", "--field", "author")[1]
    assert {h["author"] for h in json.loads(out)["hits"]} == {"Hoàng Tùng"}


def test_search_a_corpus_through_the_cache(capsys, tmp_path, cache):
    data = _jsonl(tmp_path / "d.jsonl", {"key": "k", "noi_dung": "Mưa lớn ở Hải Phòng"})
    args = ("search", "mua lon", "--corpus", data, "--id-field", "key", "--body-field", "noi_dung", "--json")
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert [h["id"] for h in json.loads(out)["hits"]] == ["k"]
    assert any(cache.iterdir())


def test_search_errors(capsys, tmp_path, sample_index):
    code, _, err = run(capsys, "search", "x", "--index", tmp_path / "none")
    assert code == 1 and err.count("\n") == 1
    assert f"no index at {tmp_path / 'none'}: build one with 'vnsearch index PATH... --index" in err
    code, _, err = run(capsys, "search", "x", "--index", sample_index, "--corpus", SAMPLE_CORPUS)
    assert code == 2 and "not allowed with argument" in err
    code, _, err = run(capsys, "search", "x", "--index", sample_index, "--body-field", "text")
    assert code == 2 and "apply to --corpus" in err
    code, _, err = run(capsys, "search", "x", "--index", sample_index, "--field", "nope")
    assert code == 1 and "'nope' is not a text field" in err
    code, _, err = run(capsys, "search", "hội nghị", "--index", sample_index, "--sort", "title")
    assert code == 1 and "cannot sort by 'title'" in err
    code, _, err = run(capsys, "search", "x", "--limit", "0")
    assert code == 2 and "must be at least 1" in err


# -- vnsearch stats, --version, python -m vnsearch --------------------------------------------


def test_stats(capsys, sample_index):
    code, out, _ = run(capsys, "stats", "--index", sample_index)
    assert code == 0
    assert "documents:  5" in out and "author (text)" in out
    data = json.loads(run(capsys, "stats", "--index", sample_index, "--json")[1])
    assert data["documents"] == 5 and data["fields"]["author"] == "text" and data["size_bytes"] > 0


def test_stats_of_a_missing_index(capsys, tmp_path):
    code, _, err = run(capsys, "stats", "--index", tmp_path / "none")
    assert code == 1 and "no index at" in err


def test_version_and_usage(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out == f"vnsearch {vnsearch.__version__}\n"
    code, _, err = run(capsys)
    assert code == 2 and "usage: vnsearch" in err
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_python_dash_m(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "vnsearch", "--version"], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == f"vnsearch {vnsearch.__version__}"


def test_search_corpus_never_opens_an_index_folder(capsys, sample_index):
    code, out, err = run(capsys, "search", "hai phong", "--corpus", sample_index)
    assert code == 1 and out == ""
    assert "holds a vnsearch index" in err and "--index DIR" in err


def test_sample_corpus_copy_is_complete():
    # The wheel ships sample_corpus/*.txt; nothing else in that folder would be installed.
    assert {p.suffix for p in SAMPLE_CORPUS.iterdir()} == {".txt"}


def test_flags_and_help_come_from_the_loaders_and_the_schema(capsys):
    from vnsearch.documents.options import FORMATS, RECORD_FIELDS
    from vnsearch.schema import FIELD_TYPES

    code, out, _ = run(capsys, "index", "--help")
    assert code == 0
    out = " ".join(out.split())  # argparse wraps the help text
    for field in RECORD_FIELDS:
        assert f"--{field.name}-field KEY" in out
    assert "--clean-pages" in out and "--no-clean-pages" in out
    assert all(kind in out for kind in FIELD_TYPES) and ", ".join(FORMATS) in out
    code, _, err = run(capsys, "index", "x.jsonl", "--index", "ix", "--field", "views:count")
    assert code == 2 and f"TYPE one of {', '.join(FIELD_TYPES)}" in err


def test_progress_estimate_counts_the_files_the_loaders_read(tmp_path):
    def write(name: str, size: int) -> None:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)

    write("a.jsonl", 10)
    write("sub/b.MD", 20)
    write("notes.docx", 1000)  # no loader reads it
    write(".hidden/c.txt", 1000)  # hidden: the walk skips it
    assert cli._input_bytes(tmp_path, None) == 30
    assert cli._input_bytes(tmp_path, "txt") == 1030  # --format reads every file


def test_index_reports_keys_the_index_does_not_keep(capsys, tmp_path):
    data = _jsonl(tmp_path / "d.jsonl", {"id": "1", "body": "Mưa lớn", "source": "vnexpress", "views": 3})
    code, out, err = run(capsys, "index", data, "--index", tmp_path / "ix", "--field", "views:number")
    assert code == 0, err
    assert "not kept (the index has no field for them): source; declare one with --field source:stored" in out


@pytest.mark.parametrize("data, found", [
    ('{"id": "a", "title": "Hà Nội mùa thu"}\n{"id": "b", "title": "Cảng Hải Phòng"}\n', "b"),
    ('[{"id": "a", "title": "Hà Nội mùa thu"}, {"id": "b", "title": "Cảng Hải Phòng"}]', "b"),
    ("Cảng Hải Phòng đón tàu lớn.\n", "stdin.txt"),
])
def test_index_reads_standard_input_as_dash(capsys, monkeypatch, tmp_path, data, found):
    import tempfile

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data.encode("utf-8")), encoding="utf-8"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # to see that the spooled copy goes
    code, _, err = run(capsys, "index", "-", "--index", tmp_path / "ix")
    assert code == 0, err
    code, out, _ = run(capsys, "search", "hai phong", "--index", tmp_path / "ix", "--json")
    assert [hit["id"] for hit in json.loads(out)["hits"]] == [found]
    assert not list(tmp_path.glob("vnsearch-stdin-*"))


def test_index_takes_standard_input_once(capsys, tmp_path):
    code, _, err = run(capsys, "index", "-", "-", "--index", tmp_path / "ix")
    assert code == 2 and "once" in err
