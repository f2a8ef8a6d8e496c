"""Faults: writers killed mid-write, two writers, stale locks, interrupted runs.

Real processes and a real on-disk Whoosh index, no mocks. A child Python process indexes
synthetic Vietnamese documents in batches and is killed with SIGKILL at chosen points; after
each kill the index must open, hold a whole number of committed batches (checked id by id),
never lose a document a reader had already seen, and finish cleanly when the same input is
run again. ``VNSEARCH_KILL_ROUNDS`` (default 3) sets how many random-delay kills each
scenario makes and ``VNSEARCH_KILL_SEED`` their delays; raise the rounds for a soak run (see
benchmarks/reliability.md).
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

import vnsearch
from vnsearch import IndexLockedError

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

KILL_ROUNDS = int(os.environ.get("VNSEARCH_KILL_ROUNDS", "3"))
KILL_SEED = int(os.environ.get("VNSEARCH_KILL_SEED", "8"))  # the random kill delays
WAIT = 60.0  # seconds to wait for a child's message before failing (never reached when healthy)
JITTER = 0.02  # seconds, at most, between the commit a kill waits for and the kill

# The child process. Every document's title holds "bản tin" so a search counts them all.
CHILD = textwrap.dedent(
    '''
    import json, random, sys
    import vnsearch

    SYLLABLES = (
        "Hà Nội Hải Phòng Đảng ủy khối cơ quan thành phố hội nghị ban chấp hành người dân "
        "chợ phiên rau xưởng mộc bàn gỗ lim nhạc trẻ ca sĩ phòng khám biển hải âu sáng sớm "
        "kinh tế giáo dục giao thông thời tiết mưa bão nông nghiệp"
    ).split()

    def record(i):
        r = random.Random(i)
        return {
            "id": f"d{i:05d}",
            "title": f"Bản tin số {i} " + " ".join(r.choices(SYLLABLES, k=3)),
            "body": " ".join(r.choices(SYLLABLES, k=10)) + ".",
        }

    mode, path = sys.argv[1], sys.argv[2]
    index = vnsearch.Index.open(path, lock_timeout=30)
    print("started", flush=True)
    if mode == "batches":
        # One add() per batch, each committed before "committed k" is printed.
        total, batch, park = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        for k in range(total // batch):
            index.add([record(i) for i in range(k * batch, (k + 1) * batch)], batch_size=batch)
            print(f"committed {k + 1}", flush=True)
            if k + 1 == park:
                sys.stdin.readline()  # parked: the parent kills us here
    elif mode == "stream":
        # One add_path() over a JSONL file; the library commits every `batch` documents.
        procs = int(sys.argv[5]) if len(sys.argv) > 5 else None
        index.add_path(sys.argv[3], batch_size=int(sys.argv[4]), procs=procs)
    elif mode == "hold":
        # Hold the writer lock with uncommitted documents until told to commit, then wait.
        with index:
            index.add([record(i) for i in range(int(sys.argv[3]), int(sys.argv[4]))])
            print("holding", flush=True)
            sys.stdin.readline()
        print("committed", flush=True)
        sys.stdin.readline()
    print("done", flush=True)
    '''
)


def record(i: int) -> dict:
    """The parent's copy of the child's documents (ids and the counted words are what matter)."""
    return {"id": f"d{i:05d}", "title": f"Bản tin số {i}", "body": "Người dân đi chợ phiên sáng sớm."}


def ids(n: int) -> list[str]:
    return [f"d{i:05d}" for i in range(n)]


class Child:
    """A child Python process running CHILD, with its stdout lines read in the background."""

    def __init__(self, script: Path, *args: object):
        self.proc = subprocess.Popen(
            [sys.executable, str(script), *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, wanted: str, timeout: float = WAIT) -> None:
        """Wait for the line ``wanted``; fail with the child's stderr if it dies first."""
        deadline = time.monotonic() + timeout
        while wanted not in self.seen:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self.kill()
                pytest.fail(f"child did not say {wanted!r} in {timeout:g} s; said {self.seen}")
            if line is None:
                self.proc.wait()
                pytest.fail(f"child exited ({self.proc.returncode}) before {wanted!r}: {self.proc.stderr.read()}")
            self.seen.append(line)

    def drain(self) -> None:
        """Take every line printed so far."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.seen.append(line)

    def committed(self) -> int:
        """The last batch number the child reported as committed (0 if none)."""
        self.drain()
        return max((int(line.split()[1]) for line in self.seen if line.startswith("committed ")), default=0)

    def send(self, line: str = "") -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a power cut would: no cleanup code runs. Returns once
        every line the child printed has been read."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT)
        while True:  # stdout closes once the child, and any worker it forked, is gone
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail("the killed child's output never closed")
            if line is None:
                return
            self.seen.append(line)

    def finish(self) -> None:
        """Wait for a normal exit."""
        self.expect("done")
        assert self.proc.wait(timeout=WAIT) == 0, self.proc.stderr.read()


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "child.py"
    path.write_text(CHILD, encoding="utf-8")
    return path


def stored_ids(path: Path) -> list[str]:
    """Every live document's id, read from a freshly opened index (duplicates kept)."""
    index = vnsearch.Index.open(path)
    with index.whoosh_index.searcher() as searcher:
        found = [fields["id"] for fields in searcher.all_stored_fields()]
    assert len(index) == len(found)
    # The inverted index agrees with the stored fields: every document is found by a search.
    assert index.search("bản tin", limit=1, snippets=False, suggest=False).total == len(found)
    index.close()
    return found


