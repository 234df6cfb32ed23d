"""When a scheduled run became due, for the trigger-delay metric."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stork.controller.migrationschedule import POLICY_TYPES, _due_at

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def items(**by_type: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {t: by_type.get(t, []) for t in POLICY_TYPES}


def schedule(created: dt.datetime) -> dict[str, Any]:
    return {"metadata": {"creationTimestamp": created.strftime("%Y-%m-%dT%H:%M:%SZ")}}


def test_an_occurrence_is_due_at_its_time() -> None:
    done = {"finishTimestamp": "2024-05-01T11:59:30Z"}
    assert _due_at(schedule(T0), items(Interval=[done]), "Interval", T0, {}) == T0


def test_a_run_that_ended_late_makes_the_next_one_due_when_it_ended() -> None:
    late = {"finishTimestamp": "2024-05-01T12:00:20Z"}
    due = _due_at(schedule(T0), items(Interval=[late]), "Interval", T0, {})
    assert due == T0 + dt.timedelta(seconds=20)


def test_a_new_interval_schedule_is_due_when_it_was_created() -> None:
    created = T0 - dt.timedelta(seconds=3)
    assert _due_at(schedule(created), items(), "Interval", T0, {}) == created
    # A daily one is due at its occurrence.
    assert _due_at(schedule(created), items(), "Daily", T0, {}) == T0


def test_a_run_seen_ending_in_this_look_ended_when_its_migration_says() -> None:
    # Seen at 12:00:20 (the item's time, as Stork writes it), ended at 12:00:12 by its own
    # status: the 8 s between count as delay.
    seen = {"name": "s-interval-1", "finishTimestamp": "2024-05-01T12:00:20Z"}
    ended = {"s-interval-1": T0 + dt.timedelta(seconds=12)}
    due = _due_at(schedule(T0), items(Interval=[seen]), "Interval", T0, ended)
    assert due == T0 + dt.timedelta(seconds=12)
