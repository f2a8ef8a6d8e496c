"""Speed and memory of vnsearch against plain Whoosh and naive Whoosh + pyvi, in one run.

Measured, each in a fresh child process so that numbers do not mix:

* **indexing** the first ``--docs`` articles of ``docs.jsonl.gz`` (``--all``: every one) on
  disk, streamed from the file: characters/s (title + text), documents/s, index size and peak
  RSS, for

  - ``vnsearch``: ``Index.create`` + ``Index.add`` (exact and folded fields, pyvi words);
  - ``whoosh``: plain Whoosh, ``StandardAnalyzer``, one stored field with title and text;
  - ``whoosh+pyvi``: ``ViTokenizer.tokenize`` per paragraph, whitespace tokens, one field;

* **queries**: ``--queries`` short keyword queries (two or three syllables from the titles of
  the indexed articles, half typed without accents), top 10 with snippets for vnsearch
  (``index.search(q, limit=10)``) and with ``hit.highlights("content")`` for plain Whoosh (its
  query parser in OR mode, as vnsearch matches any word): p50 and p95 latency;
* **start-up**: ``import vnsearch`` in a fresh interpreter, and the first ``vnsearch.search()``
  on the sample corpus in a fresh process, with an empty cache (cold) and again (warm).

Peak RSS is the largest sum of the resident sizes of the indexing process and its worker
processes, sampled every 0.1 s (Linux), or that process's own peak where /proc is missing;
pages forked workers share with their parent count once per process, so the sum is an upper
bound (the JSON output also has the proportional set size, which counts them once).
Times are medians of ``--repeats`` runs (one run with ``--all``).

From the project root::

    python benchmarks/speed.py                       # 2,000 articles, all measurements
    python benchmarks/speed.py --all --systems vnsearch,whoosh --repeats 1
    python benchmarks/speed.py --docs 500 --repeats 1 --json speed.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "news-vi" / "docs.jsonl.gz"
ALL_DOCS = 10**9
WARMUP = 20  # queries run before the timed ones, not timed
SYSTEMS = ("vnsearch", "whoosh", "whoosh+pyvi")
QUERY_SYSTEMS = ("vnsearch", "whoosh")
_SYLLABLE_RE = re.compile(r"[^\W\d_]+")
_POLL_SECONDS = 0.1


# ---------------------------------------------------------------------------------------------
# the corpus


def read_articles(path: Path, docs: int) -> Iterator[dict[str, Any]]:
    """The first ``docs`` articles, streamed: dicts with id, title, text, source, url."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= docs:
                return
            yield json.loads(line)


def make_queries(path: Path, docs: int, count: int, seed: int = 7) -> list[str]:
    """``count`` queries of two or three consecutive title syllables, every other one folded."""
    from vnsearch.vietnamese.text import fold

    titles = [a["title"] for a in read_articles(path, docs) if a.get("title")]
    rng = random.Random(seed)
    queries: list[str] = []
    while len(queries) < count:
        syllables = _SYLLABLE_RE.findall(rng.choice(titles).lower())
        size = rng.choice((2, 3))
        if len(syllables) < size:
            continue
        start = rng.randrange(len(syllables) - size + 1)
        query = " ".join(syllables[start : start + size])
        queries.append(" ".join(fold(s) for s in query.split()) if len(queries) % 2 else query)
    return queries


# ---------------------------------------------------------------------------------------------
# child processes: each measurement runs in a fresh interpreter


def index_vnsearch(path: Path, docs: int, folder: Path, procs: int | None) -> None:
    import inspect

    import vnsearch

    index = vnsearch.Index.create(folder)
    records = (
        {"id": a["id"], "title": a["title"], "body": a["text"], "url": a["url"]}
        for a in read_articles(path, docs)
    )
    options = {}
    if "procs" in inspect.signature(index.add).parameters:
        options["procs"] = procs
    index.add(records, **options)
    index.close()


def _whoosh_index(folder: Path, analyzer: Any) -> Any:
    from whoosh import fields, index

    schema = fields.Schema(id=fields.ID(stored=True, unique=True), content=fields.TEXT(analyzer=analyzer, stored=True))
    folder.mkdir(parents=True, exist_ok=True)
    return index.create_in(str(folder), schema)


def index_whoosh(path: Path, docs: int, folder: Path) -> None:
    from whoosh.analysis import StandardAnalyzer

    ix = _whoosh_index(folder, StandardAnalyzer())
    with ix.writer() as writer:
        for a in read_articles(path, docs):
            writer.add_document(id=a["id"], content=a["title"] + "\n" + a["text"])


