"""Time zones of policy times: IANA names, and the process's local zone (Go's ``time.Local``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1)


def _system_wall_to_utc(wall: dt.datetime) -> dt.datetime:
    """The naive UTC time of the naive wall time ``wall`` in the system zone (PEP 495 fold).

    Uses ``datetime.timestamp()``, which resolves gaps and folds as PEP 495 says (a naive
    datetime's ``astimezone()`` does not: in a gap it picks the instant before the gap).
    Whole seconds go through the float; microseconds are added back exactly.
    """
    seconds = int(wall.replace(microsecond=0).timestamp())
    return _EPOCH + dt.timedelta(seconds=seconds, microseconds=wall.microsecond)


class SystemLocalZone(dt.tzinfo):
    """The process's local time zone as the C library sees it (``TZ``, ``/etc/localtime``).

    Unlike ``datetime.now().astimezone().tzinfo`` (a fixed offset, right only until the next
    DST change), this follows every transition, and it follows PEP 495 like ``ZoneInfo``:
    an ambiguous wall time with ``fold=0`` is its first instant, ``fold=1`` its second; a wall
    time in a spring-forward gap with ``fold=0`` maps with the offset from before the gap, i.e.
    to an instant after the gap. Stateless: every call asks the C library, so a changed ``TZ``
    (after ``time.tzset()``) is seen at once.
    """

    def utcoffset(self, when: dt.datetime | None) -> dt.timedelta | None:
        """The offset from UTC of the wall time ``when`` (PEP 495 rules for gaps and folds)."""
        if when is None:
            return None
        wall = when.replace(tzinfo=None)
        return wall - _system_wall_to_utc(wall)

    def dst(self, when: dt.datetime | None) -> dt.timedelta | None:
        """Unknown (None): the C library does not say how much of the offset is DST."""
        return None

    def tzname(self, when: dt.datetime | None) -> str | None:
        """The C library's abbreviation (``CET``, ``EDT`` ...) at that wall time."""
        if when is None:
            return None
        return when.replace(tzinfo=None).astimezone().tzname()

    def fromutc(self, when: dt.datetime) -> dt.datetime:
        """The local wall time of the UTC time ``when`` (fold=1 on the second pass of a fold)."""
        if when.tzinfo is not self:
            raise ValueError("fromutc: when.tzinfo is not self")
        utc = when.replace(tzinfo=None)
        wall = utc.replace(tzinfo=_UTC).astimezone().replace(tzinfo=None)
        fold = 0 if _system_wall_to_utc(wall) == utc else 1
        return wall.replace(tzinfo=self, fold=fold)

    def __repr__(self) -> str:
        return "SystemLocalZone()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SystemLocalZone)

    def __hash__(self) -> int:
        return hash(SystemLocalZone)


def zone_named(name: str) -> dt.tzinfo:
    """The IANA zone ``name``; raises LookupError (with a short reason) when there is none."""
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError as e:
        raise LookupError("unknown time zone") from e
    except (ValueError, OSError, TypeError) as e:
        # Keys that are not normalised relative names, directories such as "Europe", files
        # that are not TZif data: all "not a zone".
        raise LookupError("unknown time zone") from e
