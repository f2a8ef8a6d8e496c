"""The dev suite: retrieval sets derived at run time, deterministically, beside XQuAD-vi.

XQuAD-vi (240 paragraphs, 48 titles, questions written for one paragraph each) is one set
among several, never the only judge. The others are cut from news-vi's articles
(``../shared/data/news-vi/docs.jsonl.gz``) each time they are used and never stored in the
repository; the same file always gives the same sets (seeded draws, stable sorts):

* **news-passages**: the 1,500 longest articles (duplicate texts dropped) cut into passages
  of two or three sentences, each passage carrying its article's title, so one title is
  shared by a dozen passages or more. About 1,000 inverse-cloze queries: from one passage of
  three sentences in each of 1,000 articles, one sentence is taken out and is the query; the
  passage without it is the one relevant document. A query whose sentence is found word for
  word in another passage (a syndicated copy) is not drawn.
* **headlines** and **headline-cuts**: 10,000 articles with a title found once and a body of
  at least 300 characters, indexed by body alone (no title). Queried by 1,000 of their own
  headlines, and by a cut of two to four neighbouring syllables of each of those headlines
  (a short keyword query).

Every set has its queries twice: as written (``accented``) and typed without diacritics
(``unaccented``: ``unidecode(text).lower()``, as vnsearch and the peers fold).

    python benchmarks/devsuite.py                     # sizes and fingerprints of each set
    python benchmarks/devsuite.py --show news-passages --limit 3
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peers import Doc

__all__ = [
    "DevSet",
    "SETS",
    "beir_set",
    "fold_query",
    "headline_sets",
    "load_suite",
    "news_passages",
    "passages",
    "sentences",
]

#: The shared data, as the project's commands name it from the project root.
DATA = Path("../shared/data")

#: Every set of the suite, in report order.
SETS = ("xquad-vi", "news-passages", "headlines", "headline-cuts")

#: Query variants: label -> what the queries are.
LABELS = ("accented", "unaccented")

Qrels = dict[str, dict[str, int]]


@dataclass
class DevSet:
    """One retrieval set: documents, queries per label (query id -> text), judgements."""

    name: str
    docs: list[Doc]
    queries: dict[str, dict[str, str]]
    qrels: Qrels
    about: str = ""
    # The fingerprint of the set this one was drawn from (see sample), else None.
    drawn_from: str | None = None

    def sample(self, n: int) -> "DevSet":
        """The same documents with ``n`` of the queries, drawn with a seed of the set's name."""
        chosen = sorted(random.Random(self.name).sample(sorted(self.qrels), min(n, len(self.qrels))))
        queries = {label: {q: self.queries[label][q] for q in chosen} for label in self.queries}
        return DevSet(self.name, self.docs, queries, {q: self.qrels[q] for q in chosen},
                      f"{self.about} ({len(chosen)} drawn)", self.drawn_from or self.fingerprint())

    def docs_fingerprint(self) -> str:
        """A short hash of the documents alone (what an index of the set depends on)."""
        digest = hashlib.sha1()
        for doc in self.docs:
            digest.update(f"{doc.id}\x1f{doc.title}\x1f{doc.text}\x1e".encode())
        return digest.hexdigest()[:12]

    def fingerprint(self) -> str:
        """A short hash of everything in the set: the same set gives the same string."""
        digest = hashlib.sha1()
        for doc in self.docs:
            digest.update(f"{doc.id}\x1f{doc.title}\x1f{doc.text}\x1e".encode())
        for label in sorted(self.queries):
            for qid, text in sorted(self.queries[label].items()):
                digest.update(f"{label}\x1f{qid}\x1f{text}\x1e".encode())
        for qid, qrel in sorted(self.qrels.items()):
            digest.update(f"{qid}\x1f{sorted(qrel.items())}\x1e".encode())
        return digest.hexdigest()[:12]


# ---------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------

# Abbreviations after which a full stop does not end a sentence (TP. Hồ Chí Minh, ThS. ...).
_ABBREVIATIONS = frozenset(
    "TP Tp TS ThS PGS GS BS KS NXB Mr Mrs Ms Dr St TT Th Q P".split()
)
# A boundary: an end mark (and closing quotes or brackets), spaces, then what opens a sentence.
_BOUNDARY = re.compile(r"""([.!?…]+["”’»)\]]*)\s+(?=["“‘«(\[]?(\w))""")
_WORD = re.compile(r"[^\W_]+")


