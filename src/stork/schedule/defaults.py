"""Stork's default schedule policies (``schedule.createDefaultPolicy``)."""

from __future__ import annotations

from typing import Any, Final

_API_VERSION: Final = "stork.libopenstorage.org/v1alpha1"


def _policy(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": _API_VERSION,
        "kind": "SchedulePolicy",
        "metadata": {"name": name},
        "policy": body,
    }


#: The SchedulePolicies Stork creates at start-up when they are missing, in Stork's order,
#: with the fields Stork sets. (Go would also serialise the unset sections as ``null`` and
#: unset ``retain`` as ``0``; both mean the same as absent, and a structural schema prunes or
#: refuses them, so they are left out.) A tuple: treat the dicts as read-only, copy before
#: changing one.
DEFAULT_POLICIES: Final[tuple[dict[str, Any], ...]] = (
    _policy("default-migration-policy", {"interval": {"intervalMinutes": 30}}),
    _policy("default-interval-policy", {"interval": {"intervalMinutes": 15, "retain": 10}}),
    _policy("default-daily-policy", {"daily": {"time": "12:00am", "retain": 7}}),
    _policy("default-weekly-policy", {"weekly": {"day": "Sunday", "time": "12:00am", "retain": 4}}),
    _policy("default-monthly-policy", {"monthly": {"date": 15, "time": "12:00am", "retain": 12}}),
)
