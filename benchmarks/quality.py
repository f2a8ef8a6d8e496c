"""Retrieval-quality benchmark: vnsearch against peer systems on every set of the dev suite.

The sets (``devsuite.py``): XQuAD-vi, and three derived at run time from news-vi
(news-passages, headlines, headline-cuts), each with its queries typed with accents and
without. For each set and query variant it reports MRR@10, Recall@1/5/10 and nDCG@10 of
vnsearch and of every peer (``peers.py``), the unaccented/accented MRR@10 ratio, and a paired
randomisation test of vnsearch against the best peer (p, and a 95% bootstrap interval of the
MRR@10 difference); ``--ablate`` adds one row per changed setting::

    python benchmarks/quality.py                                   # the whole suite, peers
    python benchmarks/quality.py --sets xquad-vi,headline-cuts --no-peers
    python benchmarks/quality.py --no-peers --ablations            # the built-in ablation rows
    python benchmarks/quality.py --no-peers --ablate k1=1.2 --ablate "k1=1.2;b=0.75"
    python benchmarks/quality.py --no-peers --min xquad-vi=0.95/0.94 --min headlines=0.8/0.75
    python benchmarks/quality.py --beir DIR --no-peers --min-accented 0.95 --min-unaccented 0.94

``--option key=value`` (repeatable; values parsed as Python literals, else kept as strings)
is passed to vnsearch's ``Index.search`` for every row; ``--ablate`` rows are ``key=value``
pairs separated by ``;``. ``--cache DIR`` keeps the peers' result lists and vnsearch's
indexes between runs (keyed by each set's fingerprint and the code that made them).
Exit status: 0 on success, 1 when vnsearch falls below a minimum, 2 on a usage or setup error.

The metric functions and the test are pure; check them with
``python -m doctest benchmarks/quality.py benchmarks/peers.py benchmarks/devsuite.py``.
"""

from __future__ import annotations

import argparse
import ast
import functools
import hashlib
import json
import math
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devsuite import DATA, LABELS, SETS, DevSet, beir_set, load_suite
from peers import PEERS, Doc, Engine, has_tantivy, missing_peer_modules

#: Rank cutoff of every metric and of every search.
K = 10

#: Metric names, in report order.
METRICS = ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10")

Qrels = dict[str, dict[str, int]]
"""query id -> {corpus id: graded relevance}."""

Run = dict[str, list[str]]
"""query id -> ranked document ids."""

#: The ablation rows of ``--ablations``: one change from the defaults each.
ABLATIONS: tuple[str, ...] = (
    "proximity_weight=0",
    "stopwords=()",
    "folded_weight=1.0",
    "word_weight=0",
    "word_weight=0.5",
    "k1=1.2;b=0.75",
    "title_weight=2.0",
    "accent_weight=1.0",
    "all_words_first=False",
)

# ---------------------------------------------------------------------------
# Metrics (pure functions)
#
# ``ranked`` is a system's result list, best first; ``qrel`` maps document ids
# to graded relevance, where a grade > 0 means relevant.  Conventions follow
# trec_eval / pytrec_eval as used by BEIR: nDCG uses linear gains (the grade
# itself), and a document listed twice in ``ranked`` counts once.
# ---------------------------------------------------------------------------


def _dedupe(ranked: Sequence[str], k: int) -> list[str]:
    """First ``k`` distinct ids of ``ranked``, in order."""
    return list(dict.fromkeys(ranked))[:k]