def whole_batches(path: Path, batch: int) -> int:
    """How many whole batches the index holds; fails unless it holds exactly the first ones."""
    found = stored_ids(path)
    assert len(found) == len(set(found)), "duplicate documents"
    assert len(found) % batch == 0, f"a partial batch: {len(found)} documents, batches of {batch}"
    assert sorted(found) == ids(len(found)), "not exactly the first documents"
    return len(found) // batch


def kill_after_commits(child: Child, observer: vnsearch.Index, commits: int, rng: random.Random) -> int:
    """Kill ``child`` a random moment after the index shows ``commits`` more commits (counted
    from now), so that the kill falls mid-run however fast indexing is; return the documents
    a reader saw just before the kill (committed, so they must survive it)."""
    ix = observer.whoosh_index
    target = ix.latest_generation() + commits
    deadline = time.monotonic() + WAIT
    while ix.latest_generation() < target and child.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    time.sleep(rng.uniform(0.0, JITTER))
    seen = len(observer)
    child.kill()
    return seen


# -- killed mid-write ---------------------------------------------------------------------------


def test_writer_killed_after_reported_commits_loses_nothing(tmp_path, script):
    """Kill the child right after it reports k committed batches, then at random moments, across
    re-runs of the same input: the index always holds exactly the committed batches."""
    path = tmp_path / "ix"
    vnsearch.Index.create(path)
    total, batch = 480, 60
    rng = random.Random(KILL_SEED)
    held = 0  # batches the index must hold from now on

    # Parked right after "committed k": the index holds exactly k batches. The second run
    # starts again from document 0, so it replaces the first run's batches as it goes.
    for park in (2, 4):
        child = Child(script, "batches", path, total, batch, park)
        child.expect(f"committed {park}")
        child.kill()
        assert whole_batches(path, batch) == park
        held = park

    # Killed at a random moment: whatever was reported stays, at most one more batch appears.
    # The moment is counted from a random batch's report, so that it falls mid-run however
    # fast indexing gets.
    mid_write = 0
    for _ in range(KILL_ROUNDS):
        child = Child(script, "batches", path, total, batch, 0)
        child.expect(f"committed {rng.randint(1, total // batch - 3)}")
        time.sleep(rng.uniform(0.0, JITTER))
        child.kill()
        mid_write += "done" not in child.seen
        reported = child.committed()
        now = whole_batches(path, batch)
        assert max(held, reported) <= now <= max(held, reported + 1)
        held = now
    assert mid_write >= min(KILL_ROUNDS, 1), "no kill landed while the child was writing"

    child = Child(script, "batches", path, total, batch, 0)
    child.finish()
    assert whole_batches(path, batch) == total // batch
    print(f"\nbatches: {2 + KILL_ROUNDS} kills ({mid_write} of {KILL_ROUNDS} random ones mid-write), none lost a commit")


