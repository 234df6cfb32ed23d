"""Stork's ``pkg/storkctl/migrationschedule_test.go`` ported to the real sandbox (and ours).

Same commands, arguments, stdout, first stderr line and exit code as Stork's tests, ``TZ=UTC``.
Fresh namespaces replace Stork's ``default``, ``test``, ``namespace1``...; the admin namespace
is the real one (kube-system); cluster-scoped policies a test makes are removed afterwards.
Stork's tests write a pair's and a schedule's status with whole-object updates; here through
the status subresource.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
from lightkube import ApiError, Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from stork.cli.output import rfc822
from stork.kube.resources import (
    ClusterPairResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from tests.integration.conftest import Clusters
from tests.integration.storkctl_harness import (
    Storkctl,
    delete_quietly,
    patch_status,
    stored,
    tab,
)
from tests.integration.storkctl_harness import utc as utc  # the fixture, used by pytestmark
from tests.waiting import wait_for

pytestmark = pytest.mark.usefixtures("utc")
API = "stork.libopenstorage.org/v1alpha1"
ADMIN = "kube-system"
HEADERS = [
    "NAME",
    "POLICYNAME",
    "CLUSTERPAIR",
    "SUSPEND",
    "LAST-SUCCESS-TIME",
    "LAST-SUCCESS-DURATION",
]
HEADER_LINE = (
    "NAME{}POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME   LAST-SUCCESS-DURATION\n"
)


class Env:
    """Namespaces, pairs and cluster-scoped policies of one test; all removed afterwards."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.prefix = f"t-{uuid.uuid4().hex[:8]}"
        self.namespaces: list[str] = []
        self.policies: set[str] = set()
        self.admin_objects: list[tuple[Any, str]] = []

    def ns(self, suffix: str, labels: dict[str, str] | None = None) -> str:
        name = f"{self.prefix}-{suffix}"
        self.client.create(Namespace(metadata=ObjectMeta(name=name, labels=labels)))
        self.namespaces.append(name)
        return name

    def pair(self, name: str, namespace: str, mode: str) -> None:
        """Stork's ``createClusterPair``: async-dr pairs have storage options, sync-dr none."""
        options = {"backuplocation": "value1", "ip": "value2", "port": "value3", "token": "value4"}
        body = {
            "apiVersion": API,
            "kind": "ClusterPair",
            "metadata": {"name": name, "namespace": namespace},
        }
        try:
            self.client.create(
                ClusterPairResource.from_dict(
                    {**body, "spec": {"options": options if mode == "async-dr" else {}}}
                )
            )
        except ApiError as e:
            if e.status.code != 409:
                raise
        storage = "Ready" if mode == "async-dr" else "NotProvided"
        patch_status(
            self.client,
            ClusterPairResource,
            name,
            namespace,
            {"schedulerStatus": "Ready", "storageStatus": storage},
        )
        if namespace == ADMIN:
            self.admin_objects.append((ClusterPairResource, name))

    def policy(self, name: str, minutes: int) -> None:
        body = {
            "apiVersion": API,
            "kind": "SchedulePolicy",
            "metadata": {"name": name},
            "policy": {"interval": {"intervalMinutes": minutes}},
        }
        try:
            self.client.create(SchedulePolicyResource.from_dict(body))
        except ApiError as e:
            if e.status.code != 409:
                raise
        self.policies.add(name)

    def close(self) -> None:
        for resource, name in self.admin_objects:
            delete_quietly(self.client, resource, name, ADMIN)
        for name in self.policies:
            delete_quietly(self.client, SchedulePolicyResource, name)
        for name in self.namespaces:
            delete_quietly(self.client, Namespace, name)


@pytest.fixture
def env(clusters: Clusters) -> Iterator[Env]:
    made = Env(clusters.source)
    yield made
    made.close()


@pytest.fixture
def storkctl(clusters: Clusters) -> Storkctl:
    return Storkctl(clusters.kubeconfig("source"))


