"""Namespace mapping: every namespace reference the transform knows follows the object."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform import TransformContext, transform
from stork.migration.transform.namespacemap import (
    NAME_LABEL,
    map_external_name,
    map_namespaces,
    map_selector,
    map_subject,
)

MAP = {"app": "app-drill", "db": "db-drill"}


def _obj(
    api_version: str, kind: str, namespace: str | None = "app", **fields: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "x"}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **fields}


def _term(namespaces: list[str] | None = None, value: str | None = None) -> dict[str, Any]:
    term: dict[str, Any] = {"topologyKey": "kubernetes.io/hostname"}
    if namespaces is not None:
        term["namespaces"] = namespaces
    if value is not None:
        term["namespaceSelector"] = {"matchLabels": {NAME_LABEL: value}}
    return term


def test_metadata_namespace_follows_and_others_are_left_alone() -> None:
    assert map_namespaces(_obj("v1", "ConfigMap"), MAP)["metadata"]["namespace"] == "app-drill"
    assert map_namespaces(_obj("v1", "ConfigMap", "other"), MAP)["metadata"]["namespace"] == "other"
    assert "namespace" not in map_namespaces(_obj("v1", "PersistentVolume", None), MAP)["metadata"]


def test_a_namespace_object_is_renamed_with_its_name_label() -> None:
    ns = _obj("v1", "Namespace", None)
    ns["metadata"].update(name="app", labels={NAME_LABEL: "app", "team": "a"})
    out = map_namespaces(ns, MAP)
    assert out["metadata"] == {
        "name": "app-drill",
        "labels": {NAME_LABEL: "app-drill", "team": "a"},
    }


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ({"kind": "ServiceAccount", "name": "w", "namespace": "app"},
         {"kind": "ServiceAccount", "name": "w", "namespace": "app-drill"}),
        ({"kind": "ServiceAccount", "name": "w", "namespace": "kube-system"},
         {"kind": "ServiceAccount", "name": "w", "namespace": "kube-system"}),
        ({"kind": "User", "name": "system:serviceaccount:db:w"},
         {"kind": "User", "name": "system:serviceaccount:db-drill:w"}),
        ({"kind": "User", "name": "system:serviceaccount:db"}, {"kind": "User", "name": "system:serviceaccount:db"}),
        ({"kind": "User", "name": "alice"}, {"kind": "User", "name": "alice"}),
        ({"kind": "Group", "name": "system:serviceaccounts:app"},
         {"kind": "Group", "name": "system:serviceaccounts:app-drill"}),
        ({"kind": "Group", "name": "system:serviceaccounts:other"},
         {"kind": "Group", "name": "system:serviceaccounts:other"}),
        ("junk", "junk"),
    ],
)  # fmt: skip
def test_binding_subjects(subject: Any, expected: Any) -> None:
    assert map_subject(subject, MAP) == expected


@pytest.mark.parametrize("kind", ["RoleBinding", "ClusterRoleBinding"])
def test_bindings_map_their_subjects_in_order(kind: str) -> None:
    binding = _obj("rbac.authorization.k8s.io/v1", kind, "app" if kind == "RoleBinding" else None)
    binding["subjects"] = [
        {"kind": "ServiceAccount", "name": "a", "namespace": "app"},
        {"kind": "User", "name": "bob"},
        {"kind": "Group", "name": "system:serviceaccounts:db"},
    ]
    out = map_namespaces(binding, MAP)
    assert [s.get("namespace") or s["name"] for s in out["subjects"]] == [
        "app-drill",
        "bob",
        "system:serviceaccounts:db-drill",
    ]


def _affinity() -> dict[str, Any]:
    return {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [_term(["app", "kube-system"])],
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "podAffinityTerm": _term(value="db")}
            ],
        },
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [_term(["db"], "other")]
        },
        "nodeAffinity": {"x": "app"},
    }


@pytest.mark.parametrize(
    ("api_version", "kind", "path"),
    [
        ("v1", "Pod", ("spec",)),
        ("apps/v1", "Deployment", ("spec", "template", "spec")),
        ("apps/v1", "StatefulSet", ("spec", "template", "spec")),
        ("apps/v1", "DaemonSet", ("spec", "template", "spec")),
        ("batch/v1", "Job", ("spec", "template", "spec")),
        ("batch/v1", "CronJob", ("spec", "jobTemplate", "spec", "template", "spec")),
    ],
)
def test_pod_affinity_namespaces_and_selectors(
    api_version: str, kind: str, path: tuple[str, ...]
) -> None:
    obj = _obj(api_version, kind)
    holder = obj
    for key in path:
        holder = holder.setdefault(key, {})
    holder["affinity"] = _affinity()
    before = copy.deepcopy(obj)
    out = map_namespaces(obj, MAP)
    assert obj == before
    affinity = out
    for key in path:
        affinity = affinity[key]
    affinity = affinity["affinity"]
    required = affinity["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert required["namespaces"] == ["app-drill", "kube-system"]
    preferred = affinity["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]
    assert preferred["podAffinityTerm"]["namespaceSelector"] == {
        "matchLabels": {NAME_LABEL: "db-drill"}
    }
    anti = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert anti["namespaces"] == ["db-drill"]
    assert anti["namespaceSelector"] == {"matchLabels": {NAME_LABEL: "other"}}
    assert affinity["nodeAffinity"] == {"x": "app"}


def test_selectors_map_only_the_name_label() -> None:
    selector = {
        "matchLabels": {NAME_LABEL: "app", "team": "app"},
        "matchExpressions": [
            {"key": NAME_LABEL, "operator": "In", "values": ["app", "x"]},
            {"key": "team", "operator": "In", "values": ["app"]},
        ],
    }
    assert map_selector(selector, MAP) == {
        "matchLabels": {NAME_LABEL: "app-drill", "team": "app"},
        "matchExpressions": [
            {"key": NAME_LABEL, "operator": "In", "values": ["app-drill", "x"]},
            {"key": "team", "operator": "In", "values": ["app"]},
        ],
    }
    assert map_selector(None, MAP) is None


def test_network_policy_peers() -> None:
    policy = _obj("networking.k8s.io/v1", "NetworkPolicy")
    policy["spec"] = {
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "db"}}}, {"podSelector": {}}]}],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: "app"}}}]}],
    }  # fmt: skip
    out = map_namespaces(policy, MAP)
    assert out["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchLabels"] == {
        NAME_LABEL: "db-drill"
    }
    assert out["spec"]["ingress"][0]["from"][1] == {"podSelector": {}}
    assert out["spec"]["egress"][0]["to"][0]["namespaceSelector"]["matchLabels"] == {
        NAME_LABEL: "app-drill"
    }


def test_webhooks_endpoints_claims_and_external_names() -> None:
    hook = _obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", None)
    hook["webhooks"] = [
        {"clientConfig": {"service": {"namespace": "app", "name": "s"}},
         "namespaceSelector": {"matchLabels": {NAME_LABEL: "db"}}},
        {"clientConfig": {"url": "https://x"}},
    ]  # fmt: skip
    out = map_namespaces(hook, MAP)
    assert out["webhooks"][0]["clientConfig"]["service"]["namespace"] == "app-drill"
    assert out["webhooks"][0]["namespaceSelector"]["matchLabels"] == {NAME_LABEL: "db-drill"}
    assert out["webhooks"][1] == {"clientConfig": {"url": "https://x"}}

    endpoints = _obj("v1", "Endpoints")
    endpoints["subsets"] = [
        {"addresses": [{"ip": "1.2.3.4", "targetRef": {"kind": "Pod", "namespace": "app"}}]}
    ]
    assert (
        map_namespaces(endpoints, MAP)["subsets"][0]["addresses"][0]["targetRef"]["namespace"]
        == "app-drill"
    )

    claim = _obj(
        "v1", "PersistentVolumeClaim", spec={"dataSourceRef": {"kind": "X", "namespace": "db"}}
    )
    assert map_namespaces(claim, MAP)["spec"]["dataSourceRef"]["namespace"] == "db-drill"

    service = _obj(
        "v1", "Service", spec={"type": "ExternalName", "externalName": "pg.db.svc.cluster.local"}
    )
    assert map_namespaces(service, MAP)["spec"]["externalName"] == "pg.db-drill.svc.cluster.local"
    assert map_external_name("example.com", MAP) == "example.com"
    assert map_external_name("pg.db.svc", MAP) == "pg.db-drill.svc"
    assert map_external_name("pg.db", MAP) == "pg.db"


def test_the_pipeline_applies_the_mapping_after_the_subject_filter() -> None:
    binding = _obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None)
    binding["subjects"] = [
        {"kind": "ServiceAccount", "name": "a", "namespace": "app"},
        {"kind": "ServiceAccount", "name": "b", "namespace": "elsewhere"},
    ]
    ctx = TransformContext(namespaces=frozenset({"app"}), namespace_mapping={"app": "app-drill"})
    assert transform(binding, ctx)["subjects"] == [
        {"kind": "ServiceAccount", "name": "a", "namespace": "app-drill"}
    ]
    assert transform(_obj("v1", "Secret"), ctx)["metadata"]["namespace"] == "app-drill"
    plain = TransformContext(namespaces=frozenset({"app"}))
    assert transform(_obj("v1", "Secret"), plain)["metadata"]["namespace"] == "app"


names = st.sampled_from(["app", "db", "kube-system", "other"])


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Pod", "RoleBinding", "NetworkPolicy", "ConfigMap"]))
    api = {"RoleBinding": "rbac.authorization.k8s.io/v1", "NetworkPolicy": "networking.k8s.io/v1"}
    obj = _obj(api.get(kind, "v1"), kind, draw(names))
    if kind == "Pod":
        obj["spec"] = {"affinity": {"podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [_term(draw(st.lists(names)), draw(names))]}}}  # fmt: skip
    if kind == "RoleBinding":
        obj["subjects"] = [{"kind": "ServiceAccount", "name": "s", "namespace": draw(names)}]
    if kind == "NetworkPolicy":
        obj["spec"] = {"ingress": [{"from": [{"namespaceSelector": {"matchLabels": {NAME_LABEL: draw(names)}}}]}]}  # fmt: skip
    return obj


@given(objects())
def test_mapping_there_and_back_is_the_identity_and_never_modifies_the_input(
    obj: dict[str, Any],
) -> None:
    before = copy.deepcopy(obj)
    there = map_namespaces(obj, MAP)
    assert obj == before
    back = map_namespaces(there, {v: k for k, v in MAP.items()})
    assert back == before
    assert map_namespaces(obj, {}) == before
    mentioned = repr(there)
    assert "'app'" not in mentioned
    assert "'db'" not in mentioned
