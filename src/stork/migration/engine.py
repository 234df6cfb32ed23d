"""One migration, end to end, streamed namespace by namespace in bounded memory.

For each namespace (several at once, in the API server's key order) the engine lists its
objects (each kind read once across all namespaces, see ``cursor``), selects them
(``filters``), transforms and plans them (``planner``) and applies them in dependency order
(``apply``), then purges and fixes links (``fixups``). A large namespace goes in batches of
:data:`BATCH` objects, kind by kind. Across namespaces the engine keeps only what the
dependency order needs: the cluster-scoped objects a namespace pulls in (PVs, ClusterRoles,
PriorityClasses, and the CRDs of its custom resources, applied before the objects that need
them, each once), a few names and uids for the cluster-scoped objects that depend on every
namespace (ClusterRoleBindings, applied at the end with webhook configurations), and the
destination's cluster-scoped state as a few fields per object. Peak memory therefore follows
the batch size and the number of namespaces in flight, not the size of the migration.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import time
from collections import ChainMap, Counter
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from stork.kube.discovery import NAMESPACES, ResourceType, custom_resource_groups, discover
from stork.kube.rest import Rest
from stork.migration.apply import Applier, DestinationUnreachable
from stork.migration.collect import NAMED_AT_MOST, get_named, list_types, list_types_as
from stork.migration.cursor import Cursor, key_order
from stork.migration.errors import MigrationError
from stork.migration.filters import FilterContext, GroupKind, NamespaceSelection, Selector
from stork.migration.fixups import ClaimOwners, fix_links, volume_claim
from stork.migration.ledger import Entry
from stork.migration.memo import TransformMemo
from stork.migration.namespaces import NamespaceSet
from stork.migration.plan import Action, ObjectId, Step, group_of, phase_of
from stork.migration.planner import Planner, Present, cleaned, present
from stork.migration.purge import purge
from stork.migration.resources import Selection, collected_types, travelling_crds
from stork.migration.spec import MigrationOptions, label_selector
from stork.migration.transform import (
    TransformContext,
    TransformInputs,
    migration_annotations,
    transform,
)

log = logging.getLogger(__name__)

_CRD = ResourceType(
    "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False
)
#: Objects of one namespace planned and applied together (a larger namespace goes in batches).
BATCH = 1000
#: Namespaces worked on at once: their writes share the migration's concurrency bound, so a
#: few suffice to keep it busy across the dependency steps of each namespace.
NAMESPACES_IN_FLIGHT = 8
#: Within a step, kinds whose objects are usually owned by another kind of the step come
#: after it, so that the owner is known when they are selected.
_OWNED_LAST = frozenset({"ReplicaSet", "Job", "ReplicationController"})


@dataclass(frozen=True)
class Job:
    """What to migrate and where it comes from."""

    name: str
    namespace: str
    options: MigrationOptions
    #: The namespace set, resolved and checked once by the caller (see migration.namespaces).
    namespaces: NamespaceSet
    project_mappings: Mapping[str, str] = field(default_factory=dict)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    concurrency: int = 16
    inputs: TransformInputs = field(default_factory=TransformInputs)
    #: Plan with server-side dry runs only: nothing written on the destination (``dryrun``).
    dry_run: bool = False


@dataclass
class Result:
    """The ledger of a finished migration, and what was skipped."""

    entries: list[Entry]
    skipped_namespaces: list[str]
    writes: int
    #: Seconds spent, for the logs: listing the cluster-scoped objects, the namespaces (wall
    #: time), and summed over the namespaces worked on at once, planning and applying.
    timings: dict[str, float] = field(default_factory=dict)
    #: Kinds the source refused to list (RBAC): not migrated, and the user must be told.
    forbidden: list[str] = field(default_factory=list)
    #: Destination copies edited there since the last migration and applied again, by Kind,
    #: and by the field manager that edited them.
    drifted: dict[str, int] = field(default_factory=dict)
    drift_editors: dict[str, int] = field(default_factory=dict)


async def migrate(
    source: Rest,
    destination: Rest,
    job: Job,
    on_entry: Callable[[Entry], Awaitable[None]] | None = None,
    memo: TransformMemo | None = None,
) -> Result:
    """Run one migration; raises MigrationError (or DestinationUnreachable) when it cannot.

    ``on_entry`` is called with each resource's entry as soon as it is applied (progress, and
    what a migration that fails half way did); ``memo`` (kept by the caller across migrations)
    lets a re-sync skip the transform of objects unchanged on both sides, and tells edits
    made on the destination.
    """
    started = time.perf_counter()
    try:
        all_types = await discover(source.http)
        custom_groups = await custom_resource_groups(source.http)
    except httpx2.TransportError as e:
        raise MigrationError(f"source cluster did not answer: {e}") from e
    opts = job.options
    selection = Selection.from_spec(
        opts.include_optional_resource_types,
        opts.exclude_resource_types,
        not opts.include_resources,
    )
    run = _Run(source, destination, job, all_types, custom_groups, selection, on_entry, memo)
    try:
        await run.cluster_state()
        run.timings["cluster"] = round(time.perf_counter() - started, 3)
        await run.namespaces()
        run.timings["namespaces"] = round(time.perf_counter() - started, 3)
        await run.finish()
    except httpx2.TransportError as e:
        if run.destination_failed(e):
            raise DestinationUnreachable.of(e) from e
        raise
    finally:
        await run.close()
    run.timings["total"] = round(time.perf_counter() - started, 3)
    return run.result()


def _kind_order(t: ResourceType) -> tuple[int, bool, str, str]:
    return (phase_of(t.group, t.kind), t.kind in _OWNED_LAST, t.group, t.kind)


class _Run:
    """The state of one migration across its namespaces."""

    def __init__(
        self,
        source: Rest,
        destination: Rest,
        job: Job,
        all_types: list[ResourceType],
        custom_groups: set[str],
        selection: Selection,
        on_entry: Callable[[Entry], Awaitable[None]] | None,
        memo: TransformMemo | None,
    ) -> None:
        opts = job.options
        self._source, self._destination, self._job = source, destination, job
        self._on_entry = on_entry
        self._custom_groups = custom_groups
        types = collected_types(all_types, custom_groups, selection)
        self._types = {(t.group, t.kind): t for t in all_types}
        self._clustered = [t for t in types if not t.namespaced]
        namespaced = sorted((t for t in types if t.namespaced), key=_kind_order)
        self._names = sorted(job.namespaces.names, key=key_order)
        self._namespace_objects = {
            str((o.get("metadata") or {}).get("name")): o for o in job.namespaces.objects
        }
        self._selector_text = label_selector(opts.selectors)
        self._ctx = FilterContext(
            namespaces=frozenset(self._names),
            exclude_selectors=opts.exclude_selectors,
            selectors=opts.selectors,
            include_network_policy_with_cidr=opts.include_network_policy_with_cidr,
            ignore_owner_references_check=opts.ignore_owner_references_check,
        )
        self._tctx = TransformContext(
            start_applications=opts.start_applications,
            project_mappings=dict(job.project_mappings),
            namespaces=frozenset(self._names),
            skip_service_update=opts.skip_service_update,
            include_volumes=opts.include_volumes,
            inputs=job.inputs,
        )
        stamp = migration_annotations(job.name, job.namespace, job.started)
        self._planner = Planner(
            self._tctx, stamp, memo, str(destination.http.base_url), read_only=job.dry_run
        )
        self._applier = Applier(
            destination,
            self._types,
            job.concurrency,
            None if job.dry_run else self._planner.applied,
            dry_run=job.dry_run,
        )
        self._sources = [
            Cursor(source, t, self._names, _same, self._selector_text) for t in namespaced
        ]
        self._copies = [
            Cursor(destination, t, self._names, present, tolerate=(403, 404)) for t in namespaced
        ]
        self._selector = Selector(self._ctx, [])
        #: The destination's cluster-scoped objects, namespaces and CRDs (a few fields each),
        #: and what fixups needs of its PVs.
        self._cluster: dict[ObjectId, Present] = {}
        self._volumes: dict[str, dict[str, Any]] = {}
        self._crds: _Crds | None = None
        self._forbidden: list[ResourceType] = []
        self.timings: dict[str, float] = {}
        self._busy: dict[str, float] = {}
        self._entries: list[Entry] = []
        self._steps: Counter[Action] = Counter()
        self._drifted: Counter[str] = Counter()
        self._editors: Counter[str] = Counter()

    async def cluster_state(self) -> None:
        """List what every namespace may need: the source's cluster-scoped objects (and CRDs),
        the destination's (as a few fields per object)."""
        selectors = {
            t.kind: self._selector_text for t in self._clustered if t.kind != "PersistentVolume"
        }
        collects_custom = any(
            t.group in self._custom_groups for t in (c.type for c in self._sources)
        )
        # The destination's namespaces of a small migration are read by name, not listed.
        by_name = len(self._names) <= NAMED_AT_MOST
        wanted = [
            *self._clustered,
            *([] if by_name else [NAMESPACES]),
            *([_CRD] if collects_custom else []),
        ]
        types = [self._types[(t.group, t.kind)] for t in wanted if (t.group, t.kind) in self._types]
        names = self._names if by_name else []
        listed, crds, copies, namespaces = await asyncio.gather(
            list_types(self._source, self._clustered, [], selectors, skipped=self._forbidden),
            list_types(self._source, [_CRD] if collects_custom else [], []),
            self._on_destination(
                list_types_as(self._destination, types, [], _cluster_copy, tolerate=(403, 404))
            ),
            self._on_destination(
                get_named(self._destination, NAMESPACES, names, _cluster_copy, (403, 404))
            ),
        )
        copies += namespaces
        self._selector = Selector(self._ctx, listed)
        self._crds = _Crds(self, crds)
        for copy_, claim in copies:
            self._cluster[copy_.id] = copy_
            if claim is not None:
                self._volumes[copy_.id[3]] = claim

    async def _on_destination(self, work: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await work
        except httpx2.TransportError as e:
            raise DestinationUnreachable.of(e) from e

    def destination_failed(self, error: httpx2.TransportError) -> bool:
        """Whether a transport error came from a request to the destination."""
        try:
            url = error.request.url
        except RuntimeError:
            return False
        base = self._destination.http.base_url
        return (url.host, url.port) == (base.host, base.port)

    async def namespaces(self) -> None:
        """Every namespace, :data:`NAMESPACES_IN_FLIGHT` at a time, in key order."""
        for source in self._sources:
            source.start()
        for copies in self._copies:
            copies.start()
        order = itertools.count()

        async def worker() -> None:
            while (i := next(order)) < len(self._names):
                await _Namespace(self, i, self._names[i]).run()

        await _all([worker() for _ in range(min(NAMESPACES_IN_FLIGHT, len(self._names)))])

    async def finish(self) -> None:
        """The cluster-scoped objects that depend on every namespace, or on none."""
        chosen = self._selector.finish()
        if chosen:
            await self.apply(await self.plan([], chosen, self._cluster))

    async def plan(
        self,
        prepared: list[dict[str, Any]],
        objects: list[dict[str, Any]],
        existing: Mapping[ObjectId, Present],
    ) -> list[Step]:
        """The planner's steps (its CPU time counted)."""
        began = time.process_time()
        steps = await self._planner.plan(prepared, objects, existing)
        self._busy["plan"] = self._busy.get("plan", 0.0) + time.process_time() - began
        return steps

    async def apply(self, steps: list[Step]) -> list[Entry]:
        """Apply steps in dependency order; their entries join the ledger."""
        began = time.perf_counter()
        entries = await self._applier.run(steps, self._on_entry)
        self._busy["apply"] = self._busy.get("apply", 0.0) + time.perf_counter() - began
        self._entries += entries
        for s in steps:
            self._steps[s.action] += 1
            if s.drift is not None:
                self._drifted[s.id[1]] += 1
                self._editors.update(s.drift or ("unknown",))
        return entries

    def replace(self, failures: list[Entry]) -> None:
        """Put each failure of a fix-up in place of the entry of the same object."""
        if not failures:
            return
        by_key = {(f.kind, f.namespace, f.name): f for f in failures}
        self._entries = [by_key.pop((e.kind, e.namespace, e.name), e) for e in self._entries]
        self._entries += by_key.values()

    async def ensure_crds(self, objects: list[dict[str, Any]]) -> None:
        """Apply (once) the CRDs of the custom resources among ``objects``, and wait for them."""
        groups = {group_of(str(o.get("apiVersion", ""))) for o in objects} & self._custom_groups
        if groups and self._crds is not None:
            await self._crds.ensure(groups)

    async def close(self) -> None:
        """Stop every listing still running."""
        for source in self._sources:
            await source.close()
        for copies in self._copies:
            await copies.close()

    def result(self) -> Result:
        """The Result of the migration."""
        forbidden = [*self._forbidden, *(c.type for c in self._sources if c.refused)]
        kinds = sorted(f"{t.plural}.{t.group}" if t.group else t.plural for t in forbidden)
        timings = {**self.timings, **{k: round(v, 3) for k, v in self._busy.items()}}
        return Result(
            self._entries,
            list(self._job.namespaces.skipped),
            self._steps[Action.APPLY],
            timings,
            kinds,
            dict(self._drifted),
            dict(self._editors),
        )


class _Crds:
    """The CRDs of a migration's custom resources: each applied once, before its objects."""

    def __init__(self, run: _Run, crds: list[dict[str, Any]]) -> None:
        self._run = run
        self._crds = crds
        self._applying: dict[str, asyncio.Task[None]] = {}

    async def ensure(self, groups: set[str]) -> None:
        """Apply the CRDs that travel with custom resources of ``groups`` (see
        ``resources.travelling_crds``), wait until they are established."""
        needed = {str(c["metadata"]["name"]): c for c in travelling_crds(self._crds, groups)}
        new = [c for name, c in needed.items() if name not in self._applying]
        if new:
            task = asyncio.create_task(self._apply([cleaned(c) for c in new]))
            for c in new:
                self._applying[str(c["metadata"]["name"])] = task
        await asyncio.gather(*{self._applying[name] for name in needed})

    async def _apply(self, crds: list[dict[str, Any]]) -> None:
        await self._run.apply(await self._run.plan(crds, [], self._run._cluster))


class _Namespace:
    """One namespace of a migration: its objects batch by batch, then purge and fix-ups."""

    def __init__(self, run: _Run, index: int, name: str) -> None:
        self._run = run
        self._index = index
        self.name = name
        self._selection: NamespaceSelection = run._selector.namespace(name)
        #: The destination's objects of this namespace (a few fields each).
        self._copies: dict[ObjectId, Present] = {}
        #: What this migration takes of the namespace (a purge leaves it).
        self._wanted: set[ObjectId] = set()
        self._claims = ClaimOwners()
        self._volumes: list[dict[str, Any]] = []
        self._pending: set[GroupKind] = {(c.type.group, c.type.kind) for c in run._sources}
        self._first = True

    async def run(self) -> None:
        """Take the namespace's objects from every kind's cursor in turn; apply them in
        batches of at most BATCH objects (a kind with more goes chunk by chunk)."""
        run = self._run
        batch: list[dict[str, Any]] = []
        for source, copies in zip(run._sources, run._copies, strict=True):
            kind = (source.type.group, source.type.kind)
            async with copies.turn(self._index):
                for copy_ in await run._on_destination(copies.take(self.name, 1 << 62)):
                    self._copies[copy_.id] = copy_
            async with source.turn(self._index):
                batch += await source.take(self.name, max(1, BATCH - len(batch)))
                if await source.more(self.name):
                    # A large namespace: this kind chunk by chunk, holding the cursor's turn.
                    while True:
                        more = await source.more(self.name)
                        if not more:
                            self._pending.discard(kind)
                        await self._flush(batch)
                        if not more:
                            break
                        batch = await source.take(self.name, BATCH)
                    batch = []
                    continue
            self._pending.discard(kind)
            if len(batch) >= BATCH:
                await self._flush(batch)
                batch = []
        await self._flush(batch)
        await self._flush([], last=True)
        await self._after()

    async def _flush(self, listed: list[dict[str, Any]], last: bool = False) -> None:
        """Select, plan and apply one batch of the namespace's listed objects."""
        run = self._run
        if last:
            chosen = self._selection.finish()
        else:
            chosen = self._selection.select(listed, frozenset(self._pending))
        prepared = []
        if self._first:
            self._first = False
            namespace = run._namespace_objects.get(self.name)
            if namespace is not None:
                prepared.append(transform(cleaned(namespace, keep_spec=False), run._tctx))
        if not chosen and not prepared:
            return
        await run.ensure_crds(chosen)
        self._claims.add(o for o in chosen if (o.get("metadata") or {}).get("namespace"))
        steps = await run.plan(prepared, chosen, ChainMap(self._copies, run._cluster))
        for step in steps:
            if step.id[2]:
                self._wanted.add(step.id)
            elif step.id[:2] == ("", "PersistentVolume"):
                claim = run._volumes.get(step.id[3])
                if claim is not None:
                    self._volumes.append(claim)
        await run.apply(steps)

    async def _after(self) -> None:
        """Purge what the source no longer has, then the links only the destination knows."""
        run = self._run
        destination = run._destination
        if run._job.options.purge_deleted_resources:
            # A kind the source refused to list is not gone from it: its copies stay.
            refused = {(c.type.group, c.type.kind) for c in run._sources if c.refused}
            gone = [
                c
                for c in self._copies.values()
                if c.id not in self._wanted and c.id[:2] not in refused
            ]
            entries = await run._on_destination(
                purge(destination, gone, run._types, run._job.dry_run)
            )
            run._entries += entries
        if run._job.dry_run:
            return  # the links are written after the objects: nothing to fix in a dry run
        owners = self._claims.owners()
        if owners or self._volumes:
            failures = await run._on_destination(
                fix_links(destination, run._types, self.name, owners, self._volumes)
            )
            run.replace(failures)


def _same(obj: dict[str, Any]) -> dict[str, Any]:
    return obj


def _cluster_copy(obj: dict[str, Any]) -> tuple[Present, dict[str, Any] | None]:
    """A destination's cluster-scoped object as the plan sees it, and a PV's claim."""
    return present(obj), volume_claim(obj)


async def _all(work: list[Coroutine[Any, Any, None]]) -> None:
    """Run ``work`` at once; the first failure cancels the rest and is raised as it is."""
    tasks = [asyncio.create_task(w) for w in work]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            if task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
