"""vnsearch.vietnamese.segmenter.features: each piece's attributes, in pyvi's order."""

from __future__ import annotations

from vnsearch.vietnamese.segmenter import _info, features, model


def test_attributes_are_pyvis_features_in_pyvis_order():
    infos = [_info("Thành"), _info("phố")]
    assert features.crfsuite_attributes(infos) == [
        [b"bias", "word.lower():thành".encode(), b"word.istitle()", "+1:word.lower():phố".encode(), b"+1:word.bi_gram()"],
        [b"bias", "word.lower():phố".encode(), "-1:word.lower():thành".encode(), b"-1:word.istitle()", b"-1:word.bi_gram()"],
    ]


def test_dictionary_codes_mark_two_and_three_syllable_words():
    assert features.dictionary_codes([_info("thành"), _info("phố")]) == [0, 1, 0, 0]
    first, seconds = next((k, v) for k, v in model.pyvi_model().trigrams.items() if v)
    second, thirds = next(iter(seconds.items()))
    trigram = [_info(first), _info(second), _info(next(iter(thirds)))]
    assert features.dictionary_codes(trigram)[2] & 2
    assert features.dictionary_codes([]) == [0, 0, 0]


def test_pieces_that_block_a_join_or_vote_on_capitals():
    number, dot, acronym, word, letter = (_info(p) for p in ["10", ".", "UBND", "Hà", "A"])
    assert number.blocks and dot.blocks and not word.blocks
    assert word.title_start and word.alpha and not number.alpha
    assert (acronym.capitals, word.capitals, letter.capitals) == (1, -1, 0)
    assert dot.ends_sentence and not word.ends_sentence
    assert b"word.isdigit()" in number.own


def test_the_edge_contributes_nothing():
    edge = features.EDGE
    assert edge.own == edge.as_previous == edge.as_next == ()
    assert edge.previous_weights == edge.next_weights == ()
