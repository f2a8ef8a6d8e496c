"""A vnsearch index kept in OpenSearch: writes through the bulk API, searches in vnsearch's syntax.

>>> from opensearchpy import OpenSearch                              # doctest: +SKIP
>>> index = RemoteIndex(OpenSearch("http://127.0.0.1:9200"), "news").create()  # doctest: +SKIP
>>> index.add_path("sample_corpus")                                 # doctest: +SKIP
>>> [hit.title for hit in index.search("dang uy hai phong")]        # doctest: +SKIP
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from vnsearch.opensearch import dsl, local
from vnsearch.opensearch.analysis import (
    ANALYSIS_VERSION,
    COMBINED_FIELD,
    ENCODED_SUFFIX,
    EXACT_ANALYZER,
    FOLDED_ANALYZER,
    combined_weights,
    encode,
    index_settings,
)

__all__ = ["RemoteIndex", "to_engine_doc", "connect"]

DEFAULT_BATCH_SIZE = 500  # documents per bulk request: a few MB of news text
_BULK_CHARS = 4_000_000  # a bulk request is sent at this much text, whatever the batch size
_PROGRESS_EVERY = 0.25  # seconds between progress callbacks, as for Index
_RETRY_STATUSES = frozenset({429, 502, 503, 504})  # busy, or a shard moving: try again
_BULK_ATTEMPTS = 8
_RETRY_START = 0.5  # seconds before the first retry, doubled each time


def connect(url: str, **options: Any) -> Any:
    """An ``opensearchpy.OpenSearch`` client for ``url`` (several URLs separated by commas),
    set to retry a request on another node when one does not answer."""
    try:
        from opensearchpy import OpenSearch  # the optional extra: vnsearch[opensearch]
    except ImportError:  # pragma: no cover - depends on the environment
        raise local.VnsearchError("OpenSearch support needs opensearch-py: pip install 'vnsearch[opensearch]'") from None
    hosts = [u.strip() for u in url.split(",") if u.strip()]
    options.setdefault("max_retries", 3)
    options.setdefault("retry_on_timeout", True)
    options.setdefault("timeout", 60)
    return OpenSearch(hosts, **options)


def to_engine_doc(
    document: local.Document,
    fields: Mapping[str, str] | None = None,
    weights: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The JSON source OpenSearch indexes for ``document``, with extra ``fields`` declared by
    type as for :meth:`vnsearch.Index.create`. Pure: no client, no I/O (Spark, Dask or Ray
    jobs can call it); raises :class:`~vnsearch.errors.DocumentError` for a bad extra value.

    ``weights`` are the copies of each text field in the combined field, as the index's
    mapping records them (:attr:`RemoteIndex.weights`): ``None`` for those of an index created
    with the default settings, an empty mapping for an index made without a combined field.

    >>> doc = to_engine_doc(local.Document(id="1", title="Hà Nội", body="Thủ đô", tags=("Thời sự",)))
    >>> doc["title"], doc["title__vn"], doc["tags"]
    ('Hà Nội', 'Hà\\u2060Nội', ['Thời sự'])
    >>> doc["_all__vn"]  # each text field once: the default weights are 1
    ['Hà\\u2060Nội', 'Thủ\\u2060đô']
    >>> to_engine_doc(local.Document(id="1", title="Hà Nội", body="Thủ đô"), weights={"title": 2, "body": 1})["_all__vn"]
    ['Hà\\u2060Nội', 'Hà\\u2060Nội', 'Thủ\\u2060đô']
    """
    schema = local.IndexSchema.build(fields)
    if weights is None:
        weights = combined_weights(schema.text_fields, local.DEFAULT_SETTINGS)
    source: dict[str, Any] = {"id": document.id}
    for name in ("title", "body"):
        value = getattr(document, name)
        if value:
            source[name] = value
            source[name + ENCODED_SUFFIX] = encode(value)
    if document.date is not None:
        source["date"] = document.date.isoformat()
    if document.url:
        source["url"] = document.url
    if document.tags:
        source["tags"] = list(document.tags)
    for spec in schema.extra_fields:
        value = document.fields.get(spec.name)
        if value is None or value == "":
            continue
        try:
            source.update(_extra(spec, value))
        except (TypeError, ValueError) as exc:
            raise local.DocumentError(f"field {spec.name!r}: {exc}", path=document.source) from None
    combined = [
        source[name + ENCODED_SUFFIX]
        for name in schema.text_fields if name + ENCODED_SUFFIX in source
        for _ in range(weights.get(name, 0))
    ]
    if combined:
        source[COMBINED_FIELD] = combined
    return source


