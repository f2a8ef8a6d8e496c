"""Query strings -> Whoosh queries over the exact and folded twins of each text field.

The language (README, "Query syntax"): bare words search every text field; ``title:`` and
any declared field scope a word, phrase or group; ``"exact phrases"`` (``"..."~2`` for slop);
``AND``, ``OR``, ``NOT``, ``+must``, ``-mustnot`` and parentheses; ``phò*`` prefixes;
``phòngg~`` (or ``~2``) typos; ``date:[2019-01-01 TO 2020-12-31]`` and ``date:>=2020-07``
ranges; ``tags:thoi-su`` filters.

Parsing is lenient by default: what cannot be parsed is searched as text or dropped, and
each such decision is reported in :attr:`ParsedQuery.ignored`. ``strict=True`` raises
:class:`~vnsearch.errors.QuerySyntaxError` with the position instead.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Union

from whoosh import query as wq

from vnsearch.vietnamese import text as _text
from vnsearch.analysis import VietnameseTokenizer
from vnsearch.errors import QuerySyntaxError
from vnsearch.schema import FOLDED_SUFFIX, IndexSchema
from vnsearch.settings import DEFAULT_SETTINGS, SearchSettings

__all__ = ["ParsedQuery", "parse", "build", "QueryTerms", "parse_date_bound"]

MAX_QUERY_CHARS = 2000
_MAX_DEPTH = 32  # parentheses nested deeper are read as plain words
# Added to the score of documents that match every word, so they rank above partial matches.
_ALL_WORDS_BONUS = 1e6
# Added, for short queries, for each two neighbouring query words found side by side: a word
# (Hải Phòng) outranks its syllables scattered. Scores shown are taken modulo this.
_ADJACENT_BONUS = 1e4


# -- the parsed form --------------------------------------------------------------------------


@dataclass(frozen=True)
class TextClause:
    """Words to match, as typed (``phrase``: in this order; ``prefix``/``fuzzy``: one word)."""

    text: str
    field: str | None = None
    kind: str = "words"  # words | phrase | prefix | fuzzy
    slop: int = 1
    distance: int = 1
    position: int = 0


@dataclass(frozen=True)
class FilterClause:
    """A keyword, id, date or number condition on one field."""

    field: str
    value: str | None = None
    low: str | None = None
    high: str | None = None
    low_inclusive: bool = True
    high_inclusive: bool = True
    position: int = 0


@dataclass(frozen=True)
class Group:
    """Clauses combined: all ``must`` match, none of ``must_not``, ``should`` rank."""

    must: tuple["Node", ...] = ()
    should: tuple["Node", ...] = ()
    must_not: tuple["Node", ...] = ()


Node = Union[TextClause, FilterClause, Group]


@dataclass(frozen=True)
class ParsedQuery:
    """A query string as understood: its tree, and what the lenient parse left out."""

    text: str
    tree: Group
    ignored: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.tree.must or self.tree.should)


# -- lexing -----------------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<range>[+-]?[A-Za-z_][A-Za-z0-9_]*:[\[{][^\]}]*[\]}])
  | (?P<scope>[+-]?[A-Za-z_][A-Za-z0-9_]*:(?=["(]))
  | (?P<lparen>[+-]?\()
  | (?P<rparen>\))
  | (?P<quote>[+-]?"[^"]*(?:"|$)(?:~\d+)?)
  | (?P<word>[^\s()"]+)
    """,
    re.VERBOSE,
)
_FIELD_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(.*)\Z", re.DOTALL)
_RANGE_RE = re.compile(r"[\[{](.*?)\s+TO\s+(.*?)[\]}]\Z", re.DOTALL)
_COMPARE_RE = re.compile(r"(>=|<=|>|<|=)(.+)\Z")
_OPERATORS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR"}


@dataclass
class _Lexeme:
    kind: str  # lparen rparen quote word op
    text: str
    position: int
    field: str | None = None  # a scope written before a quote or parenthesis: title:"..."
    sign: str = ""


