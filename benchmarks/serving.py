"""vnsearch embedded in an application: one index, many threads, one memory budget.

Measured on news-vi, in one run, each measurement in a fresh child process:

* **threads**: after a warm-up pass over the queries, 200 searches each from a new thread,
  then ``--threads`` threads searching for ``--seconds``: RSS and open file descriptors
  after each phase (targets: growth after the warm-up under 10% of the index size on disk;
  descriptors constant);
* **peak**: the peak RSS of one process that opens the index and runs the queries, in one
  thread and in ``--threads`` threads at once (targets: at most 1.2x and 1.5x the index size);
* **writer**: ``--threads`` threads searching for ``--seconds`` alone, then as long again
  beside one thread adding 2 documents a second one at a time (``index.add(doc)``, a commit
  each), each document searched for until it shows: errors, lost or doubled documents,
  search p50/p95 with and without the writer (target: p95 at most 1.3x), and how long each
  added document took to become visible, from the call of ``add`` (target: within 1 s), and
  of that how long ``add`` took to return (its commit);
* **latency**: query p50/p95 at 2,000 and at every article, one thread, the code under test
  against ``--baseline`` (another checkout of vnsearch, e.g. ``git archive`` of an older
  commit), so that the two are compared within one run; with ``--baseline`` the writer
  scenario runs for both checkouts too, each on its own copy of the large index.

The writer scenario works on a copy of the large index; the other indexes are built once in
``--work`` (by the code under test) and reused. Every phase stops by itself after a fixed
count or time. The machine may be shared: compare the ratios within one run.

From the project root::

    python benchmarks/serving.py --baseline /path/to/old/checkout
    python benchmarks/serving.py --seconds 5 --docs 2000 --skip-large     # a quick look
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "news-vi" / "docs.jsonl.gz"
ALL_DOCS = 35_431
SMALL_DOCS = 2_000
NEW_THREAD_SEARCHES = 200
WRITES_PER_SECOND = 2.0
VISIBLE_TIMEOUT = 30.0  # seconds an added document is searched for before it counts as lost


# ---------------------------------------------------------------------------------------------
# what a child process measures of itself


def rss() -> int:
    """Resident set size now, bytes."""
    return _status("VmRSS:")


def peak_rss() -> int:
    """Peak resident set size of this process so far, bytes."""
    return _status("VmHWM:")


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {key} in /proc/self/status (Linux only)")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def percentiles(times: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds (nearest rank)."""
    if not times:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "count": 0}
    ordered = sorted(times)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered)) - 1))] * 1000

    return {"p50_ms": rank(0.50), "p95_ms": rank(0.95), "count": len(ordered)}


def read_articles(path: Path, docs: int, skip: int = 0) -> list[dict[str, Any]]:
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number < skip:
                continue
            if number >= skip + docs:
                break
            out.append(json.loads(line))
    return out