def reciprocal_rank(ranked: Sequence[str], qrel: Mapping[str, int], k: int = K) -> float:
    """1 / rank of the first relevant document within the top ``k``, else 0.

    >>> reciprocal_rank(["a", "b", "c"], {"b": 1})
    0.5
    >>> reciprocal_rank(["a", "b", "c"], {"c": 2, "b": 0}, k=2)
    0.0
    """
    for rank, doc in enumerate(_dedupe(ranked, k), start=1):
        if qrel.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: Sequence[str], qrel: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top ``k``.

    >>> recall_at_k(["a", "b", "c"], {"c": 1, "z": 1}, 3)
    0.5
    >>> recall_at_k(["a", "b", "c"], {"c": 1}, 2)
    0.0
    >>> recall_at_k(["a"], {"a": 0}, 1)  # no relevant document at all
    0.0
    """
    relevant = {doc for doc, grade in qrel.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_dedupe(ranked, k))) / len(relevant)


def ndcg_at_k(ranked: Sequence[str], qrel: Mapping[str, int], k: int = K) -> float:
    """Normalised discounted cumulative gain at ``k``, gains from ``qrel``.

    >>> ndcg_at_k(["a", "b"], {"a": 1})
    1.0
    >>> round(ndcg_at_k(["x", "a"], {"a": 1}), 4)  # 1 / log2(3)
    0.6309
    >>> round(ndcg_at_k(["b", "a"], {"a": 2, "b": 1}), 4)  # (1 + 2/log2 3) / (2 + 1/log2 3)
    0.8597
    >>> ndcg_at_k(["x"], {"a": 1})
    0.0
    """
    dcg = sum(qrel.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(_dedupe(ranked, k)))
    ideal = sorted((grade for grade in qrel.values() if grade > 0), reverse=True)[:k]
    idcg = sum(grade / math.log2(i + 2) for i, grade in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def evaluate(run: Mapping[str, Sequence[str]], qrels: Qrels) -> dict[str, float]:
    """Mean of each metric in :data:`METRICS` over the queries of ``qrels``.

    Queries without any relevant document are left out (as BEIR does); a
    query missing from ``run`` counts as an empty result list.

    >>> qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    >>> scores = evaluate({"q1": ["a"], "q2": ["x", "b"]}, qrels)
    >>> scores["mrr@10"], scores["recall@1"], scores["recall@5"]
    (0.75, 0.5, 1.0)
    >>> evaluate({}, qrels)["ndcg@10"]
    0.0
    """
    judged = [qid for qid, qrel in qrels.items() if any(g > 0 for g in qrel.values())]
    if not judged:
        raise ValueError("qrels hold no relevant document")
    totals = dict.fromkeys(METRICS, 0.0)
    for qid in judged:
        ranked, qrel = run.get(qid, ()), qrels[qid]
        totals["mrr@10"] += reciprocal_rank(ranked, qrel, 10)
        totals["recall@1"] += recall_at_k(ranked, qrel, 1)
        totals["recall@5"] += recall_at_k(ranked, qrel, 5)
        totals["recall@10"] += recall_at_k(ranked, qrel, 10)
        totals["ndcg@10"] += ndcg_at_k(ranked, qrel, 10)
    return {name: total / len(judged) for name, total in totals.items()}


# ---------------------------------------------------------------------------
# vnsearch


def judged(qrels: Qrels) -> list[str]:
    """The query ids with a relevant document, sorted (the order of per-query scores)."""
    return sorted(qid for qid, qrel in qrels.items() if any(g > 0 for g in qrel.values()))


def per_query_rr(run: Mapping[str, Sequence[str]], qrels: Qrels) -> list[float]:
    """Reciprocal rank at 10 of each judged query, in :func:`judged` order.

    >>> per_query_rr({"q1": ["a"], "q2": ["x", "b"]}, {"q2": {"b": 1}, "q1": {"a": 1}})
    [1.0, 0.5]
    """
    return [reciprocal_rank(run.get(qid, ()), qrels[qid], K) for qid in judged(qrels)]


# ---------------------------------------------------------------------------
# Significance
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    """Mean per-query difference of two systems, its 95% interval and a two-sided p."""

    diff: float
    low: float
    high: float
    p: float


def paired_test(a: Sequence[float], b: Sequence[float], rounds: int = 10_000, seed: int = 0) -> Comparison:
    """Paired randomisation test of mean(a) - mean(b) (the sign of each query's difference
    flipped at random, ``rounds`` times; p counts the observed difference as one round) and
    a 95% percentile bootstrap interval of it (queries drawn with replacement).

    >>> t = paired_test([1.0] * 30 + [0.5] * 10, [0.5] * 40)
    >>> round(t.diff, 3), t.p < 0.001, 0.25 < t.low < t.diff < t.high
    (0.375, True, True)
    >>> paired_test([0.5, 1.0], [1.0, 0.5]).p
    1.0
    """
    import numpy as np

    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = len(d)
    if n == 0:
        return Comparison(0.0, 0.0, 0.0, 1.0)
    observed = abs(d.mean())
    rng = np.random.default_rng(seed)
    extreme, boots, chunk = 0, [], max(1, 2_000_000 // n)
    for done in range(0, rounds, chunk):
        m = min(chunk, rounds - done)
        signs = rng.integers(0, 2, size=(m, n), dtype=np.int8) * 2 - 1
        extreme += int(np.count_nonzero(np.abs((signs * d).mean(axis=1)) >= observed - 1e-12))
        boots.append(d[rng.integers(0, n, size=(m, n))].mean(axis=1))
    means = np.concatenate(boots)
    low, high = np.percentile(means, [2.5, 97.5])
    return Comparison(float(d.mean()), float(low), float(high), (extreme + 1) / (rounds + 1))


# ---------------------------------------------------------------------------
# Systems
# ---------------------------------------------------------------------------

# vnsearch modules that only search: an index built by the rest of the code is reused by --cache.
_SEARCH_ONLY = re.compile(
    r"^(searcher|settings|suggest|highlight|display|cli|notebook|ranking|results|__main__)\.py$"
    r"|^query/|^vietnamese/accents\.py$|^whoosh_ext/(postings|scoring)\.py$"
)


def vnsearch_problem() -> str | None:
    """Why vnsearch's public API cannot be used, or None when it can.

    Falls back to the checkout this script lives in when vnsearch is not installed.
    """
    try:
        import vnsearch
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        try:
            import vnsearch
        except ImportError as exc:
            return f"cannot import vnsearch ({exc}); install it with `pip install -e .[bench]`"
    if not hasattr(vnsearch, "Index"):
        return f"vnsearch ({vnsearch.__file__}) has no public `Index` yet"
    return None


def _index_code_hash() -> str:
    """A hash of the vnsearch code that builds indexes (every module but the search-only)."""
    import vnsearch

    root = Path(vnsearch.__file__).parent
    digest = hashlib.sha1(str(getattr(vnsearch, "__version__", "")).encode())
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not _SEARCH_ONLY.search(rel):
            digest.update(rel.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class VnsearchEngine:
    """vnsearch through its public API, indexed on disk (two worker processes on 2 cores).

    ``cache``: a folder where the index is kept and found again for the same set and
    indexing code; else a temporary folder, removed by :meth:`close`.
    """

    name = "vnsearch"

    def __init__(self, options: Mapping[str, Any], cache: Path | None = None, key: str = "") -> None:
        self._options = {"snippets": False, "suggest": False, **options}
        self._cache, self._key = cache, key
        self._folder: Path | None = None
        self._index: Any = None
        self.reused = False
        self.index_seconds: float | None = None  # set when indexed

    def index(self, docs: Sequence[Doc]) -> None:
        import vnsearch

        if self._cache is not None:
            self._folder = self._cache / f"vnsearch-{self._key}-{_index_code_hash()}"
            if (self._folder / "complete").is_file():
                self._index, self.reused = vnsearch.Index.open(self._folder), True
                return
            shutil.rmtree(self._folder, ignore_errors=True)
        else:
            self._folder = Path(tempfile.mkdtemp(prefix="vnsearch-quality-"))
        self._index = vnsearch.Index.create(self._folder, overwrite=True)
        self._index.add([{"id": doc.id, "title": doc.title, "body": doc.text} for doc in docs])
        self._index.commit()
        if self._cache is not None:
            (self._folder / "complete").write_text("", encoding="utf-8")

    def search(self, query: str, k: int = K, **options: Any) -> list[str]:
        if self._index is None:
            raise RuntimeError("index() must be called before search()")
        hits = self._index.search(query, limit=k, **{**self._options, **options})
        return [str(hit.id) for hit in hits]

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
        if self._cache is None and self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)


def _peer_versions() -> str:
    """What the peers' results depend on besides the set: their code and their libraries."""
    import sqlite3
    from importlib import metadata

    parts = [Path(__file__).with_name("peers.py").read_text(encoding="utf-8"), sqlite3.sqlite_version]
    for name in ("bm25s", "tantivy", "Whoosh-Reloaded", "Unidecode", "numpy", "scipy"):
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} -")
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:12]


