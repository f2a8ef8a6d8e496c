"""``vnsearch serve``: an index over HTTP, with a JSON API and a search page.

Needs the ``server`` extra (``pip install 'vnsearch[server]'``: Starlette and uvicorn). The
API follows Meilisearch's shapes where it can; :func:`openapi_document` describes it, with
the index's own fields, and is served at ``/openapi.json``.

Safe by default: it listens on 127.0.0.1; the write routes (``POST /documents``, ``DELETE
/documents/{id}``) are off unless an API key is set, and then need it (``Authorization:
Bearer KEY``, compared in constant time); request bodies, URLs and the time a read may take
are limited (:class:`~vnsearch.settings.ServerSettings`); errors are JSON with the one-line
messages of the command line, never a traceback; no CORS headers unless origins are given.

Reads run in a small pool of threads that keep their searchers (a new thread per request
would open the index again each time); writes run one at a time in a thread of their own.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, AsyncIterator, Callable, Literal, Mapping, Sequence

from vnsearch.documents import Document
from vnsearch.errors import (
    DocumentError,
    IndexLockedError,
    IndexNotFoundError,
    QuerySyntaxError,
    SchemaError,
    VnsearchError,
    one_line,
)
from vnsearch.index import Index
from vnsearch.query import MAX_QUERY_CHARS
from vnsearch.schema import FOLDED_SUFFIX, IndexSchema
from vnsearch.settings import DEFAULT_SERVER_SETTINGS, ServerSettings
from vnsearch.version import __version__

try:  # the server extra; the error below says how to install it
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
except ImportError:  # pragma: no cover - depends on the environment
    Starlette = None  # type: ignore[assignment,misc]

__all__ = ["create_app", "serve", "openapi_document"]

_log = logging.getLogger("vnsearch.server")
_PAGE_FILES = {"/": ("index.html", "text/html; charset=utf-8"),
               "/app.js": ("app.js", "text/javascript; charset=utf-8"),
               "/app.css": ("app.css", "text/css; charset=utf-8")}
# The page needs nothing from elsewhere: no other origin may serve it scripts or styles.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_COMPLETIONS_MAX = 20


class _ClientError(Exception):
    """A request the service refuses: its HTTP status and the one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _need_starlette() -> None:
    if Starlette is None:
        raise VnsearchError("vnsearch serve needs the server extra: pip install 'vnsearch[server]'")


def create_app(
    index: Index | str | os.PathLike,
    *,
    api_key: str | None = None,
    cors_origins: Sequence[str] = (),
    settings: ServerSettings = DEFAULT_SERVER_SETTINGS,
) -> Any:
    """The ASGI application serving ``index`` (an :class:`Index` or the path of one)."""
    _need_starlette()
    if not isinstance(index, Index):
        index = Index.open(index)
    if api_key and not (api_key.isascii() and api_key.isprintable() and " " not in api_key):
        raise VnsearchError("the API key must be printable ASCII without spaces (HTTP headers carry nothing else)")
    service = _Service(index, api_key or None, settings)
    routes = [
        Route("/", service.page, methods=["GET"]),
        Route("/app.js", service.page, methods=["GET"]),
        Route("/app.css", service.page, methods=["GET"]),
        Route("/openapi.json", service.openapi, methods=["GET"]),
        Route("/health", service.health, methods=["GET"]),
        Route("/stats", service.stats, methods=["GET"]),
        Route("/search", service.search, methods=["GET"]),
        Route("/complete", service.complete, methods=["GET"]),
        Route("/documents", service.add, methods=["POST"]),
        Route("/documents/{id:path}", service.document, methods=["GET"]),
        Route("/documents/{id:path}", service.delete, methods=["DELETE"]),
    ]
    middleware = [Middleware(_Limits, max_url_chars=settings.max_url_chars)]
    if cors_origins:
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        ))
    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: _http_error, _ClientError: _client_error, Exception: _server_error},
        lifespan=service.lifespan,
    )


