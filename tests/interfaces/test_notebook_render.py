"""The notebook table as JupyterLab, classic Notebook and VS Code show it, light and dark:
real renders (nbconvert's lab and classic templates, with JupyterLab's own theme styles, and
a page with VS Code's theme variables) in headless Chromium, measured and saved as
screenshots in each test's temporary folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

nbconvert = pytest.importorskip("nbconvert", reason="nbconvert is not installed")
nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import vnsearch  # noqa: E402

CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium", shutil.which("chromium-browser")) if p and Path(p).exists()), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

ARTICLES = [
    {"id": "hp-1", "title": "Đảng ủy Khối các cơ quan thành phố Hải Phòng họp",
     "body": "Chiều 10/7/2019, Đảng ủy Khối các cơ quan thành phố Hải Phòng tổ chức hội nghị Ban Chấp hành "
             "lần thứ 20 để đánh giá kết quả công tác 6 tháng đầu năm và triển khai nhiệm vụ những tháng cuối năm.",
     "date": "2019-07-10", "url": "https://example.vn/hai-phong"},
    {"id": "hp-2", "title": "Cảng Hải Phòng đón tàu lớn", "body": "Cảng Lạch Huyện ở Hải Phòng đón tàu container.",
     "date": "2021-03-02"},
]
# The theme variables VS Code gives a notebook's output (its default dark and light themes).
VSCODE = {
    "dark": {"background": "#1f1f1f", "--vscode-editor-foreground": "#cccccc",
             "--vscode-textLink-foreground": "#4daafc", "--vscode-editorWidget-border": "#454545"},
    "light": {"background": "#ffffff", "--vscode-editor-foreground": "#3b3b3b",
              "--vscode-textLink-foreground": "#005fb8", "--vscode-editorWidget-border": "#c8c8c8"},
}

# Luminance contrast (WCAG) of an element's text against what is behind it, opacity included.
MEASURE = """
(selector) => {
  const rgba = (text) => { const m = text.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const el = document.querySelector(selector);
  let bg = null, alpha = 1;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    alpha *= parseFloat(style.opacity);
    const back = rgba(style.backgroundColor);
    if (!bg && back[3] > 0.5) bg = back;
  }
  bg = bg || [255, 255, 255, 1];
  const fg = rgba(getComputedStyle(el).color);
  const a = fg[3] * alpha;
  const seen = [0, 1, 2].map((i) => a * fg[i] + (1 - a) * bg[i]);
  const [hi, lo] = [lum(seen), lum(bg)].sort((x, y) => y - x);
  return { contrast: (hi + 0.05) / (lo + 0.05), background: lum(bg), align: getComputedStyle(el).textAlign };
}
"""


@pytest.fixture(scope="module")
def table_html() -> str:
    index = vnsearch.Index.create(None)
    index.add(ARTICLES)
    return index.search("hai phong")._repr_html_()


def notebook(table_html: str):
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    output = new_output("execute_result", data={"text/html": table_html, "text/plain": "Results"}, execution_count=1)
    return new_notebook(cells=[new_code_cell('index.search("hai phong")', outputs=[output], execution_count=1)])


def render(kind: str, theme: str, table_html: str, folder: Path) -> Path:
    if kind == "vscode":
        variables = ";".join(f"{k}:{v}" for k, v in VSCODE[theme].items())
        page = (f'<!doctype html><html><head><meta charset="utf-8"></head>'
                f'<body style="margin:16px;font-family:sans-serif;{variables};color:var(--vscode-editor-foreground)">'
                f'<div class="output">{table_html}</div></body></html>')
    else:
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name=kind, **({"theme": theme} if kind == "lab" else {}))
        page, _ = exporter.from_notebook_node(notebook(table_html))
    path = folder / f"{kind}-{theme}.html"
    path.write_text(page, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        launched = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        launched.close()


@pytest.mark.parametrize("kind, theme", [("lab", "light"), ("lab", "dark"), ("classic", "light"),
                                         ("vscode", "light"), ("vscode", "dark")])
def test_the_table_reads_well(browser, table_html, tmp_path, kind, theme):
    path = render(kind, theme, table_html, tmp_path)
    context = browser.new_context(viewport={"width": 1000, "height": 700}, color_scheme=theme)
    page = context.new_page()
    # Offline, as in the tests' sandbox: the templates' CDN scripts (MathJax, RequireJS) are cut off.
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort())
    page.goto(path.as_uri())
    page.wait_for_selector(".vnsearch-results table")
    page.locator(".vnsearch-results").screenshot(path=str(tmp_path / f"{kind}-{theme}.png"))
    for selector, least in ((".vs-snippet", 4.5), (".vs-title", 4.5), (".vnsearch-results mark", 4.5),
                            (".vs-summary", 3.0), (".vs-id", 3.0), ("td.vs-date", 3.0)):
        measured = page.evaluate(MEASURE, selector)
        assert measured["contrast"] >= least, (selector, measured)
    if theme == "dark":
        assert page.evaluate(MEASURE, ".vs-snippet")["background"] < 0.1  # the theme's dark background
    # Left-aligned text, and the document column takes most of the width.
    cell = ".vnsearch-results tbody tr td:nth-child(2)"
    assert page.evaluate(MEASURE, cell)["align"] in ("left", "start")
    assert page.evaluate(MEASURE, ".vnsearch-results thead th:nth-child(2)")["align"] in ("left", "start")
    widths = page.evaluate(f"""() => [document.querySelector('{cell}').getBoundingClientRect().width,
                                     document.querySelector('.vnsearch-results table').getBoundingClientRect().width,
                                     document.querySelector('.vnsearch-results table').getBoundingClientRect().left
                                     - document.querySelector('.vnsearch-results').getBoundingClientRect().left]""")
    assert widths[0] > 0.7 * widths[1] and widths[1] > 500
    assert abs(widths[2]) < 2  # not centred
    context.close()
