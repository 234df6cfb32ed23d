"""Planning a batch of a migration (pure): transform, hash, compare with the destination.

What the destination has is given as :class:`Present` (a few fields per object, not the
objects); the memo (see ``memo``) spares the transform of objects unchanged on both sides
and tells a destination copy edited there (drift) from one left as we wrote it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stork.api.constants import FIELD_MANAGER
from stork.migration.memo import Memory, TransformMemo, memo_key, source_version
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
from stork.migration.slices import in_slices
from stork.migration.transform import MIGRATED_ANNOTATION, TransformContext, transform


def cleaned(obj: Mapping[str, Any], keep_spec: bool = True) -> dict[str, Any]:
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


def for_apply(obj: dict[str, Any]) -> dict[str, Any]:
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


class Planner:
    """The steps of a migration, batch by batch, and what the memo learns from them."""

    def __init__(
        self,
        tctx: TransformContext,
        stamp: Mapping[str, str],
        memo: TransformMemo | None,
        destination: str,
    ) -> None:
        self._tctx = tctx
        self._stamp = stamp
        self._memo = memo
        self._destination = destination
        self._fingerprint = _fingerprint(tctx)
        #: The memo entries of the steps to write, completed once written.
        self._written: dict[ObjectId, Memory] = {}

    async def plan(
        self,
        prepared: list[dict[str, Any]],
        objects: list[dict[str, Any]],
        existing: Mapping[ObjectId, Present],
    ) -> list[Step]:
        """The steps for ``prepared`` (namespaces, CRDs: applied as they are) and the source
        ``objects`` (transformed unless the memo knows them unchanged on both sides), in apply
        order; ``existing`` is what the destination has of them.

        Pure CPU work, done in slices (see ``slices``): the event loop keeps running meanwhile.
        """
        hashes = _Hashes(existing)
        steps = await in_slices(prepared, lambda o: plan_step(for_apply(o), hashes))
        steps += await in_slices(objects, lambda o: self._step(o, existing, hashes))
        steps.sort(key=lambda s: (s.phase, s.id))
        return steps

    def _step(
        self, obj: dict[str, Any], existing: Mapping[ObjectId, Present], hashes: _Hashes
    ) -> Step:
        oid = object_id(obj)
        key = memo_key(obj, self._destination)
        memory = self._memo.get(key) if self._memo is not None else None
        here = existing.get(oid)
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
        step = plan_step(for_apply(_annotated(transform(obj, self._tctx), self._stamp)), hashes)
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


@dataclass(frozen=True)
class Present:
    """What the plan and the purge need of a destination object (not the whole object)."""

    id: ObjectId
    api_version: str
    hash: str | None
    #: Carries the migrated annotation: made by a migration, or copied from one's object by a
    #: controller of the destination (a ReplicaSet gets its Deployment's annotations).
    migrated: bool
    #: See ``plan.destination_version`` and ``plan.editors``.
    version: str | None = None
    editors: tuple[str, ...] = ()
    #: Has owners on the destination: their controllers manage it, a purge leaves it.
    owned: bool = False


def present(obj: dict[str, Any]) -> Present:
    """A destination object as the plan and the purge see it."""
    meta = obj.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    return Present(
        object_id(obj),
        str(obj.get("apiVersion", "")),
        annotations.get(HASH_ANNOTATION),
        annotations.get(MIGRATED_ANNOTATION) == "true",
        destination_version(obj),
        editors(obj, FIELD_MANAGER),
        bool(meta.get("ownerReferences")),
    )


def _fingerprint(ctx: TransformContext) -> str:
    """Everything of the transform context that shapes a transformed object, as a string."""
    return repr(
        (
            ctx.start_applications,
            sorted(ctx.project_mappings.items()),
            sorted(ctx.namespaces),
            ctx.skip_service_update,
            ctx.include_volumes,
            ctx.inputs.fingerprint(),
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
