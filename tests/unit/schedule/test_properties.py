"""Property tests (hypothesis) against a brute-force oracle of the occurrences.

(a) ``next_trigger(now)`` is the first instant ``t >= now`` at which ``trigger_required``
    holds: it holds at ``t`` and at no checked instant of ``[now, t)`` (``t - 1s``,
    ``t - 1us``, ``now`` and sampled points), and ``t`` is what the oracle predicts.
(b) A controller that checks at arbitrary increasing instants and fires whenever due
    (``last_trigger = now``) fires exactly at the first check at or after each occurrence
    after the schedule's creation, several occurrences missed before one check collapsing
    into that check's single fire: it never fires twice for one occurrence and never misses
    one.

Times cluster around the DST transitions of the zones used (gaps and folds of one hour, of
half an hour, at midnight, and Pacific/Apia's skipped day in 2011).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from stork.schedule import DAY_NAMES, next_trigger, trigger_required

UTC = dt.UTC
ZONES = (
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Apia",
    "Asia/Kolkata",
)


def _transitions(zone: str, first_year: int, last_year: int) -> list[dt.datetime]:
    """The instants (to the minute) at which ``zone``'s UTC offset changes."""
    tz = ZoneInfo(zone)
    found = []
    t = dt.datetime(first_year, 1, 1, tzinfo=UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=UTC)
    offset = t.astimezone(tz).utcoffset()
    while t < end:
        after = t + dt.timedelta(days=1)
        new = after.astimezone(tz).utcoffset()
        if new != offset:
            low, high = t, after
            while high - low > dt.timedelta(minutes=1):
                mid = low + (high - low) / 2
                if mid.astimezone(tz).utcoffset() == offset:
                    low = mid
                else:
                    high = mid
            found.append(high)
        offset, t = new, after
    return found


TRANSITIONS = tuple(
    sorted(
        {
            t
            for zone in ZONES[1:]
            for years in ((2011, 2012), (2025, 2028))
            for t in _transitions(zone, *years)
        }
    )
)

instants = st.one_of(
    st.datetimes(
        min_value=dt.datetime(2005, 1, 1),
        max_value=dt.datetime(2035, 12, 31),
        timezones=st.just(UTC),
    ),
    st.builds(
        lambda base, seconds: base + dt.timedelta(seconds=seconds),
        st.sampled_from(TRANSITIONS),
        st.integers(-3 * 86400, 3 * 86400),
    ),
)


@dataclass(frozen=True)
class Spec:
    """A generated daily/weekly/monthly policy, and what the oracle needs to know of it."""

    policy_type: str
    zone: str
    hour: int
    minute: int
    weekday: int
    date: int
    policy: dict[str, Any]
    default_tz: dt.tzinfo | None


def kitchen(hour: int, minute: int, lower: bool) -> str:
    text = f"{hour % 12 or 12}:{minute:02d}{'AM' if hour < 12 else 'PM'}"
    return text.lower() if lower else text


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    policy_type = draw(st.sampled_from(["Daily", "Weekly", "Monthly"]))
    zone = draw(st.sampled_from(ZONES))
    hour = draw(st.one_of(st.integers(0, 23), st.sampled_from([0, 1, 2, 3, 23])))
    minute = draw(st.sampled_from([0, 1, 15, 30, 45, 59]))
    weekday = draw(st.integers(0, 6))
    date = draw(st.one_of(st.integers(1, 31), st.sampled_from([28, 29, 30, 31])))
    section: dict[str, Any] = {"time": kitchen(hour, minute, draw(st.booleans()))}
    if policy_type == "Weekly":
        section["day"] = draw(st.sampled_from([n for n, w in DAY_NAMES.items() if w == weekday]))
    if policy_type == "Monthly":
        section["date"] = date
    body: dict[str, Any] = {policy_type.lower(): section}
    # The zone comes from the policy, or from the caller's default.
    own_zone = draw(st.booleans())
    if own_zone:
        body["timeZone"] = zone
    return Spec(
        policy_type,
        zone,
        hour,
        minute,
        weekday,
        date,
        {
            "apiVersion": "stork.libopenstorage.org/v1alpha1",
            "kind": "SchedulePolicy",
            "policy": body,
        },
        None if own_zone else ZoneInfo(zone),
    )


def oracle(spec: Spec, low: dt.datetime, high: dt.datetime) -> list[dt.datetime]:
    """Every occurrence in (low, high], by brute force over the local days around them."""
    tz = ZoneInfo(spec.zone)
    first = low.astimezone(tz).date() - dt.timedelta(days=3)
    last = high.astimezone(tz).date() + dt.timedelta(days=3)
    days: list[dt.date] = []
    if spec.policy_type == "Monthly":
        year, month = first.year, first.month
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        while (year, month) <= (last.year, last.month):
            length = calendar.monthrange(year, month)[1]
            if spec.date <= length:
                days.append(dt.date(year, month, spec.date))
            else:  # the documented roll-over, computed differently from the module
                days.append(dt.date(year, month, length) + dt.timedelta(days=spec.date - length))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    else:
        day = first
        while day <= last:
            if spec.policy_type == "Daily" or day.weekday() == spec.weekday:
                days.append(day)
            day += dt.timedelta(days=1)
    wall = dt.time(spec.hour, spec.minute)
    found = {_instant(dt.datetime.combine(d, wall), tz) for d in days}
    return sorted(t for t in found if low < t <= high)


