"""Operator custom resources suspended per ApplicationRegistration, with Stork's annotation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stork.api.applicationregistration import BUILTIN_RESOURCES, builtin_registrations
from stork.migration.transform import TransformContext, TransformInputs, transform
from stork.migration.transform.operators import (
    SuspendOption,
    suspend_custom_resource,
    suspend_rules,
)
from stork.migration.transform.parking import PARKED_ANNOTATION, records, repark, restore
from tests.unit.transform.builders import server_metadata

RULES = suspend_rules(builtin_registrations())


def cr(api_version: str, kind: str, spec: dict[str, Any], annotations: Any = None) -> Any:
    meta = server_metadata("main")
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, "spec": spec}


def prometheus(**spec: Any) -> Any:
    return cr("monitoring.coreos.com/v1", "Prometheus", {"retention": "10d", **spec})


def test_builtin_registrations_are_storks_list() -> None:
    assert sorted(BUILTIN_RESOURCES) == sorted(
        [
            "ibm",
            "couchbase",
            "cassandra",
            "redis",
            "weblogic",
            "rabbitmq",
            "perconadb",
            "prometheus",
            "alertmanager",
            "kafka",
            "postgress",
            "mongodbcommunity",
            "virtualmachine",
        ]
    )
    assert RULES[("monitoring.coreos.com", "Prometheus")] == (
        SuspendOption("spec.replicas", "int", ""),
    )
    assert RULES[("kafka.strimzi.io", "Kafka")] == (SuspendOption("spec.kafka.replicas", "int"),)
    assert RULES[("weblogic.oracle", "Domain")] == (
        SuspendOption("spec.serverStartPolicy", "string", "NEVER"),
    )
    assert RULES[("couchbase.com", "CouchbaseCluster")] == (SuspendOption("spec.paused", "bool"),)
    # kinds registered without a suspend option are not suspended
    assert ("couchbase.com", "CouchbaseBucket") not in RULES
    assert ("app.redislabs.com", "RedisEnterpriseCluster") not in RULES
    assert RULES[("monitoring.coreos.com", "Alertmanager")] == (
        SuspendOption("spec.replicas", "int", ""),
    )  # beyond Stork's list
    assert len(RULES) == 15


def test_prometheus_arrives_at_zero_with_both_records_and_activation_restores_two() -> None:
    obj = prometheus(replicas=2)
    before = copy.deepcopy(obj)
    out = suspend_custom_resource(obj, RULES, start_applications=False)
    assert out["spec"] == {"retention": "10d", "replicas": 0}
    annotations = out["metadata"]["annotations"]
    assert annotations["stork.libopenstorage.org/spec.replicas"] == "2,"  # Stork's exact value
    assert PARKED_ANNOTATION in annotations
    assert restore(out)["spec"] == before["spec"]
    assert repark(restore(out))["spec"]["replicas"] == 0
    assert obj == before


def test_a_missing_replicas_field_is_removed_again() -> None:
    out = suspend_custom_resource(prometheus(), RULES, False)
    assert out["spec"]["replicas"] == 0
    assert out["metadata"]["annotations"]["stork.libopenstorage.org/spec.replicas"] == ","
    assert restore(out)["spec"] == {"retention": "10d"}


@pytest.mark.parametrize("paused", [None, False, True])
def test_bool_options_record_what_stork_cannot(paused: bool | None) -> None:
    spec = {} if paused is None else {"paused": paused}
    obj = cr("couchbase.com/v2", "CouchbaseCluster", spec)
    out = suspend_custom_resource(obj, RULES, False)
    assert out["spec"]["paused"] is True  # Go's ParseBool("") fails: the off value is true
    assert out["metadata"]["annotations"]["stork.libopenstorage.org/spec.paused"] == ","
    assert restore(out)["spec"] == spec


def test_string_options_and_bool_off_values() -> None:
    domain = cr("weblogic.oracle/v8", "Domain", {"serverStartPolicy": "IF_NEEDED"})
    out = suspend_custom_resource(domain, RULES, False)
    assert out["spec"]["serverStartPolicy"] == "NEVER"
    annotation = out["metadata"]["annotations"]["stork.libopenstorage.org/spec.serverStartPolicy"]
    assert annotation == "IF_NEEDED,NEVER"
    assert restore(out)["spec"] == domain["spec"]
    assert SuspendOption("a.b", "bool", "false").off is False
    assert SuspendOption("a.b", "bool", "T").off is True
    assert SuspendOption("a.b", "bool", "yes").off is True


def test_a_copy_suspended_by_stork_itself_carries_its_original_forward() -> None:
    storks = prometheus(replicas=0)
    storks["metadata"]["annotations"] = {"stork.libopenstorage.org/spec.replicas": "3,"}
    out = suspend_custom_resource(storks, RULES, False)
    assert restore(out)["spec"]["replicas"] == 3
    started = suspend_custom_resource(storks, RULES, True)
    assert started["spec"]["replicas"] == 3  # started as Stork starts it
    ours = suspend_custom_resource(prometheus(replicas=5), RULES, False)
    assert suspend_custom_resource(ours, RULES, False) == ours
    assert suspend_custom_resource(ours, RULES, True)["spec"]["replicas"] == 5
    assert PARKED_ANNOTATION not in suspend_custom_resource(ours, RULES, True)["metadata"].get(
        "annotations", {}
    )


def test_start_applications_leaves_a_running_resource_alone() -> None:
    obj = prometheus(replicas=2)
    assert suspend_custom_resource(obj, RULES, True) == obj


def test_user_registrations_any_version_and_malformed_entries() -> None:
    user = {
        "metadata": {"name": "mine"},
        "resources": [
            {
                "group": "example.com",
                "version": "v1",
                "kind": "Database",
                "suspendOptions": {"path": "spec.instances", "type": "int"},
                "customSuspendOptions": [
                    {"path": "spec.backup.enabled", "type": "bool", "value": "false"},
                    {"path": "spec", "type": "int"},  # one step: Stork ignores it
                    {"path": "spec..x", "type": "int"},
                    {"path": "spec.y", "type": "float"},
                    "junk",
                ],
            },
            {"group": "example.com", "kind": "Empty", "suspendOptions": {"path": ""}},
            {"kind": 3},
            "junk",
        ],
    }
    rules = suspend_rules([user, {"resources": "nope"}, {}])
    assert rules == {
        ("example.com", "Database"): (
            SuspendOption("spec.backup.enabled", "bool", "false"),
            SuspendOption("spec.instances", "int", ""),
        )
    }
    db = cr("example.com/v2", "Database", {"instances": 3, "backup": {"enabled": True}})
    out = suspend_custom_resource(db, rules, False)
    assert out["spec"] == {"instances": 0, "backup": {"enabled": False}}
    assert len(records(out)) == 2
    assert restore(out)["spec"] == db["spec"]


def test_through_the_whole_transform_with_the_inputs_rules() -> None:
    obj = prometheus(replicas=2)
    assert transform(obj, TransformContext())["spec"]["replicas"] == 0  # built-ins by default
    none = TransformContext(inputs=TransformInputs(suspend_rules={}))
    assert transform(obj, none)["spec"]["replicas"] == 2


@given(st.one_of(st.none(), st.integers(0, 100), st.text(max_size=4)))
def test_any_original_round_trips(original: Any) -> None:
    obj = prometheus() if original is None else prometheus(replicas=original)
    out = suspend_custom_resource(obj, RULES, False)
    assert out["spec"]["replicas"] == 0
    assert restore(out)["spec"] == obj["spec"]
