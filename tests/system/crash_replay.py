"""A crash-state replayer in the spirit of ALICE ("All File Systems Are Not Created Equal",
OSDI 2014): record what a commit does to an index folder, then build every state a crash
could leave under POSIX's guarantees.

The model:

* a file's bytes are durable up to its last fsync; what was written after it may be on disk
  whole, not at all, cut short at any write, or as zeros of the right length (blocks
  allocated, data never written: ext4's ``data=writeback``);
* names (create, rename, unlink) are durable up to the last fsync of the folder; any subset
  of the ones after it may be, in program order (a rename names the file it renamed);
* a crash can come after any change to a name and before any fsync.

The product of every file's variants is not enumerated: for each crash point and set of
names, the unsynced files are all whole, all missing, all cut after half of their writes,
all zero-filled, then each alone missing, cut or zeroed while the others are whole.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Iterator

from vnsearch.whoosh_ext.storage import FileOps

MAX_NAME_SUBSETS = 256  # above this, the extremes and a seeded sample of the subsets


@dataclass
class _Inode:
    writes: list[tuple[int, bytes]] = field(default_factory=list)
    synced: int = 0  # writes durable: writes[:synced]


class _RecordedFile:
    """A real file whose writes are also logged against its inode."""

    def __init__(self, real: IO[bytes], recorder: "Recorder", inode: int):
        self._real = real
        self._recorder = recorder
        self.inode = inode

    def write(self, data: Any) -> int:
        data = bytes(data)
        self._recorder.log.append(("write", self.inode, self._real.tell(), data))
        return self._real.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __enter__(self) -> "_RecordedFile":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._real.close()


class Recorder(FileOps):
    """File operations that run for real and are logged, for one index folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.log: list[tuple] = []
        self.initial: dict[str, bytes] = {
            p.name: p.read_bytes() for p in self.folder.iterdir() if p.is_file()
        }
        self._names: dict[str, int] = {}
        self._next = itertools.count(1)
        for name in self.initial:
            self._names[name] = -next(self._next)  # durable files: negative inodes

    def _name(self, path: str) -> str | None:
        p = Path(path)
        return p.name if p.parent.resolve() == self.folder.resolve() else None

    def create(self, path: str) -> IO[bytes]:
        real = open(path, "wb")
        name = self._name(path)
        if name is None:
            return real
        inode = next(self._next)
        self._names[name] = inode
        self.log.append(("create", name, inode))
        return _RecordedFile(real, self, inode)  # type: ignore[return-value]

    def sync(self, file: IO[bytes]) -> None:
        super().sync(getattr(file, "_real", file))
        if isinstance(file, _RecordedFile):
            self.log.append(("fsync", file.inode))

    def sync_path(self, path: str) -> None:
        super().sync_path(path)
        name = self._name(path)
        if name is not None and name in self._names:
            self.log.append(("fsync", self._names[name]))

    def sync_dir(self, path: str) -> None:
        super().sync_dir(path)
        if Path(path).resolve() == self.folder.resolve():
            self.log.append(("fsyncdir",))

    def replace(self, src: str, dst: str) -> None:
        super().replace(src, dst)
        a, b = self._name(src), self._name(dst)
        if a is not None and b is not None:
            self._names[b] = self._names.pop(a)
            self.log.append(("rename", a, b))

    def unlink(self, path: str) -> None:
        super().unlink(path)
        name = self._name(path)
        if name is not None:
            self._names.pop(name, None)
            self.log.append(("unlink", name))

    # -- states -------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        kinds: dict[str, int] = {}
        for op in self.log:
            kinds[op[0]] = kinds.get(op[0], 0) + 1
        return kinds

    def crash_states(self, seed: int = 0, early_fraction: float = 1.0) -> Iterator[dict[str, bytes]]:
        """Every distinct folder (name -> bytes) a crash during the recording could leave.

        ``early_fraction`` keeps only that share (seeded) of the states before the first
        fsync of the folder, where the new files have no name that counts yet: a test's
        bound; the states after it are always all kept.
        """
        rng = random.Random(seed)
        sample = random.Random(seed + 1)
        seen: set[str] = set()
        points = [i for i, op in enumerate(self.log) if op[0] != "write"] + [len(self.log)]
        first_barrier = next((i for i, op in enumerate(self.log) if op[0] == "fsyncdir"), len(self.log))
        for point in points:
            for state in self._states_at(point, rng):
                if point <= first_barrier and early_fraction < 1.0 and sample.random() >= early_fraction:
                    continue
                key = hashlib.sha256(
                    b"".join(n.encode() + b"\0" + hashlib.sha256(d).digest() for n, d in sorted(state.items()))
                ).hexdigest()
                if key not in seen:
                    seen.add(key)
                    yield state

    def _states_at(self, point: int, rng: random.Random) -> Iterator[dict[str, bytes]]:
        """The states of a crash just before ``log[point]``."""
        ops = self.log[:point]
        inodes: dict[int, _Inode] = {}
        names: dict[str, int] = {}
        initial: dict[int, bytes] = {}
        for name, data in self.initial.items():
            ino = -len(initial) - 1
            initial[ino] = data
            names[name] = ino
        durable_names = dict(names)
        pending: list[tuple] = []  # name changes since the last folder fsync
        for op in ops:
            kind = op[0]
            if kind == "create":
                _, name, ino = op
                inodes[ino] = _Inode()
                names[name] = ino
                pending.append(("link", name, ino))
            elif kind == "write":
                inodes[op[1]].writes.append((op[2], op[3]))
            elif kind == "fsync":
                if op[1] in inodes:
                    inodes[op[1]].synced = len(inodes[op[1]].writes)
            elif kind == "rename":
                _, a, b = op
                ino = names.pop(a)
                names[b] = ino
                pending.append(("rename", a, b, ino))
            elif kind == "unlink":
                names.pop(op[1], None)
                pending.append(("unlink", op[1]))
            elif kind == "fsyncdir":
                durable_names = dict(names)
                pending = []
        unsynced = [ino for ino, node in inodes.items() if node.synced < len(node.writes)]
        contents: dict[tuple[int, str], bytes] = {}

        def content(ino: int, variant: str) -> bytes:
            if (ino, variant) not in contents:
                contents[ino, variant] = _content(inodes[ino], variant)
            return contents[ino, variant]

        for subset in _subsets(len(pending), rng):
            folder = dict(durable_names)
            for i in subset:
                change = pending[i]
                if change[0] == "link":
                    folder[change[1]] = change[2]
                elif change[0] == "rename":
                    if folder.get(change[1]) == change[3]:
                        del folder[change[1]]
                    folder[change[2]] = change[3]
                else:
                    folder.pop(change[1], None)
            present = [ino for ino in unsynced if ino in folder.values()]
            for variants in _variant_sets(present):
                yield {
                    name: initial[ino] if ino < 0 else content(ino, variants.get(ino, "whole"))
                    for name, ino in folder.items()
                }


