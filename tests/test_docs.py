"""The README's examples run, every command has help, and CI runs the README's test command."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

import vnsearch
from vnsearch import cli, notebook

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "sample_corpus"
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_SCRIPT = ROOT / ".ci" / "run"
VENV = "python3 -m venv .venv && . .venv/bin/activate && "
TEST_COMMAND = VENV + "pip install -e '.[test]' && python -m pytest"
INSTALL_AND_SEARCH = VENV + 'pip install . && vnsearch search "đảng ủy hải phòng"'

_BLOCK_RE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str | None = None) -> list[tuple[str, str]]:
    """The README's fenced code blocks, in order, as (language, code)."""
    found = [(m.group(1), m.group(2)) for m in _BLOCK_RE.finditer(README)]
    return [b for b in found if language is None or b[0] == language]


def vnsearch_commands(code: str) -> list[list[str]]:
    """The ``vnsearch ...`` commands of a shell block, also after ``&&``, without comments."""
    commands = []
    for line in code.splitlines():
        for part in line.split("&&"):
            words = shlex.split(part, comments=True)
            if words[:1] == ["vnsearch"]:
                commands.append(words[1:])
    return commands


@pytest.fixture
def readme_dir(tmp_path, monkeypatch):
    """A working folder with a copy of the sample corpus and an empty cache."""
    shutil.copytree(SAMPLE_CORPUS, tmp_path / "sample_corpus")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(notebook.CACHE_ENV, str(tmp_path / "cache"))
    notebook.clear()
    yield tmp_path
    notebook.clear()


def test_readme_examples_run_in_order(readme_dir, capsys):
    namespace: dict[str, object] = {"__name__": "__readme__"}
    ran = {"python": 0, "sh": 0}
    for language, code in blocks():
        if language == "python":
            exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
            ran["python"] += 1
        elif language == "sh":
            for args in vnsearch_commands(code):
                status = cli.main(args)
                assert status == 0, (args, capsys.readouterr().err)
                ran["sh"] += 1
    assert ran["python"] >= 3 and ran["sh"] >= 6
    out = capsys.readouterr().out
    # What the comments in the library example say it prints.
    assert "indexed 5 documents" in out
    assert "Hải Phòng\n" in out
    assert "['bao-2', 'bao-1']" in out
    assert "\n6\n" in out


def test_quick_start_has_the_two_commands():
    shell = [code.strip() for language, code in blocks("sh")]
    assert shell[0] == INSTALL_AND_SEARCH
    assert shell[1] == TEST_COMMAND


def test_ci_runs_the_readme_test_command_verbatim():
    script = CI_SCRIPT.read_text(encoding="utf-8")
    # A line of its own that starts with the command (not a comment mentioning it).
    assert any(line.startswith(TEST_COMMAND) for line in script.splitlines())
    assert "set -euo pipefail" in script
    assert "benchmarks/quality.py --beir ../shared/data/xquad-vi --no-peers --min-accented 0.95 --min-unaccented 0.94" in script


def _subcommands() -> list[str]:
    parser = cli.build_parser()
    (action,) = [a for a in parser._actions if a.dest == "command"]
    return sorted(action.choices)


def test_subcommands_are_the_documented_ones():
    assert _subcommands() == ["check", "index", "search", "serve", "stats"]


@pytest.mark.parametrize("command", [[], *[[c] for c in ["index", "search", "serve", "stats", "check"]]])
def test_every_command_has_help(capsys, command):
    assert cli.main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: vnsearch {' '.join(command)}".rstrip())
    assert len(out.splitlines()) > 5


# -- the query syntax table -------------------------------------------------------------------

_ROW_RE = re.compile(r"^\| `(.+?)` \|", re.MULTILINE)
TAGGED = [
    {"id": "bao", "title": "Bão số 3 đổ bộ Hải Phòng", "body": "Gió giật mạnh.", "tags": ["thoi-su"]},
    {"id": "cho", "title": "Chợ phiên Hải Phòng", "body": "Rau sạch.", "tags": ["doi-song"]},
]
SAMPLE = {
    "hp": "2019-07-10-hai-phong-dang-uy-khoi-hoi-nghi.txt",
    "hn": "2019-07-30-ha-noi-chuan-bi-dai-hoi-dang.txt",
    "hbt": "2020-07-10-hai-ba-trung-giao-ban-xay-dung-dang.txt",
    "tinh": "2020-11-06-dang-bo-khoi-tinh-chuong-trinh-toan-khoa.txt",
    "tt": "2021-08-24-hai-phong-thuong-truc-thanh-uy-giao-ban.txt",
}
# The documents some examples must find, exactly (the others must find something).
EXACT = {
    '"hải phòng"': {"hp"},
    'title:"ban chấp hành"': {"hp"},
    'author:"hoàng tùng"': {"hp", "tt"},
    '"đại hội" AND "hà nội"': {"hbt"},
    'đại hội NOT "hà nội"': {"hp", "hn", "tinh", "tt"},
    '(giao ban OR chấp hành) AND "hải phòng"': {"hp"},
    "doanh*": {"tinh"},
    "date:[2020-01-01 TO 2020-12-31]": {"hbt", "tinh"},
    "date:>=2021": {"tt"},
    "hội nghị date:2020": {"hbt", "tinh"},
}


def table_queries() -> list[str]:
    section = README.split("## Query syntax", 1)[1].split("\n## ", 1)[0]
    return _ROW_RE.findall(section)


def test_query_table_lists_the_checked_examples():
    queries = table_queries()
    assert len(queries) >= 15
    assert set(EXACT) <= set(queries)


@pytest.mark.parametrize("query", table_queries())
def test_query_table_examples_work_on_the_sample_corpus(sample_cache, query):
    source = TAGGED if query.startswith("tags:") else None
    results = vnsearch.search(query, source, limit=10, strict=True)
    assert results.total > 0 and not results.ignored
    if query.startswith("tags:"):
        assert [hit.id for hit in results] == ["bao"]
    if query in EXACT:
        assert {hit.id for hit in results} == {SAMPLE[key] for key in EXACT[query]}