def sentences(text: str) -> list[str]:
    """The sentences of ``text``; a line break always ends one.

    >>> sentences("Ông A đến TP. Hồ Chí Minh. Trời mưa! “Vì sao?” Bà hỏi.\\nXong")
    ['Ông A đến TP. Hồ Chí Minh.', 'Trời mưa!', '“Vì sao?”', 'Bà hỏi.', 'Xong']
    >>> sentences("Giá 1.5 triệu. 3 người đến.")  # a digit does not open a sentence
    ['Giá 1.5 triệu. 3 người đến.']
    """
    found: list[str] = []
    for line in text.split("\n"):
        start = 0
        for match in _BOUNDARY.finditer(line):
            before = line[start : match.start()].rsplit(None, 1)
            last = before[-1] if before else ""
            if not match.group(2).isupper():
                continue
            if match.group(1) == "." and (last in _ABBREVIATIONS or (len(last) == 1 and last.isupper())):
                continue
            found.append(line[start : match.end(1)].strip())
            start = match.end()
        found.append(line[start:].strip())
    return [s for s in found if s]


def passages(parts: Sequence[str]) -> list[list[str]]:
    """``parts`` in groups of three, with groups of two where a one would be left over.

    >>> [len(p) for p in passages("abcdefg")], [len(p) for p in passages("abcde")]
    ([3, 2, 2], [3, 2])
    >>> passages("a")
    [['a']]
    """
    n = len(parts)
    sizes = [3] * (n // 3)
    if n % 3 == 2:
        sizes.append(2)
    elif n % 3 == 1:
        sizes = sizes[:-1] + [2, 2] if sizes else [1]
    groups, start = [], 0
    for size in sizes:
        groups.append(list(parts[start : start + size]))
        start += size
    return groups


def syllable_count(text: str) -> int:
    """Words of ``text`` with a letter or digit in them.

    >>> syllable_count("Hà Nội: 3 người, (một) ...")
    5
    """
    return len(_WORD.findall(text))


def fold_query(text: str) -> str:
    """A query as typed without diacritics: ``unidecode(text).lower()``.

    >>> fold_query("Đội thủ Panthers đã thua?")
    'doi thu panthers da thua?'
    """
    from unidecode import unidecode

    return unidecode(text).lower()


def _both(queries: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"accented": queries, "unaccented": {qid: fold_query(t) for qid, t in queries.items()}}


# ---------------------------------------------------------------------------
# Sets
# ---------------------------------------------------------------------------


def read_news(path: Path) -> list[dict[str, Any]]:
    """news-vi's articles, in file order."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _unique_texts(articles: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Articles whose text is not that of an article before them."""
    seen: set[str] = set()
    kept = []
    for article in articles:
        if article["text"] not in seen:
            seen.add(article["text"])
            kept.append(article)
    return kept


def news_passages(
    articles: Sequence[dict[str, Any]], *, longest: int = 1500, queries: int = 1000, seed: str = "news-passages"
) -> DevSet:
    """Passages of the longest articles and inverse-cloze queries (see the module docstring)."""
    chosen = sorted(_unique_texts(articles), key=lambda a: (-len(a["text"]), a["id"]))[:longest]
    cut = {a["id"]: passages(sentences(a["text"])) for a in chosen}
    # Sentences seen more than once anywhere in the set: a query must have one place only.
    seen = Counter(s for groups in cut.values() for group in groups for s in group)
    rng = random.Random(seed)
    drawn: dict[str, tuple[int, int]] = {}  # article id -> (passage, sentence taken out)
    for article in rng.sample(chosen, len(chosen)):
        if len(drawn) == queries:
            break
        groups = cut[article["id"]]
        fits = [
            (p, s)
            for p, group in enumerate(groups) if len(group) == 3
            for s, sentence in enumerate(group)
            if 8 <= syllable_count(sentence) <= 50 and seen[sentence] == 1
        ]
        if fits:
            drawn[article["id"]] = rng.choice(fits)
    docs: list[Doc] = []
    texts: dict[str, str] = {}
    qrels: Qrels = {}
    for article in chosen:
        take = drawn.get(article["id"])
        for p, group in enumerate(cut[article["id"]]):
            doc_id = f"{article['id']}#{p}"
            if take is not None and take[0] == p:
                qid = f"np-{article['id']}"
                texts[qid] = group[take[1]]
                qrels[qid] = {doc_id: 1}
                group = [s for i, s in enumerate(group) if i != take[1]]
            docs.append(Doc(doc_id, article["title"], " ".join(group)))
    about = (f"{len(chosen)} longest articles cut into {len(docs)} passages of 2-3 sentences,"
             f" each with its article's title; {len(texts)} inverse-cloze queries")
    return DevSet("news-passages", docs, _both(texts), qrels, about)


_HEAD_TOKEN = re.compile(r"^\W+|\W+$")


def headline_cut(headline: str, rng: random.Random) -> str | None:
    """Two to four neighbouring syllables of ``headline`` (letters only), drawn by ``rng``.

    >>> headline_cut("Bão số 3 đổ bộ Hải Phòng", random.Random(1))
    'đổ bộ'
    """
    tokens = [_HEAD_TOKEN.sub("", t) for t in headline.split()]
    runs: list[list[str]] = [[]]
    for token in tokens:
        if token and any(c.isalpha() for c in token) and not _WORD.sub("", token):
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    cuts = [run[i : i + n] for run in runs for n in (2, 3, 4) for i in range(len(run) - n + 1)]
    return " ".join(rng.choice(cuts)) if cuts else None


def headline_sets(
    articles: Sequence[dict[str, Any]], *, size: int = 10_000, queries: int = 1000, seed: str = "headlines"
) -> tuple[DevSet, DevSet]:
    """The headlines set and its 2-4-syllable cuts (see the module docstring)."""
    titles = Counter(a["title"].strip() for a in articles)
    fit = [
        a for a in _unique_texts(articles)
        if titles[a["title"].strip()] == 1 and len(a["text"]) >= 300 and syllable_count(a["title"]) >= 4
    ]
    rng = random.Random(seed)
    chosen = sorted(rng.sample(sorted(fit, key=lambda a: a["id"]), size), key=lambda a: a["id"])
    docs = [Doc(a["id"], "", a["text"]) for a in chosen]
    heads: dict[str, str] = {}
    cuts: dict[str, str] = {}
    qrels: Qrels = {}
    for article in rng.sample(chosen, queries):
        cut = headline_cut(article["title"], rng)
        if cut is None:
            continue
        qid = f"h-{article['id']}"
        heads[qid], cuts[qid] = article["title"].strip(), cut
        qrels[qid] = {article["id"]: 1}
    about = f"{len(docs)} articles by body, no title; {len(heads)} of their headlines"
    whole = DevSet("headlines", docs, _both(heads), qrels, about)
    short = DevSet("headline-cuts", docs, _both(cuts), qrels,
                   f"{len(docs)} articles by body, no title; 2-4-syllable cuts of {len(cuts)} headlines")
    return whole, short


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


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


#: Query files of a BEIR folder, by label.
BEIR_QUERIES = {"accented": "queries.jsonl", "unaccented": "queries-noaccent.jsonl"}


def beir_set(folder: Path, qrels_path: Path | None = None, name: str | None = None) -> DevSet:
    """A BEIR-style folder (``corpus.jsonl``, ``queries.jsonl``, ``queries-noaccent.jsonl``,
    ``qrels.tsv``) as a set; raises ``FileNotFoundError`` naming what is missing."""
    paths = [folder / "corpus.jsonl", qrels_path or folder / "qrels.tsv"]
    paths += [folder / n for n in BEIR_QUERIES.values()]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"missing {', '.join(missing)}")
    docs = [Doc(str(r["id"]), r.get("title") or "", r["text"]) for r in _read_jsonl(paths[0])]
    qrels = load_qrels(paths[1])
    queries = {
        label: {str(r["id"]): r["text"] for r in _read_jsonl(folder / n) if str(r["id"]) in qrels}
        for label, n in BEIR_QUERIES.items()
    }
    titles = len({d.title for d in docs})
    about = f"{len(docs)} paragraphs ({titles} titles); {len(queries['accented'])} questions"
    return DevSet(name or folder.name, docs, queries, qrels, about)


