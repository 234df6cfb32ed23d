"""After the apply: links between destination objects that only the destination can fill in.

Two links carry uids, which differ on every cluster, so the transforms cannot write them:

- **PVC owner references.** A source PVC owned by a collected object (e.g. a StatefulSet with a
  ``persistentVolumeClaimRetentionPolicy``) gets the same owners on the destination, with the
  destination owners' uids (Stork's ``updateOwnerReferenceOnPVC``).
- **PV to claim binding.** A migrated PV is pre-bound to its claim by name (``claimRef`` without
  a uid); the destination's binder then writes the claim's uid. When that claim is later deleted
  and re-created (by a migration re-creating it, or by hand), the PV still names the old uid, is
  ``Released`` and never binds again. The uid (and resourceVersion) are cleared so that the
  binder binds the new claim.

Both are written only when the destination disagrees, so a re-sync with nothing changed writes
nothing. The decisions are pure functions; :func:`fix_links` does the I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stork.api.constants import FIELD_MANAGER, MigrationStatus
from stork.kube.discovery import ResourceType
from stork.kube.rest import Rest, RestError, object_path
from stork.migration.ledger import Entry
from stork.migration.plan import ObjectId, group_of, object_id

Obj = Mapping[str, Any]

_PVC = ("", "PersistentVolumeClaim")
_PV = ("", "PersistentVolume")


@dataclass(frozen=True)
class Owner:
    """An owner of a source PVC that was migrated too (looked up by name on the destination)."""

    api_version: str
    kind: str
    name: str
    controller: bool
    block_owner_deletion: bool


def _meta(obj: Obj) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


class ClaimOwners:
    """The owners of a namespace's source PVCs among its collected objects, gathered batch by
    batch (an owner may come in a later batch than its claims)."""

    def __init__(self) -> None:
        self._claims: dict[ObjectId, list[Mapping[str, Any]]] = {}
        #: uid -> (apiVersion, kind, name) of the collected objects.
        self._objects: dict[str, tuple[str, str, str]] = {}

    def add(self, objects: Iterable[Obj]) -> None:
        """Note a batch of collected source objects."""
        for obj in objects:
            meta = _meta(obj)
            if meta.get("uid"):
                self._objects[str(meta["uid"])] = (
                    str(obj.get("apiVersion", "")),
                    str(obj.get("kind", "")),
                    str(meta.get("name", "")),
                )
            refs = meta.get("ownerReferences")
            if refs and object_id(obj)[:2] == _PVC:
                self._claims[object_id(obj)] = list(refs)

    def owners(self) -> dict[ObjectId, list[Owner]]:
        """For each PVC, its owners that are among the collected objects (matched by uid)."""
        out: dict[ObjectId, list[Owner]] = {}
        for claim, refs in self._claims.items():
            owners = []
            for ref in refs:
                owner = self._objects.get(str(ref.get("uid")))
                if owner is not None:
                    owners.append(
                        Owner(
                            *owner,
                            bool(ref.get("controller")),
                            bool(ref.get("blockOwnerDeletion")),
                        )
                    )
            if owners:
                out[claim] = owners
        return out


def pvc_owners(source_objects: Iterable[Obj]) -> dict[ObjectId, list[Owner]]:
    """For each source PVC, its owners that are among ``source_objects`` (matched by uid)."""
    claims = ClaimOwners()
    claims.add(source_objects)
    return claims.owners()


def volume_claim(pv: Obj) -> dict[str, Any] | None:
    """What :func:`stale_claim_uid` reads of a destination PV (None for other objects): kept
    from the destination's listing instead of the whole PV."""
    if object_id(pv)[:2] != _PV:
        return None
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    keep = {k: ref[k] for k in ("namespace", "name", "uid") if k in ref}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": _meta(pv).get("name")},
        "spec": {"claimRef": keep},
    }


def owner_references(owners: Iterable[Owner], uids: Mapping[ObjectId, str]) -> list[dict[str, Any]]:
    """The destination ``ownerReferences`` for ``owners`` (those with a known destination uid)."""
    refs = []
    for o in owners:
        uid = uids.get((group_of(o.api_version), o.kind, "", o.name))
        if uid is None:
            continue
        refs.append(
            {
                "apiVersion": o.api_version,
                "kind": o.kind,
                "name": o.name,
                "uid": uid,
                "controller": o.controller,
                "blockOwnerDeletion": o.block_owner_deletion,
            }
        )
    return refs


