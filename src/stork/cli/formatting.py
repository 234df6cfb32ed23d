"""Go's ``time.Duration.String()`` as storkctl prints durations (dates: ``output.rfc822``)."""

from __future__ import annotations

import datetime as dt

_SECOND = 1_000_000_000
_MAX_NS = (1 << 63) - 1


def _fraction(value: int, unit: int) -> str:
    whole, rest = divmod(value, unit)
    digits = str(rest).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}" if digits else str(whole)


def go_duration(delta: dt.timedelta) -> str:
    """Go's ``time.Duration.String()`` (``1h2m3.5s``, ``1.5ms``, ``0s``), to the microsecond."""
    ns = (delta.days * 86_400 * 1_000_000 + delta.seconds * 1_000_000 + delta.microseconds) * 1000
    ns = max(min(ns, _MAX_NS), -_MAX_NS - 1)  # Go's Time.Sub saturates
    if ns == 0:
        return "0s"
    sign, ns = ("-" if ns < 0 else ""), abs(ns)
    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_fraction(ns, 1000)}µs"
    if ns < _SECOND:
        return f"{sign}{_fraction(ns, 1_000_000)}ms"
    hours, rest = divmod(ns, 3600 * _SECOND)
    minutes, rest = divmod(rest, 60 * _SECOND)
    seconds = _fraction(rest, _SECOND) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def duration(seconds: float) -> str:
    """Go's Duration.String() of a whole number of seconds (API timestamps have no fraction)."""
    return go_duration(dt.timedelta(seconds=round(seconds)))
