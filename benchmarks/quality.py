"""Retrieval-quality benchmark: vnsearch against peer systems on a BEIR dataset.

Indexes ``corpus.jsonl`` of a BEIR-style folder (made for XQuAD-vi, see
``../shared/data/xquad-vi``), runs ``queries.jsonl`` (accented) and
``queries-noaccent.jsonl`` (typed without diacritics), and reports MRR@10,
Recall@1/5/10 and nDCG@10 for each, plus the unaccented/accented MRR@10 ratio::

    python benchmarks/quality.py --beir ../shared/data/xquad-vi
    python benchmarks/quality.py --beir ../shared/data/xquad-vi --no-peers \\
        --min-accented 0.95 --min-unaccented 0.94      # the CI gate
    python benchmarks/quality.py --beir DIR --option some_setting=1.2 --json out.json

``--option key=value`` (repeatable; values parsed as Python literals, else
kept as strings) is passed to vnsearch's ``Index.search``.  The peers are in
``peers.py``.  Exit status: 0 on success, 1 when vnsearch falls below a
``--min-*`` threshold, 2 on a usage or setup error.

The metric functions below are pure; check them with
``python -m doctest benchmarks/quality.py benchmarks/peers.py``.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from peers import PEERS, Doc, Engine, missing_peer_modules

#: Rank cutoff of every metric and of every search.
K = 10

#: Metric names, in report order.
METRICS = ("mrr@10", "recall@1", "recall@5", "recall@10", "ndcg@10")

#: Query sets: label -> file name inside the BEIR folder.
QUERY_SETS = {"accented": "queries.jsonl", "unaccented": "queries-noaccent.jsonl"}

Qrels = dict[str, dict[str, int]]
"""query id -> {corpus id: graded relevance}."""

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
# Data
# ---------------------------------------------------------------------------


def _read_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def load_corpus(path: Path) -> list[Doc]:
    """Read a BEIR ``corpus.jsonl``."""
    return [Doc(str(row["id"]), row.get("title") or "", row["text"]) for row in _read_jsonl(path)]


def load_queries(path: Path) -> dict[str, str]:
    """Read a BEIR ``queries.jsonl`` as {query id: text}."""
    return {str(row["id"]): row["text"] for row in _read_jsonl(path)}


def load_qrels(path: Path) -> Qrels:
    """Read a BEIR ``qrels.tsv`` (header line, then ``query-id corpus-id score``)."""
    qrels: Qrels = {}
    with path.open(encoding="utf-8") as lines:
        next(lines, None)
        for line in lines:
            if line.strip():
                qid, doc_id, grade = line.rstrip("\n").split("\t")
                qrels.setdefault(qid, {})[doc_id] = int(grade)
    return qrels


# ---------------------------------------------------------------------------
# vnsearch
# ---------------------------------------------------------------------------

SearchFn = Callable[[str, int], list[str]]


def open_vnsearch(docs: Sequence[Doc], options: Mapping[str, Any]) -> SearchFn:
    """The vnsearch adapter: index ``docs`` through the public API, return a search function.

    ``options`` are passed as keyword arguments to ``Index.search``.
    """
    import vnsearch

    idx = vnsearch.Index.create(None)
    idx.add([{"id": doc.id, "title": doc.title, "body": doc.text} for doc in docs])
    idx.commit()

    def search(query: str, k: int) -> list[str]:
        return [str(hit.id) for hit in idx.search(query, limit=k, **options)]

    return search


class VnsearchEngine:
    """:class:`peers.Engine` wrapper around :func:`open_vnsearch`."""

    name = "vnsearch"

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._options = dict(options)
        self._search: SearchFn | None = None

    def index(self, docs: Sequence[Doc]) -> None:
        self._search = open_vnsearch(docs, self._options)

    def search(self, query: str, k: int) -> list[str]:
        if self._search is None:
            raise RuntimeError("index() must be called before search()")
        return self._search(query, k)


def vnsearch_problem() -> str | None:
    """Why vnsearch's public API cannot be used, or None when it can.

    Falls back to the checkout this script lives in when vnsearch is not
    installed.
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


# ---------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------


@dataclass
class SystemResult:
    """Scores of one system on every query set."""

    name: str
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ratio(self) -> float:
        """Unaccented / accented MRR@10."""
        accented = self.scores["accented"]["mrr@10"]
        return self.scores["unaccented"]["mrr@10"] / accented if accented else 0.0

    def as_json(self) -> dict[str, Any]:
        """The result as plain JSON-serialisable data."""
        return {
            **self.scores,
            "ratio_mrr@10": self.ratio,
            "seconds": self.seconds,
        }


def run_system(
    engine: Engine,
    docs: Sequence[Doc],
    query_sets: Mapping[str, Mapping[str, str]],
    qrels: Qrels,
) -> SystemResult:
    """Index ``docs`` with ``engine``, run every query set, score it."""
    result = SystemResult(engine.name)
    start = time.perf_counter()
    engine.index(docs)
    for label, queries in query_sets.items():
        run = {qid: engine.search(text, K) for qid, text in queries.items()}
        result.scores[label] = evaluate(run, qrels)
    result.seconds = time.perf_counter() - start
    return result