def stale_claim_uid(pv: Obj, claims: Mapping[tuple[str, str], Obj]) -> bool:
    """Whether the destination PV names a claim uid that its claim (by name) no longer has.

    ``claims`` maps (namespace, name) to destination PVCs. A PV whose claim does not exist (yet)
    is not stale: the binder keeps the reservation and the claim may still come.
    """
    ref = (pv.get("spec") or {}).get("claimRef") or {}
    uid = ref.get("uid")
    if not uid:
        return False
    claim = claims.get((str(ref.get("namespace", "")), str(ref.get("name", ""))))
    return claim is not None and str(_meta(claim).get("uid")) != uid


async def fix_links(
    destination: Rest,
    types: Mapping[tuple[str, str], ResourceType],
    namespace: str,
    owners: Mapping[ObjectId, list[Owner]],
    volumes: Iterable[Obj],
) -> list[Entry]:
    """In one namespace: set PVC owner references (``owners``: from :class:`ClaimOwners`)
    and free the migrated ``volumes`` bound to its claims from re-created claims (each as
    :func:`volume_claim` gives it, from the destination as it was before the migration; a PV
    the migration created has no claim uid yet). One Entry per failure."""
    pvc_t, pv_t = types.get(_PVC), types.get(_PV)
    volumes = list(volumes)
    if pvc_t is None or pv_t is None or (not owners and not volumes):
        return []
    claims: dict[tuple[str, str], dict[str, Any]] = {}
    async for pvc in destination.list(pvc_t, namespace):
        claims[(namespace, str(_meta(pvc).get("name")))] = pvc
    failures: list[Entry] = []
    if owners:
        failures += await _set_owners(destination, types, owners, claims)
    for pv in volumes:
        if stale_claim_uid(pv, claims):
            failures += await _patch(
                destination,
                pv_t,
                pv,
                {"spec": {"claimRef": {"uid": None, "resourceVersion": None}}},
                "Error re-binding volume to its re-created claim",
            )
    return failures


async def _set_owners(
    destination: Rest,
    types: Mapping[tuple[str, str], ResourceType],
    owners: Mapping[ObjectId, list[Owner]],
    claims: Mapping[tuple[str, str], dict[str, Any]],
) -> list[Entry]:
    failures: list[Entry] = []
    for (_, _, ns, name), pvc_owners_ in owners.items():
        claim = claims.get((ns, name))
        if claim is None:
            continue
        uids: dict[ObjectId, str] = {}
        for o in pvc_owners_:
            t = types.get((group_of(o.api_version), o.kind))
            if t is None:
                continue
            try:
                resp = await destination.request("GET", object_path(t, ns, o.name))
            except RestError:
                continue  # the owner did not make it: its own entry says why
            uid = _meta(resp.json()).get("uid")
            if uid:
                uids[(group_of(o.api_version), o.kind, "", o.name)] = str(uid)
        refs = owner_references(pvc_owners_, uids)
        if not refs or _same_refs(_meta(claim).get("ownerReferences") or [], refs):
            continue
        failures += await _patch(
            destination,
            types[_PVC],
            claim,
            {"metadata": {"ownerReferences": refs}},
            "Error updating PVC resource",
        )
    return failures


def _same_refs(current: list[Mapping[str, Any]], wanted: list[dict[str, Any]]) -> bool:
    keys = ("apiVersion", "kind", "name", "uid")
    return sorted(tuple(str(r.get(k)) for k in keys) for r in current) == sorted(
        tuple(str(r[k]) for k in keys) for r in wanted
    )


async def _patch(
    destination: Rest, t: ResourceType, obj: Obj, patch: dict[str, Any], what: str
) -> list[Entry]:
    meta = _meta(obj)
    ns = meta.get("namespace")
    try:
        await destination.request(
            "PATCH",
            object_path(t, str(ns) if ns else None, str(meta.get("name"))),
            params={"fieldManager": FIELD_MANAGER},
            body=patch,
            content_type="application/merge-patch+json",
        )
    except RestError as e:
        return [
            Entry(
                t.api_version,
                t.kind,
                str(ns or ""),
                str(meta.get("name")),
                MigrationStatus.FAILED,
                f"{what}: {e.message}",
            )
        ]
    return []
