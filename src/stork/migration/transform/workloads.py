"""startApplications false: workloads scaled to zero, CronJobs suspended, both recorded."""

from __future__ import annotations

import copy
from typing import Any

MIGRATION_REPLICAS_ANNOTATION = "stork.openstorage.org/migrationReplicas"
MIGRATED_LABEL = "stork.libopenstorage.org/migrated"
#: The CronJob's own ``spec.suspend`` before we suspended it ("true"/"false"); activation
#: restores exactly this value (Stork un-suspends every CronJob).
CRONJOB_SUSPEND_ANNOTATION = "stork.libopenstorage.org/cronjob-suspend"
SCALED_KINDS = frozenset({"Deployment", "StatefulSet", "ReplicaSet", "DeploymentConfig"})


def scale_down(obj: dict[str, Any], start_applications: bool) -> dict[str, Any]:
    """Workloads at 0 replicas with the source count in an annotation; CronJobs suspended."""
    kind = obj.get("kind")
    if start_applications or (kind not in SCALED_KINDS and kind != "CronJob"):
        return obj
    out = copy.deepcopy(obj)
    meta = out.setdefault("metadata", {})
    annotations = dict(meta.get("annotations") or {})
    spec = out.setdefault("spec", {})
    if kind == "CronJob":
        if CRONJOB_SUSPEND_ANNOTATION not in annotations:
            annotations[CRONJOB_SUSPEND_ANNOTATION] = "true" if spec.get("suspend") else "false"
        spec["suspend"] = True
        meta["annotations"] = annotations
        return out
    replicas = spec.get("replicas")
    replicas = 1 if replicas is None else int(replicas)
    recorded = annotations.get(MIGRATION_REPLICAS_ANNOTATION)
    if replicas == 0 and recorded and recorded.isdigit() and int(recorded) > 0:
        replicas = int(recorded)  # already scaled down by an earlier migration: carry it over
    spec["replicas"] = 0
    annotations[MIGRATION_REPLICAS_ANNOTATION] = str(replicas)
    meta["annotations"] = annotations
    meta["labels"] = {**(meta.get("labels") or {}), MIGRATED_LABEL: "true"}
    return out
