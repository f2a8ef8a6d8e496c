"""Size limits: a gzip bomb and records over max_record_chars end in a DocumentError naming the
file (and line), and with errors="skip" the file's other records are kept."""

from __future__ import annotations

import gzip

import pytest

from vnsearch.documents import load
from vnsearch.documents.options import LoadOptions
from vnsearch.errors import DocumentError


def test_a_gzip_bomb_stops_at_max_file_bytes(tmp_path):
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb") as out:
        for _ in range(200):
            out.write(b'{"body": "xin ch\xc3\xa0o"}\n' * 500)  # 2.4 MB unpacked, about 10 KB packed
    assert path.stat().st_size < 50_000
    with pytest.raises(DocumentError, match="max_file_bytes") as caught:
        list(load(path, max_file_bytes=100_000))
    assert caught.value.path == str(path)
    assert len(list(load(path))) == 100_000  # the default lets it through


def test_an_oversized_jsonl_line(tmp_path):
    path = tmp_path / "news.jsonl"
    path.write_text('{"body": "một"}\n{"body": "' + "a" * 5_000 + '"}\n{"body": "ba"}\n', encoding="utf-8")
    with pytest.raises(DocumentError, match="max_record_chars") as caught:
        list(load(path, max_record_chars=1_000))
    assert (caught.value.path, caught.value.line) == (str(path), 2)
    skipped = []
    docs = list(load(path, max_record_chars=1_000, errors="skip", on_skip=skipped.append))
    assert [(d.id, d.body) for d in docs] == [("news.jsonl:1", "một"), ("news.jsonl:3", "ba")]
    assert [(s.path, s.line) for s in skipped] == [(str(path), 2)]


def test_an_oversized_line_in_small_chunks(tmp_path):
    """A line far over the limit, read through many chunks, is never held whole."""
    path = tmp_path / "news.jsonl"
    path.write_text('{"body": "' + "a" * 300_000 + '"}\n{"body": "hai"}\n', encoding="utf-8")
    skipped = []
    docs = list(load(path, max_record_chars=70_000, errors="skip", on_skip=skipped.append))
    assert [(d.id, d.body) for d in docs] == [("news.jsonl:2", "hai")]
    assert [s.line for s in skipped] == [1]


def test_an_oversized_csv_field(tmp_path):
    path = tmp_path / "news.csv"
    path.write_text("id,body\n1,một\n2," + "a" * 5_000 + "\n3,ba\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="max_record_chars") as caught:
        list(load(path, max_record_chars=1_000))
    assert (caught.value.path, caught.value.line) == (str(path), 3)
    skipped = []
    docs = list(load(path, max_record_chars=1_000, errors="skip", on_skip=skipped.append))
    assert [(d.id, d.body) for d in docs] == [("1", "một"), ("3", "ba")]
    assert [s.line for s in skipped] == [3]


def test_an_oversized_text_file(tmp_path):
    (tmp_path / "a.txt").write_text("Tiêu đề\n\n" + "aa" * 3_000, encoding="utf-8")
    (tmp_path / "b.txt").write_text("Chợ phiên\n\nNội dung ngắn.", encoding="utf-8")
    with pytest.raises(DocumentError, match="max_record_chars") as caught:
        list(load(tmp_path, max_record_chars=1_000))
    assert caught.value.path == str(tmp_path / "a.txt")
    skipped = []
    docs = list(load(tmp_path, max_record_chars=1_000, errors="skip", on_skip=skipped.append))
    assert [d.id for d in docs] == ["b.txt"]
    assert [s.path for s in skipped] == [str(tmp_path / "a.txt")]


def test_an_oversized_json_item(tmp_path):
    path = tmp_path / "news.json"
    path.write_text('[{"body": "một"}, {"body": "' + "a" * 300_000 + '"}]', encoding="utf-8")
    with pytest.raises(DocumentError, match="max_record_chars") as caught:
        list(load(path, max_record_chars=100_000))
    assert caught.value.path == str(path)


@pytest.mark.parametrize("value", [0, -1, 1.5, True, "10"])
def test_limits_must_be_positive_whole_numbers(value):
    with pytest.raises(ValueError, match="max_record_chars"):
        LoadOptions(max_record_chars=value)


def test_a_quoted_csv_field_over_many_lines(tmp_path):
    """Each line is short, the row is not: the row's characters are counted across its lines."""
    path = tmp_path / "news.csv"
    path.write_text('id,body\n1,một\n2,"' + "chợ phiên\n" * 500 + '"\n3,ba\n', encoding="utf-8")
    with pytest.raises(DocumentError, match="the row is longer than 1,000") as caught:
        list(load(path, max_record_chars=1_000))
    assert caught.value.path == str(path)
    skipped = []  # inside an open quote there is no line to resume at: the rest of the file goes
    assert [d.id for d in load(path, max_record_chars=1_000, errors="skip", on_skip=skipped.append)] == ["1"]
    assert [s.path for s in skipped] == [str(path)]
    assert [d.id for d in load(path)] == ["1", "2", "3"]
