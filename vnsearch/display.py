"""How results look: plain text for a terminal or ``repr``, HTML for Jupyter."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vnsearch.searcher import Results

__all__ = ["results_text", "results_html"]


def _summary(results: "Results") -> str:
    shown = f"{len(results)} of {results.total}" if results.total > len(results) else f"{results.total}"
    text = f"{shown} results for {results.query!r} ({results.seconds * 1000:.0f} ms)"
    if results.suggestion:
        text += f"; did you mean {results.suggestion!r}?"
    return text


def results_text(results: "Results") -> str:
    """A readable listing: rank, title, date, score and the first snippet of each hit."""
    lines = [_summary(results)]
    for hit in results:
        date = f" ({hit.date:%Y-%m-%d})" if hit.date else ""
        lines.append(f"{hit.rank:>3}. {hit.title or hit.id}{date}  [{hit.score:.2f}]")
        for snippet in hit.snippets[:1]:
            lines.append(f"     {snippet.to_text('[', ']')}")
    for note in results.ignored:
        lines.append(f"note: ignored {note}")
    return "\n".join(lines)


def results_html(results: "Results") -> str:
    """An HTML table for notebooks; document text is escaped, only vnsearch's <mark> is markup."""
    rows = []
    for hit in results:
        title = hit.title_snippet.to_html() if hit.title_snippet else html.escape(hit.title or hit.id)
        snippets = "<br>".join(s.to_html() for s in hit.snippets)
        date = f"{hit.date:%Y-%m-%d}" if hit.date else ""
        rows.append(
            f"<tr><td>{hit.rank}</td><td><b>{title}</b><br><small>{snippets}</small></td>"
            f"<td>{html.escape(date)}</td><td>{hit.score:.2f}</td></tr>"
        )
    head = "<tr><th>#</th><th>title / snippet</th><th>date</th><th>score</th></tr>"
    return (
        f"<div class='vnsearch-results'><p>{html.escape(_summary(results))}</p>"
        f"<table>{head}{''.join(rows)}</table></div>"
    )
