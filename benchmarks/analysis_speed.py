"""Speed of Vietnamese word segmentation: vnsearch's segmenter against pyvi's ViTokenizer.

Reads the first ``--docs`` articles of a news-vi style ``docs.jsonl.gz`` (one JSON object per
line with a ``text`` field), splits each text into paragraphs on newlines, and times, per
paragraph and in one process:

* ``pyvi.ViTokenizer.tokenize``, the reference;
* ``vnsearch.vietnamese.segmenter.tokenize``, which must return the same strings (checked once, untimed);
* ``vnsearch.vietnamese.segmenter.segment(pieces(...))``, the flags the indexer uses;
* ``VietnameseTokenizer`` from ``vnsearch.analysis``, the full Whoosh tokenizer, when present.

Each is run ``--repeats`` times, round robin so that a busy machine slows all alike, and the
median is reported as syllables per second, where syllables are pyvi's pieces that hold a
letter or digit (punctuation pieces are segmented too, but not counted). Also reported: the
one-off cost of loading each model.

From the project root::

    python benchmarks/analysis_speed.py                      # 2,000 articles
    python benchmarks/analysis_speed.py --docs 200 --repeats 1
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "news-vi" / "docs.jsonl.gz"

Run = Callable[[str], object]


def read_paragraphs(path: Path, docs: int) -> list[str]:
    """Non-empty paragraphs (text split on newlines) of the first ``docs`` articles."""
    return [p for text in _texts(path, docs) for p in text.split("\n") if p.strip()]


def _texts(path: Path, docs: int) -> Iterator[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= docs:
                return
            yield json.loads(line)["text"]


def count_syllables(paragraphs: Sequence[str]) -> int:
    """pyvi's pieces that hold a letter or a digit, over all paragraphs."""
    from vnsearch.vietnamese.segmenter import pieces

    return sum(any(c.isalnum() for c in piece) for p in paragraphs for piece in pieces(p))


def timed(action: Callable[[], object]) -> float:
    """Seconds taken by one call of ``action``."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def load_systems() -> tuple[dict[str, Run], dict[str, float]]:
    """The systems to time, and the seconds each took to import and load its model."""
    from vnsearch.vietnamese import segmenter

    loads = {"vnsearch.vietnamese.segmenter": timed(lambda: segmenter.tokenize("Hà Nội"))}
    systems: dict[str, Run] = {
        "vnsearch.vietnamese.segmenter.tokenize": segmenter.tokenize,
        "segment(pieces(text))": lambda text: segmenter.segment(segmenter.pieces(text)),
    }
    try:
        from vnsearch.analysis import VietnameseTokenizer
    except ImportError:
        pass
    else:
        tokenizer = VietnameseTokenizer()
        systems["VietnameseTokenizer (analysis)"] = lambda text: list(tokenizer(text))
    vi_tokenizer: list[Run] = []
    loads["pyvi (with scikit-learn)"] = timed(lambda: vi_tokenizer.append(_pyvi_tokenize()))
    return {"pyvi ViTokenizer.tokenize": vi_tokenizer[0], **systems}, loads


def _pyvi_tokenize() -> Run:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyvi's source has invalid escape sequences
        from pyvi import ViTokenizer
    ViTokenizer.tokenize("Hà Nội")
    return ViTokenizer.tokenize


def mismatches(paragraphs: Sequence[str], ours: Run, reference: Run) -> int:
    """Paragraphs on which ``ours`` and ``reference`` disagree."""
    return sum(ours(p) != reference(p) for p in paragraphs)


def measure(systems: dict[str, Run], paragraphs: Sequence[str], repeats: int) -> dict[str, float]:
    """Median seconds per system over ``repeats`` round-robin runs on all paragraphs."""
    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(repeats):
        for name, run in systems.items():
            times[name].append(timed(lambda run=run: [run(p) for p in paragraphs]))
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def report(medians: dict[str, float], syllables: int, reference: str) -> str:
    """A Markdown table: seconds, syllables per second and speed relative to ``reference``."""
    rows = ["| system | median s | syllables/s | vs pyvi |", "|---|---:|---:|---:|"]
    for name, seconds in medians.items():
        ratio = medians[reference] / seconds
        rows.append(f"| {name} | {seconds:.2f} | {syllables / seconds:,.0f} | {ratio:.2f}x |")
    return "\n".join(rows)


def build_parser() -> argparse.ArgumentParser:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="docs.jsonl.gz to read")
    parser.add_argument("--docs", type=int, default=2000, help="articles to read (2000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per system (3)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    args = build_parser().parse_args(argv)
    paragraphs = read_paragraphs(args.data, args.docs)
    syllables = count_syllables(paragraphs)
    systems, loads = load_systems()
    reference = next(iter(systems))
    different = mismatches(paragraphs, systems["vnsearch.vietnamese.segmenter.tokenize"], systems[reference])
    medians = measure(systems, paragraphs, args.repeats)

    print(
        f"{args.docs:,} articles, {len(paragraphs):,} paragraphs, {syllables:,} syllables; "
        f"median of {args.repeats}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}"
    )
    print(f"segmenter.tokenize differs from pyvi on {different} of {len(paragraphs):,} paragraphs")
    print("load: " + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in loads.items()))
    print()
    print(report(medians, syllables, reference))
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
