"""One Index used by many threads: searches share everything, and leave nothing behind."""

from __future__ import annotations

import gc
import random
import threading
from collections import Counter

import pytest

from vnsearch import Index
from vnsearch.whoosh_ext.postings import PostingArrays, PostingCache
from vnsearch.whoosh_ext.readers import MappedFile, SharedSegmentReader

WORDS = "hà nội mưa lớn giao thông ùn tắc bóng đá kinh tế chính phủ thời tiết học sinh".split()
QUERIES = ["ha noi", "mưa lớn", "bong da", "kinh tế chính phủ", "thoi tiet", "học sinh giao thông"]


def _docs(start: int, count: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed + start)
    return [
        {"id": f"d{i}", "title": " ".join(rng.sample(WORDS, 3)), "body": " ".join(rng.choices(WORDS, k=30))}
        for i in range(start, start + count)
    ]


@pytest.fixture
def disk_index(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add(_docs(0, 120), procs=1)
    index.add(_docs(120, 80), procs=1)  # two segments
    return index


def _held() -> Counter:
    """Objects a search could leave behind per thread, counted by type."""
    gc.collect()
    kinds = (MappedFile, SharedSegmentReader, PostingArrays, PostingCache)
    return Counter(type(o).__name__ for o in gc.get_objects() if isinstance(o, kinds))


def _answers(index: Index) -> dict[str, list[str]]:
    return {q: [hit.id for hit in index.search(q, limit=20)] for q in QUERIES}


def test_a_new_thread_per_search_keeps_nothing(disk_index):
    expected = _answers(disk_index)  # warm: the commit and its postings are read
    before = _held()
    for i in range(60):
        query = QUERIES[i % len(QUERIES)]
        found: list[list[str]] = []

        def one(query: str = query, found: list = found) -> None:
            found.append([hit.id for hit in disk_index.search(query, limit=20)])

        thread = threading.Thread(target=one)
        thread.start()
        thread.join()
        assert found == [expected[query]]
    assert _held() == before


def test_threads_search_one_commit_under_one_budget(tmp_path):
    index = Index.create(tmp_path / "ix", cache_bytes=20_000)
    index.add(_docs(0, 200), procs=1)
    expected = _answers(index)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(30):
                query = rng.choice(QUERIES)
                assert [hit.id for hit in index.search(query, limit=20)] == expected[query]
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cache = index.searcher().cache
    assert 0 < cache.nbytes <= 20_000


def test_cache_budget_evicts_least_recently_used():
    cache = PostingCache(300)
    cache.put("a", 1, 100)
    cache.put("b", 2, 100)
    cache.put("c", 3, 100)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("d", 4, 100)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.nbytes == 300
    cache.grow("a", 250)
    assert cache.nbytes <= 300
    with pytest.raises(ValueError):
        PostingCache(-1)


# -- writing from many threads ---------------------------------------------------------------


def _stored_ids(index: Index) -> list[str]:
    """Every live document's id, duplicates kept (a lost or doubled write shows here)."""
    with index.whoosh_index.searcher() as searcher:
        return sorted(fields["id"] for fields in searcher.all_stored_fields())


def _run(targets: list) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target) -> None:
        try:
            target()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_many_threads_write_and_search_one_index(disk_index):
    def writer(n: int):
        def write() -> None:
            for doc in _docs(1000 + 15 * n, 15, seed=n):
                disk_index.add(doc)
            disk_index.add(_docs(10 * n, 3, seed=99), procs=1)  # replaces three, in batch
            disk_index.delete(f"d{150 + n}")

        return write

    def reader() -> None:
        for i in range(20):
            assert disk_index.search(QUERIES[i % len(QUERIES)]).total >= 0

    errors = _run([writer(n) for n in range(4)] + [reader, reader])
    assert errors == []
    expected = sorted({f"d{i}" for i in range(200)} - {f"d{150 + n}" for n in range(4)} | {f"d{1000 + i}" for i in range(60)})
    assert _stored_ids(disk_index) == expected
    assert len(disk_index) == len(expected)


def test_threads_replacing_the_same_ids_leave_one_copy_each(tmp_path):
    index = Index.create(tmp_path / "ix")

    def replace(n: int):
        return lambda: [index.add(_docs(i % 10, 1, seed=n)) for i in range(12)]

    assert _run([replace(n) for n in range(4)]) == []
    assert _stored_ids(index) == sorted(f"d{i}" for i in range(10))


def test_a_batch_commits_once_and_holds_other_writers(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.add(_docs(0, 5))
    other = threading.Thread(target=lambda: index.add(_docs(100, 1)))
    with index.batch():
        index.add(_docs(5, 5))
        assert len(index) == 5  # not committed yet
        other.start()
        other.join(0.3)
        assert other.is_alive()  # waits for the batch: writes are serialised
        index.delete("d0")
    other.join()
    assert _stored_ids(index) == sorted([f"d{i}" for i in range(1, 10)] + ["d100"])


def test_commit_false_leaves_writes_for_one_commit(tmp_path):
    index = Index.create(tmp_path / "ix")
    for doc in _docs(0, 4):
        index.add(doc, commit=False)
    assert len(index) == 0
    index.commit()
    index.delete("d1", commit=False)
    assert len(index) == 4
    index.commit()
    assert _stored_ids(index) == ["d0", "d2", "d3"]
    index.add(_docs(7, 1), commit=False)
    index.delete("d7", commit=False)  # a pending document is deleted too (committed first)
    index.commit()
    assert _stored_ids(index) == ["d0", "d2", "d3"]


def _eventually(check, seconds: float = 20.0) -> bool:
    """Polls ``check`` (no timing asserted: the machine may be slow)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


def test_background_commits_by_age_and_by_count(tmp_path):
    index = Index.create(tmp_path / "ix")
    index.start_autocommit(documents=3, seconds=0.2)
    index.add(_docs(0, 1))
    assert _eventually(lambda: index.search("ha noi").total + len(index) >= 1)  # by age
    index.stop_autocommit()
    index.start_autocommit(documents=3, seconds=3600)
    for doc in _docs(1, 3):
        index.add(doc)
    assert _eventually(lambda: len(index) == 4)  # by count, long before an hour
    index.add(_docs(4, 1))
    index.close()  # stops the committer and commits the rest
    assert len(index) == 5
    assert all(t.name != "vnsearch-autocommit" for t in threading.enumerate())


def test_a_read_only_index_never_writes_nor_locks(disk_index):
    from vnsearch.errors import IndexReadOnlyError

    reader = Index.open(disk_index.path, readonly=True, lock_timeout=0)
    with pytest.raises(IndexReadOnlyError):
        reader.add(_docs(500, 1))
    with pytest.raises(IndexReadOnlyError):
        reader.delete("d1")
    with pytest.raises(IndexReadOnlyError):
        reader.start_autocommit()
    assert reader.search("ha noi").total == disk_index.search("ha noi").total
    disk_index.add(_docs(500, 1))  # the writer is never held up by the reader
    assert len(reader) == 201  # and the reader sees the writer's commit
    reader.close()


def test_workers_are_not_forked_from_a_process_running_threads(tmp_path):
    from vnsearch import workers

    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not workers.can_fork() and workers.start_method() == "spawn"
        index = Index.create(tmp_path / "ix")
        docs = iter([])
        procs, _ = index._procs_for(None, docs)
        assert procs == 1  # not asked for: indexed in this process
    finally:
        release.set()
        thread.join()

