"""When daily, weekly and monthly policies occur, as instants, in a time zone (pure).

A wall-clock time that does not exist on a day (spring-forward gap) occurs at the first instant
after the gap; a time that exists twice (fall-back fold) occurs once, at its first instant.
A monthly date a month lacks rolls over into the next month by the missing days, as the
documentation says (date 31 in April occurs on May 1; 31 in February on March 3, or March 2 in
a leap year).
"""

from __future__ import annotations

import calendar
import datetime as dt

_UTC = dt.UTC


def wall_instant(day: dt.date, hour: int, minute: int, tz: dt.tzinfo) -> dt.datetime:
    """The instant a wall-clock time occurs on ``day`` in ``tz`` (gap -> end of the gap)."""
    naive = dt.datetime(day.year, day.month, day.day, hour, minute)
    first = naive.replace(tzinfo=tz, fold=0)
    if first.astimezone(_UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return first.astimezone(_UTC)
    # In a gap: fold=1 maps with the offset after the jump (an instant before the gap),
    # fold=0 with the offset before it (an instant after). The gap ends where they meet.
    low = naive.replace(tzinfo=tz, fold=1).astimezone(_UTC)
    high = first.astimezone(_UTC)
    if low > high:
        low, high = high, low
    offset_after = high.astimezone(tz).utcoffset()
    while (high - low) > dt.timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == offset_after:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


def monthly_day(year: int, month: int, date: int) -> dt.date:
    """The day a monthly ``date`` falls on in (year, month), rolling over as documented."""
    days = calendar.monthrange(year, month)[1]
    if date <= days:
        return dt.date(year, month, date)
    return dt.date(year, month, days) + dt.timedelta(days=date - days)


def _months(year: int, month: int, offset: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + offset
    return index // 12, index % 12 + 1


def daily(hour: int, minute: int, tz: dt.tzinfo, around: dt.datetime) -> list[dt.datetime]:
    """Occurrences from two days before to two days after ``around``, in order."""
    today = around.astimezone(tz).date()
    return [wall_instant(today + dt.timedelta(days=d), hour, minute, tz) for d in range(-2, 3)]


def weekly(
    weekday: int, hour: int, minute: int, tz: dt.tzinfo, around: dt.datetime
) -> list[dt.datetime]:
    """Occurrences from about two weeks before to two weeks after ``around``, in order."""
    today = around.astimezone(tz).date()
    start = today - dt.timedelta(days=14)
    days = [start + dt.timedelta(days=d) for d in range(29)]
    return [wall_instant(d, hour, minute, tz) for d in days if d.weekday() == weekday]


def monthly(
    date: int, hour: int, minute: int, tz: dt.tzinfo, around: dt.datetime
) -> list[dt.datetime]:
    """Occurrences from two months before to two months after ``around``, in order."""
    local = around.astimezone(tz)
    out = []
    for offset in range(-2, 3):
        year, month = _months(local.year, local.month, offset)
        out.append(wall_instant(monthly_day(year, month, date), hour, minute, tz))
    return sorted(out)
