"""Stork's own storkctl writes MigrationSchedules with whole-object updates of its Go structs
(every field, nulls included, status too): those writes must take effect with our CRDs."""

from __future__ import annotations

import copy
from typing import Any

from lightkube.resources.core_v1 import Event

from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters
from tests.waiting import wait_for

#: Stork's MigrationSpec as its Go client serializes it: every field, no omitempty.
GO_MIGRATION_SPEC: dict[str, Any] = {
    "clusterPair": "",
    "adminClusterPair": "",
    "namespaces": None,
    "namespaceSelectors": None,
    "includeResources": None,
    "includeVolumes": None,
    "startApplications": None,
    "purgeDeletedResources": None,
    "skipServiceUpdate": None,
    "includeNetworkPolicyWithCIDR": None,
    "selectors": None,
    "excludeSelectors": None,
    "preExecRule": "",
    "postExecRule": "",
    "includeOptionalResourceTypes": None,
    "skipDeletedNamespaces": None,
    "transformSpecs": None,
    "ignoreOwnerReferencesCheck": None,
    "excludeResourceTypes": None,
}


def as_storks_client_writes_it(schedule: dict[str, Any], activated: bool) -> dict[str, Any]:
    """The object Stork's `storkctl activate migrations` sends back with UpdateMigrationSchedule."""
    spec = schedule.get("spec") or {}
    template = {**GO_MIGRATION_SPEC, **((spec.get("template") or {}).get("spec") or {})}
    status = schedule.get("status") or {}
    return {
        "apiVersion": schedule["apiVersion"],
        "kind": schedule["kind"],
        "metadata": copy.deepcopy(schedule["metadata"]),
        "spec": {
            "template": {"spec": template},
            "schedulePolicyName": spec.get("schedulePolicyName", ""),
            "suspend": spec.get("suspend"),
            "autoSuspend": bool(spec.get("autoSuspend")),
        },
        "status": {"items": status.get("items"), "applicationActivated": activated},
    }


def test_storks_activate_suspends_an_auto_suspend_schedule_within_a_pair_check(
    clusters: Clusters, namespace: str, start_controller: Any
) -> None:
    start_controller("--pair-check-interval", "2")
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status", None)
    clusters.source.create(ClusterPairResource.from_dict(pair))
    clusters.source.apply(
        SchedulePolicyResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "SchedulePolicy",
                "metadata": {"name": "hourly-whole"},
                "policy": {"interval": {"intervalMinutes": 60}},
            }
        ),
        field_manager="tests",
        force=True,
    )
    clusters.source.create(
        MigrationScheduleResource.from_dict(
            {
                "metadata": {"name": "sched", "namespace": namespace},
                "spec": {
                    "template": {
                        "spec": {
                            "clusterPair": "remote",
                            "namespaces": [namespace],
                            "includeVolumes": False,
                        }
                    },
                    "schedulePolicyName": "hourly-whole",
                    "autoSuspend": True,
                },
            }
        )
    )

    def first_done() -> bool:
        items = clusters.source.list(MigrationResource, namespace=namespace)
        return any((m.get("status") or {}).get("status") == "Successful" for m in items)

    wait_for(first_done, 60, "the first scheduled migration to succeed")
    remote = dict(clusters.destination.get(MigrationScheduleResource, "sched", namespace=namespace))
    assert remote["metadata"]["annotations"]["stork.libopenstorage.org/static-copy"] == "true"
    # Stork's storkctl on the destination: a whole-object update with the status inside.
    clusters.destination.replace(
        MigrationScheduleResource.from_dict(as_storks_client_writes_it(remote, activated=True))
    )
    stored = dict(clusters.destination.get(MigrationScheduleResource, "sched", namespace=namespace))
    assert stored["status"]["applicationActivated"] is True
    assert stored["spec"]["template"]["spec"]["namespaces"] == [namespace]
    # The next run would be in an hour; the activation is seen within a pair check.
    wait_for(
        lambda: (
            clusters.source.get(MigrationScheduleResource, "sched", namespace=namespace)[
                "spec"
            ].get("suspend")
            is True
        ),
        10,
        "the source schedule to suspend itself",
    )
    wait_for(
        lambda: "Suspended" in {e.reason for e in clusters.source.list(Event, namespace=namespace)},
        10,
        "the Suspended event",
    )
    # Deleted while the controller runs, so its finalizer goes with it (no stuck namespace).
    clusters.source.delete(MigrationScheduleResource, "sched", namespace=namespace)
    wait_for(
        lambda: not list(clusters.source.list(MigrationScheduleResource, namespace=namespace)),
        30,
        "the schedule to be gone",
    )
