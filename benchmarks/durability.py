"""Durability benchmarks: what crash safety, checksums and the restricted unpickler cost.

``python benchmarks/durability.py fsync``: the commit of ``--docs`` news-vi articles into a
new index, with the fsyncs and without them (``FileOps``' sync methods made no-ops), repeated
``--repeat`` times alternately; the medians.

``python benchmarks/durability.py unpickle``: search latency over ``--queries`` queries on an
index of ``--docs`` articles with the restricted unpickler and with ``pickle.loads`` put back.

``python benchmarks/durability.py crash``: every crash state (no sampling) of a commit and an
optimize on three index sizes, as ``tests/system/test_crash_states.py`` replays a sample.

``python benchmarks/durability.py corrupt --trials 1000``: random corruptions of a real index's
files (see ``tests/system/test_corruption.py``), outcomes counted.

``python benchmarks/durability.py query --docs 5000``: CPU time of crafted queries (64 fuzzy
words, 64 prefixes, nested phrases) with the query's expansion budget and without it, phrases
matched by Whoosh's matchers and over posting arrays (``whoosh_ext.phrases``) alternately.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "system"))

from speed import DEFAULT_DATA, make_queries, read_articles  # noqa: E402

import vnsearch  # noqa: E402
from vnsearch.whoosh_ext import phrases, storage  # noqa: E402


class _TimedSync(storage.FileOps):
    """The real fsyncs, counted and timed: their cost apart from the CPU load of others."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0

    def _timed(self, fn, *args):
        started = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.calls += 1
            self.seconds += time.perf_counter() - started

    def sync(self, file):  # noqa: D102
        self._timed(super().sync, file)

    def sync_path(self, path):  # noqa: D102
        self._timed(super().sync_path, path)

    def sync_dir(self, path):  # noqa: D102
        self._timed(super().sync_dir, path)


class _NoSync(storage.FileOps):
    def sync(self, file):  # noqa: D102
        file.flush()

    def sync_path(self, path):  # noqa: D102
        pass

    def sync_dir(self, path):  # noqa: D102
        pass


def _records(data: Path, docs: int) -> list[dict]:
    return [
        {"id": a.get("id") or str(i), "title": a.get("title", ""), "body": a.get("text", "")}
        for i, a in enumerate(read_articles(data, docs))
    ]


def bench_fsync(args: argparse.Namespace) -> None:
    records = _records(args.data, args.docs)
    times: dict[str, list[float]] = {"with fsync": [], "without fsync": []}
    synced: list[tuple[int, float]] = []
    for _ in range(args.repeat):
        timed = _TimedSync()
        for label, ops in (("without fsync", _NoSync()), ("with fsync", timed)):
            storage.DurableStorage.ops = ops
            with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
                index = vnsearch.Index.create(Path(tmp) / "ix")
                started = time.perf_counter()
                index.add(records, procs=1)
                times[label].append(time.perf_counter() - started)
                index.close()
        synced.append((timed.calls, timed.seconds))
    storage.DurableStorage.ops = storage.FileOps()
    for calls, seconds in synced:
        print(f"with fsync: {calls} fsync calls (create, then {args.docs} articles added in one commit), "
              f"{seconds * 1000:.1f} ms inside them")
    for label, values in times.items():
        print(f"commit of {args.docs} articles, {label}: median {statistics.median(values):.3f} s "
              f"(runs: {', '.join(f'{v:.3f}' for v in values)})")
    cost = statistics.median(times["with fsync"]) - statistics.median(times["without fsync"])
    print(f"fsync cost: {cost * 1000:+.0f} ms per commit")


def bench_unpickle(args: argparse.Namespace) -> None:
    import pickle

    import whoosh.columns
    import whoosh.formats
    from whoosh.codec import whoosh3
    from whoosh.filedb import structfile

    from vnsearch.whoosh_ext import pickles

    records = _records(args.data, args.docs)
    queries = make_queries(args.data, args.docs, args.queries)
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        path = Path(tmp) / "ix"
        index = vnsearch.Index.create(path)
        index.add(records)
        index.close()

        def run() -> list[float]:
            index = vnsearch.Index.open(path)
            for q in queries[:20]:
                index.search(q)
            out = []
            for q in queries:
                started = time.perf_counter()
                index.search(q)
                out.append(time.perf_counter() - started)
            index.close()
            return out

        results: dict[str, list[float]] = {"restricted": [], "pickle.loads": []}
        for _ in range(args.repeat):
            for label in ("pickle.loads", "restricted"):
                plain = label == "pickle.loads"
                whoosh3.loads = pickle.loads if plain else pickles.loads
                whoosh.formats.loads = pickle.loads if plain else pickles.loads
                whoosh.columns.loads = pickle.loads if plain else pickles.loads
                structfile.load_pickle = pickle.load if plain else pickles.load
                results[label].extend(run())
        # The per-call cost, apart from the machine's load: unpickling calls per search, and
        # process CPU time per call on the pickles those searches read.
        seen: list[bytes] = []
        whoosh3.loads = lambda data: (seen.append(bytes(data)), pickles.loads(data))[1]
        whoosh.formats.loads = whoosh3.loads
        index = vnsearch.Index.open(path)
        for q in queries:
            index.search(q)
        index.close()
        whoosh3.loads = whoosh.formats.loads = pickles.loads
        sample = seen[:20000]
        cpu = {}
        for label, fn in (("pickle.loads", pickle.loads), ("restricted", pickles.loads)):
            started = time.process_time()
            for _ in range(5):
                for data in sample:
                    fn(data)
            cpu[label] = (time.process_time() - started) / (5 * len(sample))
        per_search = len(seen) / len(queries)
        print(f"{per_search:.0f} unpickling calls per search (blocks and positions; {len(sample)} timed): "
              f"pickle.loads {cpu['pickle.loads'] * 1e6:.2f} us, restricted {cpu['restricted'] * 1e6:.2f} us a call: "
              f"{(cpu['restricted'] - cpu['pickle.loads']) * per_search * 1000:.3f} ms CPU more per search")
        for label, values in results.items():
            values.sort()
            print(f"{label}: {len(values)} searches, median {statistics.median(values) * 1000:.2f} ms, "
                  f"p95 {values[int(len(values) * 0.95)] * 1000:.2f} ms, mean {statistics.mean(values) * 1000:.2f} ms")


