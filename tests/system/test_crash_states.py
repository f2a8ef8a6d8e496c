"""Crash states of a commit and of an optimize, replayed (see crash_replay.py).

Each scenario records one commit's changes to a real index folder through an interposed
:class:`~vnsearch.whoosh_ext.storage.FileOps`, then materialises every crash state the POSIX
model allows: in each, the index must open and hold the previous commit or the new one, whole
(the same documents, the same stored text, the same hits). Power loss on real hardware is out
of reach here: the model trusts fsync to mean what POSIX says.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest
from crash_replay import Recorder, materialise  # noqa: E402  (tests/system is on sys.path)

import vnsearch
from vnsearch.whoosh_ext.storage import DurableStorage

WORDS = "Hà Nội Hải Phòng hội nghị người dân chợ phiên rau xưởng mộc bàn gỗ lim biển hải âu".split()


def _records(start: int, count: int, tag: str = "") -> list[dict]:
    rng = random.Random(start)
    return [
        {"id": f"d{i}", "title": f"Tin {i} {tag}", "body": " ".join(rng.choices(WORDS, k=12))}
        for i in range(start, start + count)
    ]


def _snapshot(path: Path) -> tuple:
    """What a commit holds: its segments, every stored document, the hits of two searches."""
    index = vnsearch.Index.open(path)
    try:
        with index.whoosh_index.reader() as reader:
            docs = sorted((d["id"], d.get("title"), d.get("body")) for d in reader.all_stored_fields())
        hits = tuple(index.search(q, limit=1000).total for q in ("chợ phiên", "tin"))
        return (len(index), index.stats().segments, tuple(docs), hits)
    finally:
        index.close()


def _replay(tmp_path: Path, path: Path, change, monkeypatch) -> dict[str, int]:
    before = _snapshot(path)
    recorder = Recorder(path)
    monkeypatch.setattr(DurableStorage, "ops", recorder)
    index = vnsearch.Index.open(path)
    with index:  # one commit
        change(index)
    index.close()
    monkeypatch.undo()
    after = _snapshot(path)
    assert before != after
    outcomes = {"states": 0, "previous": 0, "new": 0}
    for n, state in enumerate(recorder.crash_states(early_fraction=EARLY_FRACTION)):
        folder = materialise(state, tmp_path / f"state{n}")
        try:
            held = _snapshot(folder)
        except Exception as exc:  # noqa: BLE001  (any failure is the finding)
            pytest.fail(f"crash state {n} does not open: {type(exc).__name__}: {exc}; files {sorted(state)}")
        assert held in (before, after), f"crash state {n} holds a partial commit; files {sorted(state)}"
        outcomes["states"] += 1
        outcomes["previous" if held == before else "new"] += 1
        shutil.rmtree(folder)
    assert outcomes["previous"] and outcomes["new"]
    return outcomes


SIZES = [3, 40, 300]
# Share of the states before the commit's first folder fsync replayed here (all of them in
# benchmarks/crash_states.py); every state from that fsync on is replayed.
EARLY_FRACTION = float(os.environ.get("VNSEARCH_CRASH_EARLY_FRACTION", "0.002"))


@pytest.mark.parametrize("size", SIZES)
def test_every_crash_state_of_a_commit_holds_a_whole_commit(tmp_path, monkeypatch, size):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path)
    index.add(_records(0, size), procs=1)
    index.add(_records(size, 5), procs=1)  # a second segment, for the merge policy to see
    index.close()

    def change(ix):
        ix.add(_records(size // 2, 4, tag="mới"), procs=1)  # replaces 4 ids, adds none or some
        ix.delete(f"d{size + 1}")

    outcomes = _replay(tmp_path, path, change, monkeypatch)
    print(f"\ncommit on {size} documents: {outcomes}")


@pytest.mark.parametrize("size", SIZES)
def test_every_crash_state_of_an_optimize_holds_a_whole_commit(tmp_path, monkeypatch, size):
    path = tmp_path / "ix"
    index = vnsearch.Index.create(path)
    for start in range(0, size, max(1, size // 3)):
        index.add(_records(start, max(1, size // 3)), procs=1)
    index.delete("d0")
    index.close()

    outcomes = _replay(tmp_path, path, lambda ix: ix.optimize(), monkeypatch)
    print(f"\noptimize on {size} documents: {outcomes}")


def test_every_crash_state_of_a_background_merge_commit_holds_a_whole_commit(tmp_path, monkeypatch):
    from vnsearch.whoosh_ext.merging import Merge

    path = tmp_path / "ix"
    index = vnsearch.Index.create(path)
    index.add(_records(0, 40), procs=1)
    index.add(_records(40, 1), procs=1)
    index.add(_records(41, 1), procs=1)
    index.close()

    def change(ix):
        # What the background merger does, on two segments (ten make 8,000 crash states):
        # write the merge without the lock, then commit it in place of its sources.
        merge = Merge(ix.whoosh_index, ix._readers.segments()[1:])
        merge.build()
        ix._merges.append(merge)
        ix._open_writer()

    outcomes = _replay(tmp_path, path, change, monkeypatch)
    print(f"\nmerge commit: {outcomes}")


def test_every_crash_state_of_the_metadata_write_is_old_or_new(tmp_path):
    from vnsearch.whoosh_ext.storage import write_atomic

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "vnsearch.json").write_bytes(b'{"old": 1}')
    recorder = Recorder(folder)
    write_atomic(folder, "vnsearch.json", b'{"new": 2}', ops=recorder)
    seen = set()
    for state in recorder.crash_states():
        seen.add(state["vnsearch.json"])
    assert seen == {b'{"old": 1}', b'{"new": 2}'}


def test_the_replayer_finds_the_states_an_unsafe_commit_leaves(tmp_path):
    """The model is not vacuous: a write renamed into place without fsync has states that
    are cut short or empty."""
    from vnsearch.whoosh_ext.storage import FileOps

    class NoSync(Recorder):
        def sync(self, file):  # noqa: D102
            pass

    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a").write_bytes(b"old")
    recorder = NoSync(folder)
    f = recorder.create(str(folder / "a.tmp"))
    f.write(b"new contents")
    f.close()
    recorder.replace(str(folder / "a.tmp"), str(folder / "a"))
    FileOps.sync_dir(recorder, str(folder))
    recorder.log.append(("fsyncdir",))
    contents = {state.get("a") for state in recorder.crash_states()}
    assert {b"old", b"new contents", b"", b"new co", bytes(12)} <= contents
