""""Did you mean": restore diacritics and fix typos from the index's own text.

A query typed without accents (``hai phong``) is restored from the documents it finds:
the longest runs of its syllables that stand together in those documents are taken as
written there (``Hải Phòng``), so context picks ``Đảng ủy`` for ``dang uy`` rather than
the commonest accenting of each syllable alone. A syllable the index does not hold is first
corrected to its nearest frequent neighbour (``phongg`` -> ``phong``).

Completions (:func:`complete`, search as you type) come from the index's folded terms,
syllables and words, that start with what was typed (``ha n`` -> ``ha_noi``, ``ha_nam``), the
commonest first, each written as the documents write it (``Hà Nội``); the words typed before
it are written as the documents write them next to it (``thanh pho h`` -> ``thành phố Hà Nội``).
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from typing import Any

from whoosh import query as wq

from vnsearch.analysis import VietnameseTokenizer
from vnsearch.highlight import find_spans
from vnsearch.query import ParsedQuery, TextClause
from vnsearch.schema import FOLDED_SUFFIX, IndexSchema
from vnsearch.vietnamese import text as _text
from vnsearch.whoosh_ext.postings import PostingArrays, top
from vnsearch.whoosh_ext.terms import near_terms

__all__ = ["suggest", "complete"]

_CONTEXT_DOCS = 10
_CONTEXT_PIECES = 100  # places read per document: enough to see how it writes the words
_MAX_SYLLABLES = 12
_TOKENIZER = VietnameseTokenizer(words=False)
_MAX_WORD_SYLLABLES = 3  # the longest words the folded fields hold (runs of up to three)
_SCAN_TERMS = 5000  # terms read per field for one completion (a one-letter prefix has many)
_SURFACE_DOCS = 3  # documents read to see how a completion is written
_PHRASE_DOCS = 20  # documents holding a completion's phrase read at most, to find it as typed


def suggest(parsed: ParsedQuery, arrays: PostingArrays, weighting: Any, schema: IndexSchema) -> str | None:
    """A better spelling of a plain-words query, or ``None`` when it already matches well."""
    tree = parsed.tree
    nodes = tree.must + tree.should
    if tree.must_not or not nodes or not all(isinstance(n, TextClause) and n.kind == "words" for n in nodes):
        return None
    typed = " ".join(n.text for n in nodes if isinstance(n, TextClause))
    syllables = [t.text for t in _TOKENIZER(typed)]
    if not syllables or len(syllables) > _MAX_SYLLABLES:
        return None
    reader = arrays.searcher.reader()
    folded_fields = [name + FOLDED_SUFFIX for name in schema.text_fields]
    folded = [_text.fold(s) for s in syllables]
    corrected = [_correct(f, reader, folded_fields) for f in folded]
    accented = any(_text.fold(s) != s.lower() for s in syllables)
    if accented and corrected == folded:
        return None
    texts = _context(corrected, arrays, weighting, folded_fields, schema)
    restored = _restore(corrected, texts)
    suggestion = " ".join(restored)
    if _text.normalize(suggestion).lower() == _text.normalize(typed).lower():
        return None
    return suggestion


def _correct(folded: str, reader: Any, fields: list[str]) -> str:
    """``folded`` itself when the index holds it, else its most frequent near spelling."""
    if any(reader.doc_frequency(f, folded) for f in fields) or not folded.isalpha():
        return folded
    best, best_df = folded, 0
    distance = 1 if len(folded) <= 5 else 2
    for fieldname in fields:
        for text in near_terms(reader, fieldname, folded, distance):
            if "_" in text:
                continue
            df = reader.doc_frequency(fieldname, text)
            if df > best_df:
                best, best_df = text, df
    return best


def _context(folded: list[str], arrays: PostingArrays, weighting: Any, fields: list[str], schema: IndexSchema) -> list[str]:
    """The stretches of the best matching documents' texts where the folded syllables stand."""
    groups = [wq.Or([wq.Term(f, s) for f in fields]) for s in folded]
    found = arrays.evaluate(wq.And(groups) if len(groups) > 1 else groups[0], weighting)
    if not found.count() and len(groups) > 1:
        found = arrays.evaluate(wq.Or(groups), weighting)
    wanted = set(folded)
    pieces: list[str] = []
    for docnum, _ in top(found, _CONTEXT_DOCS):
        stored = arrays.searcher.stored_fields(docnum)
        for name in schema.text_fields:
            text = str(stored.get(name) or "")
            # Only where the syllables stand: tokenizing whole articles cost more than the search.
            spans = find_spans(text, set(), wanted)[:_CONTEXT_PIECES]
            pieces.extend(text[start:end] for start, end in spans)
    return pieces


