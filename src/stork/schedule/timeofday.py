"""Times of day in Go's Kitchen layout, exactly as Stork parses them."""

from __future__ import annotations

import re

#: What Go's time.Parse("3:04PM") or ("3:04pm") accepts: 1–2 hour digits, 2 minute digits,
#: AM/PM in one case. Ranges (hour <= 12, minute <= 59) are part of the pattern.
KITCHEN_TIME_PATTERN = r"^(0?[0-9]|1[0-2]):[0-5][0-9](AM|PM|am|pm)$"

_DIGITS = re.compile(r"\d{1,2}")


class TimeOfDayError(ValueError):
    """A time that Go's Kitchen parsing refuses; the text is Go's error."""


def _go_parse(value: str, layout_pm: str) -> tuple[int, int]:
    """Go's time.Parse(layout, value) for layout "3:04PM" or "3:04pm": (hour, minute)."""
    layout = f"3:04{layout_pm}"
    rest = value
    m = _DIGITS.match(rest)
    if not m:
        raise TimeOfDayError(f'parsing time "{value}" as "{layout}": cannot parse "{rest}" as "3"')
    hour, rest = int(m.group()), rest[m.end() :]
    if hour > 12:
        raise TimeOfDayError(f'parsing time "{value}": hour out of range')
    if not rest.startswith(":"):
        raise TimeOfDayError(f'parsing time "{value}" as "{layout}": cannot parse "{rest}" as ":"')
    rest = rest[1:]
    if len(rest) < 2 or not rest[:2].isdigit():
        raise TimeOfDayError(f'parsing time "{value}" as "{layout}": cannot parse "{rest}" as "04"')
    minute, rest = int(rest[:2]), rest[2:]
    if minute >= 60:
        raise TimeOfDayError(f'parsing time "{value}": minute out of range')
    marker = rest[:2]
    allowed = ("AM", "PM") if layout_pm == "PM" else ("am", "pm")
    if len(rest) < 2 or marker not in allowed:
        raise TimeOfDayError(
            f'parsing time "{value}" as "{layout}": cannot parse "{rest}" as "{layout_pm}"'
        )
    if rest[2:]:
        raise TimeOfDayError(f'parsing time "{value}": extra text: "{rest[2:]}"')
    pm = marker.lower() == "pm"
    if pm and hour < 12:
        hour += 12
    elif not pm and hour == 12:
        hour = 0
    return hour, minute


def parse_kitchen(value: str) -> tuple[int, int]:
    """(hour, minute) of a Kitchen time; raises TimeOfDayError with Go's second error text."""
    try:
        return _go_parse(value, "PM")
    except TimeOfDayError:
        return _go_parse(value, "pm")
