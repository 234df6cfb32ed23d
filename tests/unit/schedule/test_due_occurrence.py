"""The occurrence a trigger stands for: the same for the same decision, whenever it is made."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stork.schedule import due_occurrence, trigger_required

UTC = dt.UTC
START = dt.datetime(2026, 3, 1, tzinfo=UTC)


def policy(**body: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p"}, "policy": {"timeZone": "Europe/Berlin", **body}}


POLICIES = [
    ("Interval", policy(interval={"intervalMinutes": 7})),
    ("Daily", policy(daily={"time": "2:30AM"})),
    ("Weekly", policy(weekly={"day": "Sunday", "time": "11:00PM"})),
    ("Monthly", policy(monthly={"date": 31, "time": "6:00PM"})),
]


def test_interval_is_named_by_when_it_was_due() -> None:
    p = POLICIES[0][1]
    last = dt.datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    due = dt.datetime(2026, 3, 1, 10, 7, tzinfo=UTC)
    for late in (0, 1, 3600):
        assert due_occurrence(p, "Interval", last, due + dt.timedelta(seconds=late)) == due
    assert due_occurrence(p, "Interval", last, due - dt.timedelta(seconds=1)) is None
    now = dt.datetime(2026, 3, 1, 9, 0, 1, tzinfo=UTC)
    assert due_occurrence(p, "Interval", None, now) == now
    assert due_occurrence(p, "Interval", None, now, first=START) == START


def test_daily_is_named_by_its_wall_clock_occurrence() -> None:
    p = POLICIES[1][1]
    created = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    # 02:30 in Berlin (UTC+1 in March before the switch) is 01:30 UTC.
    occurrence = dt.datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    for later in (0, 59, 7200):
        now = occurrence + dt.timedelta(seconds=later)
        assert due_occurrence(p, "Daily", created, now) == occurrence
    # Three nights missed: one run, named by the latest occurrence.
    assert due_occurrence(p, "Daily", created, occurrence + dt.timedelta(days=2, hours=1)) == (
        occurrence + dt.timedelta(days=2)
    )


@given(
    st.sampled_from(POLICIES),
    st.integers(0, 60 * 24 * 70),
    st.integers(0, 60 * 24 * 70),
    st.integers(0, 3600),
)
def test_due_exactly_when_required_and_stable_while_due(
    chosen: tuple[str, dict[str, Any]], last_minutes: int, now_minutes: int, later: int
) -> None:
    policy_type, p = chosen
    last = START + dt.timedelta(minutes=last_minutes)
    now = last + dt.timedelta(minutes=now_minutes)
    occurrence = due_occurrence(p, policy_type, last, now)
    assert (occurrence is not None) == trigger_required(p, policy_type, last, now)
    if occurrence is None:
        return
    assert last < occurrence <= now
    # Deciding again a little later, before any further occurrence, names the same run.
    again = now + dt.timedelta(seconds=later)
    if policy_type == "Interval" or due_occurrence(p, policy_type, now, again) is None:
        assert due_occurrence(p, policy_type, last, again) == occurrence
