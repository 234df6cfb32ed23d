"""The two clusters an Action works on, as the Action controller sees them.

The controller runs on the destination (the cluster failed over to): that cluster is
``local``, reached with the controller's own identity. The source is reached through the
**reverse pair**: the ClusterPair of the schedule's name in the schedule's namespace *on the
destination* (``storkctl create clusterpair`` makes one in each direction), its credentials
checked by the controller's pair policy as every pair's are. Each side offers the async REST
client (scaling, listing, Migrations) and a synchronous lightkube client for the activation
functions of :mod:`stork.failover.activation`, which are synchronous (run in a thread).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lightkube import Client

from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, object_path

DEPLOYMENTS = ResourceType("apps", "v1", "Deployment", "deployments", True)
STATEFULSETS = ResourceType("apps", "v1", "StatefulSet", "statefulsets", True)
REPLICASETS = ResourceType("apps", "v1", "ReplicaSet", "replicasets", True)
DAEMONSETS = ResourceType("apps", "v1", "DaemonSet", "daemonsets", True)
CRONJOBS = ResourceType("batch", "v1", "CronJob", "cronjobs", True)
PODS = ResourceType("", "v1", "Pod", "pods", True)
CLAIMS = ResourceType("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True)
NETWORK_POLICIES = ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True)
STORK = "stork.libopenstorage.org"
SCHEDULES = ResourceType(STORK, "v1alpha1", "MigrationSchedule", "migrationschedules", True)
MIGRATIONS = ResourceType(STORK, "v1alpha1", "Migration", "migrations", True)
#: What a scale-down stops, by kind.
SCALED: dict[str, ResourceType] = {
    "StatefulSet": STATEFULSETS,
    "Deployment": DEPLOYMENTS,
    "ReplicaSet": REPLICASETS,
    "CronJob": CRONJOBS,
}
MERGE_PATCH = "application/merge-patch+json"


@dataclass
class Side:
    """One cluster of the Action: ``source`` or ``destination``."""

    name: str
    rest: Rest
    #: The API server's URL, for messages (never credentials).
    host: str
    #: Builds a synchronous client of this cluster (the caller closes it).
    sync: Callable[[], Client]

    async def list(self, t: ResourceType, namespace: str) -> list[dict[str, Any]]:
        """Every object of ``t`` in ``namespace``."""
        return [o async for o in self.rest.list(t, namespace)]

    async def get(self, t: ResourceType, namespace: str, name: str) -> dict[str, Any] | None:
        """One object, None when it does not exist."""
        try:
            resp = await self.rest.request("GET", object_path(t, namespace, name))
        except RestError as e:
            if e.status == 404:
                return None
            raise
        obj: dict[str, Any] = resp.json()
        return obj

    async def patch(
        self,
        t: ResourceType,
        namespace: str,
        name: str,
        patch: dict[str, Any],
        status: bool = False,
    ) -> dict[str, Any]:
        """A JSON merge patch of one object (of its status subresource with ``status``)."""
        path = object_path(t, namespace, name) + ("/status" if status else "")
        resp = await self.rest.request("PATCH", path, body=patch, content_type=MERGE_PATCH)
        obj: dict[str, Any] = resp.json()
        return obj

    async def create(self, t: ResourceType, obj: dict[str, Any]) -> dict[str, Any] | None:
        """Create ``obj``; None when it exists already (a repeated step)."""
        namespace = (obj.get("metadata") or {}).get("namespace")
        path = object_path(t, namespace, "").rstrip("/")
        try:
            resp = await self.rest.request("POST", path, body=obj)
        except RestError as e:
            if e.status == 409:
                return None
            raise
        created: dict[str, Any] = resp.json()
        return created
