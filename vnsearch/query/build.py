"""Parsed queries -> Whoosh queries over the exact and folded twins of each text field.

:func:`build` also returns the terms a query looks for (for highlighting and suggestions)
and a :class:`Reranking` plan: clauses that only reorder the matches (neighbouring syllables
in proximity, all words found, neighbouring words together), which :mod:`vnsearch.ranking`
applies. The weights come from :class:`~vnsearch.settings.SearchSettings`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from whoosh import query as wq

from vnsearch.analysis import VietnameseTokenizer
from vnsearch.documents.dates import date_bound
from vnsearch.query.syntax import FilterClause, Group, Node, ParsedQuery, TextClause
from vnsearch.schema import FOLDED_SUFFIX, IndexSchema
from vnsearch.settings import DEFAULT_SETTINGS, SearchSettings
from vnsearch.vietnamese import text as _text
from vnsearch.vietnamese.accents import posteriors
from vnsearch.whoosh_ext.scoring import CombinedTerm
from vnsearch.whoosh_ext.terms import near_terms

__all__ = ["Proximity", "QueryTerms", "Reranking", "build", "clause_syllables"]

# A restored spelling less likely than this is not searched: it would cost a lookup and say little.
_MIN_POSTERIOR = 0.1


@dataclass
class QueryTerms:
    """The terms a query looks for, for highlighting: a word typed with accents is marked
    only as written (``exact``), one typed without in any accenting (``folded``)."""

    exact: set[str] = field(default_factory=set)
    folded: set[str] = field(default_factory=set)
    # Phrases, marked only where their syllables stand together: ((exact or None, folded), ...), slop.
    phrases: list[tuple[tuple[tuple[str | None, str], ...], int]] = field(default_factory=list)
    # Terms that only stand for the matched span (prefixes, fuzzy words), folded.
    syllables: list[str] = field(default_factory=list)
    truncated: bool = False
    # The query's expansion budget: terms expanded so far, when expanding must stop, and the
    # prefix and fuzzy words searched as plain words once it was spent.
    expansions: int = 0
    expand_until: float | None = None
    unexpanded: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Proximity:
    """Two terms of one field, the second at most ``slop`` positions after the first."""

    fieldname: str
    first: str
    second: str
    slop: int = 1


@dataclass
class Reranking:
    """Clauses that only reorder matches, kept out of the query for a two-phase search:
    the query finds and counts the matches, :func:`vnsearch.ranking.rank` orders the best of
    them with these (see there for how each counts)."""

    # (proximity, boost): + boost * (both terms' scores) where the two stand that close.
    proximity: list[tuple[Proximity, float]] = field(default_factory=list)
    # Queries that match where all words of a short query are found: the first tier.
    all_words: list[wq.Query] = field(default_factory=list)
    # Neighbouring words of a short query, one group per pair (any field): the second tier,
    # counted where any proximity of a group holds.
    together: list[tuple[Proximity, ...]] = field(default_factory=list)


@dataclass
class _Builder:
    schema: IndexSchema
    settings: SearchSettings
    reader: Any
    fields: tuple[str, ...] | None
    # A query typed with accents anywhere: its unaccented words are literal too ("NASUWT").
    typed_accents: bool = False
    terms: QueryTerms = field(default_factory=QueryTerms)
    count: int = 0
    # Neighbouring words of the clauses being built (for the short-query tiers).
    together: list[tuple[Proximity, ...]] = field(default_factory=list)
    rerank: Reranking = field(default_factory=Reranking)  # clauses that only reorder matches

    def text_fields(self, scope: str | None) -> tuple[str, ...]:
        if scope is not None:
            return (scope,)
        return self.fields or self.schema.text_fields

    def node(self, node: Node) -> tuple[list[wq.Query], list[wq.Query]]:
        """A node's scoring queries (to be OR-ed), and the queries that must all match
        for the node to count as "all words" found."""
        if isinstance(node, Group):
            q = self.group(node)
            return ([q], [q]) if q is not None else ([], [])
        if isinstance(node, FilterClause):
            q = self.filter(node)
            return ([q], [q]) if q is not None else ([], [])
        return self.text(node)

    def group(self, group: Group) -> wq.Query | None:
        must = [_or(qs) for qs, _ in map(self.node, group.must) if qs]
        should: list[wq.Query] = []
        required: list[wq.Query] = []
        saved_together, self.together = self.together, []
        for n in group.should:
            queries, words = self.node(n)
            should.extend(queries)
            required.extend(words)
        together, self.together = self.together, saved_together
        saved, self.terms = self.terms, QueryTerms()  # excluded words are not highlighted
        must_not = [_or(qs) for qs, _ in map(self.node, group.must_not) if qs]
        self.terms = saved
        if self.settings.all_words_first and 1 < len(required) <= self.settings.all_words_max:
            self.rerank.all_words.append(wq.And(required))
            self.rerank.together.extend(together)
        optional = _or(should) if should else None
        if must:
            core: wq.Query | None = wq.And(must) if len(must) > 1 else must[0]
            if optional is not None:
                core = wq.AndMaybe(core, optional)
        else:
            core = optional
        if must_not:
            core = wq.AndNot(core if core is not None else wq.Every(), _or(must_not))
        return core

    def filter(self, clause: FilterClause) -> wq.Query | None:
        spec = self.schema[clause.field]
        if clause.value is not None:
            value = clause.value if spec.type == "id" else clause.value.lower()
            return wq.Term(clause.field, value)
        if spec.type == "date":
            # An exclusive bound excludes the whole day, month or year it names.
            low = date_bound(clause.low, upper=not clause.low_inclusive) if clause.low else None
            high = date_bound(clause.high, upper=clause.high_inclusive) if clause.high else None
            return wq.DateRange(
                clause.field, low, high,
                startexcl=not clause.low_inclusive, endexcl=not clause.high_inclusive,
            )
        if spec.type == "number":
            return wq.NumericRange(
                clause.field,
                float(clause.low) if clause.low else None,
                float(clause.high) if clause.high else None,
                startexcl=not clause.low_inclusive, endexcl=not clause.high_inclusive,
            )
        return wq.TermRange(
            clause.field, (clause.low or "").lower() or None, (clause.high or "").lower() or None,
            startexcl=not clause.low_inclusive, endexcl=not clause.high_inclusive,
        )

    def text(self, clause: TextClause) -> tuple[list[wq.Query], list[wq.Query]]:
        fields = self.text_fields(clause.field)
        if clause.kind in ("prefix", "fuzzy"):
            q = self.expanding(clause, fields)
            return ([q], [q]) if q is not None else ([], [])
        syllables, words, truncated = clause_syllables(clause, self.settings, self.settings.max_terms - self.count)
        self.terms.truncated |= truncated
        self.count += len(syllables)
        if not syllables:
            return [], []
        if clause.kind == "phrase" and len(syllables) > 1:
            q = self.phrase(syllables, fields, clause.slop)
            return [q], [q]
        restored = self.restored(syllables, fields)
        groups = [self.syllable(s, fields, r) for s, r in zip(syllables, restored)]
        flat = [term for group in groups for term in group]
        required = [_or(g) if g else wq.NullQuery for g in groups]
        folded = [_text.fold(s) for s in syllables]
        self.together.extend(
            tuple(Proximity(name + FOLDED_SUFFIX, a, b) for name in fields) for a, b in zip(folded, folded[1:])
        )
        self.proximities(syllables, fields)
        return flat + self.words(syllables, words, fields), required

    def weights(self, name: str) -> tuple[float, float]:
        w = self.settings.field_weight(name)
        return w * self.settings.exact_weight, w * self.settings.folded_weight

    def restored(self, syllables: list[str], fields: tuple[str, ...]) -> list[dict[str, float]]:
        """For a query typed without accents: each syllable's accented spellings in the
        index, with their probability there given the neighbours
        (:func:`~vnsearch.vietnamese.accents.posteriors`); else nothing to add."""
        if not self.settings.accent_weight or self.typed_accents or self.reader is None:
            return [{} for _ in syllables]
        reader = self.reader

        def documents(term: str) -> int:
            return sum(reader.doc_frequency(name, term) for name in fields)

        return posteriors([_text.fold(s) for s in syllables], documents)

    def syllable(self, syllable: str, fields: tuple[str, ...], restored: dict[str, float]) -> list[wq.Query]:
        """One query syllable: its folded form, and its exact form when typed with accents,
        or the exact forms it likely stands for when typed without (weighted by how likely)."""
        exact, folded = syllable.lower(), _text.fold(syllable)
        accented = self.typed_accents or _text.has_diacritics(exact)
        if accented:
            self.terms.exact.add(exact)
        if not _text.has_diacritics(exact):
            self.terms.folded.add(folded)
        subs: list[wq.Query] = []
        if accented:
            subs.extend(self.combined(fields, "", exact, self.settings.exact_weight))
        spellings = tuple((s, p) for s, p in restored.items() if p >= _MIN_POSTERIOR)
        if spellings:
            likeliest = max(spellings, key=lambda item: item[1])[0]
            weight = self.settings.exact_weight * self.settings.accent_weight
            subs.extend(self.combined(fields, "", likeliest, weight, spellings))
        subs.extend(self.combined(fields, FOLDED_SUFFIX, folded, self.settings.folded_weight))
        return subs

    def combined(
        self, fields: tuple[str, ...], twin: str, text: str, boost: float,
        spellings: tuple[tuple[str, float], ...] = (),
    ) -> list[wq.Query]:
        """``text`` in one twin of ``fields``, scored as one BM25F field (title and body
        saturate together, weighted by ``field_weight``); nothing when no field holds it.
        ``spellings``: the term is any of these, each counted by its probability."""
        routes = tuple((name + twin, self.settings.field_weight(name)) for name in fields)
        texts = [t for t, _ in spellings] or [text]
        if self.reader is not None and not any(
            self.reader.doc_frequency(name, t) for name, _ in routes for t in texts
        ):
            return []
        if len(routes) == 1 and not spellings:
            return [wq.Term(routes[0][0], text, boost=boost)]  # one field: plain BM25
        return [CombinedTerm(routes, text, boost, spellings)]

    def words(self, syllables: list[str], words: list[str], fields: tuple[str, ...]) -> list[wq.Query]:
        """Terms for the words among the syllables: pyvi's (typed with accents) and every run
        of two or three neighbouring syllables, folded (how words typed without accents match)."""
        folded_words = {_text.fold(w) for w in words}
        # Only words typed without accents are marked in any accenting ("hải" never marks "hai").
        marked = {_text.fold(w) for w in words if not _text.has_diacritics(w)}
        for size in (2, 3):
            for i in range(len(syllables) - size + 1):
                run = syllables[i : i + size]
                folded_words.add("_".join(_text.fold(s) for s in run))
                if not any(map(_text.has_diacritics, run)):
                    marked.add("_".join(_text.fold(s) for s in run))
        exact_words = {w.lower() for w in words if self.typed_accents or _text.has_diacritics(w)}
        subs: list[wq.Query] = []
        ww = self.settings.word_weight
        for w in sorted(exact_words):
            subs.extend(self.combined(fields, "", w, self.settings.exact_weight * ww))
        for w in sorted(folded_words):
            subs.extend(self.combined(fields, FOLDED_SUFFIX, w, self.settings.folded_weight * ww))
        self.terms.exact.update(exact_words)
        self.terms.folded.update(marked)
        return subs

    def proximities(self, syllables: list[str], fields: tuple[str, ...]) -> None:
        """Neighbouring query syllables found close together in a document score again,
        folded (``proximity_weight``): closeness counts even where pyvi found no word."""
        weight = self.settings.proximity_weight
        if not weight or len(syllables) < 2:
            return
        folded = [_text.fold(s) for s in syllables]
        for name in fields:
            _, wf = self.weights(name)
            fieldname = name + FOLDED_SUFFIX
            present = [self.reader is None or bool(self.reader.doc_frequency(fieldname, w)) for w in folded]
            for (a, b), ok_a, ok_b in zip(zip(folded, folded[1:]), present, present[1:]):
                if ok_a and ok_b:
                    close = Proximity(fieldname, a, b, self.settings.proximity_slop)
                    self.rerank.proximity.append((close, wf * weight))

    def phrase(self, syllables: list[str], fields: tuple[str, ...], slop: int) -> wq.Query:
        exact = [s.lower() for s in syllables]
        folded = [_text.fold(s) for s in syllables]
        accented = self.typed_accents or any(map(_text.has_diacritics, exact))
        self.terms.phrases.append(
            (tuple((e if _text.has_diacritics(e) else None, f) for e, f in zip(exact, folded)), slop)
        )
        subs: list[wq.Query] = []
        for name in fields:
            we, wf = self.weights(name)
            if accented:
                subs.append(wq.Phrase(name, exact, slop=slop, boost=we))
            subs.append(wq.Phrase(name + FOLDED_SUFFIX, folded, slop=slop, boost=wf))
        return _or(subs)

    def expanding(self, clause: TextClause, fields: tuple[str, ...]) -> wq.Query | None:
        """Prefix and fuzzy words, expanded against the folded vocabulary (capped)."""
        normal = _text.normalize(clause.text).lower()
        folded = _text.fold(normal)
        if not folded:
            return None
        self.count += 1
        subs: list[wq.Query] = []
        for name in fields:
            fname = name + FOLDED_SUFFIX
            _, wf = self.weights(name)
            expansions = self.expand(fname, folded, clause)
            if normal == folded:
                self.terms.folded.update(expansions)
            subs.extend(wq.Term(fname, t, boost=wf) for t in expansions)
            if normal != folded:
                # The accents typed still count: the exact field's matching terms rank higher.
                we, _ = self.weights(name)
                exact_terms = self.expand(name, normal, clause)
                self.terms.exact.update(exact_terms)
                subs.extend(wq.Term(name, t, boost=we) for t in exact_terms)
        if not subs:
            # Nothing in the vocabulary: a term that matches nothing keeps the query honest.
            return wq.Term(fields[0] + FOLDED_SUFFIX, folded)
        return _or(subs)

    def expand(self, fieldname: str, text: str, clause: TextClause) -> list[str]:
        if self.reader is None:
            return [text]
        terms = self.terms
        now = time.perf_counter()
        if terms.expand_until is None:
            terms.expand_until = now + self.settings.max_expansion_seconds
        budget = self.settings.max_query_expansions - terms.expansions
        if budget <= 0 or now > terms.expand_until:
            if clause.text not in terms.unexpanded:
                terms.unexpanded.append(clause.text)
            return [text]  # the budget is spent: the word as typed
        limit = min(self.settings.max_expansions, budget)
        if clause.kind == "prefix":
            found: list[str] = []
            for term in self.reader.expand_prefix(fieldname, text):
                found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                if len(found) >= limit * 4:
                    break
        else:
            found = near_terms(self.reader, fieldname, text, clause.distance)
        if len(found) > limit:
            # Keep the commonest: those are what the user most likely meant.
            found.sort(key=lambda t: -self.reader.doc_frequency(fieldname, t))
            found = found[:limit]
        terms.expansions += len(found)
        return found


def _or(queries: list[wq.Query]) -> wq.Query:
    return wq.Or(queries) if len(queries) > 1 else queries[0]


def _without_stopwords(syllables: list[str], stopwords: Iterable[str]) -> list[str]:
    """``syllables`` less the stopword phrases in them (unless nothing else is left).

    A syllable typed with accents must match a stopword exactly; one typed without is
    compared folded, so ``bao nhieu`` is ``bao nhiêu``.
    """
    phrases = sorted((p.split() for p in stopwords), key=len, reverse=True)
    exact = [_text.normalize(s).lower() for s in syllables]
    kept: list[str] = []
    i = 0
    while i < len(syllables):
        for phrase in phrases:
            n = len(phrase)
            if exact[i : i + n] and all(
                e == p if _text.has_diacritics(e) else _text.fold(e) == _text.fold(p)
                for e, p in zip(exact[i : i + n], phrase)
            ) and len(exact[i : i + n]) == n:
                i += n
                break
        else:
            kept.append(syllables[i])
            i += 1
    return kept or syllables


def _analyse_query(text: str) -> tuple[list[str], list[str]]:
    """The syllables (and numbers, date parts, ...) and the words of a query text."""
    syllables: list[str] = []
    words: list[str] = []
    for t in VietnameseTokenizer()(text):
        if t.word is not None:
            words.append(t.word)
        syllables.append(t.text)
    return syllables, words


def build(
    parsed: ParsedQuery,
    schema: IndexSchema,
    *,
    settings: SearchSettings = DEFAULT_SETTINGS,
    reader: Any = None,
    fields: Iterable[str] | None = None,
) -> tuple[wq.Query | None, QueryTerms, Reranking]:
    """The Whoosh query for a parsed query, the terms it looks for, and the clauses that
    only reorder its matches (proximity and the short-query tiers): the query
    finds and counts the matches, :func:`vnsearch.ranking.rank` orders the best of them."""
    chosen = tuple(fields) if fields else None
    typed = _text.has_diacritics(parsed.text)
    builder = _Builder(schema, settings, reader, chosen, typed_accents=typed)
    q = builder.group(parsed.tree)
    return q, builder.terms, builder.rerank


def clause_syllables(clause: TextClause, settings: SearchSettings, room: int) -> tuple[list[str], list[str], bool]:
    """The syllables and pyvi words a words or phrase clause searches, the question-word
    stopwords left out (of plain words only), cut to ``room`` terms; and whether it was cut.

    Every engine's query builder starts a text clause here (the local one, OpenSearch's).
    """
    syllables, words = _analyse_query(clause.text)
    if settings.stopwords and clause.kind == "words":
        syllables = _without_stopwords(syllables, settings.stopwords)
    truncated = len(syllables) > room
    if truncated:
        syllables = syllables[: max(room, 0)]
    return syllables, words, truncated

