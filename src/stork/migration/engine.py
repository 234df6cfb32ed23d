"""One migration, end to end: collect -> transform -> plan -> apply -> ledger.

The engine is I/O only at its edges (``Rest`` clients for the source and the destination); the
decisions in between are the pure modules ``filters``, ``transform``, ``plan`` and ``ledger``.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx2

from stork.api.constants import FIELD_MANAGER, MigrationStatus
from stork.kube.discovery import NAMESPACES, ResourceType, custom_resource_groups, discover
from stork.kube.rest import Rest, RestError
from stork.migration.apply import Applier, DestinationUnreachable
from stork.migration.collect import list_types, list_types_as
from stork.migration.errors import MigrationError
from stork.migration.filters import FilterContext, select_objects
from stork.migration.fixups import fix_links, pvc_owners
from stork.migration.ledger import Entry
from stork.migration.memo import Memory, TransformMemo, memo_key, source_version
from stork.migration.namespaces import NamespaceSet
from stork.migration.plan import (
    HASH_ANNOTATION,
    Action,
    ObjectId,
    Step,
    destination_version,
    drifted,
    editors,
    object_id,
    phase_of,
    plan_step,
)
from stork.migration.resources import Selection, collected_types
from stork.migration.slices import in_slices
from stork.migration.spec import MigrationOptions, label_selector
from stork.migration.transform import TransformContext, migration_annotations, transform
from stork.runtime.gcpause import paused_gc

log = logging.getLogger(__name__)

MIGRATED_ANNOTATION = "stork.libopenstorage.org/migrated"
_CRD = ResourceType(
    "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False
)


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


@dataclass
class Result:
    """The ledger of a finished migration, and what was skipped."""

    entries: list[Entry]
    skipped_namespaces: list[str]
    writes: int
    #: Seconds spent per phase (collect, destination, transform, apply), for the logs.
    timings: dict[str, float] = field(default_factory=dict)
    #: Kinds the source refused to list (RBAC): not migrated, and the user must be told.
    forbidden: list[str] = field(default_factory=list)
    #: Destination copies edited there since the last migration and applied again, by Kind,
    #: and by the field manager that edited them.
    drifted: dict[str, int] = field(default_factory=dict)
    drift_editors: dict[str, int] = field(default_factory=dict)


def _clean(obj: Mapping[str, Any], keep_spec: bool = True) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    out: dict[str, Any] = {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {
            k: copy.deepcopy(meta[k]) for k in ("name", "labels", "annotations") if meta.get(k)
        },
    }
    if keep_spec and "spec" in obj:
        out["spec"] = copy.deepcopy(obj["spec"])
    return out


def _drop_nulls(value: Any) -> None:
    """Server-side apply treats a null as "remove": send only what we mean to own.

    In place: the objects handled here are fresh transform results, owned by the engine (a
    copy of every object would cost a fifth of the planning time).
    """
    if isinstance(value, dict):
        nulls = [k for k, v in value.items() if v is None]
        for k in nulls:
            del value[k]
        for v in value.values():
            if isinstance(v, dict | list):
                _drop_nulls(v)
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict | list):
                _drop_nulls(v)


def _for_apply(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` (owned here) as it is applied: no nulls, no IP fields left empty."""
    _drop_nulls(obj)
    if obj.get("kind") == "Service" and isinstance(obj.get("spec"), dict):
        spec = obj["spec"]
        # An emptied IP would claim the field and clash with the one the destination allocated.
        for key in ("clusterIP", "loadBalancerIP"):
            if spec.get(key) == "":
                del spec[key]
        if spec.get("clusterIPs") in ([], [""]):
            del spec["clusterIPs"]
    return obj


def _annotated(obj: dict[str, Any], extra: Mapping[str, str]) -> dict[str, Any]:
    """``obj`` (a fresh transform result, owned here) with ``extra`` annotations added."""
    meta = obj.setdefault("metadata", {})
    meta["annotations"] = {**(meta.get("annotations") or {}), **extra}
    return obj


