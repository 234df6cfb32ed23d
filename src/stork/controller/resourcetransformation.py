"""ResourceTransformation reconciler: the spec checked as Stork checks it, then each matching
object dry-run with its transformation; status ``Ready`` or ``Failed`` (Stork's values).

Stork dry-runs the transformed objects in a temporary namespace of its own cluster, which
needs rights to create namespaces and every kind there. This controller never writes on the
source, so the dry run goes where the objects will be created: the destination of every Ready
ClusterPair of the transformation's namespace, through that pair's credentials (``create`` with
``dryRun=All``: nothing is stored), in that namespace when it exists there, else in ``default``.
Until such a pair exists the transformation stays ``""`` and an event says why.

A spec that changes (a new ``metadata.generation``) is validated again (Stork validates once).
Migrations naming a transformation wait until it is Ready (``load_transforms``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
from lightkube import ApiError, AsyncClient

from stork.api.constants import FIELD_MANAGER, ClusterPairStatus
from stork.controller.clients import DestinationClients
from stork.kube.discovery import NAMESPACES, ResourceType, discover
from stork.kube.pairconfig import PairConfigError
from stork.kube.resources import (
    ClusterPairResource,
    ResourceTransformationResource,
    status_target,
)
from stork.kube.rest import Rest, RestError, collection_path, object_path
from stork.migration.spec import label_selector
from stork.migration.transform import (
    KindTransform,
    ResourceTransformError,
    TransformSpecError,
    parse_specs,
)
from stork.migration.transform.resource_transformation import dry_run_body
from stork.runtime.conditions import set_condition
from stork.runtime.controller import Mapper
from stork.runtime.events import NORMAL, WARNING, EventRecorder
from stork.runtime.informer import ObjectKey
from stork.runtime.status import merge_status

log = logging.getLogger(__name__)

IN_PROGRESS, READY, FAILED = "InProgress", "Ready", "Failed"
#: Seconds between two looks while no Ready ClusterPair can run the dry run (Stork: 10 s).
NO_PAIR_REQUEUE = 10.0
#: The namespace of the dry run when the transformation's does not exist on the destination.
FALLBACK_NAMESPACE = "default"
CONDITION = "Validated"


@dataclass(frozen=True)
class _Pair:
    name: str
    rest: Rest


def _validated_generation(obj: Mapping[str, Any]) -> int | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == CONDITION:
            value = condition.get("observedGeneration")
            return value if isinstance(value, int) else None
    return None


def needs_validation(obj: Mapping[str, Any]) -> bool:
    """Whether the transformation was never validated, or its spec changed since."""
    status = (obj.get("status") or {}).get("status") or ""
    if status not in (READY, FAILED):
        return True
    generation = (obj.get("metadata") or {}).get("generation")
    validated = _validated_generation(obj)
    return validated is not None and generation is not None and validated != generation


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _spec_of(rt: Mapping[str, Any], transform: KindTransform) -> Any:
    """The spec entry as the user wrote it, for ``status.resources[].specs``."""
    specs = ((rt.get("specs") or {}).get("transformSpecs")) or []
    return next((s for s in specs if s.get("resource") == transform.resource), None)


class ResourceTransformationReconciler:
    """Validates each ResourceTransformation once per spec generation."""

    name = "resourcetransformation"
    resource = ResourceTransformationResource

    def __init__(
        self,
        client: AsyncClient,
        events: EventRecorder,
        source: Rest,
        destinations: DestinationClients,
    ) -> None:
        self._client = client
        self._events = events
        self._source = source
        self._destinations = destinations

    @staticmethod
    def for_pair(keys: Callable[[], list[ObjectKey]]) -> Mapper:
        """A mapper from a ClusterPair to the transformations of its namespace (a pair that
        turns Ready lets them be dry-run)."""

        def mapper(key: ObjectKey, _obj: dict[str, Any]) -> list[ObjectKey]:
            return [k for k in keys() if k[0] == key[0]]

        return mapper

    async def reconcile(self, key: ObjectKey, obj: dict[str, Any] | None) -> float | None:
        """Validate the transformation if it needs it; return when to look again."""
        if obj is None or (obj.get("metadata") or {}).get("deletionTimestamp"):
            return None
        if not needs_validation(obj):
            return None
        try:
            transforms = parse_specs(obj)
        except TransformSpecError as e:
            message = f"Unsupported resource for resource transformation found: {e}"
            await self._events.record(obj, WARNING, FAILED, message)
            await self._write(key, obj, FAILED, [], str(e))
            return None
        pairs = await self._ready_pairs(key[0])
        if not pairs:
            await self._events.record(
                obj,
                NORMAL,
                "Waiting",
                f"no Ready ClusterPair in namespace {key[0]} to dry-run the transformation on",
            )
            return NO_PAIR_REQUEUE
        await self._write(key, obj, IN_PROGRESS, None, "dry run in progress")
        try:
            resources = await self._dry_run(key[0], obj, transforms, pairs)
        except _Refused as e:
            message = f"Error validating resource transformation specs: {e}"
            await self._events.record(obj, WARNING, FAILED, message)
            await self._write(key, obj, FAILED, [], str(e))
            return None
        failed = [r for r in resources if r["status"] != READY]
        status = FAILED if failed else READY
        if failed:
            first = failed[0]
            await self._events.record(
                obj,
                WARNING,
                FAILED,
                f"dry run of {first['kind']} {first['namespace']}/{first['name']} failed:"
                f" {first['reason']}",
            )
        summary = f"{len(resources) - len(failed)} of {len(resources)} objects passed the dry run"
        await self._write(key, obj, status, resources, summary)
        return None

    async def _ready_pairs(self, namespace: str) -> list[_Pair]:
        pairs = []
        async for pair in self._client.list(ClusterPairResource, namespace=namespace):
            body = dict(pair)
            state = (body.get("status") or {}).get("schedulerStatus")
            if state != ClusterPairStatus.READY.value:
                continue
            try:
                rest = await self._destinations.get(body)
            except PairConfigError:
                continue  # the pair controller reports it
            pairs.append(_Pair(str(body["metadata"]["name"]), rest))
        return sorted(pairs, key=lambda p: p.name)

    async def _write(
        self,
        key: ObjectKey,
        obj: Mapping[str, Any],
        status: str,
        resources: list[dict[str, Any]] | None,
        message: str,
    ) -> None:
        body: dict[str, Any] = {"status": status}
        if resources is not None:
            body["resources"] = resources
        if status in (READY, FAILED):
            conditions = list((obj.get("status") or {}).get("conditions") or [])
            body["conditions"] = set_condition(
                conditions,
                CONDITION,
                status == READY,
                status,
                message,
                (obj.get("metadata") or {}).get("generation"),
                _now(),
            )
        try:
            await merge_status(
                self._client, status_target(ResourceTransformationResource), key, body
            )
        except ApiError as e:
            if e.status.code != 404:  # deleted meanwhile: nothing to record
                raise

    async def _target_namespace(self, pair: _Pair, namespace: str) -> str:
        """Where the dry run goes on a pair's destination: the transformation's namespace if
        it exists there (its quotas and policies apply), else ``default``."""
        try:
            await pair.rest.request("GET", object_path(NAMESPACES, None, namespace))
        except RestError as e:
            if e.status == 404:
                return FALLBACK_NAMESPACE
        except httpx2.TransportError:
            pass  # the dry run itself reports an unreachable destination
        return namespace

    async def _dry_run(
        self,
        namespace: str,
        rt: Mapping[str, Any],
        transforms: tuple[KindTransform, ...],
        pairs: list[_Pair],
    ) -> list[dict[str, Any]]:
        """One ``status.resources`` entry per matching source object; raises _Refused when a
        kind cannot be listed at all (Stork fails the transformation then)."""
        try:
            types = await discover(self._source.http)
        except (httpx2.TransportError, httpx2.HTTPStatusError) as e:
            raise _Refused(f"the source cluster did not answer: {e or type(e).__name__}") from e
        exact = {(t.group, t.version, t.kind): t for t in types}
        by_kind = {(t.group, t.kind): t for t in types}
        targets = {p.name: await self._target_namespace(p, namespace) for p in pairs}
        out: list[dict[str, Any]] = []
        for transform in transforms:
            found = exact.get((transform.group, transform.version, transform.kind)) or by_kind.get(
                (transform.group, transform.kind)
            )
            if found is None or not found.namespaced:
                raise _Refused(
                    f"Error getting resource kind:{transform.kind}, err: the source serves no"
                    f" namespaced {transform.resource}"
                )
            try:
                objects = [
                    o
                    async for o in self._source.list(
                        found, namespace, label_selector(dict(transform.selectors))
                    )
                ]
            except RestError as e:
                raise _Refused(f"Error getting resource kind:{found.kind}, err: {e.message}") from e
            for source_obj in objects:
                reasons = [
                    r
                    for pair in pairs
                    if (
                        r := await self._try(pair, found, source_obj, transform, targets[pair.name])
                    )
                ]
                out.append(
                    {
                        "name": source_obj["metadata"]["name"],
                        "namespace": namespace,
                        "group": found.group,
                        "version": found.version,
                        "kind": found.kind,
                        "status": FAILED if reasons else READY,
                        "reason": "; ".join(reasons),
                        "specs": _spec_of(rt, transform),
                    }
                )
        return out

    async def _try(
        self,
        pair: _Pair,
        t: ResourceType,
        source_obj: Mapping[str, Any],
        transform: KindTransform,
        namespace: str,
    ) -> str:
        """The dry run of one object on one pair's destination: "" when it passed, else why."""
        try:
            body = dry_run_body(source_obj, transform, namespace)
        except ResourceTransformError as e:
            return str(e)
        try:
            await pair.rest.request(
                "POST",
                collection_path(t, namespace),
                params={"dryRun": "All", "fieldManager": FIELD_MANAGER},
                body=body,
            )
        except RestError as e:
            return f"ClusterPair {pair.name}: {e.message}"
        except httpx2.TransportError as e:
            return (
                f"ClusterPair {pair.name}: the destination did not answer ({e or type(e).__name__})"
            )
        return ""


