"""How results look: text for a terminal or ``repr``, HTML for Jupyter.

Document text is always escaped (HTML) or stripped of control characters (terminal): the only
markup in the output is vnsearch's own ``<mark>`` tags and colours.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Literal

from vnsearch.vietnamese.text import strip_controls

if TYPE_CHECKING:
    from vnsearch.highlight import Snippet
    from vnsearch.results import Hit, Results

__all__ = ["results_html", "results_text", "summary"]

TextStyle = Literal["brackets", "plain", "ansi"]

_BOLD, _DIM, _CYAN, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[36m", "\x1b[0m"
_SAFE_URL_RE = re.compile(r"https?://", re.IGNORECASE)

# Scoped to the results block so a notebook's own styles are left alone. Colours come from the
# theme (JupyterLab's --jp-*, VS Code's --vscode-*, else the text's own colour), so light and
# dark themes both read; JupyterLab right-aligns, centres and fixes the layout of output
# tables, which the table.vs-table selectors undo.
_CSS = """
.vnsearch-results{font-family:var(--jp-content-font-family,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);font-size:14px;line-height:1.45;max-width:72em;color:var(--jp-content-font-color1,var(--vscode-editor-foreground,inherit))}
.vnsearch-results .vs-summary,.vnsearch-results .vs-suggest,.vnsearch-results .vs-note{margin:0 0 .4em;text-align:left}
.vnsearch-results .vs-summary,.vnsearch-results .vs-muted{opacity:.78}
.vnsearch-results .vs-note{font-size:12px;font-style:italic}
.vnsearch-results table.vs-table{border-collapse:collapse;width:100%;table-layout:auto;margin:0;border:0;font-size:inherit;color:inherit}
.vnsearch-results table.vs-table td,.vnsearch-results table.vs-table th{padding:.4em .6em;vertical-align:top;text-align:left;border:0;border-bottom:1px solid var(--jp-border-color2,var(--vscode-editorWidget-border,rgba(127,127,127,.35)));background:transparent;color:inherit;max-width:none}
.vnsearch-results table.vs-table tr{background:transparent}
.vnsearch-results table.vs-table th{font-weight:600;font-size:12px;opacity:.78}
.vnsearch-results table.vs-table .vs-rank,.vnsearch-results table.vs-table .vs-score{text-align:right;white-space:nowrap;width:1%;opacity:.78;font-variant-numeric:tabular-nums}
.vnsearch-results table.vs-table .vs-date{white-space:nowrap;width:1%;opacity:.85}
.vnsearch-results .vs-title{font-weight:600}
.vnsearch-results .vs-title a{color:var(--jp-content-link-color,var(--vscode-textLink-foreground,inherit));text-decoration:none}
.vnsearch-results .vs-title a:hover{text-decoration:underline}
.vnsearch-results .vs-id{font-size:12px;opacity:.7}
.vnsearch-results .vs-snippet{margin-top:.2em}
.vnsearch-results mark{background:#ffe58a;color:#1d1f23;padding:0 .1em;border-radius:2px}
""".strip()


def summary(results: Results) -> str:
    """One line: how many results, which of them are shown, the query and the time taken."""
    ms = f"{results.seconds * 1000:.0f} ms"
    query = _clean(results.query)
    if results.total == 0:
        return f"No results for {query!r} ({ms})"
    noun = "result" if results.total == 1 else "results"
    if not len(results):
        return f"No results on page {results.page} of {results.pages}: {results.total} {noun} for {query!r} ({ms})"
    if len(results) < results.total:
        first = (results.offset or 0) + 1
        shown = f"{first}–{first + len(results) - 1}"
        return (
            f"{noun.capitalize()} {shown} of {results.total} for {query!r} "
            f"(page {results.page} of {results.pages}, {ms})"
        )
    return f"{results.total} {noun} for {query!r} ({ms})"


def _clean(text: str) -> str:
    # Document text must not drive the terminal; line breaks would break the layout.
    return strip_controls(text)


def _escape(text: str) -> str:
    # Escaped for HTML, and without controls a reader could copy into a terminal.
    return html.escape(strip_controls(text), quote=True)


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
        title = _escape(hit.title or hit.id)
    # Only web links: a javascript: URL from a document must not become clickable.
    if hit.url and _SAFE_URL_RE.match(hit.url):
        url = _escape(hit.url)
        return f'<a href="{url}" target="_blank" rel="noopener noreferrer">{title}</a>'
    return title


def results_html(results: Results) -> str:
    """An HTML table for notebooks: rank, title, date, score and highlighted snippets.

    Document text is escaped; the only tags from the documents' side are vnsearch's <mark>.
    """
    parts = [f'<div class="vnsearch-results"><style>{_CSS}</style>']
    parts.append(f'<p class="vs-summary">{_escape(summary(results))}</p>')
    if results.suggestion:
        parts.append(f'<p class="vs-suggest">Did you mean <b>{_escape(results.suggestion)}</b>?</p>')
    for note in results.ignored:
        parts.append(f'<p class="vs-note">Note: ignored {_escape(note)}</p>')
    if len(results):
        parts.append(
            '<table class="vs-table"><thead><tr><th class="vs-rank">#</th><th>document</th><th class="vs-date">date</th>'
            '<th class="vs-score">score</th></tr></thead><tbody>'
        )
        for hit in results:
            snippets = "".join(f'<div class="vs-snippet">{s.to_html()}</div>' for s in hit.snippets)
            date = f"{hit.date:%Y-%m-%d}" if hit.date else ""
            parts.append(
                f'<tr><td class="vs-rank">{hit.rank}</td>'
                f'<td><div class="vs-title">{_title_html(hit)}</div>'
                f'<div class="vs-id">{_escape(hit.id)}</div>{snippets}</td>'
                f'<td class="vs-date">{date}</td>'
                f'<td class="vs-score">{hit.score:.2f}</td></tr>'
            )
        parts.append("</tbody></table>")
    parts.append("</div>")
    return "".join(parts)
