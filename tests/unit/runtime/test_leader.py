"""The pure part of leader election: what a candidate does given the Lease and the time."""

from __future__ import annotations

import datetime as dt

import pytest

from stork.runtime.leader import (
    LEASE_DURATION,
    RENEW_DEADLINE,
    RETRY_PERIOD,
    Action,
    LeaseRecord,
    Observer,
    decide,
    default_identity,
    default_namespace,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def record(holder: str, duration: float = 15.0, renewed: dt.datetime = T0) -> LeaseRecord:
    return LeaseRecord(
        holder=holder, duration=duration, renew_time=renewed, acquire_time=T0, transitions=3
    )


def test_controller_runtime_timings() -> None:
    assert (LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD) == (15.0, 10.0, 2.0)


def test_absent_lease_is_created() -> None:
    assert decide(None, "me", 0.0) is Action.CREATE


def test_own_lease_is_renewed_even_long_unchanged() -> None:
    assert decide(record("me"), "me", 100.0) is Action.RENEW


@pytest.mark.parametrize(("unchanged_for", "expected"), [(0.0, Action.WAIT), (14.9, Action.WAIT)])
def test_lease_of_another_is_respected_while_fresh(unchanged_for: float, expected: Action) -> None:
    assert decide(record("other"), "me", unchanged_for) is expected


@pytest.mark.parametrize("unchanged_for", [15.0, 60.0])
def test_lease_of_another_expires_after_its_duration(unchanged_for: float) -> None:
    assert decide(record("other"), "me", unchanged_for) is Action.TAKE


def test_the_lease_duration_is_the_one_written_in_the_lease() -> None:
    assert decide(record("other", duration=60), "me", 30.0) is Action.WAIT
    assert decide(record("other", duration=5), "me", 5.0) is Action.TAKE


def test_released_lease_is_taken_at_once() -> None:
    assert decide(record(""), "me", 0.0) is Action.TAKE


def test_observer_measures_how_long_a_record_is_unchanged() -> None:
    observer = Observer()
    first = record("other")
    assert observer.see(first, 100.0) == 0.0
    assert observer.see(first, 110.0) == 10.0
    renewed = record("other", renewed=T0 + dt.timedelta(seconds=2))
    assert observer.see(renewed, 112.0) == 0.0  # a renewal restarts the count
    assert observer.see(renewed, 127.0) == 15.0
    assert decide(renewed, "me", observer.see(renewed, 127.0)) is Action.TAKE


def test_observer_never_compares_with_the_renew_time_written_by_others() -> None:
    """A lease renewed long ago by the clock of another pod is still fresh when first seen."""
    observer = Observer()
    stale = record("other", renewed=T0 - dt.timedelta(days=1))
    assert decide(stale, "me", observer.see(stale, 5.0)) is Action.WAIT


def test_identity_and_namespace_from_the_downward_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_NAME", "stork-7d9f-abc")
    monkeypatch.setenv("POD_NAMESPACE", "stork")
    assert default_identity() == "stork-7d9f-abc"
    assert default_namespace() == "stork"


def test_identity_without_a_pod_is_unique(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POD_NAME", raising=False)
    monkeypatch.delenv("POD_NAMESPACE", raising=False)
    assert default_identity() != default_identity()
    assert default_namespace() == "kube-system"
