"""Shared fixtures: small indexes built from literal Vietnamese documents."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "sample_corpus"

NEWS = [
    {
        "id": "hp-1",
        "title": "Đảng ủy Khối các cơ quan thành phố Hải Phòng họp",
        "body": "Chiều 10/7/2019, Đảng ủy Khối các cơ quan thành phố tổ chức hội nghị Ban Chấp hành. "
        "Hội nghị bàn về công tác xây dựng Đảng.",
        "date": "2019-07-10",
        "tags": ["thoi-su"],
    },
    {
        "id": "ban-1",
        "title": "Chợ phiên cuối tuần",
        "body": "Người dân mang rau ra chợ bán từ sáng sớm.",
        "date": "2020-07-10",
        "tags": ["doi-song"],
    },
    {
        "id": "ban-2",
        "title": "Đồ gỗ",
        "body": "Xưởng mộc đóng một chiếc bàn lớn bằng gỗ lim.",
        "date": "2020-11-06",
        "tags": ["doi-song"],
    },
    {
        "id": "ban-3",
        "title": "Ca khúc mới",
        "body": "Nhóm nhạc ra mắt ban nhạc trẻ với nhiều ca sĩ.",
        "date": "2021-08-24",
        "tags": ["giai-tri"],
    },
    {
        "id": "scatter-1",
        "title": "Phòng khám",
        "body": "Phòng khám mới mở gần bờ biển, nơi hải âu bay về mỗi sáng.",
        "date": "2021-01-05",
    },
]


@pytest.fixture(scope="session")
def news():
    return [dict(d) for d in NEWS]


@pytest.fixture
def memory_index(news):
    """A fresh in-memory index holding the NEWS documents."""
    import vnsearch

    index = vnsearch.Index.create(None)
    index.add(news)
    return index


@pytest.fixture(scope="session")
def shared_index(news):
    """One in-memory index for read-only tests (cheaper than one per test)."""
    import vnsearch

    index = vnsearch.Index.create(None)
    index.add(news)
    return index


@pytest.fixture(scope="module")
def sample_cache(tmp_path_factory):
    """One search() cache per test module that only reads the sample corpus: indexed once."""
    from vnsearch import notebook

    folder = tmp_path_factory.mktemp("sample-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(notebook.CACHE_ENV, str(folder))
        yield folder
