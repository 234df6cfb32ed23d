"""Starting (and stopping) migrated applications on the destination: `storkctl activate`.

Workloads get back the replica count recorded in ``stork.openstorage.org/migrationReplicas``
(or Stork's ``stork.libopenstorage.org/migrationReplicas``);
exactly the CronJobs a migration suspended get back their own ``suspend`` value (Stork
un-suspends every CronJob of the namespace); every field the migration parked (Jobs suspended,
DaemonSets on no node, operators' custom resources switched off, admission webhooks without a
backend set to ``Ignore``: the ``stork.libopenstorage.org/parked`` record) gets its original
back exactly, and deactivation parks it again; the MigrationSchedules that migrated these
namespaces are marked ``applicationActivated`` so that their source copies stop overwriting them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from lightkube import ApiError, Client
from lightkube.resources.apps_v1 import Deployment, ReplicaSet, StatefulSet
from lightkube.resources.batch_v1 import CronJob
from lightkube.types import PatchType

from stork.api.constants import STATIC_COPY_ANNOTATION, STORK_MIGRATION_REPLICAS_ANNOTATION
from stork.failover.parked import (
    BUILTIN_KINDS,
    apply_records,
    apply_webhook_records,
    custom_resource_kinds,
)
from stork.kube.resources import MigrationScheduleResource, status_target
from stork.migration.transform import CRONJOB_SUSPEND_ANNOTATION, MIGRATION_REPLICAS_ANNOTATION
from stork.migration.transform.pipeline import MIGRATION_NAMESPACE_ANNOTATION

Say = Callable[[str], None]
_WORKLOADS: tuple[tuple[Any, str], ...] = (
    (StatefulSet, "statefulset"),
    (Deployment, "deployment"),
    (ReplicaSet, "replicaset"),
)


def _annotations(obj: Any) -> dict[str, str]:
    return dict((obj.metadata.annotations if obj.metadata else None) or {})


def scale(client: Client, namespace: str, activate: bool, say: Say, warn: Say) -> str | None:
    """Scale the namespace's migrated workloads and CronJobs; return the schedule namespace.

    The schedule namespace is the ``migrationNamespace`` annotation of a migrated object (the
    Migration's namespace on the source), else None.
    """
    schedule_ns: str | None = None
    for resource, label in _WORKLOADS:
        for obj in client.list(resource, namespace=namespace):
            annotations = _annotations(obj)
            if resource is ReplicaSet and obj.metadata and obj.metadata.ownerReferences:
                continue
            recorded = annotations.get(
                MIGRATION_REPLICAS_ANNOTATION, annotations.get(STORK_MIGRATION_REPLICAS_ANNOTATION)
            )
            if recorded is None:
                continue
            schedule_ns = schedule_ns or annotations.get(MIGRATION_NAMESPACE_ANNOTATION)
            replicas = int(recorded) if activate and recorded.isdigit() else 0
            name = str(obj.metadata.name) if obj.metadata else ""
            try:
                client.patch(
                    resource,
                    name,
                    {"spec": {"replicas": replicas}},
                    namespace=namespace,
                    patch_type=PatchType.MERGE,
                )
            except ApiError as e:
                warn(f"Error updating replicas for {label} {namespace}/{name}: {e.status.message}")
                continue
            say(f"Updated replicas for {label} {namespace}/{name} to {replicas}")
    for cron in client.list(CronJob, namespace=namespace):
        annotations = _annotations(cron)
        original = annotations.get(CRONJOB_SUSPEND_ANNOTATION)
        if original is None:
            continue  # not suspended by a migration: not ours to change
        schedule_ns = schedule_ns or annotations.get(MIGRATION_NAMESPACE_ANNOTATION)
        suspend = (original == "true") if activate else True
        name = str(cron.metadata.name) if cron.metadata else ""
        try:
            client.patch(
                CronJob,
                name,
                {"spec": {"suspend": suspend}},
                namespace=namespace,
                patch_type=PatchType.MERGE,
            )
        except ApiError as e:
            warn(
                f"Error updating suspend option for cronjob {namespace}/{name}: {e.status.message}"
            )
            continue
        say(f"Updated suspend option for cronjob {namespace}/{name} to {str(suspend).lower()}")
    return schedule_ns


def mark_schedules(
    client: Client,
    schedule_namespaces: Iterable[str],
    activated: set[str],
    activate: bool,
    say: Say,
) -> None:
    """Set ``applicationActivated`` on the schedules that migrate any of ``activated``.

    Activation marks every such schedule; deactivation clears only the static copies.
    """
    for ns in sorted(set(schedule_namespaces)):
        for schedule in client.list(MigrationScheduleResource, namespace=ns):
            spec = ((schedule.get("spec") or {}).get("template") or {}).get("spec") or {}
            if not activated & set(spec.get("namespaces") or []):
                continue
            meta = schedule.get("metadata") or {}
            static = (meta.get("annotations") or {}).get(STATIC_COPY_ANNOTATION) == "true"
            if not activate and not static:
                continue
            client.patch(
                status_target(MigrationScheduleResource),
                meta["name"],
                {"status": {"applicationActivated": activate}},
                namespace=ns,
                patch_type=PatchType.MERGE,
            )
            say(
                f"Setting the ApplicationActivated status in the MigrationSchedule "
                f"{ns}/{meta['name']} to {str(activate).lower()}"
            )


def activate_namespaces(
    client: Client, namespaces: list[str], activate: bool, say: Say, warn: Say
) -> None:
    """Activate (or deactivate) the migrated applications of ``namespaces``, in order.

    Deactivation parks the namespaces' admission webhooks first (their backends are about to
    stop, and a webhook that fails closed would refuse what follows); activation restores them
    last, once everything they guard is started.
    """
    parked = [*BUILTIN_KINDS, *((r, r.__name__.lower()) for r in custom_resource_kinds(client))]
    if not activate:
        apply_webhook_records(client, set(namespaces), activate, say, warn)
    schedule_namespaces = []
    for ns in namespaces:
        found = scale(client, ns, activate, say, warn)
        found = apply_records(client, ns, parked, activate, say, warn) or found
        schedule_namespaces.append(found or ns)
    if activate:
        apply_webhook_records(client, set(namespaces), activate, say, warn)
    mark_schedules(client, schedule_namespaces, set(namespaces), activate, say)
