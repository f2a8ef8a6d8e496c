"""Locks that mean it: overwrite under the writer lock, damaged locks never hang, and two
processes upserting the same ids store each id once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import vnsearch
from vnsearch import IndexLockedError

UPSERT_TRIALS = int(os.environ.get("VNSEARCH_UPSERT_TRIALS", "10"))

CHILD = textwrap.dedent(
    """
    import sys, time
    import vnsearch

    path, start, count, batch, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    index = vnsearch.Index.open(path, lock_timeout=60)
    index.search("tin")  # an Index that has searched before
    while not __import__("os").path.exists(go):
        time.sleep(0.005)
    records = [{"id": f"d{i}", "title": f"Tin {i} {start}", "body": "bản tin"} for i in range(start, start + count)]
    index.add(records, batch_size=batch, procs=1)
    index.close()
    print("done", flush=True)
    """
)


def _stored_ids(path: Path) -> list[str]:
    index = vnsearch.Index.open(path)
    try:
        with index.whoosh_index.reader() as reader:
            return [d["id"] for d in reader.all_stored_fields()]
    finally:
        index.close()


@pytest.mark.parametrize("trial", range(UPSERT_TRIALS))
def test_two_processes_upserting_the_same_ids_store_each_once(tmp_path, trial):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path)
    index.add([{"id": "d0", "body": "bản tin"}])
    index.close()
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    go = tmp_path / "go"
    # Overlapping id ranges, small batches: each process commits between the other's batches.
    children = [
        subprocess.Popen([sys.executable, str(script), str(path), str(start), "300", "40", str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for start in (0, 100 + trial)
    ]
    time.sleep(0.5)
    go.touch()
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err
    ids = _stored_ids(path)
    expected = {f"d{i}" for i in range(0, 400 + trial)}
    duplicates = len(ids) - len(set(ids))
    assert duplicates == 0, f"{duplicates} ids stored twice"
    assert set(ids) == expected


def test_overwrite_waits_for_the_writer_lock(tmp_path):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path)
    index.add([{"id": "a", "body": "một"}])
    with index:
        index.add([{"id": "b", "body": "hai"}])  # holds the lock, uncommitted
        started = time.monotonic()
        with pytest.raises(IndexLockedError):
            vnsearch.Index.create(path, overwrite=True, lock_timeout=0.3)
        assert time.monotonic() - started >= 0.3
    assert len(vnsearch.Index.open(path)) == 2  # the first writer's commit is whole
    index.close()
    fresh = vnsearch.Index.create(path, overwrite=True, lock_timeout=0.3)
    assert len(fresh) == 0
    assert (path / "MAIN_WRITELOCK").exists()  # never deleted: another process may hold it


@pytest.mark.parametrize("damage", ["fifo", "folder", "symlink"])
def test_a_damaged_lock_file_is_a_clear_error_not_a_hang(tmp_path, damage):
    if damage == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "ix"
    vnsearch.Index.create(path).close()
    lock = path / "MAIN_WRITELOCK"
    if lock.exists():
        lock.unlink()
    if damage == "fifo":
        os.mkfifo(lock)
    elif damage == "folder":
        lock.mkdir()
    else:
        lock.symlink_to(tmp_path / "elsewhere")
    index = vnsearch.Index.open(path, lock_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(IndexLockedError, match="MAIN_WRITELOCK"):
        index.add([{"id": "x", "body": "một"}])
    assert time.monotonic() - started < 5
    assert len(vnsearch.Index.open(path)) == 0
