"""Helpers the tests of vnsearch.documents share: files written from literal text."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "sample_corpus"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def jsonl(*records: object) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
