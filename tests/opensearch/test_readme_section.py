"""The README's "More than one machine" commands and code run against the test cluster.

tests/test_docs.py runs the README's ``sh`` and ``python`` blocks without a cluster; this
section's blocks are ``bash`` and ``py`` so that they run here, with ``$URL`` the cluster's.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from vnsearch import cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section() -> str:
    start = README.index("## More than one machine")
    return README[start : README.index("\n## ", start + 1)]


def _blocks(language: str) -> list[str]:
    return [m.group(1) for m in re.finditer(rf"^```{language}\n(.*?)^```", _section(), re.M | re.S)]


def test_the_section_starts_the_cluster_then_indexes_and_searches(cluster_url, client, monkeypatch, capsys):
    (shell,) = _blocks("bash")
    lines = [line for line in shell.splitlines() if line.strip()]
    assert len(lines) == 2 and "tests/opensearch/cluster.sh start" in lines[0]
    monkeypatch.chdir(ROOT)
    try:
        for part in lines[1].split("&&"):
            words = shlex.split(part.replace('"$URL"', cluster_url), comments=True)
            assert words[0] == "vnsearch"
            assert cli.main(words[1:]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert "indexed 5 documents" in out and "5 results for 'dang uy hai phong'" in out
        (code,) = _blocks("py")
        namespace: dict[str, Any] = {"URL": cluster_url}
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
        assert capsys.readouterr().out.strip()
    finally:
        client.indices.delete(index="news", ignore_unavailable=True)


def test_the_settings_command_prints_json(capsys):
    pytest.importorskip("opensearchpy")
    import json

    import vnsearch.opensearch as o

    assert json.loads(json.dumps(o.index_settings({"author": "text"})))["mappings"]["properties"]["author__vn"]