def test_add_path_killed_at_random_points_keeps_whole_commits(tmp_path, script):
    """One add_path() committing every 60 documents, killed at random moments: the index holds
    whole batches, never fewer than a reader saw before the kill; a re-run completes."""
    path = tmp_path / "ix"
    vnsearch.Index.create(path)
    total, batch = 600, 60
    source = _stream_source(tmp_path, total)
    rng = random.Random(KILL_SEED + 1)
    held = 0
    observer = vnsearch.Index.open(path)

    # The first kill comes as soon as a reader in this process sees three commits.
    child = Child(script, "stream", path, source, batch)
    child.expect("started")
    deadline = time.monotonic() + WAIT
    while len(observer) < 3 * batch and time.monotonic() < deadline:
        time.sleep(0.005)
    seen = len(observer)
    child.kill()
    held = whole_batches(path, batch)
    assert held * batch >= seen >= 3 * batch

    mid_write = 0
    for _ in range(KILL_ROUNDS):
        child = Child(script, "stream", path, source, batch)
        child.expect("started")
        seen = kill_after_commits(child, observer, rng.randint(1, total // batch - 3), rng)
        mid_write += "done" not in child.seen
        now = whole_batches(path, batch)
        assert now * batch >= max(seen, held * batch)
        held = now
    assert mid_write >= min(KILL_ROUNDS, 1), "no kill landed while the child was writing"

    child = Child(script, "stream", path, source, batch)
    child.finish()
    assert whole_batches(path, batch) == total // batch
    # Killed runs leave half-written segment files; the next commit removes them.
    leftovers = sorted(p.name for p in path.iterdir() if p.name.endswith(".tmp") or p.suffix in (".pst", ".trm"))
    assert leftovers == []
    print(f"\nstream: {1 + KILL_ROUNDS} kills ({mid_write} of {KILL_ROUNDS} random ones mid-write), none lost a commit")


def _processes_running(script: Path) -> int:
    """Live processes started from ``script`` (the child and its forked workers); Linux only."""
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                    count += str(script).encode() in cmdline.read()
            except OSError:
                pass
    return count


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="counts processes through /proc")
def test_parallel_add_path_killed_keeps_whole_commits_and_leaves_no_workers(tmp_path, script):
    """add_path(procs=2): the writer is killed with its worker processes mid-run. The workers
    exit by themselves, the index holds whole batches, and a re-run completes."""
    path = tmp_path / "ix"
    vnsearch.Index.create(path)
    total, batch = 600, 60
    source = _stream_source(tmp_path, total)
    rng = random.Random(KILL_SEED + 2)
    observer = vnsearch.Index.open(path)
    held = mid_write = 0
    for _ in range(KILL_ROUNDS):
        child = Child(script, "stream", path, source, batch, 2)
        child.expect("started")
        seen = kill_after_commits(child, observer, rng.randint(1, total // batch - 3), rng)
        mid_write += "done" not in child.seen
        deadline = time.monotonic() + 10
        while _processes_running(script) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _processes_running(script) == 0, "worker processes outlived their killed parent"
        now = whole_batches(path, batch)
        assert now * batch >= max(seen, held * batch)
        held = now
    assert mid_write >= min(KILL_ROUNDS, 1), "no kill landed while the child was writing"

    child = Child(script, "stream", path, source, batch, 2)
    child.finish()
    assert whole_batches(path, batch) == total // batch
    leftovers = sorted(p.name for p in path.iterdir() if p.name.endswith(".tmp") or p.suffix in (".pst", ".trm"))
    assert leftovers == []
    print(f"\nparallel: {KILL_ROUNDS} kills ({mid_write} mid-write), none lost a commit, no worker left")


# -- two writers and readers ---------------------------------------------------------------------


def test_second_writer_waits_then_raises_and_readers_keep_answering(tmp_path, script):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path, lock_timeout=0.5)
    index.add([record(i) for i in range(10)])

    child = Child(script, "hold", path, 10, 40)  # holds the lock with 30 uncommitted documents
    child.expect("holding")
    started = time.monotonic()
    with pytest.raises(IndexLockedError) as caught:
        index.add([{"id": "late", "body": "đến muộn"}])
    waited = time.monotonic() - started
    assert 0.45 <= waited < 5, waited
    assert str(path) in str(caught.value)
    assert index.search("bản tin").total == 10  # readers answer; uncommitted writes are invisible

    child.send()
    child.expect("committed")
    index.searcher().refresh()
    assert index.search("bản tin").total == 40
    index.add([{"id": "late", "body": "đến muộn"}])  # the lock is free again
    assert [hit.id for hit in index.search("đến muộn")] == ["late"]
    child.send()
    child.finish()


def _stream_source(tmp_path: Path, total: int) -> Path:
    source = tmp_path / "news.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(total):
            out.write(json.dumps(record(i), ensure_ascii=False) + "\n")
    return source


def test_readers_keep_answering_during_a_long_write(tmp_path, script):
    """Readers opening the index while another process commits every 60 documents: every
    search answers, and each sees only whole commits, never fewer than the one before."""
    path = tmp_path / "ix"
    vnsearch.Index.create(path).add([record(i) for i in range(50)])
    total, batch = 600, 60
    child = Child(script, "stream", path, _stream_source(tmp_path, total), batch)
    counts = []
    while child.proc.poll() is None:
        reader = vnsearch.Index.open(path)
        results = reader.search("bản tin", limit=3, suggest=False)
        counts.append(results.total)
        assert results.total == 50 or results.total % batch == 0, results.total
        assert len(results.hits) == 3
        reader.close()
    child.finish()
    assert counts == sorted(counts), "a reader saw documents disappear"
    assert len(set(counts)) > 3, counts  # the readers really did search during the write
    assert vnsearch.Index.open(path).search("bản tin", limit=1).total == total


def test_long_lived_index_sees_updates_deletes_and_merges(tmp_path):
    """A searcher kept across commits must not reuse readers of replaced or merged segments
    (Whoosh's Searcher.refresh() does, and then shows ghosts)."""
    index = vnsearch.Index.create(tmp_path / "ix")
    index.add([{"id": str(i), "title": "Bản tin", "body": "cũ"} for i in range(5)])
    assert index.search("bản tin").total == 5
    index.add([{"id": "0", "title": "Bản tin", "body": "mới"}])  # replaces document 0
    index.delete("1")
    index.optimize()
    assert sorted(hit.id for hit in index.search("bản tin")) == ["0", "2", "3", "4"]
    assert [hit.body for hit in index.search("bản tin") if hit.id == "0"] == ["mới"]


def test_long_lived_reader_during_a_long_write(tmp_path, script):
    """The app case: one Index object kept open while another process re-indexes."""
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path)
    index.add([record(i) for i in range(50)])
    total, batch = 600, 60
    child = Child(script, "stream", path, _stream_source(tmp_path, total), batch)
    counts = []
    while child.proc.poll() is None:
        counts.append(index.search("bản tin", limit=3, suggest=False).total)
    child.finish()
    assert all(count == 50 or count % batch == 0 for count in counts), counts
    assert index.search("bản tin", limit=1).total == total


def test_second_writer_in_the_same_process_is_locked_out(tmp_path):
    """Whoosh's lock is an flock on its own file descriptor, so it also guards two Index
    objects in one process."""
    path = tmp_path / "ix"
    first = vnsearch.Index.create(path)
    second = vnsearch.Index.open(path, lock_timeout=0.2)
    with first:
        first.add([{"id": "a", "body": "một"}])
        with pytest.raises(IndexLockedError, match="locked by another writer"):
            second.add([{"id": "b", "body": "hai"}])
        assert len(second) == 0  # uncommitted writes are invisible
    second.add([{"id": "b", "body": "hai"}])
    assert sorted(h.id for h in first.search("một OR hai")) == ["a", "b"]


def test_lock_of_a_killed_writer_is_released_by_the_os(tmp_path, script):
    """A writer killed while holding the lock leaves the lock file behind, but flock locks die
    with their process: the next writer gets in at once, and the dead writer's uncommitted
    documents are gone."""
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path, lock_timeout=0.3)
    index.add([record(i) for i in range(10)])

    child = Child(script, "hold", path, 10, 60)
    child.expect("holding")
    with pytest.raises(IndexLockedError):
        index.add([{"id": "x", "body": "chờ"}])
    child.kill()

    lock_files = [p.name for p in path.iterdir() if "WRITELOCK" in p.name]
    assert lock_files, "expected Whoosh's lock file to survive the kill"
    started = time.monotonic()
    index.add([{"id": "x", "title": "Bản tin", "body": "không chờ"}])
    assert time.monotonic() - started < 0.3 + 2  # no stale-lock wait beyond the normal timeout
    assert sorted(stored_ids(path)) == sorted(ids(10) + ["x"])


