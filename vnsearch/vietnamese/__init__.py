"""The Vietnamese language layer: pure Python, never Whoosh or numpy.

:mod:`~vnsearch.vietnamese.text` normalises and folds text (the only home of the tone
table); :mod:`~vnsearch.vietnamese.segmenter` finds pyvi's words with pyvi's own CRF model.
"""
