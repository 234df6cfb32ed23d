"""Migrations between the real source and destination clusters, checked on the destination."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError, Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import CronJob
from lightkube.resources.core_v1 import ConfigMap, Event, Secret, Service, ServiceAccount

from stork.kube.resources import ClusterPairResource, MigrationResource, MigrationScheduleResource
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters, RunningController
from tests.waiting import wait_for

KUBECTL = str(Path(sys.executable).parent / "kubectl")

APP = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other}
data: {a: "1"}
---
apiVersion: v1
kind: Secret
metadata: {name: db}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
apiVersion: v1
kind: Secret
metadata:
  name: runner-token
  annotations: {kubernetes.io/service-account.name: runner}
type: kubernetes.io/service-account-token
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: runner}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: gizmo}
spec: {size: 3}
"""

CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""

Widget = create_namespaced_resource("example.com", "v1", "Widget", "widgets")


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    result = subprocess.run(
        [KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def app(clusters: Clusters, namespace: str) -> str:
    """The sample application in a fresh source namespace, and a Ready pair to the destination."""
    source = clusters.kubeconfig("source")
    kubectl(source, "apply", "-f", "-", stdin=CRD)
    kubectl(source, "wait", "--for=condition=Established", "crd/widgets.example.com")
    kubectl(source, "apply", "-n", namespace, "-f", "-", stdin=APP)
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))
    return namespace


def create_migration(clusters: Clusters, namespace: str, name: str, **spec: Any) -> None:
    body = {"clusterPair": "remote", "namespaces": [namespace], "includeVolumes": False, **spec}
    clusters.source.create(
        MigrationResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "Migration",
                "metadata": {"name": name, "namespace": namespace},
                "spec": body,
            }
        )
    )


def wait_migration(clusters: Clusters, namespace: str, name: str, timeout: float) -> dict[str, Any]:
    """The status of the migration once it is Final."""

    def final() -> dict[str, Any] | None:
        obj = clusters.source.get(MigrationResource, name, namespace=namespace)
        status = obj.get("status") or {}
        return dict(status) if status.get("stage") == "Final" else None

    result = wait_for(final, timeout, f"migration {name} to finish")
    assert result is not None
    return result


