"""``vnsearch serve`` as a client meets it: a real uvicorn process on a free 127.0.0.1 port."""

from __future__ import annotations

import json
import urllib.parse

import pytest

pytest.importorskip("starlette", reason="the server extra is not installed")
pytest.importorskip("uvicorn", reason="the server extra is not installed")

import serving  # noqa: E402
from serving import API_KEY, SERVED, start_server, stop_server  # noqa: E402

from vnsearch import cli  # noqa: E402

# The shared fixtures, where pytest looks for them.
served_index = serving.served_index
server = serving.server
writable_index = serving.writable_index

AUTH = {"Authorization": f"Bearer {API_KEY}"}


def q(**params) -> str:
    return urllib.parse.urlencode(params, doseq=True)


@pytest.fixture(scope="module")
def readonly(served_index):
    """A server without an API key, and with a time limit no search can meet."""
    running = start_server(served_index, "--timeout", "0.000001")
    yield running
    stop_server(running)


# -- reading ---------------------------------------------------------------------------------


def test_health_and_stats(server):
    assert server.get("/health") == (200, {"status": "ok", "version": server.get("/health")[1]["version"]})
    status, stats = server.get("/stats")
    assert status == 200 and stats["documents"] >= len(SERVED) - 1 and stats["fields"]["tags"] == "keyword"


