"""Writing a Migration's status and events: progress, failure, the final ledger.

Status goes through the engine's REST client as a JSON merge patch, without decoding the
answer (the final status of a large migration is close to a megabyte and the informer sees it
anyway). Events per resource are capped: past :data:`EVENTS_MAX` of a kind, one event counts
the rest (``status.resources`` lists them).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from stork.api.constants import GROUP, VERSION, MigrationStage, MigrationStatus
from stork.api.timestamps import format_time, parse_time
from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, object_path
from stork.migration import dryrun
from stork.migration.engine import Result
from stork.migration.ledger import (
    UNCHANGED,
    Entry,
    counts_text,
    ledger_status,
    overall_status,
    summary,
)
from stork.runtime.conditions import set_condition
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey

log = logging.getLogger(__name__)

#: Per-resource events of one kind (Successful, Failed) per migration; one more counts the rest.
EVENTS_MAX = 50
#: A long migration writes its progress to status at least this often (seconds).
PROGRESS_SECONDS = 10.0

_MIGRATION = ResourceType(GROUP, VERSION, "Migration", "migrations", True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list((obj.get("status") or {}).get("conditions") or [])


@dataclass
class Progress:
    """Collects the entries of a running migration and writes their counts to status, so that
    a controller killed half way leaves a true picture."""

    writer: MigrationStatusWriter
    key: ObjectKey
    conditions: list[dict[str, Any]]
    generation: int | None
    every: float = PROGRESS_SECONDS
    done: list[Entry] = field(default_factory=list)
    _written: float = field(default_factory=time.monotonic)

    async def add(self, entry: Entry) -> None:
        """Record one applied resource (the engine's callback)."""
        self.done.append(entry)
        now = time.monotonic()
        if now - self._written < self.every:
            return
        self._written = now
        conditions = set_condition(
            self.conditions,
            "Progressing",
            True,
            "Applying",
            f"{counts_text(self.done)} applied so far",
            self.generation,
            _now(),
        )
        await self.writer.patch(
            self.key,
            {"summary": summary(self.done, None), "conditions": conditions},
        )


class MigrationStatusWriter:
    """Status and events of Migrations."""

    def __init__(self, rest: Rest, events: EventRecorder) -> None:
        self._rest = rest
        self._events = events

    async def patch(self, key: ObjectKey, status: dict[str, Any]) -> None:
        """Merge ``status`` into the Migration's status (gone meanwhile: nothing to record)."""
        try:
            await self._rest.request(
                "PATCH",
                object_path(_MIGRATION, key[0], key[1]) + "/status",
                body={"status": status},
                content_type="application/merge-patch+json",
            )
        except RestError as e:
            if e.status != 404:
                raise

    def progress(self, key: ObjectKey, obj: dict[str, Any]) -> Progress:
        """A progress recorder for one run of the Applications stage."""
        return Progress(self, key, _conditions(obj), (obj.get("metadata") or {}).get("generation"))

    async def fail(
        self, key: ObjectKey, obj: dict[str, Any], reason: str, done: list[Entry]
    ) -> None:
        """Final/Failed with ``reason``; what was applied before the failure is recorded."""
        now = _now()
        status: dict[str, Any] = {
            "stage": MigrationStage.FINAL.value,
            "status": MigrationStatus.FAILED.value,
            "finishTimestamp": format_time(now),
            "conditions": self._closing(obj, False, "Failed", reason, now),
        }
        if done:
            ledger = ledger_status(done, _elapsed(obj, now))
            status["resources"] = ledger.resources
            status["summary"] = ledger.summary
            log.info(
                "migration %s/%s: failed after %s were applied", key[0], key[1], counts_text(done)
            )
        await self.patch(key, status)
        await self._events.record(obj, WARNING, "Failed", reason)
        await self._per_resource(obj, done)

    async def finish(
        self,
        key: ObjectKey,
        obj: dict[str, Any],
        result: Result,
        rule_failed: bool,
        notes: list[str] | None = None,
    ) -> None:
        """The final status of a migration that ran to its end, its events and its log line.

        ``notes`` (a dry run's): said in the Complete condition's message too."""
        finished = _now()
        entries = result.entries
        outcome = MigrationStatus.FAILED if rule_failed else overall_status(entries)
        ledger = ledger_status(entries, _elapsed(obj, finished))
        written = "would be written" if notes else "written"
        message = "; ".join(
            [
                f"{len(entries)} resources, {result.writes} {written}",
                *(
                    [f"{ledger.omitted} successful entries left out of status.resources (size)"]
                    if ledger.omitted
                    else []
                ),
                *(notes or []),
            ]
        )
        ok = outcome == MigrationStatus.SUCCESSFUL
        written_at = time.perf_counter()
        await self.patch(
            key,
            {
                "stage": MigrationStage.FINAL.value,
                "status": outcome.value,
                "resources": ledger.resources,
                "finishTimestamp": format_time(finished),
                "resourceMigrationFinishTimestamp": format_time(finished),
                "summary": ledger.summary,
                "conditions": self._closing(obj, ok, outcome.value, message, finished),
            },
        )
        write_seconds = time.perf_counter() - written_at
        await self._per_resource(obj, entries)
        if result.forbidden:
            await self._events.record(
                obj,
                WARNING,
                "Forbidden",
                "not migrated, the controller may not list them on the source: "
                + ", ".join(result.forbidden),
            )
        if result.drifted:
            await self._events.record(obj, WARNING, "Drifted", drift_message(result))
        for ns in result.skipped_namespaces:
            await self._events.record(
                obj,
                WARNING,
                f"namespace  {ns} was deleted, skipping migration",
                f'namespaces "{ns}" not found',
            )
        log.info(
            "migration %s/%s: %s, %d resources, %d written (seconds: %s, status write %.3f)",
            key[0],
            key[1],
            outcome.value,
            len(entries),
            result.writes,
            ", ".join(f"{k} {v}" for k, v in result.timings.items()),
            write_seconds,
        )
        await self._events.record(
            obj,
            NORMAL if ok else WARNING,
            outcome.value,
            f"Migration {outcome.value}: {len(entries)} resources, {result.writes} {written}",
        )

    def _closing(
        self, obj: dict[str, Any], ok: bool, reason: str, message: str, now: dt.datetime
    ) -> list[dict[str, Any]]:
        generation = (obj.get("metadata") or {}).get("generation")
        conditions = _conditions(obj)
        if any(c.get("type") == "Progressing" for c in conditions):
            conditions = set_condition(
                conditions, "Progressing", False, "Done", message, generation, now
            )
        return set_condition(conditions, "Complete", ok, reason, message, generation, now)

    async def _per_resource(self, obj: dict[str, Any], entries: list[Entry]) -> None:
        """Stork's per-resource events: Failed ones, and Successful ones for what this run
        wrote (Stork sends one per resource per run; an unchanged object has nothing new to
        say). Each kind is capped at EVENTS_MAX, one more event counting the rest."""
        failed = [e for e in entries if e.status == MigrationStatus.FAILED]
        written = [
            e
            for e in entries
            if e.status == MigrationStatus.SUCCESSFUL
            and e.reason not in (UNCHANGED, dryrun.DRY_UNCHANGED)
        ]
        for kind, reason, items, rest in (
            (WARNING, "Failed", failed, "more resources failed to migrate"),
            (NORMAL, "Successful", written, "more resources migrated successfully"),
        ):
            for entry in items[:EVENTS_MAX]:
                await self._events.record(
                    obj, kind, reason, f"{entry.gvk} {entry.namespace}/{entry.name}: {entry.reason}"
                )
            if len(items) > EVENTS_MAX:
                await self._events.record(
                    obj, kind, reason, f"{len(items) - EVENTS_MAX} {rest} (see status.resources)"
                )


def drift_message(result: Result) -> str:
    """The event of destination copies that were edited there and applied again."""
    total = sum(result.drifted.values())
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(result.drifted.items()))
    editors = ", ".join(
        f"{name} ({n})" for name, n in sorted(result.drift_editors.items(), key=lambda i: -i[1])
    )
    return (
        f"{total} resources were changed on the destination since the last migration and"
        f" were applied again ({kinds}); edited by: {editors or 'unknown'}"
    )


def _elapsed(obj: dict[str, Any], now: dt.datetime) -> float | None:
    """Seconds of the Applications stage so far (None when it never began)."""
    began = parse_time((obj.get("status") or {}).get("volumeMigrationFinishTimestamp"))
    return None if began is None else (now - began).total_seconds()
