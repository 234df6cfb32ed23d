"""Applying a plan to the destination: phase by phase, bounded concurrency, per-object outcome.

One object's failure never stops the others. A change the API server refuses because a field
is immutable re-creates that one object (delete, wait until gone, apply) and the ledger says so;
a Service whose node port the destination refuses is applied again without that port, and the
ledger names the port it got instead (see ``transform.nodeports``).
A destination that stops answering raises DestinationUnreachable: the migration fails with that
reason, and the next migration repairs whatever this one left half-done (every write is an
idempotent apply).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from stork.api.constants import MigrationStatus
from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, object_path
from stork.migration import dryrun
from stork.migration.ledger import MIGRATED, RECREATED, UNCHANGED, Entry, drifted_reason
from stork.migration.plan import Action, Step
from stork.migration.transform.nodeports import (
    describe_changes,
    refused_node_ports,
    release_node_ports,
)
from stork.migration.transform.parking import describe

log = logging.getLogger(__name__)

_IMMUTABLE_MARKERS = ("immutable", "may not change once set", "Forbidden: updates to")
_TRANSIENT = {500, 502, 503, 504}
_RETRIES = 3
_GONE_TIMEOUT = 60.0
_ESTABLISH_TIMEOUT = 60.0


class DestinationUnreachable(Exception):  # noqa: N818 - reads as the condition it reports
    """The destination stopped answering during the migration."""

    @classmethod
    def of(cls, error: BaseException) -> DestinationUnreachable:
        """The error for a transport ``error`` of a request to the destination."""
        return cls(unreachable_message(error))


def unreachable_message(error: BaseException) -> str:
    """ "destination did not answer: <why>" (the error's type when it says nothing)."""
    return (
        f"destination did not answer: {error}"
        if str(error)
        else f"destination did not answer ({type(error).__name__})"
    )


@dataclass
class Applier:
    """Writes a plan's steps to the destination."""

    rest: Rest
    types: Mapping[tuple[str, str], ResourceType]
    concurrency: int = 16
    #: Called with each step written and the object the destination answered with.
    on_applied: Callable[[Step, dict[str, Any]], None] | None = None
    #: Send every write with ``dryRun=All`` and word the ledger as ``dryrun`` does.
    dry_run: bool = False

    def __post_init__(self) -> None:
        # One bound for every batch of the migration, however many run at once.
        self._semaphore = asyncio.Semaphore(self.concurrency)
        # A dry run's CRDs (by group and plural) and namespaces that the destination does not
        # have: their objects cannot be dry-run there, they would be created after them.
        self._new_crds: dict[tuple[str, str], str] = {}
        self._new_namespaces: set[str] = set()
        self._diffs = dryrun.DiffBudget()

    async def run(
        self, steps: list[Step], on_entry: Callable[[Entry], Awaitable[None]] | None = None
    ) -> list[Entry]:
        """Apply every step, one phase after the other; return one entry per step.

        Batches may run at once (one per namespace): their writes share one concurrency bound.
        """
        entries: list[Entry] = []
        semaphore = self._semaphore
        for _, group in itertools.groupby(steps, key=lambda s: s.phase):
            batch = list(group)
            # Unchanged objects cost no request: no task either (a re-sync is mostly these).
            writes = [s for s in batch if s.action != Action.UNCHANGED]
            written = iter(await asyncio.gather(*(self._guarded(s, semaphore) for s in writes)))
            unchanged = dryrun.DRY_UNCHANGED if self.dry_run else UNCHANGED
            results = [
                next(written)
                if s.action != Action.UNCHANGED
                else self._entry(s, MigrationStatus.SUCCESSFUL, unchanged)
                for s in batch
            ]
            entries += results
            if on_entry is not None:
                for entry in results:
                    await on_entry(entry)
            crds = [
                s.id[3]
                for s, e in zip(batch, results, strict=True)
                if s.id[1] == "CustomResourceDefinition" and e.status == MigrationStatus.SUCCESSFUL
            ]
            if crds and not self.dry_run:
                await self._wait_established(crds)
        return entries

    async def _guarded(self, step: Step, semaphore: asyncio.Semaphore) -> Entry:
        async with semaphore:
            return await self._one(step)

    def _entry(self, step: Step, status: MigrationStatus, reason: str, diff: str = "") -> Entry:
        # Interned: a namespace's name is shared by all its entries, not copied in each.
        namespace = sys.intern(step.id[2])
        return Entry(
            str(step.obj.get("apiVersion", "")),
            step.id[1],
            namespace,
            step.id[3],
            status,
            reason,
            diff,
        )

    async def _one(self, step: Step) -> Entry:
        if step.action == Action.UNCHANGED:
            return self._entry(step, MigrationStatus.SUCCESSFUL, UNCHANGED)
        t = self.types.get((step.id[0], step.id[1]))
        if t is None:
            kind = f"{step.id[1]}.{step.id[0]}" if step.id[0] else step.id[1]
            return self._entry(
                step, MigrationStatus.FAILED, f"Error applying resource: {kind} is not served"
            )
        if self.dry_run:
            return await self._dry(t, step)
        try:
            reason, written = await self._write(t, step.obj)
        except RestError as e:
            return self._entry(
                step, MigrationStatus.FAILED, f"Error applying resource: {e.message}"
            )
        if self.on_applied is not None:
            self.on_applied(step, written)
        if step.drift is not None and reason == MIGRATED:
            reason = drifted_reason(step.drift)
        return self._entry(step, MigrationStatus.SUCCESSFUL, _noted(reason, describe(step.obj)))

    async def _dry(self, t: ResourceType, step: Step) -> Entry:
        """One step of a dry run: what the real write would do, and nothing written."""
        ok = MigrationStatus.SUCCESSFUL
        parked = describe(step.obj)
        crd = self._new_crds.get((t.group, t.plural))
        if crd is not None:
            note = dryrun.CRD_FIRST.format(name=crd)
            return self._entry(step, ok, dryrun.noted(dryrun.WOULD_CREATE, note, parked))
        if step.id[2] in self._new_namespaces:
            note = dryrun.NAMESPACE_FIRST
            return self._entry(step, ok, dryrun.noted(dryrun.WOULD_CREATE, note, parked))
        try:
            reason, merged = await self._write(t, step.obj)
        except RestError as e:
            return self._entry(
                step, MigrationStatus.FAILED, dryrun.REFUSED.format(message=e.message)
            )
        if not step.exists:
            if step.id[1] == "Namespace":
                self._new_namespaces.add(step.id[3])
            elif step.id[1] == "CustomResourceDefinition":
                spec = step.obj.get("spec") or {}
                plural = str((spec.get("names") or {}).get("plural") or "")
                self._new_crds[(str(spec.get("group") or ""), plural)] = step.id[3]
        if not reason.startswith(MIGRATED):  # a re-create
            return self._entry(step, ok, dryrun.noted(reason, parked))
        ports = reason[len(MIGRATED) :].lstrip("; ")  # node ports the destination refused
        if not step.exists:
            return self._entry(step, ok, dryrun.noted(dryrun.WOULD_CREATE, ports, parked))
        drift = dryrun.drift_note(step.drift) if step.drift is not None else ""
        diff = ""
        try:
            live = await self.rest.request("GET", object_path(t, step.id[2] or None, step.id[3]))
            diff = self._diffs.take(dryrun.field_diff(live.json(), merged))
        except RestError as e:
            diff = f"(no diff: {e.message})\n"
        return self._entry(step, ok, dryrun.noted(dryrun.WOULD_UPDATE, drift, ports, parked), diff)

    async def _write(self, t: ResourceType, obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Apply ``obj``: (the ledger's reason, the object as the destination has it now). A
        Service whose node port the destination refuses (taken, or out of its range) is
        applied again without that port, and the reason names the new one."""
        released: list[int] = []
        while True:
            try:
                reason, written = await self._write_once(t, release_node_ports(obj, released))
            except RestError as e:
                refused = [p for p in refused_node_ports(e.message) if p not in released]
                if e.status != 422 or not refused:
                    raise
                released += refused  # at least one more each time: the loop ends
                continue
            if not released:
                return reason, written
            return _noted(reason, describe_changes(obj, written, released)), written

    async def _write_once(self, t: ResourceType, obj: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        for attempt in range(1, _RETRIES + 1):
            try:
                return MIGRATED, await self.rest.apply(t, obj, self.dry_run)
            except RestError as e:
                if e.status == 422 and any(m in e.message for m in _IMMUTABLE_MARKERS):
                    return await self._recreate(t, obj, e.message)
                if e.status not in _TRANSIENT or attempt == _RETRIES:
                    raise
            except httpx2.TransportError as e:
                if attempt == _RETRIES:
                    raise DestinationUnreachable.of(e) from e
            await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _recreate(
        self, t: ResourceType, obj: dict[str, Any], why: str
    ) -> tuple[str, dict[str, Any]]:
        meta = obj["metadata"]
        if self.dry_run:
            # The delete is checked (rights, admission); the new object cannot be, before it.
            await self.rest.delete(t, meta.get("namespace"), meta["name"], dry_run=True)
            return dryrun.WOULD_RECREATE.format(reason=_first_line(why)), obj
        log.info("re-creating %s %s/%s: %s", t.kind, meta.get("namespace", ""), meta["name"], why)
        await self.rest.delete(t, meta.get("namespace"), meta["name"])
        if not await self.rest.wait_gone(t, meta.get("namespace"), meta["name"], _GONE_TIMEOUT):
            raise RestError(409, "Conflict", f"old object still exists after {_GONE_TIMEOUT:.0f}s")
        written = await self.rest.apply(t, obj)
        return RECREATED.format(reason=_first_line(why)), written

    async def _wait_established(self, names: list[str]) -> None:
        crd = self.types.get(("apiextensions.k8s.io", "CustomResourceDefinition"))
        if crd is None:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _ESTABLISH_TIMEOUT
        pending = set(names)
        while pending and loop.time() < deadline:
            for name in sorted(pending):
                resp = await self.rest.request(
                    "GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"
                )
                conditions = (resp.json().get("status") or {}).get("conditions") or []
                if any(
                    c.get("type") == "Established" and c.get("status") == "True" for c in conditions
                ):
                    pending.discard(name)
            if pending:
                await asyncio.sleep(0.2)


def _noted(reason: str, note: str) -> str:
    return f"{reason}; {note}" if note else reason


def _first_line(text: str) -> str:
    return text.splitlines()[0][:300] if text else ""
