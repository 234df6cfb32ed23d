"""The pure decisions of the post-apply fix-ups: PVC owners and PVs freed from re-created claims."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stork.migration.fixups import Owner, owner_references, pvc_owners, stale_claim_uid


def obj(kind: str, name: str, uid: str, api_version: str = "v1", **meta: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": "ns", "uid": uid, **meta},
    }


def ref(kind: str, name: str, uid: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, **extra}


def test_only_owners_that_were_collected_count() -> None:
    sts = obj("StatefulSet", "db", "u-sts", "apps/v1")
    pvc = obj(
        "PersistentVolumeClaim",
        "data-db-0",
        "u-pvc",
        ownerReferences=[
            ref("StatefulSet", "db", "u-sts", controller=True, blockOwnerDeletion=True),
            ref("Deployment", "gone", "u-not-collected"),
        ],
    )
    lonely = obj("PersistentVolumeClaim", "scratch", "u-2")
    assert pvc_owners([sts, pvc, lonely]) == {
        ("", "PersistentVolumeClaim", "ns", "data-db-0"): [
            Owner("apps/v1", "StatefulSet", "db", controller=True, block_owner_deletion=True)
        ]
    }


def test_owners_of_other_kinds_are_not_touched() -> None:
    deploy = obj("Deployment", "web", "u-web", "apps/v1")
    rs = obj(
        "ReplicaSet",
        "web-1",
        "u-rs",
        "apps/v1",
        ownerReferences=[ref("Deployment", "web", "u-web")],
    )
    assert pvc_owners([deploy, rs]) == {}


def test_owner_references_use_the_destination_uids() -> None:
    owners = [
        Owner("apps/v1", "StatefulSet", "db", controller=True, block_owner_deletion=False),
        Owner("example.com/v1", "Widget", "w", controller=False, block_owner_deletion=True),
    ]
    uids = {("apps", "StatefulSet", "", "db"): "dest-uid"}
    assert owner_references(owners, uids) == [
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "name": "db",
            "uid": "dest-uid",
            "controller": True,
            "blockOwnerDeletion": False,
        }
    ]
    assert owner_references(owners, {}) == []


def pv(claim_uid: str | None, claim: str = "data") -> dict[str, Any]:
    claim_ref: dict[str, Any] = {"kind": "PersistentVolumeClaim", "namespace": "ns", "name": claim}
    if claim_uid is not None:
        claim_ref["uid"] = claim_uid
    return {
        "kind": "PersistentVolume",
        "metadata": {"name": "pv1"},
        "spec": {"claimRef": claim_ref},
    }


def test_a_pv_naming_an_old_claim_uid_is_stale() -> None:
    claims = {("ns", "data"): obj("PersistentVolumeClaim", "data", "new-uid")}
    assert stale_claim_uid(pv("old-uid"), claims) is True
    assert stale_claim_uid(pv("new-uid"), claims) is False


def test_a_pre_bound_or_unclaimed_pv_is_not_stale() -> None:
    claims = {("ns", "data"): obj("PersistentVolumeClaim", "data", "new-uid")}
    assert stale_claim_uid(pv(None), claims) is False  # pre-bound: the binder will finish
    assert stale_claim_uid(pv("old-uid", claim="absent"), claims) is False  # claim may come
    assert stale_claim_uid({"spec": {}}, claims) is False


@given(st.text(min_size=1, max_size=8), st.text(min_size=1, max_size=8))
def test_stale_exactly_when_uids_differ(pv_uid: str, claim_uid: str) -> None:
    claims = {("ns", "data"): obj("PersistentVolumeClaim", "data", claim_uid)}
    assert stale_claim_uid(pv(pv_uid), claims) is (pv_uid != claim_uid)
