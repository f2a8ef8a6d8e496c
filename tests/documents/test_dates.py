"""Tests for vnsearch.documents.dates: parse_date."""

from __future__ import annotations

import datetime as dt

import pytest

from vnsearch.documents import (
    parse_date,
)
from vnsearch.documents.dates import date_bound
from vnsearch.errors import DocumentError


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2020-07-10", dt.datetime(2020, 7, 10)),
        ("2020-07-10T17:00", dt.datetime(2020, 7, 10, 17, 0)),
        ("2020-07-10 17:00:05.5", dt.datetime(2020, 7, 10, 17, 0, 5, 500000)),
        ("2020-07-10T10:00:00Z", dt.datetime(2020, 7, 10, 10, 0)),
        ("2020-07-10T17:00:00+07:00", dt.datetime(2020, 7, 10, 10, 0)),
        ("2020-07-10T17:00+0700", dt.datetime(2020, 7, 10, 10, 0)),
        ("2020/07/10", dt.datetime(2020, 7, 10)),
        ("2020-07", dt.datetime(2020, 7, 1)),
        ("2020", dt.datetime(2020, 1, 1)),
        (2020, dt.datetime(2020, 1, 1)),
        ("20200710", dt.datetime(2020, 7, 10)),
        ("10/07/2020", dt.datetime(2020, 7, 10)),
        ("06/11/2020", dt.datetime(2020, 11, 6)),  # day first, always
        ("10-07-2020 17:00", dt.datetime(2020, 7, 10, 17, 0)),
        ("Ngày đăng 10/07/2020 | 17:00", dt.datetime(2020, 7, 10, 17, 0)),
        ("16:17 06/11/2020", dt.datetime(2020, 11, 6, 16, 17)),
        ("Print Thứ Ba, 24/08/2021 21:30 Gốc", dt.datetime(2021, 8, 24, 21, 30)),
        ("30/07/2019 | 5:00 PM", dt.datetime(2019, 7, 30, 17, 0)),
        ("30/07/2019 12:15 AM", dt.datetime(2019, 7, 30, 0, 15)),
        ("Cập nhật lúc 17h30 ngày 10/7/2020 (GMT+7)", dt.datetime(2020, 7, 10, 17, 30)),
        ("ngày 10 tháng 7 năm 2020", dt.datetime(2020, 7, 10)),
        ("Fri, 10 Jul 2020 17:00:00 +0700", dt.datetime(2020, 7, 10, 10, 0)),
        (1594375200, dt.datetime(2020, 7, 10, 10, 0)),
        (1594375200000, dt.datetime(2020, 7, 10, 10, 0)),
        ("1594375200", dt.datetime(2020, 7, 10, 10, 0)),
        (1594375200.5, dt.datetime(2020, 7, 10, 10, 0, 0, 500000)),
        (dt.date(2020, 7, 10), dt.datetime(2020, 7, 10)),
        (None, None),
        ("  ", None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["hôm qua", "31/02/2020", "2020-13-01", "10/07/2020 và 11/07/2020 nữa", "12345", True, [2020], float("nan"), 1e300],
)
def test_parse_date_refuses_garbage(value):
    with pytest.raises(DocumentError) as info:
        parse_date(value)
    assert isinstance(info.value, ValueError)
    assert info.value.path is None


# -- range bounds: the one date parser also reads a query's date ranges -----------------------

@pytest.mark.parametrize(
    "text, low, high",
    [
        ("2020", dt.datetime(2020, 1, 1), dt.datetime(2020, 12, 31, 23, 59, 59, 999999)),
        ("2020-02", dt.datetime(2020, 2, 1), dt.datetime(2020, 2, 29, 23, 59, 59, 999999)),
        ("2020-07-10", dt.datetime(2020, 7, 10), dt.datetime(2020, 7, 10, 23, 59, 59, 999999)),
        ("10/07/2020", dt.datetime(2020, 7, 10), dt.datetime(2020, 7, 10, 23, 59, 59, 999999)),
        ("ngày 10 tháng 7 năm 2020", dt.datetime(2020, 7, 10), dt.datetime(2020, 7, 10, 23, 59, 59, 999999)),
        ("2020-07-10T08:30", dt.datetime(2020, 7, 10, 8, 30), dt.datetime(2020, 7, 10, 8, 30)),
        ("9999", dt.datetime(9999, 1, 1), dt.datetime.max),
    ],
)
def test_a_bound_spans_the_year_month_or_day_it_names(text, low, high):
    assert (date_bound(text), date_bound(text, upper=True)) == (low, high)


@pytest.mark.parametrize("text", ["abc", "2020-13", "2020-13-45", ""])
def test_what_is_no_date_is_a_value_error(text):
    with pytest.raises(ValueError):
        date_bound(text)
