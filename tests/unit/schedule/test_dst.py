"""Daylight saving time: gaps and folds for daily, weekly and monthly policies.

Definition under test (DESIGN.md: "a time in a spring-forward gap fires right after the gap;
an ambiguous time fires once, at its first instant"), made precise as Python's PEP 495 fold=0:

* a wall time in a gap fires at the end of the gap, the transition itself (02:30 on a
  02:00->03:00 day fires at 03:00 new time);
* an ambiguous wall time fires at its first instant only (the earlier, still-summer one).

Transitions used (all on Sundays):
Europe/Berlin 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC), 2026-10-25 03:00 CEST -> 02:00 CET
(01:00 UTC); America/New_York 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC), 2026-11-01
02:00 EDT -> 01:00 EST (06:00 UTC).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stork.schedule import SystemLocalZone, next_trigger, occurrences_between, trigger_required

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def policy(section: str, zone: str | None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {section: fields}
    if zone is not None:
        body["timeZone"] = zone
    return {"kind": "SchedulePolicy", "policy": body}


def fires(
    p: dict[str, Any], policy_type: str, start: dt.datetime, count: int, **kw: Any
) -> list[dt.datetime]:
    """The first ``count`` trigger instants of a controller that fires whenever due."""
    out = []
    last = start
    for _ in range(count):
        t = next_trigger(p, policy_type, last, last, **kw)
        assert t is not None
        assert trigger_required(p, policy_type, last, t, **kw)
        assert not trigger_required(p, policy_type, last, t - dt.timedelta(microseconds=1), **kw)
        out.append(t)
        last = t
    return out


# --- Europe/Berlin -------------------------------------------------------------------------


def test_berlin_daily_gap() -> None:
    p = policy("daily", "Europe/Berlin", time="2:30AM")
    assert fires(p, "Daily", utc(2026, 3, 27, 12), 4) == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 0),  # 02:30 does not exist: 03:00 CEST, right after the gap
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
        utc(2026, 3, 31, 0, 30),
    ]
    assert utc(2026, 3, 29, 1, 0).astimezone(BERLIN).strftime("%H:%M %Z") == "03:00 CEST"


def test_berlin_daily_gap_edges() -> None:
    """Every time in the gap (02:00..02:59) fires at 03:00 CEST; 03:00 is itself; 01:59 before."""
    last = utc(2026, 3, 28, 12)
    for text, expected in [
        ("2:00AM", utc(2026, 3, 29, 1, 0)),
        ("2:59AM", utc(2026, 3, 29, 1, 0)),
        ("3:00AM", utc(2026, 3, 29, 1, 0)),
        ("1:59AM", utc(2026, 3, 29, 0, 59)),
    ]:
        p = policy("daily", "Europe/Berlin", time=text)
        assert next_trigger(p, "Daily", last, last) == expected, text


def test_berlin_daily_fold() -> None:
    p = policy("daily", "Europe/Berlin", time="2:30AM")
    first = utc(2026, 10, 25, 0, 30)  # 02:30 CEST, the first of the two 02:30s
    assert fires(p, "Daily", utc(2026, 10, 23, 12), 3) == [
        utc(2026, 10, 24, 0, 30),  # 02:30 CEST
        first,
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
    ]
    # The second 02:30 (CET, 01:30 UTC) is not an occurrence: nothing is due then.
    assert not trigger_required(p, "Daily", first, utc(2026, 10, 25, 1, 30))
    assert not trigger_required(p, "Daily", first, utc(2026, 10, 25, 23, 59))
    assert occurrences_between(p, "Daily", utc(2026, 10, 24), utc(2026, 10, 26, 12)) == [
        utc(2026, 10, 24, 0, 30),
        first,
        utc(2026, 10, 26, 1, 30),
    ]


def test_berlin_weekly_on_the_transition_sundays() -> None:
    gap = policy("weekly", "Europe/Berlin", day="Sunday", time="2:30AM")
    assert fires(gap, "Weekly", utc(2026, 3, 20), 3) == [
        utc(2026, 3, 22, 1, 30),
        utc(2026, 3, 29, 1, 0),  # 03:00 CEST
        utc(2026, 4, 5, 0, 30),
    ]
    fold = policy("weekly", "Europe/Berlin", day="sun", time="2:30am")
    assert fires(fold, "Weekly", utc(2026, 10, 20), 2) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 11, 1, 1, 30),
    ]


def test_berlin_monthly_on_the_transition_days() -> None:
    gap = policy("monthly", "Europe/Berlin", date=29, time="2:30AM")
    assert fires(gap, "Monthly", utc(2026, 2, 1), 2) == [
        utc(2026, 3, 1, 1, 30),  # Feb 29 2026 rolls over to Mar 1 (02:30 CET)
        utc(2026, 3, 29, 1, 0),  # the gap day: 03:00 CEST
    ]
    fold = policy("monthly", "Europe/Berlin", date=25, time="2:30AM")
    assert fires(fold, "Monthly", utc(2026, 10, 1), 2) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 11, 25, 1, 30),
    ]


# --- America/New_York ----------------------------------------------------------------------


def test_new_york_daily_gap() -> None:
    p = policy("daily", "America/New_York", time="2:30AM")
    assert fires(p, "Daily", utc(2026, 3, 6, 12), 3) == [
        utc(2026, 3, 7, 7, 30),  # 02:30 EST
        utc(2026, 3, 8, 7, 0),  # 02:30 does not exist: 03:00 EDT
        utc(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]
    assert utc(2026, 3, 8, 7, 0).astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:00 EDT"


def test_new_york_daily_fold() -> None:
    p = policy("daily", "America/New_York", time="1:30AM")
    first = utc(2026, 11, 1, 5, 30)  # 01:30 EDT
    assert next_trigger(p, "Daily", utc(2026, 10, 31, 12), utc(2026, 10, 31, 12)) == first
    assert not trigger_required(p, "Daily", first, utc(2026, 11, 1, 6, 30))  # 01:30 EST
    assert not trigger_required(p, "Daily", first, utc(2026, 11, 1, 6, 45))
    assert next_trigger(p, "Daily", first, first) == utc(2026, 11, 2, 6, 30)


def test_new_york_weekly_and_monthly_on_the_transition_days() -> None:
    weekly_gap = policy("weekly", "America/New_York", day="Sun", time="2:30AM")
    assert fires(weekly_gap, "Weekly", utc(2026, 3, 2), 2) == [
        utc(2026, 3, 8, 7, 0),
        utc(2026, 3, 15, 6, 30),
    ]
    weekly_fold = policy("weekly", "America/New_York", day="Sunday", time="1:30AM")
    assert fires(weekly_fold, "Weekly", utc(2026, 10, 26), 2) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 8, 6, 30),
    ]
    monthly_gap = policy("monthly", "America/New_York", date=8, time="2:30AM")
    assert fires(monthly_gap, "Monthly", utc(2026, 2, 9), 2) == [
        utc(2026, 3, 8, 7, 0),
        utc(2026, 4, 8, 6, 30),
    ]
    monthly_fold = policy("monthly", "America/New_York", date=1, time="1:30AM")
    assert fires(monthly_fold, "Monthly", utc(2026, 10, 2), 2) == [
        utc(2026, 11, 1, 5, 30),
        utc(2026, 12, 1, 6, 30),
    ]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_wall_time_is_kept_across_dst(zone: str) -> None:
    tz = ZoneInfo(zone)
    weekly = policy("weekly", zone, day="Sunday", time="9:00AM")
    for fire in fires(weekly, "Weekly", utc(2026, 2, 1), 40):
        local = fire.astimezone(tz)
        assert (local.weekday(), local.hour, local.minute) == (6, 9, 0)
    monthly = policy("monthly", zone, date=15, time="9:00AM")
    for fire in fires(monthly, "Monthly", utc(2026, 1, 1), 14):
        local = fire.astimezone(tz)
        assert (local.day, local.hour, local.minute) == (15, 9, 0)


def test_catch_up_across_a_transition_is_one_run() -> None:
    p = policy("daily", "Europe/Berlin", time="2:30AM")
    last = utc(2026, 3, 27, 1, 30)
    assert trigger_required(p, "Daily", last, utc(2026, 3, 31, 12))
    assert next_trigger(p, "Daily", utc(2026, 3, 31, 12), utc(2026, 3, 31, 12)) == utc(
        2026, 4, 1, 0, 30
    )


# --- other shapes of transitions -----------------------------------------------------------


def test_gap_at_midnight() -> None:
    """America/Santiago skips 00:00-01:00 on 2026-09-06: 12:00am happens at 01:00 -03."""
    p = policy("daily", "America/Santiago", time="12:00am")
    assert fires(p, "Daily", utc(2026, 9, 4, 12), 3) == [
        utc(2026, 9, 5, 4, 0),  # 00:00 -04
        utc(2026, 9, 6, 4, 0),  # 00:00 does not exist: 01:00 -03
        utc(2026, 9, 7, 3, 0),  # 00:00 -03
    ]


def test_half_hour_transitions() -> None:
    """Australia/Lord_Howe moves by 30 minutes: 02:00->02:30 on 2026-10-04, 02:00->01:30 on
    2026-04-05."""
    gap = policy("daily", "Australia/Lord_Howe", time="2:15AM")
    assert fires(gap, "Daily", utc(2026, 10, 2, 12), 2) == [
        utc(2026, 10, 2, 15, 45),  # 02:15 +10:30
        utc(2026, 10, 3, 15, 30),  # 02:15 does not exist: 02:30 +11, the end of the gap
    ]
    fold = policy("daily", "Australia/Lord_Howe", time="1:45AM")
    assert fires(fold, "Daily", utc(2026, 4, 3, 12), 3) == [
        utc(2026, 4, 3, 14, 45),  # Apr 4 01:45 +11
        utc(2026, 4, 4, 14, 45),  # Apr 5 01:45 +11, the first of two
        utc(2026, 4, 5, 15, 15),  # Apr 6 01:45 +10:30
    ]
    assert not trigger_required(fold, "Daily", utc(2026, 4, 4, 14, 45), utc(2026, 4, 4, 15, 15))


def test_a_skipped_day_fires_once() -> None:
    """Pacific/Apia skipped 2011-12-30 (a whole-day gap): that day's 10:00 fires once, right
    after the gap (Dec 31 00:00 +14), then Dec 31 10:00 +14 as usual."""
    p = policy("daily", "Pacific/Apia", time="10:00AM")
    assert occurrences_between(p, "Daily", utc(2011, 12, 29), utc(2012, 1, 2)) == [
        utc(2011, 12, 29, 20),
        utc(2011, 12, 30, 10),
        utc(2011, 12, 30, 20),
        utc(2011, 12, 31, 20),
        utc(2012, 1, 1, 20),
    ]
    assert fires(p, "Daily", utc(2011, 12, 29), 3) == [
        utc(2011, 12, 29, 20),
        utc(2011, 12, 30, 10),
        utc(2011, 12, 30, 20),
    ]
    weekly = policy("weekly", "Pacific/Apia", day="Friday", time="10:00AM")  # Dec 30 was a Friday
    assert occurrences_between(weekly, "Weekly", utc(2011, 12, 20), utc(2012, 1, 10)) == [
        utc(2011, 12, 23, 20),
        utc(2011, 12, 30, 10),  # the skipped Friday: right after the gap, Saturday 00:00 +14
        utc(2012, 1, 5, 20),
    ]


# --- the process's local zone (no timeZone, no default) ------------------------------------


@pytest.fixture
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run with the process's TZ set to the parameter, restoring it afterwards."""
    zone: str = request.param
    saved = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        yield zone
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.parametrize("local_zone", ["Europe/Berlin", "America/New_York", "UTC"], indirect=True)
def test_local_zone_follows_dst_like_zoneinfo(local_zone: str) -> None:
    tz = ZoneInfo(local_zone)
    for text in ("1:30AM", "2:30AM", "9:00AM", "11:59PM"):
        plain = policy("daily", None, time=text)
        named = policy("daily", local_zone, time=text)
        for start in (utc(2026, 3, 6), utc(2026, 3, 27), utc(2026, 10, 23), utc(2026, 10, 30)):
            assert fires(plain, "Daily", start, 4) == fires(named, "Daily", start, 4)
    # SystemLocalZone itself agrees with ZoneInfo, folds and gaps included.
    system = SystemLocalZone()
    instant = utc(2026, 3, 1)
    while instant < utc(2026, 12, 1):
        assert instant.astimezone(system).replace(tzinfo=None) == instant.astimezone(tz).replace(
            tzinfo=None
        )
        assert instant.astimezone(system).fold == instant.astimezone(tz).fold
        assert instant.astimezone(system).astimezone(UTC) == instant
        instant += dt.timedelta(minutes=37)
    for wall in (
        dt.datetime(2026, 3, 29, 2, 30),
        dt.datetime(2026, 3, 8, 2, 30),
        dt.datetime(2026, 11, 1, 1, 30),
        dt.datetime(2026, 10, 25, 2, 30),
    ):
        for fold in (0, 1):
            mine = wall.replace(tzinfo=system, fold=fold)
            theirs = wall.replace(tzinfo=tz, fold=fold)
            assert mine.utcoffset() == theirs.utcoffset(), (wall, fold)
            assert mine.astimezone(UTC) == theirs.astimezone(UTC)
    assert (
        system.tzname(dt.datetime(2026, 1, 15, 12))
        == dt.datetime(2026, 1, 15, 12, tzinfo=tz).tzname()
    )
    assert system.dst(dt.datetime(2026, 1, 15)) is None
    assert system.utcoffset(None) is None
    assert system == SystemLocalZone()
    assert hash(system) == hash(SystemLocalZone())
    assert repr(system) == "SystemLocalZone()"


@pytest.mark.parametrize("local_zone", ["America/New_York"], indirect=True)
def test_local_zone_is_the_fallback(local_zone: str) -> None:
    p = policy("daily", None, time="9:00AM")
    assert next_trigger(p, "Daily", utc(2026, 1, 1), utc(2026, 1, 1)) == utc(2026, 1, 1, 14)
    assert next_trigger(p, "Daily", utc(2026, 7, 1), utc(2026, 7, 1)) == utc(2026, 7, 1, 13)
    # An explicit default zone wins over the local zone.
    assert next_trigger(p, "Daily", utc(2026, 7, 1), utc(2026, 7, 1), default_tz=BERLIN) == utc(
        2026, 7, 1, 7
    )