def create_and_verify(
    storkctl: Storkctl,
    env: Env,
    name: str,
    policy: str,
    namespace: str,
    pair: str,
    namespaces: list[str],
    pre: str = "",
    post: str = "",
    suspend: bool = True,
) -> dict[str, Any]:
    """Stork's ``createMigrationScheduleAndVerify``."""
    args = [
        "create",
        "migrationschedules",
        "-s",
        policy,
        "-n",
        namespace,
        "-c",
        pair,
        "--namespaces",
        ",".join(namespaces),
        name,
        f"--suspend={str(suspend).lower()}",
    ]
    if pre:
        args += ["--pre-exec-rule", pre]
    if post:
        args += ["--post-exec-rule", post]
    env.policy(policy, 1)
    env.pair(pair, namespace, "async-dr")
    assert storkctl.ok(*args) == f"MigrationSchedule {name} created successfully\n"
    schedule = dict(env.client.get(MigrationScheduleResource, name, namespace=namespace))
    spec = schedule["spec"]["template"]["spec"]
    assert (schedule["metadata"]["name"], schedule["metadata"]["namespace"]) == (name, namespace)
    assert (spec["clusterPair"], spec["namespaces"]) == (pair, namespaces)
    assert (spec["preExecRule"], spec["postExecRule"]) == (pre, post)
    assert spec["includeVolumes"] is True
    if namespace == ADMIN:
        env.admin_objects.append((MigrationScheduleResource, name))
    return schedule


def test_TestGetMigrationSchedulesNoMigrationSchedule(storkctl: Storkctl, namespace: str) -> None:
    assert storkctl.ok("get", "migrationschedules", "-n", namespace) == "No resources found.\n"


def test_TestGetMigrationSchedulesOneMigrationSchedule(storkctl: Storkctl, env: Env) -> None:
    test = env.ns("test")
    create_and_verify(
        storkctl,
        env,
        "getmigrationscheduletest",
        "testpolicy",
        test,
        "clusterpair1",
        [test],
        "preExec",
        "postExec",
        True,
    )
    assert storkctl.ok("get", "migrationschedules", "-n", test) == (
        "NAME                       POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME   LAST-SUCCESS-DURATION\n"
        "getmigrationscheduletest   testpolicy   clusterpair1   true                          \n"
    )


def test_TestGetMigrationSchedulesMultiple(storkctl: Storkctl, env: Env) -> None:
    default = env.ns("default")
    create_and_verify(
        storkctl, env, "getmigrationscheduletest1", "testpolicy", default, "clusterpair1", [default]
    )
    create_and_verify(
        storkctl, env, "getmigrationscheduletest2", "testpolicy", default, "clusterpair2", [default]
    )
    both = (
        "NAME                        POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME   LAST-SUCCESS-DURATION\n"
        "getmigrationscheduletest1   testpolicy   clusterpair1   true                          \n"
        "getmigrationscheduletest2   testpolicy   clusterpair2   true                          \n"
    )
    assert (
        storkctl.ok(
            "get",
            "migrationschedules",
            "getmigrationscheduletest1",
            "getmigrationscheduletest2",
            "-n",
            default,
        )
        == both
    )
    assert storkctl.ok("get", "migrationschedules", "-n", default) == both
    assert storkctl.ok("get", "migrationschedules", "getmigrationscheduletest1", "-n", default) == (
        "NAME                        POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME   LAST-SUCCESS-DURATION\n"
        "getmigrationscheduletest1   testpolicy   clusterpair1   true                          \n"
    )


