"""PVs: Retain with the original recorded, pre-bound to the migrated claim; claims: binder marks
dropped, volumeName kept."""

from __future__ import annotations

import copy

from stork.migration.transform.volumes import RECLAIM_POLICY_ANNOTATION, prepare_volume
from tests.unit.transform.builders import persistent_volume, persistent_volume_claim


def test_persistent_volume() -> None:
    pv = persistent_volume("Delete")
    before = copy.deepcopy(pv)
    out = prepare_volume(pv)
    assert out["metadata"] == {
        **before["metadata"],
        "annotations": {
            "pv.kubernetes.io/provisioned-by": "pxd.portworx.com",
            RECLAIM_POLICY_ANNOTATION: "Delete",
        },
    }
    assert out["spec"] == {
        **before["spec"],
        "persistentVolumeReclaimPolicy": "Retain",
        "claimRef": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": "data",
            "namespace": "app",
        },
    }
    assert out["status"] == before["status"]
    assert pv == before


def test_reclaim_policy_record() -> None:
    retained = prepare_volume(persistent_volume("Retain", annotations={}))
    assert retained["metadata"]["annotations"] == {RECLAIM_POLICY_ANNOTATION: "Retain"}
    # the source was itself a destination: Retain with a record keeps the record
    copy_of_copy = persistent_volume("Retain", annotations={RECLAIM_POLICY_ANNOTATION: "Delete"})
    assert prepare_volume(copy_of_copy)["metadata"]["annotations"] == {
        RECLAIM_POLICY_ANNOTATION: "Delete"
    }
    # a policy changed since (not Retain): the current one is recorded
    changed = persistent_volume("Recycle", annotations={RECLAIM_POLICY_ANNOTATION: "Delete"})
    out = prepare_volume(changed)
    assert out["metadata"]["annotations"] == {RECLAIM_POLICY_ANNOTATION: "Recycle"}
    assert out["spec"]["persistentVolumeReclaimPolicy"] == "Retain"


def test_claim_ref_without_a_name_or_absent() -> None:
    unbound = persistent_volume()
    del unbound["spec"]["claimRef"]
    assert "claimRef" not in prepare_volume(unbound)["spec"]
    nameless = persistent_volume()
    nameless["spec"]["claimRef"] = {"namespace": "app", "uid": "u"}
    assert "claimRef" not in prepare_volume(nameless)["spec"]
    with_field_path = persistent_volume()
    with_field_path["spec"]["claimRef"]["fieldPath"] = "spec"
    assert "fieldPath" not in prepare_volume(with_field_path)["spec"]["claimRef"]


def test_persistent_volume_claim() -> None:
    pvc = persistent_volume_claim()
    before = copy.deepcopy(pvc)
    out = prepare_volume(pvc)
    assert out == {
        **before,
        "metadata": {
            **before["metadata"],
            "annotations": {
                "volume.beta.kubernetes.io/storage-provisioner": "pxd.portworx.com",
                "volume.kubernetes.io/storage-provisioner": "pxd.portworx.com",
            },
        },
    }
    assert out["spec"]["volumeName"] == "pvc-6f1c1f9e"
    assert pvc == before


def test_claim_with_only_binding_marks_loses_its_annotations() -> None:
    pvc = persistent_volume_claim()
    pvc["metadata"]["annotations"] = {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
    }
    assert "annotations" not in prepare_volume(pvc)["metadata"]
    plain = persistent_volume_claim()
    del plain["metadata"]["annotations"]
    assert prepare_volume(plain) == plain


def test_other_kinds_and_idempotence() -> None:
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert prepare_volume(config_map) == config_map
    custom = {"apiVersion": "example.com/v1", "kind": "PersistentVolume", "spec": {}}
    assert prepare_volume(custom) == custom
    for obj in (persistent_volume("Delete"), persistent_volume_claim()):
        once = prepare_volume(obj)
        assert prepare_volume(once) == once