def _lex(query: str, strict: bool, ignored: list[str]) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    scope: tuple[str, str, int] | None = None  # (field, sign, position) awaiting its quote or group
    for m in _TOKEN_RE.finditer(query):
        kind, text, start = m.lastgroup, m.group(), m.start()
        if kind == "space":
            continue
        if kind == "scope":
            sign = text[0] if text[0] in "+-" else ""
            scope = (text[len(sign) : -1], sign, start)
            continue
        field_name, sign = None, ""
        if scope is not None:
            field_name, sign, start = scope
            scope = None
        if kind in ("quote", "lparen") and text[0] in "+-":
            sign, text = sign or text[0], text[1:]
        if kind == "quote":
            if len(text.rstrip("~0123456789")) < 2 or not text.rstrip("~0123456789").endswith('"'):
                if strict:
                    raise QuerySyntaxError("unbalanced quote", query, start)
                ignored.append(f"unbalanced quote at position {start}: searched the rest as a phrase")
            out.append(_Lexeme("quote", text, start, field_name, sign))
        elif kind in ("lparen", "rparen"):
            out.append(_Lexeme(kind, text, start, field_name, sign))
        elif text in _OPERATORS:
            out.append(_Lexeme("op", _OPERATORS[text], start))
        else:
            sign = text[0] if text[0] in "+-" and len(text) > 1 else ""
            out.append(_Lexeme("word", text[len(sign) :], start, None, sign))
    return out


