"""ResourceTransformation: validated by a server-side dry run (Ready/Failed, Stork's messages),
then applied by the Migrations that name it in ``transformSpecs``."""

from __future__ import annotations

from typing import Any

from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Event, Service

from stork.kube.resources import MigrationResource, ResourceTransformationResource
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import app as app
from tests.integration.test_migration import create_migration, run_migration
from tests.waiting import wait_for


def create_rt(clusters: Clusters, namespace: str, name: str, *specs: Any) -> None:
    clusters.source.create(
        ResourceTransformationResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "ResourceTransformation",
                "metadata": {"name": name, "namespace": namespace},
                "specs": {"transformSpecs": list(specs)},
                # A tenant cannot declare its own transformation Ready: status is not kept.
                "status": {"status": "Ready"},
            }
        )
    )


def rt_status(clusters: Clusters, namespace: str, name: str) -> dict[str, Any]:
    """The status once Ready or Failed."""

    def final() -> dict[str, Any] | None:
        obj = clusters.source.get(ResourceTransformationResource, name, namespace=namespace)
        status = obj.get("status") or {}
        return dict(status) if status.get("status") in ("Ready", "Failed") else None

    result = wait_for(final, 60, f"transformation {name} to be validated")
    assert result is not None
    return result


def events_of(clusters: Clusters, namespace: str, name: str) -> list[str]:
    return [
        str(e.message)
        for e in clusters.source.list(Event, namespace=namespace)
        if e.involvedObject.name == name
    ]


SERVICE = {
    "resource": "/v1/Service",
    "selectors": {},
    "paths": [
        {"path": "spec.type", "value": "NodePort", "type": "string", "operation": "add"},
        {
            "path": "spec.selector",
            "value": "tier:front",
            "type": "keypair",
            "operation": "modify",
        },
    ],
}
DEPLOYMENT = {
    "resource": "apps/v1/Deployment",
    "paths": [
        {"path": "spec.minReadySeconds", "value": "7", "type": "int", "operation": "add"},
        {"path": "spec.revisionHistoryLimit", "value": "", "type": "int", "operation": "delete"},
    ],
}


def test_a_valid_transformation_is_ready_and_migrations_apply_it(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    create_rt(clusters, app, "to-dr", SERVICE, DEPLOYMENT)
    status = rt_status(clusters, app, "to-dr")
    assert status["status"] == "Ready", [r["reason"] for r in status["resources"]]
    by_kind = {(r["kind"], r["name"]): r for r in status["resources"]}
    assert by_kind[("Service", "web")]["status"] == "Ready"
    assert by_kind[("Service", "web")]["specs"]["resource"] == "/v1/Service"
    assert by_kind[("Deployment", "web")]["status"] == "Ready"
    assert {r["namespace"] for r in status["resources"]} == {app}

    result = run_migration(clusters, app, "transformed", transformSpecs=["to-dr"])
    assert result["status"] == "Successful", result
    dest = clusters.destination
    svc = dest.get(Service, "web", namespace=app)
    assert svc.spec is not None
    assert svc.spec.type == "NodePort"
    assert svc.spec.selector == {"app": "web", "tier": "front"}
    assert svc.metadata is not None
    assert svc.metadata.annotations["stork.libopenstorage.org/resourcetransformation-name"] == (
        "true"
    )
    web = dest.get(Deployment, "web", namespace=app)
    assert web.spec is not None
    assert web.spec.minReadySeconds == 7
    assert web.spec.replicas == 0  # transformed, then parked as always
    source_web = clusters.source.get(Deployment, "web", namespace=app)
    assert source_web.spec is not None
    assert source_web.spec.minReadySeconds in (None, 0)  # the source is never written


def test_storks_checks_fail_it_with_storks_messages(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    create_rt(
        clusters,
        app,
        "jsonpatch",
        {
            "resource": "/v1/Service",
            "paths": [{"path": "spec", "type": "string", "operation": "jsonpatch"}],
        },
    )
    assert rt_status(clusters, app, "jsonpatch")["status"] == "Failed"
    message = (
        "Unsupported resource for resource transformation found: json patch for resources is not"
        " supported, operation: jsonpatch"
    )
    wait_for(lambda: message in events_of(clusters, app, "jsonpatch"), 30, "the Warning event")

    bogus = {
        "resource": "/v1/Service",
        "paths": [{"path": "spec.type", "value": "Bogus", "type": "string", "operation": "add"}],
    }
    create_rt(clusters, app, "dry-run-refuses", bogus)
    status = rt_status(clusters, app, "dry-run-refuses")
    assert status["status"] == "Failed"
    (entry,) = status["resources"]
    assert entry["status"] == "Failed"
    assert entry["reason"].startswith("ClusterPair remote: ")
    assert "spec.type" in entry["reason"]

    # A Migration naming a transformation that is not Ready waits, saying why.
    create_migration(clusters, app, "waits", transformSpecs=["dry-run-refuses"])
    wanted = "transformation dry-run-refuses is not in ready state: Failed"
    wait_for(lambda: wanted in events_of(clusters, app, "waits"), 30, "the Warning event")
    create_migration(clusters, app, "two", transformSpecs=["a", "b"])
    wanted = (
        "providing multiple transformation specs is not supported in this release [a b], err: <nil>"
    )
    wait_for(lambda: wanted in events_of(clusters, app, "two"), 30, "the Warning event")
    for name in ("waits", "two"):
        stage = (
            clusters.source.get(MigrationResource, name, namespace=app).get("status") or {}
        ).get("stage")
        assert stage != "Final"
