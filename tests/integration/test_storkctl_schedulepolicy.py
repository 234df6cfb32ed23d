"""Stork's ``pkg/storkctl/schedulepolicy_test.go`` ported to the real sandbox (and ours).

Each ``test_`` named after a Stork test runs the same commands with the same arguments and
expects the same stdout, CheckErr line and exit code, with ``TZ=UTC``. Differences forced by
a real API server: policies Stork's tests update in place are patched here; names are Stork's
(cluster-scoped, so removed before and after each test).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest
import yaml
from lightkube import ApiError, Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.apiextensions_v1 import (
    CustomResourceDefinitionNames,
    CustomResourceDefinitionSpec,
    CustomResourceDefinitionVersion,
    CustomResourceValidation,
    JSONSchemaProps,
)
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

from stork.kube.resources import MigrationScheduleResource, SchedulePolicyResource
from tests.integration.conftest import Clusters
from tests.integration.storkctl_harness import Storkctl, delete_quietly, stored
from tests.integration.storkctl_harness import utc as utc  # the fixture, used by pytestmark
from tests.waiting import wait_for

pytestmark = pytest.mark.usefixtures("utc")
API = "stork.libopenstorage.org/v1alpha1"
HEADER = "NAME{}   INTERVAL-MINUTES   DAILY{}   WEEKLY{}   MONTHLY\n"
STORK_NAMES = (
    "testpolicy",
    "testpolicy1",
    "intervalpolicy",
    "dailypolicy",
    "weeklypolicy",
    "monthlypolicy",
    "test-policy",
    "test-delete-schedule-policy",
    "monthly-policy",
    "weekly-policy",
    "stork-body-policy",
)


@pytest.fixture
def storkctl(clusters: Clusters) -> Iterator[Storkctl]:
    """storkctl on the source; Stork's policy names free before and after the test."""
    for name in STORK_NAMES:
        delete_quietly(clusters.source, SchedulePolicyResource, name)
    yield Storkctl(clusters.kubeconfig("source"))
    for name in STORK_NAMES:
        delete_quietly(clusters.source, SchedulePolicyResource, name)


def policy(client: Client, name: str, body: dict[str, Any] | None = None) -> None:
    """Create a policy as Stork's tests do with the typed client."""
    obj = {"apiVersion": API, "kind": "SchedulePolicy", "metadata": {"name": name}}
    client.create(SchedulePolicyResource.from_dict({**obj, "policy": body or {}}))


def test_TestNoSchedulePolicy(clusters: Clusters, storkctl: Storkctl) -> None:
    # `get schedulepolicy` lists the whole cluster: the policies other tests left are set
    # aside for the moment and put back afterwards.
    kept = [dict(p) for p in clusters.source.list(SchedulePolicyResource)]
    for p in kept:
        delete_quietly(clusters.source, SchedulePolicyResource, p["metadata"]["name"])
    wait_for(lambda: not list(clusters.source.list(SchedulePolicyResource)), 30, "no policies")
    try:
        assert storkctl.ok("get", "schedulepolicy") == "No resources found.\n"
        assert storkctl.ok("get", "schedulepolicy", "-o", "yaml") == "No resources found.\n"
    finally:
        for p in kept:
            meta = {"name": p["metadata"]["name"], "labels": p["metadata"].get("labels")}
            restored = {**copy.deepcopy(p), "metadata": {k: v for k, v in meta.items() if v}}
            clusters.source.create(SchedulePolicyResource.from_dict(restored))


def test_TestSchedulePolicyNotFound(clusters: Clusters, storkctl: Storkctl) -> None:
    missing = 'Error from server (NotFound): schedulepolicies.stork.libopenstorage.org "testpolicy" not found'
    assert storkctl.fails("get", "schedulepolicy", "testpolicy") == missing
    policy(clusters.source, "testpolicy1")
    assert storkctl.fails("get", "schedulepolicy", "testpolicy") == missing
    assert storkctl.ok("get", "schedulepolicy", "testpolicy1") == (
        "NAME          INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
        "testpolicy1   N/A                N/A     N/A      N/A\n"
    )


