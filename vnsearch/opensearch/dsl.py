"""vnsearch's parsed queries as OpenSearch query DSL, clause for clause.

The tree of :func:`vnsearch.query.parse` is translated node by node, as the local engine
builds its Whoosh query: each query syllable searches its folded form in the folded twin
(``title__vn.f``) and, when typed with accents, its exact form (``title__vn``); pyvi's words
and each run of two or three syllables are searched as words; the weights are those of
:class:`~vnsearch.settings.SearchSettings`. Words in no particular field are searched once,
in the combined field (:data:`~vnsearch.opensearch.analysis.COMBINED_FIELD`, BM25F with the
field weights of the index's creation), when the index has one and the search is over every
text field; otherwise field by field, each field's BM25 times its weight. Documents matching
every word of a short query get a bonus no score reaches (over every match); neighbouring
words found side by side reorder the best matches in a ``rescore``, as the local engine's
second phase does (both field by field).

Query terms are analysed by vnsearch and sent through the index's query analyzers (split on
spaces, lower-cased, folded by the engine), so they meet the indexed terms exactly.

>>> from vnsearch.opensearch import local
>>> schema = local.IndexSchema.build()
>>> plan = translate(local.parse('title:"hải phòng" -bão', schema), schema)
>>> sorted(plan.terms.exact)
['hải', 'phòng']
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from vnsearch.opensearch import local
from vnsearch.opensearch.analysis import (
    COMBINED_FIELD,
    ENCODED_SUFFIX,
    EXACT_QUERY_ANALYZER,
    FOLDED_QUERY_ANALYZER,
    FOLDED_SUBFIELD,
)

__all__ = ["Plan", "QueryTerms", "translate", "filters_query", "ALL_WORDS_BONUS", "ADJACENT_BONUS"]

Query = dict[str, Any]
# Smaller than the local engine's bonuses (1e6, 1e4): Lucene's scores are float32, and the
# BM25 part must keep two decimals beside them. Neither is reached by a short query's BM25.
ALL_WORDS_BONUS = 1e5
ADJACENT_BONUS = 1e3


@dataclass
class QueryTerms:
    """What a query looks for, to find the matches in the stored text (snippets)."""

    exact: set[str] = field(default_factory=set)
    folded: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)  # folded
    fuzzy: set[tuple[str, int]] = field(default_factory=set)  # folded word, distance
    truncated: bool = False


@dataclass
class Plan:
    """A translated query: the query (``None``: nothing to search), the rescoring clauses
    for the best matches, and the terms for snippets."""

    query: Query | None
    rescore: list[Query]
    terms: QueryTerms


def exact_field(name: str) -> str:
    return name + ENCODED_SUFFIX


def folded_field(name: str) -> str:
    return f"{name}{ENCODED_SUFFIX}.{FOLDED_SUBFIELD}"


def _or(queries: list[Query]) -> Query:
    return queries[0] if len(queries) == 1 else {"bool": {"should": queries, "minimum_should_match": 1}}


def _term(fieldname: str, text: str, boost: float, analyzer: str) -> Query:
    # One token: the query analyzer splits on spaces only, so this is a term query, folded
    # on the folded twin by the engine's own folding.
    return {"match": {fieldname: {"query": text, "analyzer": analyzer, "boost": boost}}}


def _near(fieldname: str, first: str, second: str, slop: int, boost: float) -> Query:
    return {"span_near": {
        "clauses": [{"span_term": {fieldname: first}}, {"span_term": {fieldname: second}}],
        "slop": slop - 1, "in_order": True, "boost": boost,
    }}


# Where a term is scored: the exact field, its folded twin, and the weight of their field.
_Target = tuple[str, str, float]


@dataclass
class _Translator:
    schema: local.IndexSchema
    settings: local.SearchSettings
    fields: tuple[str, ...] | None
    typed_accents: bool
    combined: Mapping[str, int] | None = None  # the index's combined field's weights, if any
    terms: QueryTerms = field(default_factory=QueryTerms)
    count: int = 0
    adjacent: list[list[Query]] = field(default_factory=list)
    rescore: list[Query] = field(default_factory=list)
    all_words: list[Query] = field(default_factory=list)

    def text_fields(self, scope: str | None) -> tuple[str, ...]:
        if scope is not None:
            return (scope,)
        return self.fields or self.schema.text_fields

    def weights(self, name: str) -> tuple[float, float]:
        return self.boosts(self.settings.field_weight(name))

    def boosts(self, weight: float) -> tuple[float, float]:
        return weight * self.settings.exact_weight, weight * self.settings.folded_weight

    def targets(self, scope: str | None, fields: tuple[str, ...]) -> list[_Target]:
        """Where a clause's syllables and words are scored: the combined field, once, for a
        clause on every text field of an index that has it (its weights are in its terms'
        counts), else each field with its weight."""
        if scope is None and self.combined and set(fields) == set(self.combined):
            return [(COMBINED_FIELD, f"{COMBINED_FIELD}.{FOLDED_SUBFIELD}", 1.0)]
        return [(exact_field(n), folded_field(n), self.settings.field_weight(n)) for n in fields]

    def node(self, node: local.Node) -> tuple[list[Query], list[Query]]:
        """A node's scoring queries (to be OR-ed) and what must match for "all words"."""
        if isinstance(node, local.Group):
            q = self.group(node)
            return ([q], [q]) if q is not None else ([], [])
        if isinstance(node, local.FilterClause):
            q = self.filter(node)
            return ([q], [q]) if q is not None else ([], [])
        return self.text(node)

    def group(self, group: local.Group) -> Query | None:
        must: list[Query] = []
        conditions: list[Query] = []
        for n in group.must:
            queries, _ = self.node(n)
            if queries:
                (conditions if local.is_filter(n) else must).append(_or(queries))
        should: list[Query] = []
        required: list[Query] = []
        saved_adjacent, self.adjacent = self.adjacent, []
        for n in group.should:
            queries, words = self.node(n)
            should.extend(queries)
            required.extend(words)
        adjacent, self.adjacent = self.adjacent, saved_adjacent
        saved, self.terms = self.terms, QueryTerms()  # excluded words are not highlighted
        must_not = [_or(qs) for qs, _ in map(self.node, group.must_not) if qs]
        saved.truncated |= self.terms.truncated
        self.terms = saved
        if self.settings.all_words_first and 1 < len(required) <= self.settings.all_words_max:
            self.all_words.append({"constant_score": {
                "filter": {"bool": {"must": required}}, "boost": ALL_WORDS_BONUS,
            }})
            self.rescore.extend(
                {"constant_score": {"filter": _or(nears), "boost": ADJACENT_BONUS}} for nears in adjacent
            )
        if not (must or conditions or should or must_not):
            return None
        body: dict[str, Any] = {}
        if must:
            body["must"] = must
        if conditions:
            body["filter"] = conditions
        if should:
            body["should"] = should
            if not must and not conditions:
                body["minimum_should_match"] = 1
        if must_not:
            body["must_not"] = must_not
            if not (must or conditions or should):
                body["must"] = [{"match_all": {}}]
        return {"bool": body}

    def filter(self, clause: local.FilterClause) -> Query | None:
        spec = self.schema[clause.field]
        if clause.value is not None:
            value = clause.value if spec.type == "id" else clause.value.lower()
            return {"term": {clause.field: value}}
        bounds: dict[str, Any] = {}
        if spec.type == "date":
            # An exclusive bound excludes the whole day, month or year it names.
            if clause.low:
                low = local.date_bound(clause.low, upper=not clause.low_inclusive)
                bounds["gte" if clause.low_inclusive else "gt"] = _date_text(low)
            if clause.high:
                high = local.date_bound(clause.high, upper=clause.high_inclusive)
                bounds["lte" if clause.high_inclusive else "lt"] = _date_text(high)
        elif spec.type == "number":
            if clause.low:
                bounds["gte" if clause.low_inclusive else "gt"] = float(clause.low)
            if clause.high:
                bounds["lte" if clause.high_inclusive else "lt"] = float(clause.high)
        else:
            if clause.low:
                bounds["gte" if clause.low_inclusive else "gt"] = clause.low.lower()
            if clause.high:
                bounds["lte" if clause.high_inclusive else "lt"] = clause.high.lower()
        return {"range": {clause.field: bounds}} if bounds else {"exists": {"field": clause.field}}

    def text(self, clause: local.TextClause) -> tuple[list[Query], list[Query]]:
        fields = self.text_fields(clause.field)
        if clause.kind in ("prefix", "fuzzy"):
            q = self.expanding(clause, fields)
            return ([q], [q]) if q is not None else ([], [])
        syllables, words, truncated = local.clause_syllables(clause, self.settings, self.settings.max_terms - self.count)
        self.terms.truncated |= truncated
        self.count += len(syllables)
        if not syllables:
            return [], []
        if clause.kind == "phrase" and len(syllables) > 1:
            q = self.phrase(syllables, fields, clause.slop)
            return [q], [q]
        targets = self.targets(clause.field, fields)
        groups = [self.syllable(s, targets) for s in syllables]
        flat = [q for group in groups for q in group]
        required = [_or(g) for g in groups]
        folded = [local.fold(s) for s in syllables]
        self.adjacent.extend(
            [_near(folded_field(name), a, b, 1, 1.0) for name in fields] for a, b in zip(folded, folded[1:])
        )
        self.pairs(folded, fields)
        return flat + self.words(syllables, words, targets), required

    def syllable(self, syllable: str, targets: list[_Target]) -> list[Query]:
        exact = syllable.lower()
        accented = self.typed_accents or local.has_diacritics(exact)
        self.terms.folded.add(local.fold(syllable))
        if accented:
            self.terms.exact.add(exact)
        subs: list[Query] = []
        for exact_name, folded_name, weight in targets:
            we, wf = self.boosts(weight)
            if accented:
                subs.append(_term(exact_name, exact, we, EXACT_QUERY_ANALYZER))
            subs.append(_term(folded_name, exact, wf, FOLDED_QUERY_ANALYZER))
        return subs

    def words(self, syllables: list[str], words: list[str], targets: list[_Target]) -> list[Query]:
        """pyvi's words and every run of two or three neighbouring syllables, as words."""
        runs = {w.lower() for w in words}
        for size in (2, 3):
            for i in range(len(syllables) - size + 1):
                runs.add("_".join(s.lower() for s in syllables[i : i + size]))
        exact_words = {w.lower() for w in words if self.typed_accents or local.has_diacritics(w)}
        # Folded by the engine: distinct runs may fold alike, one query each is enough.
        folded_words = {local.fold(w): w for w in sorted(runs)}
        subs: list[Query] = []
        ww = self.settings.word_weight
        for exact_name, folded_name, weight in targets:
            we, wf = self.boosts(weight)
            subs += [_term(exact_name, w, we * ww, EXACT_QUERY_ANALYZER) for w in sorted(exact_words)]
            subs += [_term(folded_name, w, wf * ww, FOLDED_QUERY_ANALYZER) for _, w in sorted(folded_words.items())]
        self.terms.exact.update(exact_words)
        self.terms.folded.update(folded_words)
        return subs

    def pairs(self, folded: list[str], fields: tuple[str, ...]) -> None:
        """Neighbouring syllables side by side score again in the rescore (``proximity_weight``)."""
        weight = self.settings.proximity_weight
        if not weight or len(folded) < 2:
            return
        for name in fields:
            _, wf = self.weights(name)
            for a, b in zip(folded, folded[1:]):
                self.rescore.append(_near(folded_field(name), a, b, self.settings.proximity_slop, wf * weight))

    def phrase(self, syllables: list[str], fields: tuple[str, ...], slop: int) -> Query:
        exact = [s.lower() for s in syllables]
        accented = self.typed_accents or any(map(local.has_diacritics, exact))
        self.terms.folded.update(local.fold(s) for s in syllables)
        if accented:
            self.terms.exact.update(exact)
        text = " ".join(exact)
        folded = [local.fold(s) for s in syllables]
        subs: list[Query] = []
        for name in fields:
            we, wf = self.weights(name)
            if accented:
                subs.append(_phrase(exact_field(name), text, exact, slop, we, EXACT_QUERY_ANALYZER))
            subs.append(_phrase(folded_field(name), text, folded, slop, wf, FOLDED_QUERY_ANALYZER))
        return _or(subs)

    def expanding(self, clause: local.TextClause, fields: tuple[str, ...]) -> Query | None:
        """Prefix and typo words, expanded by the engine (up to ``max_expansions`` terms)."""
        normal = local.normalize(clause.text).lower()
        folded = local.fold(normal)
        if not folded:
            return None
        self.count += 1
        limit = self.settings.max_expansions
        subs: list[Query] = []
        for name in fields:
            we, wf = self.weights(name)
            targets = [(folded_field(name), folded, wf)]
            if normal != folded:
                # The accents typed still count: the exact field's matching terms rank higher.
                targets.append((exact_field(name), normal, we))
            for fieldname, text, boost in targets:
                if clause.kind == "prefix":
                    # Scored as terms, like the local engine's expansion (not constant).
                    subs.append({"prefix": {fieldname: {
                        "value": text, "boost": boost, "rewrite": f"top_terms_{limit}",
                    }}})
                else:
                    subs.append({"fuzzy": {fieldname: {
                        "value": text, "fuzziness": clause.distance, "prefix_length": 1,
                        "max_expansions": limit, "transpositions": False, "boost": boost,
                    }}})
        if clause.kind == "prefix":
            self.terms.prefixes.add(folded)
        else:
            self.terms.fuzzy.add((folded, clause.distance))
        return _or(subs)


