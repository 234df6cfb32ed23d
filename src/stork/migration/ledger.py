"""The per-resource ledger of a Migration (``status.resources``) and its summary (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from stork.api.constants import MigrationStatus

MIGRATED = "Resource migrated successfully"
UNCHANGED = "Resource unchanged since the last migration; not written"
RECREATED = "Resource re-created: {reason}"
#: A destination copy edited there since the last migration (issue: who edits the DR copy?).
DRIFTED = "Drifted: changed on the destination{by} since the last migration; applied again"


def drifted_reason(editors: tuple[str, ...]) -> str:
    """The reason of a drifted resource, naming the field managers that edited it."""
    return DRIFTED.format(by=f" by {', '.join(editors)}" if editors else "")


@dataclass(frozen=True, slots=True)
class Entry:
    """What became of one resource (slots: a migration keeps one per resource)."""

    api_version: str
    kind: str
    namespace: str
    name: str
    status: MigrationStatus
    reason: str
    #: A dry run's update: the unified diff of its fields (see ``dryrun.field_diff``).
    diff: str = ""

    def to_status(self) -> dict[str, Any]:
        """As a ``status.resources[]`` item, in Stork's layout (group "core" for core)."""
        group, _, version = self.api_version.rpartition("/")
        item = {
            "name": self.name,
            "namespace": self.namespace,
            "group": group or "core",
            "version": version,
            "kind": self.kind,
            "status": self.status.value,
            "reason": self.reason,
            "transformedBy": "",
        }
        if self.diff:
            item["diff"] = self.diff
        return item

    @property
    def gvk(self) -> str:
        """Go's GroupVersionKind.String(), as Stork's per-resource events print it."""
        group, _, version = self.api_version.rpartition("/")
        return f"{group}/{version}, Kind={self.kind}"


#: Budget for status.resources: etcd refuses objects over ~1.5 MiB, and a Migration of tens of
#: thousands of objects would exceed it (Stork's status write then fails for ever). The final
#: status write is on the critical path of every sync and its cost grows with its size, so the
#: budget is well below the limit: about 2,700 entries (all of them up to that size, and the
#: failed, re-created and purged ones first beyond it; the summary always counts everything).
STATUS_BUDGET_BYTES = 600_000


def bounded_resources(
    entries: Iterable[Entry], budget: int = STATUS_BUDGET_BYTES
) -> tuple[list[dict[str, Any]], int]:
    """(items for status.resources, number of entries left out) within ``budget`` bytes.

    Entries that need attention come first (failed, then re-created or purged), then plain
    successes, each group in its original order; what does not fit is left out and counted.
    """

    def rank(e: Entry) -> int:
        if e.status not in (MigrationStatus.SUCCESSFUL, MigrationStatus.PURGED):
            return 0
        return 2 if e.reason in (MIGRATED, UNCHANGED) else 1

    kept: list[dict[str, Any]] = []
    used = 0
    omitted = 0
    for entry in sorted(entries, key=rank):
        item = entry.to_status()
        size = _json_size(item)
        if used + size > budget:
            omitted += 1
            continue
        used += size
        kept.append(item)
    return kept, omitted


def _json_size(item: dict[str, Any]) -> int:
    """Bytes of ``item`` in the status patch (json.dumps's ", " and ": " separators, and the
    comma after it), measured with orjson: ten times faster, which counts at 100,000 entries."""
    return len(orjson.dumps(item)) + 2 * len(item)


def overall_status(entries: Iterable[Entry]) -> MigrationStatus:
    """Successful when every resource succeeded (or was purged), PartialSuccess when some did."""
    ok = (MigrationStatus.SUCCESSFUL, MigrationStatus.PURGED)
    statuses = [MigrationStatus.SUCCESSFUL if e.status in ok else e.status for e in entries]
    if not statuses or all(s == MigrationStatus.SUCCESSFUL for s in statuses):
        return MigrationStatus.SUCCESSFUL
    if any(s == MigrationStatus.SUCCESSFUL for s in statuses):
        return MigrationStatus.PARTIAL_SUCCESS
    return MigrationStatus.FAILED


def counts(entries: Iterable[Entry]) -> dict[str, int]:
    """How many resources reached each status, e.g. ``{"Successful": 1090, "Failed": 10}``."""
    out: dict[str, int] = {}
    for e in entries:
        out[e.status.value] = out.get(e.status.value, 0) + 1
    return dict(sorted(out.items()))


def counts_text(entries: Iterable[Entry]) -> str:
    """``1100 resources (Failed 10, Successful 1090)`` for conditions and logs."""
    by_status = counts(entries)
    total = sum(by_status.values())
    detail = ", ".join(f"{k} {v}" for k, v in by_status.items())
    return f"{total} resources" + (f" ({detail})" if detail else "")


@dataclass(frozen=True)
class LedgerStatus:
    """What a Migration's status says of its resources."""

    #: ``status.resources``, within the size budget.
    resources: list[dict[str, Any]]
    #: ``status.summary``, counting everything.
    summary: dict[str, Any]
    #: Successful entries the budget left out of ``resources``.
    omitted: int


def ledger_status(entries: list[Entry], resource_seconds: float | None) -> LedgerStatus:
    """The status fields of the resources of a migration (finished or stopped half way)."""
    resources, omitted = bounded_resources(entries)
    return LedgerStatus(resources, summary(entries, resource_seconds), omitted)


def summary(entries: Iterable[Entry], resource_seconds: float | None) -> dict[str, Any]:
    """``status.summary`` as Stork fills it when no volumes are migrated (exact counts)."""
    items = list(entries)
    done = sum(1 for e in items if e.status == MigrationStatus.SUCCESSFUL)
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