def _extra(spec: local.FieldSpec, value: Any) -> dict[str, Any]:
    if spec.type == "text":
        text = str(value)
        return {spec.name: text, spec.name + ENCODED_SUFFIX: encode(text)}
    if spec.type == "keyword":
        items = value if isinstance(value, (list, tuple, set)) else str(value).split(",")
        return {spec.name: [str(v).strip() for v in items if str(v).strip()]}
    if spec.type == "date":
        date = value if isinstance(value, _dt.datetime) else local.parse_date(value)
        return {spec.name: date.isoformat()} if date is not None else {}
    if spec.type == "number":
        return {spec.name: float(value)}
    return {spec.name: value}


@dataclass
class _Run:
    started: float = field(default_factory=time.perf_counter)
    documents: int = 0
    characters: int = 0
    skipped: list[local.SkippedRecord] = field(default_factory=list)
    last_report: float = 0.0
    retries: int = 0


class RemoteIndex:
    """A vnsearch index in an OpenSearch (or compatible) cluster, by index name.

    ``client`` is an ``opensearchpy.OpenSearch`` (see :func:`connect`). The index's fields,
    analysis version and combined field's weights live in its mapping's ``_meta``; opening an
    index made with another analysis raises :class:`~vnsearch.errors.IndexVersionError`
    asking for a reindex.

    The text fields' weights (``settings.title_weight``, ...) are fixed when the index is
    created, for words searched in no particular field (BM25F over the combined field); a
    search's own settings weigh only the clauses on one field (``title:...``), phrases,
    prefixes and typo words. An index made by an earlier vnsearch (no ``weights`` in its
    ``_meta``) has no combined field: it is searched as then, field by field, until reindexed.

    ``global_statistics`` scores with the whole index's term statistics rather than each
    shard's (one more round trip per search): worth it for small indexes, whose shards'
    statistics differ; large ones score alike either way.
    """

    def __init__(
        self,
        client: Any,
        name: str,
        *,
        settings: local.SearchSettings = local.DEFAULT_SETTINGS,
        global_statistics: bool = False,
    ):
        self.client = client
        self.name = name
        self.settings = settings
        self.global_statistics = global_statistics
        self._schema: local.IndexSchema | None = None
        self._weights: dict[str, int] | None = None

    def __repr__(self) -> str:
        return f"RemoteIndex({self.name!r})"

    # -- the index itself -------------------------------------------------------------------

    def exists(self) -> bool:
        return bool(self.client.indices.exists(index=self.name))

    def create(
        self,
        fields: Mapping[str, str] | None = None,
        *,
        overwrite: bool = False,
        shards: int | None = None,
        replicas: int | None = None,
    ) -> "RemoteIndex":
        """Create the index with these extra ``fields`` (``overwrite``: drop an existing one)."""
        if self.exists():
            if not overwrite:
                raise local.VnsearchError(
                    f"OpenSearch already has an index {self.name!r}; pass overwrite=True to replace it"
                )
            self.drop()
        body = index_settings(fields, shards=shards, replicas=replicas, settings=self.settings)
        self.client.indices.create(index=self.name, body=body)
        self.client.cluster.health(index=self.name, wait_for_status="yellow")
        self._schema = local.IndexSchema.build(fields)
        self._weights = body["mappings"]["_meta"]["vnsearch"]["weights"]
        return self

    def drop(self) -> None:
        """Delete the whole index from the cluster."""
        self.client.indices.delete(index=self.name, ignore_unavailable=True)
        self._schema = None

    @property
    def schema(self) -> local.IndexSchema:
        """The index's fields, read once from its ``_meta`` (checking the analysis version)."""
        if self._schema is None:
            self._schema = self._read_meta()
        return self._schema

    @property
    def weights(self) -> dict[str, int] | None:
        """Each text field's copies in the combined field (its weight there), fixed when the
        index was created; ``None`` for an index made before the combined field."""
        _ = self.schema  # read with the schema, from the mapping's _meta
        return self._weights

    def _read_meta(self) -> local.IndexSchema:
        try:
            mapping = self.client.indices.get_mapping(index=self.name)
        except Exception as exc:  # opensearch-py's NotFoundError, told by its status
            if getattr(exc, "status_code", None) == 404:
                raise local.IndexNotFoundError(f"OpenSearch has no index {self.name!r}: create it first") from None
            raise
        meta = next(iter(mapping.values()))["mappings"].get("_meta", {}).get("vnsearch")
        if not isinstance(meta, Mapping):
            raise local.IndexVersionError(f"the OpenSearch index {self.name!r} was not made by vnsearch")
        if meta.get("analysis") != ANALYSIS_VERSION:
            raise local.IndexVersionError(
                f"the OpenSearch index {self.name!r} was analysed with vnsearch analysis version "
                f"{meta.get('analysis')} (vnsearch {meta.get('version', '?')}); this vnsearch sends "
                f"version {ANALYSIS_VERSION}: reindex it (create it again with overwrite=True and add the documents)"
            )
        weights = meta.get("weights")
        self._weights = {str(k): int(v) for k, v in weights.items()} if isinstance(weights, Mapping) else None
        return local.IndexSchema.from_json(meta["fields"])

    def refresh(self) -> None:
        """Make every write so far visible to searches (the engine does so every second)."""
        self.client.indices.refresh(index=self.name)

    def __len__(self) -> int:
        return int(self.client.count(index=self.name)["count"])

    def __enter__(self) -> "RemoteIndex":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.refresh()  # what was written in the block is searchable after it

    def close(self) -> None:
        """Nothing to release: the client and its connections belong to the caller."""

    # -- writing ----------------------------------------------------------------------------

    def add(
        self,
        records: Iterable[Mapping[str, Any] | local.Document],
        *,
        errors: local.ErrorMode = "strict",
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Callable[[local.Progress], None] | None = None,
        **record_options: Any,
    ) -> local.AddReport:
        """Add or replace (by id) documents, as :meth:`vnsearch.Index.add` does, through the
        bulk API. A request that fails on a node that went away, or items the cluster was too
        busy for, are sent again: ids make that safe (a document is written once, by id)."""
        local.check_errors(errors)
        run = _Run()
        if isinstance(records, (Mapping, local.Document)):
            records = [records]
        docs = local.documents_from(records, errors=errors, on_skip=run.skipped.append, **record_options)
        return self._write(docs, run, errors, batch_size, progress)

    update = add

    def add_path(
        self,
        path: str | os.PathLike,
        *,
        errors: local.ErrorMode = "strict",
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: Callable[[local.Progress], None] | None = None,
        **loader_options: Any,
    ) -> local.AddReport:
        """Index a file or folder, as :meth:`vnsearch.Index.add_path` does."""
        local.check_errors(errors)
        run = _Run()
        docs = local.load(path, errors=errors, on_skip=run.skipped.append, **loader_options)
        return self._write(docs, run, errors, batch_size, progress)

    def delete(self, ids: str | Iterable[str]) -> int:
        """Delete documents by id; returns how many were deleted."""
        if isinstance(ids, str):
            ids = [ids]
        actions = [{"delete": {"_index": self.name, "_id": str(i)}} for i in ids]
        if not actions:
            return 0
        items = self._bulk(actions, _Run())
        return sum(1 for item in items if item.get("result") == "deleted")

    def _write(
        self,
        docs: Iterator[local.Document],
        run: _Run,
        errors: local.ErrorMode,
        batch_size: int,
        progress: Callable[[local.Progress], None] | None,
    ) -> local.AddReport:
        extra = {spec.name: spec.type for spec in self.schema.extra_fields}
        weights = self.weights or {}  # none: an index made before the combined field
        batch: list[tuple[local.Document, dict[str, Any]]] = []
        chars = 0
        for doc in docs:
            try:
                source = to_engine_doc(doc, extra, weights)
            except local.DocumentError as error:
                if errors == "strict":
                    raise
                run.skipped.append(_skip(doc, error.reason))
                continue
            batch.append((doc, source))
            chars += _text_chars(source)
            if len(batch) >= batch_size or chars >= _BULK_CHARS:
                self._send(batch, run, errors, progress)
                batch, chars = [], 0
        if batch:
            self._send(batch, run, errors, progress)
        if progress is not None:
            progress(_progress_of(run))
        return local.AddReport(run.documents, tuple(run.skipped), run.characters, time.perf_counter() - run.started)

    def _send(
        self,
        batch: list[tuple[local.Document, dict[str, Any]]],
        run: _Run,
        errors: local.ErrorMode,
        progress: Callable[[local.Progress], None] | None,
    ) -> None:
        actions: list[dict[str, Any]] = []
        for doc, source in batch:
            actions += [{"index": {"_index": self.name, "_id": doc.id}}, source]
        items = self._bulk(actions, run)
        for (doc, _), item in zip(batch, items):
            if "error" in item:
                reason = f"OpenSearch refused it: {_reason(item['error'])}"
                if errors == "strict":
                    raise local.DocumentError(reason, path=doc.source)
                run.skipped.append(_skip(doc, reason))
                continue
            run.documents += 1
            run.characters += len(doc.title) + len(doc.body)
        if progress is not None and time.perf_counter() - run.last_report >= _PROGRESS_EVERY:
            run.last_report = time.perf_counter()
            progress(_progress_of(run))

    def _bulk(self, actions: list[dict[str, Any]], run: _Run) -> list[dict[str, Any]]:
        """Each action's result item, retrying what failed for a reason that passes."""
        # opensearch-py is the optional extra: imported where a cluster is used.
        from opensearchpy.exceptions import ConnectionError as ClientConnectionError
        from opensearchpy.exceptions import ConnectionTimeout, TransportError

        pairs = _action_pairs(actions)
        results: list[dict[str, Any] | None] = [None] * len(pairs)
        pending = list(range(len(pairs)))
        delay = _RETRY_START
        for attempt in range(_BULK_ATTEMPTS):
            body = [line for i in pending for line in pairs[i]]
            try:
                response = self.client.bulk(body=body)
            except (ClientConnectionError, ConnectionTimeout) as exc:
                if attempt == _BULK_ATTEMPTS - 1:
                    raise local.VnsearchError(f"OpenSearch did not answer {_BULK_ATTEMPTS} bulk requests: {exc}") from exc
                run.retries += 1
                time.sleep(delay)
                delay *= 2
                continue
            except TransportError as exc:
                if exc.status_code not in _RETRY_STATUSES or attempt == _BULK_ATTEMPTS - 1:
                    raise local.VnsearchError(f"OpenSearch refused a bulk request: {exc}") from exc
                run.retries += 1
                time.sleep(delay)
                delay *= 2
                continue
            again = []
            for i, item in zip(pending, response["items"]):
                result = next(iter(item.values()))
                if "error" in result and result.get("status") in _RETRY_STATUSES:
                    again.append(i)
                results[i] = result
            if not again:
                break
            pending = again
            run.retries += 1
            time.sleep(delay)
            delay *= 2
        return [r if r is not None else {"error": "never answered"} for r in results]

    # -- reading ----------------------------------------------------------------------------

    def analyze(self, text: str, folded: bool = False) -> list[dict[str, Any]]:
        """The tokens the index makes of ``text`` (encoded first, as documents are)."""
        body = {"analyzer": FOLDED_ANALYZER if folded else EXACT_ANALYZER, "text": encode(text)}
        return list(self.client.indices.analyze(index=self.name, body=body)["tokens"])

    def search(
        self,
        query: str,
        limit: int = 10,
        page: int = 1,
        fields: Sequence[str] | None = None,
        filters: Mapping[str, Any] | None = None,
        sort: str | None = None,
        *,
        strict: bool = False,
        snippets: bool = True,
        **settings: Any,
    ) -> local.Results:
        """Search with vnsearch's query language, as :meth:`vnsearch.Searcher.search` does;
        the results are vnsearch's own, snippets cut from the stored original text."""
        started = time.perf_counter()
        limit, page = local.positive(limit, "limit"), local.positive(page, "page")
        options = self.settings.with_options(**settings) if settings else self.settings
        schema = self.schema
        if fields is not None:
            fields = local.check_fields(fields, schema)
        parsed = local.parse(query, schema, strict=strict)
        plan = dsl.translate(parsed, schema, settings=options, fields=fields, weights=self.weights)
        ignored = list(parsed.ignored)
        if plan.terms.truncated:
            ignored.append(f"words after the first {options.max_terms}")
        conditions = dsl.filters_query(filters, schema) if filters else []
        core = plan.query
        if core is None:
            if not conditions:
                return local.Results(query, (), 0, page, limit, "", tuple(ignored), None, time.perf_counter() - started)
            core = {"match_all": {}}
        if conditions:
            core = {"bool": {"must": [core], "filter": conditions}}
        body: dict[str, Any] = {
            "query": core,
            "from": (page - 1) * limit,
            "size": limit,
            "track_total_hits": True,
        }
        order = _sorting(sort, schema)
        if order is not None:
            body["sort"] = order
        elif plan.rescore:
            # The best matches reordered by neighbouring words, as the local second phase.
            window = max(options.rerank_depth, page * limit)
            body["rescore"] = {"window_size": window, "query": {
                "rescore_query": {"bool": {"should": plan.rescore}},
                "query_weight": 1.0, "rescore_query_weight": 1.0, "score_mode": "total",
            }}
        params = {"search_type": "dfs_query_then_fetch"} if self.global_statistics else None
        response = self.client.search(index=self.name, body=body, params=params)
        hits = tuple(
            self._hit(body["from"] + i + 1, raw, plan.terms, snippets, options)
            for i, raw in enumerate(response["hits"]["hits"])
        )
        return local.Results(
            query=query,
            hits=hits,
            total=int(response["hits"]["total"]["value"]),
            page=page,
            limit=limit,
            parsed=json.dumps(core, ensure_ascii=False),
            ignored=tuple(ignored),
            suggestion=None,
            seconds=time.perf_counter() - started,
        )

    def _hit(
        self, rank: int, raw: Mapping[str, Any], terms: dsl.QueryTerms, snippets: bool, options: local.SearchSettings
    ) -> local.Hit:
        stored = dict(raw.get("_source") or {})
        title, body = stored.pop("title", ""), stored.pop("body", "")
        score = float(raw.get("_score") or 0.0)
        if options.all_words_first:
            score %= dsl.ADJACENT_BONUS  # the tier bonuses order hits; the score shown is BM25
        fragments: tuple[local.Snippet, ...] = ()
        title_snippet = None
        if snippets:
            title_snippet = local.whole_snippet(title, _spans(title, terms), field="title")
            fragments = local.make_snippets(body, _spans(body, terms))
            if not fragments:
                lead = local.lead_snippet(body)
                fragments = (lead,) if lead else ()
        date = stored.pop("date", None)
        extra = {}
        for spec in self.schema.extra_fields:
            if spec.name in stored:
                value = stored.pop(spec.name)
                if spec.type == "date" and isinstance(value, str):
                    value = _dt.datetime.fromisoformat(value)
                elif spec.type == "keyword" and isinstance(value, list):
                    value = ",".join(value)
                extra[spec.name] = value
        return local.Hit(
            id=stored.pop("id", raw.get("_id")),
            rank=rank,
            score=score,
            title=title,
            body=body,
            date=_dt.datetime.fromisoformat(date) if isinstance(date, str) else None,
            url=stored.pop("url", None),
            tags=tuple(stored.pop("tags", ()) or ()),
            fields=extra,
            snippets=fragments,
            title_snippet=title_snippet,
        )


