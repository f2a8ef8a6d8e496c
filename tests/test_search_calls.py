"""What an application needs from a search call: lookups by id, offsets, facets, snippet
options, phrase highlighting, scores in rank order, search as you type and completions."""

from __future__ import annotations

import json

import pytest

import vnsearch
from vnsearch.errors import SchemaError

CITIES = [
    {"id": "hn-1", "title": "Hà Nội mùa thu", "body": "Hà Nội đón khách du lịch. Phố cổ Hà Nội đông vui.",
     "date": "2023-09-01", "tags": ["du-lich"]},
    {"id": "hn-2", "title": "Giao thông Hà Nội", "body": "Hà Nội mở thêm tuyến buýt nhanh.",
     "date": "2024-01-15", "tags": ["thoi-su", "giao-thong"]},
    {"id": "hn-3", "title": "Bánh cuốn Hà Nội", "body": "Món ngon Hà Nội cho ngày se lạnh.",
     "date": "2024-02-20", "tags": ["am-thuc"]},
    {"id": "hnam-1", "title": "Lễ hội ở Hà Nam", "body": "Hà Nam tổ chức lễ hội đầu xuân.",
     "date": "2024-02-10", "tags": ["du-lich"]},
    {"id": "hp-1", "title": "Cảng Hải Phòng", "body": "Hải Phòng khánh thành bến cảng mới.",
     "date": "2023-05-05", "tags": ["thoi-su"]},
    {"id": "hai-1", "title": "Hai người bạn", "body": "Hai người bạn đi câu cá, bắt được hải sản ở phòng bên.",
     "date": "2022-12-01", "tags": ["doi-song"]},
]


@pytest.fixture(scope="module")
def cities():
    index = vnsearch.Index.create(None)
    index.add(CITIES)
    return index


def marked(snippet_html: str) -> list[str]:
    import re

    return re.findall(r"<mark>(.*?)</mark>", snippet_html)


def all_marks(hit) -> list[str]:
    found = marked(hit.title_snippet.to_html())
    for s in hit.snippets:
        found += marked(s.to_html())
    return found


# -- lookups -------------------------------------------------------------------------------


def test_get_and_contains_by_id(cities):
    doc = cities.get("hp-1")
    assert doc is not None and doc.title == "Cảng Hải Phòng" and doc.tags == ("thoi-su",)
    assert doc.date.year == 2023
    assert cities.get("khong-co") is None
    assert "hp-1" in cities and "khong-co" not in cities and 42 not in cities


def test_get_forgets_a_deleted_document(news):
    index = vnsearch.Index.create(None)
    index.add(news)
    assert "ban-1" in index
    index.delete("ban-1")
    assert "ban-1" not in index and index.get("ban-1") is None


# -- paging --------------------------------------------------------------------------------


def test_offset_is_page_without_the_arithmetic(cities):
    everything = [h.id for h in cities.search("hà nội", limit=10)]
    assert len(everything) >= 4
    by_offset = cities.search("hà nội", limit=2, offset=1)
    assert [h.id for h in by_offset] == everything[1:3]
    assert [h.rank for h in by_offset] == [2, 3]
    assert by_offset.offset == 1 and by_offset.page == 1
    assert cities.search("hà nội", limit=2, page=2).offset == 2
    with pytest.raises(ValueError):
        cities.search("hà nội", offset=-1)