def index_whoosh_pyvi(path: Path, docs: int, folder: Path) -> None:
    from pyvi import ViTokenizer
    from whoosh.analysis import LowercaseFilter, SpaceSeparatedTokenizer

    ix = _whoosh_index(folder, SpaceSeparatedTokenizer() | LowercaseFilter())
    with ix.writer() as writer:
        for a in read_articles(path, docs):
            content = a["title"] + "\n" + a["text"]
            words = " ".join(ViTokenizer.tokenize(p) for p in content.split("\n") if p.strip())
            writer.add_document(id=a["id"], content=words)


def query_vnsearch(folder: Path, queries: list[str], passes: int) -> list[list[float]]:
    import vnsearch

    index = vnsearch.Index.open(folder)
    return _time_queries(lambda q: [h.snippets for h in index.search(q, limit=10)], queries, passes)


def query_whoosh(folder: Path, queries: list[str], passes: int) -> list[list[float]]:
    from whoosh import index
    from whoosh.qparser import OrGroup, QueryParser

    ix = index.open_dir(str(folder))
    searcher = ix.searcher()
    parser = QueryParser("content", ix.schema, group=OrGroup)

    def run(q: str) -> list[str]:
        return [hit.highlights("content") for hit in searcher.search(parser.parse(q), limit=10)]

    return _time_queries(run, queries, passes)


def _time_queries(run: Any, queries: list[str], passes: int) -> list[list[float]]:
    # Warm up (open readers, load the model) on queries that are not timed: none of the
    # timed ones is answered from a cache filled by the warm-up.
    for q in queries[:WARMUP]:
        run(q)
    timings = []
    for _ in range(passes):
        pass_times = []
        for q in queries[WARMUP:]:
            started = time.perf_counter()
            run(q)
            pass_times.append(time.perf_counter() - started)
        timings.append(pass_times)
    return timings


def import_time() -> dict[str, Any]:
    started = time.perf_counter()
    import vnsearch  # noqa: F401

    seconds = time.perf_counter() - started
    heavy = ("whoosh", "whoosh.searching", "pyvi", "sklearn", "numpy", "pycrfsuite", "unidecode")
    return {"seconds": seconds, "loaded": [m for m in heavy if m in sys.modules]}


def first_search(corpus: Path, query: str) -> dict[str, Any]:
    started = time.perf_counter()
    import vnsearch

    imported = time.perf_counter()
    results = vnsearch.search(query, corpus) if corpus else vnsearch.search(query)
    done = time.perf_counter()
    return {"import": imported - started, "search": done - imported, "total": done - started, "hits": len(results)}


