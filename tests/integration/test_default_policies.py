"""`stork run` creates Stork's default SchedulePolicies when missing and overwrites only Stork's
old 1-minute default-migration-policy."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from lightkube import ApiError

from stork.controller.default_policies import ensure_default_policies
from stork.kube.resources import SchedulePolicyResource
from stork.schedule import DEFAULT_POLICIES
from tests.integration.conftest import Clusters, RunningController
from tests.waiting import wait_for

NAMES = [p["metadata"]["name"] for p in DEFAULT_POLICIES]


def _delete_defaults(clusters: Clusters) -> None:
    for name in NAMES:
        try:
            clusters.source.delete(SchedulePolicyResource, name)
        except ApiError as e:
            if e.status.code != 404:
                raise


@pytest.fixture
def no_defaults(clusters: Clusters) -> Iterator[None]:
    _delete_defaults(clusters)
    yield
    _delete_defaults(clusters)


def _policy(clusters: Clusters, name: str) -> dict[str, object]:
    obj = clusters.source.get(SchedulePolicyResource, name)
    return dict(obj["policy"])


def test_defaults_are_created_once_and_edits_survive(clusters: Clusters, no_defaults: None) -> None:
    assert sorted(NAMES) == [
        "default-daily-policy",
        "default-interval-policy",
        "default-migration-policy",
        "default-monthly-policy",
        "default-weekly-policy",
    ]
    assert ensure_default_policies(clusters.source, DEFAULT_POLICIES) == NAMES
    assert _policy(clusters, "default-migration-policy") == {"interval": {"intervalMinutes": 30}}
    assert _policy(clusters, "default-weekly-policy") == {
        "weekly": {"day": "Sunday", "time": "12:00am", "retain": 4}
    }
    assert ensure_default_policies(clusters.source, DEFAULT_POLICIES) == []

    edited = clusters.source.get(SchedulePolicyResource, "default-migration-policy")
    edited["policy"] = {"interval": {"intervalMinutes": 5}}
    clusters.source.replace(edited)
    assert ensure_default_policies(clusters.source, DEFAULT_POLICIES) == []
    assert _policy(clusters, "default-migration-policy") == {"interval": {"intervalMinutes": 5}}


def test_the_old_default_interval_of_one_minute_becomes_thirty(
    clusters: Clusters, no_defaults: None
) -> None:
    """Stork's upgrade fix: only default-migration-policy, only from exactly 1 minute."""
    ensure_default_policies(clusters.source, DEFAULT_POLICIES)
    for name in ("default-migration-policy", "default-interval-policy"):
        old = clusters.source.get(SchedulePolicyResource, name)
        old["policy"] = {"interval": {"intervalMinutes": 1}}
        clusters.source.replace(old)
    assert ensure_default_policies(clusters.source, DEFAULT_POLICIES) == []
    assert _policy(clusters, "default-migration-policy") == {"interval": {"intervalMinutes": 30}}
    assert _policy(clusters, "default-interval-policy") == {"interval": {"intervalMinutes": 1}}
    other = clusters.source.get(SchedulePolicyResource, "default-migration-policy")
    other["policy"] = {"daily": {"time": "1:00AM"}}  # no interval section: left alone
    clusters.source.replace(other)
    assert ensure_default_policies(clusters.source, DEFAULT_POLICIES) == []
    assert _policy(clusters, "default-migration-policy") == {"daily": {"time": "1:00AM"}}


def test_stork_run_creates_them_and_stops_on_sigterm(
    clusters: Clusters, no_defaults: None, start_controller: Callable[..., RunningController]
) -> None:
    running = start_controller()
    wait_for(lambda: _all_exist(clusters), 30, "the default policies")
    assert running.stop() == 0  # SIGTERM
    out = running.output()
    assert "default schedule policies: default-migration-policy" in out
    assert out.rstrip().endswith("stopped")


def _all_exist(clusters: Clusters) -> bool:
    names = {p.metadata.name for p in clusters.source.list(SchedulePolicyResource)}  # type: ignore[union-attr]
    return set(NAMES) <= names
