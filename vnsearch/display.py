"""How results look: text for a terminal or ``repr``, HTML for Jupyter.

Document text is always escaped (HTML) or stripped of control characters (terminal): the only
markup in the output is vnsearch's own ``<mark>`` tags and colours.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from vnsearch.highlight import Snippet
    from vnsearch.results import Hit, Results

__all__ = ["results_html", "results_text", "summary"]

TextStyle = Literal["brackets", "plain", "ansi"]

_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_BOLD, _DIM, _CYAN, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"
_SAFE_URL_RE = re.compile(r"https?://", re.IGNORECASE)

# Scoped to the results block so a notebook's own styles are left alone.
_CSS = """
.vnsearch-results{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:14px;line-height:1.45;max-width:60em}
.vnsearch-results .vs-summary{color:#555;margin:0 0 .4em}
.vnsearch-results .vs-suggest{margin:0 0 .4em}
.vnsearch-results .vs-note{color:#8a6d00;font-size:12px;margin:0 0 .3em}
.vnsearch-results table{border-collapse:collapse;width:100%}
.vnsearch-results td,.vnsearch-results th{padding:.35em .6em;vertical-align:top;text-align:left;border-bottom:1px solid #e5e5e5}
.vnsearch-results th{font-weight:600;color:#555;font-size:12px}
.vnsearch-results .vs-rank,.vnsearch-results .vs-score{color:#777;text-align:right;white-space:nowrap}
.vnsearch-results .vs-date{color:#555;white-space:nowrap}
.vnsearch-results .vs-title{font-weight:600}
.vnsearch-results .vs-id{color:#888;font-size:12px}
.vnsearch-results .vs-snippet{color:#333;margin-top:.2em}
.vnsearch-results mark{background:#ffe58a;color:inherit;padding:0 .1em;border-radius:2px}
""".strip()


def summary(results: Results) -> str:
    """One line: how many results, which of them are shown, the query and the time taken."""
    ms = f"{results.seconds * 1000:.0f} ms"
    if results.total == 0:
        return f"No results for {results.query!r} ({ms})"
    noun = "result" if results.total == 1 else "results"
    if not len(results):
        return f"No results on page {results.page} of {results.pages}: {results.total} {noun} for {results.query!r} ({ms})"
    if len(results) < results.total:
        first = (results.page - 1) * results.limit + 1
        shown = f"{first}–{first + len(results) - 1}"
        return (
            f"{noun.capitalize()} {shown} of {results.total} for {results.query!r} "
            f"(page {results.page} of {results.pages}, {ms})"
        )
    return f"{results.total} {noun} for {results.query!r} ({ms})"


def _clean(text: str) -> str:
    # Document text must not drive the terminal; line breaks would break the layout.
    return _CONTROL_RE.sub(" ", text)


def _snippet_text(snippet: Snippet, style: TextStyle) -> str:
    if style == "ansi":
        return snippet.to_ansi()
    if style == "brackets":
        return _clean(snippet.to_text("[", "]"))
    return _clean(snippet.to_text())


def _meta(hit: Hit) -> str:
    parts = [f"{hit.date:%Y-%m-%d}"] if hit.date else []
    parts.append(f"score {hit.score:.2f}")
    parts.append(hit.url or hit.id)
    return " · ".join(_clean(p) for p in parts)


def results_text(results: Results, *, style: TextStyle = "brackets", snippets: int = 1) -> str:
    """A readable listing: rank, title, date, score, id or url, and the first snippets.

    ``style`` marks the matches: ``"brackets"`` (``[Hải Phòng]``, for ``repr``), ``"plain"``
    (no marks, for pipes) or ``"ansi"`` (colours, for a terminal).
    """
    ansi = style == "ansi"
    lines = [summary(results)]
    if results.suggestion:
        suggestion = f"Did you mean {_clean(results.suggestion)!r}?"
        lines.append(f"{_BOLD}{suggestion}{_RESET}" if ansi else suggestion)
    for note in results.ignored:
        lines.append(f"Note: ignored {_clean(note)}")
    for hit in results:
        title = _clean(hit.title or hit.id)
        if hit.title_snippet is not None and hit.title:
            title = _snippet_text(hit.title_snippet, style)
        rank = f"{hit.rank:>3}."
        meta = _meta(hit)
        if ansi:
            rank, meta = f"{_CYAN}{rank}{_RESET}", f"{_DIM}{meta}{_RESET}"
        lines.append("")
        lines.append(f"{rank} {title}")
        lines.append(f"     {meta}")
        for snippet in hit.snippets[:snippets]:
            lines.append(f"     {_snippet_text(snippet, style)}")
    return "\n".join(lines)


def _title_html(hit: Hit) -> str:
    if hit.title_snippet is not None and hit.title:
        title = hit.title_snippet.to_html()
    else:
        title = html.escape(hit.title or hit.id)
    # Only web links: a javascript: URL from a document must not become clickable.
    if hit.url and _SAFE_URL_RE.match(hit.url):
        url = html.escape(hit.url, quote=True)
        return f'<a href="{url}" target="_blank" rel="noopener noreferrer">{title}</a>'
    return title


def results_html(results: Results) -> str:
    """An HTML table for notebooks: rank, title, date, score and highlighted snippets.

    Document text is escaped; the only tags from the documents' side are vnsearch's <mark>.
    """
    parts = [f'<div class="vnsearch-results"><style>{_CSS}</style>']
    parts.append(f'<p class="vs-summary">{html.escape(summary(results))}</p>')
    if results.suggestion:
        parts.append(f'<p class="vs-suggest">Did you mean <b>{html.escape(results.suggestion)}</b>?</p>')
    for note in results.ignored:
        parts.append(f'<p class="vs-note">Note: ignored {html.escape(note)}</p>')
    if len(results):
        parts.append(
            '<table><thead><tr><th class="vs-rank">#</th><th>document</th><th>date</th>'
            '<th class="vs-score">score</th></tr></thead><tbody>'
        )
        for hit in results:
            snippets = "".join(f'<div class="vs-snippet">{s.to_html()}</div>' for s in hit.snippets)
            date = f"{hit.date:%Y-%m-%d}" if hit.date else ""
            parts.append(
                f'<tr><td class="vs-rank">{hit.rank}</td>'
                f'<td><div class="vs-title">{_title_html(hit)}</div>'
                f'<div class="vs-id">{html.escape(hit.id)}</div>{snippets}</td>'
                f'<td class="vs-date">{date}</td>'
                f'<td class="vs-score">{hit.score:.2f}</td></tr>'
            )
        parts.append("</tbody></table>")
    parts.append("</div>")
    return "".join(parts)