def _phrase(fieldname: str, text: str, terms: list[str], slop: int, boost: float, analyzer: str) -> Query:
    """Words side by side (slop 1), or in this order with at most ``slop`` - 1 words between
    each two: vnsearch's slop never allows reordering, the engine's phrase slop would."""
    if slop <= 1:
        return {"match_phrase": {fieldname: {"query": text, "analyzer": analyzer, "boost": boost}}}
    # Nested pairs: the engine's span slop counts over the whole span, vnsearch's per gap.
    span: Query = {"span_term": {fieldname: terms[0]}}
    for term in terms[1:]:
        span = {"span_near": {"clauses": [span, {"span_term": {fieldname: term}}], "slop": slop - 1, "in_order": True}}
    span["span_near"]["boost"] = boost
    return span


def _date_text(value: _dt.datetime) -> str:
    return value.isoformat(timespec="milliseconds")


def translate(
    parsed: local.ParsedQuery,
    schema: local.IndexSchema,
    *,
    settings: local.SearchSettings = local.DEFAULT_SETTINGS,
    fields: Iterable[str] | None = None,
    weights: Mapping[str, int] | None = None,
) -> Plan:
    """The DSL for a parsed query: the query, its rescoring clauses and its terms.

    ``weights``: the index's combined field's (:attr:`RemoteIndex.weights`), ``None`` for an
    index without one (its words are then searched field by field).
    """
    chosen = tuple(fields) if fields else None
    translator = _Translator(schema, settings, chosen, typed_accents=local.has_diacritics(parsed.text), combined=weights)
    core = translator.group(parsed.tree)
    if core is not None and translator.all_words:
        # All words first, over every match: a bonus beside the query, which alone matches.
        core = {"bool": {"must": [core], "should": translator.all_words}}
    return Plan(core, translator.rescore, translator.terms)