def _refused(client: Client, name: str, body: dict[str, Any]) -> None:
    """Our CRD's schema refuses what Stork's tests store to see ``Invalid`` in the table (the
    table's ``Invalid`` cells are checked without a cluster, in tests/unit/cli)."""
    with pytest.raises(ApiError) as e:
        policy(client, name, body)
    assert e.value.status.code == 422


def test_TestIntervalSchedulePolicy(clusters: Clusters, storkctl: Storkctl) -> None:
    _refused(clusters.source, "intervalpolicy", {"interval": {"intervalMinutes": -1}})
    policy(clusters.source, "intervalpolicy", {"interval": {"intervalMinutes": 60}})
    assert storkctl.ok("get", "schedulepolicy", "intervalpolicy") == (
        "NAME             INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
        "intervalpolicy   60                 N/A     N/A      N/A\n"
    )


def test_TestDailySchedulePolicy(clusters: Clusters, storkctl: Storkctl) -> None:
    _refused(clusters.source, "dailypolicy", {"daily": {"time": "13:15pm"}})
    _refused(clusters.source, "dailypolicy", {"daily": {"time": "1215"}})  # 24-hour: invalid too
    policy(clusters.source, "dailypolicy", {"daily": {"time": "12:15pm"}})
    assert storkctl.ok("get", "schedulepolicy", "dailypolicy") == (
        "NAME          INTERVAL-MINUTES   DAILY     WEEKLY   MONTHLY\n"
        "dailypolicy   N/A                12:15pm   N/A      N/A\n"
    )


def test_TestWeeklySchedulePolicy(clusters: Clusters, storkctl: Storkctl) -> None:
    _refused(clusters.source, "weeklypolicy", {"weekly": {"day": "Weekday", "time": "12:15pm"}})
    _refused(clusters.source, "weeklypolicy", {"weekly": {"day": "Sun", "time": "1215"}})
    policy(clusters.source, "weeklypolicy", {"weekly": {"day": "Sun", "time": "12:15pm"}})
    assert storkctl.ok("get", "schedulepolicy", "weeklypolicy") == (
        "NAME           INTERVAL-MINUTES   DAILY   WEEKLY        MONTHLY\n"
        "weeklypolicy   N/A                N/A     Sun@12:15pm   N/A\n"
    )


def test_TestMonthlySchedulePolicy(clusters: Clusters, storkctl: Storkctl) -> None:
    _refused(clusters.source, "monthlypolicy", {"monthly": {"date": 35, "time": "12:15pm"}})
    _refused(clusters.source, "monthlypolicy", {"monthly": {"date": 15, "time": "1215"}})
    policy(clusters.source, "monthlypolicy", {"monthly": {"date": 15, "time": "12:15pm"}})
    assert storkctl.ok("get", "schedulepolicy", "monthlypolicy") == (
        "NAME            INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n"
        "monthlypolicy   N/A                N/A     N/A      15@12:15pm\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["create", "schedulepolicy"],
            "error: exactly one name needs to be provided for schedule policy name",
        ),
        (
            ["create", "schedulepolicy", "test-policy", "-t", "Invalid"],
            "error: need to provide a valid schedule policy type. Valid schedule types are Interval, Daily, Weekly and Monthly",
        ),
        (
            [
                "create",
                "schedulepolicy",
                "test-policy",
                "-t",
                "Interval",
                "--interval-minutes",
                "0",
            ],
            "error: Invalid intervalMinutes (0) in Interval policy",
        ),
        (
            ["create", "schedulepolicy", "test-policy", "-t", "Interval", "--time", "15"],
            "error: for an Interval SchedulePolicy you can only provide values for --interval-minutes and --retain flags",
        ),
        (
            ["create", "schedulepolicy", "test-policy", "-t", "Daily", "--time", "12:75PM"],
            'error: Invalid time (12:75PM) in Daily policy: parsing time "12:75PM": minute out of range',
        ),
        (
            ["create", "schedulepolicy", "test-policy", "-t", "Daily", "--interval-minutes", "15"],
            "error: for a Daily SchedulePolicy you can only provide values for --time, --retain and --force-full-snapshot-day flags",
        ),
        (
            [
                "create",
                "schedulepolicy",
                "test-policy",
                "-t",
                "Weekly",
                "--time",
                "12:05PM",
                "--day-of-week",
                "FUNDAY",
            ],
            "error: Invalid day of the week (funday) in Weekly policy",
        ),
        (
            ["create", "schedulepolicy", "test-policy", "-t", "Weekly", "--interval-minutes", "15"],
            "error: for a Weekly SchedulePolicy you can only provide values for --time, --day-of-week and --retain flags",
        ),
        (
            ["create", "schedulepolicy", "test-policy", "-t", "Monthly", "--date-of-month", "32"],
            "error: Invalid date of the month (32) in Monthly policy",
        ),
        (
            [
                "create",
                "schedulepolicy",
                "test-policy",
                "-t",
                "Monthly",
                "--interval-minutes",
                "15",
            ],
            "error: for a Monthly SchedulePolicy you can only provide values for --time, --date-of-month and --retain flags",
        ),
        (
            ["create", "schedulepolicy", "test-policy", "--retain", "0"],
            "error: need to provide a valid value for retain. It should be a positive integer",
        ),
        (
            [
                "create",
                "schedulepolicy",
                "test-policy",
                "-t",
                "Daily",
                "--retain",
                "1",
                "--force-full-snapshot-day",
                "Funday",
            ],
            "error: invalid day of the week (funday) in policy.daily.forceFullSnapshotDay",
        ),
    ],
)
def test_TestCreateSchedulePolicyFailureCases(
    clusters: Clusters, storkctl: Storkctl, args: list[str], message: str
) -> None:
    assert storkctl.fails(*args) == message
    with pytest.raises(ApiError):  # and nothing was created
        clusters.source.get(SchedulePolicyResource, "test-policy")


