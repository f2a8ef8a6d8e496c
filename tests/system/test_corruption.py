"""Corruption fuzz: random damage to a real index's files, every file kind.

Each trial copies a small index (three segments, a deletion, every field type), damages one
file (a flipped byte, a truncation, a zeroed range, or two files' contents swapped), then
opens it, searches it and reads every stored document, and runs ``check_index``. Outcomes:

* harmless: the same results as the intact index, and ``check_index`` finds nothing or names
  the file;
* a clean error: a ``VnsearchError`` naming the damaged file (at open or at first read), and
  ``check_index`` names it too.

Anything else fails the test: wrong results returned silently, an error that does not name
the file, an exception of another kind, or a hang (10 s). ``VNSEARCH_CORRUPTIONS`` sets the
number of trials (60 by default; ``python benchmarks/durability.py corrupt --trials 1000``).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import tempfile
from collections import Counter
from pathlib import Path

import pytest

import vnsearch
from vnsearch.check import check_index
from vnsearch.errors import VnsearchError

TRIALS = int(os.environ.get("VNSEARCH_CORRUPTIONS", "60"))
HANG_SECONDS = 10
WORDS = "Hà Nội Hải Phòng hội nghị người dân chợ phiên rau xưởng mộc bàn gỗ lim biển hải âu".split()
QUERIES = ["chợ phiên", '"hải âu"', "rau OR lim", "title:tin", "nghi", "views:>3", "tags:a"]
KINDS = ("flip", "truncate", "zero", "swap")


class _Hang(Exception):
    pass


def build_index(path: Path) -> None:
    rng = random.Random(5)
    index = vnsearch.Index.create(path, {"views": "number", "raw": "stored"})
    for batch in range(3):
        index.add(
            [
                {
                    "id": f"d{i}",
                    "title": f"Tin {i}",
                    "body": " ".join(rng.choices(WORDS, k=20)),
                    "date": f"2020-0{1 + i % 9}-1{i % 9}",
                    "tags": ["a", "b"][: 1 + i % 2],
                    "views": i,
                    "raw": f"r{i}",
                }
                for i in range(batch * 20, batch * 20 + 20)
            ],
            procs=1,
        )
    index.delete("d3")
    index.close()


def observe(path: Path) -> tuple:
    """Everything a user could see of the index."""
    index = vnsearch.Index.open(path)
    try:
        found = tuple(
            (q, r.total, tuple((h.id, round(h.score, 6), tuple(sorted(h.fields.items()))) for h in r))
            for q in QUERIES
            for r in [index.search(q, limit=100)]
        )
        with index.whoosh_index.reader() as reader:
            stored = tuple(sorted(tuple(sorted(d.items())) for d in reader.all_stored_fields()))
        return len(index), found, stored
    finally:
        index.close()


def corrupt(folder: Path, rng: random.Random) -> tuple[str, list[str]]:
    """Damage one file (two for a swap) of ``folder``; the kind and the files damaged."""
    files = sorted(p for p in folder.iterdir() if p.is_file())
    kind = rng.choice(KINDS)
    target = rng.choice(files)
    data = bytearray(target.read_bytes())
    if kind == "swap":
        other = rng.choice([p for p in files if p != target])
        other_data = other.read_bytes()
        other.write_bytes(bytes(data))
        target.write_bytes(other_data)
        return kind, [target.name, other.name]
    if not data:
        return kind, [target.name]  # an empty file (the lock): nothing to damage
    if kind == "flip":
        at = rng.randrange(len(data))
        data[at] ^= rng.randrange(1, 256)
    elif kind == "truncate":
        del data[rng.randrange(len(data)) :]
    else:
        start = rng.randrange(len(data))
        end = min(len(data), start + rng.randint(1, 64))
        data[start:end] = bytes(end - start)
    target.write_bytes(bytes(data))
    return kind, [target.name]


def _alarm(signum, frame):
    raise _Hang()


def trial(base: Path, expected: tuple, work: Path, rng: random.Random) -> tuple[str, str, str]:
    """One corruption: ``(outcome, kind, file kind)``; outcome is harmless, error or a failure."""
    folder = work / "ix"
    shutil.copytree(base, folder)
    kind, damaged = corrupt(folder, rng)
    file_kind = _file_kind(damaged[0])
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        try:
            seen = observe(folder)
        except VnsearchError as exc:
            if not any(name in str(exc) for name in damaged):
                return f"FAIL unnamed: {exc}", kind, file_kind
            outcome = "error"
        except _Hang:
            return "FAIL hang", kind, file_kind
        except Exception as exc:  # noqa: BLE001 (any other exception is the finding)
            return f"FAIL {type(exc).__name__}: {exc}", kind, file_kind
        else:
            if seen != expected:
                return f"FAIL wrong results ({damaged})", kind, file_kind
            outcome = "harmless"
        try:
            report = check_index(folder)
        except VnsearchError as exc:
            report_names = str(exc)
        else:
            report_names = " ".join(p.file + " " + p.what for p in report.problems)
        if outcome == "error" and not any(name in report_names for name in damaged):
            return f"FAIL check missed {damaged}: {report_names!r}", kind, file_kind
        return outcome, kind, file_kind
    except _Hang:
        return "FAIL hang in check", kind, file_kind
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        shutil.rmtree(folder, ignore_errors=True)


def _file_kind(name: str) -> str:
    if name.endswith(".toc"):
        return "toc"
    if name.endswith(".seg"):
        return "segment"
    return name


def run_trials(trials: int, seed: int, tmp: Path | None = None) -> dict:
    """``trials`` corruptions; the outcomes counted, and the failures listed."""
    with tempfile.TemporaryDirectory(dir=tmp) as scratch:
        work = Path(scratch)
        base = work / "base"
        build_index(base)
        expected = observe(base)
        rng = random.Random(seed)
        outcomes: Counter = Counter()
        by_kind: Counter = Counter()
        failures = []
        for _ in range(trials):
            outcome, kind, file_kind = trial(base, expected, work, rng)
            label = "failure" if outcome.startswith("FAIL") else outcome
            outcomes[label] += 1
            by_kind[f"{file_kind} {kind} {label}"] += 1
            if label == "failure":
                failures.append(f"{file_kind} {kind}: {outcome}")
        return {"trials": trials, "outcomes": dict(outcomes), "by kind": dict(sorted(by_kind.items())),
                "failures": failures}


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM for the hang bound")
def test_random_corruption_is_harmless_or_a_named_error():
    result = run_trials(TRIALS, seed=int(os.environ.get("VNSEARCH_CORRUPTION_SEED", "3")))
    print(f"\n{result}")
    assert result["failures"] == []
    kinds = {key.split()[0] for key in result["by kind"]}
    assert {"toc", "segment", "vnsearch.json"} <= kinds


def test_check_repairs_metadata_from_what_is_intact(tmp_path):
    path = tmp_path / "ix"
    build_index(path)
    expected = observe(path)
    assert check_index(path).ok
    (path / "vnsearch.json").write_text("{ damaged", encoding="utf-8")
    report = check_index(path)
    assert not report.ok and report.problems[0].file == "vnsearch.json"
    repaired = check_index(path, repair=True)
    assert repaired.repairs and check_index(path).ok
    assert observe(path) == expected

    segment = sorted(path.glob("*.seg"))[0]
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0xFF
    segment.write_bytes(bytes(data))
    with pytest.raises(VnsearchError, match=segment.name):
        vnsearch.Index.open(path)
    repaired = check_index(path, repair=True)
    assert repaired.documents_lost > 0 and check_index(path).ok
    index = vnsearch.Index.open(path)
    assert len(index) == expected[0] - repaired.documents_lost
    index.close()


def test_check_goes_back_to_the_previous_commit_when_the_last_toc_is_damaged(tmp_path):
    path = tmp_path / "ix"
    build_index(path)
    index = vnsearch.Index.open(path)
    old_len = len(index)
    with index.whoosh_index.reader():
        pass
    index.close()
    toc = max(path.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.split("_")[-1]))
    keep = toc.read_bytes()
    index = vnsearch.Index.open(path)
    index.add([{"id": "new", "body": "mới"}])
    index.close()
    (path / toc.name).write_bytes(keep)  # the previous commit's TOC, as a backup would hold it
    newest = max(path.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.split("_")[-1]))
    newest.write_bytes(newest.read_bytes()[:-3])
    with pytest.raises(VnsearchError, match=newest.name):
        vnsearch.Index.open(path)
    report = check_index(path, repair=True)
    assert report.repairs
    index = vnsearch.Index.open(path)
    assert len(index) == old_len
    index.close()
