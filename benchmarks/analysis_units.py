"""Speed of text analysis (``vnsearch.vietnamese.units.units``), this checkout against a git revision.

Reads the first ``--docs`` articles of a news-vi style ``docs.jsonl.gz`` through
``Document.from_record``, as the indexer does, and times ``units(text, words)`` on the title
and the body of each (``vnsearch.analysis._units`` in a revision from before the units had
their own module). The baseline is ``git archive`` of ``--baseline`` (``HEAD`` by default)
unpacked in a temporary folder; each measurement runs in a fresh process (one warm-up pass,
then one timed pass, CPU time), alternating baseline and checkout ``--repeats`` times so that
a busy machine slows both alike; the medians are reported. Both must give the same units.

From the project root::

    python benchmarks/analysis_units.py                          # 1,000 articles, against HEAD
    python benchmarks/analysis_units.py --baseline HEAD~3 --repeats 9
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "news-vi" / "docs.jsonl.gz"


def worker(data: Path, docs: int, words: bool) -> None:
    """Print the CPU seconds of one pass over the texts, and a digest of the units."""
    try:
        from vnsearch.vietnamese.units import units
    except ImportError:  # a baseline from before vietnamese/units.py
        from vnsearch.analysis import _units as units
    from vnsearch.documents import Document

    texts = []
    with gzip.open(data, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= docs:
                break
            document = Document.from_record(json.loads(line))
            texts += [document.title, document.body]
    digest = hashlib.sha256()
    for text in texts:  # warm-up: pyvi's model and the piece caches
        digest.update(pickle.dumps(tuple(map(tuple, units(text, words)))))
    start = time.process_time()
    for text in texts:
        units(text, words)
    print(json.dumps({"seconds": time.process_time() - start, "digest": digest.hexdigest()}))


def run_worker(source: Path, args: argparse.Namespace) -> dict:
    """One measurement in a fresh process importing vnsearch from ``source``."""
    command = [sys.executable, __file__, "--worker", "--data", str(args.data)]
    command += ["--docs", str(args.docs)]
    if args.no_words:
        command.append("--no-words")
    env = {**os.environ, "PYTHONPATH": str(source)}
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=source)
    return json.loads(out.stdout)


def export(revision: str, folder: Path) -> Path:
    """The vnsearch package of ``revision``, unpacked under ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "vnsearch"],
        capture_output=True,
        check=True,
    ).stdout
    path = folder / "archive.tar"
    path.write_bytes(archive)
    with tarfile.open(path) as tar:
        # the "data" filter where this Python has it (3.10.12+), as 3.14 makes it the default
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(folder, **kwargs)
    return folder


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="docs.jsonl.gz to read")
    parser.add_argument("--docs", type=int, default=1000, help="articles to read (1000)")
    parser.add_argument("--repeats", type=int, default=5, help="measurements of each (5)")
    parser.add_argument("--baseline", default="HEAD", help="git revision to compare with (HEAD)")
    parser.add_argument("--no-words", action="store_true", help="units(text, False): no pyvi")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print the medians."""
    args = build_parser().parse_args(argv)
    args.data = args.data.resolve()
    if args.worker:
        worker(args.data, args.docs, not args.no_words)
        return 0
    times: dict[str, list[float]] = {args.baseline: [], "checkout": []}
    digests = {}
    with tempfile.TemporaryDirectory(prefix="vnsearch-baseline-") as folder:
        sources = {args.baseline: export(args.baseline, Path(folder)), "checkout": ROOT}
        for _ in range(args.repeats):
            for name, source in sources.items():
                result = run_worker(source, args)
                times[name].append(result["seconds"])
                digests[name] = result["digest"]
    medians = {name: statistics.median(seconds) for name, seconds in times.items()}
    before, after = medians[args.baseline], medians["checkout"]
    print(f"units(text, {not args.no_words}) on titles and bodies of {args.docs:,} articles, "
          f"CPU seconds, median of {args.repeats}")
    for name, seconds in times.items():
        print(f"  {name:>10}: {medians[name]:.2f} s  ({' '.join(f'{s:.2f}' for s in seconds)})")
    same = len(set(digests.values())) == 1
    print(f"  {100 * (1 - after / before):.0f}% less time; same units: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
