"""Shared segment readers (vnsearch.whoosh_ext.readers): mapped, not copied; one per segment;
positions kept per thread; a commit opens only its new segments."""

from __future__ import annotations

import threading

from vnsearch import Index
from vnsearch.whoosh_ext.readers import MappedFile, SharedSegmentReader, shared_readers


def _docs(start: int, count: int) -> list[dict]:
    return [
        {"id": f"d{i}", "title": f"Tin số {i}", "body": f"Hà Nội mưa lớn ngày {i}, giao thông ùn tắc."}
        for i in range(start, start + count)
    ]


def test_each_thread_reads_from_its_own_position():
    file = MappedFile(memoryview(bytes(range(100))))
    file.seek(10)
    seen: list[bytes] = []

    def other() -> None:
        file.seek(50)
        seen.append(file.read(3))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [bytes([50, 51, 52])]
    assert file.read(2) == bytes([10, 11])  # the other thread did not move this one's place
    assert file.get(90, 2) == bytes([90, 91])
    assert file.subset(20, 5).read(10) == bytes(range(20, 25))


def test_segments_are_mapped_views_not_copies(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add(_docs(0, 30), procs=1)
    view = shared_readers(index.whoosh_index).view()
    (reader, _), = view.reader.leaf_readers()
    assert isinstance(reader, SharedSegmentReader)
    postfile = reader._terms._postfile
    assert isinstance(postfile, MappedFile) and isinstance(postfile._buf, memoryview)
    assert type(postfile._buf.obj).__name__ == "mmap"  # the file's pages, not a BytesIO copy


def test_a_commit_opens_only_its_new_segments(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add(_docs(0, 30), procs=1)
    readers = shared_readers(index.whoosh_index)
    first = [r for r, _ in readers.view().reader.leaf_readers()]
    assert index.search("ha noi").total == 30
    cached = len(index.searcher().cache)
    index.add(_docs(30, 10), procs=1)
    second = [r for r, _ in readers.view().reader.leaf_readers()]
    assert len(second) == 2 and second[0] is first[0]  # the old segment's reader, reused
    assert index.search("ha noi").total == 40
    # The old segment's postings came from the cache: only the new segment's were added.
    assert len(index.searcher().cache) <= 2 * cached


def test_deleting_in_a_segment_gives_a_new_reader_over_the_same_mapping(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add(_docs(0, 30), procs=1)
    readers = shared_readers(index.whoosh_index)
    (before, _), = readers.view().reader.leaf_readers()
    index.delete("d3")
    (after, _), = readers.view().reader.leaf_readers()
    assert after is not before and after.storage().a is before.storage().a
    assert "d3" not in {hit.id for hit in index.search("ha noi", limit=50)}
    assert readers.open_segments() == 1


def test_one_shared_readers_per_folder_in_a_process(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add(_docs(0, 5), procs=1)
    again = Index.open(tmp_path / "ix")
    assert shared_readers(again.whoosh_index) is shared_readers(index.whoosh_index)