def make_queries(path: Path, docs: int, count: int, seed: int = 7) -> list[str]:
    """Two or three consecutive title syllables, every other one without accents (as speed.py)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import speed  # the one home of the query recipe

    return speed.make_queries(path, docs, count, seed)


def _search_loop(index: Any, queries: list[str], stop_at: float, times: list[float], errors: list[str], seed: int) -> None:
    rng = random.Random(seed)
    while time.monotonic() < stop_at:
        query = rng.choice(queries)
        started = time.perf_counter()
        try:
            index.search(query, limit=10)
        except Exception as exc:  # counted: the target is none
            errors.append(f"{type(exc).__name__}: {exc}")
        times.append(time.perf_counter() - started)


def _threads(count: int, target: Any, *args: Any) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=(*args, n)) for n in range(count)]
    for thread in threads:
        thread.start()
    return threads


def child_threads(args: argparse.Namespace, vnsearch: Any) -> dict[str, Any]:
    index = vnsearch.Index.open(args.index)
    queries = json.loads(Path(args.queries_file).read_text())
    for query in queries:  # warm-up: the commit opened, the queries' postings read once
        index.search(query, limit=10)
    result: dict[str, Any] = {"warm": {"rss": rss(), "fds": open_fds()}}
    errors: list[str] = []
    for n in range(NEW_THREAD_SEARCHES):
        query = queries[n % len(queries)]
        thread = threading.Thread(target=lambda q=query: index.search(q, limit=10))
        thread.start()
        thread.join()
    result["after_new_threads"] = {"rss": rss(), "fds": open_fds(), "threads": NEW_THREAD_SEARCHES}
    times: list[float] = []
    stop_at = time.monotonic() + args.seconds
    for thread in [*_threads(args.threads, _search_loop, index, queries, stop_at, times, errors)]:
        thread.join()
    result["after_threads"] = {"rss": rss(), "fds": open_fds(), "searches": len(times), **percentiles(times)}
    result["errors"] = errors[:5]
    result["error_count"] = len(errors)
    result["peak_rss"] = peak_rss()
    return result


def child_peak(args: argparse.Namespace, vnsearch: Any) -> dict[str, Any]:
    queries = json.loads(Path(args.queries_file).read_text())
    index = vnsearch.Index.open(args.index)
    errors: list[str] = []
    if args.threads <= 1:
        for query in queries:
            index.search(query, limit=10)
    else:
        def one_pass(seed: int) -> None:
            order = list(queries)
            random.Random(seed).shuffle(order)
            for query in order:
                try:
                    index.search(query, limit=10)
                except Exception as exc:  # counted
                    errors.append(f"{type(exc).__name__}: {exc}")

        threads = _threads(args.threads, one_pass)
        for thread in threads:
            thread.join()
    return {"peak_rss": peak_rss(), "rss": rss(), "fds": open_fds(), "error_count": len(errors)}


def child_writer(args: argparse.Namespace, vnsearch: Any) -> dict[str, Any]:
    index = vnsearch.Index.open(args.index)
    queries = json.loads(Path(args.queries_file).read_text())
    articles = read_articles(Path(args.data), int(args.seconds * WRITES_PER_SECOND) + 5, skip=0)
    before = len(index)
    for query in queries:
        index.search(query, limit=10)

    def searching(seconds: float) -> tuple[list[float], list[str]]:
        times: list[float] = []
        errors: list[str] = []
        stop_at = time.monotonic() + seconds
        for thread in _threads(args.threads, _search_loop, index, queries, stop_at, times, errors):
            thread.join()
        return times, errors

    alone, alone_errors = searching(args.seconds)

    added: list[str] = []
    visible: list[float] = []
    committed: list[float] = []  # until add() returned: the document committed
    writer_errors: list[str] = []

    def write() -> None:
        stop_at = time.monotonic() + args.seconds
        n = 0
        while time.monotonic() < stop_at:
            due = time.monotonic() + 1 / WRITES_PER_SECOND
            article = articles[n % len(articles)]
            marker = f"serving{n:05d}marker"  # one token found in this document alone
            try:
                started = time.perf_counter()
                index.add({"id": f"serving-{n}", "title": f"{article['title']} {marker}", "body": article["text"]})
                committed.append(time.perf_counter() - started)
                added.append(marker)
                while not index.search(marker, limit=1, snippets=False, suggest=False).total:
                    if time.perf_counter() - started > VISIBLE_TIMEOUT:
                        raise RuntimeError(f"{marker} not visible after {VISIBLE_TIMEOUT} s")
                    time.sleep(0.005)
                visible.append(time.perf_counter() - started)
            except Exception as exc:  # counted: the target is none
                writer_errors.append(f"{type(exc).__name__}: {exc}")
            n += 1
            time.sleep(max(0.0, due - time.monotonic()))

    writer = threading.Thread(target=write)
    writer.start()
    beside, beside_errors = searching(args.seconds)
    writer.join()
    found = [index.search(marker, limit=5, snippets=False, suggest=False).total for marker in added]
    return {
        "alone": percentiles(alone),
        "with_writer": percentiles(beside),
        "search_errors": len(alone_errors) + len(beside_errors),
        "writer_errors": writer_errors[:5],
        "writer_error_count": len(writer_errors),
        "added": len(added),
        "lost": sum(1 for count in found if count == 0),
        "doubled": sum(1 for count in found if count > 1),
        "documents_before": before,
        "documents_after": len(index),
        "visible": {"max_s": max(visible) if visible else None, **percentiles(visible)},
        "committed": {"max_s": max(committed) if committed else None, **percentiles(committed)},
        "first_visible_s": visible[0] if visible else None,  # the first add also reads the index's ids
        "slowest": visible.index(max(visible)) if visible else None,
        "peak_rss": peak_rss(),
    }


def child_latency(args: argparse.Namespace, vnsearch: Any) -> dict[str, Any]:
    index = vnsearch.Index.open(args.index)
    queries = json.loads(Path(args.queries_file).read_text())
    for query in queries[:20]:  # warm-up on queries not timed
        index.search(query, limit=10)
    times = []
    for _ in range(args.passes):
        for query in queries[20:]:
            started = time.perf_counter()
            [hit.snippets for hit in index.search(query, limit=10)]
            times.append(time.perf_counter() - started)
    return {**percentiles(times), "peak_rss": peak_rss()}


CHILDREN = {"threads": child_threads, "peak": child_peak, "writer": child_writer, "latency": child_latency}


def child_main(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(args.code))  # the checkout whose vnsearch is measured
    import vnsearch

    assert Path(vnsearch.__file__).resolve().is_relative_to(Path(args.code).resolve()), vnsearch.__file__
    print(json.dumps(CHILDREN[args.child](args, vnsearch)))


# ---------------------------------------------------------------------------------------------
# the parent: builds what is missing, runs each child, reports


def run_child(args: argparse.Namespace, child: str, code: Path, index: Path, timeout: float, **extra: Any) -> dict[str, Any]:
    argv = [
        sys.executable, __file__, "--child", child, "--code", str(code), "--index", str(index),
        "--queries-file", str(args.queries_file), "--data", str(args.data),
        "--threads", str(extra.get("threads", args.threads)), "--seconds", str(args.seconds),
        "--passes", str(args.passes),
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=str(args.work))
    if done.returncode != 0:
        raise RuntimeError(f"{child} ({code}) failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    print(f"  {child:8} {code.name:12} {index.name:10} {json.dumps(result)}", flush=True)
    return result


def build_index(data: Path, docs: int, folder: Path) -> None:
    if (folder / "vnsearch.json").is_file():
        return
    import vnsearch

    print(f"building {folder} ({docs} articles)", flush=True)
    index = vnsearch.Index.create(folder, overwrite=True)
    index.add(
        {"id": a["id"], "title": a["title"], "body": a["text"], "url": a["url"]}
        for a in read_articles(data, docs)
    )
    index.close()


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--work", type=Path, default=Path("/tmp/vnsearch-serving"), help="indexes are built here once")
    parser.add_argument("--baseline", type=Path, help="another vnsearch checkout to compare query latency with")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries (latency)")
    parser.add_argument("--queries", type=int, default=200, help="how many queries")
    parser.add_argument("--docs", type=int, default=ALL_DOCS, help="articles in the large index")
    parser.add_argument("--skip-large", action="store_true", help="the 2,000-article index only")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--queries-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args)
        return
    args.work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from vnsearch.whoosh_ext.storage import sync_tree
    sizes = {"small": SMALL_DOCS} if args.skip_large else {"small": SMALL_DOCS, "large": args.docs}
    folders = {name: args.work / f"news-{docs}" for name, docs in sizes.items()}
    for name, docs in sizes.items():
        build_index(args.data, docs, folders[name])
    biggest = max(sizes, key=lambda n: sizes[n])
    # From the titles of the first 2,000 articles, which both indexes hold (speed.py's too).
    args.queries_file = args.work / "queries.json"
    args.queries_file.write_text(json.dumps(make_queries(args.data, SMALL_DOCS, args.queries), ensure_ascii=False))
    bound = 600 + 6 * args.seconds  # every child stops by itself well before
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), "
        f"load {os.getloadavg()[0]:.1f} at start, Python {platform.python_version()}",
        "index_bytes": {name: folder_size(folder) for name, folder in folders.items()},
        "documents": sizes,
    }
    big = folders[biggest]
    print(f"indexes: {results['index_bytes']}", flush=True)
    results["threads"] = run_child(args, "threads", ROOT, big, bound)
    results["peak_one"] = run_child(args, "peak", ROOT, big, bound, threads=1)
    results["peak_threads"] = run_child(args, "peak", ROOT, big, bound)
    if args.baseline:
        results["baseline_peak_one"] = run_child(args, "peak", args.baseline, big, bound, threads=1)
    scratch = args.work / "writer-copy"
    for key, code in [("writer", ROOT)] + ([("baseline_writer", args.baseline)] if args.baseline else []):
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(big, scratch)  # each from the same index: no adds of the other
        # On disk before the child starts: else the first commit's fsyncs flush the copy from the
        # whole page cache (ext4 commits its journal whole), which no app's index waits for.
        sync_tree(scratch)
        try:
            results[key] = run_child(args, "writer", code, scratch, bound)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    results["latency"] = {}
    for name, folder in folders.items():
        results["latency"][name] = {"vnsearch": run_child(args, "latency", ROOT, folder, bound)}
        if args.baseline:
            results["latency"][name]["baseline"] = run_child(args, "latency", args.baseline, folder, bound)
    results["load_at_end"] = os.getloadavg()[0]
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def report(r: dict[str, Any]) -> str:
    mib = 2**20
    size = r["index_bytes"]["large" if "large" in r["index_bytes"] else "small"]
    t = r["threads"]
    growth = t["after_threads"]["rss"] - t["warm"]["rss"]
    lines = [
        f"machine: {r['machine']}; load {r['load_at_end']:.1f} at the end",
        f"index: {size / mib:.0f} MiB on disk",
        f"threads: RSS warm {t['warm']['rss'] / mib:.0f} MiB, after {NEW_THREAD_SEARCHES} new threads "
        f"{t['after_new_threads']['rss'] / mib:.0f} MiB, after 8 threads x {t['after_threads']['searches']} searches "
        f"{t['after_threads']['rss'] / mib:.0f} MiB: growth {growth / size:.1%} of the index (target < 10%); "
        f"fds {t['warm']['fds']} -> {t['after_new_threads']['fds']} -> {t['after_threads']['fds']}; "
        f"errors {t['error_count']}",
        f"peak RSS, one thread: {r['peak_one']['peak_rss'] / mib:.0f} MiB = {r['peak_one']['peak_rss'] / size:.2f}x "
        f"(target <= 1.2x); 8 threads: {r['peak_threads']['peak_rss'] / mib:.0f} MiB = "
        f"{r['peak_threads']['peak_rss'] / size:.2f}x (target <= 1.5x)",
    ]
    if "baseline_peak_one" in r:
        b = r["baseline_peak_one"]["peak_rss"]
        lines.append(f"baseline peak RSS, one thread: {b / mib:.0f} MiB = {b / size:.2f}x")
    for key, name in (("writer", "writer"), ("baseline_writer", "baseline writer")):
        if key in r:
            lines.append(f"{name}: {_writer_line(r[key])}")
    for name, by in r["latency"].items():
        ours = by["vnsearch"]
        text = f"latency {name} ({r['documents'][name]} articles): p50/p95 {ours['p50_ms']:.1f}/{ours['p95_ms']:.1f} ms"
        if "baseline" in by:
            base = by["baseline"]
            text += (
                f", baseline {base['p50_ms']:.1f}/{base['p95_ms']:.1f} ms (ratio "
                f"{ours['p50_ms'] / base['p50_ms']:.2f}/{ours['p95_ms'] / base['p95_ms']:.2f})"
            )
        lines.append(text)
    return "\n".join(lines)


def _writer_line(w: dict[str, Any]) -> str:
    return (
        f"{w['added']} added, lost {w['lost']}, doubled {w['doubled']}, errors "
        f"{w['search_errors']} search + {w['writer_error_count']} write; documents {w['documents_before']} -> "
        f"{w['documents_after']}; p50/p95 alone {w['alone']['p50_ms']:.0f}/{w['alone']['p95_ms']:.0f} ms, "
        f"with writer {w['with_writer']['p50_ms']:.0f}/{w['with_writer']['p95_ms']:.0f} ms "
        f"(p95 ratio {w['with_writer']['p95_ms'] / w['alone']['p95_ms']:.2f}, target <= 1.3); visible after "
        f"p50 {w['visible']['p50_ms']:.0f} ms, p95 {w['visible']['p95_ms']:.0f} ms, max {w['visible']['max_s'] or 0:.2f} s"
        f" (add() returned after p50 {w['committed']['p50_ms']:.0f} ms, p95 {w['committed']['p95_ms']:.0f} ms, "
        f"max {w['committed']['max_s'] or 0:.2f} s; the first add {w['first_visible_s'] or 0:.2f} s, "
        f"the slowest was add {w['slowest']})"
    )


if __name__ == "__main__":
    main()
