"""ResourceTransformation specs: Stork's checks and messages, each operation on each type."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stork.migration.errors import MigrationError
from stork.migration.transform import TransformContext, TransformInputs, transform
from stork.migration.transform.resource_transformation import (
    TRANSFORMED_ANNOTATION,
    KindTransform,
    PathOperation,
    ResourceTransformError,
    TransformSpecError,
    apply_operation,
    parse_specs,
    parse_value,
    transform_resource,
)
from tests.unit.transform.builders import deployment, service


def rt(*specs: Any) -> dict[str, Any]:
    return {"metadata": {"name": "t", "namespace": "app"}, "specs": {"transformSpecs": list(specs)}}


def path(p: str, value: str = "", kind: str = "string", op: str = "add") -> dict[str, str]:
    return {"path": p, "value": value, "type": kind, "operation": op}


def test_specs_are_parsed() -> None:
    (spec,) = parse_specs(
        rt(
            {
                "resource": "/v1/Service",
                "selectors": {"app": "web"},
                "paths": [path("spec.type", "LoadBalancer")],
            }
        )
    )
    assert spec == KindTransform(
        "",
        "v1",
        "Service",
        (("app", "web"),),
        (PathOperation("spec.type", "LoadBalancer", "string", "add"),),
    )
    assert spec.resource == "/v1/Service"
    assert parse_specs({"specs": {}}) == ()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"resource": "v1/Service"}, "invalid resource kind :v1/Service"),
        ({"resource": "a/b/c/d"}, "invalid resource kind :a/b/c/d"),
        (
            {"resource": "/v1/Service", "paths": [path("spec.type", op="jsonpatch")]},
            "json patch for resources is not supported, operation: jsonpatch",
        ),
        (
            {"resource": "/v1/Service", "paths": [path("spec.type", op="replace")]},
            "unsupported resource patch operation given for kind :Service, operation: replace",
        ),
        (
            {"resource": "apps/v1/Deployment", "paths": [path("spec.x", kind="float")]},
            "unsupported type for resource Deployment, path spec.x, type: float",
        ),
        (
            {"resource": "/v1/Service", "selectors": {"a": 1}},
            "selectors of /v1/Service must map strings to strings",
        ),
        ({"resource": "/v1/Service", "paths": [path("spec..x")]}, "invalid path 'spec..x'"),
    ],
)
def test_storks_checks_in_storks_order(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(TransformSpecError) as err:
        parse_specs(rt(spec))
    assert str(err.value).startswith(message)


def test_values_parse_as_go_parses_them() -> None:
    assert parse_value("-42", "int") == -42
    assert parse_value("+7", "int") == 7
    assert parse_value("T", "bool") is True
    assert parse_value("0", "bool") is False
    assert parse_value("a,b", "slice") == ["a", "b"]
    assert parse_value("k1:v1,k2:v2", "keypair") == {"k1": "v1", "k2": "v2"}
    assert parse_value("x", "string") == "x"
    for value, kind, message in [
        ("4.5", "int", 'strconv.ParseInt: parsing "4.5": invalid syntax'),
        (str(2**63), "int", "strconv.ParseInt"),
        ("yes", "bool", 'strconv.ParseBool: parsing "yes": invalid syntax'),
        ("k1", "keypair", "invalid keypair value format :[k1]"),
        ("a:b:c", "keypair", "invalid keypair value format :[a b c]"),
    ]:
        with pytest.raises(ResourceTransformError, match=message.replace("[", r"\[")):
            parse_value(value, kind)


def test_each_operation() -> None:
    obj = {"metadata": {"labels": {"a": "1"}}, "spec": {"list": ["x"], "n": 1, "drop": {"y": 1}}}
    before = copy.deepcopy(obj)
    add = apply_operation(obj, PathOperation("spec.new.deep", "5", "int", "add"))
    assert add["spec"]["new"] == {"deep": 5}
    replaced = apply_operation(obj, PathOperation("metadata.labels", "b:2", "keypair", "add"))
    assert replaced["metadata"]["labels"] == {"b": "2"}
    merged = apply_operation(obj, PathOperation("metadata.labels", "b:2", "keypair", "modify"))
    assert merged["metadata"]["labels"] == {"a": "1", "b": "2"}
    appended = apply_operation(obj, PathOperation("spec.list", "y,z", "slice", "modify"))
    assert appended["spec"]["list"] == ["x", "y", "z"]
    created = apply_operation(obj, PathOperation("spec.other", "y", "slice", "modify"))
    assert created["spec"]["other"] == ["y"]
    set_ = apply_operation(obj, PathOperation("spec.n", "true", "bool", "modify"))
    assert set_["spec"]["n"] is True
    deleted = apply_operation(obj, PathOperation("spec.drop", "", "string", "delete"))
    assert "drop" not in deleted["spec"]
    assert apply_operation(obj, PathOperation("spec.none.x", "", "string", "delete")) == obj
    assert obj == before


def test_operations_that_do_not_fit() -> None:
    obj = {"spec": {"n": 1, "text": "t", "empty": {}}}
    for op, message in [
        (PathOperation("spec.missing", "a:b", "keypair", "modify"), "unable to find spec path"),
        (PathOperation("spec.empty", "a:b", "keypair", "modify"), "unable to find spec path"),
        (PathOperation("spec.n", "a", "slice", "modify"), "unable to find spec path"),
        (PathOperation("spec.text.x", "1", "int", "add"), "unable to perform operation add"),
    ]:
        with pytest.raises(ResourceTransformError, match=message):
            apply_operation(obj, op)
    assert issubclass(ResourceTransformError, MigrationError)  # fails the migration, clearly


def test_transform_resource_matches_group_kind_and_selectors() -> None:
    (spec,) = parse_specs(
        rt(
            {
                "resource": "/v1/Service",
                "selectors": {"app": "web"},
                "paths": [path("spec.type", "LoadBalancer")],
            }
        )
    )
    svc = service()
    out = transform_resource(svc, [spec])
    assert out["spec"]["type"] == "LoadBalancer"
    assert out["metadata"]["annotations"] == {TRANSFORMED_ANNOTATION: "true"}
    other = copy.deepcopy(svc)
    other["metadata"]["labels"] = {"app": "db"}
    assert transform_resource(other, [spec]) == other
    assert transform_resource(deployment(), [spec]) == deployment()
    (bad,) = parse_specs(
        rt({"resource": "/v1/Service", "paths": [path("spec.x", "a:b", "keypair", "modify")]})
    )
    with pytest.raises(ResourceTransformError, match="error updating Service resource web: unable"):
        transform_resource(svc, [bad])


def test_in_the_pipeline_before_parking_and_per_namespace() -> None:
    (spec,) = parse_specs(
        rt({"resource": "apps/v1/Deployment", "paths": [path("spec.replicas", "1", "int")]})
    )
    ctx = TransformContext(
        namespaces=frozenset({"app"}), inputs=TransformInputs(transforms={"app": (spec,)})
    )
    out = transform(deployment(3), ctx)
    assert out["spec"]["replicas"] == 0
    # what is recorded for activation is the transformed count
    assert out["metadata"]["annotations"]["stork.openstorage.org/migrationReplicas"] == "1"
    assert out["metadata"]["annotations"][TRANSFORMED_ANNOTATION] == "true"
    elsewhere = TransformContext(inputs=TransformInputs(transforms={"other": (spec,)}))
    assert (
        TRANSFORMED_ANNOTATION not in transform(deployment(3), elsewhere)["metadata"]["annotations"]
    )
