"""Stork's default schedule policies, created by the controller when missing."""

from __future__ import annotations

from typing import Any

_API = "stork.libopenstorage.org/v1alpha1"


def _policy(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": _API,
        "kind": "SchedulePolicy",
        "metadata": {"name": name},
        "policy": body,
    }


DEFAULT_POLICIES: tuple[dict[str, Any], ...] = (
    _policy("default-migration-policy", {"interval": {"intervalMinutes": 30}}),
    _policy("default-interval-policy", {"interval": {"intervalMinutes": 15, "retain": 10}}),
    _policy("default-daily-policy", {"daily": {"time": "12:00am", "retain": 7}}),
    _policy("default-weekly-policy", {"weekly": {"day": "Sunday", "time": "12:00am", "retain": 4}}),
    _policy("default-monthly-policy", {"monthly": {"date": 15, "time": "12:00am", "retain": 12}}),
)