def test_search_answers_with_the_fields_of_the_cli_json(server, capsys):
    status, data = server.get("/search?" + q(q="hai phong", limit=3))
    assert status == 200
    assert cli.main(["search", "hai phong", "--index", str(server.index), "--limit", "3", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    data.pop("milliseconds"), printed.pop("milliseconds")
    assert data == printed
    assert data["suggestion"] == "Hải Phòng"
    assert "<mark>Hải Phòng</mark>" in data["hits"][0]["title_html"]
    assert data["pages"] == -(-data["total"] // 3) and data["limit"] == 3


def test_search_paging_facets_filters_and_sort(server):
    _, first = server.get("/search?" + q(q="hải phòng", limit=5, facets="tags,date:year"))
    _, second = server.get("/search?" + q(q="hải phòng", limit=5, offset=5))
    assert [h["rank"] for h in second["hits"]] == [6, 7, 8, 9, 10]
    assert not {h["id"] for h in first["hits"]} & {h["id"] for h in second["hits"]}
    assert first["facets"]["tags"]["ban-tin"] == 25 and first["facets"]["tags"]["thoi-su"] == 2
    assert sum(first["facets"]["date:year"].values()) == first["total"]
    _, filtered = server.get("/search?" + q(q="hải phòng", filter=["tags:thoi-su", "date:>=2020"]))
    assert [h["id"] for h in filtered["hits"]] == ["hp-3"]
    _, either = server.get("/search?" + q(q="hải phòng", filter=["tags:thoi-su", "tags:kinh-te"], sort="date"))
    assert [h["id"] for h in either["hits"]] == ["hp-3", "hp-2", "hp-1"]
    _, paged = server.get("/search?" + q(q="hải phòng", limit=5, page=2))
    assert paged["offset"] == 5 and paged["hits"] == second["hits"]


def test_search_as_you_type_and_completions(server):
    _, typed = server.get("/search?" + q(q="giao thô", prefix="true"))
    assert {h["id"] for h in typed["hits"]} >= {"hn-2"}
    status, done = server.get("/complete?" + q(q="ha n"))
    assert status == 200 and done["completions"][:2] == ["Hà Nội", "Hà Nam"]
    assert server.get("/complete?" + q(q="hai p", limit=1))[1]["completions"] == ["Hải Phòng"]


def test_a_document_by_id(server):
    status, doc = server.get("/documents/hn-1")
    assert status == 200 and doc["title"] == "Hà Nội mùa thu" and doc["tags"] == ["du-lich"]
    assert doc["date"].startswith("2023-09-01")
    status, error = server.get("/documents/khong-co")
    assert status == 404 and error == {"error": "no document with id 'khong-co'", "status": 404}


@pytest.mark.parametrize("path, message", [
    ("/search?limit=0", "limit must be from 1 to 100, not 0"),
    ("/search?limit=abc", "limit must be a whole number, not 'abc'"),
    ("/search?offset=-3", "offset must be at least 0, not -3"),
    ("/search?q=a&filter=tags", "a filter is FIELD:VALUE"),
    ("/search?q=a&facets=body", "cannot count facet 'body'"),
    ("/search?q=a&sort=title", "cannot sort by 'title'"),
    ("/search?q=a&prefix=maybe", "prefix must be true or false"),
    ("/search?q=" + "a" * 2001, "q is longer than 2000 characters"),
])
def test_bad_requests_get_the_one_line_message(server, path, message):
    status, headers, data = server.call("GET", path)
    assert status == 400 and headers["content-type"] == "application/json"
    assert data["error"].startswith(message) and "\n" not in data["error"] and "Traceback" not in data["error"]


def test_unknown_routes_methods_and_long_urls_are_json(server):
    assert server.get("/nope") == (404, {"error": "no route /nope: see /openapi.json", "status": 404})
    status, _, data = server.call("PUT", "/search")
    assert status == 405 and data["error"] == "PUT is not allowed on /search"
    status, _, data = server.call("GET", "/search?q=" + "x" * 5000)
    assert status == 414 and data["error"].startswith("the URL is longer than")


def test_cors_only_for_the_origins_given(server, readonly):
    origin = {"Origin": "http://app.example"}
    assert server.call("GET", "/health", headers=origin)[1]["access-control-allow-origin"] == "http://app.example"
    assert "access-control-allow-origin" not in server.call("GET", "/health", headers={"Origin": "http://evil.example"})[1]
    assert "access-control-allow-origin" not in readonly.call("GET", "/health", headers=origin)[1]


def test_the_time_limit_answers_503(readonly):
    status, data = readonly.get("/search?" + q(q="hải phòng"))
    assert status == 503 and data["error"].startswith("the request took longer than")


# -- writing -----------------------------------------------------------------------------------


def test_writes_are_off_without_a_key(readonly):
    status, _, data = readonly.call("POST", "/documents", body='[{"id": "x", "title": "Hà Nội"}]'.encode(), headers=AUTH)
    assert status == 403 and "--api-key" in data["error"]
    status, _, data = readonly.call("DELETE", "/documents/hn-1", headers=AUTH)
    assert status == 403


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sai-khoa"}, {"Authorization": API_KEY}])
def test_writes_need_the_key(server, headers):
    status, _, data = server.call("POST", "/documents", body='[{"id": "x", "title": "Hà Nội"}]'.encode(), headers=headers)
    assert status == 401 and "Authorization: Bearer" in data["error"]
    assert server.call("DELETE", "/documents/hn-1", headers=headers)[0] == 401
    assert server.get("/documents/hn-1")[0] == 200


def test_post_a_json_array_then_find_it_then_delete_it(server):
    docs = [{"id": "moi-1", "title": "Phố đi bộ Hồ Gươm", "body": "Phố đi bộ quanh hồ Hoàn Kiếm mở cửa cuối tuần.",
             "tags": ["du-lich"], "date": "2024-06-01"}]
    before = server.get("/stats")[1]["documents"]
    status, _, report = server.call("POST", "/documents", body=json.dumps(docs).encode(), headers={**AUTH, "Content-Type": "application/json"})
    assert status == 200 and report["added"] == 1 and report["skipped"] == []
    assert server.get("/stats")[1]["documents"] == before + 1  # counted again after the commit
    _, found = server.get("/search?" + q(q="ho guom"))
    assert [h["id"] for h in found["hits"]] == ["moi-1"]
    assert server.get("/documents/moi-1")[1]["body"].startswith("Phố đi bộ")
    status, _, gone = server.call("DELETE", "/documents/moi-1", headers=AUTH)
    assert status == 200 and gone["deleted"] == 1
    assert server.get("/search?" + q(q="ho guom"))[1]["total"] == 0
    assert server.call("DELETE", "/documents/moi-1", headers=AUTH)[0] == 404


def test_post_json_lines_with_skip_reports_the_lines(server):
    body = "\n".join([
        json.dumps({"id": "dong-1", "title": "Sông Hồng mùa lũ", "body": "Nước sông Hồng lên nhanh."}),
        "{hỏng",
        json.dumps({"id": "dong-3", "title": ""}),
        json.dumps({"id": "dong-4", "title": "Cầu Long Biên", "body": "Cầu Long Biên hơn trăm tuổi."}),
    ]).encode()
    status, _, report = server.call("POST", "/documents?errors=skip", body=body,
                                    headers={**AUTH, "Content-Type": "application/x-ndjson"})
    assert status == 200 and report["added"] == 2
    assert [s["at"] for s in report["skipped"]] == ["line 2", "line 3"]
    assert "not valid JSON" in report["skipped"][0]["reason"] and "no text" in report["skipped"][1]["reason"]
    assert server.get("/search?" + q(q="long bien"))[1]["hits"][0]["id"] == "dong-4"


def test_post_strict_refuses_the_request_and_names_the_line(server):
    body = (json.dumps({"id": "strict-1", "title": "Một"}) + "\n" + json.dumps({"id": "strict-2", "title": ""})).encode()
    status, _, data = server.call("POST", "/documents", body=body, headers=AUTH)
    assert status == 400 and data["error"].startswith("line 2: has no text")
    assert server.get("/documents/strict-1")[0] == 404  # nothing of a refused request is kept


@pytest.mark.parametrize("body, message", [
    (b"", "the body is empty"),
    (b"[{\"id\": 1,", "the body is not valid JSON"),
    (b"\xff\xfe\x00", "the body is not UTF-8"),
    (b"[" + b"[" * 100000 + b"]" * 100000 + b"]", "the body is larger than 50,000 bytes"),
])
def test_bad_bodies(server, body, message):
    status, _, data = server.call("POST", "/documents", body=body, headers=AUTH)
    assert status in (400, 413) and data["error"].startswith(message)


def test_the_body_limit_holds_without_a_content_length(server):
    import http.client

    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/documents")
    connection.putheader("Authorization", AUTH["Authorization"])
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    chunk = b"x" * 10000
    try:
        for _ in range(8):
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may close the connection once the limit is passed
    response = connection.getresponse()
    assert response.status == 413
    connection.close()


# -- the OpenAPI document ------------------------------------------------------------------------


def test_the_openapi_document_lists_every_route(server):
    status, spec = server.get("/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/search", "/complete", "/documents", "/documents/{id}", "/stats", "/health"}
    # Every operation answers as documented for a plain request.
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            url = path.replace("{id}", "hn-1")
            status, _, _ = server.call(method.upper(), url, body=b"[]" if method == "post" else None)
            assert str(status) in operation["responses"], (method, path, status)


def test_the_page_is_served_with_its_assets_and_a_strict_policy(server):
    status, headers, html = server.call("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert '<script src="app.js"' in html and "http" not in html.split("<body>")[0]  # no external assets
    for asset in ("/app.js", "/app.css"):
        status, headers, text = server.call("GET", asset)
        assert status == 200 and "http://" not in text and "https://" not in text


def test_serve_refuses_a_missing_index_and_a_key_headers_cannot_carry(tmp_path, served_index, capsys):
    assert cli.main(["serve", "--index", str(tmp_path / "khong-co")]) == 1
    assert "no index at" in capsys.readouterr().err
    assert cli.main(["serve", "--index", str(served_index), "--api-key", "khóa"]) == 1
    assert "printable ASCII" in capsys.readouterr().err
    assert cli.main(["serve", "--index", str(served_index), "--port", "70000"]) == 2
