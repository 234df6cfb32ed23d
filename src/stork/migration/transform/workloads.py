"""startApplications false: workloads scaled to zero and CronJobs suspended, both recorded.

Activation (``storkctl activate migrations``) reads the records back: a workload gets the
replica count of :data:`MIGRATION_REPLICAS_ANNOTATION`, and exactly the CronJobs that carry
:data:`CRONJOB_SUSPEND_ANNOTATION` get their own ``suspend`` value back (Stork records nothing
and un-suspends every CronJob of the namespace). :func:`recorded_replicas` and
:func:`recorded_suspend` read the records.

Both records are carried forward: when the source object is itself a stopped copy (0 replicas
with a positive record, or suspended with a record), the record is kept rather than replaced
by the stopped state, so a chain of migrations, or a repeated transform, never loses the
original. With startApplications true such a stopped copy is started, as Stork does for
replicas: the workload gets its recorded count, the CronJob its recorded ``suspend``.

Kinds are matched by API group too (Stork matches the kind name only): a custom resource that
happens to be called ``Deployment`` is not scaled to a count nothing would restore.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from stork.api.constants import MIGRATION_REPLICAS_ANNOTATION as _REPLICAS
from stork.api.constants import STORK_MIGRATION_REPLICAS_ANNOTATION
from stork.migration.transform._objects import Obj, get_in, group_kind, set_in, string_map

#: Source replica count of a workload scaled to 0 (the name DESIGN.md and the docs use).
MIGRATION_REPLICAS_ANNOTATION = _REPLICAS
#: Label ``"true"`` on workloads scaled to 0 (Stork's label).
MIGRATED_LABEL = "stork.libopenstorage.org/migrated"
#: A suspended CronJob's own ``spec.suspend`` before the migration, ``"true"`` or ``"false"``.
CRONJOB_SUSPEND_ANNOTATION = "stork.libopenstorage.org/cronjob-suspend"

SCALED_KINDS = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "ReplicaSet"),
        ("apps.openshift.io", "DeploymentConfig"),
        ("extensions", "Deployment"),
        ("extensions", "ReplicaSet"),
    }
)
CRONJOB_KINDS = frozenset({("batch", "CronJob")})

_INTEGER = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.ParseInt accepts in base 10


def recorded_replicas(obj: Mapping[str, Any]) -> int | None:
    """The replica count recorded in :data:`MIGRATION_REPLICAS_ANNOTATION` (or in Stork's own
    spelling of it), if valid (>= 0)."""
    annotations = string_map(get_in(obj, "metadata", "annotations"))
    value = annotations.get(MIGRATION_REPLICAS_ANNOTATION)
    if value is None:
        value = annotations.get(STORK_MIGRATION_REPLICAS_ANNOTATION)
    if not isinstance(value, str) or not _INTEGER.fullmatch(value) or int(value) < 0:
        return None
    return int(value)


def recorded_suspend(obj: Mapping[str, Any]) -> bool | None:
    """The original ``suspend`` recorded in :data:`CRONJOB_SUSPEND_ANNOTATION`, if valid."""
    value = string_map(get_in(obj, "metadata", "annotations")).get(CRONJOB_SUSPEND_ANNOTATION)
    return {"true": True, "false": False}.get(value) if isinstance(value, str) else None


def scale_down(obj: Mapping[str, Any], start_applications: bool) -> Obj:
    """The destination form of a workload or CronJob (other objects: a plain copy).

    startApplications false: Deployments, StatefulSets, ReplicaSets and DeploymentConfigs get
    ``spec.replicas: 0``, :data:`MIGRATION_REPLICAS_ANNOTATION` and Stork's
    ``stork.libopenstorage.org/migrationReplicas`` = the source count (missing: 1) and label
    :data:`MIGRATED_LABEL` ``"true"``; CronJobs get ``spec.suspend: true`` and
    :data:`CRONJOB_SUSPEND_ANNOTATION` = their own ``suspend``. startApplications true:
    unchanged, except that a stopped copy is started from its record (see the module docstring).
    """
    kind = group_kind(obj)
    if kind in SCALED_KINDS:
        return _scale(obj, start_applications)
    if kind in CRONJOB_KINDS:
        return _suspend(obj, start_applications)
    return dict(obj)


def _scale(obj: Mapping[str, Any], start_applications: bool) -> Obj:
    replicas = get_in(obj, "spec", "replicas")
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        replicas = 1
    recorded = recorded_replicas(obj) or 0
    carried = replicas == 0 and recorded > 0
    if carried:
        replicas = recorded
    if start_applications:
        return set_in(obj, ("spec", "replicas"), replicas) if carried else dict(obj)
    annotations = string_map(get_in(obj, "metadata", "annotations"))
    # Both spellings: the documented one, and the one Stork's own storkctl reads.
    annotations[MIGRATION_REPLICAS_ANNOTATION] = str(replicas)
    annotations[STORK_MIGRATION_REPLICAS_ANNOTATION] = str(replicas)
    labels = string_map(get_in(obj, "metadata", "labels"))
    labels[MIGRATED_LABEL] = "true"
    out = set_in(obj, ("spec", "replicas"), 0)
    out = set_in(out, ("metadata", "annotations"), annotations)
    return set_in(out, ("metadata", "labels"), labels)


def _suspend(obj: Mapping[str, Any], start_applications: bool) -> Obj:
    suspended = get_in(obj, "spec", "suspend") is True
    recorded = recorded_suspend(obj)
    original = recorded if suspended and recorded is not None else suspended
    if start_applications:
        return set_in(obj, ("spec", "suspend"), original) if original != suspended else dict(obj)
    out = set_in(obj, ("spec", "suspend"), True)
    annotations = string_map(get_in(obj, "metadata", "annotations"))
    annotations[CRONJOB_SUSPEND_ANNOTATION] = "true" if original else "false"
    return set_in(out, ("metadata", "annotations"), annotations)
