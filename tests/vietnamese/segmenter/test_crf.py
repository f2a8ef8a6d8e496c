"""vnsearch.vietnamese.segmenter.crf: the model read from its bytes tags as crfsuite does."""

from __future__ import annotations

import pytest

from vnsearch.vietnamese import segmenter
from vnsearch.vietnamese.segmenter import crf, features, model, pieces


def _sample_sequences(texts):
    for text in texts:
        for line in [*text.splitlines(), text.upper()]:
            found = pieces(line)
            if found:
                yield segmenter._robust_infos(found)
                yield [segmenter._info(piece) for piece in found]


def test_own_viterbi_gives_crfsuites_labels(sample_texts):
    viterbi = model.pyvi_model().crf
    assert viterbi is not None and viterbi.labels == ("B_W", "I_W")
    tagger = model.crfsuite_tagger()
    sequences = list(_sample_sequences(sample_texts))
    assert sum(map(len, sequences)) > 5000
    for infos in sequences:
        assert viterbi.tag(infos, features.dictionary_codes(infos)) == tagger.tag(
            features.crfsuite_attributes(infos)
        )


@pytest.mark.parametrize("cut", [0, 3, 48, 1000, -100])
def test_a_model_that_cannot_be_read_gives_no_weights(cut):
    data = model.pyvi_model().crfsuite
    assert crf.read_crf(data) is not None
    assert crf.read_crf(data[:cut]) is None
    assert crf.read_crf(b"lCRF" + bytes(100)) is None


def test_the_attribute_dictionary_holds_every_weighted_attribute():
    data = model.pyvi_model().crfsuite
    attributes, read = crf.read_attributes(data), crf.read_crf(data)
    assert attributes is not None and read is not None
    assert set(read.weights) <= attributes
    assert "word.lower():hà".encode() in attributes and b"-1:word.bi_gram()" in attributes
    assert crf.read_attributes(b"lCRF" + bytes(100)) is None
