"""vnsearch's analysis carried to OpenSearch with the engine's built-in parts only.

vnsearch analyses each text in Python and sends it *encoded*: a string as long as the
original, in which every token of vnsearch's analysis stands at its own offsets, so the
engine's offsets (highlights, positions) are the original text's. The encoding:

* each token's normal form (NFC, tone placement, ``Đ`` look-alikes) is written over its span;
  where the normal form is shorter (NFD input) it is padded with :data:`FILLER`;
* the spaces inside a pyvi word become U+2060 WORD JOINER (``Hải\\u2060Phòng``), so the
  engine's ``word_delimiter_graph`` emits the word and, at the same positions, its syllables;
* a glued unit (``10/7/2019``, ``TP.HCM``, a URL) keeps its punctuation, which the same filter
  splits on; the separators inside a number (``10.000``) become stand-ins it does not split on;
* everything else (punctuation, spaces, tokens over ``MAX_TOKEN_CHARS``) becomes a space.

The engine's chain then only undoes the marks: a ``pattern`` tokenizer on spaces,
``word_delimiter_graph`` (preserve the original, split on nothing but delimiters),
``pattern_replace`` for the marks, ``lowercase``, and for the folded twin ``asciifolding`` and
the ``y``/``i`` merge of :func:`vnsearch.text.fold_syllable`; ``flatten_graph`` last.

Words searched in no particular field are scored by BM25F (one BM25 over the text fields
together, each field's term counts and length times its weight), as the local engine scores
them. OpenSearch 2.x has no query for that, so the index holds it: :data:`COMBINED_FIELD`
gets each text field's encoded text :func:`field_copies` times, and its BM25 is BM25F with
the field weights of the index's creation (recorded in the mapping's ``_meta``).

>>> encode("Hà Nội, 10.000 người")
'Hà\\u2060Nội  10\\ue001000 người'
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from vnsearch.opensearch import local

__all__ = [
    "ANALYSIS_VERSION", "FILLER", "WORD_JOINER", "ENCODED_SUFFIX", "FOLDED_SUBFIELD",
    "COMBINED_FIELD", "encode", "index_settings", "analysis_settings", "field_copies", "combined_weights",
]

# Bump when encode() or the chain below changes: indexes made before then need a reindex.
ANALYSIS_VERSION = 1
WORD_JOINER = "\u2060"
FILLER = "\ue000"  # pads a token whose normal form is shorter than its original span
# Stand-ins for the separators inside a number, which must not split it: 10.000 -> 10\ue001000.
_NUMBER_MARKS = {".": "\ue001", ",": "\ue002", "_": "\ue003"}
# A number's last digit followed at once by another token ("6.0L", "1,5kg"): the char filter
# makes it the digit and a delimiter, "0\u2061", which the engine's tokens then drop.
_DIGIT_ENDS = {str(d): chr(0xE010 + d) for d in range(10)}
_SPLIT = "\u2061"
_MARKS = {FILLER, WORD_JOINER, _SPLIT, *_NUMBER_MARKS.values(), *_DIGIT_ENDS.values()}
ENCODED_SUFFIX = "__vn"  # title__vn: the encoded text of title, indexed, not in _source
FOLDED_SUBFIELD = "f"  # title__vn.f: its folded twin
# Every text field's encoded text, as often as its weight says: BM25 on it is BM25F. Its name
# ends in ENCODED_SUFFIX, which no declared field may: it cannot clash with one.
COMBINED_FIELD = "_all" + ENCODED_SUFFIX
EXACT_ANALYZER, FOLDED_ANALYZER = "vnsearch_exact", "vnsearch_folded"
# Query terms and phrases, already tokenized by vnsearch: split on spaces, lower-cased or folded.
EXACT_QUERY_ANALYZER, FOLDED_QUERY_ANALYZER = "vnsearch_exact_query", "vnsearch_folded_query"


def encode(text: str) -> str:
    """The encoded form of ``text`` (see the module's docstring): same length, same offsets."""
    out = [" "] * len(text)
    tokens = local.units(text)
    for i, unit in enumerate(tokens):
        width = unit.end - unit.start
        piece = unit.text
        if not piece.isalnum():
            piece = "".join(_NUMBER_MARKS.get(ch, ch) for ch in piece)
        # A normal form longer than its span (rare NFC expansions) is cut to fit.
        piece = piece[:width] + FILLER * (width - len(piece))
        out[unit.start : unit.end] = piece
        if i + 1 < len(tokens) and tokens[i + 1].start == unit.end and piece[-1:] in _DIGIT_ENDS:
            out[unit.end - 1] = _DIGIT_ENDS[piece[-1]]
        if unit.word is None:
            continue
        # The gaps between the parts of a word: joiners (pyvi's words) or the glue itself.
        for j in range(i + 1, len(tokens)):
            nxt = tokens[j]
            if nxt.start >= unit.word_end:
                break
            gap = text[tokens[j - 1].end : nxt.start]
            if gap.isspace():
                out[nxt.start - len(gap) : nxt.start] = WORD_JOINER * len(gap)
            else:
                # Marks in the glue would be read as marks: a slash splits the same way.
                out[nxt.start - len(gap) : nxt.start] = ["/" if ch in _MARKS else ch for ch in gap]
    return "".join(out)


def field_copies(weight: float) -> int:
    """How many times a field's text goes into :data:`COMBINED_FIELD` for this weight: the
    weight rounded (half up), and at least once, so that every text field still matches.

    >>> field_copies(2.0), field_copies(1.5), field_copies(0.2)
    (2, 2, 1)
    """
    return max(1, math.floor(weight + 0.5))


def combined_weights(text_fields: Iterable[str], settings: local.SearchSettings) -> dict[str, int]:
    """Each text field's copies in :data:`COMBINED_FIELD`, from ``settings``' field weights."""
    return {name: field_copies(settings.field_weight(name)) for name in text_fields}


def analysis_settings() -> dict[str, Any]:
    """The ``analysis`` section of the index settings: built-in components only."""
    type_table = [f"\\u{ord(FILLER):04X} => ALPHA"] + [
        f"\\u{ord(mark):04X} => DIGIT" for mark in _NUMBER_MARKS.values()
    ]
    unmark = {
        "vnsearch_unfill": (FILLER, ""),
        "vnsearch_dot": (_NUMBER_MARKS["."], "."),
        "vnsearch_comma": (_NUMBER_MARKS[","], ","),
        "vnsearch_underscore": (_NUMBER_MARKS["_"], "_"),
        "vnsearch_joiner": (WORD_JOINER + "+", "_"),
        "vnsearch_unsplit": (_SPLIT, ""),
    }
    filters: dict[str, Any] = {
        "vnsearch_words": {
            "type": "word_delimiter_graph",
            "preserve_original": True,
            "generate_word_parts": True,
            "generate_number_parts": True,
            "catenate_words": False,
            "catenate_numbers": False,
            "catenate_all": False,
            "split_on_case_change": False,
            "split_on_numerics": False,
            "stem_english_possessive": False,
            "type_table": type_table,
        },
        **{
            name: {"type": "pattern_replace", "pattern": pattern, "replacement": replacement}
            for name, (pattern, replacement) in unmark.items()
        },
        # fold_syllable(): ky -> ki, quy -> qui, ... for each part of a word (hy_vong -> hi_vong).
        "vnsearch_y_as_i": {
            "type": "pattern_replace",
            "pattern": "(^|_)(h|k|l|m|qu|s|t)y(?=_|$)",
            "replacement": "$1$2i",
        },
        "vnsearch_ascii": {"type": "asciifolding", "preserve_original": False},
    }
    chain = ["vnsearch_words", *unmark, "lowercase"]
    folding = ["vnsearch_ascii", "vnsearch_y_as_i"]
    tokenizer = {"vnsearch_spaces": {"type": "pattern", "pattern": " +"}}
    char_filters = {"vnsearch_digit_ends": {
        "type": "mapping",
        "mappings": [f"\\u{ord(mark):04X} => {digit}\\u{ord(_SPLIT):04X}" for digit, mark in _DIGIT_ENDS.items()],
    }}
    analyzers = {
        EXACT_ANALYZER: {
            "type": "custom", "char_filter": ["vnsearch_digit_ends"], "tokenizer": "vnsearch_spaces",
            "filter": [*chain, "flatten_graph"],
        },
        FOLDED_ANALYZER: {
            "type": "custom", "char_filter": ["vnsearch_digit_ends"], "tokenizer": "vnsearch_spaces",
            "filter": [*chain, *folding, "flatten_graph"],
        },
        EXACT_QUERY_ANALYZER: {"type": "custom", "tokenizer": "vnsearch_spaces", "filter": ["lowercase"]},
        FOLDED_QUERY_ANALYZER: {
            "type": "custom", "tokenizer": "vnsearch_spaces", "filter": ["lowercase", *folding],
        },
    }
    return {"tokenizer": tokenizer, "filter": filters, "analyzer": analyzers, "char_filter": char_filters,
            "normalizer": {"vnsearch_lowercase": {"type": "custom", "filter": ["lowercase"]}}}


def index_settings(
    fields: Mapping[str, str] | None = None,
    *,
    shards: int | None = None,
    replicas: int | None = None,
    settings: local.SearchSettings = local.DEFAULT_SETTINGS,
) -> dict[str, Any]:
    """The body of a create-index request for a vnsearch index with these extra ``fields``
    (as for :meth:`vnsearch.Index.create`): settings (analysis, BM25's ``k1``/``b``) and
    mappings, with the analysis version, the fields and the combined field's weights (each
    text field's :func:`field_copies` of ``settings``' weight) in the mapping's ``_meta``.

    ``shards``/``replicas`` left ``None`` take the cluster's defaults (or its templates).
    """
    schema = local.IndexSchema.build(fields)
    properties: dict[str, Any] = {}
    for spec in schema.fields:
        properties.update(_mapping(spec))
    # Searched for its term statistics only: no positions, offsets or stored copy.
    properties[COMBINED_FIELD] = _encoded(store=False, index_options="freqs")
    index: dict[str, Any] = {
        "analysis": analysis_settings(),
        "similarity": {"default": {"type": "BM25", "k1": settings.k1, "b": settings.b}},
    }
    if shards is not None:
        index["number_of_shards"] = shards
    if replicas is not None:
        index["number_of_replicas"] = replicas
    return {
        "settings": {"index": index},
        "mappings": {
            "dynamic": "strict",
            "_source": {"excludes": [f"*{ENCODED_SUFFIX}"]},
            "_meta": {"vnsearch": {
                "analysis": ANALYSIS_VERSION, "version": local.__version__, "fields": schema.to_json(),
                "weights": combined_weights(schema.text_fields, settings),
            }},
            "properties": properties,
        },
    }


def _mapping(spec: local.FieldSpec) -> dict[str, Any]:
    name = spec.name
    if name.endswith(ENCODED_SUFFIX):
        raise local.SchemaError(f"field name {name!r} may not end in {ENCODED_SUFFIX!r} on OpenSearch")
    if spec.type == "id":
        return {name: {"type": "keyword"}}
    if spec.type == "text":
        return {
            name: {"type": "text", "index": False},  # the original, for display and snippets
            # Stored (not in _source): the engine's own highlighters, in Dashboards or a plain
            # query, read it, and its offsets are the original text's.
            name + ENCODED_SUFFIX: _encoded(store=True, index_options="offsets"),
        }
    if spec.type == "keyword":
        return {name: {"type": "keyword", "normalizer": "vnsearch_lowercase"}}
    if spec.type == "date":
        return {name: {"type": "date", "format": "strict_date_optional_time||epoch_millis"}}
    if spec.type == "number":
        return {name: {"type": "double"}}
    return {name: {"type": "object", "enabled": False}}  # stored only: kept in _source as given


def _encoded(*, store: bool, index_options: str) -> dict[str, Any]:
    """The mapping of an encoded field: exact analysis, and its folded twin as a subfield."""
    return {
        "type": "text",
        "store": store,
        "analyzer": EXACT_ANALYZER,
        "search_analyzer": EXACT_QUERY_ANALYZER,
        "index_options": index_options,
        "fields": {
            FOLDED_SUBFIELD: {
                "type": "text",
                "analyzer": FOLDED_ANALYZER,
                "search_analyzer": FOLDED_QUERY_ANALYZER,
                "index_options": index_options,
            }
        },
    }