def serve(
    index: str | os.PathLike,
    *,
    host: str | None = None,
    port: int | None = None,
    api_key: str | None = None,
    cors_origins: Sequence[str] = (),
    settings: ServerSettings = DEFAULT_SERVER_SETTINGS,
    announce: Callable[[str], None] = print,
) -> None:
    """Serve the index at ``index`` until interrupted (``vnsearch serve``)."""
    _need_starlette()
    import uvicorn

    app = create_app(index, api_key=api_key, cors_origins=cors_origins, settings=settings)
    host = host or settings.host
    port = settings.port if port is None else port
    shown = f"[{host}]" if ":" in host else host
    writes = "writes need the API key" if api_key else "read-only (no --api-key)"
    announce(f"vnsearch {__version__} serving {index} at http://{shown}:{port}/ ({writes}); Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, access_log=False)


# -- the routes -------------------------------------------------------------------------------


class _Service:
    def __init__(self, index: Index, api_key: str | None, settings: ServerSettings):
        self.index = index
        self.api_key = api_key.encode("utf-8") if api_key else None
        self.settings = settings
        self.spec = openapi_document(index.schema, settings)
        self.reads = ThreadPoolExecutor(settings.search_threads, thread_name_prefix="vnsearch-read")
        self.writes = ThreadPoolExecutor(1, thread_name_prefix="vnsearch-write")
        self._stats: tuple[int, dict[str, Any]] | None = None  # (commit generation, stats)

    @asynccontextmanager
    async def lifespan(self, app: Any) -> AsyncIterator[None]:
        # Counting the terms of a large index takes seconds: done once now, not on a first visit.
        asyncio.get_running_loop().run_in_executor(self.reads, _answer, self._current_stats)
        try:
            yield
        finally:
            self.reads.shutdown(wait=True, cancel_futures=True)
            self.writes.shutdown(wait=True)
            self.index.close()

    async def _read(self, work: Callable[[], Any]) -> Any:
        """``work`` in a read thread, within the time limit."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.reads, _answer, work)
        try:
            return await asyncio.wait_for(future, self.settings.request_seconds)
        except asyncio.TimeoutError:
            raise _ClientError(503, f"the request took longer than {self.settings.request_seconds:g} s; try a narrower query") from None

    async def _write(self, request: Request, work: Callable[[], Any]) -> Any:
        self._check_key(request)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.writes, _answer, work)

    def _check_key(self, request: Request) -> None:
        if self.api_key is None:
            raise _ClientError(403, "writing is off: start the server with --api-key KEY to allow it")
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode("utf-8"), self.api_key):
            raise _ClientError(401, "this route needs the API key: send 'Authorization: Bearer KEY'")

    async def page(self, request: Request) -> Response:
        name, media = _PAGE_FILES[request.url.path]
        body = resources.files("vnsearch").joinpath("static").joinpath(name).read_bytes()
        return Response(body, media_type=media, headers=_PAGE_HEADERS)

    async def openapi(self, request: Request) -> Response:
        return _json(self.spec)

    async def health(self, request: Request) -> Response:
        return _json({"status": "ok", "version": __version__})

    async def stats(self, request: Request) -> Response:
        return await _respond(self._read(self._current_stats))

    def _current_stats(self) -> dict[str, Any]:
        """The index's statistics, counted again only after a commit."""
        generation = self.index.whoosh_index.latest_generation()
        cached = self._stats
        if cached is None or cached[0] != generation:
            cached = self._stats = (generation, self.index.stats().to_json_dict())
        return cached[1]

    async def search(self, request: Request) -> Response:
        params = request.query_params
        q = _text(params, "q")
        limit = _number(params, "limit", 10, 1, self.settings.max_limit)
        offset = _number(params, "offset", None, 0, None)
        page = _number(params, "page", 1, 1, None)
        if offset is None:
            offset = (page - 1) * limit
        options: dict[str, Any] = {
            "limit": limit,
            "offset": offset,
            "sort": params.get("sort") or None,
            "filters": _filters(params.getlist("filter")),
            "facets": _list(params.getlist("facets")) or None,
            "fields": _list(params.getlist("fields")) or None,
            "prefix_last": _flag(params, "prefix"),
        }
        return await _respond(self._read(lambda: self.index.search(q, **options).to_json_dict()))

    async def complete(self, request: Request) -> Response:
        q = _text(request.query_params, "q")
        limit = _number(request.query_params, "limit", 5, 1, _COMPLETIONS_MAX)
        return await _respond(self._read(lambda: {"query": q, "completions": self.index.complete(q, limit)}))

    async def document(self, request: Request) -> Response:
        doc_id = request.path_params["id"]

        def get() -> dict[str, Any]:
            doc = self.index.get(doc_id)
            if doc is None:
                raise _ClientError(404, f"no document with id {doc_id!r}")
            return _document_dict(doc)

        return await _respond(self._read(get))

    async def delete(self, request: Request) -> Response:
        doc_id = request.path_params["id"]

        def delete() -> dict[str, Any]:
            if doc_id not in self.index:
                raise _ClientError(404, f"no document with id {doc_id!r}")
            return {"deleted": self.index.delete(doc_id), "documents": len(self.index)}

        return await _respond(self._write(request, delete))

    async def add(self, request: Request) -> Response:
        self._check_key(request)  # before reading a body nobody may send
        given = request.query_params.get("errors", "strict")
        if given not in ("strict", "skip"):
            raise _ClientError(400, f"errors must be strict or skip, not {given!r}")
        errors: Literal["strict", "skip"] = "skip" if given == "skip" else "strict"
        body = await self._body(request)
        records, lines, skipped = _records(body, request.headers.get("content-type", ""), errors)

        def add() -> dict[str, Any]:
            try:
                report = self.index.add(records, errors=errors)
            except DocumentError as exc:
                raise _ClientError(400, f"{_place(exc.line, lines)}: {exc.reason}; fix the record, "
                                   "or pass errors=skip to leave bad records out") from None
            every = skipped + [{"at": _place(s.line, lines), "reason": s.reason} for s in report.skipped]
            every.sort(key=lambda s: int(s["at"].split()[-1]))
            return {"added": report.added, "skipped": every, "documents": len(self.index),
                    "milliseconds": round(report.seconds * 1000, 1)}

        return await _respond(self._write(request, add))

    async def _body(self, request: Request) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _ClientError(413, f"the body is larger than {limit:,} bytes; send the documents in parts")
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _ClientError(413, f"the body is larger than {limit:,} bytes; send the documents in parts")
            chunks.append(chunk)
        return b"".join(chunks)


def _answer(work: Callable[[], Any]) -> Any:
    """Run ``work``; errors become values, so that the event loop turns them into JSON."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 - every error is answered, none escapes the thread
        return exc


async def _respond(pending: Any) -> Response:
    try:
        value = await pending
    except _ClientError as exc:
        return _error(exc.status, str(exc))
    if isinstance(value, BaseException):
        return _failure(value)
    return _json(value)


def _failure(exc: BaseException) -> Response:
    if isinstance(exc, _ClientError):
        return _error(exc.status, str(exc))
    if isinstance(exc, IndexNotFoundError):
        return _error(404, one_line(exc))
    if isinstance(exc, IndexLockedError):
        return _error(503, one_line(exc))
    if isinstance(exc, (QuerySyntaxError, SchemaError, DocumentError, ValueError, TypeError, VnsearchError)):
        return _error(400, one_line(exc))
    _log.error("internal error", exc_info=exc)
    return _error(500, "internal error: the server log has the details")


def _json(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json", headers={"X-Content-Type-Options": "nosniff"})


def _error(status: int, message: str) -> Response:
    return _json({"error": message, "status": status}, status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    messages = {404: f"no route {request.url.path}: see /openapi.json", 405: f"{request.method} is not allowed on {request.url.path}"}
    return _error(status, messages.get(status, str(getattr(exc, "detail", "")) or "request refused"))


async def _client_error(request: Request, exc: Exception) -> Response:
    return _failure(exc)


async def _server_error(request: Request, exc: Exception) -> Response:
    return _failure(exc)


class _Limits:
    """Refuses, before any route runs, a URL longer than the limit."""

    def __init__(self, app: Any, max_url_chars: int):
        self.app = app
        self.max_url_chars = max_url_chars

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
            if length > self.max_url_chars:
                response = _error(414, f"the URL is longer than {self.max_url_chars} characters")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


# -- parameters -----------------------------------------------------------------------------


def _text(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if len(value) > MAX_QUERY_CHARS:
        raise _ClientError(400, f"{name} is longer than {MAX_QUERY_CHARS} characters")
    return value


def _number(params: Mapping[str, str], name: str, default: int | None, low: int, high: int | None) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _ClientError(400, f"{name} must be a whole number, not {raw[:40]!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise _ClientError(400, f"{name} must be {bounds}, not {value}")
    return value


def _flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name, "").lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise _ClientError(400, f"{name} must be true or false, not {raw[:40]!r}")


def _list(values: Sequence[str]) -> list[str]:
    """Values given as repeated parameters, comma-separated, or both."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _filters(values: Sequence[str]) -> dict[str, Any] | None:
    """``filter=tags:thoi-su&filter=date:>=2020-07`` as the ``filters`` of a search; one
    field given twice matches either value."""
    found: dict[str, list[str]] = {}
    for value in values:
        name, sep, wanted = value.partition(":")
        if not sep or not name.strip() or not wanted.strip():
            raise _ClientError(400, f"a filter is FIELD:VALUE (tags:thoi-su, date:>=2020-07), not {value[:60]!r}")
        found.setdefault(name.strip(), []).append(wanted.strip())
    return {k: v[0] if len(v) == 1 else v for k, v in found.items()} or None


def _records(body: bytes, content_type: str, errors: str) -> tuple[list[Any], list[int] | None, list[dict[str, Any]]]:
    """The records of a POST body (a JSON array or object, or JSON Lines), the line of each
    (None for an array: its records are counted), and the lines left out as unreadable
    when ``errors`` is ``skip``."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _ClientError(400, f"the body is not UTF-8 (byte {exc.start})") from None
    stripped = text.lstrip()
    if not stripped:
        raise _ClientError(400, "the body is empty: send a JSON array of documents or JSON Lines")
    lines_format = "ndjson" in content_type or "jsonl" in content_type or "json-seq" in content_type
    if not lines_format and stripped[0] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if stripped[0] == "[" or "\n" not in stripped.rstrip():
                raise _ClientError(400, f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
        except RecursionError:
            raise _ClientError(400, "the body is not valid JSON: nested too deeply") from None
        else:
            return (data if isinstance(data, list) else [data]), None, []
    records: list[Any] = []
    lines: list[int] = []
    skipped: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
            lines.append(number)
        except (json.JSONDecodeError, RecursionError) as exc:
            reason = f"not valid JSON: {getattr(exc, 'msg', 'nested too deeply')}"
            if errors == "strict":
                raise _ClientError(400, f"line {number}: {reason}; fix the record, or pass errors=skip to leave bad records out") from None
            skipped.append({"at": f"line {number}", "reason": reason})
    return records, lines, skipped


def _place(record: int | None, lines: list[int] | None) -> str:
    """Where a bad record is in the body: its line for JSON Lines, else its position."""
    if record is None:
        return "record 0"
    return f"line {lines[record - 1]}" if lines is not None else f"record {record}"


def _document_dict(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "title": doc.title,
        "body": doc.body,
        "date": doc.date.isoformat() if doc.date else None,
        "url": doc.url,
        "tags": list(doc.tags),
        **{k: v.isoformat() if hasattr(v, "isoformat") else (list(v) if isinstance(v, tuple) else v) for k, v in doc.fields.items()},
    }


# -- the OpenAPI document ---------------------------------------------------------------------


def _param(name: str, description: str, schema: dict[str, Any], *, where: str = "query", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema}


_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": {"description": "A bad request: the message says what to change",
            "content": {"application/json": {"schema": _ERROR}}},
    "503": {"description": "Took longer than the time limit, or the index is locked",
            "content": {"application/json": {"schema": _ERROR}}},
}
_WRITE_ERRORS = {
    **_ERRORS,
    "401": {"description": "The API key is missing or wrong", "content": {"application/json": {"schema": _ERROR}}},
    "403": {"description": "Writing is off: no API key was set", "content": {"application/json": {"schema": _ERROR}}},
}
_ID = _param("id", "The document's id", {"type": "string", "minLength": 1}, where="path", required=True)


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": schema}}}}


def openapi_document(schema: IndexSchema, settings: ServerSettings = DEFAULT_SERVER_SETTINGS) -> dict[str, Any]:
    """The OpenAPI 3 document of the service over an index with ``schema``: the fields that
    may be searched, counted, sorted and filtered on are listed by name."""
    from vnsearch.facets import DATE_PARTS

    dates = schema.names("date")
    facets = [*schema.names("keyword"), *dates, *(f"{d}:{p}" for d in dates for p in DATE_PARTS)]
    sortable = [name for name in schema.names("date", "number", "keyword", "id")]
    sorts = ["relevance", "date", "newest", "oldest", *sortable, *(f"-{n}" for n in sortable)]
    filterable = [name for name in schema.names() if not name.endswith(FOLDED_SUFFIX) and schema[name].type != "stored"]
    spec = _template(settings)
    parameters = {p["name"]: p for p in spec["paths"]["/search"]["get"]["parameters"]}
    parameters["fields"]["schema"]["items"]["enum"] = list(schema.text_fields)
    parameters["facets"]["schema"]["items"]["enum"] = list(dict.fromkeys(facets))
    parameters["sort"]["schema"]["enum"] = list(dict.fromkeys(sorts))
    parameters["filter"]["schema"]["items"]["pattern"] = "^(" + "|".join(filterable) + "):.+$"
    return spec


def _template(settings: ServerSettings) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "vnsearch", "version": __version__,
                 "description": "Vietnamese full-text search over one index: accents optional, words found as words."},
        "paths": {
            "/search": {"get": {
                "summary": "Search", "operationId": "search",
                "parameters": [
                    _param("q", "The query, in vnsearch's query language", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                    _param("limit", "Hits per page", {"type": "integer", "minimum": 1, "maximum": settings.max_limit, "default": 10}),
                    _param("offset", "Hits to skip (replaces page)", {"type": "integer", "minimum": 0}),
                    _param("page", "The page of hits", {"type": "integer", "minimum": 1, "default": 1}),
                    _param("sort", "relevance, date, oldest, or a date or number field (-field: descending)", {"type": "string"}),
                    _param("filter", "FIELD:VALUE conditions, all of which must hold (a field twice: either value)",
                           {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:.+$"}}),
                    _param("facets", "Keyword or date fields to count values of over all matches (date:year, date:month)",
                           {"type": "array", "items": {"type": "string"}}),
                    _param("fields", "Text fields bare words search", {"type": "array", "items": {"type": "string"}}),
                    _param("prefix", "Match the last word as a prefix (search as you type)", {"type": "boolean", "default": False}),
                ],
                "responses": {**_ok({"$ref": "#/components/schemas/Results"}), **_ERRORS},
            }},
            "/complete": {"get": {
                "summary": "Complete what was typed, accents restored", "operationId": "complete",
                "parameters": [
                    _param("q", "What was typed so far", {"type": "string", "maxLength": MAX_QUERY_CHARS}),
                    _param("limit", "Completions", {"type": "integer", "minimum": 1, "maximum": _COMPLETIONS_MAX, "default": 5}),
                ],
                "responses": {**_ok({"type": "object", "required": ["query", "completions"], "properties": {
                    "query": {"type": "string"}, "completions": {"type": "array", "items": {"type": "string"}}}}), **_ERRORS},
            }},
            "/documents": {"post": {
                "summary": "Add or replace documents (by id)", "operationId": "addDocuments",
                "security": [{"apiKey": []}],
                "parameters": [_param("errors", "strict: refuse the request at the first bad record; skip: leave bad records out and list them",
                                      {"type": "string", "enum": ["strict", "skip"], "default": "strict"})],
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"oneOf": [
                        {"type": "array", "items": {"$ref": "#/components/schemas/Record"}},
                        {"$ref": "#/components/schemas/Record"}]}},
                    "application/x-ndjson": {"schema": {"type": "string"}},
                }},
                "responses": {**_ok({"type": "object", "required": ["added", "skipped", "documents"], "properties": {
                    "added": {"type": "integer"}, "documents": {"type": "integer"}, "milliseconds": {"type": "number"},
                    "skipped": {"type": "array", "items": {"type": "object"}}}}), **_WRITE_ERRORS,
                    "413": {"description": "The body is too large", "content": {"application/json": {"schema": _ERROR}}}},
            }},
            "/documents/{id}": {
                "get": {
                    "summary": "One document as stored", "operationId": "getDocument", "parameters": [_ID],
                    "responses": {**_ok({"$ref": "#/components/schemas/Document"}), **_ERRORS,
                                  "404": {"description": "No such document", "content": {"application/json": {"schema": _ERROR}}}},
                },
                "delete": {
                    "summary": "Delete a document", "operationId": "deleteDocument", "parameters": [_ID],
                    "security": [{"apiKey": []}],
                    "responses": {**_ok({"type": "object", "required": ["deleted"], "properties": {
                        "deleted": {"type": "integer"}, "documents": {"type": "integer"}}}), **_WRITE_ERRORS,
                        "404": {"description": "No such document", "content": {"application/json": {"schema": _ERROR}}}},
                },
            },
            "/stats": {"get": {
                "summary": "Documents, terms, size and fields of the index", "operationId": "stats",
                "responses": {**_ok({"type": "object", "required": ["documents", "terms", "size_bytes", "segments", "fields"], "properties": {
                    "path": {"type": "string", "nullable": True}, "documents": {"type": "integer"}, "terms": {"type": "integer"},
                    "size_bytes": {"type": "integer"}, "segments": {"type": "integer"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}), **_ERRORS},
            }},
            "/health": {"get": {
                "summary": "Whether the service answers", "operationId": "health",
                "responses": _ok({"type": "object", "required": ["status"], "properties": {
                    "status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"}}}),
            }},
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "status"], "properties": {
                    "error": {"type": "string", "description": "What went wrong and what to do, in one line"},
                    "status": {"type": "integer"}}},
                "Record": {"type": "object", "description": "A document: id, title, body (or text, content), date, url, tags, declared fields",
                           "additionalProperties": True},
                "Document": {"type": "object", "required": ["id", "title", "body", "tags"], "properties": {
                    "id": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
                    "date": {"type": "string", "nullable": True}, "url": {"type": "string", "nullable": True},
                    "tags": {"type": "array", "items": {"type": "string"}}}, "additionalProperties": True},
                "Hit": {"type": "object", "required": ["id", "rank", "score", "title", "snippets"], "properties": {
                    "id": {"type": "string"}, "rank": {"type": "integer"}, "score": {"type": "number"},
                    "title": {"type": "string"}, "title_html": {"type": "string"},
                    "date": {"type": "string", "nullable": True}, "url": {"type": "string", "nullable": True},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "snippets": {"type": "array", "items": {"type": "string"}, "description": "HTML: text escaped, matches in <mark>"}},
                    "additionalProperties": True},
                "Results": {"type": "object", "required": ["query", "total", "page", "pages", "limit", "offset", "hits"], "properties": {
                    "query": {"type": "string"}, "total": {"type": "integer"}, "page": {"type": "integer"},
                    "pages": {"type": "integer"}, "limit": {"type": "integer"}, "offset": {"type": "integer"},
                    "milliseconds": {"type": "number"}, "suggestion": {"type": "string", "nullable": True},
                    "ignored": {"type": "array", "items": {"type": "string"}},
                    "facets": {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {"type": "integer"}}},
                    "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}}}},
            },
        },
    }