async def migrate(
    source: Rest,
    destination: Rest,
    job: Job,
    on_entry: Callable[[Entry], Awaitable[None]] | None = None,
    memo: TransformMemo | None = None,
) -> Result:
    """Run one migration; raises MigrationError (or DestinationUnreachable) when it cannot.

    ``memo`` (kept by the caller across migrations) lets a re-sync skip the transform of
    objects unchanged on both sides.
    """
    opts = job.options
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        timings[name] = round(now - mark, 3)
        mark = now

    namespaces, skipped = job.namespaces.names, list(job.namespaces.skipped)
    try:
        all_types = await discover(source.http)
        custom_groups = await custom_resource_groups(source.http)
    except httpx2.TransportError as e:
        raise MigrationError(f"source cluster did not answer: {e}") from e
    selection = Selection.from_spec(
        opts.include_optional_resource_types,
        opts.exclude_resource_types,
        not opts.include_resources,
    )
    types = collected_types(all_types, custom_groups, selection)
    type_map: dict[tuple[str, str], ResourceType] = {(t.group, t.kind): t for t in all_types}
    # The destination is listed while the source is: the two clusters work in parallel.
    # (Its objects tell which source objects need no transform at all, see the memo.)
    destination_listing = asyncio.create_task(
        _destination_objects(destination, [*types, NAMESPACES], type_map, namespaces)
    )
    try:
        selector = label_selector(opts.selectors)
        forbidden: list[ResourceType] = []
        listed = await list_types(
            source,
            types,
            namespaces,
            {t.kind: selector for t in types if t.kind != "PersistentVolume"},
            skipped=forbidden,
        )
        context = FilterContext(
            namespaces=frozenset(namespaces),
            exclude_selectors=opts.exclude_selectors,
            selectors=opts.selectors,
            include_network_policy_with_cidr=opts.include_network_policy_with_cidr,
            ignore_owner_references_check=opts.ignore_owner_references_check,
        )
        with paused_gc():
            objects = select_objects(listed, context)
        phase("collect")
        groups = {str(o.get("apiVersion", "")).rpartition("/")[0] for o in objects}
        groups &= custom_groups
        try:
            current = await destination_listing
            if groups:
                current += await _destination_objects(destination, [_CRD], type_map, [])
        except httpx2.TransportError as e:
            raise DestinationUnreachable(f"destination did not answer: {e}") from e
    finally:
        if destination_listing.done() and not destination_listing.cancelled():
            destination_listing.exception()  # retrieved: the source's error is the one raised
        destination_listing.cancel()
    tctx = TransformContext(
        start_applications=opts.start_applications,
        project_mappings=dict(job.project_mappings),
        namespaces=frozenset(namespaces),
        skip_service_update=opts.skip_service_update,
        include_volumes=opts.include_volumes,
    )
    stamp = migration_annotations(job.name, job.namespace, job.started)
    existing = {c.id: c for c in current}
    phase("destination")

    desired: list[dict[str, Any]] = []
    if groups:
        crds = [o async for o in source.list(_CRD, None)]
        desired += [_clean(c) for c in crds if c["spec"]["group"] in groups]
    desired += [transform(_clean(n, keep_spec=False), tctx) for n in job.namespaces.objects]
    planner = _Planner(existing, tctx, stamp, memo, str(destination.http.base_url))
    steps = await planner.plan(desired, objects)
    owners = pvc_owners(objects)
    del listed, objects, desired  # only the plan's objects are needed from here on
    migrated = {s.id for s in steps}
    phase("transform")
    try:
        applier = Applier(destination, type_map, job.concurrency, planner.applied)
        entries = await applier.run(steps, on_entry)
        entries = _replaced(
            entries, await fix_links(destination, type_map, owners, migrated, namespaces)
        )
        if opts.purge_deleted_resources:
            entries += await _purge(destination, current, migrated, type_map, namespaces)
    except httpx2.TransportError as e:
        raise DestinationUnreachable(f"destination did not answer: {e}") from e
    phase("apply")
    writes = sum(1 for s in steps if s.action.value == "apply")
    kinds = sorted(f"{t.plural}.{t.group}" if t.group else t.plural for t in forbidden)
    drifted: Counter[str] = Counter()
    editors: Counter[str] = Counter()
    for s in steps:
        if s.drift is not None:
            drifted[s.id[1]] += 1
            editors.update(s.drift or ("unknown",))
    return Result(entries, skipped, writes, timings, kinds, dict(drifted), dict(editors))


class _Planner:
    """The steps of a migration, and what the memo learns from them (see ``memo``)."""

    def __init__(
        self,
        existing: Mapping[ObjectId, Present],
        tctx: TransformContext,
        stamp: Mapping[str, str],
        memo: TransformMemo | None,
        destination: str,
    ) -> None:
        self._existing = existing
        self._hashes = _Hashes(existing)
        self._tctx = tctx
        self._stamp = stamp
        self._memo = memo
        self._destination = destination
        self._fingerprint = _fingerprint(tctx)
        #: The memo entries of the steps to write, completed once written.
        self._written: dict[ObjectId, Memory] = {}

    async def plan(
        self, prepared: list[dict[str, Any]], objects: list[dict[str, Any]]
    ) -> list[Step]:
        """The steps for ``prepared`` (namespaces, CRDs) and the source ``objects`` (transformed
        unless the memo knows them unchanged on both sides), in apply order.

        Pure CPU work, done in slices (see ``slices``): the event loop keeps running meanwhile.
        """
        steps = await in_slices(prepared, lambda o: plan_step(_for_apply(o), self._hashes))
        steps += await in_slices(objects, self._step)
        steps.sort(key=lambda s: (s.phase, s.id))
        return steps

    def _step(self, obj: dict[str, Any]) -> Step:
        oid = object_id(obj)
        key = memo_key(obj, self._destination)
        memory = self._memo.get(key) if self._memo is not None else None
        here = self._existing.get(oid)
        version = here.version if here is not None else None
        moved = memory is not None and drifted(memory.destination, version)
        if (
            memory is not None
            and here is not None
            and here.hash == memory.hash
            and memory.fresh(obj, self._fingerprint)
            and not moved
        ):
            memory.destination = version  # in step: the version to compare with next time
            return Step(oid, _stub(obj), Action.UNCHANGED, phase_of(*oid[:2]), True)
        step = plan_step(
            _for_apply(_annotated(transform(obj, self._tctx), self._stamp)), self._hashes
        )
        if moved and step.action == Action.UNCHANGED:
            assert here is not None
            step = dataclasses.replace(step, action=Action.APPLY, drift=here.editors)
        if self._memo is not None and key is not None:
            content = step.obj["metadata"]["annotations"][HASH_ANNOTATION]
            unchanged = step.action == Action.UNCHANGED
            remembered = Memory(
                source_version(obj) or "",
                self._fingerprint,
                content,
                version if unchanged else None,
            )
            self._memo.put(key, remembered)
            if not unchanged:
                self._written[oid] = remembered
        return step

    def applied(self, step: Step, written: dict[str, Any]) -> None:
        """The Applier's callback: the version the destination gave a copy we wrote."""
        remembered = self._written.pop(step.id, None)
        if remembered is not None:
            remembered.destination = destination_version(written)