def test_TestGetMigrationSchedulesMultipleNamespaces(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    test1, test2 = env.ns("test1"), env.ns("test2")
    create_and_verify(
        storkctl, env, "getmigrationscheduletest1", "testpolicy", test1, "clusterpair1", [test1]
    )
    create_and_verify(
        storkctl, env, "getmigrationscheduletest2", "testpolicy", test2, "clusterpair2", [test2]
    )
    assert storkctl.ok("get", "migrationschedules", "-n", test1) == (
        "NAME                        POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME   LAST-SUCCESS-DURATION\n"
        "getmigrationscheduletest1   testpolicy   clusterpair1   true                          \n"
    )
    wait_for(
        lambda: (
            {
                s["metadata"]["namespace"]
                for s in clusters.source.list(MigrationScheduleResource, namespace="*")
            }
            <= {test1, test2}
        ),
        60,
        "other tests' MigrationSchedules to be gone",
    )
    assert storkctl.ok("get", "migrationschedules", "--all-namespaces") == tab(
        ["NAMESPACE", *HEADERS],
        [
            [test1, "getmigrationscheduletest1", "testpolicy", "clusterpair1", "true", "", ""],
            [test2, "getmigrationscheduletest2", "testpolicy", "clusterpair2", "true", "", ""],
        ],
    )


def test_TestGetMigrationSchedulesWithClusterPair(storkctl: Storkctl, env: Env) -> None:
    default = env.ns("default")
    create_and_verify(
        storkctl, env, "getmigrationscheduletest1", "testpolicy", default, "clusterpair1", [default]
    )
    create_and_verify(
        storkctl, env, "getmigrationscheduletest2", "testpolicy", default, "clusterpair2", [default]
    )
    assert storkctl.ok("get", "migrationschedules", "-c", "clusterpair1", "-n", default) == (
        "NAME                        POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME   LAST-SUCCESS-DURATION\n"
        "getmigrationscheduletest1   testpolicy   clusterpair1   true                          \n"
    )


def _at(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_TestGetMigrationSchedulesWithStatus(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    default = env.ns("default")
    create_and_verify(
        storkctl,
        env,
        "getmigrationschedulestatustest",
        "testpolicy",
        default,
        "clusterpair1",
        [default],
    )
    items: dict[str, list[dict[str, Any]]] = {}
    for step, policy_type in enumerate(("Daily", "Weekly", "Monthly")):
        now = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=step)
        finish = now + dt.timedelta(minutes=5)
        items[policy_type] = [
            {
                "name": f"{policy_type.lower()}migration",
                "creationTimestamp": _at(now),
                "finishTimestamp": _at(finish),
                "status": "Successful",
            }
        ]
        patch_status(
            clusters.source,
            MigrationScheduleResource,
            "getmigrationschedulestatustest",
            default,
            {"items": items},
        )
        assert storkctl.ok(
            "get", "migrationschedules", "getmigrationschedulestatustest", "-n", default
        ) == (
            "NAME                             POLICYNAME   CLUSTERPAIR    SUSPEND   LAST-SUCCESS-TIME     LAST-SUCCESS-DURATION\n"
            f"getmigrationschedulestatustest   testpolicy   clusterpair1   true      {rfc822(finish)}   5m0s\n"
        )


def test_last_success_is_the_latest_successful_of_any_type(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    default = env.ns("default")
    create_and_verify(storkctl, env, "s", "testpolicy", default, "clusterpair1", [default])
    start = dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC)
    items = {
        "Interval": [
            {
                "name": "a",
                "creationTimestamp": _at(start),
                "finishTimestamp": _at(start + dt.timedelta(seconds=90)),
                "status": "Successful",
            },
            {
                "name": "b",
                "creationTimestamp": _at(start + dt.timedelta(hours=2)),
                "finishTimestamp": _at(start + dt.timedelta(hours=3)),
                "status": "PartialSuccess",
            },
            {
                "name": "c",
                "creationTimestamp": _at(start + dt.timedelta(hours=4)),
                "finishTimestamp": None,
                "status": "InProgress",
            },
        ]
    }
    patch_status(clusters.source, MigrationScheduleResource, "s", default, {"items": items})
    assert storkctl.ok("get", "migrationschedule", "s", "-n", default) == tab(
        HEADERS, [["s", "testpolicy", "clusterpair1", "true", "01 Jan 26 10:01 UTC", "1m30s"]]
    )


def test_TestCreateMigrationSchedulesNoNamespace(storkctl: Storkctl, env: Env) -> None:
    default = env.ns("default")
    env.pair("clusterpair1", default, "async-dr")
    assert storkctl.fails(
        "create", "migrationschedules", "-c", "clusterpair1", "migration1", "-n", default
    ) == (
        "error: no valid namespace found based on the provided --namespaces and --namespace-selectors"
    )


def test_TestCreateMigrationSchedulesInvalidClusterPair(storkctl: Storkctl, namespace: str) -> None:
    assert storkctl.fails(
        "create", "migrationschedule", "-c", "clusterpair1", "migration1", "-n", namespace
    ) == ("error: unable to find the cluster pair in the given namespace")


def test_TestCreateMigrationSchedulesInvalidAdminClusterPair(storkctl: Storkctl, env: Env) -> None:
    namespace1 = env.ns("namespace1")
    env.pair("clusterpair1", namespace1, "sync-dr")
    assert (
        storkctl.fails(
            "create",
            "migrationschedules",
            "-c",
            "clusterpair1",
            "--admin-cluster-pair",
            "adminclusterpair",
            "--namespaces",
            namespace1,
            "createmigrationschedule",
            "-n",
            namespace1,
        )
        == "error: unable to find the admin cluster pair in the admin namespace"
    )


def test_TestCreateMigrationSchedules(storkctl: Storkctl, env: Env) -> None:
    default = env.ns("default")
    create_and_verify(
        storkctl, env, "createmigration", "testpolicy", default, "clusterpair1", [default]
    )


def test_TestCreateMigrationScheduleWithNamespaceSelector(storkctl: Storkctl, env: Env) -> None:
    label = uuid.uuid4().hex  # Stork's key=value, unique to this test on a shared cluster
    test_ns = env.ns("test-ns", {"key": label})
    env.pair("clusterpair1", test_ns, "async-dr")
    env.policies.add("ms")
    assert storkctl.ok(
        "create",
        "migrationschedules",
        "-c",
        "clusterpair1",
        "-i",
        "15",
        "--namespace-selectors",
        f"key={label}",
        "-n",
        test_ns,
        "ms",
    ) == ("MigrationSchedule ms created successfully\n")
    spec = env.client.get(MigrationScheduleResource, "ms", namespace=test_ns)["spec"]["template"][
        "spec"
    ]
    assert (spec["namespaces"], spec["namespaceSelectors"]) == (None, {"key": label})


def test_TestCreateMigrationScheduleSyncDrExcludeVolumesFalse(storkctl: Storkctl, env: Env) -> None:
    namespace1 = env.ns("namespace1")
    env.pair("clusterpair1", namespace1, "sync-dr")
    assert (
        storkctl.fails(
            "create",
            "migrationschedules",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--namespaces",
            namespace1,
            "--annotations",
            "key1=value1",
            "createmigrationschedule",
            "-n",
            namespace1,
            "--exclude-volumes=false",
        )
        == "error: --exclude-volumes can only be set to true if it is a sync-dr use case or when storage options are not provided in the cluster pair"
    )


def test_TestCreateMigrationScheduleWithIntervalAndVerify(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    namespace1 = env.ns("namespace1")
    name = f"createmigrationschedule-{env.prefix}"
    env.pair("clusterpair1", namespace1, "sync-dr")
    env.pair("adminclusterpair", ADMIN, "async-dr")  # in the admin namespace
    env.policies.add(name)
    assert (
        storkctl.ok(
            "create",
            "migrationschedules",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--admin-cluster-pair",
            "adminclusterpair",
            "--namespaces",
            namespace1,
            "--annotations",
            "key1=value1",
            name,
            "-n",
            namespace1,
        )
        == f"MigrationSchedule {name} created successfully\n"
    )
    schedule = stored(clusters.source, MigrationScheduleResource, name, namespace1)
    policy = clusters.source.get(SchedulePolicyResource, name)
    assert schedule["spec"]["template"]["spec"]["namespaces"] == [namespace1]
    assert schedule["spec"]["template"]["spec"]["includeVolumes"] is False  # sync-dr's default
    assert policy["policy"]["interval"] == {"intervalMinutes": 15, "retain": 10, "options": None}
    assert schedule["metadata"]["annotations"] == {"key1": "value1"}
    assert schedule["spec"]["autoSuspend"] is True
    # Stored exactly as what Stork's storkctl sends is stored, field by field.
    stork_body = {
        "apiVersion": API,
        "kind": "MigrationSchedule",
        "metadata": {
            "name": "stork-body",
            "namespace": namespace1,
            "annotations": {"key1": "value1"},
            "creationTimestamp": None,
        },
        "spec": {
            "template": {
                "spec": {
                    "clusterPair": "clusterpair1",
                    "adminClusterPair": "adminclusterpair",
                    "namespaces": [namespace1],
                    "namespaceSelectors": None,
                    "includeResources": True,
                    "includeVolumes": False,
                    "startApplications": False,
                    "purgeDeletedResources": False,
                    "skipServiceUpdate": False,
                    "includeNetworkPolicyWithCIDR": False,
                    "selectors": None,
                    "excludeSelectors": None,
                    "preExecRule": "",
                    "postExecRule": "",
                    "includeOptionalResourceTypes": None,
                    "skipDeletedNamespaces": True,
                    "transformSpecs": None,
                    "ignoreOwnerReferencesCheck": False,
                    "excludeResourceTypes": None,
                }
            },
            "schedulePolicyName": name,
            "suspend": False,
            "autoSuspend": True,
        },
        "status": {"items": None, "applicationActivated": False},
    }
    clusters.source.create(MigrationScheduleResource.from_dict(stork_body))
    reference = stored(clusters.source, MigrationScheduleResource, "stork-body", namespace1)
    assert schedule["spec"] == reference["spec"] == stork_body["spec"]
    assert schedule.get("status") == reference.get("status")


def test_TestCreateMigrationScheduleWithBothIntervalAndPolicyName(
    storkctl: Storkctl, env: Env
) -> None:
    namespace1 = env.ns("namespace1")
    env.pair("clusterpair1", namespace1, "async-dr")
    assert (
        storkctl.fails(
            "create",
            "migrationschedules",
            "-i",
            "15",
            "-s",
            "test-policy",
            "-c",
            "clusterpair1",
            "--namespaces",
            namespace1,
            "migrationschedule",
            "-n",
            namespace1,
        )
        == "error: must provide only one of schedule-policy-name or interval values"
    )


def test_TestCreateMigrationScheduleWithInvalidNamespaces(storkctl: Storkctl, env: Env) -> None:
    label = uuid.uuid4().hex
    env.ns("test-ns", {"key": label})
    namespace1 = env.ns("namespace1")
    env.pair("clusterpair1", namespace1, "async-dr")
    assert (
        storkctl.fails(
            "create",
            "migrationschedules",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--namespaces",
            namespace1,
            "--namespace-selectors",
            f"key={label}",
            "migrationschedule",
            "-n",
            namespace1,
        )
        == "error: migration namespaces should only contain the current namespace"
    )


def test_TestCreateMigrationScheduleInAdminNamespace(storkctl: Storkctl, env: Env) -> None:
    label = uuid.uuid4().hex
    env.ns("test-ns", {"key": label})
    env.pair("clusterpair1", ADMIN, "async-dr")
    name = f"migrationschedule-{env.prefix}"
    env.policies.add(name)
    env.admin_objects.append((MigrationScheduleResource, name))
    assert (
        storkctl.ok(
            "create",
            "migrationschedules",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--namespaces",
            "namespace1",
            "--namespace-selectors",
            f"key={label}",
            name,
            "-n",
            ADMIN,
        )
        == f"MigrationSchedule {name} created successfully\n"
    )


TransformResource = create_namespaced_resource(
    "stork.libopenstorage.org", "v1alpha1", "ResourceTransformation", "resourcetransformations"
)


@pytest.fixture(scope="module")
def transformations(clusters: Clusters) -> Iterator[Callable[[str, str, str], None]]:
    """Stork's ``createResourceTransformation`` (with a CRD of our own, for this module, if the
    project's is not installed yet)."""
    from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

    from tests.integration.test_storkctl_schedulepolicy import _schedule_crd

    crd = "resourcetransformations.stork.libopenstorage.org"

    def present() -> Any:
        try:
            return clusters.source.get(CustomResourceDefinition, crd)
        except ApiError:
            return None

    wait_for(
        lambda: not (present() and present().metadata.deletionTimestamp), 60, "a CRD being deleted"
    )
    ours = present() is None
    if ours:
        clusters.source.create(_schedule_crd("ResourceTransformation", "resourcetransformations"))

    def make(name: str, namespace: str, state: str) -> None:
        body = {
            "apiVersion": API,
            "kind": "ResourceTransformation",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "objects": [
                    {
                        "resource": "/v1/Service",
                        "paths": [{"path": "spec.type", "value": "LoadBalancer", "type": "string"}],
                    }
                ]
            },
            "status": {"status": state},
        }
        wait_for(lambda: _create(clusters.source, body), 30, "the ResourceTransformation")
        got = dict(clusters.source.get(TransformResource, name, namespace=namespace))
        if (got.get("status") or {}).get("status") != state:  # a CRD with a status subresource
            patch_status(clusters.source, TransformResource, name, namespace, {"status": state})

    yield make
    if ours:
        delete_quietly(clusters.source, CustomResourceDefinition, crd)


def _create(client: Client, body: dict[str, Any]) -> bool:
    try:
        client.create(TransformResource.from_dict(body))
    except httpx2.HTTPStatusError as e:
        if e.response.status_code in (404, 503):  # the new CRD not served yet
            return False
        raise
    return True


def test_TestCreateMigrationScheduleWithMissingTransformSpec(
    storkctl: Storkctl, env: Env, transformations: Callable[[str, str, str], None]
) -> None:
    namespace1 = env.ns("namespace1")
    env.pair("clusterpair1", namespace1, "async-dr")
    assert (
        storkctl.fails(
            "create",
            "migrationschedule",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--namespaces",
            namespace1,
            "migrationschedule",
            "-n",
            namespace1,
            "--transform-spec",
            "test-rt",
        )
        == f'error: unable to retrieve transformation {namespace1}/test-rt, err: resourcetransformations.stork.libopenstorage.org "test-rt" not found'
    )


def test_TestCreateMigrationScheduleWithInvalidTransformSpec(
    clusters: Clusters,
    storkctl: Storkctl,
    env: Env,
    transformations: Callable[[str, str, str], None],
) -> None:
    default = env.ns("default")
    env.pair("clusterpair1", default, "async-dr")
    transformations("test-rt", default, "Failed")
    name = f"migrationschedule-{env.prefix}"
    env.policies.add(name)
    assert (
        storkctl.fails(
            "create",
            "migrationschedule",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--namespaces",
            default,
            name,
            "--transform-spec",
            "test-rt",
            "-n",
            default,
        )
        == f"error: transformation {default}/test-rt is not in ready state, state: Failed"
    )
    with pytest.raises(ApiError):  # the policy was not created since validations failed
        clusters.source.get(SchedulePolicyResource, name)


def test_TestCreateMigrationScheduleWithValidTransformSpec(
    clusters: Clusters,
    storkctl: Storkctl,
    env: Env,
    transformations: Callable[[str, str, str], None],
) -> None:
    default = env.ns("default")
    env.pair("clusterpair1", default, "async-dr")
    transformations("test-rt", default, "Ready")
    name = f"migrationschedule-{env.prefix}"
    env.policies.add(name)
    assert (
        storkctl.ok(
            "create",
            "migrationschedule",
            "-i",
            "15",
            "-c",
            "clusterpair1",
            "--namespaces",
            default,
            name,
            "--transform-spec",
            "test-rt",
            "-n",
            default,
        )
        == f"MigrationSchedule {name} created successfully\n"
    )
    spec = clusters.source.get(MigrationScheduleResource, name, namespace=default)["spec"][
        "template"
    ]["spec"]
    assert spec["transformSpecs"] == ["test-rt"]


def test_TestCreateMigrationScheduleWithInvalidInterval(storkctl: Storkctl, env: Env) -> None:
    namespace1 = env.ns("namespace1")
    env.pair("clusterpair1", namespace1, "async-dr")
    assert (
        storkctl.fails(
            "create",
            "migrationschedules",
            "-i",
            "-15",
            "-c",
            "clusterpair1",
            "--namespaces",
            namespace1,
            "migrationschedule",
            "-n",
            namespace1,
        )
        == "error: could not create a schedule policy with specified interval: Invalid intervalMinutes (-15) in Interval policy"
    )


def test_TestCreateDuplicateMigrationSchedules(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    default = env.ns("default")
    name = f"createmigrationschedule-{env.prefix}"
    create_and_verify(storkctl, env, name, "testpolicy", default, "clusterpair1", [default])
    env.policies.add(name)
    assert storkctl.fails(
        "create",
        "migrationschedules",
        "-c",
        "clusterpair1",
        "--namespaces",
        default,
        "-i",
        "5",
        name,
        "-n",
        default,
    ) == (
        f'Error from server (AlreadyExists): migrationschedules.stork.libopenstorage.org "{name}" already exists'
    )
    with pytest.raises(ApiError):  # the custom policy was not created on the second try
        clusters.source.get(SchedulePolicyResource, name)


def test_TestMigrationScheduleWithInvalidSchedulePolicy(storkctl: Storkctl, env: Env) -> None:
    test = env.ns("test")
    env.pair("clusterpair1", test, "async-dr")
    policy = f"migrate-every-5m-{env.prefix}"
    args = [
        "create",
        "migrationschedules",
        "migrationschedule",
        "-c",
        "clusterpair1",
        "--namespaces",
        test,
        "-n",
        test,
        "--schedule-policy-name",
        policy,
    ]
    assert (
        storkctl.fails(*args)
        == f'error: unable to get schedulepolicy {policy}: schedulepolicies.stork.libopenstorage.org "{policy}" not found'
    )
    env.policy(policy, 5)
    assert storkctl.ok(*args) == "MigrationSchedule migrationschedule created successfully\n"


def test_TestMigrationScheduleWithDefaultSchedulePolicy(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    test = env.ns("test")
    env.pair("clusterpair1", test, "async-dr")
    assert storkctl.ok(
        "create",
        "migrationschedules",
        "migrationschedule",
        "-c",
        "clusterpair1",
        "--namespaces",
        test,
        "-n",
        test,
    ) == ("MigrationSchedule migrationschedule created successfully\n")
    assert (
        clusters.source.get(MigrationScheduleResource, "migrationschedule", namespace=test)["spec"][
            "schedulePolicyName"
        ]
        == "default-migration-policy"
    )
    assert (
        clusters.source.get(SchedulePolicyResource, "default-migration-policy")["policy"][
            "interval"
        ]["intervalMinutes"]
        > 0
    )


def test_TestDeleteMigrationSchedulesNoMigration(storkctl: Storkctl, namespace: str) -> None:
    assert (
        storkctl.ok("delete", "migrationschedules", "-c", "migration1", "-n", namespace)
        == "No resources found.\n"
    )


def test_TestDeleteMigrationSchedules(clusters: Clusters, storkctl: Storkctl, env: Env) -> None:
    default = env.ns("default")

    def make(name: str, pair: str, suspend: bool = True) -> None:
        create_and_verify(
            storkctl, env, name, "testpolicy", default, pair, [default], suspend=suspend
        )

    make("deletemigration", "clusterpair1", False)
    assert (
        storkctl.ok("delete", "migrationschedules", "deletemigration", "-n", default)
        == "MigrationSchedule deletemigration deleted successfully\n"
    )
    assert storkctl.fails("delete", "migrationschedules", "deletemigration", "-n", default) == (
        'Error from server (NotFound): migrationschedules.stork.libopenstorage.org "deletemigration" not found'
    )
    make("deletemigration1", "clusterpair1")
    make("deletemigration2", "clusterpair2")
    assert storkctl.ok(
        "delete", "migrationschedules", "deletemigration1", "deletemigration2", "-n", default
    ) == (
        "MigrationSchedule deletemigration1 deleted successfully\nMigrationSchedule deletemigration2 deleted successfully\n"
    )
    make("deletemigration1", "clusterpair1")
    make("deletemigration2", "clusterpair1")
    assert storkctl.ok("delete", "migrationschedules", "-c", "clusterpair1", "-n", default) == (
        "MigrationSchedule deletemigration1 deleted successfully\nMigrationSchedule deletemigration2 deleted successfully\n"
    )
    assert list(clusters.source.list(MigrationScheduleResource, namespace=default)) == []


def test_TestSuspendResumeMigrationSchedule(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    name, name1, namespace = "testmigrationschedule", "testmigrationschedule-2", env.ns("default")

    def suspended(which: str) -> bool:
        return bool(
            clusters.source.get(MigrationScheduleResource, which, namespace=namespace)["spec"][
                "suspend"
            ]
        )

    create_and_verify(
        storkctl, env, name, "testpolicy", namespace, "clusterpair1", [namespace], suspend=False
    )
    assert (
        storkctl.ok("suspend", "migrationschedules", name, "-n", namespace)
        == f"MigrationSchedule {name} suspended successfully\n"
    )
    assert suspended(name)
    assert (
        storkctl.ok("resume", "migrationschedules", name, "-n", namespace)
        == f"MigrationSchedule {name} resumed successfully\n"
    )
    assert not suspended(name)
    assert (
        storkctl.ok("suspend", "migrationschedules", "-c", "clusterpair1", "-n", namespace)
        == f"MigrationSchedule {name} suspended successfully\n"
    )
    assert suspended(name)
    assert (
        storkctl.ok("resume", "migrationschedules", "-c", "clusterpair1", "-n", namespace)
        == f"MigrationSchedule {name} resumed successfully\n"
    )
    assert not suspended(name)
    missing = 'Error from server (NotFound): migrationschedules.stork.libopenstorage.org "invalidschedule" not found'
    assert (
        storkctl.fails("suspend", "migrationschedules", "invalidschedule", "-n", namespace)
        == missing
    )
    assert (
        storkctl.fails("resume", "migrationschedules", "invalidschedule", "-n", namespace)
        == missing
    )
    create_and_verify(
        storkctl, env, name1, "testpolicy", namespace, "clusterpair1", [namespace], suspend=False
    )
    assert storkctl.ok("suspend", "migrationschedules", "-c", "clusterpair1", "-n", namespace) == (
        f"MigrationSchedule {name} suspended successfully\nMigrationSchedule {name1} suspended successfully\n"
    )
    assert storkctl.ok("resume", "migrationschedules", "-c", "clusterpair1", "-n", namespace) == (
        f"MigrationSchedule {name} resumed successfully\nMigrationSchedule {name1} resumed successfully\n"
    )
    assert (
        storkctl.ok("suspend", "migrationschedules", "-c", "nopair", "-n", namespace)
        == "No resources found.\n"
    )
    assert not suspended(name1)


def test_every_flag_stored_as_stork_stores_it(
    clusters: Clusters, storkctl: Storkctl, env: Env
) -> None:
    ns = env.ns("all")
    env.pair("clusterpair1", ns, "async-dr")
    env.policy("testpolicy", 1)
    args = [
        "create",
        "migrationschedule",
        "all",
        "-n",
        ns,
        "-c",
        "clusterpair1",
        "-s",
        "testpolicy",
        "--namespaces",
        ns,
        "--exclude-resources=false",
        "--exclude-volumes",
        "-a",
        "--ignore-owner-references-check",
        "--purge-deleted-resources=true",
        "--skip-service-update",
        "--include-network-policy-with-cidr",
        "--disable-skip-deleted-namespaces",
        "--pre-exec-rule",
        "pre",
        "--post-exec-rule",
        "post",
        "--suspend=false",
        "--disable-auto-suspend",
        "--annotations",
        "a=1,b=2",
        "--include-jobs",
        "--selectors",
        "app=web",
        "--exclude-selectors",
        "skip=yes",
        "--exclude-resource-types",
        "deploy,PersistentVolumeClaim",
        "--exclude-resource-types",
        "cm",
    ]
    assert storkctl.ok(*args) == "MigrationSchedule all created successfully\n"
    schedule = stored(clusters.source, MigrationScheduleResource, "all", ns)
    assert schedule["metadata"]["annotations"] == {"a": "1", "b": "2"}
    assert (schedule["spec"]["suspend"], schedule["spec"]["autoSuspend"]) == (False, False)
    assert schedule["spec"]["template"]["spec"] == {
        "clusterPair": "clusterpair1",
        "adminClusterPair": "",
        "namespaces": [ns],
        "namespaceSelectors": None,
        "includeResources": True,
        "includeVolumes": False,
        "startApplications": True,
        "purgeDeletedResources": True,
        "skipServiceUpdate": True,
        "includeNetworkPolicyWithCIDR": True,
        "selectors": {"app": "web"},
        "excludeSelectors": {"skip": "yes"},
        "preExecRule": "pre",
        "postExecRule": "post",
        "includeOptionalResourceTypes": ["Job"],
        "skipDeletedNamespaces": False,
        "transformSpecs": None,
        "ignoreOwnerReferencesCheck": True,
        "excludeResourceTypes": ["Deployment", "PersistentVolumeClaim", "ConfigMap"],  # Kinds
    }
    assert storkctl.fails(*args[:9], "--exclude-resource-types", "bogus", "--namespaces", ns) == (
        "error: error getting k8s resource type for input resourcetype: bogus"
    )