def filters_query(filters: Mapping[str, Any], schema: local.IndexSchema) -> list[Query]:
    """Conditions from ``{"field": value}`` as for :meth:`vnsearch.Searcher.search`: a value,
    a list of values (any of them), a ``(low, high)`` pair or a comparison (``">=2020-07"``)."""
    translator = _Translator(schema, local.DEFAULT_SETTINGS, None, typed_accents=False)
    out: list[Query] = []
    for name, value in filters.items():
        if name not in schema or schema[name].type in ("text", "stored"):
            raise local.SchemaError(f"cannot filter on {name!r}: not a keyword, id, date or number field")
        values = list(value) if isinstance(value, (list, set, frozenset)) else [value]
        alternatives = []
        for v in values:
            clause = _filter_clause(name, v, schema)
            q = translator.filter(clause)
            if q is not None:
                alternatives.append(q)
        if alternatives:
            out.append(_or(alternatives))
    return out


def _filter_clause(name: str, value: Any, schema: local.IndexSchema) -> local.FilterClause:
    """One filter condition, built as a clause (a value is never pasted into query text)."""
    kind = schema[name].type
    try:
        if isinstance(value, tuple) and len(value) == 2:
            low, high = (None if v in (None, "", "*") else _bound_text(v) for v in value)
            clause = local.FilterClause(name, low=low, high=high)
            local.check_bounds(kind, clause)
            return clause
        return local.filter_clause(name, kind, _bound_text(value))
    except ValueError as exc:
        raise local.QuerySyntaxError(f"cannot filter {name} on {value!r}: {exc}", str(value), 0) from None


def _bound_text(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)
