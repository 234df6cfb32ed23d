"""The Action controller's rights: on its own cluster (deploy/failover-rbac.yaml, the Helm value
``failover``), kept off the source's controller; and what the reverse pair needs there."""

from __future__ import annotations

from pathlib import Path

import yaml

from stork.deploy.manifests import (
    OPTIONAL_FILES,
    DeploySettings,
    controller_manifests,
    failover_manifests,
    optional_files,
)
from stork.deploy.rbac import controller_rules, destination_rules, plain
from tests.unit.deploy.test_helm_chart import by_key, render

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def _grants(rules: list[dict[str, list[str]]]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def test_the_committed_failover_rbac_is_the_generator_s_and_not_applied_by_default() -> None:
    assert {n: (DEPLOY / n).read_text() for n in OPTIONAL_FILES} == optional_files()
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    assert "failover-rbac.yaml" not in kustomization["resources"]
    names = {o["metadata"]["name"] for o in controller_manifests()}
    assert "stork-failover" not in names


def test_the_controller_s_own_rights_cover_its_actions() -> None:
    g = _grants(plain(controller_rules()))
    assert {"get", "list", "watch"} <= g[("stork.libopenstorage.org", "actions")]
    assert "patch" in g[("stork.libopenstorage.org", "actions")]  # the finalizer
    assert g[("stork.libopenstorage.org", "actions/status")] == {"patch"}


def test_failover_rights_scale_and_write_drills_but_nothing_cluster_wide() -> None:
    role = next(o for o in failover_manifests() if o["kind"] == "ClusterRole")
    g = _grants(role["rules"])
    for resource in ("deployments", "statefulsets", "replicasets"):
        assert {"get", "list", "patch"} <= g[("apps", resource)]
    assert {"get", "list", "patch"} <= g[("batch", "cronjobs")]
    assert g[("", "namespaces")] == {"get", "create", "patch", "delete"}
    assert ("networking.k8s.io", "networkpolicies") in g
    for cluster_scoped in ("persistentvolumes", "clusterrolebindings", "priorityclasses"):
        assert not [k for k in g if k[1] == cluster_scoped], cluster_scoped
    assert ("networking.k8s.io", "ingresses") not in g  # never copied by a drill
    assert all("update" not in v and "*" not in v for v in g.values())
    assert all("delete" not in v for k, v in g.items() if k != ("", "namespaces"))


def test_the_reverse_pair_s_rights_on_the_source() -> None:
    g = _grants(plain(destination_rules()))
    assert g[("stork.libopenstorage.org", "migrations")] == {"get", "create"}
    assert g[("stork.libopenstorage.org", "migrationschedules/status")] == {"patch"}
    assert "list" in g[("stork.libopenstorage.org", "migrationschedules")]
    assert g[("", "pods")] == {"list"}


def test_the_helm_value_failover_renders_the_same_objects() -> None:
    settings = DeploySettings(custom_resource_groups=("example.com",))
    rendered = by_key(
        render("--set", "failover=true", "--set", "customResourceGroups={example.com}")
    )
    assert rendered == by_key(controller_manifests(settings) + failover_manifests(settings))
