"""The destination's "static copy" of a MigrationSchedule (Stork's failover hand-shake).

While a schedule runs, the destination holds a suspended copy of it, annotated
``static-copy: "true"``. ``storkctl activate migrations`` on the destination sets the copy's
``status.applicationActivated``; a source schedule with ``autoSuspend`` then suspends itself,
and scheduled migrations stop overwriting the now-active applications.
"""

from __future__ import annotations

import copy
from typing import Any

from stork.api.constants import API_VERSION, STATIC_COPY_ANNOTATION
from stork.kube.discovery import NAMESPACES, ResourceType
from stork.kube.rest import Rest, RestError
from stork.migration.plan import HASH_ANNOTATION, content_hash

SCHEDULES = ResourceType(
    "stork.libopenstorage.org", "v1alpha1", "MigrationSchedule", "migrationschedules", True
)


class StaticCopyError(Exception):
    """The destination's copy cannot be kept (the reason is a Warning event)."""


def static_copy(schedule: dict[str, Any]) -> dict[str, Any]:
    """The destination copy of a schedule: suspended, annotated, without status."""
    meta = schedule.get("metadata") or {}
    spec = copy.deepcopy(schedule.get("spec") or {})
    spec["suspend"] = True
    annotations = {
        k: v
        for k, v in (meta.get("annotations") or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"
    }
    annotations[STATIC_COPY_ANNOTATION] = "true"
    annotations[HASH_ANNOTATION] = content_hash({"template": spec.get("template")})
    return {
        "apiVersion": API_VERSION,
        "kind": "MigrationSchedule",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "labels": meta.get("labels") or {},
            "annotations": annotations,
        },
        "spec": spec,
    }


def static_copy_path(namespace: str, name: str) -> str:
    """The URL path of a schedule (on the destination)."""
    return (
        f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{namespace}/migrationschedules/{name}"
    )


async def sync_static_copy(destination: Rest, schedule: dict[str, Any]) -> dict[str, Any]:
    """Create or update the destination copy; return it as the destination has it."""
    wanted = static_copy(schedule)
    meta = wanted["metadata"]
    try:
        current = (
            await destination.request(
                "GET",
                f"/apis/stork.libopenstorage.org/v1alpha1/namespaces/{meta['namespace']}"
                f"/migrationschedules/{meta['name']}",
            )
        ).json()
    except RestError as e:
        if e.status != 404:
            raise
        current = None
    if current is not None:
        annotations = (current.get("metadata") or {}).get("annotations") or {}
        if annotations.get(STATIC_COPY_ANNOTATION) != "true":
            raise StaticCopyError(
                "a non static-copy migrationSchedule with the same name and namespace found "
                "in the remote cluster"
            )
        if annotations.get(HASH_ANNOTATION) == meta["annotations"][HASH_ANNOTATION]:
            return dict(current)
    else:
        await destination.apply(
            NAMESPACES,
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": meta["namespace"]}},
        )
    try:
        return await destination.apply(SCHEDULES, wanted)
    except RestError as e:
        if e.status == 404:
            raise StaticCopyError(
                "the destination has no MigrationSchedule CRD: run `stork install` against it"
            ) from e
        raise