def run_queries(search: Callable[[str], list[str]], dev: DevSet) -> dict[str, Run]:
    """Every query variant of ``dev`` through ``search``."""
    return {
        label: {qid: search(text) for qid, text in dev.queries[label].items()}
        for label in LABELS
    }


def _cached_runs(dev: DevSet, path_of: Callable[[str], Path]) -> Any | None:
    """What was cached for ``dev`` at ``path_of(fingerprint)``: for a drawn sample, the
    whole set's result lists cut to the sample's queries when those are there."""
    for fingerprint in filter(None, (dev.fingerprint(), dev.drawn_from)):
        path = path_of(fingerprint)
        if path.is_file():
            found = json.loads(path.read_text(encoding="utf-8"))
            runs = found.get("runs", found)
            cut = {label: {q: runs[label][q] for q in dev.queries[label]} for label in LABELS}
            return {**found, "runs": cut} if "runs" in found else cut
    return None


def _code_hash() -> str:
    """A hash of all of vnsearch's code (what its result lists depend on besides the set)."""
    import vnsearch

    root = Path(vnsearch.__file__).parent
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _vnsearch_runs(engine: "VnsearchEngine", dev: DevSet, cache: Path | None, options: Mapping[str, Any]) -> dict[str, Run]:
    """vnsearch's result lists on ``dev`` with ``options``: from the cache when this code
    made them before, else searched (the engine indexes the set on first need)."""
    path = None
    if cache is not None:
        key = hashlib.sha1(repr(sorted(options.items())).encode()).hexdigest()[:12]
        code = _code_hash()
        found = _cached_runs(dev, lambda fp: cache / "runs" / f"vnsearch-{fp}-{code}-{key}.json")
        if found is not None:
            return found
        path = cache / "runs" / f"vnsearch-{dev.fingerprint()}-{code}-{key}.json"
    if engine.index_seconds is None:
        start = time.perf_counter()
        engine.index(dev.docs)
        engine.index_seconds = time.perf_counter() - start
    runs = run_queries(functools.partial(engine.search, k=K, **options), dev)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(runs), encoding="utf-8")
    return runs


