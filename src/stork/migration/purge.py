"""Purging the destination: what an earlier migration created and the source no longer has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from stork.api.constants import MigrationStatus
from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError
from stork.migration.ledger import Entry
from stork.migration.planner import Present

#: Kinds a purge never deletes (Stork's rule: they may be shared with what runs there).
NEVER_PURGED = frozenset({"ServiceAccount", "ClusterRoleBinding"})
PURGED = "Resource deleted: it no longer exists on the source"


async def purge(
    destination: Rest,
    gone: Iterable[Present],
    types: Mapping[tuple[str, str], ResourceType],
) -> list[Entry]:
    """Delete the destination objects of ``gone`` (namespaced objects the source no longer
    has) that a migration created, except :data:`NEVER_PURGED` kinds and objects owned by
    others there (a ReplicaSet of a migrated Deployment carries its annotations); one Entry
    each."""
    entries = []
    for obj in gone:
        group, kind, namespace, name = obj.id
        t = types.get((group, kind))
        if not namespace or kind in NEVER_PURGED or not obj.migrated or obj.owned or t is None:
            continue
        try:
            await destination.delete(t, namespace, name)
            status, reason = MigrationStatus.PURGED, PURGED
        except RestError as e:
            status, reason = MigrationStatus.FAILED, f"Error cleaning up resource: {e.message}"
        entries.append(Entry(obj.api_version, kind, namespace, name, status, reason))
    return entries
