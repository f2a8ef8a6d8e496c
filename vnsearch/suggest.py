""""Did you mean": restore diacritics and fix typos from the index's own text.

A query typed without accents (``hai phong``) is restored from the documents it finds:
the longest runs of its syllables that stand together in those documents are taken as
written there (``Hải Phòng``), so context picks ``Đảng ủy`` for ``dang uy`` rather than
the commonest accenting of each syllable alone. A syllable the index does not hold is first
corrected to its nearest frequent neighbour (``phongg`` -> ``phong``).
"""

from __future__ import annotations

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

__all__ = ["suggest"]

_CONTEXT_DOCS = 10
_MAX_SYLLABLES = 12
_TOKENIZER = VietnameseTokenizer(words=False)


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
            pieces.extend(text[start:end] for start, end in find_spans(text, set(), wanted))
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
