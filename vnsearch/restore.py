"""Diacritic restoration from an index's own vocabulary.

A query typed without accents (``bao nhieu nguoi``) is matched through the folded fields,
where ``nguoi`` stands for ``người`` and ``ngươi`` alike. Restoring the likely accents from
the words the index holds gives the exact fields something to add: runs of two or three
syllables are restored as the commonest indexed word with that folded form (``bao_nhiêu``),
and the syllables left over as their commonest accented form.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Iterable

from vnsearch.text import fold

__all__ = ["Vocabulary", "vocabulary"]

_WORD_SIZES = (3, 2)


class Vocabulary:
    """The commonest exact form of each folded term of some exact fields."""

    def __init__(self, best: dict[str, str]):
        self._best = best

    @classmethod
    def from_reader(cls, reader: Any, fieldnames: Iterable[str]) -> "Vocabulary":
        counts: dict[str, tuple[str, int]] = {}
        for fieldname in fieldnames:
            for term, info in reader.iter_field(fieldname):
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                folded = fold.__wrapped__(text)  # uncached: each term is seen once
                df = info.doc_frequency()
                known = counts.get(folded)
                if known is None or df > known[1]:
                    counts[folded] = (text, df)
        return cls({folded: exact for folded, (exact, _) in counts.items()})

    def __len__(self) -> int:
        return len(self._best)

    def get(self, folded: str) -> str | None:
        return self._best.get(folded)

    def restore(self, folded: list[str]) -> tuple[list[str | None], list[str]]:
        """The likely exact form of each folded syllable (``None``: unknown), and the
        exact words found among them.

        >>> v = Vocabulary({"bao_nhieu": "bao_nhiêu", "nguoi": "người", "bao": "báo"})
        >>> v.restore(["bao", "nhieu", "nguoi"])
        (['bao', 'nhiêu', 'người'], ['bao_nhiêu'])
        """
        restored: list[str | None] = [None] * len(folded)
        words: list[str] = []
        i = 0
        while i < len(folded):
            for size in _WORD_SIZES:
                if i + size <= len(folded):
                    word = self._best.get("_".join(folded[i : i + size]))
                    parts = word.split("_") if word else ()
                    if len(parts) == size:
                        restored[i : i + size] = parts
                        words.append(word)
                        i += size
                        break
            else:
                restored[i] = self._best.get(folded[i])
                i += 1
        return restored, words


_CACHE: "weakref.WeakKeyDictionary[Any, Vocabulary]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def vocabulary(reader: Any, fieldnames: tuple[str, ...]) -> Vocabulary:
    """The vocabulary of a reader's exact fields, built once per reader (per commit)."""
    with _LOCK:
        vocab = _CACHE.get(reader)
        if vocab is None:
            vocab = Vocabulary.from_reader(reader, fieldnames)
            _CACHE[reader] = vocab
        return vocab
