"""`storkctl create|get|delete|suspend|resume migrationschedule` against the real source."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from lightkube import ApiError
from lightkube.types import PatchType

from stork.api.timestamps import parse_time
from stork.cli.formatting import rfc822
from stork.cli.storkctl_main import cli
from stork.kube.resources import (
    ClusterPairResource,
    MigrationScheduleResource,
    SchedulePolicyResource,
)
from stork.sandbox.seeds import seed_objects
from tests.integration.conftest import Clusters


@pytest.fixture
def storkctl(clusters: Clusters, namespace: str) -> Callable[..., Result]:
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))
    clusters.source.apply(
        SchedulePolicyResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "SchedulePolicy",
                "metadata": {"name": "hourly"},
                "policy": {"interval": {"intervalMinutes": 60}},
            }
        ),
        field_manager="tests",
    )
    kubeconfig = str(clusters.kubeconfig("source"))

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "-n", namespace, "--kubeconfig", kubeconfig])

    return run


def test_create_get_suspend_resume_delete(
    clusters: Clusters, namespace: str, storkctl: Callable[..., Result]
) -> None:
    for name in ("a", "b"):
        result = storkctl(
            "create",
            "migrationschedule",
            name,
            "-c",
            "remote",
            "--namespaces",
            namespace,
            "-s",
            "hourly",
            "--suspend",
        )
        assert result.output == f"MigrationSchedule {name} created successfully\n", result.output
    spec = clusters.source.get(MigrationScheduleResource, "a", namespace=namespace)["spec"]
    assert spec["autoSuspend"] is True
    assert spec["suspend"] is True
    template = spec["template"]["spec"]
    assert template["clusterPair"] == "remote"
    assert template["namespaces"] == [namespace]
    assert template["startApplications"] is False
    # The seed's pair has a placeholder option, so Stork would include volumes: so do we.
    assert template["includeVolumes"] is True

    clusters.source.patch(
        MigrationScheduleResource,  # no status subresource, as in Stork
        "a",
        {
            "status": {
                "items": {
                    "Interval": [
                        {
                            "name": "a-interval-1",
                            "creationTimestamp": "2026-01-01T10:00:00Z",
                            "finishTimestamp": "2026-01-01T10:01:30Z",
                            "status": "Successful",
                        },
                        {
                            "name": "a-interval-2",
                            "creationTimestamp": "2026-01-01T11:00:00Z",
                            "finishTimestamp": None,
                            "status": "InProgress",
                        },
                    ]
                }
            }
        },
        namespace=namespace,
        patch_type=PatchType.MERGE,
    )
    table = storkctl("get", "migrationschedule").output.splitlines()
    assert table[0].split() == [
        "NAME",
        "POLICYNAME",
        "CLUSTERPAIR",
        "SUSPEND",
        "LAST-SUCCESS-TIME",
        "LAST-SUCCESS-DURATION",
    ]
    when = rfc822(parse_time("2026-01-01T10:01:30Z"))
    assert table[1].split() == ["a", "hourly", "remote", "true", *when.split(), "1m30s"]
    assert table[2].split() == ["b", "hourly", "remote", "true"]

    assert storkctl("resume", "migrationschedule", "a", "b").output == (
        "MigrationSchedule a resumed successfully\nMigrationSchedule b resumed successfully\n"
    )
    assert storkctl("suspend", "migrationschedules", "-c", "remote").output == (
        "MigrationSchedule a suspended successfully\nMigrationSchedule b suspended successfully\n"
    )
    assert (
        clusters.source.get(MigrationScheduleResource, "b", namespace=namespace)["spec"]["suspend"]
        is True
    )
    assert storkctl("delete", "migrationschedule", "a", "b").exit_code == 0
    assert storkctl("get", "migrationschedule").output == "No resources found.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("create", "migrationschedule", "x", "-c", "nopair", "--namespaces", "a"),
            "error: unable to find the cluster pair nopair in the {ns} namespace",
        ),
        (
            (
                "create",
                "migrationschedule",
                "x",
                "-c",
                "remote",
                "--namespaces",
                "a",
                "-s",
                "nopolicy",
            ),
            "error: unable to find the schedule policy nopolicy",
        ),
        (
            ("create", "migrationschedule", "x", "-c", "remote"),
            "error: need to provide atleast one namespace or namespace selector to migrate",
        ),
        (
            (
                "create",
                "migrationschedule",
                "x",
                "-c",
                "remote",
                "--namespaces",
                "a",
                "-s",
                "hourly",
                "--selectors",
                "novalue",
            ),
            "error: invalid --selectors value 'novalue': expected key=value",
        ),
        (
            ("get", "migrationschedule", "nope"),
            'Error from server (NotFound): migrationschedules.stork.libopenstorage.org "nope" not found',
        ),
        (
            ("suspend", "migrationschedule"),
            "error: at least one argument needs to be provided for migration schedule name",
        ),
    ],
)
def test_bad_input(
    namespace: str, storkctl: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    result = storkctl(*args)
    assert result.exit_code == 1
    assert result.output.strip() == message.format(ns=namespace)


def test_interval_creates_a_policy_named_like_the_schedule(
    clusters: Clusters, namespace: str, storkctl: Callable[..., Result]
) -> None:
    name = f"every-{namespace}"
    create = ("create", "migrationschedule", name, "-c", "remote", "--namespaces", namespace)
    try:
        result = storkctl(*create, "-i", "7")
        assert result.output == f"MigrationSchedule {name} created successfully\n", result.output
        policy = clusters.source.get(SchedulePolicyResource, name)
        assert policy["policy"]["interval"] == {"intervalMinutes": 7, "retain": 10}
        schedule = clusters.source.get(MigrationScheduleResource, name, namespace=namespace)
        assert schedule["spec"]["schedulePolicyName"] == name
    finally:
        clusters.source.delete(SchedulePolicyResource, name)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ("-i", "5", "-s", "hourly"),
            "error: must provide only one of schedule-policy-name or interval values",
        ),
        (
            ("-i", "0"),
            "error: could not create a schedule policy with specified interval: "
            "Invalid intervalMinutes (0) in Interval policy",
        ),
    ],
)
def test_interval_errors(
    clusters: Clusters,
    namespace: str,
    storkctl: Callable[..., Result],
    flags: tuple[str, ...],
    message: str,
) -> None:
    result = storkctl(
        "create", "migrationschedule", "x", "-c", "remote", "--namespaces", "a", *flags
    )
    assert result.exit_code == 1
    assert result.output.strip() == message
    with pytest.raises(ApiError):
        clusters.source.get(MigrationScheduleResource, "x", namespace=namespace)


def test_without_a_policy_flag_the_default_policy_is_used(
    clusters: Clusters, namespace: str, storkctl: Callable[..., Result]
) -> None:
    result = storkctl("create", "migrationschedule", "plain", "-c", "remote", "--namespaces", "a")
    assert result.output == "MigrationSchedule plain created successfully\n", result.output
    schedule = clusters.source.get(MigrationScheduleResource, "plain", namespace=namespace)
    assert schedule["spec"]["schedulePolicyName"] == "default-migration-policy"
    assert (
        clusters.source.get(SchedulePolicyResource, "default-migration-policy")["policy"][
            "interval"
        ]["intervalMinutes"]
        > 0
    )
