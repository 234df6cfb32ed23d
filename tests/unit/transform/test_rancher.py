"""Rancher project mapping: labels and annotations map-or-drop, selectors map-or-keep."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.migration.transform.rancher import (
    is_project_key,
    map_or_drop,
    map_or_keep,
    map_projects,
    map_selector,
)
from tests.unit.transform.builders import (
    affinity,
    affinity_project_values,
    cronjob,
    deployment,
    pod_spec,
    project_selector,
    server_metadata,
)

PROJECT = "field.cattle.io/projectId"
MAPPING = {"p-src": "p-dst", "c-src:p-src": "c-dst:p-dst", "p-blank": ""}


def test_project_keys() -> None:
    assert is_project_key("field.cattle.io/projectId")
    assert is_project_key("field.cattle.io/projectID")  # the documentation's spelling
    assert is_project_key("cattle.io/projectId")
    assert not is_project_key("field.cattle.io/projectid")
    assert not is_project_key("field.cattle.io/creatorId")
    assert not is_project_key("projectId")


def test_map_or_drop() -> None:
    values = {
        "app": "web",
        "field.cattle.io/projectId": "p-src",
        "field.cattle.io/projectID": "c-src:p-src",
        "other.cattle.io/projectId": "p-unmapped",
        "x.cattle.io/projectId": "p-blank",  # mapped to "": treated as unmapped
        "cattle.io/status": '{"Conditions":[]}',
        "lifecycle.cattle.io/create.namespace-auth": "true",
        "field.cattle.io/description": "the web tier",
        "example.com/cattle": "kept, no cattle.io in the key",
    }
    before = dict(values)
    assert map_or_drop(values, MAPPING) == {
        "app": "web",
        "field.cattle.io/projectId": "p-dst",
        "field.cattle.io/projectID": "c-dst:p-dst",
        "example.com/cattle": "kept, no cattle.io in the key",
    }
    assert values == before
    assert map_or_drop(values, {}) == {
        "app": "web",
        "example.com/cattle": "kept, no cattle.io in the key",
    }
    assert map_or_drop(None, MAPPING) == {}


def test_map_or_keep() -> None:
    values = {
        PROJECT: "p-src",
        "field.cattle.io/projectID": "p-unmapped",
        "x.cattle.io/projectId": "p-blank",
        "cattle.io/other": "p-src",
        "team": "p-src",
    }
    assert map_or_keep(values, MAPPING) == {
        PROJECT: "p-dst",
        "field.cattle.io/projectID": "p-unmapped",
        "x.cattle.io/projectId": "p-blank",
        "cattle.io/other": "p-src",
        "team": "p-src",
    }


def test_map_selector_match_labels_and_expressions() -> None:
    selector = {
        "matchLabels": {PROJECT: "p-src", "env": "prod"},
        "matchExpressions": [
            {"key": PROJECT, "operator": "In", "values": ["p-src", "p-other"]},
            {"key": "field.cattle.io/projectID", "operator": "NotIn", "values": ["p-src"]},
            {"key": PROJECT, "operator": "In", "values": ["p-src", "p-dst"]},  # merge to one
            {"key": PROJECT, "operator": "Exists"},
            {"key": "env", "operator": "In", "values": ["p-src"]},
        ],
    }
    before = copy.deepcopy(selector)
    assert map_selector(selector, MAPPING) == {
        "matchLabels": {PROJECT: "p-dst", "env": "prod"},
        "matchExpressions": [
            {"key": PROJECT, "operator": "In", "values": ["p-dst", "p-other"]},
            {"key": "field.cattle.io/projectID", "operator": "NotIn", "values": ["p-dst"]},
            {"key": PROJECT, "operator": "In", "values": ["p-dst"]},
            {"key": PROJECT, "operator": "Exists"},
            {"key": "env", "operator": "In", "values": ["p-src"]},
        ],
    }
    assert selector == before
    assert map_selector({}, MAPPING) == {}


def test_namespace_labels_and_annotations() -> None:
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "app",
            "labels": {"kubernetes.io/metadata.name": "app", PROJECT: "p-src"},
            "annotations": {
                PROJECT: "c-src:p-src",
                "cattle.io/status": "{}",
                "lifecycle.cattle.io/create.namespace-auth": "true",
            },
        },
    }
    before = copy.deepcopy(namespace)
    assert map_projects(namespace, MAPPING) == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": "app",
            "labels": {"kubernetes.io/metadata.name": "app", PROJECT: "p-dst"},
            "annotations": {PROJECT: "c-dst:p-dst"},
        },
    }
    assert namespace == before


def test_maps_left_empty_are_removed() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {PROJECT: "p-unmapped"}, "annotations": {}},
    }
    assert map_projects(obj, MAPPING) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
    }


def network_policy(value: str, api_version: str = "networking.k8s.io/v1") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": "NetworkPolicy",
        "metadata": server_metadata("allow-project", labels={PROJECT: value}),
        "spec": {
            "podSelector": {"matchLabels": {PROJECT: value}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": [
                        {"namespaceSelector": project_selector(value, team="a")},
                        {"podSelector": {"matchLabels": {"app": "web"}}},
                        {"ipBlock": {"cidr": "10.0.0.0/8"}},
                    ],
                    "ports": [{"port": 80, "protocol": "TCP"}],
                }
            ],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [
                                    {"key": PROJECT, "operator": "In", "values": [value]}
                                ]
                            },
                            "podSelector": {"matchLabels": {PROJECT: value}},
                        }
                    ]
                }
            ],
        },
    }


def test_network_policy_namespace_selectors() -> None:
    policy = network_policy("p-src")
    before = copy.deepcopy(policy)
    out = map_projects(policy, MAPPING)
    expected = network_policy("p-dst")
    expected["metadata"] = {**before["metadata"], "labels": {PROJECT: "p-dst"}}
    # pod selectors select pods, not namespaces: untouched
    expected["spec"]["podSelector"] = before["spec"]["podSelector"]
    expected["spec"]["egress"][0]["to"][0]["podSelector"] = {"matchLabels": {PROJECT: "p-src"}}
    assert out == expected
    assert policy == before


def test_network_policy_unmapped_values_are_kept() -> None:
    policy = network_policy("p-unmapped")
    out = map_projects(policy, MAPPING)
    assert out["spec"] == policy["spec"]
    assert "labels" not in out["metadata"]  # labels are map-or-drop


def test_other_network_policy_kinds_are_left_alone() -> None:
    calico = {
        "apiVersion": "crd.projectcalico.org/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "c"},
        "spec": {"ingress": [{"source": {"namespaceSelector": f"{PROJECT} == 'p-src'"}}]},
    }
    assert map_projects(calico, MAPPING) == calico


def workload(kind: str, api_version: str, value: str) -> dict[str, Any]:
    aff = affinity(value)
    if kind == "Pod":
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": server_metadata("p"),
            "spec": pod_spec(aff),
        }
    if kind == "CronJob":
        obj = cronjob()
        obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["affinity"] = aff
        return obj
    if kind == "PodTemplate":
        return {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": server_metadata("t"),
            "template": {"spec": pod_spec(aff)},
        }
    return deployment(affinity=aff, kind=kind, api_version=api_version)


def pod_spec_of(obj: dict[str, Any]) -> Any:
    kind = obj["kind"]
    if kind == "Pod":
        return obj["spec"]
    if kind == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if kind == "PodTemplate":
        return obj["template"]["spec"]
    return obj["spec"]["template"]["spec"]


POD_KINDS = [
    ("Pod", "v1"),
    ("PodTemplate", "v1"),
    ("ReplicationController", "v1"),
    ("Deployment", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("Job", "batch/v1"),
    ("CronJob", "batch/v1"),
    ("DeploymentConfig", "apps.openshift.io/v1"),
]


@pytest.mark.parametrize(("kind", "api_version"), POD_KINDS)
def test_pod_affinity_namespace_selectors(kind: str, api_version: str) -> None:
    obj = workload(kind, api_version, "p-src")
    before = copy.deepcopy(obj)
    out = map_projects(obj, MAPPING)
    aff = pod_spec_of(out)["affinity"]
    assert affinity_project_values(aff) == ["p-dst"] * 4
    # node affinity is not a namespace selector; only the four selectors changed
    assert aff["nodeAffinity"] == affinity("p-src")["nodeAffinity"]
    expected_affinity = affinity("p-dst")
    expected_affinity["nodeAffinity"] = affinity("p-src")["nodeAffinity"]
    assert aff == expected_affinity
    rest_out = copy.deepcopy(out)
    pod_spec_of(rest_out)["affinity"] = None
    rest_before = copy.deepcopy(before)
    pod_spec_of(rest_before)["affinity"] = None
    assert rest_out == rest_before
    assert obj == before


@pytest.mark.parametrize(("kind", "api_version"), POD_KINDS)
def test_pod_affinity_without_mappings_or_unmapped(kind: str, api_version: str) -> None:
    obj = workload(kind, api_version, "p-unmapped")
    assert pod_spec_of(map_projects(obj, MAPPING)) == pod_spec_of(obj)
    assert pod_spec_of(map_projects(workload(kind, api_version, "p-src"), {})) == pod_spec_of(
        workload(kind, api_version, "p-src")
    )


def test_custom_resources_with_pod_like_specs_are_left_alone() -> None:
    custom = deployment(affinity=affinity("p-src"), kind="Workload", api_version="example.com/v1")
    assert pod_spec_of(map_projects(custom, MAPPING)) == pod_spec_of(custom)


def test_pod_template_metadata_is_not_mapped() -> None:
    obj = deployment()
    obj["spec"]["template"]["metadata"]["labels"][PROJECT] = "p-src"
    out = map_projects(obj, MAPPING)
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "web", PROJECT: "p-src"}


def test_webhook_namespace_selectors() -> None:
    hook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "policy"},
        "webhooks": [
            {
                "name": "check.example.com",
                "namespaceSelector": project_selector("p-src"),
                "objectSelector": {"matchLabels": {PROJECT: "p-src"}},
                "clientConfig": {"service": {"name": "hook", "namespace": "app"}},
            },
            {"name": "all.example.com"},
        ],
    }
    before = copy.deepcopy(hook)
    out = map_projects(hook, MAPPING)
    assert out["webhooks"][0]["namespaceSelector"] == project_selector("p-dst")
    assert out["webhooks"][0]["objectSelector"] == before["webhooks"][0]["objectSelector"]
    assert out["webhooks"][1] == {"name": "all.example.com"}
    assert hook == before


def test_malformed_shapes_do_not_break_the_walk() -> None:
    odd = deployment()
    odd["spec"]["template"]["spec"]["affinity"] = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": ["x", {"namespaceSelector": "y"}],
            "preferredDuringSchedulingIgnoredDuringExecution": [{"podAffinityTerm": None}],
        },
        "podAntiAffinity": "z",
    }
    assert map_projects(odd, MAPPING)["spec"] == odd["spec"]
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "n"},
        "spec": {"ingress": [{"from": None}, "junk"], "egress": None},
    }
    assert map_projects(policy, MAPPING) == policy


plain_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz./-", min_size=1, max_size=20).filter(
    lambda k: "cattle.io" not in k
)
rancher_keys = st.sampled_from(
    [
        "field.cattle.io/projectId",
        "field.cattle.io/projectID",
        "cattle.io/status",
        "lifecycle.cattle.io/create.namespace-auth",
        "field.cattle.io/description",
    ]
)
values = st.sampled_from(["p-a", "p-b", "c-1:p-a", "web", ""])


@given(st.dictionaries(plain_keys, st.text(max_size=10), max_size=8))
def test_empty_mapping_keeps_every_non_rancher_key(labels: dict[str, str]) -> None:
    assert map_or_drop(labels, {}) == labels
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": labels}}
    assert map_projects(obj, {}).get("metadata", {}).get("labels", {}) == labels


@given(
    st.dictionaries(st.one_of(plain_keys, rancher_keys), values, max_size=8),
    st.dictionaries(values, values, max_size=4),
)
def test_map_or_drop_properties(labels: dict[str, str], mapping: dict[str, str]) -> None:
    out = map_or_drop(labels, mapping)
    for key, value in labels.items():
        if "cattle.io" not in key:
            assert out[key] == value
        elif is_project_key(key) and mapping.get(value):
            assert out[key] == mapping[value]
        else:
            assert key not in out
    assert set(out) <= set(labels)
