"""The ResourceTransformation controller's decisions: when to validate, what to dry-run."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stork.controller.resourcetransformation import needs_validation
from stork.migration.transform import parse_specs
from stork.migration.transform.resource_transformation import (
    DRY_RUN_PREFIX,
    TRANSFORMED_ANNOTATION,
    ResourceTransformError,
    dry_run_body,
)
from tests.unit.transform.builders import server_metadata, service


def rt(status: str | None, generation: int = 1, validated: int | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {"metadata": {"name": "t", "namespace": "app", "generation": generation}}
    if status is not None:
        obj["status"] = {"status": status}
        if validated is not None:
            obj["status"]["conditions"] = [{"type": "Validated", "observedGeneration": validated}]
    return obj


@pytest.mark.parametrize(
    ("obj", "wanted"),
    [
        (rt(None), True),
        (rt(""), True),
        (rt("InProgress"), True),  # interrupted: validated again
        (rt("Ready", 1, 1), False),
        (rt("Failed", 1, 1), False),
        (rt("Ready", 2, 1), True),  # the spec changed since
        (rt("Failed", 3, 2), True),
        (rt("Ready", 1, None), False),  # Stork's own: validated once, kept
    ],
)
def test_when_a_transformation_is_validated(obj: dict[str, Any], wanted: bool) -> None:
    assert needs_validation(obj) is wanted


def test_the_dry_run_body_is_the_transformed_object_under_a_generated_name() -> None:
    (spec,) = parse_specs(
        {
            "specs": {
                "transformSpecs": [
                    {
                        "resource": "/v1/Service",
                        "paths": [
                            {
                                "path": "spec.type",
                                "value": "NodePort",
                                "type": "string",
                                "operation": "add",
                            }
                        ],
                    }
                ]
            }
        }
    )
    svc = service(
        type="NodePort",
        clusterIP="10.96.0.7",
        clusterIPs=["10.96.0.7"],
        ports=[{"name": "http", "port": 80, "nodePort": 30080}],
    )
    before = copy.deepcopy(svc)
    body = dry_run_body(svc, spec, "default")
    assert body["metadata"] == {
        "labels": {"app": "web"},
        "annotations": {TRANSFORMED_ANNOTATION: "true"},
        "generateName": DRY_RUN_PREFIX,
        "namespace": "default",
    }
    assert body["spec"]["ports"] == [{"name": "http", "port": 80}]  # no clash with the original
    assert "clusterIP" not in body["spec"]
    assert "status" not in body
    assert svc == before
    (bad,) = parse_specs(
        {
            "specs": {
                "transformSpecs": [
                    {
                        "resource": "/v1/ConfigMap",
                        "paths": [
                            {"path": "data", "value": "x", "type": "keypair", "operation": "modify"}
                        ],
                    }
                ]
            }
        }
    )
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": server_metadata("c"), "data": {}}
    with pytest.raises(ResourceTransformError, match="unable to find spec path"):
        dry_run_body(cm, bad, "app")
