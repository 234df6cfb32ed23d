"""Destination drift: a copy edited on the destination is found by its version and applied again."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from stork.migration.ledger import drifted_reason
from stork.migration.memo import TransformMemo, memo_key
from stork.migration.plan import (
    HASH_ANNOTATION,
    Action,
    Step,
    destination_version,
    drifted,
    editors,
    object_id,
)
from stork.migration.planner import Planner, Present
from stork.migration.transform import TransformContext, migration_annotations

DESTINATION = "https://dr.example:6443"
STAMP = migration_annotations("m", "ns", dt.datetime(2024, 1, 1, tzinfo=dt.UTC))


def deployment(version: str = "10") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns", "uid": "u-1", "resourceVersion": version},
        "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c"}]}}},
    }


def test_the_version_is_the_generation_else_the_resource_version() -> None:
    with_generation = {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "a"}}
    with_generation["metadata"] |= {"generation": 3, "resourceVersion": "99"}
    assert destination_version(with_generation) == "g3"
    plain = {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "a"}}
    plain["metadata"] |= {"resourceVersion": "99"}
    assert destination_version(plain) == "r99"
    # The binder writes claims and volumes after us: their versions say nothing of an editor.
    claim = {**plain, "kind": "PersistentVolumeClaim"}
    assert destination_version(claim) is None
    assert destination_version({"kind": "ConfigMap", "metadata": {"name": "a"}}) is None


@pytest.mark.parametrize(
    ("remembered", "current", "moved"),
    [("g1", "g1", False), ("g1", "g2", True), (None, "g2", False), ("g1", None, False)],
)
def test_drifted_only_when_both_versions_are_known_and_differ(
    remembered: str | None, current: str | None, moved: bool
) -> None:
    assert drifted(remembered, current) is moved


def test_editors_are_the_other_managers_since_our_last_write_latest_first() -> None:
    fields = [
        {"manager": "kubectl-edit", "operation": "Update", "time": "2024-01-01T09:00:00Z"},
        {"manager": "stork", "operation": "Apply", "time": "2024-01-01T10:00:00Z"},
        {
            "manager": "kube-controller-manager",
            "subresource": "status",
            "time": "2024-01-01T10:01:00Z",
        },
        {"manager": "kubectl-scale", "subresource": "scale", "time": "2024-01-01T10:02:00Z"},
        {"manager": "helm", "operation": "Update", "time": "2024-01-01T10:03:00Z"},
    ]
    obj = {"metadata": {"managedFields": fields}}
    assert editors(obj, "stork") == ("helm", "kubectl-scale")
    assert editors({"metadata": {}}, "stork") == ()
    assert drifted_reason(("helm",)).startswith("Drifted: changed on the destination by helm")
    assert "by" not in drifted_reason(())


class Run:
    """Plans of one object against a destination copy, with one memo across runs."""

    def __init__(self) -> None:
        self.memo = TransformMemo()
        self.tctx = TransformContext(namespaces=frozenset({"ns"}))

    def plan(self, obj: dict[str, Any], here: Present | None) -> tuple[Step, Planner]:
        existing = {} if here is None else {here.id: here}
        planner = Planner(self.tctx, STAMP, self.memo, DESTINATION)
        steps = _run(planner.plan([], [obj], existing))
        assert len(steps) == 1
        return steps[0], planner


def _run(coro: Any) -> list[Step]:
    result: list[Step] = asyncio.run(coro)
    return result


def present(step_hash: str | None, version: str, who: tuple[str, ...] = ()) -> Present:
    return Present(object_id(deployment()), "apps/v1", step_hash, True, version, who)


def written(generation: int) -> dict[str, Any]:
    return {**deployment(), "metadata": {**deployment()["metadata"], "generation": generation}}


def test_an_edit_on_the_destination_is_found_and_applied_again() -> None:
    run = Run()
    first, planner = run.plan(deployment(), None)
    assert first.action == Action.APPLY
    assert first.drift is None
    planner.applied(first, written(1))
    content = first.obj["metadata"]["annotations"][HASH_ANNOTATION]

    # In step: no transform, no write.
    same, _ = run.plan(deployment(), present(content, "g1"))
    assert same.action == Action.UNCHANGED
    assert "spec" not in same.obj  # the memo spared the transform

    # Someone scaled the copy on the destination: same hash annotation, new generation.
    edited, planner = run.plan(deployment(), present(content, "g2", ("kubectl-scale",)))
    assert edited.action == Action.APPLY
    assert edited.drift == ("kubectl-scale",)
    assert edited.obj["spec"]["replicas"] == 0  # the transformed object, applied again
    planner.applied(edited, written(3))

    again, _ = run.plan(deployment(), present(content, "g3"))
    assert again.action == Action.UNCHANGED
    assert again.drift is None


def test_after_a_restart_the_first_sync_notes_the_versions_for_the_next() -> None:
    run = Run()
    first, _ = run.plan(deployment(), None)
    content = first.obj["metadata"]["annotations"][HASH_ANNOTATION]
    run.memo = TransformMemo()  # a restarted controller remembers nothing
    found, _ = run.plan(deployment(), present(content, "g5"))
    assert found.action == Action.UNCHANGED  # nothing to compare with: not a drift
    edited, _ = run.plan(deployment(), present(content, "g6", ("kubectl-edit",)))
    assert edited.drift == ("kubectl-edit",)


def test_a_source_change_that_keeps_the_hash_still_tells_a_drift() -> None:
    run = Run()
    first, planner = run.plan(deployment("10"), None)
    planner.applied(first, written(1))
    content = first.obj["metadata"]["annotations"][HASH_ANNOTATION]
    # The source's status moved (new resourceVersion, same transform) and the copy was edited.
    step, _ = run.plan(deployment("11"), present(content, "g2", ("kubectl-edit",)))
    assert step.action == Action.APPLY
    assert step.drift == ("kubectl-edit",)
    # A source change alone is no drift.
    step, _ = run.plan(deployment("12"), present(content, "g2"))
    assert step.action == Action.UNCHANGED


def test_memos_of_two_destinations_do_not_mix() -> None:
    run = Run()
    first, planner = run.plan(deployment(), None)
    planner.applied(first, written(1))
    content = first.obj["metadata"]["annotations"][HASH_ANNOTATION]
    other = Planner(run.tctx, STAMP, run.memo, "https://other-dr:6443")
    here = present(content, "g7")
    (step,) = _run(other.plan([], [deployment()], {here.id: here}))
    assert step.action == Action.UNCHANGED  # unknown there: compared by hash only
    assert memo_key(deployment(), DESTINATION) != memo_key(deployment(), "https://other-dr:6443")
