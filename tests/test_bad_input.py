"""Bad input: each case gets a clear error or a documented skip, never a traceback or lost data.

Every case goes through the public API (``Index.add_path``, ``Index.add``, ``load``,
``Index.open``) on a real on-disk index. "Clear" means a `VnsearchError` subclass whose
message names the file (and line, for records); with ``errors="skip"`` every good record is
indexed and the report lists each bad one with its file and line.
"""

from __future__ import annotations

import gzip
import html.parser
import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

import vnsearch
from vnsearch import DocumentError, IndexNotFoundError, IndexVersionError, VnsearchError, load
from vnsearch.vietnamese.text import strip_controls


def jsonl(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def news(i: int, **extra: object) -> dict:
    return {"id": f"n{i}", "title": f"Tin số {i} Hải Phòng", "body": "Người dân đi chợ phiên.", **extra}


def index_ids(index: vnsearch.Index) -> list[str]:
    with index.whoosh_index.searcher() as searcher:
        return sorted(fields["id"] for fields in searcher.all_stored_fields())


def where(report) -> list[tuple[str | None, int | None]]:
    """(file name, line) of each skipped record."""
    return [(Path(s.path).name if s.path else None, s.line) for s in report.skipped]


@pytest.fixture
def index(tmp_path):
    ix = vnsearch.Index.create(tmp_path / "ix")
    ix.add([news(0)])  # something already committed, which no failure may take away
    return ix


# -- malformed records ----------------------------------------------------------------------------

BAD_JSONL = jsonl(
    news(1),
    "{not json",  # line 2
    news(2),
    '["a", "list"]',  # line 4: not an object
    {"id": "n-empty", "title": "  ", "body": ""},  # line 5: no text
    "",  # line 6: blank, skipped without a report
    news(3, date="32/13/2020"),  # line 7: bad date
    {"id": ["x"], "body": "id is a list"},  # line 8: bad id
    news(4),
    '{"id": "n5", "body": "cut off',  # line 10: truncated
    news(6),
)


def test_malformed_jsonl_skip_indexes_every_good_record_and_names_each_bad_line(index, tmp_path):
    source = tmp_path / "news.jsonl"
    source.write_text(BAD_JSONL, encoding="utf-8")
    report = index.add_path(source, errors="skip")
    assert index_ids(index) == ["n0", "n1", "n2", "n4", "n6"]
    assert report.added == 4
    assert where(report) == [("news.jsonl", n) for n in (2, 4, 5, 7, 8, 10)]
    assert all(str(source) in str(skip) for skip in report.skipped)


def test_malformed_jsonl_strict_names_the_first_bad_line_and_keeps_the_index(index, tmp_path):
    source = tmp_path / "news.jsonl"
    source.write_text(BAD_JSONL, encoding="utf-8")
    with pytest.raises(DocumentError) as caught:
        index.add_path(source)
    assert str(caught.value).startswith(f"{source}:2: not valid JSON")
    assert (caught.value.path, caught.value.line) == (str(source), 2)
    assert index_ids(index) == ["n0"]  # nothing half-added, nothing lost
    index.add([news(9)])  # and still writable
    assert index_ids(index) == ["n0", "n9"]


def test_malformed_csv_rows(index, tmp_path):
    source = tmp_path / "news.csv"
    source.write_text(
        "id,title,body\n"
        "c1,Hà Nội,Người dân đi chợ\n"
        "c2,Hải Phòng,chợ phiên,một ô thừa\n"  # line 3: too many cells
        "c3,,\n"  # line 4: no text
        "c4,Đồ gỗ,bàn gỗ lim\n"
        ",,\n"  # blank row: skipped without a report
        'c5,"Hà Nội ""mới""","có dấu ngoặc kép, và dấu phẩy"\n'
        "c6,Ngắn\n",  # fewer cells than the header: the missing ones are empty
        encoding="utf-8",
    )
    report = index.add_path(source, errors="skip")
    assert index_ids(index) == ["c1", "c4", "c5", "c6", "n0"]
    assert where(report) == [("news.csv", 3), ("news.csv", 4)]
    assert [hit.title for hit in index.search("mới")] == ['Hà Nội "mới"']


def test_csv_quote_never_closed_is_reported_not_swallowed(index, tmp_path):
    source = tmp_path / "news.csv"
    source.write_text(
        'id,title,body\nc1,Hà Nội,ok\nc2,Hải Phòng,"quên đóng ngoặc\nc3,Đồ gỗ,bàn\nc4,Chợ,rau\n',
        encoding="utf-8",
    )
    report = index.add_path(source, errors="skip")
    assert index_ids(index) == ["c1", "n0"]
    assert where(report) == [("news.csv", 3)]
    assert "never closed" in report.skipped[0].reason and "3-5" in report.skipped[0].reason
    with pytest.raises(DocumentError, match=r"news.csv:3: a quote .* never closed"):
        list(load(source))


def test_csv_with_a_repeated_header_name_is_a_file_error(tmp_path):
    source = tmp_path / "news.csv"
    source.write_text("id,body,body\n1,a,b\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"news.csv:1: the header names column 'body' twice"):
        list(load(source))


def test_records_without_text_or_with_bad_values_via_add(index):
    records = [news(1), {"id": "empty"}, "not a dict", news(2, date="not a date"), {"id": "n3", "body": {"a": 1}}, news(4)]
    report = index.add(records, errors="skip")
    assert index_ids(index) == ["n0", "n1", "n4"]
    assert where(report) == [(None, 2), (None, 3), (None, 4), (None, 5)]
    assert str(report.skipped[0]).startswith("record 2: has no text")
    with pytest.raises(DocumentError, match="record 2: has no text"):
        index.add(records)
    assert index_ids(index) == ["n0", "n1", "n4"]


def test_errors_argument_is_checked(index):
    with pytest.raises(ValueError, match="errors must be"):
        index.add([news(1)], errors="ignore")


# -- encodings ----------------------------------------------------------------------------------


def test_wrong_encoding_names_the_file_line_and_byte(tmp_path):
    source = tmp_path / "cp1258.jsonl"
    source.write_bytes(b'{"id": "1", "body": "Ha Noi"}\n{"id": "2", "body": "H\xe0 N\xf4i"}\n')
    with pytest.raises(DocumentError) as caught:
        list(load(source))
    assert caught.value.line == 2
    assert "not UTF-8" in str(caught.value) and "re-save it as UTF-8" in str(caught.value)
    # Naming the encoding reads it.
    assert [d.body for d in load(source, encoding="cp1258")] == ["Ha Noi", "Hà Nôi"]


def test_one_misencoded_line_skips_only_that_line(index, tmp_path):
    source = tmp_path / "mixed.jsonl"
    good = [json.dumps(news(i), ensure_ascii=False).encode() for i in range(1, 5)]
    source.write_bytes(b"\n".join([good[0], b'{"id": "x", "body": "H\xe0 N\xf4i"}', good[1], good[2], good[3]]) + b"\n")
    report = index.add_path(source, errors="skip")
    assert index_ids(index) == ["n0", "n1", "n2", "n3", "n4"]
    assert where(report) == [("mixed.jsonl", 2)]


def test_misencoded_lines_across_read_chunks(index, tmp_path):
    """Bad bytes at and around the 64 KiB read boundary: each bad line alone is skipped."""
    source = tmp_path / "big.jsonl"
    lines, bad = [], []
    for i in range(1, 1200):
        record = json.dumps(news(i, body="Người dân đi chợ phiên sáng sớm ở Hải Phòng." * 2), ensure_ascii=False)
        if i % 97 == 0:
            lines.append(record.encode().replace("ợ".encode(), b"\xe1\xbb", 1))  # a cut UTF-8 sequence
            bad.append(i)
        else:
            lines.append(record.encode())
    source.write_bytes(b"\n".join(lines))  # no newline at the end
    assert source.stat().st_size > 3 * 65536
    report = index.add_path(source, errors="skip")
    assert where(report) == [("big.jsonl", n) for n in bad]
    assert len(index) == 1 + 1199 - len(bad)


def test_misencoded_csv_line_inside_a_quoted_cell_skips_that_row(index, tmp_path):
    source = tmp_path / "news.csv"
    source.write_bytes(
        "id,title,body\nc1,Hà Nội,ok\nc2,Hải Phòng,\"dòng một\n".encode()
        + b"d\xe0ng hai\"\n"
        + "c3,Đồ gỗ,bàn\n".encode()
    )
    report = index.add_path(source, errors="skip")
    assert index_ids(index) == ["c1", "c3", "n0"]
    assert where(report) == [("news.csv", 4)]


def test_utf16_with_and_without_a_byte_order_mark(tmp_path):
    text = jsonl(news(1))
    with_bom = tmp_path / "bom.jsonl"
    with_bom.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    assert [d.id for d in load(with_bom)] == ["n1"]
    without = tmp_path / "nobom.jsonl"
    without.write_bytes(text.encode("utf-16-le"))
    with pytest.raises(DocumentError, match="looks like UTF-16 without a byte-order mark"):
        list(load(without))


# -- files and folders ---------------------------------------------------------------------------


def test_corpus_folder_with_binary_empty_and_unknown_files(index, tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "a.jsonl").write_text(jsonl(news(1), news(2)), encoding="utf-8")
    (corpus / "empty.jsonl").write_bytes(b"")
    (corpus / "blank.txt").write_text("  \n\n", encoding="utf-8")
    (corpus / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))  # unknown suffix: ignored
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")  # binary under a text name
    (corpus / "notgzip.jsonl.gz").write_bytes(b"this is not gzip")
    (corpus / "sub" / "b.csv").write_text("id,body\nc1,Hà Nội\n", encoding="utf-8")
    (corpus / "sub" / "c.txt").write_text("Tiêu đề\n\nNội dung bài viết về Hải Phòng.", encoding="utf-8")
    with gzip.open(corpus / "sub" / "d.jsonl.gz", "wt", encoding="utf-8") as out:
        out.write(jsonl(news(3)))
    (corpus / ".hidden.jsonl").write_text("{broken", encoding="utf-8")  # hidden: ignored

    report = index.add_path(corpus, errors="skip")
    assert index_ids(index) == ["c1", "n0", "n1", "n2", "n3", "sub/c.txt"]
    assert sorted(where(report)) == [("notgzip.jsonl.gz", None), ("photo.txt", None)]
    reasons = " | ".join(str(s) for s in report.skipped)
    assert "is a binary file" in reasons and "not a valid gzip file" in reasons

    with pytest.raises(DocumentError, match="notgzip.jsonl.gz: is not a valid gzip file"):
        vnsearch.Index.create(None).add_path(corpus)


def test_empty_file_and_empty_folder_add_nothing(index, tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "empty").mkdir()
    for path in (tmp_path / "empty.jsonl", tmp_path / "empty"):
        report = index.add_path(path)
        assert (report.added, report.skipped) == (0, ())
    assert index_ids(index) == ["n0"]


def test_missing_path_raises_even_in_skip_mode(index, tmp_path):
    for errors in ("strict", "skip"):
        with pytest.raises(DocumentError, match="no such file or folder") as caught:
            index.add_path(tmp_path / "nowhere.jsonl", errors=errors)
        assert str(tmp_path / "nowhere.jsonl") in str(caught.value)
    with pytest.raises(DocumentError, match="unknown file type '.docx'"):
        (tmp_path / "report.docx").write_bytes(b"PK")
        index.add_path(tmp_path / "report.docx")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_file_that_cannot_be_read(index, tmp_path):
    """A read that fails in the OS (EIO here, as from a bad disk) is a DocumentError naming it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text(jsonl(news(1)), encoding="utf-8")
    (corpus / "bad.jsonl").symlink_to("/proc/self/mem")
    report = index.add_path(corpus, errors="skip")
    assert index_ids(index) == ["n0", "n1"]
    assert where(report) == [("bad.jsonl", None)]
    assert "cannot read it" in report.skipped[0].reason
    with pytest.raises(DocumentError, match="bad.jsonl: cannot read it"):
        index.add_path(corpus / "bad.jsonl")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_file_and_folder_without_permission(index, tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    (corpus / "a.jsonl").write_text(jsonl(news(1)), encoding="utf-8")
    secret = corpus / "secret.jsonl"
    secret.write_text(jsonl(news(2)), encoding="utf-8")
    secret.chmod(0)
    (corpus / "locked").chmod(0)
    try:
        report = index.add_path(corpus, errors="skip")
    finally:
        secret.chmod(0o644)
        (corpus / "locked").chmod(0o755)
    assert index_ids(index) == ["n0", "n1"]
    assert sorted(where(report)) == [("locked", None), ("secret.jsonl", None)]
    assert all("permission denied" in s.reason for s in report.skipped)


# -- one very large document ---------------------------------------------------------------------

SYLLABLES = (
    "Hà Nội Hải Phòng Đảng ủy khối cơ quan thành phố hội nghị ban chấp hành người dân chợ phiên "
    "rau xưởng mộc bàn gỗ lim nhạc trẻ ca sĩ phòng khám biển hải âu sáng sớm kinh tế giáo dục"
).split()


def big_body(megabytes: float, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines, size = [], 0
    while size < megabytes * 1_000_000:
        line = " ".join(rng.choices(SYLLABLES, k=12)) + ".\n"
        lines.append(line)
        size += len(line.encode())
    lines.insert(len(lines) // 2, "Một con ngựa vằn xuất hiện ở giữa tài liệu.\n")
    return "".join(lines)


def test_one_large_document_indexes_and_is_searchable(tmp_path):
    """1 MB here to keep the suite fast; 50 MB was measured by hand (benchmarks/reliability.md)."""
    index = vnsearch.Index.create(tmp_path / "ix")
    body = big_body(1)
    started = time.perf_counter()
    index.add([{"id": "big", "title": "Tài liệu lớn", "body": body}, news(1)])
    assert time.perf_counter() - started < 30
    reopened = vnsearch.Index.open(tmp_path / "ix")
    results = reopened.search("ngựa vằn")
    assert [hit.id for hit in results] == ["big"]
    assert len(results[0].body) == len(body)
    assert "ngựa vằn" in results[0].snippets[0].to_text()
    assert reopened.search("hải phòng", snippets=False).total == 2


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_highlighting_many_matches_is_not_quadratic():
    # A hang guard, not a timing: the quadratic version took minutes here, linear well under 1 s.
    from vnsearch import highlight

    text = "hải phòng " * 50_000
    spans = [(i * 10, i * 10 + 9) for i in range(50_000)]

    def too_slow(signum, frame):
        raise TimeoutError("make_snippets took more than 10 s")

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, 10.0)
    try:
        snippets = highlight.make_snippets(text, spans)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(snippets) == highlight.MAX_FRAGMENTS


# -- duplicates ----------------------------------------------------------------------------------


def test_duplicate_ids_in_one_batch_last_wins(index, tmp_path):
    report = index.add(
        [
            {"id": "dup", "title": "Bản một", "body": "một"},
            {"id": "other", "body": "khác"},
            {"id": "dup", "title": "Bản hai", "body": "hai"},
            {"id": "dup", "title": "Bản ba", "body": "ba"},
        ]
    )
    assert report.added == 4
    assert index_ids(index) == ["dup", "n0", "other"]
    assert [(hit.title, hit.body) for hit in index.search("bản")] == [("Bản ba", "ba")]

    source = tmp_path / "dups.jsonl"
    source.write_text(jsonl(news(5, title="Cũ"), news(6), news(5, title="Mới")), encoding="utf-8")
    index.add_path(source)
    index.add_path(source)  # the same file twice: still one copy of each
    assert index_ids(index) == ["dup", "n0", "n5", "n6", "other"]
    assert [hit.title for hit in index.search("mới")] == ["Mới"]


# -- folders that are not (compatible) indexes ---------------------------------------------------


def test_open_a_folder_that_is_not_an_index(tmp_path):
    with pytest.raises(IndexNotFoundError, match="does not exist"):
        vnsearch.Index.open(tmp_path / "nowhere")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(IndexNotFoundError, match="is not a vnsearch index"):
        vnsearch.Index.open(tmp_path / "photos")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(IndexNotFoundError):
        vnsearch.Index.open(tmp_path / "file.txt")
    assert isinstance(IndexNotFoundError("x"), FileNotFoundError)


def test_create_never_overwrites_a_folder_of_other_files(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.jpg").write_bytes(b"\xff\xd8")
    for overwrite in (False, True):
        with pytest.raises(VnsearchError, match="holds no index"):
            vnsearch.Index.create(folder, overwrite=overwrite)
    assert [p.name for p in folder.iterdir()] == ["cat.jpg"]
    with pytest.raises(VnsearchError, match="is a file"):
        vnsearch.Index.create(folder / "cat.jpg")


def test_create_over_an_existing_index_needs_overwrite(index):
    with pytest.raises(VnsearchError, match="already holds an index"):
        vnsearch.Index.create(index.path)
    assert len(vnsearch.Index.open(index.path)) == 1


def test_index_from_an_incompatible_version(index):
    meta_path = index.path / "vnsearch.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["format"] = meta["format"] + 1
    from vnsearch.whoosh_ext.storage import sealed_json

    meta_path.write_bytes(sealed_json(meta))  # as a newer vnsearch would write it, checksum and all
    with pytest.raises(IndexVersionError, match="rebuild the index") as caught:
        vnsearch.Index.open(index.path)
    assert str(index.path) in str(caught.value)


@pytest.mark.parametrize(
    "damage",
    [
        "",
        "{not json",
        "[]",
        '"a string"',
        '{"format": "one"}',
        '{"format": 1}',
        '{"format": 1, "fields": ["body"]}',
        '{"format": 1, "fields": null}',
        '{"format": 1, "fields": {"author": "nonsense"}}',
    ],
)
def test_index_with_a_damaged_meta_file(index, damage):
    (index.path / "vnsearch.json").write_text(damage, encoding="utf-8")
    with pytest.raises(IndexVersionError, match="damaged or from another program"):
        vnsearch.Index.open(index.path)


def test_index_whose_whoosh_files_are_gone(index):
    for path in index.path.iterdir():
        if path.name != "vnsearch.json":
            path.unlink()
    with pytest.raises(VnsearchError, match="cannot read the index"):
        vnsearch.Index.open(index.path)


@pytest.mark.parametrize("damage", ["truncate", "zero"])
def test_index_with_a_damaged_segment_fails_at_open(index, damage):
    """A damaged segment file is reported when the index is opened, not mid-search."""
    segment = next(p for p in index.path.iterdir() if p.suffix == ".seg")
    size = segment.stat().st_size
    if damage == "truncate":
        os.truncate(segment, size // 2)
    else:
        segment.write_bytes(bytes(size))
    with pytest.raises(IndexVersionError, match=f"{segment.name} is damaged"):  # named by its checksum
        vnsearch.Index.open(index.path)


# -- untrusted text -------------------------------------------------------------------------------

HOSTILE = (
    '<script>alert(1)</script> "><img src=x onerror=alert(2)> <b>đậm</b> &amp; </mark><mark>'
    " <a href=javascript:alert(3)>x</a> \x1b[2J\x1b]0;pwned\x07 Hải Phòng"
)


class _Markup(html.parser.HTMLParser):
    """Every start tag with its attributes, and the text between tags."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _hostile_index() -> vnsearch.Index:
    index = vnsearch.Index.create(None)
    index.add(
        [
            {"id": 'x"><script>', "title": HOSTILE, "body": f"{HOSTILE}\n{HOSTILE}", "url": "javascript:alert(4)",
             "tags": ["<i>t</i>"]},
            {"id": "ok", "title": "Hải Phòng sáng nay", "body": "Hải Phòng sáng nay trời đẹp.",
             "url": "https://example.vn/a?b=1&c=2"},
        ]
    )
    return index


def test_snippets_escape_document_text_and_keep_only_mark():
    results = _hostile_index().search("hải phòng")
    hostile = next(hit for hit in results if hit.id != "ok")
    snippets = [*hostile.snippets, hostile.title_snippet]
    assert snippets and all(s.spans for s in snippets)
    for snippet in snippets:
        markup = _Markup(snippet.to_html())
        assert [tag for tag, _ in markup.tags] == ["mark"] * len(snippet.spans)
        assert all(attrs == () for _, attrs in markup.tags)
        # The text survives as text, controls shown as spaces (they must not reach a terminal).
        assert "".join(markup.text).strip("…") == strip_controls(snippet.text, keep="\t")
    assert "<script>" in hostile.title_snippet.to_text()
    assert "&lt;script&gt;" in hostile.to_dict()["snippets"][0]


def test_results_html_holds_only_the_tags_vnsearch_emits():
    index = _hostile_index()
    benign = _Markup(index.search("sáng nay")._repr_html_())  # the page shape, from clean text
    allowed_tags = {tag for tag, _ in benign.tags} | {"mark"}
    allowed_attrs = {(tag, name) for tag, attrs in benign.tags for name, _ in attrs}
    for query in ("hải phòng", "<script>alert(5)</script> hải phòng", "script", "img onerror"):
        page = _Markup(index.search(query)._repr_html_())
        assert {tag for tag, _ in page.tags} <= allowed_tags, query
        for tag, attrs in page.tags:
            for name, value in attrs:
                assert (tag, name) in allowed_attrs, (query, tag, name)
                assert not name.startswith("on")
                if name == "href":
                    assert value.startswith(("http://", "https://")), value
        assert "<script>alert(1)</script>" in "".join(page.text) or query in ("script", "img onerror")


def test_terminal_text_carries_no_escape_sequences_from_documents():
    from vnsearch import display

    results = _hostile_index().search("hải phòng")
    for text in (repr(results), display.results_text(results, style="plain")):
        assert "\x1b" not in text and "\x07" not in text
    ansi = display.results_text(results, style="ansi")
    assert "\x1b[2J" not in ansi and "\x1b]" not in ansi and "\x07" not in ansi
