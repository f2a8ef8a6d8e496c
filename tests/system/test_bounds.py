"""Bounds: highlighting is linear in the text and a snippet never exceeds its crop."""

from __future__ import annotations

import pytest

from vnsearch.highlight import FRAGMENT_CHARS, find_spans, make_snippets


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000 + " chợ phiên " + "b" * 200_000,  # a word far longer than the crop
        "chợ" + "x" * 300_000,  # a match inside a huge word: no hit, no snippet
        "x" * 300_000 + "chợ",
        " ".join(["chợ"] * 50_000),  # one line, 50,000 matches
        ("Chợ" + "\u0301" * 5000 + " chợ ") * 20,  # combining marks piled on a syllable
    ],
)
def test_a_snippet_is_never_longer_than_its_crop(text):
    spans = find_spans(text, {"chợ"}, {"cho"})
    for snippet in make_snippets(text, spans):
        assert len(snippet.text) <= FRAGMENT_CHARS
        for s, e in snippet.spans:
            assert 0 <= s < e <= len(snippet.text)


def test_highlighting_a_text_without_line_breaks_is_linear():
    """16 times the text, about 16 times the characters the stretch searches may look at
    (counted, not timed; before, each match searched back to the start of the text)."""
    small = " ".join(["chợ phiên"] * 2_000)
    large = " ".join(["chợ phiên"] * 32_000)
    import vnsearch.highlight as highlight

    def measure(text: str) -> int:
        total = 0
        original_start, original_end = highlight._stretch_start, highlight._stretch_end

        def start(t, pos, lo=0):
            nonlocal total
            total += pos - lo
            return original_start(t, pos, lo)

        def end(t, pos):
            nonlocal total
            result = original_end(t, pos)
            total += result - pos
            return result

        highlight._stretch_start, highlight._stretch_end = start, end
        try:
            spans = find_spans(text, {"chợ"}, {"cho"})
            make_snippets(text, spans)
        finally:
            highlight._stretch_start, highlight._stretch_end = original_start, original_end
        return total

    ratio = measure(large) / measure(small)
    assert ratio < 20, ratio


def test_a_query_has_an_expansion_budget_and_says_what_it_cut():
    import vnsearch

    index = vnsearch.Index.create(None)
    index.add([{"id": str(i), "body": f"ab{i} cd{i} chợ"} for i in range(300)])
    results = index.search("ab* cd*", max_query_expansions=50, max_expansions=200)
    assert any("expansion budget" in note and "cd" in note for note in results.ignored), results.ignored
    assert results.total == 50  # the first 50 expansions of ab*; cd searched as typed matches none
    whole = index.search("ab* cd*")  # 200 terms each: within the default budget of 1,000
    assert not any("expansion budget" in note for note in whole.ignored)
    assert whole.total == 200


def test_snippet_text_carries_no_controls_or_bidi_overrides():
    from vnsearch.highlight import _ANSI_MARK, _ANSI_RESET, find_spans, make_snippets

    text = "chợ \x1b[2J phiên \x9b31m \x7f \u202eđảo\u202c \u2066x\u2069 \x07 chợ"
    for snippet in make_snippets(text, find_spans(text, {"chợ"}, {"cho"})):
        ansi = snippet.to_ansi().replace(_ANSI_MARK, "").replace(_ANSI_RESET, "")  # its own marks
        for rendered in (snippet.to_text(), ansi, str(snippet)):
            assert not any(ch in rendered for ch in "\x1b\x9b\x7f\u202e\u202c\u2066\u2069\x07"), rendered


def test_a_gzip_bomb_through_the_command_names_the_file_and_the_flag(tmp_path, capsys):
    """``vnsearch index`` with small limits: a bomb stops with a DocumentError, the flag raises it."""
    import gzip

    from vnsearch import cli

    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb") as out:
        out.write(b'{"body": "xin ch\xc3\xa0o"}\n' * 50_000)  # 1.2 MB unpacked
    code = cli.main(["index", str(bomb), "--index", str(tmp_path / "ix"), "--max-file-bytes", "100000"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_ERROR
    assert str(bomb) in err and "--max-file-bytes" in err


def test_add_path_skips_a_record_over_the_limit_and_keeps_the_others(tmp_path):
    from vnsearch.index import Index

    path = tmp_path / "news.jsonl"
    path.write_text(
        '{"id": "a", "body": "chợ phiên"}\n{"id": "b", "body": "' + "a" * 5_000 + '"}\n{"id": "c", "body": "hà nội"}\n',
        encoding="utf-8",
    )
    index = Index.create(tmp_path / "ix")
    report = index.add_path(path, errors="skip", max_record_chars=1_000)
    assert report.added == 2
    assert [(s.path, s.line) for s in report.skipped] == [(str(path), 2)]
    index.close()
