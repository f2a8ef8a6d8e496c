"""Tests for vnsearch.documents.records, through Document.from_record: the keys guessed, values read."""

from __future__ import annotations

import datetime as dt

import pytest

from vnsearch.documents import (
    Document,
)
from vnsearch.errors import DocumentError

from loader_helpers import nfd


def test_from_record_default_keys():
    doc = Document.from_record(
        {
            "_id": 17,
            "headline": "Hà Nội mở rộng",
            "content": ["Đoạn một.", "Đoạn hai."],
            "Published": "2020-07-10T17:00:00+07:00",
            "link": "https://example.vn/a",
            "categories": "Thời sự; Kinh tế, Xã hội",
            "author": "Hoàng Tùng",
            "views": 426,
            "nested": {"skip": True},
            "empty": "",
        }
    )
    assert doc.id == "17"
    assert doc.title == "Hà Nội mở rộng"
    assert doc.body == "Đoạn một.\n\nĐoạn hai."
    assert doc.date == dt.datetime(2020, 7, 10, 10, 0)
    assert doc.url == "https://example.vn/a"
    assert doc.tags == ("Thời sự", "Kinh tế", "Xã hội")
    assert dict(doc.fields) == {"author": "Hoàng Tùng", "views": 426}


def test_from_record_explicit_fields():
    record = {"ma": "x1", "tieu_de": "Tiêu đề", "noi_dung": "Nội dung", "ngay": "30/07/2019", "a": 1, "b": [1]}
    doc = Document.from_record(
        record, id_field="ma", title_field="tieu_de", body_field="noi_dung", date_field="ngay", fields=["b"]
    )
    assert (doc.id, doc.title, doc.body, doc.date) == ("x1", "Tiêu đề", "Nội dung", dt.datetime(2019, 7, 30))
    assert dict(doc.fields) == {"b": (1,)}
    assert dict(Document.from_record(record, body_field="noi_dung", fields=False).fields) == {}


def test_from_record_without_text():
    with pytest.raises(DocumentError, match=r"has no text \(expected a 'body' or 'title' key\)"):
        Document.from_record({"id": 1, "url": "https://example.vn"})
    with pytest.raises(DocumentError, match="expected a 'noi_dung' or 'title' key"):
        Document.from_record({"id": 1, "body": "x"}, body_field="noi_dung")


def test_from_record_bad_date_names_the_value():
    with pytest.raises(DocumentError, match="bad date in 'date': cannot read 'hôm qua' as a date"):
        Document.from_record({"body": "x", "date": "hôm qua"})


def test_from_record_without_id_uses_a_content_hash():
    a = Document.from_record({"title": "Hà Nội", "body": "Thủ đô"})
    b = Document.from_record({"title": nfd("Hà Nội"), "body": nfd("Thủ đô")})
    c = Document.from_record({"title": "Hà Nội", "body": "Thủ đô!"})
    assert a.id == b.id != c.id
    assert a.id.startswith("doc-") and len(a.id) == 20
    assert Document.from_record({"body": "x"}, default_id="f.jsonl:3").id == "f.jsonl:3"


def test_from_record_refuses_objects_as_text():
    with pytest.raises(DocumentError, match="'body' must be text, not an object"):
        Document.from_record({"body": {"vi": "x"}})
