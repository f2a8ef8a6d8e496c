"""One node of the two stopped in the middle of an ingest: the bulk writes retry on the
other node, and every document arrives exactly once."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from vnsearch.opensearch import RemoteIndex

STOP_AFTER = 300  # documents acknowledged before node 2 is stopped


def test_a_node_stopped_mid_ingest_loses_and_duplicates_nothing(
    client: Any, index_name: str, news_records: list[dict[str, Any]], node_control: Callable[[str], str], capsys
):
    index = RemoteIndex(client, index_name).create({"source": "keyword"})
    reached = threading.Event()
    answers: list[str] = []
    stopped_at: list[int] = []
    progress_seen: list[int] = []

    def on_progress(progress: Any) -> None:
        progress_seen.append(progress.documents)
        if progress.documents >= STOP_AFTER:
            reached.set()

    def stop_node() -> None:
        reached.wait(300)
        stopped_at.append(progress_seen[-1] if progress_seen else 0)
        answers.append(node_control("stop 2"))

    stopper = threading.Thread(target=stop_node, daemon=True)
    stopper.start()
    started = time.perf_counter()
    try:
        # Small batches: many bulk requests are sent while node 2 goes away.
        report = index.add(news_records, batch_size=25, progress=on_progress)
        stopper.join(300)
        seconds = time.perf_counter() - started
        assert answers == ["ok"], answers
        assert stopped_at and stopped_at[0] < len(news_records), "node 2 stopped only after the ingest"
        assert report.added == len(news_records) and not report.skipped
        index.refresh()
        ids = [r["id"] for r in news_records]
        assert len(index) == len(set(ids)) == len(ids)  # each document once
        found = client.search(index=index_name, body={"query": {"ids": {"values": ids}}, "size": 0,
                                                      "track_total_hits": True})
        assert found["hits"]["total"]["value"] == len(ids)  # and every one of them
        with capsys.disabled():
            print(f"\nnode 2 stopped after {stopped_at[0]} of {len(ids)} documents; all {len(index)} "
                  f"indexed once in {seconds:.1f} s")
    finally:
        stopper.join(300)
        assert node_control("start 2") == "ok"
        deadline = time.monotonic() + 180
        while client.cluster.health(wait_for_status="green", wait_for_nodes=2)["status"] != "green":
            assert time.monotonic() < deadline, "the cluster is not green again after node 2 restarted"