def load_suite(names: Iterable[str] = SETS, *, data: Path = DATA) -> list[DevSet]:
    """The sets named, in the order of :data:`SETS`, from ``data`` (``xquad-vi/`` and
    ``news-vi/docs.jsonl.gz``); news-vi is read once for all of them."""
    news, xquad = data / "news-vi" / "docs.jsonl.gz", data / "xquad-vi"
    wanted = list(names)
    unknown = [n for n in wanted if n not in SETS]
    if unknown:
        raise ValueError(f"unknown sets {', '.join(unknown)}: choose from {', '.join(SETS)}")
    built: dict[str, DevSet] = {}
    if "xquad-vi" in wanted:
        built["xquad-vi"] = beir_set(xquad, name="xquad-vi")
    if {"news-passages", "headlines", "headline-cuts"} & set(wanted):
        if not news.is_file():
            raise FileNotFoundError(f"missing {news}")
        articles = read_news(news)
        if "news-passages" in wanted:
            built["news-passages"] = news_passages(articles)
        if {"headlines", "headline-cuts"} & set(wanted):
            built["headlines"], built["headline-cuts"] = headline_sets(articles)
    return [built[n] for n in SETS if n in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the dev suite and describe each set.")
    parser.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder (default: %(default)s)")
    parser.add_argument("--show", metavar="SET", help="print some queries of SET and their documents")
    parser.add_argument("--limit", type=int, default=3, help="how many with --show")
    args = parser.parse_args(argv)
    suite = load_suite(args.sets.split(","), data=args.data)
    for dev in suite:
        print(f"{dev.name:14} {dev.fingerprint()}  {dev.about}")
        if dev.name == args.show:
            docs = {d.id: d for d in dev.docs}
            for qid in list(dev.queries["accented"])[: args.limit]:
                print(f"\n  query {qid}: {dev.queries['accented'][qid]}")
                print(f"  folded: {dev.queries['unaccented'][qid]}")
                for doc_id in dev.qrels[qid]:
                    print(f"  relevant {doc_id}: [{docs[doc_id].title}] {docs[doc_id].text[:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
