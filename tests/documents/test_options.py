"""Tests for vnsearch.documents.options: the formats and LoadOptions."""

from __future__ import annotations

import pytest

from vnsearch.documents import FORMATS
from vnsearch.errors import DocumentError


def test_formats_constant():
    assert FORMATS == ("txt", "md", "jsonl", "json", "csv", "tsv")


def test_load_options_check_and_normalise():
    from vnsearch.documents.options import FILE_OPTIONS, LOAD_OPTIONS, RECORD_OPTIONS, LoadOptions

    assert LoadOptions(format=".NDJSON").format == "jsonl"
    with pytest.raises(DocumentError, match="unknown format 'xml'"):
        LoadOptions(format="xml")
    with pytest.raises(DocumentError, match="unknown encoding 'klingon'"):
        LoadOptions(encoding="klingon")
    with pytest.raises(ValueError, match="errors must be 'strict' or 'skip'"):
        LoadOptions(errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="clean_pages must be True or False"):
        LoadOptions(clean_pages="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unknown loader options: body_key"):
        LoadOptions.of({"body_key": "content"})
    options = LoadOptions.of({"body_field": "content", "fields": False, "clean_pages": True})
    assert options.record_options() == {**dict.fromkeys(RECORD_OPTIONS), "body_field": "content", "fields": False}
    assert set(RECORD_OPTIONS) | set(FILE_OPTIONS) | {"errors"} == set(LOAD_OPTIONS)
