"""Whether a policy type is due, and when it next will be (DESIGN.md, "better than Stork" 1).

Rules (all instants compared as instants, whatever zone the arguments carry):

* **Interval**: due at once when ``last_trigger`` is None (a new schedule), then whenever
  ``now >= last_trigger + intervalMinutes`` (Stork: strictly later).
* **Daily, weekly, monthly**: due when the latest occurrence at or before ``now`` is later than
  ``last_trigger``. A type that has never run passes the schedule's creation time, so only
  occurrences after the creation count. Occurrences missed while nothing checked (controller
  down, busy) are caught up once, at the next check, however late: several missed occurrences
  make one trigger (Stork only fires within an hour of an occurrence and skips it otherwise).
  ``last_trigger=None`` means "never ran, creation time unknown": due as soon as any
  occurrence lies at or before ``now`` (in practice: at once).
* Wall-clock times are read in the policy's ``timeZone``, else ``default_tz`` (the
  controller's ``--time-zone``), else the process's local zone (Stork's ``time.Local``). For
  gaps, folds and month ends see :mod:`stork.schedule.occurrences`.

An invalid policy raises :class:`PolicyError` for every type (as in Stork, one bad section
blocks the whole policy); a type whose section is absent is never due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from stork.schedule.occurrences import Recurrence
from stork.schedule.validation import CheckedPolicy, Section, check_policy, check_policy_type
from stork.schedule.zones import SystemLocalZone

_UTC = dt.UTC


def _as_utc(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(_UTC)


def _zone(checked: CheckedPolicy, default_tz: dt.tzinfo | None) -> dt.tzinfo:
    if checked.time_zone is not None:
        return checked.time_zone
    return default_tz if default_tz is not None else SystemLocalZone()


def policy_zone(policy: Mapping[str, Any], default_tz: dt.tzinfo | None = None) -> dt.tzinfo:
    """The zone in which ``policy``'s times are read.

    Its ``timeZone`` (IANA name), else ``default_tz``, else the process's local zone (a
    DST-aware :class:`~stork.schedule.zones.SystemLocalZone`). Raises PolicyError for an
    invalid policy.
    """
    return _zone(check_policy(policy), default_tz)


def _prepare(
    policy: Mapping[str, Any], policy_type: str, default_tz: dt.tzinfo | None
) -> tuple[Section | None, dt.tzinfo]:
    check_policy_type(policy_type)
    checked = check_policy(policy)
    return checked.sections.get(policy_type), _zone(checked, default_tz)


def _recurrence(section: Section, zone: dt.tzinfo) -> Recurrence:
    return Recurrence(
        section.policy_type,
        section.hour,
        section.minute,
        zone,
        weekday=section.weekday,
        date=section.date,
    )


def _interval_end(last: dt.datetime, section: Section) -> dt.datetime | None:
    try:
        return last + dt.timedelta(minutes=section.interval_minutes)
    except OverflowError:
        return None  # beyond the end of time: never


def trigger_required(
    policy: Mapping[str, Any],
    policy_type: str,
    last_trigger: dt.datetime | None,
    now: dt.datetime,
    *,
    default_tz: dt.tzinfo | None = None,
) -> bool:
    """Whether ``policy_type`` of ``policy`` is due at ``now``, given its ``last_trigger``.

    ``policy`` is a (Namespaced)SchedulePolicy object as a dict; ``policy_type`` is
    ``"Interval"``, ``"Daily"``, ``"Weekly"`` or ``"Monthly"`` (anything else: ValueError).
    Datetimes must be timezone-aware (else ValueError).

    * Interval: True when ``last_trigger`` is None, else when ``now >= last_trigger +
      intervalMinutes``.
    * Daily/Weekly/Monthly: True when the latest occurrence at or before ``now`` is later than
      ``last_trigger``. Callers pass the schedule's creation time as ``last_trigger`` while
      the type has never run, so that occurrences before the schedule existed do not count;
      None means "never ran, creation unknown" and is due as soon as any occurrence is past.
      Missed occurrences are caught up once (one True for any number of them).

    Times are wall-clock times in ``policy.timeZone``, else ``default_tz``, else the local
    zone. Raises :class:`PolicyError` (Stork's text) if the policy is invalid; False when it
    has no section of that type.
    """
    now_utc = _as_utc(now, "now")
    last = None if last_trigger is None else _as_utc(last_trigger, "last_trigger")
    section, zone = _prepare(policy, policy_type, default_tz)
    if section is None:
        return False
    if policy_type == "Interval":
        if last is None:
            return True
        end = _interval_end(last, section)
        return end is not None and now_utc >= end
    latest = _recurrence(section, zone).latest_at_or_before(now_utc)
    return latest is not None and (last is None or latest > last)


def next_trigger(
    policy: Mapping[str, Any],
    policy_type: str,
    last_trigger: dt.datetime | None,
    now: dt.datetime,
    *,
    default_tz: dt.tzinfo | None = None,
) -> dt.datetime | None:
    """The first instant at or after ``now`` at which :func:`trigger_required` holds.

    Same arguments and errors as :func:`trigger_required`, and the same ``last_trigger``
    (so: the schedule's creation time while the type has never run). Returns ``now`` itself
    (in UTC) when the type is due already, else the moment it becomes due: for Interval
    ``last_trigger + intervalMinutes``, for the others the first occurrence after both
    ``last_trigger`` and ``now``. None when the policy has no section of that type (or the
    moment lies beyond datetime's range). The result is an aware datetime in UTC.
    """
    now_utc = _as_utc(now, "now")
    last = None if last_trigger is None else _as_utc(last_trigger, "last_trigger")
    section, zone = _prepare(policy, policy_type, default_tz)
    if section is None:
        return None
    if policy_type == "Interval":
        if last is None:
            return now_utc
        end = _interval_end(last, section)
        return None if end is None else max(now_utc, end)
    recurrence = _recurrence(section, zone)
    latest = recurrence.latest_at_or_before(now_utc)
    if latest is not None and (last is None or latest > last):
        return now_utc
    # Not due now: no occurrence lies in (last, now], so the first occurrence after
    # max(last, now) is the first one after last, and due-ness starts exactly there.
    return recurrence.first_after(now_utc if last is None else max(now_utc, last))


def due_occurrence(
    policy: Mapping[str, Any],
    policy_type: str,
    last_trigger: dt.datetime | None,
    now: dt.datetime,
    *,
    default_tz: dt.tzinfo | None = None,
    first: dt.datetime | None = None,
) -> dt.datetime | None:
    """The occurrence a trigger at ``now`` stands for, or None when the type is not due.

    A function of the policy and ``last_trigger``, not of the moment of the decision, so that
    the same decision made twice (e.g. on a stale cache) names the same run. Interval:
    ``last_trigger + intervalMinutes``, or ``first`` (the schedule's creation time; ``now``
    when not given) for a schedule that never ran. Daily, weekly, monthly: the latest
    occurrence at or before ``now`` (several missed ones are one run, named by the latest).
    Same arguments and errors as :func:`trigger_required`; the result is in UTC.
    """
    if not trigger_required(policy, policy_type, last_trigger, now, default_tz=default_tz):
        return None
    now_utc = _as_utc(now, "now")
    section, zone = _prepare(policy, policy_type, default_tz)
    assert section is not None  # due, so the section exists
    if policy_type == "Interval":
        if last_trigger is None:
            return _as_utc(first, "first") if first is not None else now_utc
        return _interval_end(_as_utc(last_trigger, "last_trigger"), section)
    return _recurrence(section, zone).latest_at_or_before(now_utc)


def occurrences_between(
    policy: Mapping[str, Any],
    policy_type: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    default_tz: dt.tzinfo | None = None,
) -> list[dt.datetime]:
    """The occurrences of a daily, weekly or monthly section in ``(start, end]``, in UTC.

    For showing upcoming runs (e.g. ``storkctl describe``); keep the range small, the cost is
    proportional to the number of occurrences. [] when the policy has no such section;
    ValueError for ``"Interval"`` (its runs depend on the previous run, not on the clock).
    """
    if policy_type == "Interval":
        raise ValueError("interval policies have no fixed occurrences")
    start_utc, end_utc = _as_utc(start, "start"), _as_utc(end, "end")
    section, zone = _prepare(policy, policy_type, default_tz)
    if section is None:
        return []
    recurrence = _recurrence(section, zone)
    found: list[dt.datetime] = []
    current = recurrence.first_after(start_utc)
    while current is not None and current <= end_utc:
        found.append(current)
        current = recurrence.first_after(current)
    return found