def _stork_policy(section: str, body: dict[str, Any]) -> dict[str, Any]:
    """The ``policy`` Stork's storkctl sends (Go marshals every section and ``options``)."""
    out: dict[str, Any] = {"interval": None, "daily": None, "weekly": None, "monthly": None}
    out[section] = {**body, "options": None}
    return out


@pytest.mark.parametrize(
    ("args", "section", "expected"),
    [
        (
            ["--policy-type", "Interval", "--interval-minutes", "90", "--retain", "2"],
            "interval",
            {"intervalMinutes": 90, "retain": 2},
        ),
        (
            ["--policy-type", "Daily", "--time", "12:30PM", "--retain", "2"],
            "daily",
            {"time": "12:30PM", "retain": 2, "forceFullSnapshotDay": "monday"},
        ),
        (
            [
                "--policy-type",
                "Weekly",
                "--time",
                "1:30PM",
                "--day-of-week",
                "Friday",
                "--retain",
                "4",
            ],
            "weekly",
            {"day": "friday", "time": "1:30PM", "retain": 4},
        ),
        (
            [
                "--policy-type",
                "Monthly",
                "--time",
                "12:30PM",
                "--date-of-month",
                "12",
                "--retain",
                "2",
            ],
            "monthly",
            {"date": 12, "time": "12:30PM", "retain": 2},
        ),
        (
            ["-t", "daily"],
            "daily",
            {"time": "12:00AM", "retain": 30, "forceFullSnapshotDay": "monday"},
        ),
        ([], "interval", {"intervalMinutes": 30, "retain": 10}),
    ],
    ids=[
        "TestCreateIntervalPolicy",
        "TestCreateDailyPolicy",
        "TestCreateWeeklyPolicy",
        "TestCreateMonthlyPolicy",
        "defaults-daily",
        "defaults-interval",
    ],
)
def test_TestCreatePolicies(
    clusters: Clusters, storkctl: Storkctl, args: list[str], section: str, expected: dict[str, Any]
) -> None:
    out = storkctl.ok("create", "schedulepolicy", "test-policy", *args)
    assert out == "Schedule policy test-policy created successfully\n"
    # Stored exactly as what Stork's storkctl sends is stored, field by field.
    policy(clusters.source, "stork-body-policy", _stork_policy(section, expected))
    ours = stored(clusters.source, SchedulePolicyResource, "test-policy")
    reference = stored(clusters.source, SchedulePolicyResource, "stork-body-policy")
    assert ours["policy"] == reference["policy"] == _stork_policy(section, expected)
    assert ours["metadata"] == {"name": "test-policy"}


