"""Whoosh's ``Positions`` values decoded many at once with numpy, never unpickled.

``whoosh.formats.Positions.encode`` writes a posting's positions as ``pack_uint(n)`` then
``pickle.dumps(deltas, 2)``: for a list of up to 1,000 ints, ``PROTO 2``, ``EMPTY_LIST``,
``BINPUT 0``, then one int and ``APPEND``, or ``MARK``, the ints and ``APPENDS``, each int a
``BININT1``, ``BININT2`` or ``BININT``; then ``STOP``. Unpickling one costs 1-4 us, most of a
phrase query's time. Most values of a batch are read here at once, with numpy: those whose
deltas after the first are all under 256 (``BININT1``), which their length tells, the form
checked byte for byte. Any other value (a wider delta, a list of more than 1,000, damaged or
forged bytes) goes to ``fallback``, Whoosh's own decoder, whose unpickling is the restricted
one (:mod:`~vnsearch.whoosh_ext.pickles`): nothing here runs index bytes.

>>> from whoosh.formats import Positions
>>> values = [Positions().encode([3, 300, 301]), Positions().encode([5]), Positions().encode([0, 70000])]
>>> counts, flat = decode(values, lambda i: Positions().decode_positions(values[i]))
>>> counts.tolist(), flat.tolist()
([3, 1, 2], [3, 300, 301, 5, 0, 70000])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np

__all__ = ["decode"]

_HEAD = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)  # PROTO 2, EMPTY_LIST, BINPUT 0
_COUNT_BYTES = 4  # pack_uint's big-endian count before the pickle
_FRONT = np.arange(_COUNT_BYTES + len(_HEAD) + 1)
_BIG_ENDIAN = np.array([1 << 24, 1 << 16, 1 << 8, 1], dtype=np.int64)
_MARK, _APPEND, _APPENDS, _STOP = b"(", b"a", b"e", b"."
_BATCH = 1000  # pickle writes a longer list in several MARK ... APPENDS: left to the fallback
_WIDTH = np.zeros(256, dtype=np.int64)  # an int opcode's bytes with its argument; 0: not one
_BININT1 = b"K"[0]
_WIDTH[_BININT1], _WIDTH[b"M"[0]], _WIDTH[b"J"[0]] = 2, 3, 5  # BININT1, BININT2, BININT
_FEW = 24  # values in a batch below which Whoosh's decoder, 1-2 us each, is the cheaper
_ARG = np.arange(1, 5)  # an int's argument: the bytes after its opcode
_LITTLE_ENDIAN = np.array([1, 1 << 8, 1 << 16, 1 << 24], dtype=np.int64)
_NONE = np.zeros(0, dtype=np.int64)
_PAD = bytes(16)  # after the joined values: reads past the end stay inside (0: no opcode)


def decode(values: Sequence[bytes], fallback: Callable[[int], list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(counts, positions) of ``values``, Whoosh ``Positions`` values: the positions of
    ``values[i]`` are ``counts[i]`` long, after those of the values before it, as Whoosh's
    ``decode_positions`` gives them. ``fallback(i)`` decodes ``values[i]`` when it is not in
    the form read here, and every value of a batch too small for numpy to pay."""
    n = len(values)
    if not n:
        return _NONE, _NONE
    if n < _FEW:
        return _with_fallback(values, np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64), _NONE, fallback)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    a = np.frombuffer(b"".join(values) + _PAD, dtype=np.uint8)
    ok = lengths >= _COUNT_BYTES + len(_HEAD) + 3  # the shortest: one BININT1 and APPEND
    s = np.where(ok, starts, 0)
    front = a[s[:, None] + _FRONT]  # the count, the pickle's head and the byte after it
    count = front[:, :_COUNT_BYTES].astype(np.int64) @ _BIG_ENDIAN
    ok &= (front[:, _COUNT_BYTES:-1] == _HEAD).all(axis=1) & (count >= 1) & (count <= _BATCH)
    many = count > 1
    ok &= ~many | (front[:, -1] == _MARK[0])
    first = s + (_COUNT_BYTES + len(_HEAD)) + many

    # The usual form's ints: the first of any width, the others BININT1 (deltas under 256),
    # which the value's length then tells; a value with a wider delta goes to the fallback.
    width0 = _WIDTH[a[first]]
    ok &= width0 > 0
    term = np.minimum(np.where(ok, first + width0 + 2 * (count - 1), 0), len(a) - 2)  # APPEND(S)
    ok &= (term + 1 == ends) | ((term + 2 == ends) & (a[term + 1] == _STOP[0]))
    ok &= a[term] == np.where(many, _APPENDS[0], _APPEND[0])
    rest = np.where(ok, count - 1, 0)
    total = int(rest.sum())
    owner = _owners(rest)
    step = np.arange(total) - (np.cumsum(rest) - rest)[owner]  # k-th of a value's rest
    at = (first + width0)[owner] + 2 * step
    ok &= np.bincount(owner, weights=a[at] != _BININT1, minlength=n) == 0

    counts = np.where(ok, count, 0)
    low = np.cumsum(counts) - counts
    deltas = np.empty(int(counts.sum()), dtype=np.int64)
    # The first int's argument bytes, little-endian, as many as its opcode has (BININT signed).
    args = a[first[ok, None] + _ARG].astype(np.int64) * (_ARG < width0[ok, None])
    head_deltas = args @ _LITTLE_ENDIAN
    deltas[low[ok]] = head_deltas - (head_deltas >= 1 << 31) * (1 << 32)
    kept = ok[owner]
    deltas[(low + 1)[owner][kept] + step[kept]] = a[at[kept] + 1]
    if ok.all():
        return counts, _summed(deltas, counts)
    return _with_fallback(values, ok, counts, deltas, fallback)


