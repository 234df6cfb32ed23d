"""Stork's ``pkg/storkctl/migration_test.go`` ported to the real sandbox (and ours).

Same commands, arguments and expected output as Stork's tests, ``TZ=UTC``. A real API server
sets ``creationTimestamp`` (Stork's fake client leaves it empty), so CREATED shows the time and
ELAPSED of a running migration the time since then: expected tables are written out with those
values (ELAPSED read back and checked to be a Go duration of the right size). Namespaces are
fresh ones instead of Stork's ``default``, ``test``, ``ns1``; names are lower case (Kubernetes
refuses Stork's ``migratedDeployment``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from lightkube import Client
from lightkube.models.apps_v1 import DeploymentSpec, ReplicaSetSpec, StatefulSetSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment, ReplicaSet, StatefulSet
from lightkube.resources.core_v1 import Namespace
from lightkube.types import PatchType

from stork.api.timestamps import parse_time
from stork.cli import migration_cmd
from stork.cli.output import rfc822
from stork.kube.resources import ClusterPairResource, MigrationResource, MigrationScheduleResource
from tests.integration.conftest import Clusters
from tests.integration.storkctl_harness import (
    Storkctl,
    column,
    delete_quietly,
    patch_status,
    stored,
    tab,
)
from tests.integration.storkctl_harness import utc as utc  # the fixture, used by pytestmark
from tests.waiting import wait_for

pytestmark = pytest.mark.usefixtures("utc")
API = "stork.libopenstorage.org/v1alpha1"
HEADERS = list(migration_cmd.COLUMNS)
NO_SUMMARY = "Available with stork v2.9.0+"
GO_DURATION = re.compile(r"^(?:(\d+)m)?(\d+(?:\.\d+)?)(s|ms|µs)$")
UNIT = {"s": 1.0, "ms": 1e-3, "µs": 1e-6}


@pytest.fixture
def storkctl(clusters: Clusters) -> Storkctl:
    return Storkctl(clusters.kubeconfig("source"))


@pytest.fixture
def namespaces(clusters: Clusters) -> Iterator[Callable[[str], str]]:
    """Fresh namespaces named ``<prefix>-<suffix>`` (one prefix per test); deleted after."""
    prefix, made = f"t-{uuid.uuid4().hex[:8]}", []

    def make(suffix: str) -> str:
        name = f"{prefix}-{suffix}"
        clusters.source.create(Namespace(metadata=ObjectMeta(name=name)))
        made.append(name)
        return name

    yield make
    for name in made:
        delete_quietly(clusters.source, Namespace, name)


def create_and_verify(
    storkctl: Storkctl,
    client: Client,
    name: str,
    namespace: str,
    pair: str,
    migrated: list[str],
    pre: str = "",
    post: str = "",
) -> dict[str, Any]:
    """Stork's ``createMigrationAndVerify``."""
    args = [
        "create",
        "migrations",
        "-n",
        namespace,
        "-c",
        pair,
        "--namespaces",
        ",".join(migrated),
        name,
    ]
    if pre:
        args += ["--preExecRule", pre]
    if post:
        args += ["--postExecRule", post]
    assert storkctl.ok(*args) == f"Migration {name} created successfully\n"
    migration = dict(client.get(MigrationResource, name, namespace=namespace))
    spec = migration["spec"]
    assert (migration["metadata"]["name"], migration["metadata"]["namespace"]) == (name, namespace)
    assert (spec["clusterPair"], spec["namespaces"]) == (pair, migrated)
    assert (spec["preExecRule"], spec["postExecRule"]) == (pre, post)
    return migration


def created(migration: dict[str, Any]) -> str:
    return rfc822(parse_time(migration["metadata"]["creationTimestamp"]))


def running_rows(
    output: str, rows: list[list[str]], elapsed_at: int, headers: list[str] = HEADERS
) -> str:
    """The expected table with the ELAPSED cells the command printed (each a Go duration of a
    few seconds: the time since creation)."""
    filled = []
    for i, row in enumerate(rows, start=1):
        elapsed = column(output, "ELAPSED", i)
        match = GO_DURATION.match(elapsed)
        assert match, elapsed
        minutes, amount, unit = match.groups()
        assert 0 < int(minutes or 0) * 60 + float(amount) * UNIT[unit] < 120, elapsed
        filled.append([*row[:elapsed_at], elapsed, *row[elapsed_at:]])
    return tab(headers, filled)