def test_json_carries_paging_and_time(cities):
    data = cities.search("hà nội", limit=2).to_json_dict()
    assert data["limit"] == 2 and data["offset"] == 0
    assert data["pages"] == -(-data["total"] // 2) and data["pages"] >= 2
    assert data["milliseconds"] > 0
    json.dumps(data)  # plain data


# -- facets --------------------------------------------------------------------------------


def test_facets_count_every_match_not_only_the_page(cities):
    results = cities.search("ha noi", limit=1, facets=["tags", "date:year"])
    assert len(results) == 1
    # Every document mentioning Hà Nội (and only the syllables' matches count: Hà Nam too).
    ids = {h.id for h in cities.search("ha noi", limit=50)}
    expected_tags: dict[str, int] = {}
    for doc in CITIES:
        if doc["id"] in ids:
            for tag in doc["tags"]:
                expected_tags[tag] = expected_tags.get(tag, 0) + 1
    assert dict(results.facets["tags"]) == expected_tags
    years = results.facets["date:year"]
    assert sum(years.values()) == results.total
    assert list(years) == sorted(years, key=lambda y: (-years[y], y))  # commonest first
    assert results.to_json_dict()["facets"]["tags"] == expected_tags


def test_facets_by_month_and_as_a_comma_string(cities):
    results = cities.search("hà nội", facets="date:month, tags")
    assert "2024-01" in results.facets["date:month"]
    assert set(results.facets) == {"date:month", "tags"}


def test_facets_skip_deleted_documents_and_follow_commits(news):
    index = vnsearch.Index.create(None)
    index.add(news)
    before = index.search("chợ bàn ban", facets=["tags"]).facets["tags"]
    assert before.get("doi-song") == 2
    index.delete("ban-1")
    after = index.search("chợ bàn ban", facets=["tags"]).facets["tags"]
    assert after.get("doi-song") == 1


def test_facets_on_a_filter_only_search(cities):
    results = cities.search("", filters={"tags": "du-lich"}, facets=["tags"])
    assert results.facets["tags"]["du-lich"] == 2


@pytest.mark.parametrize("name", ["body", "khong_co", "date:week", "tags:year", "url"])
def test_bad_facets_say_why(cities, name):
    with pytest.raises(SchemaError):
        cities.search("hà nội", facets=[name])


# -- snippets and highlighting --------------------------------------------------------------


def test_snippet_options(cities):
    hit = cities.search("hà nội", fragment_chars=20, fragments=1)[0]
    assert len(hit.snippets) == 1
    assert len(hit.snippets[0].text) < 40
    data = cities.search("hà nội", highlight_tags=("<b>", "</b>")).to_json_dict()
    assert "<b>Hà Nội</b>" in data["hits"][0]["snippets"][0]
    assert "<mark>" not in json.dumps(data)


def test_a_phrase_is_highlighted_as_a_phrase(cities):
    hits = {h.id: h for h in cities.search('"hải phòng"')}
    assert set(hits) == {"hp-1"}
    assert all_marks(hits["hp-1"]) == ["Hải Phòng", "Hải Phòng"]
    # Unaccented, the phrase still marks only where its words stand together.
    hit = cities.search('"hai phong"')[0]
    assert set(all_marks(hit)) == {"Hải Phòng"}


def test_a_phrase_never_marks_its_words_apart(news):
    index = vnsearch.Index.create(None)
    index.add(news + [{"id": "both", "title": "Hải đăng", "body": "Phòng trưng bày ở Hải Phòng mở cửa."}])
    hit = next(h for h in index.search('"hai phong"') if h.id == "both")
    assert all_marks(hit) == ["Hải Phòng"]


def test_an_accented_word_never_marks_an_unaccented_different_word(cities):
    hit = next(h for h in cities.search("hải") if h.id == "hai-1")
    assert all_marks(hit) == ["hải"]  # not "Hai" (two)
    unaccented = next(h for h in cities.search("hai") if h.id == "hai-1")
    assert {m.lower() for m in all_marks(unaccented)} == {"hai", "hải"}


def test_displayed_scores_never_increase_down_the_ranking(cities, shared_index):
    for index, query in [(cities, "hải phòng hà nội"), (cities, "ha noi"), (shared_index, "hai phong"),
                         (shared_index, "ban hội nghị")]:
        scores = [h.score for h in index.search(query, limit=50)]
        assert scores == sorted(scores, reverse=True), query
        first, second = index.search(query, limit=2), index.search(query, limit=2, page=2)
        if len(second):
            assert second[0].score <= first[-1].score


# -- search as you type ----------------------------------------------------------------------


def test_prefix_last_matches_the_unfinished_word(cities):
    assert cities.search("giao thô").total == 1  # "giao" alone, "thô" is no word here
    typed = cities.search("giao thon", prefix_last=True)
    assert [h.id for h in typed][:1] == ["hn-2"]
    assert "giao thông" in [m.lower() for m in all_marks(typed[0])]
    assert cities.search("hải phò", prefix_last=True)[0].id == "hp-1"  # accents optional
    assert cities.search("khánh th", prefix_last=True)[0].id == "hp-1"


def test_prefix_last_still_suggests_the_accents(cities):
    assert cities.search("hai phong", prefix_last=True).suggestion == "Hải Phòng"


def test_prefix_last_leaves_a_finished_word_alone(cities):
    assert cities.search("phon ", prefix_last=True).total == 0
    assert cities.search("phon", prefix_last=True).total > 0
    assert cities.search('"hai phong"', prefix_last=True).total == 1


def test_completions_restore_accents_commonest_first(cities):
    assert cities.complete("ha n") == ["Hà Nội", "Hà Nam"]
    assert cities.complete("hai p")[0] == "Hải Phòng"
    assert cities.complete("hà n", limit=1) == ["Hà Nội"]
    assert cities.complete("xyz") == []
    assert cities.complete("") == []


@pytest.fixture(scope="module")
def city_news():
    index = vnsearch.Index.create(None)
    index.add([
        {"id": "1", "title": "Chợ hoa", "body": "Người dân thành phố Hà Nội đón Tết. Thành phố Hải Phòng cũng vậy."},
        {"id": "2", "title": "Tin Hà Nam", "body": "Tỉnh Hà Nam và thành phố Hà Nội giáp nhau."},
        {"id": "3", "title": "Mùa thu", "body": "Hà Nội mùa thu, thanh niên dạo phố."},
    ])
    return index


def test_completions_restore_the_accents_of_the_words_typed_before(city_news):
    assert "thành phố Hà Nội" in city_news.complete("thanh pho h")
    assert city_news.complete("thanh pho hai p") == ["Thành phố Hải Phòng"]
    # No document has "thành phố Hà Nam": each part as the documents write it.
    assert {c.lower() for c in city_news.complete("thanh pho ha n")} == {"thành phố hà nội", "thành phố hà nam"}


def test_completions_keep_what_no_document_writes_and_accents_typed(city_news):
    assert sorted(city_news.complete("xyz ha n")) == ["xyz Hà Nam", "xyz Hà Nội"]
    assert all(c.startswith("thánh phố ") for c in city_news.complete("thánh pho h"))
    assert city_news.complete("  thanh nien d")[0].startswith("  thanh niên")