class _Hashes(Mapping[ObjectId, str | None]):
    """The destination's hash annotations by object, as ``plan_step`` reads them."""

    def __init__(self, present: Mapping[ObjectId, Present]) -> None:
        self._present = present

    def __getitem__(self, oid: ObjectId) -> str | None:
        return self._present[oid].hash

    def __iter__(self) -> Iterator[ObjectId]:
        return iter(self._present)

    def __len__(self) -> int:
        return len(self._present)


def _replaced(entries: list[Entry], failures: list[Entry]) -> list[Entry]:
    """``entries`` with each failure in place of the entry of the same object (else added)."""
    by_key = {(f.kind, f.namespace, f.name): f for f in failures}
    out = [by_key.pop((e.kind, e.namespace, e.name), e) for e in entries]
    return out + list(by_key.values())


@dataclass(frozen=True)
class Present:
    """What the plan and the purge need of a destination object (not the whole object)."""

    id: ObjectId
    api_version: str
    hash: str | None
    migrated: bool
    #: See ``plan.destination_version`` and ``plan.editors``.
    version: str | None = None
    editors: tuple[str, ...] = ()


def _present(obj: dict[str, Any]) -> Present:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return Present(
        object_id(obj),
        str(obj.get("apiVersion", "")),
        annotations.get(HASH_ANNOTATION),
        annotations.get(MIGRATED_ANNOTATION) == "true",
        destination_version(obj),
        editors(obj, FIELD_MANAGER),
    )


async def _destination_objects(
    destination: Rest,
    kinds: list[ResourceType],
    type_map: Mapping[tuple[str, str], ResourceType],
    namespaces: list[str],
) -> list[Present]:
    """What the destination has of these kinds (LISTs, not GETs), as served there."""
    wanted = {(t.group, t.kind) for t in kinds}
    types = [type_map[gk] for gk in sorted(wanted) if gk in type_map]
    return await list_types_as(destination, types, namespaces, _present, tolerate=(403, 404))


def _fingerprint(ctx: TransformContext) -> str:
    """Everything of the transform context that shapes a transformed object, as a string."""
    return repr(
        (
            ctx.start_applications,
            sorted(ctx.project_mappings.items()),
            sorted(ctx.namespaces),
            ctx.skip_service_update,
            ctx.include_volumes,
        )
    )


def _stub(obj: Mapping[str, Any]) -> dict[str, Any]:
    """Enough of a source object for its ledger entry."""
    meta = obj.get("metadata") or {}
    return {
        "apiVersion": obj.get("apiVersion"),
        "kind": obj.get("kind"),
        "metadata": {"name": meta.get("name"), "namespace": meta.get("namespace")},
    }


#: Kinds a purge never deletes (Stork's rule: they may be shared with what runs there).
_NEVER_PURGED = frozenset({"ServiceAccount", "ClusterRoleBinding"})


async def _purge(
    destination: Rest,
    current: list[Present],
    wanted: set[ObjectId],
    type_map: Mapping[tuple[str, str], ResourceType],
    namespaces: list[str],
) -> list[Entry]:
    """Delete what an earlier migration created in these namespaces and the source no longer has."""
    entries = []
    for obj in current:
        oid = obj.id
        if oid in wanted or oid[2] not in namespaces or oid[1] in _NEVER_PURGED or not obj.migrated:
            continue
        t = type_map[oid[:2]]
        try:
            await destination.delete(t, oid[2], oid[3])
            status, reason = (
                MigrationStatus.PURGED,
                "Resource deleted: it no longer exists on the source",
            )
        except RestError as e:
            status, reason = MigrationStatus.FAILED, f"Error cleaning up resource: {e.message}"
        entries.append(Entry(obj.api_version, oid[1], oid[2], oid[3], status, reason))
    return entries