def _subsets(n: int, rng: random.Random) -> Iterator[tuple[int, ...]]:
    if 2**n <= MAX_NAME_SUBSETS:
        for r in range(n + 1):
            yield from itertools.combinations(range(n), r)
        return
    everything = tuple(range(n))
    yield ()
    yield everything
    for i in range(n):
        yield (i,)
        yield tuple(j for j in everything if j != i)
        yield everything[:i]  # every prefix: what a journaling file system keeps
    for _ in range(MAX_NAME_SUBSETS):
        yield tuple(j for j in everything if rng.random() < 0.5)


def _variant_sets(unsynced: list[int]) -> Iterator[dict[int, str]]:
    yield {}
    if not unsynced:
        return
    for variant in ("missing", "half", "zeros"):
        yield {ino: variant for ino in unsynced}
        if len(unsynced) > 1:
            for ino in unsynced:
                yield {ino: variant}


def _content(node: _Inode, variant: str) -> bytes:
    writes = node.writes
    keep = {"whole": len(writes), "missing": node.synced, "half": node.synced + (len(writes) - node.synced + 1) // 2,
            "zeros": len(writes)}[variant]
    buf = bytearray()
    for i, (offset, data) in enumerate(writes):
        if i >= keep:
            break
        if variant == "zeros" and i >= node.synced:
            data = bytes(len(data))
        if variant == "half" and i == keep - 1 and i >= node.synced:
            data = data[: len(data) // 2]
        end = offset + len(data)
        if len(buf) < end:
            buf.extend(bytes(end - len(buf)))
        buf[offset:end] = data
    return bytes(buf)


def materialise(state: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=False)
    for name, data in state.items():
        (folder / name).write_bytes(data)
    return folder


def sizes(path: Path) -> int:
    return sum(os.path.getsize(p) for p in path.iterdir() if p.is_file())
