"""Trigger decisions: Stork's cases as DESIGN.md changes them, DST, leap years, properties."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stork.schedule import next_trigger, trigger_required
from stork.schedule.occurrences import monthly_day

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(*args: int, tz: dt.tzinfo = UTC) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz)


def policy(body: dict[str, Any], zone: str | None = "UTC") -> dict[str, Any]:
    if zone:
        body = {**body, "timeZone": zone}
    return {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "SchedulePolicy",
        "policy": body,
    }


INTERVAL = policy({"interval": {"intervalMinutes": 60}})
DAILY = policy({"daily": {"time": "10:14PM"}})
WEEKLY = policy({"weekly": {"day": "Thursday", "time": "10:13PM"}})
MONTHLY = policy({"monthly": {"date": 14, "time": "8:05PM"}})


def test_absent_section_never_triggers() -> None:
    assert not trigger_required(INTERVAL, "Daily", None, at(2026, 1, 1))
    assert next_trigger(INTERVAL, "Weekly", None, at(2026, 1, 1)) is None


def test_interval() -> None:
    now = at(2026, 1, 1, 12, 0)
    assert trigger_required(INTERVAL, "Interval", None, now)
    assert not trigger_required(INTERVAL, "Interval", now - dt.timedelta(minutes=59), now)
    assert trigger_required(INTERVAL, "Interval", now - dt.timedelta(minutes=60), now)
    assert trigger_required(INTERVAL, "Interval", now - dt.timedelta(days=3), now)
    assert next_trigger(
        INTERVAL, "Interval", now - dt.timedelta(minutes=15), now
    ) == now + dt.timedelta(minutes=45)


def test_daily_before_at_and_after_the_time() -> None:
    last = at(2026, 1, 1, 0, 0)  # e.g. the schedule's creation
    assert not trigger_required(DAILY, "Daily", last, at(2026, 1, 1, 22, 13, 59))
    assert trigger_required(DAILY, "Daily", last, at(2026, 1, 1, 22, 14))
    assert not trigger_required(DAILY, "Daily", at(2026, 1, 1, 22, 14), at(2026, 1, 1, 23, 0))
    assert next_trigger(DAILY, "Daily", at(2026, 1, 1, 22, 14), at(2026, 1, 1, 23, 0)) == at(
        2026, 1, 2, 22, 14
    )


def test_missed_occurrences_are_caught_up_once() -> None:
    """Stork skips an occurrence when it is more than an hour late; we run it once."""
    last = at(2026, 1, 1, 22, 14)
    late = at(2026, 1, 4, 9, 0)  # three occurrences missed while the controller was down
    assert trigger_required(DAILY, "Daily", last, late)
    assert not trigger_required(DAILY, "Daily", late, late + dt.timedelta(hours=1))


def test_weekly() -> None:
    # 2026-01-01 is a Thursday.
    last = at(2025, 12, 30)
    assert not trigger_required(WEEKLY, "Weekly", last, at(2026, 1, 1, 22, 12))
    assert trigger_required(WEEKLY, "Weekly", last, at(2026, 1, 1, 22, 13))
    assert next_trigger(WEEKLY, "Weekly", at(2026, 1, 1, 22, 13), at(2026, 1, 2)) == at(
        2026, 1, 8, 22, 13
    )


def test_monthly() -> None:
    last = at(2026, 1, 1)
    assert not trigger_required(MONTHLY, "Monthly", last, at(2026, 1, 14, 20, 4))
    assert trigger_required(MONTHLY, "Monthly", last, at(2026, 1, 14, 20, 5))
    assert next_trigger(MONTHLY, "Monthly", at(2026, 1, 14, 20, 5), at(2026, 1, 15)) == at(
        2026, 2, 14, 20, 5
    )


@pytest.mark.parametrize(
    ("year", "month", "date", "expected"),
    [
        (2026, 4, 31, (2026, 5, 1)),
        (2026, 2, 31, (2026, 3, 3)),
        (2028, 2, 31, (2028, 3, 2)),
        (2026, 2, 29, (2026, 3, 1)),
        (2028, 2, 29, (2028, 2, 29)),
        (2026, 2, 30, (2026, 3, 2)),
        (2028, 2, 30, (2028, 3, 1)),
        (2026, 12, 31, (2026, 12, 31)),
        (2026, 1, 15, (2026, 1, 15)),
    ],
)
def test_month_end_roll_over(
    year: int, month: int, date: int, expected: tuple[int, int, int]
) -> None:
    assert monthly_day(year, month, date) == dt.date(*expected)


def test_date_31_fires_on_may_1_after_april() -> None:
    p = policy({"monthly": {"date": 31, "time": "1:00PM"}})
    assert next_trigger(p, "Monthly", at(2026, 3, 31, 13), at(2026, 4, 2)) == at(2026, 5, 1, 13)
    assert next_trigger(p, "Monthly", at(2026, 5, 1, 13), at(2026, 5, 2)) == at(2026, 5, 31, 13)


def test_spring_forward_gap_fires_right_after_the_gap() -> None:
    p = policy({"daily": {"time": "2:30AM"}}, "Europe/Berlin")
    # 2026-03-29 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    fire = next_trigger(p, "Daily", at(2026, 3, 28, 12), at(2026, 3, 28, 12))
    assert fire == at(2026, 3, 29, 1, 0)
    assert fire.astimezone(BERLIN).hour == 3
    assert not trigger_required(p, "Daily", at(2026, 3, 28, 12), at(2026, 3, 29, 0, 59, 59))
    assert next_trigger(p, "Daily", fire, fire) == at(2026, 3, 30, 0, 30)


def test_fall_back_fold_fires_once_at_the_first_instant() -> None:
    p = policy({"daily": {"time": "1:30AM"}}, "America/New_York")
    # 2026-11-01 01:30 happens twice in New York: 05:30 UTC (EDT) and 06:30 UTC (EST).
    first = next_trigger(p, "Daily", at(2026, 10, 31, 12), at(2026, 10, 31, 12))
    assert first == at(2026, 11, 1, 5, 30)
    assert not trigger_required(p, "Daily", first, at(2026, 11, 1, 6, 45))
    assert next_trigger(p, "Daily", first, first) == at(2026, 11, 2, 6, 30)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_weekly_and_monthly_keep_wall_time_across_dst(zone: str) -> None:
    tz = ZoneInfo(zone)
    weekly = policy({"weekly": {"day": "Sunday", "time": "9:00AM"}}, zone)
    fire = at(2026, 3, 1, 12)
    for _ in range(10):
        fire = next_trigger(weekly, "Weekly", fire, fire + dt.timedelta(seconds=1))
        assert fire is not None
        local = fire.astimezone(tz)
        assert (local.weekday(), local.hour, local.minute) == (6, 9, 0)
    monthly = policy({"monthly": {"date": 15, "time": "9:00AM"}}, zone)
    fire = at(2026, 1, 1)
    for _ in range(14):
        fire = next_trigger(monthly, "Monthly", fire, fire + dt.timedelta(seconds=1))
        assert fire is not None
        assert (fire.astimezone(tz).day, fire.astimezone(tz).hour) == (15, 9)


def test_default_zone_applies_without_time_zone() -> None:
    p = policy({"daily": {"time": "9:00AM"}}, zone=None)
    fire = next_trigger(p, "Daily", at(2026, 1, 1), at(2026, 1, 1), default_tz=BERLIN)
    assert fire == at(2026, 1, 1, 8, 0)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        trigger_required(DAILY, "Daily", None, dt.datetime(2026, 1, 1))


POLICIES = [
    policy({"interval": {"intervalMinutes": 7}}),
    policy({"daily": {"time": "2:30AM"}}, "Europe/Berlin"),
    policy({"daily": {"time": "1:30AM"}}, "America/New_York"),
    policy({"weekly": {"day": "sun", "time": "2:15AM"}}, "Europe/Berlin"),
    policy({"monthly": {"date": 31, "time": "11:59PM"}}, "America/New_York"),
    policy({"monthly": {"date": 29, "time": "12:00am"}}, "UTC"),
]
TYPES = ["Interval", "Daily", "Daily", "Weekly", "Monthly", "Monthly"]
instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2029, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(POLICIES) - 1), instants, st.integers(0, 90 * 24 * 3600))
def test_next_trigger_is_the_first_instant_at_which_it_is_due(
    i: int, now: dt.datetime, back: int
) -> None:
    p, t = POLICIES[i], TYPES[i]
    last = now - dt.timedelta(seconds=back)
    fire = next_trigger(p, t, last, now)
    assert fire is not None
    assert fire >= now
    assert trigger_required(p, t, last, fire)
    if fire > now:
        assert not trigger_required(p, t, last, now)
        assert not trigger_required(p, t, last, fire - dt.timedelta(seconds=1))
        assert not trigger_required(p, t, last, now + (fire - now) / 2)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, len(POLICIES) - 1),
    instants,
    st.lists(st.integers(60, 3 * 24 * 3600), min_size=5, max_size=60),
)
def test_a_controller_never_fires_twice_for_one_occurrence_nor_misses_one(
    i: int, start: dt.datetime, steps: list[int]
) -> None:
    """Check at arbitrary increasing instants, fire whenever due: between two fires there is an
    occurrence, and every occurrence is followed by a fire (missed ones collapse into one)."""
    p, t = POLICIES[i], TYPES[i]
    last = start
    now = start
    fires = []
    for step in steps:
        now += dt.timedelta(seconds=step)
        if trigger_required(p, t, last, now):
            fires.append(now)
            last = now
    # No double fire: each fire has an occurrence after the previous fire.
    previous = start
    for fire in fires:
        occurrence = next_trigger(p, t, previous, previous + dt.timedelta(seconds=1))
        assert occurrence is not None
        assert previous < occurrence <= fire
        previous = fire
    # Nothing missed: no occurrence due at the end that was not caught.
    pending = next_trigger(p, t, last, last)
    assert pending is not None
    if pending <= now:
        raise AssertionError(f"occurrence {pending} not fired by {now}")
