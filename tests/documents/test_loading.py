"""Tests for vnsearch.documents.loading: folders, paths, documents_from, and the one folder walk."""

from __future__ import annotations

import gzip
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnsearch.documents import (
    Document,
    SkippedRecord,
    documents_from,
    load,
)
from vnsearch.errors import DocumentError, VnsearchError

from loader_helpers import jsonl, nfd, write


def test_folder_recursion_order_and_stable_ids(tmp_path):
    root = tmp_path / "kho"
    write(root / "b.jsonl", jsonl({"body": "b1"}, {"body": "b2"}))
    write(root / "a" / "z.txt", "Nội dung z.")
    write(root / "a" / nfd("ă.txt"), nfd("Nội dung ă."))  # as macOS names it: ids are NFC
    write(root / "c.csv", "body\nc1\n")
    write(root / "a.json", '[{"body": "a0"}]')
    write(root / ".an" / "x.txt", "ẩn")
    write(root / ".ẩn.txt", "ẩn")
    write(root / "ghi-chu.docx", b"\x00\x01binary")
    write(root / "README", "không có đuôi")
    first = [(d.id, d.body) for d in load(root)]
    assert first == [
        ("a/z.txt", "Nội dung z."),
        ("a/ă.txt", "Nội dung ă."),
        ("a.json[0]", "a0"),
        ("b.jsonl:1", "b1"),
        ("b.jsonl:2", "b2"),
        ("c.csv:2", "c1"),
    ]
    assert [(d.id, d.body) for d in load(str(root))] == first
    (root / "ghi-chu.docx").unlink()
    assert [d.id for d in load(root, format="txt")][:3] == ["README", "a/z.txt", "a/ă.txt"]


def test_folder_skip_mode_skips_a_bad_file(tmp_path):
    write(tmp_path / "a.txt", "Một bài viết.")
    write(tmp_path / "b.txt", b"H\xe0 N\xf4\xf2i")  # "Hà Nội" in Windows-1258
    write(tmp_path / "c.txt", "Bài viết khác.")
    with pytest.raises(DocumentError, match=r"b.txt:1: is not UTF-8"):
        list(load(tmp_path))
    skipped: list[SkippedRecord] = []
    assert [d.id for d in load(tmp_path, errors="skip", on_skip=skipped.append)] == ["a.txt", "c.txt"]
    assert skipped[0].path == str(tmp_path / "b.txt")


def test_empty_inputs_yield_nothing(tmp_path):
    for name in ("a.jsonl", "b.json", "c.csv", "d.txt", "e.tsv"):
        assert list(load(write(tmp_path / "files" / name, b""))) == []
    assert list(load(write(tmp_path / "f.txt", " \n\n"))) == []
    (tmp_path / "empty").mkdir()
    assert list(load(tmp_path / "empty")) == []


def test_missing_path(tmp_path):
    with pytest.raises(DocumentError, match="no such file or folder") as info:
        load(tmp_path / "khong-co.jsonl")
    assert info.value.path == str(tmp_path / "khong-co.jsonl")


def test_documents_from():
    existing = Document(id="d", body="sẵn có")
    docs = list(documents_from([{"title": nfd("Hà Nội")}, existing, {"id": 5, "body": "năm"}]))
    assert docs[0].title == "Hà Nội" and docs[0].id.startswith("doc-")
    assert docs[1] is existing
    assert docs[2].id == "5"
    again = list(documents_from([{"title": "Hà Nội"}]))
    assert again[0].id == docs[0].id


def test_documents_from_errors_name_the_record_index():
    records = [{"body": "một"}, {"url": "x"}, "không phải dict", {"body": "bốn"}]
    with pytest.raises(DocumentError, match=r"^record 2: has no text"):
        list(documents_from(records))
    skipped: list[SkippedRecord] = []
    docs = list(documents_from(records, errors="skip", on_skip=skipped.append))
    assert [d.body for d in docs] == ["một", "bốn"]
    assert [(s.path, s.line) for s in skipped] == [(None, 2), (None, 3)]  # 1-based, like lines
    assert str(skipped[1]) == "record 3: expected a dict or a Document, found a string"


_fragments = st.sampled_from(
    [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\r\n", b"\t", b"\x00", b"\xef\xbb\xbf", b"\xff\xfe",
     b'"body"', b'"title"', b'"date"', b'"id"', b"null", b"1e999", b"-", b"10/07/2020", b"\\u00e0", b"\\ud800",
     "Hà Nội".encode(), "Tin khác".encode(), b"QR CODE: x", b"\xe0", b"\xc3", b"...", "…".encode(), b"#", b"---"]
)


_payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(_fragments | st.binary(max_size=5), max_size=40).map(b"".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=_payloads, suffix=st.sampled_from([".jsonl", ".csv", ".txt", ".json", ".tsv", ".md", ".jsonl.gz"]))
def test_load_raises_only_document_errors(tmp_path, payload, suffix):
    path = tmp_path / f"x{suffix}"
    path.write_bytes(gzip.compress(payload) if suffix.endswith(".gz") else payload)
    try:
        docs = list(load(path))
    except VnsearchError as error:
        assert isinstance(error, DocumentError)
    else:
        assert all(isinstance(d, Document) and d.id for d in docs)
    skipped: list[SkippedRecord] = []
    docs = list(load(path, errors="skip", on_skip=skipped.append))  # skip mode never raises
    assert all(isinstance(d, Document) for d in docs)
    assert all(isinstance(s, SkippedRecord) for s in skipped)


# --------------------------------------------------------------------------- the folder walk


def test_walk_is_the_loaders_order_and_skips_hidden_files(tmp_path):
    from vnsearch.documents import walk

    root = tmp_path / "kho"
    for name in ("b.txt", "a/z.txt", "a/" + nfd("ă.txt"), "a.jsonl", ".an/x.txt", ".ẩn.txt", "ghi-chu.docx"):
        write(root / name, jsonl({"body": name}))
    (root / "vong").symlink_to(root, target_is_directory=True)  # not followed: no loop
    (root / "lien-ket.txt").symlink_to(root / "b.txt")  # links to files are followed
    rels = [rel for _, _, rel in walk(root)]
    assert rels == ["a/z.txt", "a/ă.txt", "a.jsonl", "b.txt", "ghi-chu.docx", "lien-ket.txt"]
    assert [d.id for d in load(root)] == ["a/z.txt", "a/ă.txt", "a.jsonl:1", "b.txt", "lien-ket.txt"]
    shown = [shown for _, shown, _ in walk(root, "KHO")]
    assert shown[0] == os.path.join("KHO", "a", "z.txt")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything")
def test_walk_reports_a_folder_it_cannot_read(tmp_path):
    from vnsearch.documents import walk

    write(tmp_path / "khoa" / "a.txt", "x")
    write(tmp_path / "b.txt", "x")
    (tmp_path / "khoa").chmod(0)
    try:
        errors: list[DocumentError] = []
        assert [rel for _, _, rel in walk(tmp_path, on_error=errors.append)] == ["b.txt"]
        assert [str(e) for e in errors] == [f"{tmp_path / 'khoa'}: cannot read it: permission denied"]
        assert [rel for _, _, rel in walk(tmp_path)] == ["b.txt"]
    finally:
        (tmp_path / "khoa").chmod(0o755)
