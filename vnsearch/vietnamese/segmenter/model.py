"""pyvi's model, loaded without pyvi: the crfsuite bytes from its pickle, the words from its list.

A restricted unpickler reads ``models/pyvi3.pkl`` of the installed pyvi package with stand-ins
for the scikit-learn and numpy classes pickled in it, so neither is imported; the CRF's weights
are then read from the bytes (:mod:`~vnsearch.vietnamese.segmenter.crf`). pycrfsuite tags only
a model whose layout is not the expected one.
"""

from __future__ import annotations

import codecs
import importlib.util
import pickle
import struct
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from vnsearch.errors import VnsearchError
from vnsearch.vietnamese.segmenter.crf import Crf, read_attributes, read_crf

if TYPE_CHECKING:
    import pycrfsuite

__all__ = ["PyviModel", "pyvi_model", "crfsuite_tagger"]

_MODEL_FILE = "models/pyvi3.pkl"
_WORDS_FILE = "models/words.txt"


class PyviModel(NamedTuple):
    """pyvi's model: the crfsuite model bytes and the dictionary's two- and three-syllable
    words, keyed by first syllable (then second) so that lookups build no strings."""

    crfsuite: bytes
    attributes: frozenset[bytes] | None  # the attributes the CRF has weights for, if readable
    bigrams: dict[str, frozenset[str]]
    trigrams: dict[str, dict[str, frozenset[str]]]
    crf: Crf | None = None  # the CRF's weights, when the model's layout is the expected one


class _Stub:
    """Stands in for a class pickled with pyvi's model: accepts any arguments, keeps state."""

    def __init__(self, *args: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, dict):
            self.__dict__.update(state)


def _numpy_scalar(dtype: _Stub, data: bytes) -> float:
    """numpy.float64 from its pickled bytes, without numpy (the model pickles only f8)."""
    if len(data) != 8:
        raise pickle.UnpicklingError("unexpected numpy scalar in pyvi's model")
    return struct.unpack("<d", data)[0]


_STAND_INS: dict[tuple[str, str], Any] = {
    ("sklearn_crfsuite.estimator", "CRF"): _Stub,
    ("sklearn_crfsuite._fileresource", "FileResource"): _Stub,
    ("pycrfsuite._logparser", "TrainLogParser"): _Stub,
    ("numpy", "dtype"): _Stub,
    ("numpy.core.multiarray", "scalar"): _numpy_scalar,
    ("numpy._core.multiarray", "scalar"): _numpy_scalar,
    ("_codecs", "encode"): codecs.encode,  # how protocol 2 stores bytes
}


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles pyvi's CRF with stand-ins; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _STAND_INS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(f"unexpected {module}.{name} in pyvi's model") from None


def _pyvi_dir() -> Path:
    """The installed pyvi package's directory, found without importing pyvi."""
    spec = importlib.util.find_spec("pyvi")
    if spec is None or not spec.submodule_search_locations:
        raise VnsearchError("pyvi is not installed; vnsearch needs its model (pip install pyvi)")
    return Path(next(iter(spec.submodule_search_locations)))


def _load_model() -> PyviModel:
    """Read the crfsuite bytes from pyvi's pickle and the dictionary from words.txt."""
    root = _pyvi_dir()
    with open(root / _MODEL_FILE, "rb") as f:
        crf = _ModelUnpickler(f).load()
    data = crf.modelfile.__dict__.get("__FILE_RESOURCE_DATA__")
    if not isinstance(data, bytes):
        raise VnsearchError(f"no crfsuite model inside {root / _MODEL_FILE}")
    # pyvi reads words.txt with codecs.open, which splits on "\n" only; so do we.
    words = (root / _WORDS_FILE).read_bytes().decode("utf-8").split("\n")
    bigrams: dict[str, set[str]] = {}
    trigrams: dict[str, dict[str, set[str]]] = {}
    for word in words:
        syllables = word.split(" ")
        if len(syllables) == 2:
            bigrams.setdefault(syllables[0], set()).add(syllables[1])
        elif len(syllables) == 3:
            first, second, third = syllables
            trigrams.setdefault(first, {}).setdefault(second, set()).add(third)
    return PyviModel(
        data,
        read_attributes(data),
        {first: frozenset(ends) for first, ends in bigrams.items()},
        {
            first: {second: frozenset(ends) for second, ends in seconds.items()}
            for first, seconds in trigrams.items()
        },
        read_crf(data),
    )


_lock = threading.Lock()
_loaded: PyviModel | None = None
_local = threading.local()


def pyvi_model() -> PyviModel:
    """pyvi's model, loaded on first use, once per process."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _load_model()
    return _loaded


def crfsuite_tagger() -> pycrfsuite.Tagger:
    """This thread's tagger: a crfsuite tagger holds the sequence being tagged."""
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        # imported only for a model whose weights read_crf cannot read: tagging needs no crfsuite
        import pycrfsuite

        model = pyvi_model()
        tagger = pycrfsuite.Tagger()
        # the bytes stay referenced by _loaded for as long as the tagger reads them
        tagger.open_inmemory(model.crfsuite)
        _local.tagger = tagger
    return tagger