# -- interrupted in-process runs -----------------------------------------------------------------


def test_exception_from_the_record_generator_keeps_the_last_commit(tmp_path):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path, lock_timeout=0.2)

    def records():
        for i in range(130):
            yield record(i)
        raise RuntimeError("the scraper broke")

    with pytest.raises(RuntimeError, match="the scraper broke"):
        index.add(records(), batch_size=50)
    # Two batches of 50 were committed; the 30 in flight were not.
    assert sorted(stored_ids(path)) == ids(100)
    # Still writable, from this object and from a fresh one (the lock was released).
    index.add([record(i) for i in range(100, 130)])
    vnsearch.Index.open(path, lock_timeout=0.2).add([record(130)])
    assert sorted(stored_ids(path)) == ids(131)


def test_keyboard_interrupt_from_progress_keeps_the_last_commit(tmp_path):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path, lock_timeout=0.2)
    batch = 50
    reached = []

    def records():  # long enough that a progress report (every 0.25 s) comes mid-run
        for i in range(5000):
            yield record(i)

    def progress(p):
        if p.documents >= 120:
            reached.append(p.documents)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index.add(records(), batch_size=batch, progress=progress)
    count = whole_batches(path, batch) * batch
    assert reached[0] - batch < count <= reached[0]
    index.add([record(i) for i in range(count, count + 10)])
    assert sorted(stored_ids(path)) == ids(count + 10)
    index.close()


def test_exception_inside_with_block_drops_only_uncommitted_writes(tmp_path):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path, lock_timeout=0.2)
    index.add([record(i) for i in range(5)])
    with pytest.raises(ValueError):
        with index:
            index.add([record(i) for i in range(5, 8)])
            index.delete(["d00000"])
            raise ValueError("stop")
    assert sorted(stored_ids(path)) == ids(5)
    with index:
        index.add([record(i) for i in range(5, 8)])
    assert sorted(stored_ids(path)) == ids(8)
