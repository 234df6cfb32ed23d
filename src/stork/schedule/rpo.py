"""Recovery point objective arithmetic of a MigrationSchedule (pure): how often it should
succeed, when it last did, how far behind it is, and whether that breaches the objective."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stork.api.constants import MigrationStatus
from stork.api.timestamps import parse_time

SUCCEEDED = (MigrationStatus.SUCCESSFUL.value, MigrationStatus.PARTIAL_SUCCESS.value)
_DAY = 86400.0
#: The period of each policy type; a month counts as its longest, so no month looks late.
_PERIODS = {"daily": _DAY, "weekly": 7 * _DAY, "monthly": 31 * _DAY}
#: Lag beyond this many expected intervals breaches the recovery point objective.
RPO_FACTOR = 2.0


def expected_interval(policy: Mapping[str, Any] | None) -> float | None:
    """Seconds between two runs of a SchedulePolicy: its shortest period (None: no policy)."""
    body = (policy or {}).get("policy") or {}
    periods = [p for key, p in _PERIODS.items() if body.get(key)]
    minutes = (body.get("interval") or {}).get("intervalMinutes")
    if minutes:
        periods.append(float(minutes) * 60)
    return min(periods) if periods else None


def last_success(schedule: Mapping[str, Any]) -> dt.datetime | None:
    """When the schedule's latest successful (or partly successful) migration finished."""
    items = ((schedule.get("status") or {}).get("items")) or {}
    stamps = [
        parse_time(item.get("finishTimestamp") or item.get("creationTimestamp"))
        for runs in items.values()
        for item in runs or []
        if item.get("status") in SUCCEEDED
    ]
    return max((s for s in stamps if s is not None), default=None)


def schedule_lag(schedule: Mapping[str, Any], now: dt.datetime) -> float:
    """Seconds since the last success (since the schedule's creation when none yet)."""
    since = last_success(schedule) or parse_time(
        (schedule.get("metadata") or {}).get("creationTimestamp")
    )
    return max(0.0, (now - since).total_seconds()) if since else 0.0


def rpo_breached(lag: float, interval: float | None) -> bool:
    """True when the lag exceeds ``RPO_FACTOR`` expected intervals."""
    return interval is not None and lag > RPO_FACTOR * interval