# -- parsing ----------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str, schema: IndexSchema, strict: bool):
        self.query = query
        self.schema = schema
        self.strict = strict
        self.ignored: list[str] = []
        self.lexemes = _lex(query, strict, self.ignored)
        self.i = 0
        self.depth = 0

    def fail(self, message: str, position: int) -> None:
        if self.strict:
            raise QuerySyntaxError(message, self.query, position)

    def peek(self) -> _Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def parse(self) -> Group:
        return self.parse_sequence(None, top=True)

    def parse_sequence(self, field_name: str | None, top: bool = False) -> Group:
        """Clauses up to a closing parenthesis (or the end), with their operators."""
        must: list[Node] = []
        should: list[Node] = []
        must_not: list[Node] = []
        pending_op: str | None = None
        last: tuple[list[Node], Node] | None = None
        while True:
            lexeme = self.peek()
            if lexeme is None:
                if not top:
                    self.fail("unbalanced parenthesis: '(' is never closed", len(self.query))
                    self.ignored.append("a '(' that is never closed")
                break
            if lexeme.kind == "rparen":
                self.i += 1
                if top:
                    self.fail("unbalanced parenthesis: ')' without '('", lexeme.position)
                    self.ignored.append(f"')' without '(' at position {lexeme.position}")
                    continue
                break
            if lexeme.kind == "op":
                self.i += 1
                if lexeme.text == "NOT":
                    node = self.parse_unary(field_name)
                    if node is not None:
                        must_not.append(node)
                    else:
                        self.fail("NOT with nothing after it", lexeme.position)
                        self.ignored.append(f"NOT at position {lexeme.position} (nothing after it)")
                    continue
                if last is None or self.peek() is None or self.peek().kind in ("rparen", "op"):
                    self.fail(f"{lexeme.text} needs words on both sides", lexeme.position)
                    self.ignored.append(f"{lexeme.text} at position {lexeme.position} (nothing to join)")
                    continue
                pending_op = lexeme.text
                continue
            sign = lexeme.sign
            node = self.parse_unary(field_name)
            if node is None:
                continue
            if sign == "-":
                must_not.append(node)
                last = None
            elif pending_op == "OR" and last is not None and last[0] is must and _is_filter(last[1]) and _is_filter(node):
                # tags:a OR tags:b: either filter will do.
                merged = Group(should=(last[1], node))
                must[must.index(last[1])] = merged
                last = (must, merged)
            elif sign == "+" or _is_filter(node):
                must.append(node)
                last = (must, node)
            elif pending_op == "AND":
                if last is not None and last[0] is should:
                    should.remove(last[1])
                    must.append(last[1])
                must.append(node)
                last = (must, node)
            else:
                should.append(node)
                last = (should, node)
            pending_op = None
        return Group(tuple(must), tuple(_merge_words(should)), tuple(must_not))

    def parse_sequence_flat(self, field_name: str | None) -> Group:
        """The words up to the matching ')' as one group, ignoring deeper parentheses."""
        level, words = 1, []
        while level and self.peek() is not None:
            lexeme = self.lexemes[self.i]
            self.i += 1
            level += {"lparen": 1, "rparen": -1}.get(lexeme.kind, 0)
            if lexeme.kind in ("word", "quote"):
                words.append(lexeme.text.strip('"'))
        clause = _word_clause(" ".join(words), field_name, 0) if words else None
        if clause is not None and field_name is not None and self.schema[field_name].type != "text":
            clause = None
        return Group(should=(clause,) if clause else ())

    def parse_unary(self, field_name: str | None) -> Node | None:
        lexeme = self.peek()
        if lexeme is None or lexeme.kind == "rparen":
            return None
        self.i += 1
        if lexeme.kind == "op":
            return None
        scope = lexeme.field or field_name
        if lexeme.field and not self.check_field(lexeme.field, lexeme.position):
            scope = field_name
        if lexeme.kind == "lparen":
            if self.depth >= _MAX_DEPTH:
                self.fail(f"parentheses nested deeper than {_MAX_DEPTH}", lexeme.position)
                self.ignored.append(f"parentheses nested deeper than {_MAX_DEPTH}: read as words")
                return self.parse_sequence_flat(scope)
            self.depth += 1
            try:
                return self.parse_sequence(scope)
            finally:
                self.depth -= 1
        if lexeme.kind == "quote":
            raw = lexeme.text
            slop = 1
            sm = re.search(r"~(\d+)\Z", raw)
            if sm:
                slop = max(1, min(int(sm.group(1)), 20))
                raw = raw[: sm.start()]
            words = raw.strip('"')
            if not words.strip():
                return None
            if scope is not None and self.schema[scope].type != "text":
                return self.parse_filter(scope, self.schema[scope].type, words.strip(), lexeme.position)
            return TextClause(words, scope, "phrase", slop=slop, position=lexeme.position)
        return self.parse_word(lexeme, field_name)

    def check_field(self, name: str, position: int) -> bool:
        if name in self.schema:
            spec = self.schema[name]
            if spec.type == "stored":
                self.fail(f"field {name!r} is stored only and cannot be searched", position)
                self.ignored.append(f"field {name!r} is stored only: searched its words everywhere")
                return False
            return True
        self.fail(f"unknown field {name!r}", position)
        known = ", ".join(self.schema.names("text", "keyword", "date", "number", "id"))
        self.ignored.append(f"{name!r} is not a field of this index ({known}): searched as text")
        return False

    def parse_word(self, lexeme: _Lexeme, field_name: str | None) -> Node | None:
        word = lexeme.text
        fm = _FIELD_RE.match(word)
        if fm and fm.group(2):
            name, value = fm.group(1), fm.group(2)
            if self.check_field(name, lexeme.position):
                spec = self.schema[name]
                if spec.type == "text":
                    return _word_clause(value, name, lexeme.position)
                return self.parse_filter(name, spec.type, value, lexeme.position)
            return _word_clause(word, field_name, lexeme.position)
        if field_name is not None and self.schema[field_name].type != "text":
            # Inside tags:(a OR b) each word is a value of that field.
            return self.parse_filter(field_name, self.schema[field_name].type, word, lexeme.position)
        return _word_clause(word, field_name, lexeme.position)

    def parse_filter(self, name: str, kind: str, value: str, position: int) -> Node | None:
        rm = _RANGE_RE.match(value)
        if rm:
            low, high = rm.group(1).strip(), rm.group(2).strip()
            clause = FilterClause(
                name,
                low=None if low in ("", "*") else low,
                high=None if high in ("", "*") else high,
                low_inclusive=value.startswith("["),
                high_inclusive=value.endswith("]"),
                position=position,
            )
        elif kind in ("date", "number") and (cm := _COMPARE_RE.match(value)):
            op, bound = cm.group(1), cm.group(2).strip()
            if op == "=":
                clause = FilterClause(name, low=bound, high=bound, position=position)
            elif op.startswith(">"):
                clause = FilterClause(name, low=bound, low_inclusive=op == ">=", position=position)
            else:
                clause = FilterClause(name, high=bound, high_inclusive=op == "<=", position=position)
        elif kind in ("date", "number"):
            clause = FilterClause(name, low=value, high=value, position=position)
        else:
            return FilterClause(name, value=value, position=position)
        try:
            _check_bounds(kind, clause)
        except ValueError as exc:
            self.fail(f"{name}: {exc}", position)
            self.ignored.append(f"{name}:{value} ({exc})")
            return None
        return clause