def _own_peak_rss() -> int:
    """This process's peak RSS in bytes (VmHWM, or ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def child_main(args: argparse.Namespace) -> None:
    kind, system = args.child
    result: dict[str, Any] = {}
    if kind == "index":
        started = time.perf_counter()
        if system == "vnsearch":
            index_vnsearch(args.data, args.docs, args.folder, args.procs)
        elif system == "whoosh":
            index_whoosh(args.data, args.docs, args.folder)
        else:
            index_whoosh_pyvi(args.data, args.docs, args.folder)
        result["seconds"] = time.perf_counter() - started
        result["own_peak_rss"] = _own_peak_rss()
    elif kind == "query":
        queries = json.loads(Path(args.query_file).read_text(encoding="utf-8"))
        run = query_vnsearch if system == "vnsearch" else query_whoosh
        result["timings"] = run(args.folder, queries, args.passes)
    elif kind == "import":
        result = import_time()
    elif kind == "first-search":
        result = first_search(args.corpus, args.query)
    print(json.dumps(result))


# ---------------------------------------------------------------------------------------------
# the parent: runs children, samples their memory, reports


def run_child(argv: list[str], env: dict[str, str] | None = None) -> tuple[dict[str, Any], int]:
    """Run ``speed.py --child ...``; return its JSON result (with ``cpu_seconds``, the CPU
    time of the child and its workers, and ``peak_pss``) and the peak RSS of its tree."""
    command = [sys.executable, str(Path(__file__).resolve()), *argv]
    before = _children_cpu()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=ROOT)
    peak = peak_pss = 0
    while proc.poll() is None:
        rss, pss = _tree_memory(proc.pid)
        peak, peak_pss = max(peak, rss), max(peak_pss, pss)
        time.sleep(_POLL_SECONDS)
    out = proc.stdout.read().decode() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(argv)}")
    result = json.loads(out.strip().splitlines()[-1])
    result["cpu_seconds"] = _children_cpu() - before
    result["peak_pss"] = peak_pss
    return result, max(peak, result.get("own_peak_rss", 0))


def _children_cpu() -> float:
    """User + system time of every finished child (and their finished children) so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _tree_memory(root: int) -> tuple[int, int]:
    """The summed RSS and PSS in bytes of ``root`` and its descendants (0 without /proc)."""
    parents: dict[int, int] = {}
    proc = Path("/proc")
    if not proc.is_dir():
        return 0, 0
    for entry in proc.iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    rss = pss = 0
    for pid in tree:
        try:
            for line in (proc / str(pid) / "smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def count_input(path: Path, docs: int) -> tuple[int, int]:
    """(documents, characters of title + text) of the input."""
    n = chars = 0
    for a in read_articles(path, docs):
        n += 1
        chars += len(a["title"]) + len(a["text"])
    return n, chars


def bench_indexing(args: argparse.Namespace, work: Path, docs: int, chars: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for system in args.systems:
        runs = []
        for repeat in range(args.repeats):
            folder = work / f"{system}-{repeat}"
            argv = ["--child", "index", system, "--data", str(args.data), "--docs", str(args.docs), "--folder", str(folder)]
            if args.procs is not None:
                argv += ["--procs", str(args.procs)]
            result, peak = run_child(argv)
            runs.append(
                {
                    "seconds": result["seconds"],
                    "cpu": result["cpu_seconds"],
                    "peak_rss": peak,
                    "peak_pss": result["peak_pss"],
                    "size": folder_size(folder),
                }
            )
            print(
                f"  {system} run {repeat + 1}: {result['seconds']:.1f} s, CPU {result['cpu_seconds']:.1f} s, "
                f"peak RSS {peak / 2**20:.0f} MiB",
                file=sys.stderr,
            )
            if repeat < args.repeats - 1:
                shutil.rmtree(folder)
        seconds = statistics.median(r["seconds"] for r in runs)
        results[system] = {
            "seconds": seconds,
            "cpu_seconds": statistics.median(r["cpu"] for r in runs),
            "chars_per_s": chars / seconds,
            "docs_per_s": docs / seconds,
            "size": runs[-1]["size"],
            "peak_rss": max(r["peak_rss"] for r in runs),
            "peak_pss": max(r["peak_pss"] for r in runs),
            "folder": str(work / f"{system}-{args.repeats - 1}"),
        }
    return results


def existing_indexes(args: argparse.Namespace, work: Path) -> dict[str, dict[str, Any]]:
    """The indexes an earlier run with ``--work`` left (its last repeat), for queries only."""
    found = {}
    for system in args.systems:
        folders = sorted(work.glob(f"{system}-*"), key=lambda f: f.stat().st_mtime)
        if not folders:
            raise SystemExit(f"--existing: no {system} index in {work}")
        found[system] = {"folder": str(folders[-1])}
    return found


def bench_queries(args: argparse.Namespace, work: Path, indexes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    queries = make_queries(args.data, args.docs, WARMUP + args.queries)
    query_file = work / "queries.json"
    query_file.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    results = {}
    for system in QUERY_SYSTEMS:
        if system not in indexes:
            continue
        argv = ["--child", "query", system, "--folder", indexes[system]["folder"], "--query-file", str(query_file), "--passes", str(args.repeats)]
        result, _ = run_child(argv)
        passes = result["timings"]
        results[system] = {
            "p50_ms": statistics.median(_percentile(t, 50) for t in passes) * 1000,
            "p95_ms": statistics.median(_percentile(t, 95) for t in passes) * 1000,
            "queries": len(queries),
        }
    return results


def _percentile(values: list[float], p: float) -> float:
    """The ``p``-th percentile, nearest rank.

    >>> _percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)
    10
    >>> _percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)
    5
    """
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def bench_startup(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    imports = [run_child(["--child", "import", "-"])[0] for _ in range(max(5, args.repeats))]
    result: dict[str, Any] = {
        "import_s": statistics.median(r["seconds"] for r in imports),
        "import_loaded": imports[0]["loaded"],
    }
    import importlib.util

    if importlib.util.find_spec("vnsearch.notebook") is None:
        result["first_search"] = None
        return result
    colds, warms = [], []
    for repeat in range(max(3, args.repeats)):
        env = dict(os.environ, VNSEARCH_CACHE_DIR=str(work / f"cache-{repeat}"))
        argv = ["--child", "first-search", "-", "--query", args.first_query]
        if args.corpus:
            argv += ["--corpus", str(args.corpus)]
        colds.append(run_child(argv, env)[0])
        warms.append(run_child(argv, env)[0])
    for name, runs in (("cold", colds), ("warm", warms)):
        result[f"first_search_{name}"] = {key: statistics.median(r[key] for r in runs) for key in ("import", "search", "total")}
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (
        f"{os.cpu_count()} cores, {cpu}, {platform.system()}, Python {platform.python_version()}, "
        f"Whoosh-Reloaded {version('Whoosh-Reloaded')}, pyvi {version('pyvi')}"
    )


def report(args: argparse.Namespace, docs: int, chars: int, indexing: dict, queries: dict, startup: dict) -> str:
    lines = [f"Machine: {machine()}", f"Corpus: {docs:,} articles, {chars:,} characters", ""]
    if indexing:
        lines += [
            "| indexer | seconds | chars/s | docs/s | index size | peak RSS | peak PSS | CPU seconds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for system, r in indexing.items():
            lines.append(
                f"| {system} | {r['seconds']:.1f} | {r['chars_per_s']:,.0f} | {r['docs_per_s']:,.0f} | "
                f"{r['size'] / 2**20:,.0f} MiB | {r['peak_rss'] / 2**20:,.0f} MiB | "
                f"{r['peak_pss'] / 2**20:,.0f} MiB | {r['cpu_seconds']:.1f} |"
            )
        if "vnsearch" in indexing:
            for other in ("whoosh+pyvi", "whoosh"):
                if other in indexing:
                    ratio = indexing["vnsearch"]["chars_per_s"] / indexing[other]["chars_per_s"]
                    lines.append(f"\nvnsearch / {other} indexing throughput: {ratio:.2f}x")
        lines.append("")
    if queries:
        lines += [f"| queries ({args.queries}, top 10) | p50 | p95 |", "|---|---|---|"]
        for system, r in queries.items():
            what = "with snippets" if system == "vnsearch" else "with highlights"
            lines.append(f"| {system} {what} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms |")
        if len(queries) == 2:
            lines.append(f"\nvnsearch / whoosh p95: {queries['vnsearch']['p95_ms'] / queries['whoosh']['p95_ms']:.2f}x")
        lines.append("")
    if startup:
        lines.append(f"import vnsearch: {startup['import_s']:.3f} s (heavy modules loaded: {', '.join(startup['import_loaded']) or 'none'})")
        for name in ("cold", "warm"):
            r = startup.get(f"first_search_{name}")
            if r:
                lines.append(f"first vnsearch.search() {name}: {r['search']:.3f} s (with import: {r['total']:.3f} s)")
        if "first_search_cold" not in startup:
            lines.append("first vnsearch.search(): not measured (vnsearch.notebook is missing)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a news-vi docs.jsonl.gz")
    parser.add_argument("--docs", type=int, default=2000, help="articles to index (default 2,000)")
    parser.add_argument("--all", action="store_true", help="index every article (35,431)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3; 1 with --all)")
    parser.add_argument("--queries", type=int, default=200, help="queries to time (default 200)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help=f"indexers to run (default {','.join(SYSTEMS)})")
    parser.add_argument("--procs", type=int, default=None, help="vnsearch's Index.add(procs=...) (default: auto)")
    parser.add_argument("--no-queries", action="store_true", help="skip the query latencies")
    parser.add_argument("--no-startup", action="store_true", help="skip import and first-search times")
    parser.add_argument("--corpus", type=Path, default=None, help="corpus of the first search() (default: the sample)")
    parser.add_argument("--first-query", default="hải phòng", help="query of the first search()")
    parser.add_argument("--work", type=Path, default=None, help="keep the indexes in this folder")
    parser.add_argument("--existing", action="store_true", help="time queries on the indexes a run with --work left there")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    # internal: one measurement in a child process
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--query-file", help=argparse.SUPPRESS)
    parser.add_argument("--query", help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.all:
        args.docs = ALL_DOCS
    if args.child:
        child_main(args)
        return
    if args.repeats is None:
        args.repeats = 1 if args.all else 3
    args.systems = [s for s in args.systems.split(",") if s]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    work = args.work or Path(tempfile.mkdtemp(prefix="vnsearch-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        docs, chars = count_input(args.data, args.docs)
        print(f"{docs:,} articles, {chars:,} characters; working in {work}", file=sys.stderr)
        if args.existing:
            indexing, indexes = {}, existing_indexes(args, work)
        else:
            indexing = indexes = bench_indexing(args, work, docs, chars)
        queries = {} if args.no_queries else bench_queries(args, work, indexes)
        startup = {} if args.no_startup else bench_startup(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(report(args, docs, chars, indexing, queries, startup))
    if args.json:
        data = {"machine": machine(), "docs": docs, "chars": chars, "indexing": indexing, "queries": queries, "startup": startup}
        args.json.write_text(json.dumps(data, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
