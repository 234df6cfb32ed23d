"""Real applications' shapes (tests/fixtures/apps) arrive whole and stay harmless on the standby
until `storkctl activate` restores every recorded original exactly (issue 17).

No apiserver is ever made to call a webhook at a non-loopback address: the fixture's webhook
calls a headless Service, which kube-apiserver cannot route to (k8s.io/apiserver
``pkg/util/proxy.ResolveCluster`` returns ``cannot route to service with ClusterIP "None"``
before any connection, and the webhook client dials only through that resolver), so a write it
matches is refused (failurePolicy Fail) or admitted (Ignore) without a connection. The
sandbox's apiservers use that ClusterIP resolver (no ``--enable-aggregator-routing``).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from string import Template
from typing import Any

import pytest
from lightkube import ApiError, Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.admissionregistration_v1 import ValidatingWebhookConfiguration
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.apps_v1 import DaemonSet, StatefulSet
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Namespace, Service

from stork.kube.resources import ApplicationRegistrationResource
from stork.migration.transform import PARKED_ANNOTATION
from stork.migration.transform.standby import PARKED_NODE_SELECTOR
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import app as app
from tests.integration.test_migration import kubectl, run_migration
from tests.waiting import wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
Prometheus = create_namespaced_resource("monitoring.coreos.com", "v1", "Prometheus", "prometheuses")
Cert = create_namespaced_resource("certs.fixture.example", "v1", "Cert", "certs")
FAMILY = [
    "certs.certs.fixture.example",
    "challenges.acme.certs.fixture.example",
    "orders.acme.certs.fixture.example",
]
STORKCTL = [sys.executable, "-m", "stork.cli.storkctl_main"]
#: What the standby state (``standby_state``) is while everything is parked.
PARKED = {
    "prometheus.replicas": 0,
    "cert.paused": True,
    "job.suspend": True,
    "daemonset.nodeSelector": {"disk": "ssd", **PARKED_NODE_SELECTOR},
    "webhook.failurePolicy": "Ignore",
}


def fixture(name: str, **values: Any) -> str:
    return Template((FIXTURES / name).read_text()).substitute(values)


def storkctl(clusters: Clusters, *args: str) -> list[str]:
    result = subprocess.run(
        [*STORKCTL, *args, "--kubeconfig", str(clusters.kubeconfig("destination"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def _delete(client: Client, resource: Any, name: str) -> None:
    try:
        client.delete(resource, name)
    except ApiError as e:
        if e.status.code != 404:
            raise


@pytest.fixture
def real_app(clusters: Clusters, app: str) -> Iterator[tuple[str, int]]:
    """The fixture applications in the test's namespace, and a node port that another Service
    already holds on the destination."""
    source = clusters.kubeconfig("source")
    for crds in ("crd-family.yaml", "crd-operator.yaml"):
        kubectl(source, "apply", "-f", "-", stdin=fixture(crds))
    names = [*FAMILY, "unrelated.other.fixture.example", "prometheuses.monitoring.coreos.com"]
    kubectl(source, "wait", "--for=condition=Established", *(f"crd/{n}" for n in names))
    port = random.randint(30100, 32700)
    kubectl(
        source, "apply", "-n", app, "-f", "-", stdin=fixture("app.yaml", NS=app, NODE_PORT=port)
    )
    holder = f"{app}-holder"
    clusters.destination.create(Namespace(metadata=ObjectMeta(name=holder)))
    clusters.destination.create(
        Service.from_dict(
            {
                "metadata": {"name": "holder", "namespace": holder},
                "spec": {"type": "NodePort", "ports": [{"port": 80, "nodePort": port}]},
            }
        )
    )
    # A user's registration: the fixture's Cert kind is switched off by spec.paused.
    registration = f"fixture-certs-{app}"
    clusters.source.create(
        ApplicationRegistrationResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "ApplicationRegistration",
                "metadata": {"name": registration},
                "resources": [
                    {
                        "group": "certs.fixture.example",
                        "version": "v1",
                        "kind": "Cert",
                        "customSuspendOptions": [{"path": "spec.paused", "type": "bool"}],
                    }
                ],
            }
        )
    )
    try:
        yield app, port
    finally:
        _delete(clusters.source, ApplicationRegistrationResource, registration)
        for client in (clusters.source, clusters.destination):
            _delete(client, ValidatingWebhookConfiguration, f"guard.{app}.fixture.example")
        _delete(clusters.destination, Namespace, holder)


def guarded(namespace: str, name: str) -> ConfigMap:
    """A ConfigMap the fixture's webhook matches."""
    return ConfigMap.from_dict(
        {"metadata": {"name": name, "namespace": namespace, "labels": {"guarded": "yes"}}}
    )


