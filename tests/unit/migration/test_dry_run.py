"""The dry run's ledger wording and field diffs (pure parts of ``stork.migration.dryrun``)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stork.api.constants import MigrationStatus
from stork.migration import dryrun
from stork.migration.dryrun import Planned, details, planned
from stork.migration.ledger import Entry


def _deployment(replicas: int, image: str = "busybox", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "app", **meta},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"image": image}]}}},
    }


def test_every_reason_maps_to_its_action() -> None:
    assert planned(dryrun.WOULD_CREATE) == Planned.CREATE
    assert planned(dryrun.noted(dryrun.WOULD_CREATE, dryrun.NAMESPACE_FIRST)) == Planned.CREATE
    assert planned(dryrun.WOULD_UPDATE) == Planned.UPDATE
    assert planned(dryrun.DRY_UNCHANGED) == Planned.UNCHANGED
    assert planned(dryrun.WOULD_RECREATE.format(reason="spec.selector: immutable")) == (
        Planned.RECREATE
    )
    assert planned(dryrun.WOULD_DELETE) == Planned.DELETE
    assert planned(dryrun.REFUSED.format(message="forbidden")) == Planned.REFUSED
    assert planned("Resource migrated successfully") is None
    assert planned("Unchangedness") is None


def test_details_keep_what_follows_the_action() -> None:
    crd = dryrun.CRD_FIRST.format(name="widgets.example.com")
    assert details(dryrun.noted(dryrun.WOULD_CREATE, crd)) == crd
    assert details(dryrun.WOULD_UPDATE) == ""
    assert details(dryrun.REFUSED.format(message='admission webhook "x" denied')) == (
        'admission webhook "x" denied'
    )
    recreate = dryrun.noted(dryrun.WOULD_RECREATE.format(reason="field is immutable"), "parked")
    assert details(recreate) == "field is immutable; parked"
    assert details("not a dry-run reason") == "not a dry-run reason"


def test_drift_note_names_the_editors() -> None:
    assert dryrun.drift_note(("kubectl-edit",)) == (
        "drifted: changed on the destination by kubectl-edit since the last migration"
    )
    assert dryrun.drift_note(()) == "drifted: changed on the destination since the last migration"


def test_diff_shows_changed_fields_with_kubectl_headers() -> None:
    live = _deployment(0, resourceVersion="12", generation=3, managedFields=[{"manager": "x"}])
    merged = _deployment(0, image="busybox:2", resourceVersion="13", generation=4)
    text = dryrun.field_diff(live, merged)
    lines = text.splitlines()
    assert lines[:3] == [
        "diff -u -N live/apps.v1.Deployment.app.web merged/apps.v1.Deployment.app.web",
        "--- live/apps.v1.Deployment.app.web",
        "+++ merged/apps.v1.Deployment.app.web",
    ]
    assert "-      - image: busybox" in lines
    assert "+      - image: busybox:2" in lines
    # What the server rewrites on every write is no change of the user's.
    assert not any("resourceVersion" in line or "managedFields" in line for line in lines)


def test_no_diff_when_only_server_fields_and_migration_stamps_differ() -> None:
    live = _deployment(
        1, resourceVersion="1", annotations={"stork.libopenstorage.org/migrationTime": "a"}
    )
    merged = _deployment(
        1, resourceVersion="2", annotations={"stork.libopenstorage.org/migrationTime": "b"}
    )
    assert dryrun.field_diff(live, merged) == ""


def test_cluster_scoped_and_core_names() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}
    assert dryrun.diff_name(ns) == "v1.Namespace.app"


def test_long_diff_is_cut_at_a_line_and_says_so() -> None:
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}
    merged = {**live, "data": {f"k{i}": "v" * 50 for i in range(400)}}
    text = dryrun.field_diff(live, merged)
    assert len(text.encode()) <= dryrun.DIFF_MAX_BYTES
    assert text.endswith(dryrun.DIFF_TRUNCATED)
    assert text[: -len(dryrun.DIFF_TRUNCATED)].endswith("\n")


@given(st.text(), st.integers(min_value=0, max_value=300))
def test_truncated_never_exceeds_its_limit(text: str, limit: int) -> None:
    limit = max(limit, len(dryrun.DIFF_TRUNCATED))
    out = dryrun.truncated(text, limit)
    assert len(out.encode()) <= limit
    assert (out == text) == (len(text.encode()) <= limit)


def test_budget_stops_storing_diffs_once_spent() -> None:
    budget = dryrun.DiffBudget(left=10)
    assert budget.take("12345\n") == "12345\n"
    assert budget.take("123456\n") == dryrun.DIFF_TRUNCATED
    assert budget.take("1\n") == dryrun.DIFF_TRUNCATED  # spent: later small ones too
    assert budget.take("") == ""


def test_entry_carries_its_diff_into_status_only_when_set() -> None:
    plain = Entry("v1", "ConfigMap", "app", "c", MigrationStatus.SUCCESSFUL, "Would create")
    assert "diff" not in plain.to_status()
    changed = Entry("v1", "ConfigMap", "app", "c", MigrationStatus.SUCCESSFUL, "Would update", "d")
    assert changed.to_status()["diff"] == "d"
