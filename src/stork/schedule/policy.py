"""Validation of SchedulePolicy objects (Stork's checks and messages) and their sections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stork.schedule.days import DAY_NAMES
from stork.schedule.timeofday import TimeOfDayError, parse_kitchen

POLICY_TYPES = ("Interval", "Daily", "Weekly", "Monthly")
_RETAIN_DEFAULTS = {"Interval": 10, "Daily": 30, "Weekly": 7, "Monthly": 12}


class PolicyError(ValueError):
    """An invalid policy; the text is Stork's message."""


def _section(policy: Mapping[str, Any], policy_type: str) -> Mapping[str, Any] | None:
    body = policy.get("policy") or {}
    section = body.get(policy_type.lower())
    return section if isinstance(section, Mapping) else None


def _time(section: Mapping[str, Any], policy_type: str) -> tuple[int, int]:
    value = str(section.get("time") or "")
    try:
        return parse_kitchen(value)
    except TimeOfDayError as e:
        raise PolicyError(f"Invalid time ({value}) in {policy_type} policy: {e}") from e


def policy_zone(policy: Mapping[str, Any], default_tz: dt.tzinfo | None) -> dt.tzinfo:
    """The zone of the policy's times: its timeZone, else ``default_tz``, else local."""
    name = (policy.get("policy") or {}).get("timeZone")
    if name:
        try:
            return ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise PolicyError(f"Invalid timeZone ({name}) in policy: unknown time zone") from e
    if default_tz is not None:
        return default_tz
    local = dt.datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def validate_policy(policy: Mapping[str, Any]) -> None:
    """Raise PolicyError with Stork's message for the first invalid section (Stork's order)."""
    interval = _section(policy, "Interval")
    if interval is not None:
        minutes = interval.get("intervalMinutes")
        if not isinstance(minutes, int) or minutes < 1:
            raise PolicyError(f"Invalid intervalMinutes ({minutes}) in Interval policy")
    daily = _section(policy, "Daily")
    if daily is not None:
        _time(daily, "Daily")
    weekly = _section(policy, "Weekly")
    if weekly is not None:
        _time(weekly, "Weekly")
        if weekly.get("day") not in DAY_NAMES:
            raise PolicyError(f"Invalid day of the week ({weekly.get('day')}) in Weekly policy")
    monthly = _section(policy, "Monthly")
    if monthly is not None:
        _time(monthly, "Monthly")
        date = monthly.get("date")
        if not isinstance(date, int) or not 1 <= date <= 31:
            raise PolicyError(f"Invalid date of the month ({date}) in Monthly policy")
    policy_zone(policy, dt.UTC)


def get_retain(policy: Mapping[str, Any], policy_type: str) -> int:
    """Stork's retain: the section's value, its default when 0, 1 when the section is absent."""
    section = _section(policy, policy_type)
    if section is None:
        return 1
    retain = section.get("retain") or 0
    return int(retain) if retain > 0 else _RETAIN_DEFAULTS[policy_type]


@dataclass(frozen=True)
class Section:
    """A validated section, ready for the occurrence computations."""

    policy_type: str
    interval_minutes: int = 0
    hour: int = 0
    minute: int = 0
    weekday: int = 0
    date: int = 0


def section(policy: Mapping[str, Any], policy_type: str) -> Section | None:
    """The parsed section of a type (None when absent); validates the whole policy first."""
    if policy_type not in POLICY_TYPES:
        raise ValueError(f"unknown policy type {policy_type!r}")
    validate_policy(policy)
    body = _section(policy, policy_type)
    if body is None:
        return None
    if policy_type == "Interval":
        return Section(policy_type, interval_minutes=int(body["intervalMinutes"]))
    hour, minute = _time(body, policy_type)
    return Section(
        policy_type,
        hour=hour,
        minute=minute,
        weekday=DAY_NAMES.get(str(body.get("day")), 0),
        date=int(body.get("date") or 0),
    )
