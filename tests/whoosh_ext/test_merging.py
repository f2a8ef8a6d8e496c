"""Small commits merge segments by tiers (vnsearch.whoosh_ext.merging), never the large ones."""

from __future__ import annotations

from vnsearch import Index
from vnsearch.whoosh_ext.merging import MERGE_FACTOR


def _doc(i: int) -> dict:
    return {"id": f"d{i}", "title": f"Tin {i}", "body": f"Hà Nội mưa lớn ngày {i}."}


def _segments(index: Index) -> list[tuple[str, int]]:
    leaves = index.whoosh_index.reader().leaf_readers()
    return [(r.segment().segment_id(), r.doc_count_all()) for r, _ in leaves]


def test_one_document_commits_keep_few_segments_and_never_rewrite_a_large_one():
    index = Index.create(None)
    index.add([_doc(i) for i in range(300)], procs=1)  # one large segment
    (large, _), = _segments(index)
    for i in range(300, 300 + 3 * MERGE_FACTOR):
        index.add(_doc(i))
        segments = _segments(index)
        assert len(segments) <= 2 + MERGE_FACTOR  # the large one, tier 1, at most ten of tier 0
        assert segments[0] == (large, 300)  # untouched by every small commit
    assert len(index) == 330
    assert index.search("ha noi", limit=1).total == 330


def test_replacing_after_another_writer_committed_leaves_one_copy(tmp_path):
    first = Index.create(tmp_path / "ix")
    first.add(_doc(1))
    second = Index.open(tmp_path / "ix")  # another writer of the folder (as another process)
    second.add(_doc(2))
    first.add(_doc(2))  # must replace what second wrote, which first had not seen
    with first.whoosh_index.searcher() as searcher:
        assert sorted(f["id"] for f in searcher.all_stored_fields()) == ["d1", "d2"]
