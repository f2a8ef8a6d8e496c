"""vnsearch.opensearch without a cluster: the encoding, the settings, documents, translation."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnsearch import Document
from vnsearch.errors import IndexVersionError
from vnsearch.opensearch import ANALYSIS_VERSION, RemoteIndex, dsl, encode, index_settings, local, to_engine_doc
from vnsearch.opensearch.analysis import COMBINED_FIELD, WORD_JOINER

# Every component the index settings may name: OpenSearch's own (core and analysis-common).
BUILT_IN = {"pattern", "word_delimiter_graph", "pattern_replace", "asciifolding", "lowercase",
            "flatten_graph", "mapping", "custom"}


def test_index_settings_use_built_in_components_only():
    analysis = index_settings()["settings"]["index"]["analysis"]
    used = set()
    for section in ("tokenizer", "filter", "char_filter"):
        used |= {c["type"] for c in analysis[section].values()}
    for analyzer in analysis["analyzer"].values():
        used.add(analyzer["type"])
        used |= {f for f in analyzer["filter"] if f in BUILT_IN}
        assert all(f in analysis["filter"] or f in BUILT_IN for f in analyzer["filter"])
    assert used <= BUILT_IN
    json.dumps(index_settings({"author": "text"}))  # plain JSON, for any client


def test_index_settings_record_the_analysis_version_and_fields():
    meta = index_settings({"author": "text", "views": "number"})["mappings"]["_meta"]["vnsearch"]
    assert meta["analysis"] == ANALYSIS_VERSION
    assert meta["fields"]["author"] == "text" and meta["fields"]["views"] == "number"
    assert meta["weights"] == {"title": 1, "body": 1, "author": 1}  # the default title_weight, 1.0


def test_the_combined_field_bakes_in_rounded_weights():
    settings = local.DEFAULT_SETTINGS.with_options(title_weight=2.5, body_weight=0.3, other_weight=1.4)
    body = index_settings({"author": "text"}, settings=settings)
    assert body["mappings"]["_meta"]["vnsearch"]["weights"] == {"title": 3, "body": 1, "author": 1}
    combined = body["mappings"]["properties"][COMBINED_FIELD]
    title = body["mappings"]["properties"]["title__vn"]
    assert combined["analyzer"] == title["analyzer"] and combined["search_analyzer"] == title["search_analyzer"]
    assert combined["fields"]["f"]["analyzer"] == title["fields"]["f"]["analyzer"]
    assert not combined["store"]


def test_to_engine_doc_copies_each_text_field_by_its_weight():
    doc = Document(id="1", title="Hà Nội", body="Thủ đô", fields={"author": "Lê Văn A"})
    source = to_engine_doc(doc, {"author": "text"}, {"title": 3, "body": 1, "author": 2})
    assert source[COMBINED_FIELD] == [source["title__vn"]] * 3 + [source["body__vn"]] + [source["author__vn"]] * 2
    assert COMBINED_FIELD not in to_engine_doc(doc, {"author": "text"}, {})  # an index without it
    assert to_engine_doc(Document(id="2", body="x"))[COMBINED_FIELD] == ["x"]


@pytest.mark.parametrize("text", [
    "Hà Nội, ngày 10/7/2019: TP.HCM có 10.000 người",
    unicodedata.normalize("NFD", "Hòa bình, sức khỏe, thủy lợi"),
    "1,5kg gạo và 6.0L xăng ở https://vnexpress.net/a-b.html",
])
def test_encoding_keeps_length_and_offsets(text):
    encoded = encode(text)
    assert len(encoded) == len(text)
    for unit in local.units(text):
        # Every token stands at its own offsets; outside tokens only spaces and marks.
        assert local.fold(encoded[unit.start]) == local.fold(local.normalize(text[unit.start:unit.end])[0]) or \
            not encoded[unit.start].isalnum()


def test_encoding_marks_pyvi_words_with_word_joiners():
    assert encode("Hải Phòng") == f"Hải{WORD_JOINER}Phòng"
    assert encode("Hà Nội.") == f"Hà{WORD_JOINER}Nội "


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(list("aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹ0123456789 .,/-_\n")
                                + ["\u0301", "\u0323", "\u00d0", "Hòa", "thủy", "http://a.vn/x", "@", "\u2060"]),
                max_size=40).map("".join))
def test_encoding_is_as_long_as_any_text(text):
    assert len(encode(text)) == len(text)


def test_to_engine_doc_is_pure_and_keeps_the_original():
    doc = Document(id="x1", title="Hoà bình", body="Thủy lợi 10.000 ha", date="2020-07-10",
                   tags=("Thời sự", "kinh-te"), fields={"author": "Lê Văn A", "views": "12"})
    source = to_engine_doc(doc, {"author": "text", "views": "number"})
    assert source == to_engine_doc(doc, {"author": "text", "views": "number"})
    assert source["title"] == "Hoà bình" and source["body"] == "Thủy lợi 10.000 ha"
    assert len(source["body__vn"]) == len(source["body"])
    assert source["date"] == "2020-07-10T00:00:00"
    assert source["tags"] == ["Thời sự", "kinh-te"] and source["views"] == 12.0
    assert "author__vn" in source
    json.dumps(source)


def test_to_engine_doc_reports_a_bad_extra_value():
    with pytest.raises(local.DocumentError, match="views"):
        to_engine_doc(Document(id="1", body="x", fields={"views": "many"}), {"views": "number"})


WEIGHTS = {"title": 2, "body": 1, "author": 1}


def _translate(query: str, weights=None, fields=None, **options):
    schema = local.IndexSchema.build({"author": "text"})
    settings = local.DEFAULT_SETTINGS.with_options(**options)
    return dsl.translate(local.parse(query, schema), schema, settings=settings, fields=fields, weights=weights)


def _matches(query: dict) -> list[tuple[str, str, float]]:
    """Every term clause of a query: its field, text and boost."""
    found = []
    stack = [query]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "match" in node:
                ((name, spec),) = node["match"].items()
                found.append((name, spec["query"], spec["boost"]))
            else:
                stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def test_words_in_no_field_search_the_combined_field_once():
    plan = _translate("hải phòng", WEIGHTS, all_words_first=False)
    matches = _matches(plan.query)
    assert {name for name, _, _ in matches} == {COMBINED_FIELD, COMBINED_FIELD + ".f"}
    # The boosts are the twins' and the words', the field weights being in the term counts.
    assert (COMBINED_FIELD, "hải", 1.0) in matches and (COMBINED_FIELD + ".f", "hải", 0.5) in matches
    assert (COMBINED_FIELD + ".f", "hải_phòng", 0.125) in matches
    # The search's title_weight does not reach the combined field (its weights are baked in).
    assert _matches(_translate("hải phòng", WEIGHTS, title_weight=9.0).query) == _matches(
        _translate("hải phòng", WEIGHTS).query)
    # Proximity stays field by field.
    assert all(COMBINED_FIELD not in json.dumps(q) for q in plan.rescore)


def test_field_clauses_and_some_fields_search_field_by_field():
    scoped = _matches(_translate("title:bão mưa", WEIGHTS).query)
    assert ("title__vn.f", "bão", 0.5) in scoped and (COMBINED_FIELD + ".f", "mưa", 0.5) in scoped
    some = _matches(_translate("mưa", WEIGHTS, fields=["title", "body"], title_weight=2.0).query)
    assert {name for name, _, _ in some} == {"title__vn", "title__vn.f", "body__vn", "body__vn.f"}
    assert ("title__vn", "mưa", 2.0) in some
    every = _matches(_translate("mưa", WEIGHTS, fields=["body", "author", "title"]).query)
    assert {name for name, _, _ in every} == {COMBINED_FIELD, COMBINED_FIELD + ".f"}
    # An index made without the combined field: field by field, as before.
    old = _matches(_translate("mưa").query)
    assert COMBINED_FIELD not in {name for name, _, _ in old} and ("author__vn.f", "mưa", 0.5) in old


def test_translation_follows_the_tree():
    plan = _translate('title:"hải phòng" +đảng -bão tags:thoi-su date:[2019 TO 2020-06]')
    text = json.dumps(plan.query, ensure_ascii=False)
    assert '"match_phrase"' in text and '"title__vn"' in text and '"title__vn.f"' in text
    assert '"must_not"' in text and "bão" in text
    assert '{"term": {"tags": "thoi-su"}}' in text
    assert '"gte": "2019-01-01T00:00:00.000"' in text and '"lte": "2020-06-30T23:59:59.999"' in text
    assert "bão" not in plan.terms.exact  # excluded words are not highlighted


def test_unaccented_words_search_the_folded_twin_only():
    text = json.dumps(_translate("hai phong").query)
    assert '"body__vn.f"' in text and '"body__vn"' not in text.replace('"body__vn.f"', "")


def test_prefix_and_typo_words():
    text = json.dumps(_translate("phò* phongg~2").query)
    assert '"prefix"' in text and '"fuzzy"' in text and '"fuzziness": 2' in text


def test_short_queries_rank_all_words_first_and_rescore_neighbours():
    plan = _translate("hải phòng")
    assert str(dsl.ALL_WORDS_BONUS) in json.dumps(plan.query)
    assert any("span_near" in json.dumps(q) for q in plan.rescore)
    assert str(dsl.ALL_WORDS_BONUS) not in json.dumps(_translate("hải phòng", all_words_first=False).query)


class _Indices:
    def __init__(self, meta):
        self.meta = meta

    def get_mapping(self, index):
        return {index: {"mappings": {"_meta": self.meta}}}


class _Client:
    def __init__(self, meta):
        self.indices = _Indices(meta)


def test_an_index_from_another_analysis_asks_for_a_reindex():
    client = _Client({"vnsearch": {"analysis": ANALYSIS_VERSION + 1, "version": "9.9", "fields": {}}})
    with pytest.raises(IndexVersionError, match="reindex"):
        _ = RemoteIndex(client, "news").schema


def test_weights_are_read_from_the_mapping():
    meta = {"analysis": ANALYSIS_VERSION, "version": "0.1.0", "fields": {"author": "text"}}
    assert RemoteIndex(_Client({"vnsearch": meta}), "old").weights is None
    assert RemoteIndex(_Client({"vnsearch": {**meta, "weights": WEIGHTS}}), "new").weights == WEIGHTS


def test_an_index_not_made_by_vnsearch_is_refused():
    with pytest.raises(IndexVersionError, match="not made by vnsearch"):
        _ = RemoteIndex(_Client({}), "logs").schema


@pytest.mark.parametrize("name", ["analysis", "dsl", "remote"])
def test_the_docstring_examples_run(name):
    import doctest
    import importlib

    module = importlib.import_module(f"vnsearch.opensearch.{name}")
    assert doctest.testmod(module).failed == 0
