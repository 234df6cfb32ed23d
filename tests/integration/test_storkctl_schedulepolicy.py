"""`storkctl create|get|delete|describe schedulepolicy` against the real source cluster."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
import yaml
from click.testing import CliRunner, Result
from lightkube import ApiError

from stork.cli.storkctl_main import cli
from stork.kube.resources import MigrationScheduleResource, SchedulePolicyResource
from tests.integration.conftest import Clusters

NAMES = ("sp-interval", "sp-daily", "sp-weekly", "sp-monthly")


@pytest.fixture
def storkctl(clusters: Clusters) -> Iterator[Callable[..., Result]]:
    kubeconfig = str(clusters.kubeconfig("source"))

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--kubeconfig", kubeconfig])

    yield run
    for name in NAMES:
        try:
            clusters.source.delete(SchedulePolicyResource, name)
        except ApiError as e:
            if e.status.code != 404:
                raise


def test_create_get_describe_delete(
    clusters: Clusters, storkctl: Callable[..., Result], namespace: str
) -> None:
    run = storkctl
    assert run("create", "schedulepolicy", "sp-interval", "-i", "15").output == (
        "Schedule policy sp-interval created successfully\n"
    )
    assert run("create", "sp", "sp-daily", "-t", "daily", "--time", "10:14PM").exit_code == 0
    assert (
        run(
            "create",
            "sp",
            "sp-weekly",
            "-t",
            "Weekly",
            "--day-of-week",
            "Thursday",
            "--time",
            "10:13PM",
        ).exit_code
        == 0
    )
    assert (
        run(
            "create",
            "schedulepolicies",
            "sp-monthly",
            "-t",
            "monthly",
            "--date-of-month",
            "14",
            "--time",
            "8:05PM",
        ).exit_code
        == 0
    )

    stored = clusters.source.get(SchedulePolicyResource, "sp-weekly")["policy"]
    assert stored == {"weekly": {"day": "thursday", "time": "10:13PM", "retain": 7}}
    assert clusters.source.get(SchedulePolicyResource, "sp-interval")["policy"] == {
        "interval": {"intervalMinutes": 15, "retain": 10}
    }

    table = run("get", "schedulepolicy", *NAMES)
    assert table.exit_code == 0
    assert [line.split() for line in table.output.splitlines()] == [
        ["NAME", "INTERVAL-MINUTES", "DAILY", "WEEKLY", "MONTHLY"],
        ["sp-interval", "15", "N/A", "N/A", "N/A"],
        ["sp-daily", "N/A", "10:14PM", "N/A", "N/A"],
        ["sp-weekly", "N/A", "N/A", "thursday@10:13PM", "N/A"],
        ["sp-monthly", "N/A", "N/A", "N/A", "14@8:05PM"],
    ]
    as_json = json.loads(run("get", "sp", "sp-daily", "-o", "json").output)
    assert as_json["policy"]["daily"]["time"] == "10:14PM"
    as_yaml = yaml.safe_load(run("get", "sp", "sp-daily", "sp-weekly", "-o", "yaml").output)
    assert as_yaml["kind"] == "List"
    assert [i["metadata"]["name"] for i in as_yaml["items"]] == ["sp-daily", "sp-weekly"]

    described = run("describe", "sp", "sp-daily").output
    assert "Valid:       yes" in described
    assert "Daily:" in described

    # A policy in use by a MigrationSchedule is not deleted.
    clusters.source.create(
        MigrationScheduleResource.from_dict(
            {
                "apiVersion": "stork.libopenstorage.org/v1alpha1",
                "kind": "MigrationSchedule",
                "metadata": {"name": "uses-daily", "namespace": namespace},
                "spec": {
                    "schedulePolicyName": "sp-daily",
                    "suspend": True,
                    "template": {"spec": {}},
                },
            }
        )
    )
    refused = run("delete", "sp", "sp-daily")
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        f"error: cannot delete schedule policy sp-daily: used by MigrationSchedule(s) {namespace}/uses-daily"
    )
    deleted = run("delete", "schedulepolicy", "sp-interval", "sp-monthly")
    assert deleted.output == (
        "Schedule policy sp-interval deleted successfully\nSchedule policy sp-monthly deleted successfully\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("-t", "Interval", "--time", "1:00PM"),
            "error: for an Interval SchedulePolicy you can only provide values for --interval-minutes and --retain flags",
        ),
        (
            ("-t", "daily", "--time", "13:00pm"),
            'error: Invalid time (13:00pm) in Daily policy: parsing time "13:00pm": hour out of range',
        ),
        (
            ("-t", "weekly", "--day-of-week", "Fooday"),
            "error: Invalid day of the week (fooday) in Weekly policy",
        ),
        (
            ("-t", "monthly", "--date-of-month", "32"),
            "error: Invalid date of the month (32) in Monthly policy",
        ),
        (
            (
                "-t",
                "hourly",
            ),
            "error: invalid policy type: hourly. Valid types are: Interval, Daily, Weekly, Monthly",
        ),
    ],
)
def test_bad_input_is_one_clear_line(
    storkctl: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    result = storkctl("create", "sp", "sp-interval", *args)
    assert result.exit_code == 1
    assert result.output.strip() == message


def test_not_found(storkctl: Callable[..., Result]) -> None:
    result = storkctl("get", "sp", "no-such-policy")
    assert result.exit_code == 1
    assert result.output.strip() == (
        'Error from server (NotFound): schedulepolicies.stork.libopenstorage.org "no-such-policy" not found'
    )
