"""vnsearch.vietnamese.segmenter.model: pyvi's files read without pyvi, and the crfsuite fallback."""

from __future__ import annotations

import io
import os
import pickle

import pytest

from vnsearch.vietnamese import segmenter
from vnsearch.vietnamese.segmenter import model, pieces, segment


def test_crfsuite_tags_when_the_model_cannot_be_read(monkeypatch, sample_texts):
    loaded = model.pyvi_model()
    lines = [line for text in sample_texts for line in text.splitlines()]
    expected = [segment(pieces(line)) for line in lines]
    monkeypatch.setattr(model, "_loaded", loaded._replace(crf=None))
    monkeypatch.setattr(segmenter, "_info_cache", {})
    monkeypatch.setattr(segmenter, "_robust_cache", {})
    assert [segment(pieces(line)) for line in lines] == expected


def test_the_dictionary_is_keyed_by_syllable():
    loaded = model.pyvi_model()
    assert "cảng" in loaded.bigrams["hải"] and "phố" in loaded.bigrams["thành"]
    assert all(" " not in first for first in loaded.bigrams)
    assert any(loaded.trigrams.values())


def test_the_unpickler_refuses_any_other_global():
    # a pickle calling os.system must not run: only the classes pyvi's model uses are known
    data = pickle.dumps(os.system)
    with pytest.raises(pickle.UnpicklingError, match="unexpected"):
        model._ModelUnpickler(io.BytesIO(data)).load()
