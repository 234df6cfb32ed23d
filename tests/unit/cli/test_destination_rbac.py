"""`storkctl generate destination-rbac`: applyable YAML with the destination's least privilege."""

from __future__ import annotations

from typing import Any

import yaml
from click.testing import CliRunner

from stork.cli.storkctl_main import cli
from stork.deploy.rbac import MIGRATED_RESOURCES


def generate(*args: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(cli, ["generate", "destination-rbac", *args])
    assert result.exit_code == 0, result.output
    return [d for d in yaml.safe_load_all(result.output) if d]


def grants(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def test_default_objects_and_names() -> None:
    objs = generate()
    assert [(o["kind"], o["metadata"]["name"]) for o in objs] == [
        ("Namespace", "stork-system"),
        ("ServiceAccount", "stork-destination"),
        ("ClusterRole", "stork-destination"),
        ("ClusterRoleBinding", "stork-destination"),
        ("Secret", "stork-destination-token"),
    ]
    binding = objs[3]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "stork-destination",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "stork-destination", "namespace": "stork-system"}
    ]
    secret = objs[4]
    assert secret["type"] == "kubernetes.io/service-account-token"
    assert secret["metadata"]["namespace"] == "stork-system"
    assert secret["metadata"]["annotations"] == {
        "kubernetes.io/service-account.name": "stork-destination"
    }
    assert "data" not in secret
    assert "stringData" not in secret


def test_name_and_namespace_flags() -> None:
    objs = generate("--name", "dr-pair", "--namespace", "dr")
    assert objs[0]["metadata"]["name"] == "dr"
    assert {o["metadata"]["name"] for o in objs[1:4]} == {"dr-pair"}
    assert objs[4]["metadata"]["name"] == "dr-pair-token"
    assert objs[3]["subjects"][0] == {
        "kind": "ServiceAccount",
        "name": "dr-pair",
        "namespace": "dr",
    }
    # storkctl's global -n works too
    result = CliRunner().invoke(cli, ["-n", "other", "generate", "destination-rbac"])
    assert result.exit_code == 0
    assert next(yaml.safe_load_all(result.output))["metadata"]["name"] == "other"


def test_rules_cover_what_the_engine_does_on_the_destination() -> None:
    g = grants(generate()[2])
    apply_verbs = {"get", "list", "create", "patch", "delete"}
    for group, resource in MIGRATED_RESOURCES.values():
        assert g[(group, resource)] >= apply_verbs, resource
    assert g[("apiextensions.k8s.io", "customresourcedefinitions")] == apply_verbs
    assert g[("", "namespaces")] == {"get", "list", "create", "patch"}
    assert g[("stork.libopenstorage.org", "migrationschedules")] == {
        "get",
        "list",
        "create",
        "patch",
    }
    # a failover run on the other cluster, through the reverse pair
    assert g[("stork.libopenstorage.org", "migrationschedules/status")] == {"patch"}
    assert g[("stork.libopenstorage.org", "migrations")] == {"get", "create"}
    assert g[("", "pods")] == {"list"}
    assert g[("rbac.authorization.k8s.io", "clusterroles")] == apply_verbs | {"escalate", "bind"}
    assert g[("rbac.authorization.k8s.io", "roles")] == apply_verbs | {"escalate", "bind"}
    # nothing else of Stork's, no wildcard, no update
    assert ("stork.libopenstorage.org", "clusterpairs") not in g
    assert all("*" not in (group, resource) for group, resource in g)
    assert all("update" not in verbs and "*" not in verbs for verbs in g.values())


def test_custom_resource_groups_and_no_escalation() -> None:
    g = grants(
        generate(
            "--custom-resource-group",
            "example.com",
            "--custom-resource-group",
            "acme.io",
            "--no-rbac-escalation",
        )[2]
    )
    assert g[("example.com", "*")] == {"get", "list", "create", "patch", "delete"}
    assert g[("acme.io", "*")] == {"get", "list", "create", "patch", "delete"}
    assert "escalate" not in g[("rbac.authorization.k8s.io", "roles")]


def test_every_rule_is_commented_and_help_says_what_it_is_for() -> None:
    result = CliRunner().invoke(cli, ["generate", "destination-rbac"])
    text = result.output
    role = text.split("kind: ClusterRole\n", 1)[1].split("---", 1)[0]
    lines = role.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("  - apiGroups:"):
            assert lines[i - 1].startswith("  # "), line
    help_text = CliRunner().invoke(cli, ["generate", "destination-rbac", "--help"]).output
    assert "without an admin kubeconfig" in help_text
    assert "token" in help_text