def _restore(folded: list[str], texts: list[str]) -> list[str]:
    """Each longest run of ``folded`` found together in ``texts``, as written there."""
    tokenized = []
    for text in texts:
        tokens = [(_text.fold(t.text), t.startchar, t.endchar) for t in _TOKENIZER(text, chars=True)]
        tokenized.append((text, tokens))
    out: list[str] = []
    i = 0
    while i < len(folded):
        for j in range(len(folded), i, -1):
            surfaces = _occurrences(folded[i:j], tokenized)
            if surfaces:
                out.append(surfaces.most_common(1)[0][0])
                i = j
                break
        else:
            out.append(folded[i])
            i += 1
    return out


def _occurrences(run: list[str], tokenized: list[tuple[str, list[tuple[str, int, int]]]]) -> Counter:
    surfaces: Counter = Counter()
    n = len(run)
    for text, tokens in tokenized:
        for k in range(len(tokens) - n + 1):
            if tokens[k][0] == run[0] and all(tokens[k + m][0] == run[m] for m in range(1, n)):
                surface = " ".join(text[tokens[k][1] : tokens[k + n - 1][2]].split())
                surfaces[surface] += 1
    return surfaces


def complete(typed: str, arrays: PostingArrays, schema: IndexSchema, limit: int = 5) -> list[str]:
    """Up to ``limit`` completions of ``typed``, its last word taken as a prefix, accents
    optional and restored, commonest first (by documents, titles counted twice).

    The last one to three syllables are completed as one word of the index. The syllables
    typed before them take the accents the documents give them where they stand right before
    that word (the longest such run of them; any before it are kept as typed); a syllable
    typed with accents keeps them.
    """
    # Whoosh tokenizers reuse one token object: keep what is needed of each.
    tokens = [(t.text, t.startchar) for t in _TOKENIZER(typed, chars=True)]
    if not tokens or limit < 1:
        return []
    folded = [_text.fold(text) for text, _ in tokens]
    reader = arrays.searcher.reader()
    for size in range(min(_MAX_WORD_SYLLABLES, len(tokens)), 0, -1):
        key = "_".join(folded[-size:])
        found = _candidates(key, reader, schema, size)
        if found:
            head = typed[: tokens[-size][1]]
            best = sorted(found, key=lambda c: (-found[c][0], c))[:limit]
            out: list[str] = []
            for term in best:
                text = _with_head(typed, tokens[:-size], term, found[term][1], arrays, schema)
                if text is None:  # nothing typed before the completed word
                    text = head + _surface(term, found[term][1], arrays)
                if text not in out:
                    out.append(text)
            return out
    return []


def _candidates(key: str, reader: Any, schema: IndexSchema, size: int) -> dict[str, tuple[int, str, int]]:
    """Folded terms starting with ``key`` of at least ``size`` syllables, all letters, with
    their weighted document count and the field where they are commonest."""
    found: dict[str, tuple[int, str, int]] = {}
    for name in schema.text_fields:
        fieldname = name + FOLDED_SUFFIX
        weight = 2 if name == "title" else 1
        for n, (btext, info) in enumerate(reader.iter_prefix(fieldname, key)):
            if n >= _SCAN_TERMS:
                break
            term = btext.decode("utf-8")
            parts = term.split("_")
            if len(parts) < size or not all(p.isalpha() for p in parts):
                continue
            df = info.doc_frequency() * weight
            total, best, best_df = found.get(term, (0, fieldname, 0))
            found[term] = (total + df, fieldname if df > best_df else best, max(df, best_df))
    return found


def _with_head(
    typed: str, head: list[tuple[str, int]], term: str, fieldname: str, arrays: PostingArrays, schema: IndexSchema
) -> str | None:
    """``typed`` with its ``head`` syllables and the completion ``term`` written as the
    documents write them: the longest run of the head's last syllables that stands right
    before the term in some document, the head's syllables before it in runs as documents
    write them together (else as typed); None when there is no head."""
    if not head:
        return None
    fields = [fieldname] + [n + FOLDED_SUFFIX for n in schema.text_fields if n + FOLDED_SUFFIX != fieldname]
    tail = tuple((None, w) for w in term.split("_"))
    for start in range(len(head)):
        surface = _first_surface(_spec(head[start:]) + tail, fields, arrays)
        if surface is not None:
            return typed[: head[0][1]] + " ".join(_restore_runs(head[:start], fields, arrays) + [surface])
    restored = _restore_runs(head, fields, arrays)
    return typed[: head[0][1]] + " ".join(restored + [_surface(term, fieldname, arrays)])