def test_TestDeleteSchedulePolicyFailureCases(storkctl: Storkctl) -> None:
    assert storkctl.fails("delete", "schedulepolicy") == (
        "error: at least one argument needs to be provided for schedule policy name"
    )
    assert storkctl.fails("delete", "schedulepolicy", "test-delete-schedule-policy") == (
        'Error from server (NotFound): schedulepolicies.stork.libopenstorage.org "test-delete-schedule-policy" not found'
    )


def _schedule_crd(kind: str, plural: str) -> CustomResourceDefinition:
    """A CRD of one of Stork's backup/snapshot schedule kinds (open schema, as Stork's)."""
    return CustomResourceDefinition(
        metadata=ObjectMeta(name=f"{plural}.stork.libopenstorage.org"),
        spec=CustomResourceDefinitionSpec(
            group="stork.libopenstorage.org",
            names=CustomResourceDefinitionNames(kind=kind, plural=plural),
            scope="Namespaced",
            versions=[
                CustomResourceDefinitionVersion(
                    name="v1alpha1",
                    served=True,
                    storage=True,
                    schema=CustomResourceValidation(
                        openAPIV3Schema=JSONSchemaProps(
                            type="object", x_kubernetes_preserve_unknown_fields=True
                        )
                    ),
                )
            ],
        ),
    )


@pytest.fixture
def stork_schedule_kinds(clusters: Clusters) -> Iterator[Callable[[str, str, str], None]]:
    """Stork's ApplicationBackupSchedule and VolumeSnapshotSchedule, for this test only."""
    kinds = (
        ("ApplicationBackupSchedule", "applicationbackupschedules"),
        ("VolumeSnapshotSchedule", "volumesnapshotschedules"),
    )
    created = []
    for kind, plural in kinds:
        try:
            clusters.source.create(_schedule_crd(kind, plural))
            created.append(plural)
        except ApiError as e:
            if e.status.code != 409:
                raise
    resources = {
        kind: create_namespaced_resource("stork.libopenstorage.org", "v1alpha1", kind, plural)
        for kind, plural in kinds
    }

    def established(plural: str) -> bool:
        crd = clusters.source.get(CustomResourceDefinition, f"{plural}.stork.libopenstorage.org")
        return any(
            c.type == "Established" and c.status == "True"
            for c in (crd.status.conditions or [])
            if crd.status
        )

    wait_for(lambda: all(established(p) for _, p in kinds), 30, "the CRDs to be established")

    def make(kind: str, name: str, namespace: str) -> None:
        body = {
            "apiVersion": API,
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedulePolicyName": "test-policy"},
        }
        wait_for(lambda: _created(clusters.source, resources[kind], body), 30, f"a {kind}")

    yield make
    for plural in created:
        delete_quietly(
            clusters.source, CustomResourceDefinition, f"{plural}.stork.libopenstorage.org"
        )


def _created(client: Client, resource: Any, body: dict[str, Any]) -> bool:
    try:
        client.create(resource.from_dict(body))
    except httpx2.HTTPStatusError as e:
        if e.response.status_code in (404, 503):  # the new CRD not served yet
            return False
        raise
    return True


def test_TestDeleteSchedulePolicyBeingUsedErrorCase(
    clusters: Clusters,
    storkctl: Storkctl,
    namespace: str,
    stork_schedule_kinds: Callable[[str, str, str], None],
) -> None:
    policy(clusters.source, "test-policy")
    schedule = {
        "apiVersion": API,
        "kind": "MigrationSchedule",
        "metadata": {"name": "test-migration-schedule", "namespace": namespace},
        "spec": {"schedulePolicyName": "test-policy", "template": {"spec": {}}},
    }
    clusters.source.create(MigrationScheduleResource.from_dict(schedule))
    stork_schedule_kinds("ApplicationBackupSchedule", "test-applicationbackup-schedule", namespace)
    stork_schedule_kinds("VolumeSnapshotSchedule", "test-volumesnapshot-schedule", namespace)
    ran = storkctl("delete", "schedulepolicy", "test-policy")
    assert (ran.code, ran.stdout) == (1, "")
    assert ran.stderr == (
        "error: cannot delete the schedule policy test-policy.\n"
        f"The resource is linked to -> Migration Schedules : {namespace}/test-migration-schedule\n"
        f"Application Backup Schedules : {namespace}/test-applicationbackup-schedule\n"
        f"Volume Snapshot Schedules : {namespace}/test-volumesnapshot-schedule\n"
    )
    assert clusters.source.get(SchedulePolicyResource, "test-policy")
    delete_quietly(clusters.source, MigrationScheduleResource, "test-migration-schedule", namespace)