def run_remote(url: str, options: Mapping[str, Any], dev: DevSet) -> tuple[str, dict[str, Run], float]:
    """vnsearch on an OpenSearch cluster (``remote_engine.py``): its result lists and seconds."""
    from remote_engine import RemoteEngine  # the remote index's row, beside the local one

    engine = RemoteEngine(url, dict(options))
    start = time.perf_counter()
    try:
        engine.index(dev.docs)
        runs = run_queries(lambda text: engine.search(text, K), dev)
    finally:
        engine.close()
    return engine.name, runs, time.perf_counter() - start


def run_peer(
    make: Callable[[], Engine], dev: DevSet, cache: Path | None, computed: bool = True
) -> tuple[str, dict[str, Run], float] | None:
    """A peer's result lists on ``dev`` (from the cache when they are there), and seconds;
    None when they are not cached and ``computed`` is false."""
    engine = make()
    path = None
    if cache is not None:
        slug = re.sub(r"\W+", "-", engine.name)
        versions = _peer_versions()
        found = _cached_runs(dev, lambda fp: cache / "runs" / f"{slug}-{fp}-{versions}.json")
        if found is not None:
            return engine.name, found["runs"], found["seconds"]
        path = cache / "runs" / f"{slug}-{dev.fingerprint()}-{versions}.json"
    if not computed:
        return None
    start = time.perf_counter()
    engine.index(dev.docs)
    runs = run_queries(lambda text: engine.search(text, K), dev)
    seconds = time.perf_counter() - start
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"runs": runs, "seconds": seconds}), encoding="utf-8")
    return engine.name, runs, seconds


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class SetResult:
    """Every system's scores on one set, and the per-query reciprocal ranks behind them."""

    dev: DevSet
    scores: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # system -> label -> metric
    rr: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # system -> label -> per query
    seconds: dict[str, float] = field(default_factory=dict)
    ablations: dict[str, dict[str, float]] = field(default_factory=dict)  # row -> label -> MRR@10
    ablation_rr: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # row -> label -> per query

    def add(self, name: str, runs: Mapping[str, Run], seconds: float) -> None:
        self.scores[name] = {label: evaluate(runs[label], self.dev.qrels) for label in LABELS}
        self.rr[name] = {label: per_query_rr(runs[label], self.dev.qrels) for label in LABELS}
        self.seconds[name] = seconds

    def mrr(self, name: str, label: str) -> float:
        return self.scores[name][label]["mrr@10"]

    def ratio(self, name: str) -> float:
        accented = self.mrr(name, "accented")
        return self.mrr(name, "unaccented") / accented if accented else 0.0

    def best_peer(self, label: str) -> str | None:
        peers = [name for name in self.scores if name != VnsearchEngine.name]
        return max(peers, key=lambda name: self.mrr(name, label)) if peers else None

    def comparison(self, label: str, rounds: int) -> tuple[str, Comparison] | None:
        best = self.best_peer(label)
        if best is None or VnsearchEngine.name not in self.rr:
            return None
        return best, paired_test(self.rr[VnsearchEngine.name][label], self.rr[best][label], rounds)


