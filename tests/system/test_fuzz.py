"""Fuzzing the loaders and the query parser with hypothesis.

The promise under test: whatever bytes a file holds and whatever a user types, only
`VnsearchError` subclasses escape (`DocumentError` for files, `QuerySyntaxError` and friends
for queries), skip mode never raises for a bad record, and every query answers in bounded time.
Example counts are modest so the suite stays fast; ``VNSEARCH_FUZZ_EXAMPLES`` scales them for
a longer run (see benchmarks/reliability.md).
"""

from __future__ import annotations

import gzip
import html.parser
import json
import os
import time
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vnsearch
from vnsearch import DocumentError, VnsearchError, load
from vnsearch.documents import decoding, documents_from

from conftest import NEWS, SAMPLE_CORPUS

SCALE = float(os.environ.get("VNSEARCH_FUZZ_EXAMPLES", "1"))
QUERY_BOUND = 2.0  # CPU seconds; generous: the slowest query seen is recorded in reliability.md


def fuzz_settings(examples: int):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


# -- loaders --------------------------------------------------------------------------------------

VIETNAMESE = "Hà Nội Hải Phòng Đảng ủy khối người dân chợ phiên bàn gỗ lim ngựa vằn".split()
PIECES = [
    b"{", b"}", b"[", b"]", b'"', b",", b":", b"\n", b"\r\n", b"\t", b" ", b"\\", b'\\"', b"\\ud800",
    b'"id"', b'"title"', b'"body"', b'"date"', b'"tags"', b'"url"', b"null", b"true", b"1e999",
    b"-0", b"123456789012345678901234567890", b"\xef\xbb\xbf", b"\xff\xfe", b"\x00", b"\xe0", b"\xff",
    b"\xe1\xbb", b"\xc3", b"---\n", b"title: x\n", b"id,title,body\n", b'"a""b"', b"10/07/2020",
    b"2020-07-10T17:00+07:00", b"Ng\xc3\xa0y \xc4\x91\xc4\x83ng", b"QR CODE: x", b"Tin kh\xc3\xa1c",
] + [w.encode() for w in VIETNAMESE]

structured_bytes = st.lists(st.sampled_from(PIECES) | st.binary(max_size=6), max_size=40).map(b"".join)
file_bytes = structured_bytes | st.binary(max_size=300)

records_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=12,
)
record_keys = st.sampled_from(["id", "ID", "_id", "title", "Headline", "body", "text", "content", "date", "url", "tags", "x"])
records = st.dictionaries(record_keys | st.text(max_size=6), records_json, max_size=6)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _drain(path: Path, errors: str, **options) -> tuple[list, list]:
    skipped: list = []
    docs = list(load(path, errors=errors, on_skip=skipped.append, **options))
    return docs, skipped


@fuzz_settings(400)
@given(
    data=file_bytes,
    suffix=st.sampled_from([".jsonl", ".json", ".csv", ".tsv", ".txt", ".md", ".jsonl.gz", ".csv.gz"]),
    compress=st.booleans(),
    chunk=st.sampled_from([7, 64, 65536]),
)
def test_loaders_raise_only_document_errors(folder, data, suffix, compress, chunk):
    path = folder / f"input{suffix}"
    path.write_bytes(gzip.compress(data) if compress and suffix.endswith(".gz") else data)
    with mock.patch.object(decoding, "CHUNK", chunk):  # small reads cross every boundary
        try:
            strict, _ = _drain(path, "strict")
        except DocumentError as error:
            assert error.path == str(path)
            strict = None
        docs, skipped = _drain(path, "skip")
    assert all(isinstance(d, vnsearch.Document) for d in docs)
    assert all(s.path == str(path) for s in skipped)
    if strict is not None:
        assert docs == strict and not skipped


good_line = st.builds(
    lambda i, words: {"id": f"r{i}", "title": " ".join(words) or "x"},
    st.integers(0, 10**6),
    st.lists(st.sampled_from(VIETNAMESE), max_size=5),
)
bad_bytes = st.sampled_from([b"\xe0", b"\xff", b"\xc3", b"\xe1\xbb", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])


@fuzz_settings(150)
@given(
    lines=st.lists(st.tuples(good_line, st.none() | bad_bytes, st.booleans()), min_size=1, max_size=25),
    chunk=st.integers(1, 40),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    fmt=st.sampled_from(["jsonl", "csv"]),
)
def test_skip_mode_drops_exactly_the_misencoded_lines(folder, lines, chunk, crlf, final_newline, fmt):
    """Lines holding invalid UTF-8 are reported one by one; every other line is read."""
    end = b"\r\n" if crlf else b"\n"
    out = [b"id,title"] if fmt == "csv" else []
    first = 2 if fmt == "csv" else 1
    expected, bad_numbers = [], []
    for number, (record, bad, early) in enumerate(lines, first):
        record = {**record, "id": f"{record['id']}-{number}"}
        if fmt == "csv":
            text = f"{record['id']},\"{record['title']}\"".encode()
        else:
            text = json.dumps(record, ensure_ascii=False).encode()
        if bad is not None:
            cut = 2 if early else len(text) - 1
            text = text[:cut] + bad + text[cut:]
            bad_numbers.append(number)
        else:
            expected.append(record["id"])
        out.append(text)
    path = folder / f"lines.{fmt}"
    path.write_bytes(end.join(out) + (end if final_newline else b""))
    with mock.patch.object(decoding, "CHUNK", chunk):
        docs, skipped = _drain(path, "skip")
    assert [d.id for d in docs] == expected
    assert [s.line for s in skipped] == bad_numbers
    assert all("UTF-8" in s.reason for s in skipped)