def run_migration(clusters: Clusters, namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    create_migration(clusters, namespace, name, **spec)
    return wait_migration(clusters, namespace, name, 120)


def versions(client: Client, namespace: str, migrated: set[tuple[str, str]]) -> dict[str, str]:
    """resourceVersions of the migrated objects of `namespace` on `client`.

    Only what the migration wrote is compared: the destination's controller-manager
    creates `kube-root-ca.crt` and the `default` ServiceAccount in a new namespace
    on its own schedule, which may be after the first migration has finished.
    """
    out = {}
    for kind in (ConfigMap, Secret, Service, ServiceAccount, Deployment):
        for o in client.list(kind, namespace=namespace):
            assert o.metadata is not None
            if (kind.__name__, o.metadata.name) in migrated:
                out[f"{kind.__name__}/{o.metadata.name}"] = str(o.metadata.resourceVersion)
    return out


def test_migration_copies_the_application_and_resyncs_without_writes(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    first = run_migration(clusters, app, "first")
    assert first["status"] == "Successful", first
    kinds = {(r["kind"], r["name"]) for r in first["resources"]}
    assert {("Deployment", "web"), ("Service", "web"), ("ConfigMap", "settings")} <= kinds
    assert ("Widget", "gizmo") in kinds
    assert ("CustomResourceDefinition", "widgets.example.com") in kinds
    assert ("Secret", "runner-token") not in kinds
    assert all(r["status"] == "Successful" for r in first["resources"])
    assert first["summary"]["numOfMigratedResources"] == len(first["resources"])

    dest = clusters.destination
    web = dest.get(Deployment, "web", namespace=app)
    assert web.spec is not None
    assert web.spec.replicas == 0
    assert web.metadata is not None
    assert web.metadata.annotations is not None
    assert web.metadata.annotations["stork.openstorage.org/migrationReplicas"] == "3"
    assert web.metadata.annotations["stork.libopenstorage.org/migrationName"] == "first"
    svc = dest.get(Service, "web", namespace=app)
    assert svc.spec is not None
    assert svc.spec.clusterIP is not None
    assert svc.spec.clusterIP.startswith("10.100.")
    assert dest.get(Secret, "db", namespace=app).data == {"password": "aHVudGVyMg=="}
    assert dest.get(Widget, "gizmo", namespace=app)["spec"] == {"size": 3}
    with pytest.raises(ApiError) as err:
        dest.get(Secret, "runner-token", namespace=app)
    assert err.value.status.code == 404

    # Nothing changed: the second migration writes nothing at all.
    before = versions(dest, app, kinds)
    assert {"ConfigMap/settings", "Deployment/web", "ServiceAccount/runner"} <= set(before)
    second = run_migration(clusters, app, "second")
    assert second["status"] == "Successful"
    assert second["conditions"][0]["message"].endswith(", 0 written")
    assert versions(dest, app, kinds) == before

    # One ConfigMap changed: only it is written.
    cm = clusters.source.get(ConfigMap, "settings", namespace=app)
    cm.data = {"color": "green"}
    clusters.source.replace(cm)
    third = run_migration(clusters, app, "third")
    assert third["conditions"][0]["message"].endswith(", 1 written")
    after = versions(dest, app, kinds)
    changed = {k for k in before if before[k] != after.get(k)}
    assert changed == {"ConfigMap/settings"}
    assert dest.get(ConfigMap, "settings", namespace=app).data == {"color": "green"}


def test_immutable_change_recreates_that_object(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    run_migration(clusters, app, "before")
    # A Deployment's selector is immutable: re-create it on the source with another one.
    source = clusters.kubeconfig("source")
    kubectl(source, "delete", "deployment", "web", "-n", app, "--wait=true")
    changed = yaml.safe_load(APP.split("---")[0])
    changed["spec"]["selector"]["matchLabels"] = {"app": "web2"}
    changed["spec"]["template"]["metadata"]["labels"] = {"app": "web2"}
    kubectl(source, "apply", "-n", app, "-f", "-", stdin=yaml.safe_dump(changed))
    after = run_migration(clusters, app, "after")
    assert after["status"] == "Successful"
    web = next(r for r in after["resources"] if r["kind"] == "Deployment")
    assert web["reason"].startswith("Resource re-created:")
    assert "immutable" in web["reason"]
    dest = clusters.destination.get(Deployment, "web", namespace=app)
    assert dest.spec is not None
    assert dest.spec.selector.matchLabels == {"app": "web2"}


def test_purge_removes_what_the_source_deleted(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    run_migration(clusters, app, "full")
    clusters.source.delete(ConfigMap, "other", namespace=app)
    kept = run_migration(clusters, app, "without-purge")
    assert clusters.destination.get(ConfigMap, "other", namespace=app).data == {"a": "1"}
    assert all(r["status"] == "Successful" for r in kept["resources"])
    purged = run_migration(clusters, app, "with-purge", purgeDeletedResources=True)
    assert purged["status"] == "Successful"
    entry = next(r for r in purged["resources"] if r["name"] == "other")
    assert (entry["kind"], entry["status"]) == ("ConfigMap", "Purged")
    with pytest.raises(ApiError) as err:
        clusters.destination.get(ConfigMap, "other", namespace=app)
    assert err.value.status.code == 404
    # A ServiceAccount is never purged, and what the source still has stays.
    assert clusters.destination.get(ServiceAccount, "runner", namespace=app) is not None
    assert clusters.destination.get(ConfigMap, "settings", namespace=app) is not None


def _pair_status(clusters: Clusters, namespace: str) -> str:
    pair = clusters.source.get(ClusterPairResource, "remote", namespace=namespace)
    return str((pair.get("status") or {}).get("schedulerStatus"))


def test_destination_gone_fails_with_a_reason_and_the_next_one_completes(
    clusters: Clusters, app: str, start_controller: Callable[..., RunningController]
) -> None:
    # The pair is checked once (then hourly), so it still says Ready after the destination
    # went away: the migration itself meets the dead destination, retries it for 5 s, fails.
    start_controller("--pair-check-interval", "3600", "--migration-retry-seconds", "5")
    wait_for(lambda: _pair_status(clusters, app) == "Ready", 30, "the pair to be Ready")
    clusters.sandbox.stop("destination")
    try:
        failed = run_migration(clusters, app, "while-down")
    finally:
        clusters.sandbox.start("destination")
    assert failed["status"] == "Failed"
    reason = next(c for c in failed["conditions"] if c["type"] == "Complete")["message"]
    assert reason.startswith("Error migrating resources: destination did not answer")
    retried = [
        e.message or ""
        for e in clusters.source.list(Event, namespace=app)
        if e.involvedObject.name == "while-down"
    ]
    assert any("retrying in" in m for m in retried), retried
    again = run_migration(clusters, app, "after-recovery")
    assert again["status"] == "Successful"
    assert clusters.destination.get(Deployment, "web", namespace=app).spec is not None


def test_a_destination_back_within_the_retry_budget_lets_the_migration_succeed(
    clusters: Clusters, app: str, start_controller: Callable[..., RunningController]
) -> None:
    start_controller("--pair-check-interval", "3600", "--migration-retry-seconds", "120")
    wait_for(lambda: _pair_status(clusters, app) == "Ready", 30, "the pair to be Ready")
    clusters.sandbox.stop("destination")
    try:
        create_migration(clusters, app, "one-shot")
        wait_for(
            lambda: any(
                "retrying in" in (e.message or "")
                for e in clusters.source.list(Event, namespace=app)
                if e.involvedObject.name == "one-shot"
            ),
            60,
            "the migration to meet the dead destination and retry",
        )
    finally:
        clusters.sandbox.start("destination")
    done = wait_migration(clusters, app, "one-shot", 120)
    assert done["status"] == "Successful"
    assert clusters.destination.get(Deployment, "web", namespace=app).spec is not None


def test_a_pair_that_is_not_ready_keeps_the_migration_pending(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    pair = clusters.source.get(ClusterPairResource, "remote", namespace=app)
    pair["spec"]["config"]["current-context"] = "nowhere"
    clusters.source.replace(pair)
    wait_for(lambda: _pair_status(clusters, app) == "Error", 30, "the pair to be Error")
    clusters.source.create(
        MigrationResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "Migration",
                "metadata": {"name": "waiting", "namespace": app},
                "spec": {"clusterPair": "remote", "namespaces": [app], "includeVolumes": False},
            }
        )
    )
    first = wait_for(
        lambda: clusters.source.get(MigrationResource, "waiting", namespace=app).get("status"),
        30,
        "the migration's first status",
    )
    assert first in ({"stage": "", "status": ""}, {"stage": "", "status": "Pending"})
    status = wait_for(
        lambda: (
            (
                clusters.source.get(MigrationResource, "waiting", namespace=app).get("status") or {}
            ).get("status")
            == "Pending"
        ),
        30,
        "the migration to be Pending",
    )
    assert status
    events = wait_for(
        lambda: [
            e.message
            for e in clusters.source.list(Event, namespace=app)
            if e.involvedObject.name == "waiting"
        ],
        30,
        "a Warning event on the migration",
    )
    assert "Error migrating resources: scheduler Cluster pair is not ready. Status: Error" in events


CRONJOBS = """
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 1 * * *"
  suspend: false
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: paused}
spec:
  schedule: "0 2 * * *"
  suspend: true
  jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}
"""


def test_activate_and_deactivate_restore_exactly_what_was_recorded(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    kubectl(clusters.kubeconfig("source"), "apply", "-n", app, "-f", "-", stdin=CRONJOBS)
    assert run_migration(clusters, app, "before-failover")["status"] == "Successful"
    dest = clusters.destination
    assert dest.get(CronJob, "nightly", namespace=app).spec.suspend is True
    assert dest.get(CronJob, "paused", namespace=app).spec.suspend is True
    # A CronJob that lives only on the destination, suspended by its owner: never touched.
    local = yaml.safe_load(CRONJOBS.split("---")[1])
    local["metadata"]["name"] = "local"
    kubectl(
        clusters.kubeconfig("destination"),
        "apply",
        "-n",
        app,
        "-f",
        "-",
        stdin=yaml.safe_dump(local),
    )
    # The destination's static copy of a schedule that migrates this namespace.
    dest.create(
        MigrationScheduleResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "MigrationSchedule",
                "metadata": {
                    "name": "dr",
                    "namespace": app,
                    "annotations": {"stork.libopenstorage.org/static-copy": "true"},
                },
                "spec": {
                    "suspend": True,
                    "schedulePolicyName": "p",
                    "template": {"spec": {"namespaces": [app]}},
                },
            }
        )
    )
    storkctl = [sys.executable, "-m", "stork.cli.storkctl_main"]
    dest_kc = str(clusters.kubeconfig("destination"))
    out = subprocess.run(
        [*storkctl, "activate", "migrations", "-n", app, "--kubeconfig", dest_kc],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out == [
        f"Updated replicas for deployment {app}/web to 3",
        f"Updated suspend option for cronjob {app}/nightly to false",
        f"Updated suspend option for cronjob {app}/paused to true",
        f"Setting the ApplicationActivated status in the MigrationSchedule {app}/dr to true",
    ]
    assert dest.get(Deployment, "web", namespace=app).spec.replicas == 3
    assert dest.get(CronJob, "nightly", namespace=app).spec.suspend is False
    assert dest.get(CronJob, "paused", namespace=app).spec.suspend is True
    assert dest.get(CronJob, "local", namespace=app).spec.suspend is True
    assert (
        dest.get(MigrationScheduleResource, "dr", namespace=app)["status"]["applicationActivated"]
        is True
    )

    out = subprocess.run(
        [*storkctl, "deactivate", "migration", "-n", app, "--kubeconfig", dest_kc],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == f"Updated replicas for deployment {app}/web to 0"
    assert (
        out[-1]
        == f"Setting the ApplicationActivated status in the MigrationSchedule {app}/dr to false"
    )
    assert dest.get(Deployment, "web", namespace=app).spec.replicas == 0
    assert dest.get(CronJob, "nightly", namespace=app).spec.suspend is True
    assert (
        dest.get(MigrationScheduleResource, "dr", namespace=app)["status"]["applicationActivated"]
        is False
    )


def test_activate_in_a_missing_namespace_is_one_clear_error(clusters: Clusters) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "stork.cli.storkctl_main",
            "activate",
            "migrations",
            "-n",
            "no-such-ns",
            "--kubeconfig",
            str(clusters.kubeconfig("destination")),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == 'Error from server (NotFound): namespaces "no-such-ns" not found'
    )


def test_storkctl_create_wait_get_delete_migration(
    clusters: Clusters, app: str, controller: RunningController
) -> None:
    storkctl = [sys.executable, "-m", "stork.cli.storkctl_main"]
    common = ["-n", app, "--kubeconfig", str(clusters.kubeconfig("source"))]
    wait_for(lambda: _pair_status(clusters, app) == "Ready", 30, "the pair to be Ready")
    created = subprocess.run(
        [
            *storkctl,
            "create",
            "migration",
            "cli",
            "-c",
            "remote",
            "--namespaces",
            app,
            "--startApplications=false",
            "--includeVolumes=false",
            "--wait",
            *common,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()  # Stork's --wait progress, then its last line
    assert lines[0] == "STAGE\t\tSTATUS              "
    assert lines[-2:] == ["Final\t\tSuccessful          ", "Migration cli completed successfully"]
    spec = clusters.source.get(MigrationResource, "cli", namespace=app)["spec"]
    assert (spec["startApplications"], spec["includeVolumes"], spec["includeResources"]) == (
        False,
        False,
        True,
    )

    table = subprocess.run(
        [*storkctl, "get", "migration", *common], capture_output=True, text=True, check=True
    ).stdout
    header, row = table.splitlines()
    assert header.split()[:6] == ["NAME", "CLUSTERPAIR", "STAGE", "STATUS", "VOLUMES", "RESOURCES"]
    cells = row.split()
    assert cells[:5] == ["cli", "remote", "Final", "Successful", "0/0"]
    done, total = cells[5].split("/")
    assert done == total
    assert int(total) > 5

    deleted = subprocess.run(
        [*storkctl, "delete", "migration", "cli", *common],
        capture_output=True,
        text=True,
        check=True,
    )
    assert deleted.stdout == "Migration cli deleted successfully\n"
    missing = subprocess.run(
        [*storkctl, "get", "migration", "cli", *common], capture_output=True, text=True, check=False
    )
    assert missing.returncode == 1
    assert (
        missing.stderr.strip()
        == 'Error from server (NotFound): migrations.stork.libopenstorage.org "cli" not found'
    )
