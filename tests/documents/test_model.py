"""Tests for vnsearch.documents.model: Document is NFC, frozen, hashable and picklable."""

from __future__ import annotations

import datetime as dt
import pickle
import unicodedata

import pytest

from vnsearch.documents import (
    Document,
)
from vnsearch.errors import DocumentError

from loader_helpers import nfd


def test_document_text_is_nfc_on_construction():
    doc = Document(
        id=nfd("bài-viết"),
        title=nfd("  Hoà bình ở Đà Nẵng "),
        body=nfd("Người dân kỹ lưỡng"),
        tags=[nfd("thời sự"), nfd("thời sự"), " ", nfd("kinh tế")],
        fields={"tác giả": nfd("Hoàng Tùng")},
    )
    assert doc.id == "bài-viết"
    assert doc.title == "Hoà bình ở Đà Nẵng"  # NFC only: "hoà" is not changed to "hòa"
    assert doc.body == "Người dân kỹ lưỡng"
    assert doc.tags == ("thời sự", "kinh tế")
    assert doc.fields["tác giả"] == "Hoàng Tùng"
    assert unicodedata.is_normalized("NFC", doc.title + doc.body)


def test_document_is_frozen_hashable_and_picklable():
    doc = Document(id="1", title="Hà Nội", fields={"tags": ["a", "b"], "meta": {"x": 1}}, source="a.jsonl:1")
    with pytest.raises(AttributeError):
        doc.title = "khác"  # type: ignore[misc]
    with pytest.raises(TypeError):
        doc.fields["new"] = 1  # type: ignore[index]
    assert doc.fields["tags"] == ("a", "b")
    assert hash(doc) == hash(Document(id="1", title="Hà Nội", fields={"tags": ("a", "b"), "meta": {"x": 1}}))
    assert doc == Document(id="1", title="Hà Nội", fields={"tags": ["a", "b"], "meta": {"x": 1}}, source="b")
    assert pickle.loads(pickle.dumps(doc)) == doc


def test_document_dates_are_naive_utc():
    aware = dt.datetime(2020, 7, 10, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert Document(id="1", body="x", date=aware).date == dt.datetime(2020, 7, 10, 10, 0)
    assert Document(id="1", body="x", date=dt.date(2020, 7, 10)).date == dt.datetime(2020, 7, 10)
    assert Document(id="1", body="x", date="10/07/2020 17:00").date == dt.datetime(2020, 7, 10, 17, 0)


def test_document_needs_an_id():
    with pytest.raises(DocumentError, match="non-empty id"):
        Document(id="  ", body="x")
    with pytest.raises(TypeError):
        Document(id="1", title=5)  # type: ignore[arg-type]


def test_fields_pickled_before_the_split_still_load():
    from vnsearch.documents.model import FrozenMap

    # pickle.dumps(_FrozenMap({"x": 1}), 4) as written by the code before the split:
    old = b"\x80\x04\x952\x00\x00\x00\x00\x00\x00\x00\x8c\x12vnsearch.documents\x94\x8c\n_FrozenMap\x94\x93\x94}\x94\x8c\x01x\x94K\x01s\x85\x94R\x94."
    value = pickle.loads(old)
    assert isinstance(value, FrozenMap) and dict(value) == {"x": 1}
