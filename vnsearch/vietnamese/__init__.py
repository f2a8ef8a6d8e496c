"""The Vietnamese language layer: pure Python, never Whoosh or numpy.

* :mod:`~vnsearch.vietnamese.text` normalises and folds text: the only home of the tone
  table, the fold table and the ``y``/``i`` rule;
* :mod:`~vnsearch.vietnamese.pieces` holds the regular expressions that cut text into
  syllables, numbers, URLs and e-mails;
* :mod:`~vnsearch.vietnamese.units` gives the syllable and word units of a text with exact
  offsets, which :mod:`vnsearch.analysis` turns into Whoosh tokens;
* :mod:`~vnsearch.vietnamese.segmenter` finds pyvi's words with pyvi's own CRF model
  (``features``, ``crf`` and ``model`` inside it).
"""
