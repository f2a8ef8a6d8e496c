"""Fixtures for the HTTP service: a real ``vnsearch serve`` process on a free local port.

A module of its own, not a conftest: test modules import the fixtures they use from it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

# Literal Vietnamese news with tags and dates, for the facets, paging and highlighting.
SERVED = [
    {"id": "hp-1", "title": "Đảng ủy Khối các cơ quan thành phố Hải Phòng họp",
     "body": "Chiều 10/7/2019, Đảng ủy Khối các cơ quan thành phố Hải Phòng tổ chức hội nghị Ban Chấp hành.",
     "date": "2019-07-10", "tags": ["thoi-su"]},
    {"id": "hp-2", "title": "Cảng Hải Phòng đón tàu lớn", "body": "Cảng Lạch Huyện ở Hải Phòng đón tàu container.",
     "date": "2021-03-02", "tags": ["kinh-te"]},
    {"id": "hp-3", "title": "Hải Phòng mở đường mới", "body": "Thành phố Hải Phòng thông xe tuyến đường ven biển.",
     "date": "2022-05-19", "tags": ["thoi-su", "giao-thong"]},
    {"id": "hn-1", "title": "Hà Nội mùa thu", "body": "Hà Nội đón khách du lịch, phố cổ đông vui.",
     "date": "2023-09-01", "tags": ["du-lich"]},
    {"id": "hn-2", "title": "Giao thông Hà Nội", "body": "Hà Nội mở thêm tuyến buýt nhanh.",
     "date": "2024-01-15", "tags": ["giao-thong"]},
    {"id": "hnam-1", "title": "Lễ hội ở Hà Nam", "body": "Hà Nam tổ chức lễ hội đầu xuân.",
     "date": "2024-02-10", "tags": ["du-lich"]},
    {"id": "hai-1", "title": "Hai người bạn", "body": "Hai người bạn đi câu cá ngoài biển.",
     "date": "2020-12-01", "tags": ["doi-song"]},
] + [
    {"id": f"tin-{n}", "title": f"Bản tin Hải Phòng số {n}",
     "body": f"Tin ngắn số {n} về thời tiết ở Hải Phòng và các tỉnh ven biển.",
     "date": f"2018-{1 + n % 12:02d}-15", "tags": ["ban-tin"]}
    for n in range(1, 26)
]
API_KEY = "khoa-bi-mat-123"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``vnsearch serve`` and how to call it."""

    url: str
    process: subprocess.Popen
    index: Path

    def call(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw, status, got = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, got = error.read(), error.code, dict(error.headers)
        kind = got.get("content-type", "")
        return status, {k.lower(): v for k, v in got.items()}, json.loads(raw) if "json" in kind else raw.decode("utf-8")

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        status, _, data = self.call("GET", path, **kw)
        return status, data


def start_server(index: Path, *args: str) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vnsearch", "serve", "--index", str(index), "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "VNSEARCH_API_KEY": ""},
    )
    server = Server(f"http://127.0.0.1:{port}", process, index)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"vnsearch serve exited: {process.stderr.read().decode()}")
        try:
            if server.get("/health")[0] == 200:
                return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError("vnsearch serve did not answer within 60 s")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def served_index(tmp_path_factory) -> Path:
    """An index on disk holding SERVED (tests that write copy it first)."""
    import vnsearch

    folder = tmp_path_factory.mktemp("served") / "index"
    index = vnsearch.Index.create(folder)
    index.add(SERVED)
    index.close()
    return folder


@pytest.fixture(scope="module")
def writable_index(served_index, tmp_path_factory) -> Path:
    import shutil

    folder = tmp_path_factory.mktemp("writable") / "index"
    shutil.copytree(served_index, folder)
    return folder


@pytest.fixture(scope="module")
def server(writable_index) -> Iterator[Server]:
    """A server with an API key, over a copy of the served index (its tests may write)."""
    running = start_server(writable_index, "--api-key", API_KEY, "--cors-origin", "http://app.example",
                           "--max-body", "50000")
    yield running
    stop_server(running)