def _is_filter(node: Node) -> bool:
    """A filter, or a group made only of filters (``tags:(a OR b)``): it must hold."""
    if isinstance(node, FilterClause):
        return True
    return isinstance(node, Group) and bool(node.must or node.should) and all(
        _is_filter(n) for n in node.must + node.should
    )


def _word_clause(word: str, field_name: str | None, position: int) -> TextClause | None:
    fuzzy = re.match(r"(.+?)~(\d?)\Z", word)
    if fuzzy and _has_letters(fuzzy.group(1)):
        distance = int(fuzzy.group(2) or 1)
        return TextClause(fuzzy.group(1), field_name, "fuzzy", distance=max(1, min(distance, 2)), position=position)
    if word.endswith("*") and _has_letters(word.rstrip("*")):
        return TextClause(word.rstrip("*"), field_name, "prefix", position=position)
    return TextClause(word, field_name, "words", position=position) if _has_letters(word) else None


def _has_letters(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _merge_words(nodes: Iterable[Node]) -> list[Node]:
    """Join neighbouring plain words of one field into one clause, so words are found."""
    merged: list[Node] = []
    for node in nodes:
        prev = merged[-1] if merged else None
        if (
            isinstance(node, TextClause)
            and node.kind == "words"
            and isinstance(prev, TextClause)
            and prev.kind == "words"
            and prev.field == node.field
        ):
            merged[-1] = TextClause(f"{prev.text} {node.text}", prev.field, "words", position=prev.position)
        else:
            merged.append(node)
    return merged


def _check_bounds(kind: str, clause: FilterClause) -> None:
    for bound, upper in ((clause.low, False), (clause.high, True)):
        if bound is None:
            continue
        if kind == "date":
            parse_date_bound(bound, upper)
        elif kind == "number":
            float(bound)


_DATE_BOUND_RE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\Z")


def parse_date_bound(value: str, upper: bool = False) -> _dt.datetime:
    """``2020``, ``2020-07`` or ``2020-07-10`` (or ``10/07/2020``) as the first or, with
    ``upper``, the last moment of that year, month or day.

    >>> parse_date_bound("2020-07", upper=True)
    datetime.datetime(2020, 7, 31, 23, 59, 59, 999999)
    """
    value = value.strip()
    vn = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if vn:
        value = f"{vn.group(3)}-{vn.group(2)}-{vn.group(1)}"
    m = _DATE_BOUND_RE.match(value)
    if not m:
        raise ValueError(f"{value!r} is not a date (use 2020, 2020-07 or 2020-07-10)")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        start = _dt.datetime(year, int(month or 1), int(day or 1))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date ({exc})") from None
    if not upper:
        return start
    try:
        if day:
            end = start + _dt.timedelta(days=1)
        elif month:
            end = _dt.datetime(year + (start.month == 12), start.month % 12 + 1, 1)
        else:
            end = _dt.datetime(year + 1, 1, 1)
    except (ValueError, OverflowError):  # the end of year 9999
        return _dt.datetime.max
    return end - _dt.timedelta(microseconds=1)


def parse(query: str, schema: IndexSchema, *, strict: bool = False) -> ParsedQuery:
    """Parse a query string against the fields of ``schema``."""
    ignored: list[str] = []
    if not isinstance(query, str):
        raise QuerySyntaxError(f"a query is a string, not {type(query).__name__}", "", 0)
    if len(query) > MAX_QUERY_CHARS:
        if strict:
            raise QuerySyntaxError(f"the query is longer than {MAX_QUERY_CHARS} characters", query[:80], MAX_QUERY_CHARS)
        ignored.append(f"everything after the first {MAX_QUERY_CHARS} characters")
        query = query[:MAX_QUERY_CHARS]
    parser = _Parser(query, schema, strict)
    tree = parser.parse()
    parsed = ParsedQuery(query, tree, tuple(dict.fromkeys(ignored + parser.ignored)))
    if parsed.is_empty and not tree.must_not:
        if strict:
            raise QuerySyntaxError("the query has no words to search", query, 0)
        if query.strip():
            parsed = ParsedQuery(query, tree, parsed.ignored + ("the query has no words to search",))
    return parsed


# -- building Whoosh queries --------------------------------------------------------------------


@dataclass
class QueryTerms:
    """The terms a query looks for, by field, for highlighting and suggestions."""

    exact: set[str] = field(default_factory=set)
    folded: set[str] = field(default_factory=set)
    # Terms that only stand for the matched span (prefixes, fuzzy words), folded.
    syllables: list[str] = field(default_factory=list)
    truncated: bool = False


@dataclass(frozen=True)
class Near:
    """Two terms of one field, the second at most ``slop`` positions after the first."""

    fieldname: str
    first: str
    second: str
    slop: int = 1


@dataclass
class Reranking:
    """Clauses that only reorder matches, kept out of the query for a two-phase search:
    the query finds and counts the matches, these rescore the best of them."""

    # (near, boost): + boost * (both terms' scores) where the two stand near.
    proximity: list[tuple[Near, float]] = field(default_factory=list)
    # (query, bonus): + bonus where the query matches (all words of a short query).
    all_words: list[tuple[wq.Query, float]] = field(default_factory=list)
    # (nears, bonus): + bonus where any of them stands near (two neighbouring words).
    side_by_side: list[tuple[tuple[Near, ...], float]] = field(default_factory=list)


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
    # Neighbouring words of the clauses being built, side by side (for the short-query tiers).
    adjacent: list[tuple[Near, ...]] = field(default_factory=list)
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
        saved_adjacent, self.adjacent = self.adjacent, []
        for n in group.should:
            queries, words = self.node(n)
            should.extend(queries)
            required.extend(words)
        adjacent, self.adjacent = self.adjacent, saved_adjacent
        saved, self.terms = self.terms, QueryTerms()  # excluded words are not highlighted
        must_not = [_or(qs) for qs, _ in map(self.node, group.must_not) if qs]
        self.terms = saved
        if self.settings.all_words_first and 1 < len(required) <= self.settings.all_words_max:
            self.rerank.all_words.append((wq.And(required), _ALL_WORDS_BONUS))
            self.rerank.side_by_side.extend((nears, _ADJACENT_BONUS) for nears in adjacent)
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
            low = parse_date_bound(clause.low, upper=not clause.low_inclusive) if clause.low else None
            high = parse_date_bound(clause.high, upper=clause.high_inclusive) if clause.high else None
            return wq.DateRange(
                clause.field, low, high,
                startexcl=not clause.low_inclusive, endexcl=not clause.high_inclusive,
            )
        if spec.type == "number":
            low = float(clause.low) if clause.low else None
            high = float(clause.high) if clause.high else None
            return wq.NumericRange(
                clause.field, low, high,
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
        syllables, words = _analyse_query(clause.text)
        if self.settings.stopwords and clause.kind == "words":
            syllables = _without_stopwords(syllables, self.settings.stopwords)
        room = self.settings.max_terms - self.count
        if len(syllables) > room:
            syllables = syllables[: max(room, 0)]
            self.terms.truncated = True
        self.count += len(syllables)
        if not syllables:
            return [], []
        if clause.kind == "phrase" and len(syllables) > 1:
            q = self.phrase(syllables, fields, clause.slop)
            return [q], [q]
        groups = [self.syllable(s, fields) for s in syllables]
        flat = [term for group in groups for term in group]
        required = [_or(g) if g else wq.NullQuery for g in groups]
        folded = [_text.fold(s) for s in syllables]
        self.adjacent.extend(
            tuple(Near(name + FOLDED_SUFFIX, a, b) for name in fields) for a, b in zip(folded, folded[1:])
        )
        self.pairs(syllables, fields)
        return flat + self.words(syllables, words, fields), required

    def weights(self, name: str) -> tuple[float, float]:
        w = self.settings.field_weight(name)
        return w * self.settings.exact_weight, w * self.settings.folded_weight

    def syllable(self, syllable: str, fields: tuple[str, ...]) -> list[wq.Query]:
        """One query syllable: its folded form, and its exact form when typed with accents."""
        exact, folded = syllable.lower(), _text.fold(syllable)
        accented = self.typed_accents or _text.has_diacritics(exact)
        self.terms.folded.add(folded)
        if accented:
            self.terms.exact.add(exact)
        subs: list[wq.Query] = []
        for name in fields:
            we, wf = self.weights(name)
            if accented:
                subs.extend(self.term(name, exact, we))
            subs.extend(self.term(name + FOLDED_SUFFIX, folded, wf))
        return subs

    def term(self, fieldname: str, text: str, boost: float) -> list[wq.Term]:
        """The term query, or nothing when the index does not hold the term (fewer matchers)."""
        if self.reader is not None and not self.reader.doc_frequency(fieldname, text):
            return []
        return [wq.Term(fieldname, text, boost=boost)]

    def words(self, syllables: list[str], words: list[str], fields: tuple[str, ...]) -> list[wq.Query]:
        """Terms for the words among the syllables: pyvi's (typed with accents) and every run
        of two or three neighbouring syllables, folded (how words typed without accents match)."""
        folded_words = {_text.fold(w) for w in words}
        for size in (2, 3):
            for i in range(len(syllables) - size + 1):
                folded_words.add("_".join(_text.fold(s) for s in syllables[i : i + size]))
        exact_words = {w.lower() for w in words if self.typed_accents or _text.has_diacritics(w)}
        subs: list[wq.Query] = []
        for name in fields:
            we, wf = self.weights(name)
            ww = self.settings.word_weight
            for w in sorted(exact_words):
                subs.extend(self.term(name, w, we * ww))
            for w in sorted(folded_words):
                subs.extend(self.term(name + FOLDED_SUFFIX, w, wf * ww))
        self.terms.exact.update(exact_words)
        self.terms.folded.update(folded_words)
        return subs

    def pairs(self, syllables: list[str], fields: tuple[str, ...]) -> None:
        """Neighbouring query syllables found side by side in a document score again,
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
                    near = Near(fieldname, a, b, self.settings.proximity_slop)
                    self.rerank.proximity.append((near, wf * weight))

    def phrase(self, syllables: list[str], fields: tuple[str, ...], slop: int) -> wq.Query:
        exact = [s.lower() for s in syllables]
        folded = [_text.fold(s) for s in syllables]
        accented = self.typed_accents or any(map(_text.has_diacritics, exact))
        self.terms.folded.update(folded)
        if accented:
            self.terms.exact.update(exact)
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
        limit = self.settings.max_expansions
        if clause.kind == "prefix":
            found: list[str] = []
            for term in self.reader.expand_prefix(fieldname, text):
                found.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                if len(found) >= limit * 4:
                    break
        else:
            q = wq.FuzzyTerm(fieldname, text, maxdist=clause.distance, prefixlength=1)
            found = [t.decode("utf-8") if isinstance(t, bytes) else t for t in q._btexts(self.reader)]
        if len(found) > limit:
            # Keep the commonest: those are what the user most likely meant.
            found.sort(key=lambda t: -self.reader.doc_frequency(fieldname, t))
            found = found[:limit]
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
    only reorder its matches (neighbouring words side by side, all words first): the query
    finds and counts the matches, the searcher rescores the best of them with those."""
    chosen = tuple(fields) if fields else None
    typed = _text.has_diacritics(parsed.text)
    builder = _Builder(schema, settings, reader, chosen, typed_accents=typed)
    q = builder.group(parsed.tree)
    return q, builder.terms, builder.rerank