_HEADS = {
    "mrr@10": "MRR@10",
    "recall@1": "R@1",
    "recall@5": "R@5",
    "recall@10": "R@10",
    "ndcg@10": "nDCG@10",
}


def format_table(results: Sequence[SystemResult]) -> str:
    """A fixed-width table: one row per system, metrics per query set."""
    labels = list(QUERY_SETS)
    width = max([len("system"), *(len(r.name) for r in results)])
    cells = [f"{_HEADS[m]:>7}" for m in METRICS]
    group = " ".join(cells)
    top = " " * width + "".join(f" | {label:^{len(group)}}" for label in labels)
    head = f"{'system':<{width}}" + f" | {group}" * len(labels) + " | unacc/acc  time s"
    lines = [top, head, "-" * len(head)]
    for result in results:
        row = f"{result.name:<{width}}"
        for label in labels:
            row += " | " + " ".join(f"{result.scores[label][m]:>7.3f}" for m in METRICS)
        row += f" | {result.ratio:>9.3f} {result.seconds:>7.1f}"
        lines.append(row)
    return "\n".join(lines)


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


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(
        description="Retrieval quality of vnsearch and peers on a BEIR-style dataset.",
    )
    add = parser.add_argument
    add("--beir", type=Path, required=True, metavar="DIR",
        help="folder with corpus.jsonl, queries.jsonl, queries-noaccent.jsonl, qrels.tsv")
    add("--qrels", type=Path, metavar="FILE", help="qrels file (default: DIR/qrels.tsv)")
    add("--peers", action=argparse.BooleanOptionalAction, default=True,
        help="also run the peer systems (default: yes)")
    add("--json", type=Path, metavar="OUT", help="also write the numbers as JSON to OUT")
    add("--min-accented", type=float, metavar="X",
        help="fail unless vnsearch's accented score is at least X")
    add("--min-unaccented", type=float, metavar="Y",
        help="fail unless vnsearch's unaccented score is at least Y")
    add("--gate-metric", choices=METRICS, default="mrr@10",
        help="metric the --min-* thresholds apply to (default: mrr@10)")
    add("--option", type=parse_option, action="append", default=[], metavar="KEY=VALUE",
        help="keyword argument for vnsearch's Index.search (repeatable)")
    add("--opensearch", metavar="URL",
        help="also vnsearch on this OpenSearch cluster (URLs separated by commas; see remote_engine.py)")
    return parser


def check_gate(
    result: SystemResult, metric: str, minima: Mapping[str, float | None]
) -> list[str]:
    """Messages for each query set where ``result`` falls below its minimum."""
    failures = []
    for label, minimum in minima.items():
        score = result.scores[label][metric]
        if minimum is not None and score < minimum:
            failures.append(f"{result.name} {label} {metric} = {score:.4f} < required {minimum}")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    args = build_parser().parse_args(argv)
    minima = {"accented": args.min_accented, "unaccented": args.min_unaccented}
    gated = any(value is not None for value in minima.values())

    paths = [args.beir / "corpus.jsonl", args.qrels or args.beir / "qrels.tsv"]
    paths += [args.beir / name for name in QUERY_SETS.values()]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"error: missing {', '.join(missing)}", file=sys.stderr)
        return 2

    docs = load_corpus(paths[0])
    qrels = load_qrels(paths[1])
    query_sets = {
        label: {qid: text for qid, text in load_queries(args.beir / name).items() if qid in qrels}
        for label, name in QUERY_SETS.items()
    }

    engines: list[Engine] = []
    problem = vnsearch_problem()
    if problem is None:
        engines.append(VnsearchEngine(dict(args.option)))
    elif gated or not args.peers:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    else:
        print(f"warning: skipping vnsearch: {problem}", file=sys.stderr)
    if args.opensearch:
        from remote_engine import RemoteEngine  # the remote index's row, beside the local one

        engines.append(RemoteEngine(args.opensearch, dict(args.option)))
    if args.peers:
        missing_modules = missing_peer_modules()
        if missing_modules:
            print(f"error: the peers need {', '.join(missing_modules)}: `pip install -e .[bench]`"
                  " (or pass --no-peers)", file=sys.stderr)
            return 2
        engines += [make() for make in PEERS]

    results = [run_system(engine, docs, query_sets, qrels) for engine in engines]
    for engine in engines:
        getattr(engine, "close", lambda: None)()

    sizes = ", ".join(f"{len(queries)} {label}" for label, queries in query_sets.items())
    print(f"{args.beir}: {len(docs)} documents; queries: {sizes}; top {K}")
    if problem is None:
        import vnsearch

        version = getattr(vnsearch, "__version__", "?")
        where = Path(vnsearch.__file__).parent
        print(f"vnsearch {version} from {where}, search options {dict(args.option)}")
    print()
    print(format_table(results))

    failures: list[str] = []
    if gated and results and results[0].name == VnsearchEngine.name:
        failures = check_gate(results[0], args.gate_metric, minima)

    if args.json:
        report = {
            "dataset": str(args.beir),
            "documents": len(docs),
            "queries": {label: len(queries) for label, queries in query_sets.items()},
            "k": K,
            "vnsearch_options": dict(args.option),
            "systems": {result.name: result.as_json() for result in results},
            "gate": {"metric": args.gate_metric, "minima": minima, "failures": failures},
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
