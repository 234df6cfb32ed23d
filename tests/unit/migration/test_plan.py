"""Plan: content hashes ignore per-migration annotations; dependency order; diffs."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from stork.migration.plan import (
    HASH_ANNOTATION,
    Action,
    content_hash,
    make_plan,
    object_id,
    phase_of,
    with_hash,
)


def _cm(
    name: str, data: dict[str, str], annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "ns"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


text = st.text(min_size=1, max_size=8)


@given(st.dictionaries(text, text, max_size=5), text, text)
def test_hash_ignores_per_migration_annotations_and_key_order(
    data: dict[str, str], name: str, time: str
) -> None:
    plain = _cm("a", data)
    stamped = _cm(
        "a",
        dict(reversed(list(data.items()))),
        {
            "stork.libopenstorage.org/migrationName": name,
            "stork.libopenstorage.org/migrationTime": time,
            HASH_ANNOTATION: "stale",
        },
    )
    plain["metadata"]["annotations"] = {}
    assert content_hash(plain) == content_hash(stamped)


@given(st.dictionaries(text, text, min_size=1, max_size=5), text)
def test_hash_changes_with_content(data: dict[str, str], extra: str) -> None:
    changed = dict(data)
    key = next(iter(data))
    changed[key] = data[key] + extra
    assert content_hash(_cm("a", data)) != content_hash(_cm("a", changed))


def test_with_hash_sets_the_annotation_without_touching_the_input() -> None:
    obj = _cm("a", {"k": "v"})
    out = with_hash(obj)
    assert out["metadata"]["annotations"][HASH_ANNOTATION] == content_hash(obj)
    assert "annotations" not in obj["metadata"]


def test_unchanged_objects_are_not_written_and_order_follows_dependencies() -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"replicas": 0},
    }
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {},
    }
    same, changed = _cm("same", {"a": "1"}), _cm("changed", {"a": "2"})
    existing = {
        object_id(same): content_hash(same),
        object_id(changed): "an-older-hash",
    }
    steps = make_plan([deployment, same, changed, crd], existing)
    assert [(s.id[1], s.id[3], s.action, s.exists) for s in steps] == [
        ("CustomResourceDefinition", "widgets.example.com", Action.APPLY, False),
        ("ConfigMap", "changed", Action.APPLY, True),
        ("ConfigMap", "same", Action.UNCHANGED, True),
        ("Deployment", "web", Action.APPLY, False),
    ]


def test_phases() -> None:
    order = [
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("", "Namespace"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("", "Secret"),
        ("", "PersistentVolume"),
        ("", "PersistentVolumeClaim"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
        ("", "Service"),
        ("apps", "Deployment"),
        ("example.com", "Widget"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ]
    phases = [phase_of(g, k) for g, k in order]
    assert phases == sorted(phases)
    assert len(set(phases)) == len(phases)
    # A custom resource named like a built-in kind is not a built-in.
    assert phase_of("crd.projectcalico.org", "NetworkPolicy") == phase_of("example.com", "Widget")