_SHOWN = ("mrr@10", "recall@1", "recall@10", "ndcg@10")
_HEADS = {"mrr@10": "MRR@10", "recall@1": "R@1", "recall@5": "R@5", "recall@10": "R@10", "ndcg@10": "nDCG@10"}


def _markdown(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(head, *rows)]
    line = lambda cells: "| " + " | ".join(f"{c:<{w}}" for c, w in zip(cells, widths)) + " |"  # noqa: E731
    return "\n".join([line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def format_set(result: SetResult) -> str:
    """One set's table: a row per system, the shown metrics per query variant."""
    head = ["system"] + [f"{label[:5]} {_HEADS[m]}" for label in LABELS for m in _SHOWN] + ["unacc/acc", "s"]
    rows = []
    for name in result.scores:
        cells = [name] + [f"{result.scores[name][label][m]:.3f}" for label in LABELS for m in _SHOWN]
        rows.append(cells + [f"{result.ratio(name):.3f}", f"{result.seconds[name]:.0f}"])
    return _markdown(head, rows)


def format_comparisons(results: Sequence[SetResult], rounds: int) -> str:
    """vnsearch against the best peer of each set and query variant, with the test."""
    head = ["set", "queries", "variant", "vnsearch", "best peer", "peer", "difference [95% CI]", "p"]
    rows = []
    for result in results:
        for label in LABELS:
            found = result.comparison(label, rounds)
            if found is None:
                continue
            best, test = found
            rows.append([
                result.dev.name, str(len(result.rr[best][label])), label,
                f"{result.mrr(VnsearchEngine.name, label):.3f}", best, f"{result.mrr(best, label):.3f}",
                f"{test.diff:+.3f} [{test.low:+.3f}, {test.high:+.3f}]", f"{test.p:.4f}",
            ])
    return _markdown(head, rows)


def format_ablations(results: Sequence[SetResult], rounds: int) -> str:
    """MRR@10 of each ablation row minus the defaults', per set and query variant, with the
    p of the paired randomisation test against the defaults (the same queries)."""
    rows_names = list(dict.fromkeys(name for r in results for name in r.ablations))
    head = ["setting"] + [f"{r.dev.name} {label[:5]}" for r in results for label in LABELS]
    rows = [["defaults (MRR@10)"] + [f"{r.mrr(VnsearchEngine.name, label):.3f}" for r in results for label in LABELS]]
    for name in rows_names:
        cells = [name]
        for r in results:
            for label in LABELS:
                value = r.ablations.get(name, {}).get(label)
                if value is None:
                    cells.append("")
                    continue
                test = paired_test(r.ablation_rr[name][label], r.rr[VnsearchEngine.name][label], rounds)
                cells.append(f"{value - r.mrr(VnsearchEngine.name, label):+.3f} (p {test.p:.3f})")
        rows.append(cells)
    return _markdown(head, rows)


def parse_option(text: str) -> tuple[str, Any]:
    """Parse ``key=value``; the value as a Python literal when it is one.

    >>> parse_option("boost=1.5"), parse_option("mode=fuzzy"), parse_option("fields=('a', 'b')")
    (('boost', 1.5), ('mode', 'fuzzy'), ('fields', ('a', 'b')))
    """
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return key.strip(), value


def parse_ablation(text: str) -> dict[str, Any]:
    """An ablation row: ``key=value`` pairs separated by ``;``.

    >>> parse_ablation("k1=1.2; b=0.75")
    {'k1': 1.2, 'b': 0.75}
    """
    return dict(parse_option(part.strip()) for part in text.split(";") if part.strip())


def parse_minimum(text: str) -> tuple[str, tuple[float, float]]:
    """``SET=ACCENTED/UNACCENTED`` for ``--min``.

    >>> parse_minimum("xquad-vi=0.95/0.94")
    ('xquad-vi', (0.95, 0.94))
    """
    name, sep, values = text.partition("=")
    accented, slash, unaccented = values.partition("/")
    try:
        if not sep or not slash:
            raise ValueError
        return name.strip(), (float(accented), float(unaccented))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SET=ACCENTED/UNACCENTED, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        description="Retrieval quality of vnsearch and peers on the dev suite (or a BEIR folder).",
    )
    add = parser.add_argument
    add("--sets", help=f"comma-separated sets of the suite (default: all: {','.join(SETS)};"
        " only the --beir folder when that is given)")
    add("--data", type=Path, default=DATA, help="the shared data folder (default: %(default)s)")
    add("--beir", type=Path, metavar="DIR",
        help="also a BEIR folder with corpus.jsonl, queries.jsonl, queries-noaccent.jsonl, qrels.tsv")
    add("--qrels", type=Path, metavar="FILE", help="qrels of --beir (default: DIR/qrels.tsv)")
    add("--peers", action=argparse.BooleanOptionalAction, default=True,
        help="also run the peer systems (default: yes)")
    add("--json", type=Path, metavar="OUT", help="also write the numbers as JSON to OUT")
    add("--min", type=parse_minimum, action="append", default=[], metavar="SET=ACC/UNACC",
        help="fail unless vnsearch's MRR@10 on SET reaches both (repeatable)")
    add("--min-accented", type=float, metavar="X",
        help="fail unless vnsearch's accented score is at least X (on every set without --min)")
    add("--min-unaccented", type=float, metavar="Y",
        help="fail unless vnsearch's unaccented score is at least Y (on every set without --min)")
    add("--gate-metric", choices=METRICS, default="mrr@10",
        help="metric the minima apply to (default: mrr@10)")
    add("--option", type=parse_option, action="append", default=[], metavar="KEY=VALUE",
        help="keyword argument for vnsearch's Index.search (repeatable)")
    add("--ablate", type=parse_ablation, action="append", default=[], metavar="K=V[;K=V]",
        help="a row of the ablation table: vnsearch with these settings changed (repeatable)")
    add("--ablations", action="store_true", help="the built-in ablation rows (ABLATIONS)")
    add("--rounds", type=int, default=10_000, help="rounds of the randomisation test and bootstrap")
    add("--sample", type=int, metavar="N",
        help="only N queries of each set, drawn with a fixed seed (quick comparisons while tuning)")
    add("--cache", type=Path, metavar="DIR",
        help="keep vnsearch's indexes and result lists and the peers' result lists here between runs")
    add("--only-peers", metavar="NAMES", default="",
        help="only the peers whose name contains one of these (comma-separated), e.g. bm25s,tantivy")
    add("--cached-peers", action="store_true",
        help="with --cache: only the peers' cached result lists, none computed")
    add("--opensearch", metavar="URL",
        help="also vnsearch on this OpenSearch cluster (URLs separated by commas; see remote_engine.py)")
    return parser


def check_gate(result: SetResult, metric: str, minima: tuple[float | None, float | None]) -> list[str]:
    """Messages for each query variant where vnsearch falls below its minimum."""
    failures = []
    for label, minimum in zip(LABELS, minima):
        score = result.scores[VnsearchEngine.name][label][metric]
        if minimum is not None and score < minimum:
            failures.append(f"{result.dev.name} {label} {metric} = {score:.4f} < required {minimum}")
    return failures


def _label(options: Mapping[str, Any]) -> str:
    return "; ".join(f"{k}={v!r}" for k, v in options.items())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = build_parser().parse_args(argv)
    names = args.sets.split(",") if args.sets else ([] if args.beir else list(SETS))
    minima = dict(args.min)
    problem = vnsearch_problem()
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.peers and missing_peer_modules():
        print(f"error: the peers need {', '.join(missing_peer_modules())}: `pip install -e .[bench]`"
              " (or pass --no-peers)", file=sys.stderr)
        return 2
    try:
        suite = load_suite(names, data=args.data)
        if args.beir:
            suite.append(beir_set(args.beir, args.qrels))
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.sample:
        suite = [dev.sample(args.sample) for dev in suite]
    unknown = set(minima) - {dev.name for dev in suite}
    if unknown:
        print(f"error: --min for sets not run: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    options = dict(args.option)
    ablations = [parse_ablation(row) for row in ABLATIONS] if args.ablations else []
    ablations += args.ablate
    from vnsearch import SearchSettings

    known = {f for f in SearchSettings.__dataclass_fields__}
    wrong = sorted({k for row in [options, *ablations] for k in row} - known - {"snippets", "suggest"})
    if wrong:
        print(f"error: unknown search settings: {', '.join(wrong)}", file=sys.stderr)
        return 2

    import vnsearch

    where = Path(vnsearch.__file__).parent
    print(f"vnsearch {getattr(vnsearch, '__version__', '?')} from {where}, search options {options}")
    if args.peers and not has_tantivy():
        print("note: tantivy is not installed: its peers are left out (`pip install tantivy`)")
    results: list[SetResult] = []
    for dev in suite:
        result = SetResult(dev)
        print(f"\n## {dev.name} ({dev.fingerprint()}): {dev.about}", flush=True)
        engine = VnsearchEngine(options, args.cache, dev.docs_fingerprint())
        runs_of = functools.partial(_vnsearch_runs, engine, dev, args.cache)
        start = time.perf_counter()
        result.add(VnsearchEngine.name, runs_of(options), 0.0)
        result.seconds[VnsearchEngine.name] = time.perf_counter() - start
        how = "reused" if engine.reused else "not needed" if engine.index_seconds is None else (
            f"built in {engine.index_seconds:.0f} s")
        print(f"vnsearch: index {how}, {result.seconds[VnsearchEngine.name]:.0f} s in all", flush=True)
        for row in ablations:
            runs = runs_of({**options, **row})
            result.ablations[_label(row)] = {
                label: evaluate(runs[label], dev.qrels)["mrr@10"] for label in LABELS
            }
            result.ablation_rr[_label(row)] = {label: per_query_rr(runs[label], dev.qrels) for label in LABELS}
        engine.close()
        if args.opensearch:
            result.add(*run_remote(args.opensearch, options, dev))
        if args.peers:
            for make in PEERS:
                if args.only_peers and not any(part in make().name for part in args.only_peers.split(",")):
                    continue
                found = run_peer(make, dev, args.cache, computed=not args.cached_peers)
                if found is None:
                    print(f"note: no cached results of {make().name} on {dev.name}: left out")
                else:
                    result.add(*found)
        print(format_set(result), flush=True)
        results.append(result)

    if args.peers:
        print(f"\n## vnsearch against the best peer (paired randomisation test, {args.rounds} rounds)")
        print(format_comparisons(results, args.rounds))
    if ablations:
        print("\n## Ablations: MRR@10 minus the defaults'")
        print(format_ablations(results, args.rounds))

    failures: list[str] = []
    for result in results:
        bounds = minima.get(result.dev.name, (args.min_accented, args.min_unaccented))
        failures += check_gate(result, args.gate_metric, bounds)
    gated = bool(minima) or args.min_accented is not None or args.min_unaccented is not None

    if args.json:
        report = {
            "k": K,
            "vnsearch_options": options,
            "sets": {
                r.dev.name: {
                    "about": r.dev.about,
                    "fingerprint": r.dev.fingerprint(),
                    "documents": len(r.dev.docs),
                    "queries": {label: len(r.dev.queries[label]) for label in LABELS},
                    "systems": {
                        name: {**r.scores[name], "ratio_mrr@10": r.ratio(name), "seconds": r.seconds[name]}
                        for name in r.scores
                    },
                    "comparisons": {
                        label: {"peer": found[0], **found[1].__dict__}
                        for label in LABELS if (found := r.comparison(label, args.rounds))
                    },
                    "ablations": r.ablations,
                }
                for r in results
            },
            "gate": {"metric": args.gate_metric, "failures": failures},
        }
        text = json.dumps(report, indent=2, ensure_ascii=False, default=repr)
        args.json.write_text(text + "\n", encoding="utf-8")

    if failures:
        print("\nFAIL: " + "; ".join(failures), file=sys.stderr)
        return 1
    if gated:
        print(f"\nOK: vnsearch meets the {args.gate_metric} minima", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
