"""Which listed objects a migration takes: Stork's rules and our two improvements."""

from __future__ import annotations

from typing import Any

from stork.migration.filters import FilterContext, select_objects

CTX = FilterContext(namespaces=frozenset({"app"}))


def obj(
    kind: str, name: str, ns: str = "app", uid: str | None = None, **extra: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": uid or f"{kind}-{ns}-{name}"}
    if ns:
        meta["namespace"] = ns
    meta.update(extra.pop("meta", {}))
    return {"kind": kind, "metadata": meta, **extra}


def names(objects: list[dict[str, Any]], ctx: FilterContext = CTX) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in select_objects(objects, ctx)]


def test_generated_and_system_objects_stay_behind() -> None:
    listed = [
        obj("ConfigMap", "kube-root-ca.crt"),
        obj("ConfigMap", "app-config"),
        obj("Secret", "default-token-abcde"),
        obj("Secret", "my-sa-token", type="kubernetes.io/service-account-token"),
        obj("Secret", "db-password", type="Opaque"),
        obj("ServiceAccount", "default"),
        obj("ServiceAccount", "app-sa"),
        obj("Service", "kubernetes", ns="app"),
        obj("Service", "web"),
        obj("Role", "system:controller"),
        obj("Role", "reader"),
        obj("EndpointSlice", "web-abc"),
        obj("ResourceQuota", "gke-resource-quotas"),
    ]
    assert names(listed) == [
        "ConfigMap/app-config",
        "Secret/db-password",
        "ServiceAccount/app-sa",
        "Service/web",
        "Role/reader",
    ]


def test_default_service_account_travels_with_a_foreign_pull_secret() -> None:
    listed = [obj("ServiceAccount", "default", imagePullSecrets=[{"name": "registry"}])]
    assert names(listed) == ["ServiceAccount/default"]


def test_exclude_selectors_and_skip_annotation() -> None:
    listed = [
        obj("ConfigMap", "a", meta={"labels": {"tier": "cache"}}),
        obj("ConfigMap", "b", meta={"labels": {"tier": "web"}}),
        obj(
            "ConfigMap",
            "c",
            meta={"annotations": {"stork.libopenstorage.org/skip-resource": "true"}},
        ),
    ]
    ctx = FilterContext(namespaces=frozenset({"app"}), exclude_selectors={"tier": "cache"})
    assert names(listed, ctx) == ["ConfigMap/b"]


def test_owned_objects_are_dropped_when_the_owner_travels() -> None:
    deployment = obj("Deployment", "web", uid="d1")
    replica_set = obj(
        "ReplicaSet", "web-1", meta={"ownerReferences": [{"kind": "Deployment", "uid": "d1"}]}
    )
    pod_owned = obj(
        "ConfigMap", "from-pod", meta={"ownerReferences": [{"kind": "Pod", "uid": "p"}]}
    )
    owned_cm = obj(
        "ConfigMap", "owned", meta={"ownerReferences": [{"kind": "Deployment", "uid": "d1"}]}
    )
    orphan_rs = obj(
        "ReplicaSet", "lonely", meta={"ownerReferences": [{"kind": "Deployment", "uid": "gone"}]}
    )
    assert names([deployment, replica_set, pod_owned, owned_cm, orphan_rs]) == [
        "Deployment/web",
        "ConfigMap/owned",
        "ReplicaSet/lonely",
    ]


def test_pv_travels_with_its_bound_pvc() -> None:
    pvc = obj(
        "PersistentVolumeClaim", "data", status={"phase": "Bound"}, meta={"labels": {"app": "db"}}
    )
    pv = obj(
        "PersistentVolume",
        "pv-1",
        ns="",
        spec={"claimRef": {"namespace": "app", "name": "data"}},
        status={"phase": "Bound"},
    )
    other_pv = obj(
        "PersistentVolume",
        "pv-2",
        ns="",
        spec={"claimRef": {"namespace": "elsewhere", "name": "x"}},
        status={"phase": "Bound"},
    )
    pending = obj("PersistentVolumeClaim", "pending", status={"phase": "Pending"})
    assert names([pvc, pv, other_pv, pending]) == [
        "PersistentVolumeClaim/data",
        "PersistentVolume/pv-1",
    ]
    excluded = FilterContext(namespaces=frozenset({"app"}), exclude_selectors={"app": "db"})
    assert names([pv], excluded) == []


def test_cluster_rbac_that_references_the_namespace() -> None:
    sa = obj("ServiceAccount", "runner")
    crb = obj(
        "ClusterRoleBinding",
        "runner-binding",
        ns="",
        roleRef={"name": "runner-role"},
        subjects=[{"kind": "ServiceAccount", "name": "runner", "namespace": "app"}],
    )
    unrelated = obj(
        "ClusterRoleBinding",
        "other",
        ns="",
        roleRef={"name": "other-role"},
        subjects=[{"kind": "ServiceAccount", "name": "x", "namespace": "elsewhere"}],
    )
    rb = obj("RoleBinding", "uses-cluster-role", roleRef={"name": "viewer"})
    roles = [
        obj("ClusterRole", n, ns="") for n in ("runner-role", "other-role", "viewer", "system:x")
    ]
    group = obj(
        "ClusterRoleBinding",
        "group",
        ns="",
        roleRef={"name": "g"},
        subjects=[{"kind": "Group", "name": "system:serviceaccounts:app"}],
    )
    assert names([sa, crb, unrelated, rb, group, *roles]) == [
        "ServiceAccount/runner",
        "ClusterRoleBinding/runner-binding",
        "RoleBinding/uses-cluster-role",
        "ClusterRoleBinding/group",
        "ClusterRole/runner-role",
        "ClusterRole/viewer",
    ]


def test_network_policies_with_cidrs_need_the_flag() -> None:
    np = obj(
        "NetworkPolicy", "cidr", spec={"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}
    )
    assert names([np]) == []
    with_flag = FilterContext(namespaces=frozenset({"app"}), include_network_policy_with_cidr=True)
    assert names([np], with_flag) == ["NetworkPolicy/cidr"]


def test_endpoints_of_services_with_selectors_are_generated() -> None:
    generated = obj(
        "Endpoints",
        "web",
        subsets=[{"addresses": [{"ip": "1.2.3.4", "targetRef": {"kind": "Pod"}}]}],
    )
    manual = obj("Endpoints", "external", subsets=[{"addresses": [{"ip": "1.2.3.4"}]}])
    assert names([generated, manual]) == ["Endpoints/external"]


def test_duplicates_by_uid_are_collected_once() -> None:
    a = obj("ConfigMap", "a", uid="same")
    assert names([a, dict(a)]) == ["ConfigMap/a"]