def test_TestGetMigrationsNoMigration(storkctl: Storkctl, namespace: str) -> None:
    assert storkctl.ok("get", "migrations", "-n", namespace) == "No resources found.\n"


def test_TestGetMigrationsOneMigration(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    m = create_and_verify(
        storkctl,
        clusters.source,
        "getmigrationtest",
        namespace,
        "clusterpair1",
        ["namespace1"],
        "preExec",
        "postExec",
    )
    out = storkctl.ok("get", "migrations", "-n", namespace)
    assert out == running_rows(
        out, [["getmigrationtest", "clusterpair1", "", "", "0/0", "0/0", created(m), NO_SUMMARY]], 7
    )


def test_TestGetMigrationsMultiple(
    clusters: Clusters, storkctl: Storkctl, namespaces: Callable[[str], str]
) -> None:
    default, ns1 = namespaces("default"), namespaces("ns1")
    m1 = create_and_verify(
        storkctl, clusters.source, "getmigrationtest1", default, "clusterpair1", ["namespace1"]
    )
    m2 = create_and_verify(
        storkctl, clusters.source, "getmigrationtest2", default, "clusterpair2", ["namespace1"]
    )
    rows = [
        ["getmigrationtest1", "clusterpair1", "", "", "0/0", "0/0", created(m1), NO_SUMMARY],
        ["getmigrationtest2", "clusterpair2", "", "", "0/0", "0/0", created(m2), NO_SUMMARY],
    ]
    out = storkctl.ok("get", "migrations", "getmigrationtest1", "getmigrationtest2", "-n", default)
    assert out == running_rows(out, rows, 7)
    out = storkctl.ok("get", "migrations", "-n", default)  # all of them if no name given
    assert out == running_rows(out, rows, 7)
    out = storkctl.ok("get", "migrations", "getmigrationtest1", "-n", default)
    assert out == running_rows(out, rows[:1], 7)
    m21 = create_and_verify(
        storkctl, clusters.source, "getmigrationtest21", ns1, "clusterpair2", ["namespace1"]
    )
    mine = {default, ns1}
    wait_alone(clusters.source, mine)
    out = storkctl.ok("get", "migrations", "--all-namespaces")
    everywhere = [
        [default, *rows[0]],
        [default, *rows[1]],
        [ns1, "getmigrationtest21", "clusterpair2", "", "", "0/0", "0/0", created(m21), NO_SUMMARY],
    ]
    assert out == running_rows(out, everywhere, 8, ["NAMESPACE", *HEADERS])


def wait_alone(client: Client, mine: set[str]) -> None:
    """``--all-namespaces`` lists the whole cluster: wait until the Migrations of earlier tests'
    (deleted) namespaces are gone."""
    wait_for(
        lambda: (
            {m["metadata"]["namespace"] for m in client.list(MigrationResource, namespace="*")}
            <= mine
        ),
        60,
        "other tests' Migrations to be gone",
    )


def test_TestGetMigrationsWithClusterPair(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    m1 = create_and_verify(
        storkctl, clusters.source, "getmigrationtest1", namespace, "clusterpair1", ["namespace1"]
    )
    create_and_verify(
        storkctl, clusters.source, "getmigrationtest2", namespace, "clusterpair2", ["namespace1"]
    )
    out = storkctl.ok("get", "migrations", "-c", "clusterpair1", "-n", namespace)
    assert out == running_rows(
        out,
        [["getmigrationtest1", "clusterpair1", "", "", "0/0", "0/0", created(m1), NO_SUMMARY]],
        7,
    )


def _finished(client: Client, migration: dict[str, Any], **extra: Any) -> None:
    """Stork's test sets finish = creation + 5m (it sets the creation time; we cannot)."""
    start = parse_time(migration["metadata"]["creationTimestamp"])
    assert start is not None
    finish = (start + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status = {
        "finishTimestamp": finish,
        "stage": "Final",
        "status": "Successful",
        "volumes": [],
        **extra,
    }
    patch_status(
        client,
        MigrationResource,
        migration["metadata"]["name"],
        migration["metadata"]["namespace"],
        status,
    )


def test_TestGetMigrationsWithStatusAndProgress(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    m = create_and_verify(
        storkctl,
        clusters.source,
        "getmigrationstatustest",
        namespace,
        "clusterpair1",
        ["namespace1"],
    )
    _finished(clusters.source, m)
    assert storkctl.ok("get", "migrations", "getmigrationstatustest", "-n", namespace) == tab(
        HEADERS,
        [
            [
                "getmigrationstatustest",
                "clusterpair1",
                "Final",
                "Successful",
                "0/0",
                "0/0",
                created(m),
                "5m0s",
                NO_SUMMARY,
            ]
        ],
    )


def test_TestGetMigrationsWithSummary(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    m = create_and_verify(
        storkctl,
        clusters.source,
        "getmigrationstatustest",
        namespace,
        "clusterpair1",
        ["namespace1"],
    )
    summary = {
        "totalBytesMigrated": 12345,
        "totalNumberOfVolumes": 5,
        "totalNumberOfResources": 6,
        "numOfMigratedVolumes": 5,
        "numOfMigratedResources": 6,
        "elapsedTimeForVolumeMigration": "5m0s",
        "elapsedTimeForResourceMigration": "1m0s",
    }
    _finished(clusters.source, m, summary=summary)
    out = storkctl.ok("get", "migrations", "getmigrationstatustest", "-n", namespace)
    assert out == (
        "NAME                     CLUSTERPAIR    STAGE   STATUS       VOLUMES   RESOURCES   CREATED               ELAPSED"
        "                           TOTAL BYTES TRANSFERRED\ngetmigrationstatustest   clusterpair1   Final"
        f"   Successful   5/5       6/6         {created(m)}   Volumes (5m0s) Resources (1m0s)   12345\n"
    )


def test_TestCreateMigrations(clusters: Clusters, storkctl: Storkctl, namespace: str) -> None:
    # The ClusterPair need not exist (Stork lets the controller report it).
    create_and_verify(
        storkctl, clusters.source, "createmigration", namespace, "clusterpair1", ["namespace1"]
    )
    # Stored exactly as what Stork's storkctl sends is stored, field by field.
    stork_body = {
        "apiVersion": API,
        "kind": "Migration",
        "metadata": {"name": "stork-body", "namespace": namespace, "creationTimestamp": None},
        "spec": {
            "clusterPair": "clusterpair1",
            "adminClusterPair": "",
            "namespaces": ["namespace1"],
            "namespaceSelectors": None,
            "includeResources": True,
            "includeVolumes": True,
            "startApplications": True,
            "purgeDeletedResources": None,
            "skipServiceUpdate": None,
            "includeNetworkPolicyWithCIDR": None,
            "selectors": None,
            "excludeSelectors": None,
            "preExecRule": "",
            "postExecRule": "",
            "includeOptionalResourceTypes": None,
            "skipDeletedNamespaces": None,
            "transformSpecs": None,
            "ignoreOwnerReferencesCheck": None,
            "excludeResourceTypes": None,
        },
        "status": {
            "stage": "",
            "status": "",
            "resources": None,
            "volumes": None,
            "finishTimestamp": None,
            "volumeMigrationFinishTimestamp": None,
            "resourceMigrationFinishTimestamp": None,
            "summary": None,
        },
    }
    clusters.source.create(MigrationResource.from_dict(stork_body))
    ours = stored(clusters.source, MigrationResource, "createmigration", namespace)
    reference = stored(clusters.source, MigrationResource, "stork-body", namespace)
    assert ours["spec"] == reference["spec"] == stork_body["spec"]
    assert ours.get("status") == reference.get("status")
    assert set(ours["metadata"]) == set(reference["metadata"]) == {"name", "namespace"}


def test_TestCreateMigrations_flags_as_pflag(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    storkctl.ok(
        "create",
        "migration",
        "m",
        "-n",
        namespace,
        "-c",
        "p",
        "--namespaces",
        "a,b",
        "-r=false",
        "--includeVolumes=false",
        "-a=false",
    )
    spec = clusters.source.get(MigrationResource, "m", namespace=namespace)["spec"]
    assert (spec["includeResources"], spec["includeVolumes"], spec["startApplications"]) == (
        False,
        False,
        False,
    )
    assert spec["namespaces"] == ["a", "b"]


def test_TestCreateDuplicateMigrations(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    create_and_verify(
        storkctl, clusters.source, "createmigration", namespace, "clusterpair1", ["namespace1"]
    )
    assert storkctl.fails(
        "create",
        "migrations",
        "-c",
        "clusterpair1",
        "--namespaces",
        "namespace1",
        "createmigration",
        "-n",
        namespace,
    ) == (
        'Error from server (AlreadyExists): migrations.stork.libopenstorage.org "createmigration" already exists'
    )


def test_TestDeleteMigrationsNoMigration(storkctl: Storkctl, namespace: str) -> None:
    assert (
        storkctl.ok("delete", "migrations", "-c", "migration1", "-n", namespace)
        == "No resources found.\n"
    )


def test_TestDeleteMigrations(clusters: Clusters, storkctl: Storkctl, namespace: str) -> None:
    def make(name: str, pair: str) -> None:
        create_and_verify(storkctl, clusters.source, name, namespace, pair, ["namespace1"])

    make("deletemigration", "clusterpair1")
    assert (
        storkctl.ok("delete", "migrations", "deletemigration", "-n", namespace)
        == "Migration deletemigration deleted successfully\n"
    )
    assert storkctl.fails("delete", "migrations", "deletemigration", "-n", namespace) == (
        'Error from server (NotFound): migrations.stork.libopenstorage.org "deletemigration" not found'
    )
    make("deletemigration1", "clusterpair1")
    make("deletemigration2", "clusterpair2")
    assert storkctl.ok(
        "delete", "migrations", "deletemigration1", "deletemigration2", "-n", namespace
    ) == (
        "Migration deletemigration1 deleted successfully\nMigration deletemigration2 deleted successfully\n"
    )
    make("deletemigration1", "clusterpair1")
    make("deletemigration2", "clusterpair1")
    assert storkctl.ok("delete", "migrations", "-c", "clusterpair1", "-n", namespace) == (
        "Migration deletemigration1 deleted successfully\nMigration deletemigration2 deleted successfully\n"
    )
    assert list(clusters.source.list(MigrationResource, namespace=namespace)) == []


@pytest.mark.parametrize(
    ("field", "cells"), [("includeVolumes", ("N/A", "0/0")), ("includeResources", ("0/0", "N/A"))]
)
def test_TestExcludeVolumesAndResourcesForMigrations(
    clusters: Clusters, storkctl: Storkctl, namespace: str, field: str, cells: tuple[str, str]
) -> None:
    name = "excludevolumestest" if field == "includeVolumes" else "excluderesourcstest"
    m = create_and_verify(
        storkctl, clusters.source, name, namespace, "clusterpair1", ["namespace1"]
    )
    clusters.source.patch(
        MigrationResource,
        name,
        {"spec": {field: False}},
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )
    out = storkctl.ok("get", "migrations", "-n", namespace)
    assert out == running_rows(
        out, [[name, "clusterpair1", "", "", *cells, created(m), NO_SUMMARY]], 7
    )


def test_get_one_migration_is_a_list(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    create_and_verify(storkctl, clusters.source, "m", namespace, "p", ["a"])
    listed = yaml.safe_load(storkctl.ok("get", "migration", "m", "-n", namespace, "-o", "yaml"))
    assert (listed["apiVersion"], listed["kind"], listed["metadata"]) == ("v1", "List", {})
    (item,) = listed["items"]
    assert item["spec"] == clusters.source.get(MigrationResource, "m", namespace=namespace)["spec"]
    # unset status fields as Stork's typed objects show them
    assert item["status"] == {
        "stage": "",
        "status": "",
        "resources": None,
        "volumes": None,
        "finishTimestamp": None,
        "volumeMigrationFinishTimestamp": None,
        "resourceMigrationFinishTimestamp": None,
        "summary": None,
    }
    assert (
        storkctl.fails("get", "migration", "m", "-n", namespace, "-o", "xml")
        == "error: unsupported output type xml"
    )
    assert (
        storkctl.ok("get", "migration", "-n", "no-migrations-here", "-o", "xml")
        == "No resources found.\n"
    )


REPLICAS = "stork.libopenstorage.org/migrationReplicas"  # the key Stork's tests use
MIGRATION_NAMESPACE = "stork.libopenstorage.org/migrationNamespace"


def _template(app: str) -> tuple[LabelSelector, PodTemplateSpec]:
    labels = {"app": app}
    pod = PodTemplateSpec(
        metadata=ObjectMeta(labels=labels),
        spec=PodSpec(containers=[Container(name="c", image="registry.invalid/none:1")]),
    )
    return LabelSelector(matchLabels=labels), pod


def migrated(
    client: Client, kind: str, namespace: str, name: str, replicas: str, schedule_ns: str = ""
) -> None:
    """Stork's ``createMigrated<Kind>``: 0 replicas, the recorded count in the annotation."""
    annotations = {
        REPLICAS: replicas,
        **({MIGRATION_NAMESPACE: schedule_ns} if schedule_ns else {}),
    }
    meta = ObjectMeta(name=name, namespace=namespace, annotations=annotations)
    selector, pod = _template(name)
    if kind == "deployment":
        client.create(
            Deployment(
                metadata=meta, spec=DeploymentSpec(replicas=0, selector=selector, template=pod)
            )
        )
    elif kind == "replicaset":
        client.create(
            ReplicaSet(
                metadata=meta, spec=ReplicaSetSpec(replicas=0, selector=selector, template=pod)
            )
        )
    else:
        spec = StatefulSetSpec(replicas=0, selector=selector, template=pod, serviceName=name)
        client.create(StatefulSet(metadata=meta, spec=spec))


def test_TestActivateDeactivateMigrations(
    clusters: Clusters, storkctl: Storkctl, namespaces: Callable[[str], str]
) -> None:
    dep, rs, sts = namespaces("dep"), namespaces("rs"), namespaces("sts")
    migrated(clusters.source, "deployment", dep, "migrateddeployment", "1", "adminns")
    migrated(clusters.source, "replicaset", rs, "migratedreplicaset", "1")
    migrated(clusters.source, "statefulset", sts, "migratedstatefulset", "3", "adminns")
    # (Stork's DeploymentConfig case needs OpenShift's API: not on these clusters.)
    for verb, to in (("activate", ("1", "1", "3")), ("deactivate", ("0", "0", "0"))):
        assert (
            storkctl.ok(verb, "migrations", "-n", dep)
            == f"Updated replicas for deployment {dep}/migrateddeployment to {to[0]}\n"
        )
        assert (
            storkctl.ok(verb, "migrations", "-n", rs)
            == f"Updated replicas for replicaset {rs}/migratedreplicaset to {to[1]}\n"
        )
        assert (
            storkctl.ok(verb, "migrations", "-n", sts)
            == f"Updated replicas for statefulset {sts}/migratedstatefulset to {to[2]}\n"
        )
    assert clusters.source.get(StatefulSet, "migratedstatefulset", namespace=sts).spec.replicas == 0
    for verb, to in (("activate", ("1", "1", "3")), ("deactivate", ("0", "0", "0"))):
        assert storkctl.ok(verb, "migrations", "-a") == (
            f"Updated replicas for deployment {dep}/migrateddeployment to {to[0]}\n"
            f"Updated replicas for replicaset {rs}/migratedreplicaset to {to[1]}\n"
            f"Updated replicas for statefulset {sts}/migratedstatefulset to {to[2]}\n"
        )
    assert clusters.source.get(Deployment, "migrateddeployment", namespace=dep).spec.replicas == 0


def test_TestActivateDeactivateMigrationsAutoSuspend(
    clusters: Clusters, storkctl: Storkctl, namespaces: Callable[[str], str]
) -> None:
    dep, sts, admin = namespaces("dep"), namespaces("sts"), namespaces("adminns")
    migrated(clusters.source, "deployment", dep, "migrateddeployment", "1", admin)
    migrated(clusters.source, "statefulset", sts, "migratedstatefulset", "3", admin)
    for name, migrates in (("test-migrationschedule-1", dep), ("test-migrationschedule-2", sts)):
        schedule = {
            "apiVersion": API,
            "kind": "MigrationSchedule",
            "metadata": {
                "name": name,
                "namespace": admin,
                "annotations": {"stork.libopenstorage.org/static-copy": "true"},
            },
            "spec": {
                "schedulePolicyName": "default-migration-policy",
                "template": {"spec": {"clusterPair": "clusterPair1", "namespaces": [migrates]}},
            },
        }
        clusters.source.create(MigrationScheduleResource.from_dict(schedule))
    assert storkctl.ok("activate", "migrations", "-n", dep) == (
        f"Updated replicas for deployment {dep}/migrateddeployment to 1\n"
        f"Setting the ApplicationActivated status in the MigrationSchedule {admin}/test-migrationschedule-1 to true\n"
    )
    status = clusters.source.get(
        MigrationScheduleResource, "test-migrationschedule-1", namespace=admin
    ).get("status")
    assert status["applicationActivated"] is True
    assert not (
        clusters.source.get(
            MigrationScheduleResource, "test-migrationschedule-2", namespace=admin
        ).get("status")
        or {}
    ).get("applicationActivated")
    assert storkctl.ok("deactivate", "migrations", "-n", dep) == (
        f"Updated replicas for deployment {dep}/migrateddeployment to 0\n"
        f"Setting the ApplicationActivated status in the MigrationSchedule {admin}/test-migrationschedule-1 to false\n"
    )


class _Clock:
    """``time`` for ``--wait``: no real sleeping; ``on_sleep(n)`` runs at the n-th sleep."""

    def __init__(self, on_sleep: Callable[[int], None]) -> None:
        self.sleeps = 0
        self.on_sleep = on_sleep

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.on_sleep(self.sleeps)

    @staticmethod
    def monotonic() -> float:
        import time

        return time.monotonic()


@pytest.mark.parametrize(("failed", "last"), [(False, "completed successfully"), (True, "failed")])
def test_TestCreateMigrationWait(
    clusters: Clusters,
    storkctl: Storkctl,
    namespace: str,
    monkeypatch: pytest.MonkeyPatch,
    failed: bool,
    last: str,
) -> None:
    name, pair = "dummy-name", "dummy-clusterpair"

    def set_status(sleeps: int) -> None:  # Stork's setMigrationStatus, after the first look
        if sleeps != 2:
            return
        status = (
            clusters.source.get(MigrationResource, name, namespace=namespace).get("status") or {}
        )
        assert (status.get("stage") or "", status.get("status") or "") == ("", "")
        patch_status(
            clusters.source,
            MigrationResource,
            name,
            namespace,
            {"stage": "Volumes", "status": "Failed" if failed else "Successful"},
        )

    clock = _Clock(set_status)
    monkeypatch.setattr(migration_cmd, "time", clock)
    out = storkctl.ok(
        "create",
        "migrations",
        "-n",
        namespace,
        "-c",
        pair,
        "--namespaces",
        namespace,
        name,
        "--wait",
    )
    outcome = "Failed              " if failed else "Successful          "
    assert (
        out
        == f"STAGE\t\tSTATUS              \n\t\t                    \nVolumes\t\t{outcome}\nMigration {name} {last}\n"
    )
    assert clock.sleeps == 2  # stopped as soon as the status was final (the stage is not Final)


def test_wait_stops_on_partial_success_and_prints_each_change_once(
    clusters: Clusters, storkctl: Storkctl, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = {
        2: ("Applications", "InProgress"),
        3: ("Applications", "InProgress"),
        4: ("Final", "PartialSuccess"),
    }

    def advance(sleeps: int) -> None:
        if sleeps in steps:
            stage, status = steps[sleeps]
            patch_status(
                clusters.source,
                MigrationResource,
                "m",
                namespace,
                {"stage": stage, "status": status},
            )

    monkeypatch.setattr(migration_cmd, "time", _Clock(advance))
    out = storkctl.ok(
        "create", "migration", "m", "-n", namespace, "-c", "p", "--namespaces", namespace, "--wait"
    )
    assert out.splitlines() == [
        "STAGE\t\tSTATUS              ",
        "\t\t                    ",
        "Applications\t\tInProgress          ",
        "Final\t\tPartialSuccess      ",
        "Migration m completed successfully",
    ]


def test_dry_run_and_file_only_check(
    clusters: Clusters, storkctl: Storkctl, namespace: str, tmp_path: Any
) -> None:
    pair = {
        "apiVersion": API,
        "kind": "ClusterPair",
        "metadata": {"name": "p", "namespace": namespace},
        "spec": {"options": {}},
    }
    clusters.source.create(ClusterPairResource.from_dict(pair))
    patch_status(
        clusters.source,
        ClusterPairResource,
        "p",
        namespace,
        {"schedulerStatus": "Ready", "storageStatus": "NotProvided"},
    )
    # (--dry-run prints the same checks, then runs a dry-run Migration: test_dry_run.py.)
    checked = tmp_path / "checked.yaml"
    checked.write_text(
        yaml.safe_dump(
            {
                "apiVersion": API,
                "kind": "Migration",
                "metadata": {"name": "m"},
                "spec": {
                    "clusterPair": "p",
                    "namespaces": [namespace, "gone"],
                    "preExecRule": "r",
                },
            }
        )
    )
    out = storkctl.ok("create", "migration", "-n", namespace, "-f", str(checked))
    assert out == (
        "[Optional] Checking Migration Namespaces....Missing namespace gone\n"
        "[Required] Checking ClusterPair Status....NotReady\n"  # Stork wants storage Ready too
        "[Optional] Checking PreExec Rule....NotFound\n"
        "[Optional] Checking PostExec Rule....NotConfigured\n"
        "All Ready!!\n"
    )
    spec_file = tmp_path / "m.yaml"
    spec_file.write_text(
        yaml.safe_dump(
            {
                "apiVersion": API,
                "kind": "Migration",
                "metadata": {"name": "m"},
                "spec": {"clusterPair": "p", "namespaces": [namespace]},
            }
        )
    )
    assert (
        storkctl.ok("create", "migration", "-n", namespace, "-f", str(spec_file)).splitlines()[0]
        == "[Optional] Checking Migration Namespaces....Ok"
    )
    assert (
        list(clusters.source.list(MigrationResource, namespace=namespace)) == []
    )  # nothing created
    assert storkctl.fails("create", "migration", "-f", str(tmp_path / "none.yaml")) == (
        f"error: error opening file {tmp_path / 'none.yaml'}: open {tmp_path / 'none.yaml'}: no such file or directory"
    )
    no_pair = storkctl(
        "create",
        "migration",
        "x",
        "-n",
        namespace,
        "-c",
        "nopair",
        "--namespaces",
        "a",
        "--dry-run",
    )
    assert (no_pair.code, no_pair.error) == (
        1,
        'Error from server (NotFound): clusterpairs.stork.libopenstorage.org "nopair" not found',
    )


def test_watch_prints_again_on_every_change_until_interrupted(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    create_and_verify(storkctl, clusters.source, "first", namespace, "p", ["a"])
    env = {**os.environ, "KUBECONFIG": str(storkctl.kubeconfig), "TZ": "UTC"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stork.cli.storkctl_main",
            "get",
            "migrations",
            "-w",
            "-n",
            namespace,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Started as a script's background job is: with SIGINT ignored. Ctrl-C still ends it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    lines: list[str] = []
    out = proc.stdout
    assert out is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(out.readline, "")), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(line.startswith("first ") for line in lines), 60, "the first table")
        create_and_verify(storkctl, clusters.source, "second", namespace, "p", ["a"])
        wait_for(
            lambda: any(line.startswith("second ") for line in lines),
            60,
            "a table with the new migration",
        )
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    reader.join(timeout=10)
    assert code == 130
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()
    # printed again (its columns may be wider the second time)
    assert sum(1 for line in lines if line.startswith("NAME ")) >= 2
