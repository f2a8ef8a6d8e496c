"""Fixtures of the language tests: pyvi's own tokenizer (the reference) and the sample articles."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

SAMPLE_CORPUS = Path(__file__).resolve().parents[2] / "sample_corpus"


@pytest.fixture(scope="session")
def vi_tokenizer():
    """pyvi's ViTokenizer module, the reference; its source has invalid escape sequences."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return pytest.importorskip("pyvi.ViTokenizer")


@pytest.fixture(scope="session")
def sample_texts() -> list[str]:
    """The sample articles, whole."""
    files = sorted(SAMPLE_CORPUS.glob("*.txt"))
    assert len(files) >= 5, f"expected the sample articles in {SAMPLE_CORPUS}"
    return [path.read_text(encoding="utf-8") for path in files]
