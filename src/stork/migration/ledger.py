"""The per-resource ledger of a Migration (``status.resources``) and its summary (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.api.constants import MigrationStatus

MIGRATED = "Resource migrated successfully"
UNCHANGED = "Resource unchanged since the last migration; not written"
RECREATED = "Resource re-created: {reason}"


@dataclass(frozen=True)
class Entry:
    """What became of one resource."""

    api_version: str
    kind: str
    namespace: str
    name: str
    status: MigrationStatus
    reason: str

    def to_status(self) -> dict[str, Any]:
        """As a ``status.resources[]`` item, in Stork's layout (group "core" for core)."""
        group, _, version = self.api_version.rpartition("/")
        return {
            "name": self.name,
            "namespace": self.namespace,
            "group": group or "core",
            "version": version,
            "kind": self.kind,
            "status": self.status.value,
            "reason": self.reason,
            "transformedBy": "",
        }

    @property
    def gvk(self) -> str:
        """Go's GroupVersionKind.String(), as Stork's per-resource events print it."""
        group, _, version = self.api_version.rpartition("/")
        return f"{group}/{version}, Kind={self.kind}"


def overall_status(entries: Iterable[Entry]) -> MigrationStatus:
    """Successful when every resource succeeded (or was purged), PartialSuccess when some did."""
    ok = (MigrationStatus.SUCCESSFUL, MigrationStatus.PURGED)
    statuses = [MigrationStatus.SUCCESSFUL if e.status in ok else e.status for e in entries]
    if not statuses or all(s == MigrationStatus.SUCCESSFUL for s in statuses):
        return MigrationStatus.SUCCESSFUL
    if any(s == MigrationStatus.SUCCESSFUL for s in statuses):
        return MigrationStatus.PARTIAL_SUCCESS
    return MigrationStatus.FAILED


def summary(
    resources: Iterable[Mapping[str, Any]], resource_seconds: float | None
) -> dict[str, Any]:
    """``status.summary`` as Stork fills it when no volumes are migrated."""
    items = list(resources)
    done = sum(1 for r in items if r.get("status") == MigrationStatus.SUCCESSFUL.value)
    return {
        "totalNumberOfVolumes": 0,
        "numOfMigratedVolumes": 0,
        "totalNumberOfResources": len(items),
        "numOfMigratedResources": done,
        "totalBytesMigrated": 0,
        "elapsedTimeForVolumeMigration": "",
        "elapsedTimeForResourceMigration": (
            "NA" if resource_seconds is None else go_duration(resource_seconds)
        ),
    }


def go_duration(seconds: float) -> str:
    """Go's time.Duration.String() (``1h2m3.5s``, ``1.5s``, ``0s``), at millisecond precision."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    ms = round(abs(seconds) * 1000)
    if ms < 1000:
        return f"{sign}{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs = rest / 1000
    text = f"{secs:.3f}".rstrip("0").rstrip(".") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text