def _spec(run: list[tuple[str, int]]) -> tuple[tuple[str | None, str], ...]:
    """Phrase syllables for find_spans: one typed with accents must stand as typed, one
    without matches any accenting."""
    return tuple((t.lower() if _text.fold(t) != t.lower() else None, _text.fold(t)) for t, _ in run)


def _restore_runs(head: list[tuple[str, int]], fields: list[str], arrays: PostingArrays) -> list[str]:
    """``head``'s syllables, each longest run of them as documents write it together (a
    syllable no document holds as typed stays as typed)."""
    out: list[str] = []
    i = 0
    while i < len(head):
        for j in range(len(head), i, -1):
            surface = _first_surface(_spec(head[i:j]), fields, arrays)
            if surface is not None:
                out.append(surface)
                i = j
                break
        else:
            out.append(head[i][0])
            i += 1
    return out


def _first_surface(spec: tuple[tuple[str | None, str], ...], fields: list[str], arrays: PostingArrays) -> str | None:
    """The phrase as written in the first of ``fields`` whose documents hold it (memoised per
    commit's arrays: the head's runs repeat across one call's completions)."""
    memo = _memo(arrays)
    key = (spec, tuple(fields))
    if key not in memo:
        memo[key] = _first_surface_uncached(spec, fields, arrays)
    return memo[key]


_memos: "weakref.WeakKeyDictionary[PostingArrays, dict[Any, str | None]]" = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()
_MEMO_SIZE = 1024  # phrases remembered per commit (search as you type repeats its head)


def _memo(arrays: PostingArrays) -> dict[Any, str | None]:
    with _memos_lock:
        memo = _memos.get(arrays)
        if memo is None or len(memo) > _MEMO_SIZE:
            memo = _memos[arrays] = {}
        return memo


def _first_surface_uncached(
    spec: tuple[tuple[str | None, str], ...], fields: list[str], arrays: PostingArrays
) -> str | None:
    for folded_field in fields:
        surface = _phrase_surface(spec, folded_field, arrays)
        if surface is not None:
            return surface
    return None


def _phrase_surface(spec: tuple[tuple[str | None, str], ...], fieldname: str, arrays: PostingArrays) -> str | None:
    """The commonest way the first documents holding the folded phrase ``spec`` in
    ``fieldname`` write it (respecting the syllables given as written), or None."""
    found = arrays.mask(wq.Phrase(fieldname, [folded for _, folded in spec]))
    source = fieldname[: -len(FOLDED_SUFFIX)]
    surfaces: Counter = Counter()
    docs = 0
    for docnum in found.nonzero()[0][:_PHRASE_DOCS].tolist():
        text = str(arrays.searcher.stored_fields(docnum).get(source) or "")
        spans = find_spans(text, set(), set(), [(spec, 1)])
        for begin, end in spans:
            surfaces[" ".join(text[begin:end].split())] += 1
        docs += bool(spans)
        if docs >= _SURFACE_DOCS:
            break
    return surfaces.most_common(1)[0][0] if surfaces else None


def _surface(term: str, fieldname: str, arrays: PostingArrays) -> str:
    """``term`` (folded) as the first documents holding it write it, the commonest way."""
    surfaces: Counter = Counter()
    postings = arrays.term(fieldname, term)
    ids = [d for d in postings.ids.tolist() if arrays.live[d]][:_SURFACE_DOCS]
    source = fieldname[: -len(FOLDED_SUFFIX)]
    # The word's syllables standing together, in any accenting: a phrase to find_spans.
    phrase = (tuple((None, part) for part in term.split("_")), 1)
    for docnum in ids:
        text = str(arrays.searcher.stored_fields(docnum).get(source) or "")
        for start, end in find_spans(text, set(), set(), [phrase]):
            surfaces[" ".join(text[start:end].split())] += 1
    return surfaces.most_common(1)[0][0] if surfaces else term.replace("_", " ")
