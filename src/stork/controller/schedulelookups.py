"""Where the MigrationSchedule reconciler reads what it does not own: its child Migrations,
its policy and its ClusterPair, and which schedules a change of a policy or a pair concerns.

The controller reads them from the informers' caches (no request per reconcile: with a
thousand schedules, one GET each per look was most of the source's load); without caches
(the reconciler driven alone, as its tests do) they are read from the API server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from lightkube import ApiError, AsyncClient

from stork.kube.resources import (
    ClusterPairResource,
    MigrationResource,
    NamespacedSchedulePolicyResource,
    SchedulePolicyResource,
)
from stork.runtime.controller import Mapper
from stork.runtime.informer import Informer, ObjectKey


class ScheduleLookups(Protocol):
    """Reads of the objects a schedule refers to; None: there is no such object."""

    async def migration(self, namespace: str, name: str) -> dict[str, Any] | None:
        """A child Migration (its ``status.status`` is what the schedule follows)."""

    async def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The NamespacedSchedulePolicy ``name`` of ``namespace``, else the SchedulePolicy."""

    async def pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The ClusterPair ``name`` of ``namespace``."""


async def _get(client: AsyncClient, resource: Any, name: str, namespace: str | None) -> Any:
    try:
        return dict(await client.get(resource, name, namespace=namespace))
    except ApiError as e:
        if e.status.code == 404:
            return None
        raise


@dataclass(frozen=True)
class ApiLookups:
    """Every read is a GET."""

    client: AsyncClient

    async def migration(self, namespace: str, name: str) -> dict[str, Any] | None:
        """GET the Migration."""
        found: dict[str, Any] | None = await _get(self.client, MigrationResource, name, namespace)
        return found

    async def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """GET the namespaced policy, then the cluster's."""
        found: dict[str, Any] | None = await _get(
            self.client, NamespacedSchedulePolicyResource, name, namespace
        )
        if found is None:
            found = await _get(self.client, SchedulePolicyResource, name, None)
        return found

    async def pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        """GET the ClusterPair."""
        found: dict[str, Any] | None = await _get(self.client, ClusterPairResource, name, namespace)
        return found


@dataclass(frozen=True)
class CachedLookups:
    """Reads from the informers' caches; a Migration the cache has not seen yet (one just
    created) is read from the API server, so that it is not taken for a lost one."""

    migrations: Informer
    namespaced_policies: Informer
    cluster_policies: Informer
    pairs: Informer
    #: Where a Migration missing from the cache is read (ApiLookups in the controller).
    fallback: ScheduleLookups

    async def migration(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached Migration, else a GET."""
        cached = self.migrations.get((namespace, name))
        return cached if cached is not None else await self.fallback.migration(namespace, name)

    async def policy(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached namespaced policy, else the cached cluster policy."""
        return cached_policy(self.namespaced_policies, self.cluster_policies, namespace, name)

    async def pair(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The cached ClusterPair."""
        return self.pairs.get((namespace, name))


def cached_policy(
    namespaced: Informer, cluster: Informer, namespace: str, name: str
) -> dict[str, Any] | None:
    """A schedule's policy from the caches: the NamespacedSchedulePolicy ``name`` of
    ``namespace``, else the SchedulePolicy ``name``."""
    return namespaced.get((namespace, name)) or cluster.get(("", name))


def _spec(schedule: dict[str, Any]) -> dict[str, Any]:
    return schedule.get("spec") or {}


def pair_name(schedule: dict[str, Any]) -> str:
    """The ClusterPair a schedule's template names."""
    return str(((_spec(schedule).get("template") or {}).get("spec") or {}).get("clusterPair") or "")


def for_pair(schedules: Callable[[], list[dict[str, Any]]]) -> Mapper:
    """A mapper from a ClusterPair to the schedules of its namespace that name it."""

    def mapper(key: ObjectKey, _obj: dict[str, Any]) -> list[ObjectKey]:
        return [
            (key[0], str(s["metadata"]["name"]))
            for s in schedules()
            if s["metadata"].get("namespace") == key[0] and pair_name(s) == key[1]
        ]

    return mapper


def for_policy(schedules: Callable[[], list[dict[str, Any]]], *, namespaced: bool) -> Mapper:
    """A mapper from a policy to the schedules that name it (a namespaced policy: those of
    its namespace only)."""

    def mapper(key: ObjectKey, _obj: dict[str, Any]) -> list[ObjectKey]:
        return [
            (str(s["metadata"].get("namespace")), str(s["metadata"]["name"]))
            for s in schedules()
            if _spec(s).get("schedulePolicyName") == key[1]
            and (not namespaced or s["metadata"].get("namespace") == key[0])
        ]

    return mapper
