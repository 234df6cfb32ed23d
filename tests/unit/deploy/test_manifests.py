"""deploy/*.yaml: generated, current, least-privilege and hardened as the issue asks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stork.deploy.manifests import FILES, DeploySettings, controller_manifests, main, manifest_files
from stork.deploy.rbac import MIGRATED_RESOURCES
from stork.migration.resources import OPTIONAL_KINDS, SUPPORTED_KINDS

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def by_kind(objs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (obj,) = [o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name]
    return obj


def test_committed_manifests_equal_the_generator_output() -> None:
    assert {n: (DEPLOY / n).read_text() for n in FILES} == manifest_files()
    assert main([str(DEPLOY), "--check"]) == 0


def test_check_reports_a_drifted_file(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    (tmp_path / "rbac.yaml").write_text("# edited\n")
    assert main([str(tmp_path), "--check"]) == 1


def test_committed_files_parse_to_the_applied_objects() -> None:
    parsed = [d for n in FILES for d in yaml.safe_load_all((DEPLOY / n).read_text()) if d]
    assert parsed == controller_manifests()


def test_kustomization_lists_every_file() -> None:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    crds = sorted(f"crds/{p.name}" for p in (DEPLOY / "crds").glob("*.yaml"))
    assert kustomization["resources"] == [*crds, *FILES]


def test_every_collected_kind_has_a_resource_for_its_rules() -> None:
    assert set(SUPPORTED_KINDS) | set(OPTIONAL_KINDS.values()) == set(MIGRATED_RESOURCES)


def test_the_source_role_only_reads() -> None:
    reader = by_kind(controller_manifests(), "ClusterRole", "stork-migration-source")
    verbs = {v for rule in reader["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list"}
    assert all("*" not in rule["resources"] for rule in reader["rules"])
    listed = {
        (g, r) for rule in reader["rules"] for g in rule["apiGroups"] for r in rule["resources"]
    }
    assert ("", "secrets") in listed
    assert ("apiextensions.k8s.io", "customresourcedefinitions") in listed


def test_custom_resource_groups_are_granted_one_by_one() -> None:
    objs = controller_manifests(DeploySettings(custom_resource_groups=("example.com",)))
    reader = by_kind(objs, "ClusterRole", "stork-migration-source")
    assert reader["rules"][-1] == {
        "apiGroups": ["example.com"],
        "resources": ["*"],
        "verbs": ["list"],
    }


def test_leases_only_in_the_controller_namespace() -> None:
    objs = controller_manifests()
    role = by_kind(objs, "Role", "stork-leader-election")
    assert role["metadata"]["namespace"] == "stork-system"
    assert role["rules"][0] == {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "verbs": ["get", "create", "update"],
    }
    cluster_wide = [o for o in objs if o["kind"] == "ClusterRole"]
    assert all(
        "coordination.k8s.io" not in rule["apiGroups"] for o in cluster_wide for rule in o["rules"]
    )
    # no wildcard anywhere
    for o in [*cluster_wide, role]:
        for rule in o["rules"]:
            assert "*" not in rule["verbs"] + rule["apiGroups"] + rule["resources"]


def test_deployment_is_hardened_and_probed() -> None:
    d = by_kind(controller_manifests(), "Deployment", "stork")
    assert d["spec"]["replicas"] == 2
    pod = d["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "stork"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (c,) = pod["containers"]
    assert [*c["command"], *c["args"]] == [
        "stork",
        "run",
        "--metrics-bind-address",
        ":8080",
        "--health-probe-bind-address",
        ":8081",
    ]
    assert c["securityContext"] == {
        "runAsNonRoot": True,
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"}
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"metrics": 8080, "health": 8081}
    assert {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in c["env"]} == {
        "POD_NAME": "metadata.name",
        "POD_NAMESPACE": "metadata.namespace",
    }
    assert set(c["resources"]) == {"requests", "limits"}
