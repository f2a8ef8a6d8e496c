"""Tests for vnsearch.documents.decoding: encodings, binary files, gzip, unreadable files."""

from __future__ import annotations

import os

import pytest

from vnsearch.documents import (
    SkippedRecord,
    load,
)
from vnsearch.errors import DocumentError

from loader_helpers import jsonl, write

VI_RECORD = {"title": "Hòa bình", "body": "Đà Nẵng, Huế và Hà Nội"}


@pytest.mark.parametrize(
    "encoding, bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")]
)
@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".txt"])
def test_encodings(tmp_path, encoding, bom, suffix):
    if suffix == ".jsonl":
        text = jsonl(VI_RECORD)
    elif suffix == ".csv":
        text = "title,body\r\nHòa bình,\"Đà Nẵng, Huế và Hà Nội\"\r\n"
    else:
        text = "Hòa bình\r\n\r\nĐà Nẵng, Huế và Hà Nội\r\n"
    path = write(tmp_path / f"tin{suffix}", bom + text.encode(encoding))
    (doc,) = load(path)
    assert (doc.title, doc.body) == (VI_RECORD["title"], VI_RECORD["body"])


@pytest.mark.parametrize(
    "codec, encoded, title",
    [
        ("cp1258", b"H\xe0 N\xf4\xf2i", "Hà Nội"),  # Windows-1258 writes "ộ" as "ô" + combining dot
        ("latin-1", b"H\xe0 N\xf4i", "Hà Nôi"),
    ],
)
def test_legacy_encoding_is_an_error_naming_the_file(tmp_path, codec, encoded, title):
    data = b'{"body": "ok"}\n{"title": "' + encoded + b'"}\n'
    path = write(tmp_path / "cu.jsonl", data)
    docs = load(path)
    assert next(docs).body == "ok"
    with pytest.raises(DocumentError) as info:
        next(docs)
    offset = data.index(b"\xe0")
    assert str(info.value) == (
        f"{path}:2: is not UTF-8 or UTF-16 (found byte 0xe0 at offset {offset}); re-save it as UTF-8"
    )
    assert [d.title for d in load(path, encoding=codec)][1] == title


def test_binary_file_with_a_known_suffix(tmp_path):
    path = write(tmp_path / "anh.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DocumentError, match=r"anh.txt: is a binary file"):
        list(load(path))
    utf16 = write(tmp_path / "khong-bom.jsonl", jsonl(VI_RECORD).encode("utf-16-le"))
    with pytest.raises(DocumentError, match="UTF-16 without a byte-order mark"):
        list(load(utf16))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path):
    path = write(tmp_path / "khoa.jsonl", jsonl({"body": "x"}))
    path.chmod(0)
    try:
        with pytest.raises(DocumentError, match="permission denied"):
            list(load(path))
    finally:
        path.chmod(0o644)


def test_permission_denied_is_a_document_error(tmp_path, monkeypatch):
    from vnsearch.documents import decoding

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    path = write(tmp_path / "khoa.jsonl", jsonl({"body": "x"}))
    monkeypatch.setattr(decoding, "open", refuse, raising=False)
    with pytest.raises(DocumentError, match="khoa.jsonl: cannot read it: permission denied"):
        list(load(path))
    skipped: list[SkippedRecord] = []
    assert list(load(tmp_path, errors="skip", on_skip=skipped.append)) == []
    assert [s.reason for s in skipped] == ["cannot read it: permission denied"]


def test_bad_gzip(tmp_path):
    path = write(tmp_path / "hong.jsonl.gz", b"not gzip at all")
    with pytest.raises(DocumentError, match="not a valid gzip file"):
        list(load(path))
