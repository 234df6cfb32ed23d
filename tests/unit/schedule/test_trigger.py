"""trigger_required / next_trigger: DESIGN.md's rules, catch-up, month ends, leap years, zones."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stork.schedule import next_trigger, occurrences_between, trigger_required
from stork.schedule.occurrences import monthly_day

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")


def at(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
    *,
    tz: dt.tzinfo = UTC,
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=tz)


def policy(body: dict[str, Any], zone: str | None = "UTC") -> dict[str, Any]:
    if zone is not None:
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
SEED = policy(
    {
        "interval": {"intervalMinutes": 1},
        "daily": {"time": "10:14PM"},
        "weekly": {"day": "Thursday", "time": "10:13PM"},
        "monthly": {"date": 14, "time": "8:05PM"},
    }
)


def test_absent_section_is_never_due() -> None:
    now = at(2026, 1, 1)
    for policy_type in ("Daily", "Weekly", "Monthly"):
        assert trigger_required(INTERVAL, policy_type, None, now) is False
        assert next_trigger(INTERVAL, policy_type, None, now) is None
        assert occurrences_between(INTERVAL, policy_type, now, now + dt.timedelta(days=60)) == []
    assert trigger_required(DAILY, "Interval", None, now) is False
    assert next_trigger(DAILY, "Interval", None, now) is None


def test_interval_fires_at_once_then_every_interval() -> None:
    now = at(2026, 1, 1, 12, 0)
    assert trigger_required(INTERVAL, "Interval", None, now)
    assert next_trigger(INTERVAL, "Interval", None, now) == now
    assert not trigger_required(
        INTERVAL, "Interval", now - dt.timedelta(minutes=59, seconds=59), now
    )
    assert trigger_required(INTERVAL, "Interval", now - dt.timedelta(minutes=60), now)
    assert trigger_required(
        INTERVAL, "Interval", now - dt.timedelta(days=3), now
    )  # once, not 72 times
    assert next_trigger(
        INTERVAL, "Interval", now - dt.timedelta(minutes=15), now
    ) == now + dt.timedelta(minutes=45)
    assert next_trigger(INTERVAL, "Interval", now - dt.timedelta(days=3), now) == now
    # A last trigger in the future (clock skew): due an interval after it.
    assert next_trigger(
        INTERVAL, "Interval", now + dt.timedelta(minutes=5), now
    ) == now + dt.timedelta(minutes=65)


def test_interval_beyond_the_end_of_time_never_fires() -> None:
    now = at(2026, 1, 1)
    for minutes in (10**12, 10**13):
        huge = policy({"interval": {"intervalMinutes": minutes}})
        assert not trigger_required(huge, "Interval", now, now + dt.timedelta(days=365))
        assert next_trigger(huge, "Interval", now, now) is None


def test_daily_before_at_and_after_the_time() -> None:
    created = at(2026, 1, 1, 0, 0)
    assert not trigger_required(DAILY, "Daily", created, at(2026, 1, 1, 22, 13, 59))
    assert trigger_required(DAILY, "Daily", created, at(2026, 1, 1, 22, 14))
    assert next_trigger(DAILY, "Daily", created, at(2026, 1, 1, 12)) == at(2026, 1, 1, 22, 14)
    fired = at(2026, 1, 1, 22, 14, 3)
    assert not trigger_required(DAILY, "Daily", fired, at(2026, 1, 2, 22, 13, 59, 999999))
    assert next_trigger(DAILY, "Daily", fired, at(2026, 1, 1, 23)) == at(2026, 1, 2, 22, 14)


def test_creation_time_as_last_trigger_skips_earlier_occurrences() -> None:
    """A schedule created at 23:00 does not run for the 22:14 occurrence of that day."""
    created = at(2026, 1, 1, 23, 0)
    assert not trigger_required(DAILY, "Daily", created, at(2026, 1, 1, 23, 0, 1))
    assert next_trigger(DAILY, "Daily", created, created) == at(2026, 1, 2, 22, 14)


def test_no_last_trigger_means_due_at_once() -> None:
    now = at(2026, 1, 1, 12)
    for policy_type, p in (("Daily", DAILY), ("Weekly", WEEKLY), ("Monthly", MONTHLY)):
        assert trigger_required(p, policy_type, None, now)
        assert next_trigger(p, policy_type, None, now) == now


def test_missed_occurrences_are_caught_up_once() -> None:
    """Stork skips an occurrence when it is more than an hour late; we run it once."""
    last = at(2026, 1, 1, 22, 14)
    late = at(2026, 1, 4, 9, 0)  # three daily occurrences missed while the controller was down
    assert trigger_required(DAILY, "Daily", last, late)
    assert next_trigger(DAILY, "Daily", last, late) == late
    assert not trigger_required(DAILY, "Daily", late, late + dt.timedelta(hours=1))
    assert next_trigger(DAILY, "Daily", late, late) == at(2026, 1, 4, 22, 14)
    # Weekly and monthly alike.
    assert trigger_required(WEEKLY, "Weekly", at(2026, 1, 1, 22, 13), at(2026, 1, 29, 8))
    assert not trigger_required(WEEKLY, "Weekly", at(2026, 1, 29, 8), at(2026, 1, 29, 22, 12))
    assert trigger_required(MONTHLY, "Monthly", at(2026, 1, 14, 20, 5), at(2026, 5, 2))
    assert next_trigger(MONTHLY, "Monthly", at(2026, 5, 2), at(2026, 5, 2)) == at(
        2026, 5, 14, 20, 5
    )


def test_weekly() -> None:
    # 2026-01-01 is a Thursday.
    created = at(2025, 12, 30)
    assert not trigger_required(WEEKLY, "Weekly", created, at(2026, 1, 1, 22, 12))
    assert trigger_required(WEEKLY, "Weekly", created, at(2026, 1, 1, 22, 13))
    assert next_trigger(WEEKLY, "Weekly", at(2026, 1, 1, 22, 13), at(2026, 1, 2)) == at(
        2026, 1, 8, 22, 13
    )
    assert occurrences_between(WEEKLY, "Weekly", at(2026, 1, 1), at(2026, 1, 31)) == [
        at(2026, 1, d, 22, 13) for d in (1, 8, 15, 22, 29)
    ]


def test_monthly() -> None:
    created = at(2026, 1, 1)
    assert not trigger_required(MONTHLY, "Monthly", created, at(2026, 1, 14, 20, 4))
    assert trigger_required(MONTHLY, "Monthly", created, at(2026, 1, 14, 20, 5))
    assert next_trigger(MONTHLY, "Monthly", at(2026, 1, 14, 20, 5), at(2026, 1, 15)) == at(
        2026, 2, 14, 20, 5
    )


def test_every_type_of_the_seed_policy() -> None:
    created = at(2026, 1, 1, 12)
    now = at(2026, 1, 1, 12, 0, 30)
    assert [
        next_trigger(SEED, t, None if t == "Interval" else created, now)
        for t in ("Interval", "Daily", "Weekly", "Monthly")
    ] == [
        now,
        at(2026, 1, 1, 22, 14),
        at(2026, 1, 1, 22, 13),
        at(2026, 1, 14, 20, 5),
    ]


@pytest.mark.parametrize(
    ("year", "month", "date", "expected"),
    [
        (2026, 4, 31, (2026, 5, 1)),
        (2026, 6, 31, (2026, 7, 1)),
        (2026, 9, 31, (2026, 10, 1)),
        (2026, 11, 31, (2026, 12, 1)),
        (2026, 2, 31, (2026, 3, 3)),
        (2028, 2, 31, (2028, 3, 2)),
        (2026, 2, 30, (2026, 3, 2)),
        (2028, 2, 30, (2028, 3, 1)),
        (2026, 2, 29, (2026, 3, 1)),
        (2028, 2, 29, (2028, 2, 29)),
        (2100, 2, 29, (2100, 3, 1)),  # 2100 is not a leap year
        (2000, 2, 29, (2000, 2, 29)),  # 2000 is
        (2026, 12, 31, (2026, 12, 31)),
        (2026, 1, 15, (2026, 1, 15)),
        (2026, 2, 28, (2026, 2, 28)),
    ],
)
def test_month_end_roll_over(
    year: int, month: int, date: int, expected: tuple[int, int, int]
) -> None:
    assert monthly_day(year, month, date) == dt.date(*expected)


def test_date_31_over_a_year() -> None:
    p = policy({"monthly": {"date": 31, "time": "1:00PM"}})
    days = [
        (1, 31),
        (3, 3),
        (3, 31),
        (5, 1),
        (5, 31),
        (7, 1),
        (7, 31),
        (8, 31),
        (10, 1),
        (10, 31),
        (12, 1),
        (12, 31),
    ]
    assert occurrences_between(p, "Monthly", at(2026, 12, 31, 13), at(2027, 12, 31, 13)) == [
        at(2027, m, d, 13) for m, d in days
    ]
    # Leap year: February's roll-over lands on March 2.
    assert occurrences_between(p, "Monthly", at(2028, 2, 1), at(2028, 3, 31)) == [
        at(2028, 3, 2, 13)
    ]
    assert occurrences_between(p, "Monthly", at(2028, 2, 1), at(2028, 3, 31, 13)) == [
        at(2028, 3, 2, 13),
        at(2028, 3, 31, 13),
    ]


def test_date_31_fires_on_may_1_after_april_then_on_may_31() -> None:
    p = policy({"monthly": {"date": 31, "time": "1:00PM"}})
    assert next_trigger(p, "Monthly", at(2026, 3, 31, 13), at(2026, 4, 2)) == at(2026, 5, 1, 13)
    assert not trigger_required(p, "Monthly", at(2026, 3, 31, 13), at(2026, 4, 30, 23, 59))
    assert trigger_required(p, "Monthly", at(2026, 3, 31, 13), at(2026, 5, 1, 13))
    assert next_trigger(p, "Monthly", at(2026, 5, 1, 13), at(2026, 5, 2)) == at(2026, 5, 31, 13)


@pytest.mark.parametrize(
    ("date", "year", "february_fire"),
    [
        (29, 2027, (3, 1)),
        (29, 2028, (2, 29)),
        (30, 2027, (3, 2)),
        (30, 2028, (3, 1)),
        (31, 2027, (3, 3)),
        (31, 2028, (3, 2)),
    ],
)
def test_leap_years_for_dates_29_to_31(
    date: int, year: int, february_fire: tuple[int, int]
) -> None:
    """February's occurrence (rolled over or not), then March's own, each fired once."""
    p = policy({"monthly": {"date": date, "time": "12:00am"}})
    january = at(year, 1, date)
    first = next_trigger(p, "Monthly", january, january)
    assert first == at(year, *february_fire)
    assert not trigger_required(p, "Monthly", january, first - dt.timedelta(seconds=1))
    second = next_trigger(p, "Monthly", first, first)
    assert second == at(year, 3, date)
    # Down from the January run until after March's: one catch-up run, not two.
    later = second + dt.timedelta(days=1)
    assert trigger_required(p, "Monthly", january, later)
    april = at(year, 4, date) if date < 31 else at(year, 5, 1)  # April 31 is May 1
    assert next_trigger(p, "Monthly", later, later) == april


def test_default_zone_applies_without_time_zone() -> None:
    p = policy({"daily": {"time": "9:00AM"}}, zone=None)
    assert next_trigger(p, "Daily", at(2026, 1, 1), at(2026, 1, 1), default_tz=BERLIN) == at(
        2026, 1, 1, 8
    )
    assert next_trigger(p, "Daily", at(2026, 7, 1), at(2026, 7, 1), default_tz=BERLIN) == at(
        2026, 7, 1, 7
    )
    fixed = dt.timezone(dt.timedelta(hours=-3))
    assert next_trigger(p, "Daily", at(2026, 7, 1), at(2026, 7, 1), default_tz=fixed) == at(
        2026, 7, 1, 12
    )
    # The policy's own zone wins over the default.
    tokyo = policy({"daily": {"time": "9:00AM"}}, zone="Asia/Tokyo")
    assert next_trigger(tokyo, "Daily", at(2026, 1, 1), at(2026, 1, 1), default_tz=BERLIN) == at(
        2026, 1, 2, 0
    )


def test_results_are_utc_and_arguments_any_zone() -> None:
    new_york = ZoneInfo("America/New_York")
    fire = next_trigger(DAILY, "Daily", at(2026, 1, 1, 12), at(2026, 1, 1, 7, tz=new_york))
    assert fire == at(2026, 1, 1, 22, 14)
    assert fire is not None
    assert fire.tzinfo is UTC
    now = at(2026, 1, 1, 17, 14, tz=new_york)  # 22:14 UTC
    assert next_trigger(DAILY, "Daily", at(2026, 1, 1, 12), now) == at(2026, 1, 1, 22, 14)
    assert trigger_required(DAILY, "Daily", at(2026, 1, 1, 12, tz=new_york), now)


def test_naive_datetimes_and_unknown_types_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        trigger_required(DAILY, "Daily", None, dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        next_trigger(DAILY, "Daily", dt.datetime(2026, 1, 1), at(2026, 1, 1))
    with pytest.raises(ValueError, match="invalid policy type: daily"):
        trigger_required(DAILY, "daily", None, at(2026, 1, 1))
    with pytest.raises(ValueError, match="no fixed occurrences"):
        occurrences_between(INTERVAL, "Interval", at(2026, 1, 1), at(2026, 1, 2))


def test_ends_of_time() -> None:
    start = dt.datetime.min.replace(tzinfo=UTC)
    end = dt.datetime.max.replace(tzinfo=UTC)
    assert next_trigger(DAILY, "Daily", start, start) == at(1, 1, 1, 22, 14)
    assert not trigger_required(DAILY, "Daily", None, start)
    assert next_trigger(DAILY, "Daily", None, start) == at(1, 1, 1, 22, 14)
    assert next_trigger(DAILY, "Daily", end, end) is None
    assert trigger_required(DAILY, "Daily", at(9999, 12, 30), end)
    assert next_trigger(MONTHLY, "Monthly", at(9999, 12, 14, 20, 5), at(9999, 12, 20)) is None
