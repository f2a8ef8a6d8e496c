"""Search results as data: :class:`Results` of :class:`Hit` objects with their snippets.

Plain values, frozen; rendering to text, ANSI and HTML is in :mod:`vnsearch.display`.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from vnsearch import display
from vnsearch.errors import VnsearchError
from vnsearch.highlight import Snippet
from vnsearch.schema import RESERVED_NAMES
from vnsearch.vietnamese.text import strip_controls

__all__ = ["Hit", "Results", "HIGHLIGHT_TAGS"]

HIGHLIGHT_TAGS = ("<mark>", "</mark>")


@dataclass(frozen=True)
class Hit:
    """One search result: its stored fields, rank, score and highlighted snippets.

    ``score`` is the relevance shown, never above the score of the hit ranked before it;
    ``raw_score`` is the score the hit was ranked by within its tier (see
    :mod:`vnsearch.ranking`), which a hit of a lower tier may have higher.
    """

    id: str
    rank: int
    score: float
    title: str = ""
    body: str = field(default="", repr=False)
    date: _dt.datetime | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    fields: Mapping[str, Any] = field(default_factory=dict, repr=False)
    snippets: tuple[Snippet, ...] = field(default=(), repr=False)
    title_snippet: Snippet | None = field(default=None, repr=False)
    raw_score: float | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.raw_score is None:
            object.__setattr__(self, "raw_score", self.score)

    def to_dict(self, highlight_tags: tuple[str, str] = HIGHLIGHT_TAGS) -> dict[str, Any]:
        """Plain data (snippets as HTML strings, matches between ``highlight_tags``), ready
        for JSON.

        Extra fields sit beside the hit's own keys; one an old index named like a key of
        :data:`~vnsearch.schema.RESERVED_NAMES` goes under ``"fields"`` instead of over it.
        """
        pre, post = highlight_tags
        data: dict[str, Any] = {
            "id": strip_controls(self.id),
            "rank": self.rank,
            "score": round(self.score, 4),
            "title": _plain(self.title),
            **({"title_html": self.title_snippet.to_html(pre=pre, post=post)} if self.title_snippet else {}),
            "date": self.date.isoformat() if self.date else None,
            "url": _plain(self.url),
            "tags": [_plain(tag) for tag in self.tags],
            "snippets": [s.to_html(pre=pre, post=post) for s in self.snippets],
        }
        for key, value in self.fields.items():
            if key in RESERVED_NAMES or key in data:
                data.setdefault("fields", {})[key] = _plain(value)
            else:
                data[key] = _plain(value)
        return data


def _plain(value: Any) -> Any:
    # For display and JSON: what the index stores keeps its controls, what is shown does not.
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return strip_controls(value, keep="\n\t")
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {strip_controls(str(key)): _plain(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Results:
    """The hits of one page of a search, with what is needed to show it.

    Iterate it for :class:`Hit` objects; ``total`` counts every matching document, and
    ``facets`` maps each facet asked for to its values' counts over all of them.
    """

    query: str
    hits: tuple[Hit, ...]
    total: int
    page: int = 1
    limit: int = 10
    parsed: str = ""
    ignored: tuple[str, ...] = ()
    suggestion: str | None = None
    seconds: float = 0.0
    offset: int | None = None
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    highlight_tags: tuple[str, str] = HIGHLIGHT_TAGS

    def __post_init__(self) -> None:
        if self.offset is None:
            object.__setattr__(self, "offset", (self.page - 1) * self.limit)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, i: int) -> Hit:
        return self.hits[i]

    @property
    def pages(self) -> int:
        """How many pages of ``limit`` hits the matches fill (at least 1)."""
        return max(1, -(-self.total // self.limit)) if self.limit else 1

    def to_dicts(self) -> list[dict[str, Any]]:
        return [hit.to_dict(self.highlight_tags) for hit in self.hits]

    def to_json_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the paging, the time taken in milliseconds, facets and hits."""
        return {
            "query": strip_controls(self.query),
            "total": self.total,
            "page": self.page,
            "pages": self.pages,
            "limit": self.limit,
            "offset": self.offset,
            "milliseconds": round(self.seconds * 1000, 1),
            "suggestion": _plain(self.suggestion),
            "ignored": [strip_controls(note) for note in self.ignored],
            "facets": {
                strip_controls(name): {_plain(value): n for value, n in counts.items()}
                for name, counts in self.facets.items()
            },
            "hits": self.to_dicts(),
        }

    def to_dataframe(self):
        """The hits as a pandas DataFrame (needs pandas, which vnsearch does not require)."""
        try:
            import pandas as pd  # optional: vnsearch does not depend on pandas
        except ImportError:  # pragma: no cover - depends on the environment
            raise VnsearchError("to_dataframe() needs pandas: pip install pandas") from None
        rows = []
        for hit in self.hits:
            row = hit.to_dict()
            row["snippets"] = " … ".join(s.to_text() for s in hit.snippets)
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return display.results_text(self)

    def _repr_html_(self) -> str:
        return display.results_html(self)
