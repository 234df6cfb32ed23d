"""Validation of SchedulePolicy / NamespacedSchedulePolicy objects, with Stork's messages.

Stork (``schedule.ValidateSchedulePolicy``) checks the sections in the order interval, daily,
weekly, monthly and reports the first error; inside weekly and monthly the time comes before the
day or date. Missing fields count as Go's zero values (``0``, ``""``), as they would after Go
decoded the object, so ``{"interval": {}}`` is ``Invalid intervalMinutes (0) in Interval policy``.
A section that is ``null`` or absent is not there; one that is not an object (which Go could
not even decode) is ``Invalid Daily policy: not an object``.

Two checks are ours, run after Stork's:

* ``policy.timeZone`` (optional IANA name; empty counts as unset): an unknown zone is
  ``Invalid timeZone (<name>) in policy: unknown time zone``.
* A policy without any of the four sections never triggers anything; Stork accepts it and its
  schedules silently never run. We refuse it (``Invalid policy: no interval, daily, weekly or
  monthly section``) so that the MigrationSchedule shows why nothing happens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from stork.schedule.days import DAY_NAMES
from stork.schedule.timeofday import TimeOfDayError, parse_kitchen
from stork.schedule.zones import zone_named

#: The policy types, in Stork's order (``GetValidSchedulePolicyTypes``).
POLICY_TYPES: Final = ("Interval", "Daily", "Weekly", "Monthly")

NO_SECTION_MESSAGE: Final = "Invalid policy: no interval, daily, weekly or monthly section"


class PolicyError(ValueError):
    """An invalid schedule policy; ``str()`` is Stork's message text."""


@dataclass(frozen=True)
class Section:
    """One validated section of a policy.

    ``interval_minutes`` is set for Interval; ``hour``/``minute`` (24-hour wall clock) for the
    others; ``weekday`` (Python's numbering, Monday 0) for Weekly; ``date`` (1..31) for Monthly.
    """

    policy_type: str
    interval_minutes: int = 0
    hour: int = 0
    minute: int = 0
    weekday: int = 0
    date: int = 0


@dataclass(frozen=True)
class CheckedPolicy:
    """A validated policy: its sections by type, and its own zone (None: not set)."""

    sections: Mapping[str, Section]
    time_zone: dt.tzinfo | None


def check_policy_type(policy_type: str) -> None:
    """Raise ValueError unless ``policy_type`` is one of :data:`POLICY_TYPES`."""
    if policy_type not in POLICY_TYPES:
        raise ValueError(f"invalid policy type: {policy_type}")