def test_delete_schedulepolicy_used_only_by_migration_schedules(
    clusters: Clusters, storkctl: Storkctl, namespace: str
) -> None:
    # Without Stork's backup and snapshot CRDs (our clusters), only MigrationSchedules count.
    policy(clusters.source, "test-policy")
    for name in ("b", "a"):
        schedule = {
            "apiVersion": API,
            "kind": "MigrationSchedule",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"schedulePolicyName": "test-policy", "template": {"spec": {}}},
        }
        clusters.source.create(MigrationScheduleResource.from_dict(schedule))
    assert (
        storkctl.fails("delete", "sp", "test-policy")
        == "error: cannot delete the schedule policy test-policy."
    )
    assert storkctl("delete", "sp", "test-policy").stderr.splitlines()[1] == (
        f"The resource is linked to -> Migration Schedules : {namespace}/a , {namespace}/b"
    )
    for name in ("a", "b"):
        delete_quietly(clusters.source, MigrationScheduleResource, name, namespace)


def test_TestDeleteSchedulePolicy(clusters: Clusters, storkctl: Storkctl) -> None:
    policy(clusters.source, "monthly-policy", {"monthly": {"date": 30, "time": "12:15pm"}})
    policy(clusters.source, "weekly-policy", {"weekly": {"day": "Monday", "time": "12:15pm"}})
    assert storkctl.ok("delete", "schedulepolicy", "monthly-policy", "weekly-policy") == (
        "Schedule policy monthly-policy deleted successfully\nSchedule policy weekly-policy deleted successfully\n"
    )
    for name in ("monthly-policy", "weekly-policy"):
        with pytest.raises(ApiError):
            clusters.source.get(SchedulePolicyResource, name)


def test_get_one_policy_is_a_list_and_describe(clusters: Clusters, storkctl: Storkctl) -> None:
    storkctl.ok(
        "create",
        "sp",
        "test-policy",
        "-t",
        "Weekly",
        "--day-of-week",
        "Thursday",
        "--time",
        "10:13PM",
    )
    listed = yaml.safe_load(storkctl.ok("get", "sp", "test-policy", "-o", "yaml"))
    item = stored(clusters.source, SchedulePolicyResource, "test-policy")
    assert (listed["apiVersion"], listed["kind"], listed["metadata"]) == ("v1", "List", {})
    assert [i["policy"] for i in listed["items"]] == [item["policy"]]
    as_json = storkctl.ok("get", "sp", "test-policy", "-o", "json")
    assert as_json.startswith(
        '{\n    "kind": "List",\n    "apiVersion": "v1",\n    "metadata": {},\n    "items": [\n'
    )
    assert (
        storkctl.fails("get", "sp", "test-policy", "-o", "wide")
        == "error: unsupported output type wide"
    )
    described = storkctl.ok("describe", "sp", "test-policy")
    assert described.splitlines()[:3] == [
        "Name:        test-policy",
        "Time Zone:   (controller default)",
        "Valid:       yes",
    ]
    assert described.splitlines()[3].startswith("Weekly:      thursday@10:13PM")


def test_time_zone_is_ours_and_checked(clusters: Clusters, storkctl: Storkctl) -> None:
    assert storkctl.fails("create", "sp", "test-policy", "--time-zone", "Mars/Olympus") == (
        "error: Invalid timeZone (Mars/Olympus) in policy: unknown time zone"
    )
    storkctl.ok("create", "sp", "test-policy", "-t", "Daily", "--time-zone", "Europe/Berlin")
    assert (
        clusters.source.get(SchedulePolicyResource, "test-policy")["policy"]["timeZone"]
        == "Europe/Berlin"
    )
