"""When daily, weekly and monthly policies occur, as instants (pure, no I/O).

An *occurrence* is an instant. Each local calendar day that a section names (every day; every
given weekday; the given date of every month) contributes the instant at which its wall-clock
time happens in the zone; the occurrences of a section are the set of those instants, in order.

* **Wall time -> instant** is Python's PEP 495 mapping with ``fold=0``
  (``datetime(..., tzinfo=zone).astimezone(UTC)``):

  - an ambiguous wall time (fall-back fold) is its *first* instant only, so it occurs once;
  - a wall time in a spring-forward gap occurs right after the gap (DESIGN.md), at the
    transition itself: 02:30 on Europe/Berlin's spring day (02:00 -> 03:00) occurs at 03:00
    CEST (01:00 UTC); on America/New_York's at 03:00 EDT. That instant is on the same local day
    or (for a gap across midnight) the next.

* **Monthly dates** a month does not have roll over into the next month by the missing days,
  as Stork's documentation says and Go's ``time.Date`` normalises: date 31 in April is May 1;
  date 31 in February is March 3 (March 2 in a leap year), 30 is March 2 (March 1), 29 is
  March 1 (February 29). A rolled-over occurrence is an occurrence like any other, so March
  can hold two (Feb 31 -> Mar 3, then Mar 31); they interleave with the months' own
  occurrences in time order.

* **Coincidences collapse**: when two named days map to one instant (a gap longer than the
  time between two named times, e.g. two times inside one gap), that instant is one
  occurrence. With a single date per monthly section, a rolled-over occurrence (day 1..3 of the
  next month) never coincides with that month's own (day 29..31).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

_UTC = dt.UTC
_DAY: Final = dt.timedelta(days=1)

# Length in days of one search window, by type: wide enough that a window next to a given
# instant always holds an occurrence on each side of it (daily: 5 days, weekly: 15, monthly: 71).
_WINDOW_DAYS: Final = MappingProxyType({"Daily": 4, "Weekly": 14, "Monthly": 70})
# Windows tried before giving up (only the ends of datetime's range run out of windows).
_MAX_WINDOWS: Final = 4


def monthly_day(year: int, month: int, date: int) -> dt.date:
    """The day on which a monthly ``date`` (1..31) falls in (year, month), rolling over."""
    return dt.date(year, month, 1) + dt.timedelta(days=date - 1)


def wall_instant(day: dt.date, hour: int, minute: int, zone: dt.tzinfo) -> dt.datetime | None:
    """The instant (in UTC) of wall time ``hour:minute`` on ``day`` in ``zone`` (fold=0).

    None when it falls outside datetime's range.
    """
    try:
        wall = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        after = wall.astimezone(_UTC)
        if after.astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            return after
        # In a gap: fold=0 maps with the offset from before it (an instant after the gap),
        # fold=1 with the offset after it (an instant before). The gap ends between the two.
        before = wall.replace(fold=1).astimezone(_UTC)
        return _gap_end(min(before, after), max(before, after), zone)
    except (OverflowError, ValueError, OSError):
        return None


def _gap_end(low: dt.datetime, high: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The transition instant in (low, high] where ``zone`` takes ``high``'s offset (to 1 s)."""
    offset_after = high.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).utcoffset() == offset_after:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


def local_date(instant: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The calendar day in ``zone`` of ``instant`` (its UTC day at the ends of the range)."""
    try:
        return instant.astimezone(zone).date()
    except (OverflowError, ValueError, OSError):
        return instant.astimezone(_UTC).date()


def _shift(day: dt.date, days: int) -> dt.date:
    """``day`` moved by ``days``, clamped to date's range."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


@dataclass(frozen=True)
class Recurrence:
    """The occurrences of one daily, weekly or monthly section in a zone.

    ``weekday`` (Python's numbering, Monday 0) is used by Weekly, ``date`` (1..31) by Monthly.
    """

    policy_type: str
    hour: int
    minute: int
    zone: dt.tzinfo
    weekday: int = 0
    date: int = 1

    def __post_init__(self) -> None:
        if self.policy_type not in _WINDOW_DAYS:
            raise ValueError(f"no occurrences for policy type {self.policy_type!r}")

    def named_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The local days in [first, last] that the section names (rolled-over dates too)."""
        if self.policy_type == "Monthly":
            days = []
            # The month before ``first`` may roll over into it.
            start = first.year * 12 + first.month - 2
            for index in range(start, last.year * 12 + last.month):
                year, month = divmod(index, 12)
                if 1 <= year <= 9999:
                    day = monthly_day(year, month + 1, self.date)
                    if first <= day <= last:
                        days.append(day)
            return days
        days = []
        day = first
        while day <= last:
            if self.policy_type == "Daily" or day.weekday() == self.weekday:
                days.append(day)
            if day == dt.date.max:
                break
            day += _DAY
        return days

    def instants(self, first: dt.date, last: dt.date) -> list[dt.datetime]:
        """The occurrences contributed by the named days in [first, last], sorted, distinct."""
        found = {
            wall_instant(day, self.hour, self.minute, self.zone)
            for day in self.named_days(first, last)
        }
        return sorted(t for t in found if t is not None)

    def latest_at_or_before(self, instant: dt.datetime) -> dt.datetime | None:
        """The last occurrence at or before ``instant`` (None only at the start of time)."""
        span = _WINDOW_DAYS[self.policy_type]
        # Days after the local day + 2 only hold later instants (no zone moves by two days).
        last = _shift(local_date(instant, self.zone), 2)
        for _ in range(_MAX_WINDOWS):
            first = _shift(last, -span)
            found = [t for t in self.instants(first, last) if t <= instant]
            if found:
                return found[-1]
            if first == dt.date.min:
                break
            last = _shift(first, -1)
        return None

    def first_after(self, instant: dt.datetime) -> dt.datetime | None:
        """The first occurrence strictly after ``instant`` (None only at the end of time)."""
        span = _WINDOW_DAYS[self.policy_type]
        first = _shift(local_date(instant, self.zone), -2)
        for _ in range(_MAX_WINDOWS):
            last = _shift(first, span)
            found = [t for t in self.instants(first, last) if t > instant]
            if found:
                return found[0]
            if last == dt.date.max:
                break
            first = _shift(last, 1)
        return None