def policy_body(policy: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object's ``policy`` mapping ({} when absent or null)."""
    body = policy.get("policy")
    return body if isinstance(body, Mapping) else {}


def raw_section(policy: Mapping[str, Any], policy_type: str) -> Mapping[str, Any] | None:
    """The section of ``policy_type`` as written (None when absent or null)."""
    section = policy_body(policy).get(policy_type.lower())
    return section if isinstance(section, Mapping) else None


def _int(value: object) -> int | None:
    """``value`` if it is an integer (JSON's booleans are not), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _go_value(value: object, zero: str) -> str:
    """How Go's ``%v`` prints a field after decoding (a missing field is its zero value)."""
    if value is None:
        return zero
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _time(section: Mapping[str, Any], policy_type: str) -> tuple[int, int]:
    raw = section.get("time")
    text = _go_value(raw, "")
    if raw is not None and not isinstance(raw, str):
        # Go would have refused to decode such an object at all; say so in Stork's form.
        raise PolicyError(f"Invalid time ({text}) in {policy_type} policy: not a string")
    try:
        return parse_kitchen(text)
    except TimeOfDayError as e:
        raise PolicyError(f"Invalid time ({text}) in {policy_type} policy: {e}") from e


def _interval(section: Mapping[str, Any]) -> Section:
    raw = section.get("intervalMinutes")
    minutes = _int(raw)
    if minutes is None or minutes < 1:
        raise PolicyError(f"Invalid intervalMinutes ({_go_value(raw, '0')}) in Interval policy")
    return Section("Interval", interval_minutes=minutes)


def _daily(section: Mapping[str, Any]) -> Section:
    hour, minute = _time(section, "Daily")
    return Section("Daily", hour=hour, minute=minute)


def _weekly(section: Mapping[str, Any]) -> Section:
    hour, minute = _time(section, "Weekly")
    day = section.get("day")
    if not isinstance(day, str) or day not in DAY_NAMES:
        raise PolicyError(f"Invalid day of the week ({_go_value(day, '')}) in Weekly policy")
    return Section("Weekly", hour=hour, minute=minute, weekday=DAY_NAMES[day])


def _monthly(section: Mapping[str, Any]) -> Section:
    hour, minute = _time(section, "Monthly")
    raw = section.get("date")
    date = _int(raw)
    if date is None or not 1 <= date <= 31:
        raise PolicyError(f"Invalid date of the month ({_go_value(raw, '0')}) in Monthly policy")
    return Section("Monthly", hour=hour, minute=minute, date=date)


_PARSERS: Final = MappingProxyType(
    {"Interval": _interval, "Daily": _daily, "Weekly": _weekly, "Monthly": _monthly}
)


def _time_zone(body: Mapping[str, Any]) -> dt.tzinfo | None:
    name = body.get("timeZone")
    if name is None or name == "":
        return None
    if not isinstance(name, str):
        raise PolicyError(f"Invalid timeZone ({_go_value(name, '')}) in policy: not a string")
    try:
        return zone_named(name)
    except LookupError as e:
        raise PolicyError(f"Invalid timeZone ({name}) in policy: {e.args[0]}") from e


def check_policy(policy: Mapping[str, Any]) -> CheckedPolicy:
    """Validate ``policy`` (Stork's order and messages, then ours) and return it parsed."""
    body = policy_body(policy)
    sections: dict[str, Section] = {}
    for policy_type in POLICY_TYPES:
        raw = body.get(policy_type.lower())
        if raw is None:
            continue
        if not isinstance(raw, Mapping):
            # Go could not have decoded it; do not silently read it as absent.
            raise PolicyError(f"Invalid {policy_type} policy: not an object")
        sections[policy_type] = _PARSERS[policy_type](raw)
    zone = _time_zone(body)
    if not sections:
        raise PolicyError(NO_SECTION_MESSAGE)
    return CheckedPolicy(sections=sections, time_zone=zone)


def validate_policy(policy: Mapping[str, Any]) -> None:
    """Raise :class:`PolicyError` with Stork's message if ``policy`` is invalid.

    ``policy`` is a SchedulePolicy or NamespacedSchedulePolicy object as the API returns it
    (``{"apiVersion", "kind", "metadata", "policy": {"interval", "daily", "weekly", "monthly",
    "timeZone"}}``); sections may be absent or null. Checks, first failure wins:

    1. interval: ``intervalMinutes >= 1`` -> ``Invalid intervalMinutes (0) in Interval policy``;
    2. daily: time in Go's Kitchen layout -> ``Invalid time (25:00PM) in Daily policy: parsing
       time "25:00PM": hour out of range`` (Go's own error text after the colon);
    3. weekly: time, then day (one of :data:`~stork.schedule.DAY_NAMES`) ->
       ``Invalid day of the week (Fooday) in Weekly policy``;
    4. monthly: time, then date 1..31 -> ``Invalid date of the month (0) in Monthly policy``;
    5. ours: ``timeZone`` must name a zone -> ``Invalid timeZone (Mars/Olympus) in policy:
       unknown time zone``;
    6. ours: at least one section must be present -> ``Invalid policy: no interval, daily,
       weekly or monthly section``.
    """
    check_policy(policy)
