"""The CRD manifests: generated from the models, committed as generated, structural."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from stork.api.clusterpair import ClusterPair
from stork.api.crd import CRDS, SchemaError, crd_manifest, manifest_files, to_structural
from stork.api.migrationschedule import MigrationSchedule
from stork.api.schedulepolicy import SchedulePolicy
from stork.sandbox.seeds import seed_text

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "crds"


def test_committed_manifests_equal_the_generator_output() -> None:
    expected = manifest_files()
    committed = {p.name: p.read_text() for p in DEPLOY.glob("*.yaml")}
    assert committed == expected


def _walk(node: dict[str, Any], path: str) -> list[str]:
    """Paths of schema nodes that break the structural rules the API server enforces."""
    problems = []
    if "type" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        problems.append(f"{path}: no type")
    if "properties" in node and "additionalProperties" in node:
        problems.append(f"{path}: properties with additionalProperties")
    for key in ("anyOf", "oneOf", "allOf", "$ref", "default", "title"):
        if key in node:
            problems.append(f"{path}: {key}")
    for name, child in node.get("properties", {}).items():
        problems += _walk(child, f"{path}.{name}")
    if isinstance(node.get("additionalProperties"), dict):
        problems += _walk(node["additionalProperties"], f"{path}.*")
    if "items" in node:
        problems += _walk(node["items"], f"{path}[]")
    return problems


@pytest.mark.parametrize("info", CRDS, ids=lambda i: i.kind)
def test_schemas_are_structural(info: Any) -> None:
    schema = crd_manifest(info)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert _walk(schema, info.kind) == []


def _schema(kind: str) -> dict[str, Any]:
    info = next(i for i in CRDS if i.kind == kind)
    schema: dict[str, Any] = crd_manifest(info)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_cluster_pair_config_is_open_and_options_are_strings() -> None:
    spec = _schema("ClusterPair")["properties"]["spec"]
    assert spec["properties"]["config"]["x-kubernetes-preserve-unknown-fields"] is True
    assert spec["properties"]["options"]["additionalProperties"] == {"type": "string"}
    mappings = spec["properties"]["platformOptions"]["properties"]["rancher"]["properties"]
    assert mappings["projectMappings"]["additionalProperties"] == {"type": "string"}


def test_migration_spec_keeps_fields_of_other_stork_releases() -> None:
    spec = _schema("Migration")["properties"]["spec"]
    assert spec["x-kubernetes-preserve-unknown-fields"] is True
    assert spec["properties"]["includeNetworkPolicyWithCIDR"]["type"] == "boolean"
    assert spec["properties"]["startApplications"]["nullable"] is True


def test_policy_constraints() -> None:
    policy = _schema("SchedulePolicy")["properties"]["policy"]["properties"]
    assert policy["interval"]["properties"]["intervalMinutes"]["minimum"] == 1
    assert policy["interval"]["required"] == ["intervalMinutes"]
    date = policy["monthly"]["properties"]["date"]
    assert (date["minimum"], date["maximum"]) == (1, 31)
    assert "Thurs" in policy["weekly"]["properties"]["day"]["enum"]
    assert "pattern" in policy["daily"]["properties"]["time"]
    assert policy["timeZone"]["type"] == "string"


def test_schedule_items_are_keyed_by_policy_type() -> None:
    items = _schema("MigrationSchedule")["properties"]["status"]["properties"]["items"]
    assert sorted(items["properties"]) == ["Daily", "Interval", "Monthly", "Weekly"]
    entry = items["properties"]["Interval"]["items"]["properties"]
    assert entry["finishTimestamp"] == {"type": "string", "format": "date-time", "nullable": True}


def test_status_subresource_and_scope() -> None:
    by_kind = {i.kind: crd_manifest(i)["spec"] for i in CRDS}
    assert by_kind["SchedulePolicy"]["scope"] == "Cluster"
    assert by_kind["NamespacedSchedulePolicy"]["scope"] == "Namespaced"
    assert "subresources" in by_kind["Migration"]["versions"][0]
    assert "subresources" not in by_kind["Rule"]["versions"][0]
    assert by_kind["ClusterPair"]["names"]["shortNames"] == ["cp"]


def test_unions_have_no_structural_form() -> None:
    with pytest.raises(SchemaError):
        to_structural({"anyOf": [{"type": "string"}, {"type": "integer"}]}, {})


def test_seed_objects_parse_with_the_models() -> None:
    policy = SchedulePolicy.model_validate(yaml.safe_load(seed_text("schedulepolicy.yaml")))
    assert policy.policy is not None
    assert policy.policy.interval is not None
    assert policy.policy.interval.interval_minutes == 1
    assert policy.policy.weekly is not None
    assert policy.policy.weekly.day == "Thursday"
    pair = ClusterPair.model_validate(yaml.safe_load(seed_text("clusterpair.yaml")))
    assert pair.spec is not None
    assert pair.spec.options == {"<insert_storage_options_here>": ""}
    schedule = MigrationSchedule.model_validate(yaml.safe_load(seed_text("migrationschedule.yaml")))
    assert schedule.spec is not None
    assert schedule.spec.template is not None
    assert schedule.spec.template.spec is not None
    assert schedule.spec.template.spec.namespaces == ["migrationnamespace"]
    assert schedule.spec.template.spec.include_volumes is False


@pytest.mark.parametrize(
    "policy",
    [
        {"interval": {"intervalMinutes": 0}},
        {"monthly": {"date": 32, "time": "8:05PM"}},
        {"weekly": {"day": "Fooday", "time": "8:05PM"}},
        {"daily": {"time": "13:15pm"}},
        {"daily": {"time": "11:15 PM"}},
    ],
)
def test_models_reject_what_the_schema_rejects(policy: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SchedulePolicy.model_validate({"policy": policy})
