"""Load on ``vnsearch serve``: concurrent clients searching over HTTP on 127.0.0.1.

Builds (once, kept in ``--work``) an index of the news-vi articles, starts ``vnsearch serve``
on a free local port, and runs two phases of ``--seconds`` each:

* **search**: ``--clients`` threads, each on its own keep-alive connection, send
  ``GET /search?q=...&limit=10`` (queries of two or three title syllables, half typed
  without accents, as ``benchmarks/speed.py`` makes them) one after another;
* **search + writes**: the same, and one more client posting one article at a time
  (``POST /documents``, each its own commit) with new ids.

For each phase: requests/s, latency p50/p99, errors (any status but 200, or a failed
connection), and the server's peak RSS (VmHWM, Linux). Every loop stops at the deadline or
after ``--max-requests``; traffic goes to 127.0.0.1 only. The clients run in this process
and share the machine's cores with the server.

From the project root::

    python benchmarks/http_load.py                        # every article, 16 clients, 30 s
    python benchmarks/http_load.py --docs 2000 --seconds 10 --json http.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speed import ALL_DOCS, DEFAULT_DATA, machine, make_queries, read_articles  # noqa: E402

API_KEY = "http-load-key"
WARMUP_QUERIES = 40


def build_index(data: Path, docs: int, folder: Path) -> float:
    """Index the first ``docs`` articles into ``folder`` with the command line; seconds taken."""
    import vnsearch

    if vnsearch.Index.exists(folder):
        index = vnsearch.Index.open(folder)
        count = len(index)
        index.close()
        wanted = sum(1 for _ in read_articles(data, docs))
        if count == wanted:
            return 0.0
    started = time.perf_counter()
    if docs >= ALL_DOCS:
        source = data
    else:
        source = folder.parent / f"first-{docs}.jsonl"
        with open(source, "w", encoding="utf-8") as out:
            for article in read_articles(data, docs):
                out.write(json.dumps(article, ensure_ascii=False) + "\n")
    subprocess.run([sys.executable, "-m", "vnsearch", "index", str(source), "--index", str(folder),
                    "--overwrite", "--no-progress"], check=True)
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss(pid: int) -> int:
    """The process's peak resident size in bytes (0 where /proc is missing)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Client:
    """One keep-alive connection to the server."""

    def __init__(self, port: int):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> int:
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return 0


def searcher_loop(port: int, queries: list[str], start: int, deadline: float, budget: list[int],
                  lock: threading.Lock, latencies: list[float], errors: list[int]) -> None:
    client = Client(port)
    i = start
    while time.monotonic() < deadline:
        with lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        path = "/search?" + urllib.parse.urlencode({"q": queries[i % len(queries)], "limit": 10})
        began = time.perf_counter()
        status = client.request("GET", path)
        latencies.append(time.perf_counter() - began)
        if status != 200:
            errors.append(status)
        i += 1


def writer_loop(port: int, articles: list[dict[str, Any]], deadline: float, latencies: list[float],
                errors: list[int]) -> None:
    client = Client(port)
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    n = 0
    while time.monotonic() < deadline and n < len(articles):
        article = dict(articles[n], id=f"http-load-{os.getpid()}-{n}")
        body = json.dumps([article], ensure_ascii=False).encode("utf-8")
        began = time.perf_counter()
        status = client.request("POST", "/documents", body=body, headers=headers)
        latencies.append(time.perf_counter() - began)
        if status != 200:
            errors.append(status)
        n += 1


def run_phase(port: int, pid: int, queries: list[str], args: argparse.Namespace,
              articles: list[dict[str, Any]] | None) -> dict[str, Any]:
    deadline = time.monotonic() + args.seconds
    latencies: list[float] = []
    errors: list[int] = []
    budget, lock = [args.max_requests], threading.Lock()
    threads = [threading.Thread(target=searcher_loop, args=(port, queries, k * 37, deadline, budget, lock, latencies, errors))
               for k in range(args.clients)]
    write_latencies: list[float] = []
    write_errors: list[int] = []
    if articles is not None:
        threads.append(threading.Thread(target=writer_loop, args=(port, articles, deadline, write_latencies, write_errors)))
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    result = {
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
        "peak_rss_mib": round(peak_rss(pid) / 2**20),
    }
    if articles is not None:
        result["writes"] = {
            "posted": len(write_latencies),
            "per_s": round(len(write_latencies) / elapsed, 2),
            "p50_ms": round(_percentile(write_latencies, 50) * 1000, 1),
            "p99_ms": round(_percentile(write_latencies, 99) * 1000, 1),
            "errors": len(write_errors),
        }
    return result


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_until_up(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"vnsearch serve exited: {process.stderr.read().decode() if process.stderr else ''}")
        if Client(port).request("GET", "/health") == 200:
            return
        time.sleep(0.2)
    raise SystemExit("vnsearch serve did not answer in time")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a news-vi docs.jsonl.gz")
    parser.add_argument("--docs", type=int, default=ALL_DOCS, help="index the first N articles (default: all)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/vnsearch-http-load"), help="where the index is kept")
    parser.add_argument("--clients", type=int, default=16, help="concurrent searching clients (default: 16)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase (default: 30)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="searches per phase at most")
    parser.add_argument("--queries", type=int, default=500, help="distinct queries (default: 500)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    label = "all" if args.docs >= ALL_DOCS else str(args.docs)
    folder = args.work / f"index-{label}"
    built = build_index(args.data, args.docs, folder)
    queries = make_queries(args.data, args.docs, args.queries)
    # Articles to post: the first ones again, under new ids (each post adds a document).
    articles = [a for _, a in zip(range(2000), read_articles(args.data, 2000))]

    # The writer's posts go into a copy: the built index stays as it was for the next run.
    served = args.work / "served"
    shutil.rmtree(served, ignore_errors=True)
    shutil.copytree(folder, served)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vnsearch", "serve", "--index", str(served), "--port", str(port), "--api-key", API_KEY],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(port, process)
        warm = Client(port)
        for q in queries[:WARMUP_QUERIES]:
            warm.request("GET", "/search?" + urllib.parse.urlencode({"q": q, "limit": 10}))
        size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
        results: dict[str, Any] = {
            "machine": machine(),
            "documents": len(list(read_articles(args.data, args.docs))),
            "index_mib": round(size / 2**20),
            "index_seconds": round(built, 1),
            "clients": args.clients,
            "search": run_phase(port, process.pid, queries, args, None),
            "search_and_writes": run_phase(port, process.pid, queries, args, articles),
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")


def report(r: dict[str, Any]) -> str:
    lines = [f"{r['machine']}", f"{r['documents']:,} articles, index {r['index_mib']} MiB; {r['clients']} searching clients",
             "", "| phase | requests/s | p50 ms | p99 ms | errors | server peak RSS MiB |", "|---|---|---|---|---|---|"]
    for name, key in (("search", "search"), ("search + 1 writer", "search_and_writes")):
        p = r[key]
        lines.append(f"| {name} | {p['requests_per_s']} | {p['p50_ms']} | {p['p99_ms']} | {p['errors']} | {p['peak_rss_mib']} |")
    w = r["search_and_writes"].get("writes")
    if w:
        lines.append("")
        lines.append(f"writer: {w['posted']} documents posted one per request ({w['per_s']}/s), "
                     f"p50 {w['p50_ms']} ms, p99 {w['p99_ms']} ms, {w['errors']} errors")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
