"""ClusterRoleBindings keep the subjects of the migrated namespaces only."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stork.migration.transform.rbac import filter_subjects, subject_namespace
from tests.unit.transform.builders import cluster_role_binding

NAMESPACES = frozenset({"app", "db"})


@pytest.mark.parametrize(
    ("subject", "namespace"),
    [
        ({"kind": "ServiceAccount", "name": "worker", "namespace": "app"}, "app"),
        ({"kind": "ServiceAccount", "name": "default", "namespace": "app"}, "app"),
        ({"kind": "ServiceAccount", "name": "worker"}, None),
        ({"kind": "ServiceAccount", "name": "worker", "namespace": ""}, None),
        ({"kind": "User", "name": "system:serviceaccount:app:worker"}, "app"),
        ({"kind": "User", "name": "system:serviceaccount:app"}, None),
        ({"kind": "User", "name": "system:serviceaccount:app:"}, None),
        ({"kind": "User", "name": "system:serviceaccount::worker"}, None),
        ({"kind": "User", "name": "system:serviceaccount:app:a:b"}, None),
        ({"kind": "User", "name": "alice"}, None),
        ({"kind": "Group", "name": "system:serviceaccounts:app"}, "app"),
        ({"kind": "Group", "name": "system:serviceaccounts:"}, None),
        ({"kind": "Group", "name": "system:serviceaccounts"}, None),
        ({"kind": "Group", "name": "system:serviceaccount:app"}, None),
        ({"kind": "Group", "name": "app"}, None),
        ({"kind": "Group", "name": "system:authenticated"}, None),
        ({"kind": "User", "name": None}, None),
    ],
)
def test_subject_namespace(subject: dict[str, Any], namespace: str | None) -> None:
    assert subject_namespace(subject) == namespace


def test_cluster_role_binding_subjects_are_filtered_in_order() -> None:
    subjects = [
        {"kind": "ServiceAccount", "name": "worker", "namespace": "app"},
        {"kind": "ServiceAccount", "name": "worker", "namespace": "other"},
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
        {"kind": "User", "name": "system:serviceaccount:db:backup"},
        {"kind": "ServiceAccount", "name": "default", "namespace": "db"},
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "system:masters"},
        {"kind": "Group", "name": "system:serviceaccounts:app"},
        {"kind": "Group", "name": "system:serviceaccounts:other"},
        "junk",
    ]
    crb = cluster_role_binding(subjects)
    before = copy.deepcopy(crb)
    out = filter_subjects(crb, NAMESPACES)
    assert out == {
        **before,
        "subjects": [
            {"kind": "ServiceAccount", "name": "worker", "namespace": "app"},
            {"kind": "User", "name": "system:serviceaccount:db:backup"},
            {"kind": "ServiceAccount", "name": "default", "namespace": "db"},
            {"kind": "Group", "name": "system:serviceaccounts:app"},
        ],
    }
    assert crb == before
    assert filter_subjects(out, NAMESPACES) == out
    assert filter_subjects(crb, frozenset())["subjects"] == []


def test_other_kinds_and_bindings_without_subjects() -> None:
    role_binding = {
        **cluster_role_binding([{"kind": "ServiceAccount", "name": "x", "namespace": "other"}]),
        "kind": "RoleBinding",
    }
    assert filter_subjects(role_binding, NAMESPACES) == role_binding
    no_subjects = cluster_role_binding([])
    del no_subjects["subjects"]
    assert filter_subjects(no_subjects, NAMESPACES) == no_subjects
