"""Small commits merge segments by tiers (vnsearch.whoosh_ext.merging), never the large ones,
in the background: the commit that adds a document never waits for a merge."""

from __future__ import annotations

import os

from vnsearch import Index
from vnsearch.whoosh_ext import merging
from vnsearch.whoosh_ext.merging import MERGE_FACTOR, Merge, small_tier_groups


def _doc(i: int) -> dict:
    return {"id": f"d{i}", "title": f"Tin {i}", "body": f"Hà Nội mưa lớn ngày {i}."}


def _segments(index: Index) -> list[tuple[str, int]]:
    leaves = index.whoosh_index.reader().leaf_readers()
    return [(r.segment().segment_id(), r.doc_count_all()) for r, _ in leaves]


def _merged(index: Index) -> None:
    """Wait for the background merger to have written and committed what is due."""
    if index._merger is not None:
        assert index._merger.idle.wait(30)


def _one_document_segments(index: Index, start: int, count: int) -> None:
    with index:
        index.add([_doc(i) for i in range(300)], procs=1)  # one large segment
    for i in range(start, start + count):
        with index:  # no merge made or committed while the block runs
            index.add(_doc(i))


def test_one_document_commits_keep_few_segments_and_never_rewrite_a_large_one():
    index = Index.create(None)
    index.add([_doc(i) for i in range(300)], procs=1)  # one large segment
    (large, _), = _segments(index)
    for i in range(300, 300 + 3 * MERGE_FACTOR):
        index.add(_doc(i))
        _merged(index)
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


def test_a_one_document_commit_is_visible_before_the_merge_it_makes_due(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add([_doc(i) for i in range(300)], procs=1)
    for i in range(300, 300 + MERGE_FACTOR - 1):
        index.add(_doc(i))
    _merged(index)
    assert len(_segments(index)) == MERGE_FACTOR  # nothing due yet
    with index._write_lock:  # the merger cannot start until this block ends
        index.add(_doc(400))  # the tenth one-document segment: a merge is due
        assert index.search("400", limit=1).total == 1  # visible before any merge
        assert len(_segments(index)) == MERGE_FACTOR + 1
    _merged(index)
    assert [count for _, count in _segments(index)] == [300, MERGE_FACTOR]
    assert len(index) == 300 + MERGE_FACTOR
    assert index.search("ha noi", limit=1).total == 300 + MERGE_FACTOR
    files = set(os.listdir(tmp_path / "ix"))
    assert not [name for name in files if name.endswith(".tmp")]  # scratch folders gone
    thread = index._merger._thread
    index.close()
    assert not thread.is_alive()


def _commit_merge(index: Index, merge: Merge) -> None:
    """What the background merger does with a merge it has written."""
    index._merges.append(merge)
    index._open_writer()
    index.commit()


def test_a_commit_while_a_merge_is_written_keeps_its_files(tmp_path):
    index = Index.create(tmp_path / "ix")
    with index._write_lock:  # the background merger waits: this test merges by hand
        _one_document_segments(index, 300, MERGE_FACTOR)
        group = small_tier_groups(index._readers.segments())[0]
        merge = Merge(index.whoosh_index, group)  # its first files are written now
        with index:
            index.add(_doc(500))  # a commit, whose clean-up removes files of no commit...
        merge.build()  # ...but not those of the merge being written
        _commit_merge(index, merge)
        assert [count for _, count in _segments(index)] == [300, 1, MERGE_FACTOR]
    assert index.search("ha noi", limit=1).total == 300 + MERGE_FACTOR + 1


def test_a_merge_whose_source_changed_is_dropped_not_committed(tmp_path, monkeypatch):
    index = Index.create(tmp_path / "ix")
    released: list[str] = []
    real_release = merging.release_segment
    monkeypatch.setattr(merging, "release_segment", lambda s, segid: (released.append(segid), real_release(s, segid)))
    with index._write_lock:
        _one_document_segments(index, 300, MERGE_FACTOR)
        group = small_tier_groups(index._readers.segments())[0]
        merge = Merge(index.whoosh_index, group)
        merge.build()
        with index:
            index.delete("d303")  # in a source, after it was merged
        _commit_merge(index, merge)  # would bring d303 back
        assert released == [merge.segment.segment_id()]  # once: dropped, not also "committed"
        assert not any(name.startswith(merge.segment.segment_id()) for name in os.listdir(tmp_path / "ix"))
    assert index.search("303", limit=1).total == 0
    assert len(index) == 300 + MERGE_FACTOR - 1


class _Watched:
    """An index's ``_no_writes`` event that records, at each wait, whether writes were on."""

    def __init__(self, event):
        self.event = event
        self.waits: list[bool] = []

    def wait(self, timeout=None):
        self.waits.append(not self.event.is_set())
        return self.event.wait(timeout)

    def __getattr__(self, name):
        return getattr(self.event, name)


def test_a_merge_being_written_pauses_while_a_write_runs(tmp_path, monkeypatch):
    import threading

    from vnsearch import index as index_module
    from vnsearch.whoosh_ext import segment_writer

    monkeypatch.setattr(merging, "PAUSE_EVERY", 1)
    monkeypatch.setattr(segment_writer, "PAUSE_EVERY", 1)
    monkeypatch.setattr(index_module, "_MERGE_PAUSE", 60.0)  # bounded, but not in this test
    index = Index.create(tmp_path / "ix")
    with index._write_lock:  # no background merge starts while the segments are made
        _one_document_segments(index, 300, MERGE_FACTOR)
        if index._merger is not None:
            index._merger.stop()  # this test runs the merge step itself
        index._merger = None
    watched = index._no_writes = _Watched(index._no_writes)
    before = _segments(index)
    merger = threading.Thread(target=index._merge_step, args=(threading.Event(),))
    with index._writing():  # a write waiting for the lock or running: the merge pauses
        merger.start()
        for _ in range(3000):
            if watched.waits:
                break
            merger.join(0.01)
        assert watched.waits[:1] == [True]  # it waited while the write was on...
        assert merger.is_alive() and _segments(index) == before  # ...and wrote nothing to the index
    merger.join(30)
    assert not merger.is_alive()
    assert [count for _, count in _segments(index)] == [300, MERGE_FACTOR]
    assert index.search("ha noi", limit=1).total == 300 + MERGE_FACTOR
