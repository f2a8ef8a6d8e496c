"""Hostile text never reaches a terminal, a JSON reader or a page: no controls, no bidi overrides.

The oracle here is the Unicode database (category Cc, the bidi classes), not vnsearch's own
character set, so a character missing from that set fails these tests.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

import vnsearch
from vnsearch import cli, notebook
from vnsearch.highlight import Snippet

# Every kind of character a document, file name or query could use to drive a terminal.
HOSTILE = "\x1b[2J\x1b]0;owned\x07\x00\x7f\x9b31m\x85\u202e\u2066\u200f\u061c\u200e\x08\r"
_REORDERING = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
_MARKS = {"\u200e", "\u200f", "\u061c"}
# The colours vnsearch itself writes (SGR) and the progress line's erase: the only escapes allowed.
_OWN_ESCAPES = re.compile(r"\x1b\[[0-9;]*m|\r\x1b\[K")


def unsafe(text: str, keep: str = "\n") -> list[str]:
    """The characters of ``text`` that could drive a terminal or reorder what is shown."""
    return [
        c
        for c in text
        if c not in keep
        and (unicodedata.category(c) == "Cc" or unicodedata.bidirectional(c) in _REORDERING or c in _MARKS)
    ]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(notebook.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    notebook.clear()
    yield
    notebook.clear()


def _records() -> list[dict[str, object]]:
    return [
        {
            "id": f"id{HOSTILE}1",
            "title": f"Hải Phòng{HOSTILE} tin",
            "body": f"Đảng ủy Hải Phòng{HOSTILE} họp hội nghị{HOSTILE}. Hải Phòng mưa.",
            "url": f"https://example.vn/{HOSTILE}",
            "tags": [f"thoi-su{HOSTILE}"],
            "source": f"báo{HOSTILE}",
        },
        {"id": "id2", "title": "Hà Nội", "body": f"Hải Phòng và Hà Nội{HOSTILE}"},
    ]


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / f"docs{HOSTILE[:4]}.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records()), encoding="utf-8")
    return path


def _run(capsys, *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("color", ["always", "never"])
def test_search_output_has_no_controls(capsys, corpus, color):
    code, out, err = _run(
        capsys, "search", f"hai phong {HOSTILE}", "--corpus", corpus, "--color", color, "--field", "body"
    )
    assert code == 0, err
    assert "Hải Phòng" in out
    assert unsafe(_OWN_ESCAPES.sub("", out)) == []
    assert unsafe(err) == []


def test_search_json_has_no_controls(capsys, corpus, tmp_path):
    index = vnsearch.Index.create(tmp_path / "ix", fields={"source": "stored"})
    index.add(_records())
    index.close()
    code, out, err = _run(capsys, "search", f"hải phòng {HOSTILE}", "--index", tmp_path / "ix", "--json")
    assert code == 0, err
    assert unsafe(out) == []
    data = json.loads(out)
    assert data["total"] == 2
    values = json.dumps(data, ensure_ascii=False)  # the parsed values too: \u001b escapes would pass
    assert unsafe(values.replace("\\n", "")) == []
    assert any("báo" in str(hit.get("source")) for hit in data["hits"])


def test_stored_documents_keep_their_text(tmp_path):
    index = vnsearch.Index.create(None, fields={"source": "stored"})
    index.add(_records())
    document = index.get(f"id{HOSTILE}1")
    assert document is not None and HOSTILE in document.title


def test_results_repr_and_html_have_no_controls():
    results = vnsearch.search(f"hai phong {HOSTILE}", _records(), field_types={"source": "stored"})
    assert len(results) == 2
    assert unsafe(repr(results)) == []
    assert unsafe(results._repr_html_()) == []
    assert "&lt;" not in HOSTILE and "<script" not in results._repr_html_()


def test_snippet_renderings_have_no_controls():
    text = f"Hải{HOSTILE}Phòng\tvà\nHà Nội"
    snippet = Snippet(text, ((0, 3),))
    assert unsafe(snippet.to_text("[", "]"), keep="\t") == []
    assert "\t" in snippet.to_text()  # a tab is layout
    assert unsafe(snippet.to_html(), keep="\t") == []
    assert unsafe(_OWN_ESCAPES.sub("", snippet.to_ansi()), keep="\t") == []


def test_index_error_naming_a_hostile_file(capsys, tmp_path):
    bad = tmp_path / f"bad{HOSTILE[:4]}\u202e.jsonl"
    bad.write_text('{"id": "1", "title": "x"}\n{not json\n', encoding="utf-8")
    code, out, err = _run(capsys, "index", bad, "--index", tmp_path / f"ix{HOSTILE[:4]}")
    assert code != 0
    assert "bad" in err and "[2J" in err  # the file is still named, harmlessly
    assert unsafe(err) == [] and unsafe(out) == []


def test_index_skipped_lines_name_a_hostile_file(capsys, tmp_path):
    bad = tmp_path / f"bad{HOSTILE[:4]}.jsonl"
    bad.write_text('{"id": "1", "title": "x", "body": "y"}\n{not json\n', encoding="utf-8")
    code, out, err = _run(capsys, "index", bad, "--index", tmp_path / f"ix{HOSTILE[:4]}", "--errors", "skip")
    assert code == 0, err
    assert "skipped 1 record" in out
    assert unsafe(out) == [] and unsafe(err) == []


def test_a_query_error_with_a_bidi_override(capsys, tmp_path):
    code, out, err = _run(capsys, "search", "x", "--index", tmp_path / f"missing\u202e{HOSTILE[:4]}")
    assert code != 0
    assert "missing" in err
    assert unsafe(err) == []
