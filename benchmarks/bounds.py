"""Bounds on hostile input: each crafted file indexed by ``vnsearch index`` in a subprocess,
with the default limits, its exit code, the error it printed, its wall time and peak RSS.

``python benchmarks/bounds.py [--work DIR] [--cases bomb,aa,record]``:

* ``bomb``: a .jsonl.gz of about 2 MB that inflates to 2 GiB of "a" (one line, no newline);
* ``lines``: a .jsonl.gz that inflates to 6 GiB of blank lines (past ``max_file_bytes``);
* ``aa``: a 40 MB .txt of "aa..." with no line break and no space;
* ``record``: a .jsonl holding a small record, then one of 40 M characters;
* ``words``: a .jsonl holding one record of 29 M characters ("Hà Nội " repeated), under the
  limit, to show what a record just below it costs.

Peak RSS is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after each child (one child per run, so
each figure is that run's peak; the largest child so far, hence the cases run smallest first).
"""

from __future__ import annotations

import argparse
import gzip
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_MB = 1 << 20


def _bomb(path: Path, unit: bytes, total: int) -> None:
    """A gzip file of ``total`` bytes of ``unit`` repeated, compressed as it is written."""
    block = unit * (_MB // len(unit))
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as out:
        for _ in range(total // len(block)):
            out.write(block)


def make_bomb(work: Path) -> Path:
    path = work / "bomb.jsonl.gz"
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9) as out:
        out.write(b'{"body": "')
        block = b"a" * _MB
        for _ in range(2048):
            out.write(block)
        out.write(b'"}\n')
    return path


def make_lines(work: Path) -> Path:
    path = work / "lines.jsonl.gz"
    _bomb(path, b" " * 1023 + b"\n", 6 << 30)  # blank lines: no documents, only bytes to read
    return path


def make_aa(work: Path) -> Path:
    path = work / "aa.txt"
    path.write_bytes(b"aa" * (20 * _MB))
    return path


def make_record(work: Path) -> Path:
    path = work / "record.jsonl"
    with open(path, "wb") as out:
        out.write(b'{"id": "small", "body": "xin ch\xc3\xa0o"}\n{"id": "huge", "body": "')
        out.write(b"a" * (40 * _MB))
        out.write(b'"}\n')
    return path


def make_words(work: Path) -> Path:
    path = work / "words.jsonl"
    with open(path, "wb") as out:
        out.write(b'{"id": "words", "body": "')
        out.write(("Hà Nội " * (40 * _MB // 10)).encode())
        out.write(b'"}\n')
    return path


CASES: dict[str, Callable[[Path], Path]] = {
    "aa": make_aa,
    "record": make_record,
    "bomb": make_bomb,
    "lines": make_lines,
    "words": make_words,
}


def run(path: Path, work: Path, extra: list[str]) -> dict[str, object]:
    index = Path(tempfile.mkdtemp(dir=work, prefix="index-"))
    command = [sys.executable, "-m", "vnsearch", "index", str(path), "--index", str(index / "ix"), *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    last = (done.stderr.strip() or done.stdout.strip()).splitlines()
    return {"exit": done.returncode, "seconds": round(seconds, 1), "peak_mb": round(peak), "said": last[-1] if last else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=None, help="folder for the crafted files")
    parser.add_argument("--cases", default="aa,record,bomb,lines")
    parser.add_argument("extra", nargs="*", help="flags passed to vnsearch index (after --)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="vnsearch-bounds-"))
    work.mkdir(parents=True, exist_ok=True)
    for name in args.cases.split(","):
        path = CASES[name](work)
        result = run(path, work, args.extra)
        size = path.stat().st_size / _MB
        print(f"{name}: {path.name} {size:.1f} MB on disk -> {result}", flush=True)


if __name__ == "__main__":
    main()
