"""Purging the destination: what an earlier migration created and the source no longer has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from stork.api.constants import MigrationStatus
from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError
from stork.migration import dryrun
from stork.migration.ledger import Entry
from stork.migration.planner import Present

#: Kinds a purge never deletes (Stork's rule: they may be shared with what runs there).
NEVER_PURGED = frozenset({"ServiceAccount", "ClusterRoleBinding"})
PURGED = "Resource deleted: it no longer exists on the source"


async def purge(
    destination: Rest,
    gone: Iterable[Present],
    types: Mapping[tuple[str, str], ResourceType],
    dry_run: bool = False,
) -> list[Entry]:
    """Delete the destination objects of ``gone`` (namespaced objects the source no longer
    has) that a migration created, except :data:`NEVER_PURGED` kinds and objects owned by
    others there (a ReplicaSet of a migrated Deployment carries its annotations); one Entry
    each. ``dry_run``: each delete only checked by the destination (``dryRun=All``)."""
    entries = []
    for obj in gone:
        group, kind, namespace, name = obj.id
        t = types.get((group, kind))
        if not namespace or kind in NEVER_PURGED or not obj.migrated or obj.owned or t is None:
            continue
        try:
            await destination.delete(t, namespace, name, dry_run)
            status, reason = MigrationStatus.PURGED, dryrun.WOULD_DELETE if dry_run else PURGED
        except RestError as e:
            status = MigrationStatus.FAILED
            reason = (
                dryrun.REFUSED.format(message=e.message)
                if dry_run
                else f"Error cleaning up resource: {e.message}"
            )
        entries.append(Entry(obj.api_version, kind, namespace, name, status, reason))
    return entries