def _spans(text: str, terms: dsl.QueryTerms) -> list[tuple[int, int]]:
    """Where the query matched in ``text``: its terms, and the words its prefixes and typo
    words stand for (those the engine expanded, found again in the text)."""
    exact, folded = set(terms.exact), set(terms.folded)
    if text and (terms.prefixes or terms.fuzzy):
        for unit in local.units(text, words=False):
            word = local.fold(unit.text)
            if any(word.startswith(p) for p in terms.prefixes) or any(
                word[:1] == f[:1] and _within(word, f, d) for f, d in terms.fuzzy
            ):
                folded.add(word)
    return local.find_spans(text, exact, folded)


def _within(a: str, b: str, distance: int) -> bool:
    """Levenshtein distance of ``a`` and ``b`` at most ``distance`` (small: a banded table)."""
    if abs(len(a) - len(b)) > distance:
        return False
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > distance:
            return False
        previous = current
    return previous[-1] <= distance


def _text_chars(source: Mapping[str, Any]) -> int:
    """The characters of a document's strings (the originals, encodings and copies)."""
    return sum(
        len(v) if isinstance(v, str) else sum(len(x) for x in v if isinstance(x, str)) if isinstance(v, list) else 0
        for v in source.values()
    )


def _action_pairs(actions: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Bulk lines grouped by action: an index action and its source, or a delete alone."""
    pairs: list[list[dict[str, Any]]] = []
    i = 0
    while i < len(actions):
        if "delete" in actions[i]:
            pairs.append([actions[i]])
            i += 1
        else:
            pairs.append(actions[i : i + 2])
            i += 2
    return pairs


def _reason(error: Any) -> str:
    if isinstance(error, Mapping):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}"
        cause = error.get("caused_by")
        return text + (f" ({_reason(cause)})" if cause else "")
    return str(error)


def _skip(doc: local.Document, reason: str) -> local.SkippedRecord:
    path, _, line = (doc.source or "").rpartition(":")
    if path and line.isdigit():
        return local.SkippedRecord(path, int(line), f"{doc.id}: {reason}")
    return local.SkippedRecord(doc.source, None, f"{doc.id}: {reason}")


def _progress_of(run: _Run) -> local.Progress:
    return local.Progress(run.documents, run.characters, len(run.skipped), time.perf_counter() - run.started)


def _sorting(sort: str | None, schema: local.IndexSchema) -> list[Any] | None:
    if sort in (None, "", "relevance"):
        return None
    if sort in ("date", "newest", "oldest"):
        # Dated documents first either way, as the local engine sorts.
        return [{"date": {"order": "asc" if sort == "oldest" else "desc", "missing": "_last"}}, "_doc"]
    name = sort.lstrip("-")
    if name not in schema or schema[name].type not in ("date", "number", "keyword", "id"):
        raise local.SchemaError(f"cannot sort by {sort!r}: use relevance, date, oldest or a date or number field")
    return [{name: {"order": "desc" if sort.startswith("-") else "asc"}}]
