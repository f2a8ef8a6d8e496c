"""No code from index bytes: a forged pickle of every kind an index holds runs nothing.

Each forged index is written for real, with a payload that runs ``os.system`` when unpickled
(its checksums made to match: a forger can recompute a CRC). Opening, searching (with
snippets and phrases), ``stats`` and ``vnsearch.search(q, folder)`` must end in an
``IndexVersionError`` naming a file, and the payload's marker file must never appear.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import vnsearch
from vnsearch.errors import IndexVersionError
from vnsearch.whoosh_ext import segment_writer, storage

DOCS = [
    {"id": f"d{i}", "title": f"Chợ phiên số {i}", "body": "Người dân mang rau ra chợ phiên bán từ sáng sớm."}
    for i in range(5)
]


class Payload:
    """Unpickled without restriction, this runs a shell command that creates ``marker``."""

    marker = ""

    def __reduce__(self):
        return (os.system, (f"touch {Payload.marker}",))


@pytest.fixture
def marker(tmp_path):
    Payload.marker = str(tmp_path / "payload-ran")
    yield Path(Payload.marker)


def test_the_payload_runs_under_plain_pickle(marker):
    """The payload is real: plain ``pickle.loads`` runs it."""
    pickle.loads(pickle.dumps(Payload(), 2))
    assert marker.exists()
    marker.unlink()


def _index(path: Path, fields=None) -> None:
    index = vnsearch.Index.create(path, fields)
    index.add(DOCS, procs=1)
    index.close()


def _resign(path: Path, name: str) -> None:
    """Record the new size and CRC32 of ``name`` in the index's TOC, as a forger would."""
    toc = max(path.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.split("_")[-1]))
    _rewrite_toc(path, toc, files={name: storage.crc32_of(str(path / name))})


def _rewrite_toc(path: Path, toc: Path, files=None, edit=None) -> None:
    from whoosh.index import TOC

    st = storage.DurableStorage(path)
    info = TOC.read(st, "MAIN")
    manifest = dict(storage.read_manifest(path, toc.name) or {})
    manifest.update(files or {})
    if edit is not None:
        edit(info)
    toc.write_bytes(storage._toc_bytes(info.schema, info.segments, info.generation, manifest))


def _forge_writing(monkeypatch, path: Path, kind: str) -> None:
    """Write an index one of whose pickles of ``kind`` is the payload."""
    real = pickle.dumps

    if kind == "stored field":
        import whoosh.columns

        monkeypatch.setattr(whoosh.columns, "dumps", lambda obj, protocol=None: real(Payload(), 2))
        _index(path)
        return
    if kind == "posting block":
        def forged(obj, protocol=None):
            return real(Payload(), 2) if protocol == 4 else real(obj, protocol)
    elif kind == "block summary":
        def forged(obj, protocol=None):
            return real(Payload(), 2) if isinstance(obj, tuple) and len(obj) == 6 else real(obj, protocol)
    elif kind == "positions":
        segment_writer._ONE_POSITION.clear()

        def forged(obj, protocol=None):
            return real(Payload(), 2) if isinstance(obj, list) else real(obj, protocol)
    elif kind == "compound directory":
        from whoosh.filedb.structfile import StructFile

        write = StructFile.write_pickle

        def forged_dict(self, obj, protocol=-1):  # the compound file's directory is a dict
            return write(self, Payload() if isinstance(obj, dict) else obj, 2)

        monkeypatch.setattr(StructFile, "write_pickle", forged_dict)
        _index(path)
        return
    else:
        raise AssertionError(kind)
    monkeypatch.setattr(segment_writer, "dumps", forged)
    try:
        _index(path)
    finally:
        segment_writer._ONE_POSITION.clear()


def _forge_toc(path: Path, kind: str) -> None:
    _index(path)
    toc = max(path.glob("_MAIN_*.toc"), key=lambda p: int(p.stem.split("_")[-1]))

    def edit(info):
        if kind == "schema":
            info.schema["body"].forged = Payload()
        elif kind == "segment list":
            info.segments[0].forged = Payload()

    if kind == "old TOC format":
        data = bytearray(toc.read_bytes())
        payload, manifest = storage.split_toc(bytes(data), str(toc))
        # The TOC's version number (a 4-byte int after three varints and -12345): a version
        # Whoosh would hand to its unrestricted legacy unpickler.
        body = bytearray(payload)
        body[7:11] = (-110).to_bytes(4, "big", signed=True)
        toc.write_bytes(bytes(body))  # no footer: an index from before checksums
        return
    _rewrite_toc(path, toc, edit=edit)


WRITTEN = ["stored field", "posting block", "block summary", "positions", "compound directory"]
TOC_KINDS = ["schema", "segment list", "old TOC format"]


def _exercise(path: Path) -> list[BaseException]:
    """Everything that reads an index; the errors each raised."""
    errors: list[BaseException] = []
    actions = [
        lambda: vnsearch.Index.open(path).search("chợ phiên", limit=5).to_dicts(),
        lambda: vnsearch.Index.open(path).search('"rau ra chợ"', limit=5).to_dicts(),
        lambda: vnsearch.Index.open(path).stats(),
        lambda: vnsearch.search("sáng sớm", index=str(path)).to_dicts(),
    ]
    for action in actions:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 (checked below)
            errors.append(exc)
    return errors


@pytest.mark.parametrize("kind", WRITTEN + TOC_KINDS)
def test_a_forged_pickle_runs_nothing_and_is_an_index_version_error(tmp_path, monkeypatch, marker, kind):
    path = tmp_path / "ix"
    if kind in WRITTEN:
        _forge_writing(monkeypatch, path, kind)
        monkeypatch.undo()
    else:
        _forge_toc(path, kind)
    errors = _exercise(path)
    assert not marker.exists(), f"the payload in a forged {kind} ran"
    assert errors, f"a forged {kind} was read without an error"
    for exc in errors:
        assert isinstance(exc, IndexVersionError), f"{type(exc).__name__}: {exc}"
        assert "MAIN" in str(exc), f"the error does not name the file: {exc}"


def test_the_allow_list_refuses_what_an_index_never_holds():
    from vnsearch.errors import IndexCorruptError
    from vnsearch.whoosh_ext import pickles

    for forged in (
        b"cos\nsystem\n(S'true'\ntR.",  # protocol 0 GLOBAL
        pickle.dumps(Payload(), 4),  # STACK_GLOBAL
        b"\x80\x02cbuiltins\neval\nq\x00X\x04\x00\x00\x001+1q\x01\x85q\x02Rq\x03.",
        b"\x80\x02cwhoosh.filedb.filestore\nFileStorage\nX\x01\x00\x00\x00/\x85R.",  # a Whoosh class no index holds
        b"\x80\x02csubprocess\nPopen\n.",  # a module never imported by the unpickler
    ):
        with pytest.raises(IndexCorruptError):
            pickles.loads(forged)
    assert pickles.loads(pickle.dumps({"a": (1, 2.0, b"x", {3}, frozenset())}, 2)) == {"a": (1, 2.0, b"x", {3}, frozenset())}
