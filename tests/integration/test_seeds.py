"""The documentation's SchedulePolicy, ClusterPair and MigrationSchedule apply unchanged.

They are applied with the real kubectl, as a user would paste them. Only the ClusterPair's
server and credential placeholders are replaced, by the destination sandbox's loopback URL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from stork.sandbox.seeds import seed_objects, seed_text
from tests.integration.conftest import Clusters, RunningController
from tests.waiting import wait_for

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"
SEED_NAMESPACES = ("migrationnamespace", "mysql")


def kubectl(
    clusters: Clusters, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECONFIG": str(clusters.kubeconfig("source"))}
    return subprocess.run(
        [KUBECTL, *args], input=stdin, capture_output=True, text=True, env=env, check=False
    )


def _delete_seed_objects(clusters: Clusters) -> None:
    kubectl(clusters, "delete", "schedulepolicy", "testpolicy", "--ignore-not-found")
    for kind, name in (
        ("clusterpair", "remotecluster"),
        ("migrationschedule", "mysqlmigrationschedule"),
    ):
        kubectl(clusters, "delete", kind, name, "-n", "migrationnamespace", "--ignore-not-found")


@pytest.fixture
def seed_namespaces(clusters: Clusters) -> Iterator[None]:
    """The seeds' namespaces exist and hold none of the seeds' objects (a reused sandbox may)."""
    for name in SEED_NAMESPACES:
        clusters.source.apply(Namespace(metadata=ObjectMeta(name=name)), field_manager="tests")
    _delete_seed_objects(clusters)
    yield
    _delete_seed_objects(clusters)  # namespaces stay: re-creating a Terminating one would fail


def _get(clusters: Clusters, *args: str) -> dict[str, Any]:
    result = kubectl(clusters, "get", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_seeds_apply_unchanged(clusters: Clusters, seed_namespaces: None) -> None:
    objects = seed_objects(clusters.sandbox.credentials("destination"))
    for obj in objects:
        result = kubectl(clusters, "create", "-f", "-", stdin=yaml.safe_dump(obj))
        assert result.returncode == 0, result.stderr
        assert "created" in result.stdout

    policy = _get(clusters, "schedulepolicy", "testpolicy")
    assert policy["policy"] == yaml.safe_load(seed_text("schedulepolicy.yaml"))["policy"]
    assert "namespace" not in policy["metadata"]

    pair = _get(clusters, "clusterpair", "remotecluster", "-n", "migrationnamespace")
    assert pair["spec"] == objects[1]["spec"]
    assert (
        pair["spec"]["config"]["clusters"]["kubernetes"]["LocationOfOrigin"]
        == "/etc/kubernetes/admin.conf"
    )
    assert pair["spec"]["options"] == {"<insert_storage_options_here>": ""}

    schedule = _get(
        clusters, "migrationschedule", "mysqlmigrationschedule", "-n", "migrationnamespace"
    )
    assert schedule["spec"] == yaml.safe_load(seed_text("migrationschedule.yaml"))["spec"]

    # short names and printer columns work in kubectl
    table = kubectl(clusters, "get", "sp", "testpolicy")
    assert table.returncode == 0, table.stderr
    assert table.stdout.split()[:7] == [
        "NAME",
        "INTERVAL-MINUTES",
        "DAILY",
        "WEEKLY-DAY",
        "WEEKLY-TIME",
        "MONTHLY-DATE",
        "MONTHLY-TIME",
    ]
    assert table.stdout.splitlines()[1].split()[:7] == [
        "testpolicy",
        "1",
        "10:14PM",
        "Thursday",
        "10:13PM",
        "14",
        "8:05PM",
    ]


def test_seed_pair_never_points_outside_loopback(clusters: Clusters) -> None:
    objects = seed_objects(clusters.sandbox.credentials("destination"))
    servers = [c["server"] for c in objects[1]["spec"]["config"]["clusters"].values()]
    assert servers
    assert all(s.startswith("https://127.0.0.1:") for s in servers)


BAD_POLICIES = [
    ({"interval": {"intervalMinutes": 0}}, "intervalMinutes"),
    ({"monthly": {"date": 32, "time": "8:05PM"}}, "date"),
    ({"monthly": {"date": 0, "time": "8:05PM"}}, "date"),
    ({"weekly": {"day": "Fooday", "time": "10:13PM"}}, "day"),
    ({"daily": {"time": "13:15pm"}}, "time"),
    ({"daily": {"time": "11:15 PM"}}, "time"),
    ({"daily": {"time": "12:04"}}, "time"),
    ({"daily": {"time": "11:15Pm"}}, "time"),
]


@pytest.mark.parametrize(("policy", "field"), BAD_POLICIES)
def test_schema_rejects_bad_policies(
    clusters: Clusters, policy: dict[str, Any], field: str
) -> None:
    obj = {
        "apiVersion": "stork.libopenstorage.org/v1alpha1",
        "kind": "SchedulePolicy",
        "metadata": {"name": "bad-policy"},
        "policy": policy,
    }
    result = kubectl(clusters, "apply", "-f", "-", stdin=yaml.safe_dump(obj))
    assert result.returncode == 1
    assert result.stderr.startswith('The SchedulePolicy "bad-policy" is invalid: policy.')
    assert re.search(rf"\.{field}: (Invalid|Unsupported) value", result.stderr)
    assert "Traceback" not in result.stderr


def test_seed_schedule_runs_at_once_then_every_minute(
    clusters: Clusters, seed_namespaces: None, controller: RunningController
) -> None:
    """Real time: the seeds' 1-minute schedule migrates the namespace now and a minute later."""
    for obj in seed_objects(clusters.sandbox.credentials("destination")):
        result = kubectl(clusters, "apply", "-f", "-", stdin=yaml.safe_dump(obj))
        assert result.returncode == 0, result.stderr

    def successful() -> list[str]:
        listed = _get(clusters, "migration", "-n", "migrationnamespace")["items"]
        return sorted(
            m["metadata"]["name"]
            for m in listed
            if (m.get("status") or {}).get("status") == "Successful"
        )

    first = wait_for(successful, 60, "the first migration")
    assert first[0].startswith("mysqlmigrationschedule-interval-")
    second = wait_for(lambda: [n for n in successful() if n not in first], 100, "the next minute's")
    assert len(second) == 1
    described = kubectl(
        clusters,
        "describe",
        "migrationschedule",
        "mysqlmigrationschedule",
        "-n",
        "migrationnamespace",
    ).stdout
    assert "Interval:" in described
    assert f"Scheduled migration ({first[0]}) completed successfully" in described
    kubectl(
        clusters,
        "delete",
        "migrationschedule",
        "mysqlmigrationschedule",
        "-n",
        "migrationnamespace",
    )
    wait_for(
        lambda: not _get(clusters, "migration", "-n", "migrationnamespace")["items"],
        30,
        "the migrations to go",
    )