def _instant(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """When a wall time happens: itself, its first instant in a fold, or, in a gap, the end of
    the gap (found by stepping minute by minute from before the gap to where the clock has
    passed the wall time)."""
    t = naive.replace(tzinfo=tz).astimezone(UTC)
    if t.astimezone(tz).replace(tzinfo=None) == naive:
        return t
    t = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    while t.astimezone(tz).replace(tzinfo=None) < naive:
        t += dt.timedelta(minutes=1)
    return t


def due(spec: Spec, last: dt.datetime | None, now: dt.datetime) -> bool:
    return trigger_required(spec.policy, spec.policy_type, last, now, default_tz=spec.default_tz)


def expected_next(spec: Spec, last: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    if last is None or oracle(spec, last, now):
        return now
    after = max(last, now)
    return oracle(spec, after, after + dt.timedelta(days=70))[0]


@settings(max_examples=1000, deadline=None)
@given(
    spec=specs(),
    now=instants,
    last_kind=st.sampled_from(["before", "before", "before", "none", "after"]),
    distance=st.one_of(st.integers(0, 3 * 86400), st.integers(0, 100 * 86400)),
    probes=st.lists(st.integers(0, 999), max_size=6),
)
def test_next_trigger_is_the_first_instant_at_which_it_is_due(
    spec: Spec, now: dt.datetime, last_kind: str, distance: int, probes: list[int]
) -> None:
    shift = dt.timedelta(seconds=distance)
    last = {"none": None, "before": now - shift, "after": now + shift}[last_kind]
    fire = next_trigger(spec.policy, spec.policy_type, last, now, default_tz=spec.default_tz)
    assert fire is not None
    assert fire.tzinfo is UTC
    assert fire == expected_next(spec, last, now)
    assert fire >= now
    assert due(spec, last, fire)
    if fire > now:
        before = [now, fire - dt.timedelta(seconds=1), fire - dt.timedelta(microseconds=1)]
        before += [now + (fire - now) * p / 1000 for p in probes]
        for t in before:
            if now <= t < fire:
                assert not due(spec, last, t), t


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.integers(1, 2 * 1440),
    now=instants,
    last_kind=st.sampled_from(["before", "none", "after"]),
    distance=st.integers(0, 3 * 86400),
    probes=st.lists(st.integers(0, 999), max_size=6),
)
def test_next_interval_trigger_is_the_first_instant_at_which_it_is_due(
    minutes: int, now: dt.datetime, last_kind: str, distance: int, probes: list[int]
) -> None:
    policy = {"policy": {"interval": {"intervalMinutes": minutes}}}
    shift = dt.timedelta(seconds=distance)
    last = {"none": None, "before": now - shift, "after": now + shift}[last_kind]
    fire = next_trigger(policy, "Interval", last, now)
    assert fire is not None
    expected = now if last is None else max(now, last + dt.timedelta(minutes=minutes))
    assert fire == expected
    assert trigger_required(policy, "Interval", last, fire)
    for t in [
        fire - dt.timedelta(microseconds=1),
        *(now + (fire - now) * p / 1000 for p in probes),
    ]:
        if now <= t < fire:
            assert not trigger_required(policy, "Interval", last, t)


# One step of the simulated controller: wait some seconds, or go to the next occurrence
# (exactly, a microsecond before or a microsecond after).
steps = st.one_of(
    st.tuples(st.just("wait"), st.integers(1, 600)),
    st.tuples(st.just("wait"), st.integers(600, 3 * 86400)),
    st.tuples(st.just("wait"), st.integers(3 * 86400, 45 * 86400)),
    st.tuples(st.just("occurrence"), st.sampled_from([-1, 0, 0, 1])),
)


@settings(max_examples=500, deadline=None)
@given(spec=specs(), created=instants, plan=st.lists(steps, min_size=1, max_size=40))
def test_a_controller_never_fires_twice_for_one_occurrence_nor_misses_one(
    spec: Spec, created: dt.datetime, plan: list[tuple[str, int]]
) -> None:
    checks: list[dt.datetime] = []
    now = created
    for kind, value in plan:
        if kind == "wait":
            now += dt.timedelta(seconds=value)
        else:
            upcoming = oracle(spec, now, now + dt.timedelta(days=70))[0]
            target = upcoming + dt.timedelta(microseconds=value)
            if target <= now:
                continue
            now = target
        checks.append(now)

    last = created  # a type that never ran uses the schedule's creation time
    fires = []
    for check in checks:
        if due(spec, last, check):
            fires.append(check)
            last = check

    # Exactly: a check fires iff an occurrence lies between the previous check and it.
    previous = [created, *checks[:-1]]
    assert fires == [c for p, c in zip(previous, checks, strict=True) if oracle(spec, p, c)]
    # Spelled out. Never twice for one occurrence: a new occurrence precedes every fire.
    for before, fire in zip([created, *fires], fires, strict=False):
        assert oracle(spec, before, fire)
    # Never missed: each occurrence up to the last check is followed by a fire at the first
    # check at or after it (missed ones share that fire).
    if checks:
        for occurrence in oracle(spec, created, checks[-1]):
            first_check = next(c for c in checks if c >= occurrence)
            assert first_check in fires


@settings(max_examples=200, deadline=None)
@given(
    minutes=st.integers(1, 1440),
    created=instants,
    waits=st.lists(st.integers(1, 2 * 86400), min_size=1, max_size=40),
)
def test_an_interval_controller_fires_at_once_then_every_interval(
    minutes: int, created: dt.datetime, waits: list[int]
) -> None:
    policy = {"policy": {"interval": {"intervalMinutes": minutes}}}
    interval = dt.timedelta(minutes=minutes)
    last: dt.datetime | None = None
    now = created
    for n, wait in enumerate(waits):
        now += dt.timedelta(seconds=wait)
        fired = trigger_required(policy, "Interval", last, now)
        assert fired == (last is None or now - last >= interval)
        if n == 0:
            assert fired  # a new schedule runs at once
        if fired:
            last = now