def bench_query(args: argparse.Namespace) -> None:
    """CPU time of crafted queries (64 fuzzy words, prefixes, nesting) with the expansion
    budget and with it lifted."""
    path = args.tmp / "query-index" if args.tmp else Path(tempfile.gettempdir()) / "vnsearch-query-index"
    if not vnsearch.Index.exists(path):
        index = vnsearch.Index.create(path)
        index.add(_records(args.data, args.docs))
        index.close()
    index = vnsearch.Index.open(path)
    titles = [r["title"] for r in _records(args.data, 200)]
    words = [w for t in titles for w in t.split() if w.isalpha() and len(w) > 3][:64]
    crafted = {
        "64 fuzzy ~2 words": " ".join(f"{w}~2" for w in words),
        "64 prefixes": " ".join(f"{w[:2]}*" for w in words),
        "fuzzy phrases nested": " OR ".join(f'("{a} {b}" AND ({a[:2]}* OR {b}~2))' for a, b in zip(words[::2], words[1::2])),
    }
    arrays_match = phrases.match
    index.search("hai phong")  # warm: the first search reads the field lengths
    for label, query in crafted.items():
        for budget in ("budget", "no budget"):
            options = {} if budget == "budget" else {"max_query_expansions": 10**9, "max_expansion_seconds": 1e9}
            cpu: dict[str, list[float]] = {"Whoosh's phrases": [], "array phrases": []}
            for _ in range(args.repeat):
                for how in cpu:  # alternately, so that the machine's load falls on both
                    phrases.match = arrays_match if how == "array phrases" else (lambda *a: None)
                    started = time.process_time()
                    results = index.search(query, **options)
                    cpu[how].append(time.process_time() - started)
            phrases.match = arrays_match
            before, after = (statistics.median(values) for values in cpu.values())
            print(f"{label}, {budget}: CPU median of {args.repeat}, Whoosh's phrases {before:.3f} s, "
                  f"array phrases {after:.3f} s ({before / after:.1f}x); "
                  f"{results.total} hits, ignored: {list(results.ignored)[-1:]}", flush=True)
    index.close()


def bench_crash(args: argparse.Namespace) -> None:
    import shutil

    from crash_replay import Recorder, materialise
    from test_crash_states import SIZES, _snapshot
    from test_crash_states import _records as synthetic

    totals: dict[str, dict[str, int]] = {}
    for kind in ("commit", "optimize"):
        for size in SIZES:
            with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
                path = Path(tmp) / "ix"
                index = vnsearch.Index.create(path)
                if kind == "commit":
                    index.add(synthetic(0, size), procs=1)
                    index.add(synthetic(size, 5), procs=1)
                else:
                    for start in range(0, size, max(1, size // 3)):
                        index.add(synthetic(start, max(1, size // 3)), procs=1)
                    index.delete("d0")
                index.close()
                before = _snapshot(path)
                recorder = Recorder(path)
                storage.DurableStorage.ops = recorder
                index = vnsearch.Index.open(path)
                with index:
                    if kind == "commit":
                        index.add(synthetic(size // 2, 4, tag="mới"), procs=1)
                        index.delete(f"d{size + 1}")
                    else:
                        index.optimize()
                index.close()
                storage.DurableStorage.ops = storage.FileOps()
                after = _snapshot(path)
                counts = {"states": 0, "previous": 0, "new": 0, "unreadable": 0, "partial": 0}
                started = time.perf_counter()
                for n, state in enumerate(recorder.crash_states()):
                    folder = materialise(state, Path(tmp) / f"s{n}")
                    try:
                        held = _snapshot(folder)
                    except Exception:  # noqa: BLE001
                        counts["unreadable"] += 1
                    else:
                        counts["previous" if held == before else "new" if held == after else "partial"] += 1
                    counts["states"] += 1
                    shutil.rmtree(folder)
                ops = recorder.counts()
                print(f"{kind} on {size} documents: {counts}; recorded {ops}; "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
                totals[f"{kind}-{size}"] = counts
    print(json.dumps(totals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("fsync", "unpickle", "crash", "corrupt", "query"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="news-vi's docs.jsonl.gz, or the shared data folder")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the temporary indexes")
    args = parser.parse_args()
    if args.data.is_dir():  # the shared data folder: its news-vi articles
        args.data = args.data / "news-vi" / "docs.jsonl.gz"
    if args.what == "corrupt":
        from test_corruption import run_trials

        print(json.dumps(run_trials(args.trials, args.seed, args.tmp), indent=1))
        return
    {"fsync": bench_fsync, "unpickle": bench_unpickle, "crash": bench_crash, "query": bench_query}[args.what](args)


if __name__ == "__main__":
    main()