def _summed(deltas: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Runs of deltas, ``counts`` long, as positions: one cumulative sum, less each run's sum
    before it."""
    positions = np.cumsum(deltas)
    some = counts > 0
    offsets = (np.cumsum(counts) - counts)[some]
    before = np.zeros(len(counts), dtype=np.int64)
    before[some] = positions[offsets] - deltas[offsets]
    positions -= before[_owners(counts)]
    return positions


def _owners(counts: np.ndarray) -> np.ndarray:
    """For runs ``counts`` long one after another, the run of each element (``np.repeat(
    np.arange(len(counts)), counts)``, without its copy per run, slow for short runs)."""
    some = np.flatnonzero(counts)
    marks = np.zeros(int(counts.sum()), dtype=np.int64)
    marks[(np.cumsum(counts) - counts)[some]] = np.diff(some, prepend=0)
    return np.cumsum(marks)


def _with_fallback(
    values: Sequence[bytes], ok: np.ndarray, counts: np.ndarray, deltas: np.ndarray, fallback: Callable[[int], list[int]]
) -> tuple[np.ndarray, np.ndarray]:
    """The values ``ok`` marks from ``deltas``, the others from ``fallback``, in order."""
    others = np.flatnonzero(~ok)
    runs = [fallback(i) for i in others.tolist()]
    found = counts.copy()
    found[others] = np.fromiter(map(len, runs), dtype=np.int64, count=len(runs))
    flat = np.empty(int(found.sum()), dtype=np.int64)
    start = np.cumsum(found) - found
    # Each run moved as a block: from where it was read to where it goes.
    flat[(start - (np.cumsum(counts) - counts))[_owners(counts)] + np.arange(len(deltas))] = _summed(deltas, counts)
    other_counts = found[others]
    other_flat = np.fromiter(chain.from_iterable(runs), dtype=np.int64, count=int(other_counts.sum()))
    shift = start[others] - (np.cumsum(other_counts) - other_counts)
    flat[shift[_owners(other_counts)] + np.arange(len(other_flat))] = other_flat
    return found, flat
