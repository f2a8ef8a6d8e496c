"""The query language: a lexer and a lenient parser from query strings to a tree of clauses.

The language (README, "Query syntax"): bare words search every text field; ``title:`` and
any declared field scope a word, phrase or group; ``"exact phrases"`` (``"..."~2`` for slop);
``AND``, ``OR``, ``NOT``, ``+must``, ``-mustnot`` and parentheses; ``phò*`` prefixes;
``phòngg~`` (or ``~2``) typos; ``date:[2019-01-01 TO 2020-12-31]`` and ``date:>=2020-07``
ranges; ``tags:thoi-su`` filters.

Parsing is lenient by default: what cannot be parsed is searched as text or dropped, and
each such decision is reported in :attr:`ParsedQuery.ignored`. ``strict=True`` raises
:class:`~vnsearch.errors.QuerySyntaxError` with the position instead. Nothing here knows
Whoosh: :mod:`vnsearch.query.build` turns the tree into Whoosh queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

from vnsearch.documents.dates import date_bound
from vnsearch.errors import QuerySyntaxError
from vnsearch.schema import IndexSchema

__all__ = [
    "MAX_QUERY_CHARS",
    "FilterClause",
    "Group",
    "Node",
    "ParsedQuery",
    "TextClause",
    "check_bounds",
    "filter_clause",
    "parse",
]

MAX_QUERY_CHARS = 2000
_MAX_DEPTH = 32  # parentheses nested deeper are read as plain words


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
                following = self.peek()
                if last is None or following is None or following.kind in ("rparen", "op"):
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
            # Not a field: the whole word is searched as typed, in the scope it stands in.
        if field_name is not None and self.schema[field_name].type != "text":
            # Inside tags:(a OR b) each word is a value of that field.
            return self.parse_filter(field_name, self.schema[field_name].type, word, lexeme.position)
        return _word_clause(word, field_name, lexeme.position)

    def parse_filter(self, name: str, kind: str, value: str, position: int) -> Node | None:
        try:
            return filter_clause(name, kind, value, position)
        except ValueError as exc:
            self.fail(f"{name}: {exc}", position)
            self.ignored.append(f"{name}:{value} ({exc})")
            return None


def filter_clause(name: str, kind: str, value: str, position: int = 0) -> FilterClause:
    """The condition ``value`` written for field ``name`` of type ``kind``: a value, a range
    (``[a TO b]``, ``{a TO b}``) or, for dates and numbers, a comparison (``>=2020-07``).

    >>> filter_clause("date", "date", ">=2020-07")
    FilterClause(field='date', value=None, low='2020-07', high=None, low_inclusive=True, high_inclusive=True, position=0)

    Raises ``ValueError`` for a bound that is not a date or number.
    """
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
    check_bounds(kind, clause)
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


def check_bounds(kind: str, clause: FilterClause) -> None:
    """Raise ``ValueError`` unless the clause's bounds read as values of ``kind``."""
    for bound, upper in ((clause.low, False), (clause.high, True)):
        if bound is None:
            continue
        if kind == "date":
            date_bound(bound, upper)
        elif kind == "number":
            float(bound)


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