class _Refused(Exception):  # noqa: N818 - says what happened to the transformation
    """The transformation cannot be validated at all (Stork: status Failed)."""


class TransformNotReady(Exception):  # noqa: N818 - says what the Migration waits for
    """A Migration's transformation is missing or not Ready: the Migration waits (Stork)."""


async def load_transforms(
    client: AsyncClient, names: tuple[str, ...], namespaces: list[str]
) -> dict[str, tuple[KindTransform, ...]]:
    """The operations of the ResourceTransformation a Migration names (``transformSpecs``), in
    each of its namespaces, once Ready there; raises TransformNotReady with Stork's message."""
    if not names:
        return {}
    if len(names) > 1:
        raise TransformNotReady(
            "providing multiple transformation specs is not supported in this release"
            f" [{' '.join(names)}], err: <nil>"
        )
    out = {}
    for namespace in namespaces:
        try:
            rt = dict(
                await client.get(ResourceTransformationResource, names[0], namespace=namespace)
            )
        except ApiError as e:
            raise TransformNotReady(str(e.status.message)) from e
        state = (rt.get("status") or {}).get("status") or ""
        if state != READY or needs_validation(rt):
            raise TransformNotReady(f"transformation {names[0]} is not in ready state: {state}")
        try:
            out[namespace] = parse_specs(rt)
        except TransformSpecError as e:  # changed since it was validated
            raise TransformNotReady(f"transformation {names[0]} is not valid: {e}") from e
    return out
