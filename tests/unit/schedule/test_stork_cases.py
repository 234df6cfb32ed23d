"""The cases of Stork's pkg/schedule tests, with DESIGN.md's changes marked where they apply."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from stork.schedule import PolicyError, get_retain, trigger_required, validate_policy

UTC = dt.UTC


def at(month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2019, month, day, hour, minute, tzinfo=UTC)


def due(body: dict[str, Any], policy_type: str, last: dt.datetime | None, now: dt.datetime) -> bool:
    return trigger_required({"policy": body}, policy_type, last, now, default_tz=UTC)


INTERVAL = {"interval": {"intervalMinutes": 60}}
DAILY = {"daily": {"time": "11:15PM"}}
WEEKLY = {"weekly": {"day": "Sunday", "time": "11:15pm"}}
MONTHLY = {"monthly": {"date": 28, "time": "11:15pm"}}


def test_interval() -> None:
    now = at(2, 7, 23, 16)
    assert due(INTERVAL, "Interval", None, now)  # never triggered
    assert not due(INTERVAL, "Interval", at(2, 7, 23, 14), now)  # 2 minutes ago
    assert not due(INTERVAL, "Interval", at(2, 7, 22, 16) + dt.timedelta(minutes=1), now)  # 59
    assert due(INTERVAL, "Interval", at(2, 7, 22, 14), now)  # 62 minutes ago


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (at(2, 7, 23, 14), at(2, 7, 23, 16), True),  # last before the schedule
        (at(2, 7, 23, 15), at(2, 7, 23, 16), False),  # last at the schedule
        (at(2, 6, 23, 15), at(2, 7, 23, 16), True),  # a day ago at the schedule
        (at(2, 6, 23, 14), at(2, 7, 23, 16), True),  # a day ago before it
        (at(2, 6, 23, 16), at(2, 7, 23, 16), True),  # a day ago after it
        (at(2, 7, 23, 15), at(2, 8, 21, 15), False),  # two hours before the next one
        (at(2, 7, 23, 16), at(2, 8, 21, 15), False),
    ],
)
def test_daily(last: dt.datetime, now: dt.datetime, expected: bool) -> None:
    assert due(DAILY, "Daily", last, now) is expected


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        # Stork: False (it only looks at the coming Sunday). DESIGN.md: the Sunday Feb 3
        # occurrence came after the last trigger and was missed, so it is caught up.
        (at(2, 2, 23, 16), at(2, 7, 23, 16), True),
        (at(2, 3, 23, 15), at(2, 7, 23, 16), False),  # last at the previous Sunday's time
        (at(2, 6, 23, 16), at(2, 10, 23, 16), True),  # Sunday, one minute after the time
        (at(2, 10, 23, 16), at(2, 17, 23, 15), True),  # the next Sunday, at the time
    ],
)
def test_weekly(last: dt.datetime, now: dt.datetime, expected: bool) -> None:
    assert due(WEEKLY, "Weekly", last, now) is expected


def test_monthly() -> None:
    now = at(2, 28, 23, 16)
    assert due(MONTHLY, "Monthly", at(2, 2, 23, 16), now)
    assert not due(MONTHLY, "Monthly", at(2, 28, 23, 16), now)


def test_validation_cases() -> None:
    validate_policy(
        {
            "policy": {
                "daily": {"time": "01:15am"},
                "weekly": {"day": "Sunday", "time": "11:15pm"},
                "monthly": {"date": 15, "time": "12:15pm"},
            }
        }
    )
    for invalid in (
        {"interval": {}},
        {"daily": {"time": "25:15am"}},
        {"weekly": {"day": "T", "time": "11:15pm"}},
        {"weekly": {"day": "Tue", "time": "13:15pm"}},
        {"monthly": {"date": 32, "time": "11:15pm"}},
        {"monthly": {"date": 12, "time": "13:15pm"}},
    ):
        with pytest.raises(PolicyError):
            validate_policy({"policy": invalid})


def test_retain_cases() -> None:
    body: dict[str, Any] = {
        "interval": {"intervalMinutes": 60},
        "daily": {"time": "10:40PM"},
        "weekly": {"time": "10:40PM", "day": "Thur"},
        "monthly": {"time": "10:40PM", "date": 25},
    }
    policy = {"policy": body}
    assert [get_retain(policy, t) for t in ("Interval", "Daily", "Weekly", "Monthly")] == [
        10,
        30,
        7,
        12,
    ]
    body["interval"]["retain"] = 5
    body["daily"]["retain"] = 10
    body["weekly"]["retain"] = 0
    assert [get_retain(policy, t) for t in ("Interval", "Daily", "Weekly")] == [5, 10, 7]
