"""Fixtures for the tests against a real OpenSearch cluster.

The cluster is ours (``tests/opensearch/cluster.sh start``: two nodes, 2 primary shards and
1 replica per index); its URLs come in ``VNSEARCH_OPENSEARCH_URL`` (comma-separated) and its
state folder, for stopping a node, in ``VNSEARCH_CLUSTER_DIR``. Without them, or without
opensearch-py, these tests skip and say why.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import socket
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CORPUS = ROOT / "sample_corpus"
# ../shared/data relative to the repository, as CI lays it; VNSEARCH_SHARED_DATA elsewhere.
SHARED_DATA = Path(os.environ.get("VNSEARCH_SHARED_DATA") or ROOT.parent / "shared" / "data")
NEWS_VI = SHARED_DATA / "news-vi" / "docs.jsonl.gz"
NEWS_ARTICLES = 2000
NEWS_FIELDS = {"source": "keyword"}  # the extra field of news-vi's records, for filters


@pytest.fixture(scope="session")
def cluster_url() -> str:
    url = os.environ.get("VNSEARCH_OPENSEARCH_URL", "").strip()
    if not url:
        pytest.skip("no OpenSearch cluster: start one with tests/opensearch/cluster.sh start and "
                    "set VNSEARCH_OPENSEARCH_URL to the URLs it prints (.ci/run does both)")
    pytest.importorskip("opensearchpy", reason="opensearch-py is not installed: pip install -e '.[opensearch]'")
    return url


@pytest.fixture(scope="session")
def client(cluster_url: str) -> Any:
    from vnsearch.opensearch import connect

    c = connect(cluster_url)
    c.cluster.health(wait_for_status="yellow")
    return c


@pytest.fixture
def index_name(client: Any) -> Iterator[str]:
    """A fresh index name, its index dropped afterwards."""
    name = f"vnsearch-test-{uuid.uuid4().hex[:8]}"
    yield name
    client.indices.delete(index=name, ignore_unavailable=True)


def _cluster_control(command: str) -> str:
    folder = Path(os.environ.get("VNSEARCH_CLUSTER_DIR", "/tmp/vnsearch-opensearch"))
    info = json.loads((folder / "cluster.json").read_text())
    with socket.create_connection(("127.0.0.1", info["control"]), timeout=120) as s:
        s.sendall((command + "\n").encode())
        return s.makefile().readline().strip()


@pytest.fixture
def node_control(cluster_url: str) -> Callable[[str], str]:
    """Sends ``stop 2`` / ``start 2`` to the test cluster's launcher."""
    folder = Path(os.environ.get("VNSEARCH_CLUSTER_DIR", "/tmp/vnsearch-opensearch"))
    if not (folder / "cluster.json").is_file():
        pytest.skip(f"the cluster was not started by tests/opensearch/cluster.sh ({folder}/cluster.json is missing)")
    return _cluster_control


@pytest.fixture(scope="session")
def news_records() -> list[dict[str, Any]]:
    """The first NEWS_ARTICLES news-vi articles, each with a date made from its id (the data has
    none; the same date on both engines is what the date queries need)."""
    if not NEWS_VI.is_file():
        pytest.skip(f"news-vi is not at {NEWS_VI} (../shared/data relative to the repository, or set VNSEARCH_SHARED_DATA)")
    out = []
    with gzip.open(NEWS_VI, "rt", encoding="utf-8") as f:
        for line in itertools.islice(f, NEWS_ARTICLES):
            record = json.loads(line)
            digest = int(hashlib.sha1(record["id"].encode()).hexdigest(), 16)
            record["date"] = f"{2015 + digest % 6}-{1 + digest // 7 % 12:02d}-{1 + digest // 97 % 28:02d}"
            out.append(record)
    return out
