"""Whether a policy type is due, and when it next will be (DESIGN.md, item 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stork.schedule.occurrences import daily, monthly, weekly
from stork.schedule.policy import Section, policy_zone, section


def _occurrences(s: Section, tz: dt.tzinfo, around: dt.datetime) -> list[dt.datetime]:
    if s.policy_type == "Daily":
        return daily(s.hour, s.minute, tz, around)
    if s.policy_type == "Weekly":
        return weekly(s.weekday, s.hour, s.minute, tz, around)
    return monthly(s.date, s.hour, s.minute, tz, around)


def latest_occurrence(s: Section, tz: dt.tzinfo, now: dt.datetime) -> dt.datetime | None:
    """The last occurrence at or before ``now``."""
    past = [t for t in _occurrences(s, tz, now) if t <= now]
    return past[-1] if past else None


def _check(now: dt.datetime, last: dt.datetime | None) -> None:
    if now.tzinfo is None or (last is not None and last.tzinfo is None):
        raise ValueError("datetimes must be timezone-aware")


def trigger_required(
    policy: Mapping[str, Any],
    policy_type: str,
    last_trigger: dt.datetime | None,
    now: dt.datetime,
    *,
    default_tz: dt.tzinfo | None = None,
) -> bool:
    """True when ``policy_type`` of ``policy`` is due at ``now``.

    Interval: at once when it never ran (``last_trigger`` None), then when ``now >= last +
    intervalMinutes``. Daily, weekly, monthly: when the latest occurrence at or before ``now``
    is later than ``last_trigger`` (callers pass the schedule's creation time when the type
    never ran; None means "never", so any past occurrence is due). Several missed occurrences
    make one trigger (catch-up once). Raises PolicyError for an invalid policy.
    """
    _check(now, last_trigger)
    s = section(policy, policy_type)
    if s is None:
        return False
    if s.policy_type == "Interval":
        return last_trigger is None or now >= last_trigger + dt.timedelta(
            minutes=s.interval_minutes
        )
    latest = latest_occurrence(s, policy_zone(policy, default_tz), now)
    return latest is not None and (last_trigger is None or latest > last_trigger)


def next_trigger(
    policy: Mapping[str, Any],
    policy_type: str,
    last_trigger: dt.datetime | None,
    now: dt.datetime,
    *,
    default_tz: dt.tzinfo | None = None,
) -> dt.datetime | None:
    """The first instant at or after ``now`` at which ``trigger_required`` holds (None: never)."""
    _check(now, last_trigger)
    s = section(policy, policy_type)
    if s is None:
        return None
    if s.policy_type == "Interval":
        if last_trigger is None:
            return now
        return max(now, last_trigger + dt.timedelta(minutes=s.interval_minutes))
    if trigger_required(policy, policy_type, last_trigger, now, default_tz=default_tz):
        return now
    tz = policy_zone(policy, default_tz)
    floor = max(now, last_trigger) if last_trigger is not None else now
    around = floor
    for _ in range(60):  # occurrences are at most ~2 months apart; this always ends early
        later = [t for t in _occurrences(s, tz, around) if t > floor]
        if later:
            return later[0]
        around += dt.timedelta(days=28)
    return None