@fuzz_settings(200)
@given(items=st.lists(records | records_json, max_size=6))
def test_records_raise_only_document_errors(items):
    try:
        strict = list(documents_from(items))
    except DocumentError:
        strict = None
    skipped: list = []
    docs = list(documents_from(items, errors="skip", on_skip=skipped.append))
    assert len(docs) + len(skipped) == len(items)
    if strict is not None:
        assert docs == strict


# -- queries --------------------------------------------------------------------------------------

QUERY_TOKENS = [
    "hải", "phòng", "Hải Phòng", "đảng", "ủy", "uỷ", "dang uy", "chợ", "bàn", "gỗ", "x", "a1", "2020",
    "10/7/2019", "TP.HCM", "e@x.vn", "http://a.vn/x", "ngựa", "Đ", "ǅ", "ß", "İ", "ﬁ", "\u0301", "\u200b",
    "AND", "OR", "NOT", "and", "&&", "||", "+", "-", "(", ")", '"', "'", "~", "~2", "~99", "*", "?",
    "^2", ":", "[", "]", "{", "}", " TO ", "TO", ">=", "<=", ">", "<", "=", "\\", "/", "!", ",", ".", "…",
    "title:", "body:", "date:", "tags:", "id:", "url:", "author:", "section:", "published:", "views:",
    "raw:", "nope:", "title_f:", "body_f:", "date:[", "tags:(", 'title:"', "-title:", "+date:",
    "2020-07", "2020-07-10", "10/07/2020", "1900", "0000", "0001", "-1", "1e309", "nan", "inf",
    "thoi-su", "doi-song", "<script>", "&amp;", "9999", "9999-12-31", "((((((((((", "))))))))))",
]
query_text = st.lists(
    st.sampled_from(QUERY_TOKENS) | st.text(max_size=4),
    max_size=30,
).flatmap(lambda parts: st.lists(st.sampled_from(["", " ", "  "]), min_size=len(parts), max_size=len(parts)).map(
    lambda seps: "".join(p + s for p, s in zip(parts, seps))
))


@pytest.fixture(scope="module")
def fuzz_index():
    index = vnsearch.Index.create(
        None, fields={"author": "text", "section": "keyword", "published": "date", "views": "number", "raw": "stored"}
    )
    index.add([{**doc, "author": "Hoàng Tùng", "section": "tin", "published": doc["date"], "views": i}
               for i, doc in enumerate(NEWS)])
    index.add_path(SAMPLE_CORPUS)
    return index


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)


def test_queries_raise_only_vnsearch_errors_in_bounded_time(fuzz_index):
    """Arbitrary query text, lenient and strict: a VnsearchError or results, never anything
    else, each within QUERY_BOUND seconds; the result pages render."""
    slowest: list[tuple[float, str]] = [(0.0, ""), (0.0, "")]  # wall clock, CPU
    counts = {"results": 0, "errors": 0}

    @fuzz_settings(200)
    @given(query=query_text | st.text(max_size=200))
    def run(query):
        for strict in (False, True):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                results = fuzz_index.search(query, strict=strict)
            except VnsearchError:
                counts["errors"] += 1
                results = None
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            slowest[0] = max(slowest[0], (elapsed, query))
            slowest[1] = max(slowest[1], (cpu, query))
            # CPU time: other jobs on a shared machine must not fail the bound.
            assert cpu < QUERY_BOUND, (query, strict, cpu)
            if results is not None:
                counts["results"] += 1
                repr(results)
                parser = _Tags()
                parser.feed(results._repr_html_())
                assert not parser.tags & {"script", "img", "iframe"}

    run()
    print(
        f"\nquery fuzz: {counts}; slowest {slowest[0][0] * 1000:.0f} ms wall for {slowest[0][1]!r}, "
        f"{slowest[1][0] * 1000:.0f} ms CPU for {slowest[1][1]!r}"
    )
    assert counts["results"] and counts["errors"]


# Regressions the fuzzer found (fixed in query.py): each raised a non-vnsearch exception.
@pytest.mark.parametrize(
    "query",
    [
        "tags:(thoi-su OR doi-song)",  # a group on a keyword field: whoosh TermNotFound
        'date:"2020"',
        "id:(hp-1)",
        "views:(5)",
        pytest.param("(" * 1500 + "hải phòng", id="1500-parentheses"),  # RecursionError
        "date:9999-12-31",  # OverflowError past the last representable day
    ],
)
def test_query_regressions_raise_only_vnsearch_errors(fuzz_index, query):
    for strict in (False, True):
        try:
            fuzz_index.search(query, strict=strict)
        except VnsearchError:
            pass
