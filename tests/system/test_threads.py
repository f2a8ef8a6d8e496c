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
        thread = threading.Thread(target=lambda: found.append([h.id for h in disk_index.search(query, limit=20)]))
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