def parked_record(obj: Any) -> list[dict[str, Any]]:
    annotations = (
        obj.metadata.annotations if hasattr(obj, "metadata") else obj["metadata"].get("annotations")
    ) or {}
    records: list[dict[str, Any]] = json.loads(annotations[PARKED_ANNOTATION])
    return records


def standby_state(clusters: Clusters, ns: str) -> dict[str, Any]:
    """What runs or blocks on the destination, field by field."""
    dest = clusters.destination
    job = dest.get(Job, "db-migrate", namespace=ns)
    agent = dest.get(DaemonSet, "node-agent", namespace=ns)
    hook = dest.get(ValidatingWebhookConfiguration, f"guard.{ns}.fixture.example")
    return {
        "prometheus.replicas": dest.get(Prometheus, "main", namespace=ns)["spec"].get("replicas"),
        "cert.paused": dest.get(Cert, "web-tls", namespace=ns)["spec"].get("paused"),
        "job.suspend": job.spec.suspend,  # type: ignore[union-attr]
        "daemonset.nodeSelector": agent.spec.template.spec.nodeSelector,  # type: ignore[union-attr]
        "webhook.failurePolicy": hook.webhooks[0].failurePolicy,  # type: ignore[index]
    }


def test_real_apps_arrive_whole_stay_parked_and_activate_exactly(
    clusters: Clusters, real_app: tuple[str, int], controller: RunningController
) -> None:
    ns, taken = real_app
    # The source's webhook is live and fails closed, without a connection (headless Service).
    with pytest.raises(ApiError) as refused:
        clusters.source.create(guarded(ns, "on-source"))
    assert 'cannot route to service with ClusterIP "None"' in refused.value.status.message

    # Stork's built-in registrations were created when the controller started.
    def builtin() -> list[str]:
        try:
            found = [
                clusters.source.get(ApplicationRegistrationResource, name)
                for name in ("prometheus", "alertmanager")
            ]
        except ApiError:
            return []
        return [r["kind"] for reg in found for r in reg["resources"]]

    assert wait_for(builtin, 30, "the built-in registrations") == ["Prometheus", "Alertmanager"]
    status = run_migration(
        clusters, ns, "standby", includeOptionalResourceTypes=["Job"], startApplications=False
    )
    assert status["status"] == "Successful", [
        r for r in status["resources"] if r["status"] != "Successful"
    ]
    ledger = {(r["kind"], r["name"]): r["reason"] for r in status["resources"]}

    # 1. The whole CRD family travelled, the unrelated CRD did not.
    dest = clusters.destination
    crds = {c.metadata.name for c in dest.list(CustomResourceDefinition)}  # type: ignore[union-attr]
    assert set(FAMILY) <= crds
    assert "unrelated.other.fixture.example" not in crds
    assert {("CustomResourceDefinition", n) for n in FAMILY} <= set(ledger)

    # 2.-4. Nothing runs or blocks on the standby.
    assert standby_state(clusters, ns) == PARKED
    prom = dest.get(Prometheus, "main", namespace=ns)
    assert prom["metadata"]["annotations"]["stork.libopenstorage.org/spec.replicas"] == "2,"
    assert parked_record(prom) == [{"path": ["spec", "replicas"], "original": 2, "parked": 0}]
    assert parked_record(dest.get(Job, "db-migrate", namespace=ns)) == [
        {"path": ["spec", "suspend"], "original": False, "parked": True}
    ]
    # Both spellings of the replica record (Stork's storkctl reads stork.libopenstorage.org/).
    db = dest.get(StatefulSet, "db", namespace=ns)
    assert db.spec is not None
    assert db.spec.replicas == 0
    assert db.metadata is not None
    assert db.metadata.annotations is not None
    assert db.metadata.annotations["stork.openstorage.org/migrationReplicas"] == "3"
    assert db.metadata.annotations["stork.libopenstorage.org/migrationReplicas"] == "3"
    webhook_reason = ledger[("ValidatingWebhookConfiguration", f"guard.{ns}.fixture.example")]
    assert webhook_reason == (
        'Resource migrated successfully; parked on the standby: webhooks[0].failurePolicy "Fail"'
        ' -> "Ignore"'
    )
    # A write the parked webhook matches succeeds on the destination (no connection: headless).
    dest.create(guarded(ns, "on-standby"))

    # 6. The clashing node port was released, and the ledger says which port it got.
    front = dest.get(Service, "front", namespace=ns)
    ports = {p.name: p.nodePort for p in front.spec.ports}  # type: ignore[union-attr]
    assert ports["http"] != taken
    assert ledger[("Service", "front")] == (
        f"Resource migrated successfully; nodePort {taken} of port 80/TCP (http) is not available"
        f" on the destination; it has {ports['http']}"
    )

    # A re-sync changes nothing parked (and writes nothing parked again).
    versions = {
        "job": dest.get(Job, "db-migrate", namespace=ns).metadata.resourceVersion,  # type: ignore[union-attr]
        "prom": dest.get(Prometheus, "main", namespace=ns)["metadata"]["resourceVersion"],
    }
    again = run_migration(
        clusters, ns, "resync", includeOptionalResourceTypes=["Job"], startApplications=False
    )
    assert again["status"] == "Successful"
    assert versions == {
        "job": dest.get(Job, "db-migrate", namespace=ns).metadata.resourceVersion,  # type: ignore[union-attr]
        "prom": dest.get(Prometheus, "main", namespace=ns)["metadata"]["resourceVersion"],
    }

    # activate restores every recorded original exactly ...
    out = storkctl(clusters, "activate", "migrations", "-n", ns)
    assert f"Updated replicas for statefulset {ns}/db to 3" in out
    assert f"Restored spec.suspend of job {ns}/db-migrate" in out
    assert f"Restored spec.template.spec.nodeSelector of daemonset {ns}/node-agent" in out
    assert f"Restored spec.replicas of prometheus {ns}/main" in out
    assert out[-1] == (
        "Restored webhooks[0].failurePolicy of validatingwebhookconfiguration"
        f" guard.{ns}.fixture.example"
    )
    assert standby_state(clusters, ns) == {
        "prometheus.replicas": 2,
        "cert.paused": None,  # absent on the source: absent again
        "job.suspend": False,
        "daemonset.nodeSelector": {"disk": "ssd"},
        "webhook.failurePolicy": "Fail",
    }
    with pytest.raises(ApiError) as closed:  # the webhook guards again (and still cannot dial)
        dest.create(guarded(ns, "after-activation"))
    assert 'cannot route to service with ClusterIP "None"' in closed.value.status.message

    # ... and deactivate parks them again.
    out = storkctl(clusters, "deactivate", "migrations", "-n", ns)
    assert out[0] == (
        "Parked webhooks[0].failurePolicy of validatingwebhookconfiguration"
        f" guard.{ns}.fixture.example"
    )
    assert standby_state(clusters, ns) == PARKED
    again_out = storkctl(clusters, "deactivate", "migrations", "-n", ns)
    assert [line for line in again_out if line.startswith("Parked")] == []  # nothing left to do
