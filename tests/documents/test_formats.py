"""Tests for vnsearch.documents.formats: the JSON Lines, JSON, CSV and TSV readers."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

from vnsearch.documents import (
    SkippedRecord,
    load,
)
from vnsearch.errors import DocumentError

from loader_helpers import jsonl, write


def test_jsonl(tmp_path):
    path = write(
        tmp_path / "tin.jsonl",
        jsonl({"id": "a", "title": "Hà Nội", "body": "Thủ đô"})
        + "\n   \n"
        + jsonl({"title": "Đà Nẵng", "text": "Thành phố biển", "date": "2020-07-10"}),
    )
    docs = list(load(path))
    assert [d.id for d in docs] == ["a", "tin.jsonl:4"]
    assert docs[1].source == f"{path}:4"
    assert docs[1].date == dt.datetime(2020, 7, 10)


def test_ndjson_gz_and_format_override(tmp_path):
    path = tmp_path / "tin.ndjson.gz"
    path.write_bytes(gzip.compress(jsonl({"body": "Hà Nội"}).encode()))
    assert [d.id for d in load(path)] == ["tin.ndjson.gz:1"]
    other = write(tmp_path / "tin.data", jsonl({"body": "Huế"}))
    assert [d.body for d in load(other, format="jsonl")] == ["Huế"]
    with pytest.raises(DocumentError, match=r"unknown file type '.data'"):
        load(other)
    with pytest.raises(DocumentError, match="unknown format 'xml'"):
        load(other, format="xml")


def test_malformed_jsonl_line_names_path_and_line(tmp_path):
    path = write(tmp_path / "tin.jsonl", jsonl({"body": "một"}) + '{"body": "hai",\n' + jsonl({"body": "ba"}))
    docs = load(path)
    assert next(docs).body == "một"  # streamed: the good line comes before the error
    with pytest.raises(DocumentError) as info:
        next(docs)
    assert str(info.value).startswith(f"{path}:2: not valid JSON")
    assert (info.value.path, info.value.line) == (str(path), 2)


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = write(tmp_path / "tin.jsonl", '["Hà Nội"]\n')
    with pytest.raises(DocumentError, match=r":1: expected a JSON object, found a list"):
        list(load(path))


def test_skip_mode_reports_and_continues(tmp_path):
    path = write(
        tmp_path / "tin.jsonl",
        jsonl({"body": "một"}) + "{oops\n" + jsonl({"id": 3, "url": "x"}) + jsonl({"body": "bốn", "date": "??"})
        + jsonl({"body": "năm"}),
    )
    skipped: list[SkippedRecord] = []
    docs = list(load(path, errors="skip", on_skip=skipped.append))
    assert [d.body for d in docs] == ["một", "năm"]
    assert [(s.path, s.line) for s in skipped] == [(str(path), 2), (str(path), 3), (str(path), 4)]
    assert "not valid JSON" in skipped[0].reason
    assert "has no text" in skipped[1].reason
    assert "bad date" in skipped[2].reason and "'??'" in skipped[2].reason
    assert str(skipped[1]).startswith(f"{path}:3: has no text")
    assert [d.body for d in load(path, errors="skip")] == ["một", "năm"]  # no callback: dropped
    with pytest.raises(ValueError):
        load(path, errors="ignore")  # type: ignore[arg-type]


def test_json_array(tmp_path):
    records = [{"title": "Hà Nội", "body": "một"}, {"id": "x", "body": "hai"}, {"body": "ba"}]
    path = write(tmp_path / "tin.json", json.dumps(records, ensure_ascii=False, indent=2))
    docs = list(load(path))
    assert [d.id for d in docs] == ["tin.json[0]", "x", "tin.json[2]"]
    assert docs[0].source == f"{path}:2"


def test_json_array_bad_item_names_record_index(tmp_path):
    path = write(tmp_path / "tin.json", '[{"body": "một"},\n {"title": ""},\n 5]')
    with pytest.raises(DocumentError) as info:
        list(load(path))
    assert str(info.value).startswith(f"{path}:2: item [1]: has no text")
    skipped: list[SkippedRecord] = []
    assert [d.body for d in load(path, errors="skip", on_skip=skipped.append)] == ["một"]
    assert [s.reason for s in skipped] == [
        "item [1]: has no text (expected a 'body' or 'title' key)",
        "item [2]: expected a JSON object, found a number",
    ]


def test_json_object_per_line_and_single_object(tmp_path):
    lines = write(tmp_path / "a.json", '{"body": "một"}\n{"body": "hai"}\n')
    assert [d.id for d in load(lines)] == ["a.json:1", "a.json:2"]
    single = write(tmp_path / "b.json", '{"body": "một", "id": 7}')
    assert [d.id for d in load(single)] == ["7"]
    broken = write(tmp_path / "c.json", '[{"body": "một"},\n{"body": tru}]')
    with pytest.raises(DocumentError, match=r"c.json:2: not valid JSON"):
        list(load(broken))


def test_json_array_streams_across_chunks(tmp_path):
    records = [{"body": f"Bài số {i} " + "x" * 50, "n": 12345678901234567890 + i} for i in range(3000)]
    path = write(tmp_path / "big.json", json.dumps(records, ensure_ascii=False))  # one long line
    docs = list(load(path))
    assert len(docs) == 3000
    assert docs[-1].fields["n"] == 12345678901234567890 + 2999
    assert docs[2999].id == "big.json[2999]"


def test_csv(tmp_path):
    path = write(
        tmp_path / "tin.csv",
        'id,Title,body,tags,date,views\n'
        '1,Hà Nội,"Thủ đô, ""trái tim""\nvà dòng hai",thời sự;xã hội,10/07/2020,426\n'
        '\n'
        ',Huế,Cố đô,,,\n',
    )
    docs = list(load(path))
    assert [d.id for d in docs] == ["1", "tin.csv:5"]
    assert docs[0].body == 'Thủ đô, "trái tim"\nvà dòng hai'
    assert docs[0].title == "Hà Nội"
    assert docs[0].tags == ("thời sự", "xã hội")
    assert docs[0].date == dt.datetime(2020, 7, 10)
    assert dict(docs[0].fields) == {"views": "426"}
    assert docs[1].source == f"{path}:5"


def test_csv_bad_rows(tmp_path):
    path = write(tmp_path / "tin.csv", "title,body\nA,một\nB,hai,thừa\nC,\n,\nD,bốn,\n")
    with pytest.raises(DocumentError, match=r"tin.csv:3: has 3 cells but the header has 2"):
        list(load(path))
    skipped: list[SkippedRecord] = []
    docs = list(load(path, errors="skip", on_skip=skipped.append))
    assert [d.title for d in docs] == ["A", "C", "D"]  # a title alone is text; trailing empty cell is fine
    assert [s.line for s in skipped] == [3]
    dupes = write(tmp_path / "dupes.csv", "body,body\nx,y\n")
    with pytest.raises(DocumentError, match="names column 'body' twice"):
        list(load(dupes))


def test_tsv(tmp_path):
    path = write(tmp_path / "tin.tsv", "title\tbody\nHà Nội\tThủ đô, nghìn năm\n")
    (doc,) = load(path)
    assert (doc.id, doc.title, doc.body) == ("tin.tsv:2", "Hà Nội", "Thủ đô, nghìn năm")
