"""pyvi's CRF without crfsuite: the model's weights read from its bytes, and Viterbi.

crfsuite's model file (crf1d, two labels here) holds a CQDB dictionary of attribute strings,
one of labels and the list of state and transition weights; :func:`read_crf` reads them, and
:class:`Crf` tags as crfsuite does, on the same doubles in the same order.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import NamedTuple

from vnsearch.vietnamese.segmenter.features import AFTER, BEFORE, EDGE, Info

__all__ = ["Crf", "read_crf", "read_attributes"]


def _weights_of(
    weights: dict[bytes, tuple[float, float]], attributes: Sequence[bytes]
) -> tuple[tuple[float, float], ...]:
    return tuple(weights[a] for a in attributes if a in weights)


class Crf(NamedTuple):
    """A crfsuite model of two labels, read from its bytes, for tagging without pycrfsuite.

    crfsuite scores a label at a piece by adding the weights of the piece's attributes for it,
    in order, from 0; then Viterbi with the transition weights, the first label winning ties.
    Here the same additions run in the same order on the same doubles, so the labels are
    crfsuite's, without converting every attribute string to crfsuite's for every piece.
    """

    labels: tuple[str, str]
    weights: dict[bytes, tuple[float, float]]  # attribute -> its weight for each label
    transitions: tuple[float, float, float, float]  # 0->0, 0->1, 1->0, 1->1
    before: tuple[tuple[tuple[float, float], ...], ...]  # weights of BEFORE[code]
    after: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]  # of AFTER[next1][next2]

    @classmethod
    def build(
        cls,
        labels: tuple[str, str],
        weights: dict[bytes, tuple[float, float]],
        transitions: tuple[float, float, float, float],
    ) -> Crf:
        before = tuple(_weights_of(weights, attributes) for attributes in BEFORE)
        after = tuple(tuple(_weights_of(weights, attributes) for attributes in row) for row in AFTER)
        return cls(labels, weights, transitions, before, after)

    def weights_of(self, attributes: Sequence[bytes]) -> tuple[tuple[float, float], ...]:
        """The weights of the attributes the model knows, in order."""
        return _weights_of(self.weights, attributes)

    def tag(self, infos: list[Info], codes: list[int]) -> list[str]:
        """The label of each piece: crfsuite's Viterbi (crf1dc_viterbi) over two labels."""
        t00, t01, t10, t11 = self.transitions
        before_weights, after_weights = self.before, self.after
        back: list[int] = []  # 2 bits a piece: the best previous label for labels 0 and 1
        a0 = a1 = 0.0
        first = True
        for info, previous, following, code, next1, next2 in zip(
            infos, [EDGE, *infos], [*infos[1:], EDGE], codes, codes[1:], codes[2:]
        ):
            # The state scores: the piece's attributes in attributes' order.
            s0, s1 = info.own_score
            for w0, w1 in previous.previous_weights:
                s0 += w0
                s1 += w1
            for w0, w1 in before_weights[code]:
                s0 += w0
                s1 += w1
            for w0, w1 in following.next_weights:
                s0 += w0
                s1 += w1
            for w0, w1 in after_weights[next1][next2]:
                s0 += w0
                s1 += w1
            if first:
                a0, a1 = s0, s1
                first = False
                continue
            # crfsuite keeps the first best: label 1 only when strictly better
            x, y = a0 + t00, a1 + t10
            best0 = y > x
            m0 = y if best0 else x
            x, y = a0 + t01, a1 + t11
            best1 = y > x
            m1 = y if best1 else x
            back.append(best0 + 2 * best1)
            a0, a1 = m0 + s0, m1 + s1
        label = 1 if a1 > a0 else 0
        labels = [label]
        for links in reversed(back):
            label = (links >> label) & 1
            labels.append(label)
        names = self.labels
        return [names[label] for label in reversed(labels)]


_CRFSUITE_HEADER = struct.Struct("<4sI4s9I")  # magic, size, type, version, counts and offsets
_CQDB_HEADER = struct.Struct("<4sIIIII")  # chunk id, size, flag, byte order, bwd size, offset
_CQDB_BYTE_ORDER = 0x62445371


def read_attributes(data: bytes) -> frozenset[bytes] | None:
    """The attribute strings of a crfsuite model, read from its CQDB dictionary.

    crfsuite ignores attributes it has no weights for; leaving them out before tagging saves
    converting and looking them up. None when the layout is not the expected one.
    """
    try:
        magic, _, _, _, _, _, num_attrs, _, _, chunk, _, _ = _CRFSUITE_HEADER.unpack_from(data)
        if magic != b"lCRF":
            return None
        attributes = _cqdb_strings(data, chunk)
    except struct.error:
        return None
    if attributes is None or len(attributes) != num_attrs:
        return None
    return frozenset(attributes.values())


_FEATURES_HEADER = struct.Struct("<4sII")  # chunk id, size, number of features
_FEATURE = struct.Struct("<IIId")  # type (0 state, 1 transition), source, destination, weight


def _cqdb_strings(data: bytes, chunk: int) -> dict[int, bytes] | None:
    """The strings of a crfsuite CQDB dictionary by id, or None if the layout is unexpected
    (``struct.error`` if the bytes end too soon)."""
    cqdb, _, _, order, count, table = _CQDB_HEADER.unpack_from(data, chunk)
    if cqdb != b"CQDB" or order != _CQDB_BYTE_ORDER:
        return None
    strings = {}
    for offset in struct.unpack_from(f"<{count}I", data, chunk + table):
        ident, size = struct.unpack_from("<iI", data, chunk + offset)
        start = chunk + offset + 8
        strings[ident] = data[start : start + size - 1]  # size counts the final NUL
    return strings


def read_crf(data: bytes) -> Crf | None:
    """The labels, state and transition weights of a crfsuite model of two labels (crfsuite's
    crf1d model file), or None when the layout is not the expected one."""
    try:
        magic, size, kind, _, _, num_labels, num_attrs, features, labels_at, attrs_at, _, _ = (
            _CRFSUITE_HEADER.unpack_from(data)
        )
        if magic != b"lCRF" or size != len(data) or kind != b"FOMC" or num_labels != 2:
            return None
        labels, attributes = _cqdb_strings(data, labels_at), _cqdb_strings(data, attrs_at)
        if labels is None or attributes is None or len(attributes) != num_attrs or set(labels) != {0, 1}:
            return None
        chunk, _, count = _FEATURES_HEADER.unpack_from(data, features)
        if chunk != b"FEAT":
            return None
        state: dict[bytes, list[float]] = {}
        transitions = [0.0] * 4
        seen = set()
        start = features + _FEATURES_HEADER.size
        for kind_, source, target, weight in _FEATURE.iter_unpack(data[start : start + count * _FEATURE.size]):
            if target > 1 or (kind_, source, target) in seen:
                return None  # crfsuite has one weight per attribute (or label) and label
            seen.add((kind_, source, target))
            if kind_ == 0:
                state.setdefault(attributes[source], [0.0, 0.0])[target] = weight
            elif kind_ == 1 and source <= 1:
                transitions[2 * source + target] = weight
            else:
                return None
        names = (labels[0].decode("utf-8"), labels[1].decode("utf-8"))
    except (struct.error, KeyError, UnicodeDecodeError):
        return None
    return Crf.build(
        names,
        {attribute: (w[0], w[1]) for attribute, w in state.items()},
        (transitions[0], transitions[1], transitions[2], transitions[3]),
    )
