"""Timestamps as the Kubernetes API writes them: RFC 3339 in UTC, whole seconds, ``Z``."""

from __future__ import annotations

import datetime as dt
from typing import Any


def parse_time(stamp: Any) -> dt.datetime | None:
    """An API timestamp as an aware datetime (None for null or empty; datetimes pass through)."""
    if not stamp:
        return None
    if isinstance(stamp, dt.datetime):
        return stamp
    return dt.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


def format_time(when: dt.datetime) -> str:
    """``when`` (aware) as ``YYYY-MM-DDTHH:MM:SSZ``: UTC, microseconds dropped."""
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
