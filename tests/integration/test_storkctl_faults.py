"""Every storkctl command through an apiserver that answers 429 and 503 for a while (issue 18,
item 6), through the loopback fault relay in front of the sandbox's source.

- While the faults last a few requests, every command still does its work and prints exactly
  what it prints without faults (429 honouring Retry-After, 5xx with back-off, creates resent).
- When they outlast storkctl's retry deadline, every command that talks to the cluster fails
  with one ``error: ...`` line and exit code 1, never a traceback; also as its own process, and
  also ``stork install``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from stork.cli.storkctl_main import cli
from stork.kube.resources import ClusterPairResource, SchedulePolicyResource
from tests.integration.conftest import Clusters
from tests.integration.storkctl_harness import Ran, delete_quietly, patch_status, subprocess_run
from tests.integration.storkctl_harness import utc as utc  # the fixture, used by pytestmark
from tests.relay import Relay, relay_for, write_relay_kubeconfig

pytestmark = pytest.mark.usefixtures("utc")
API = "stork.libopenstorage.org/v1alpha1"


@dataclass(frozen=True)
class Through:
    """storkctl with a kubeconfig whose server is the relay."""

    kubeconfig: Path
    retry_seconds: str = "30"

    def __call__(self, *args: str) -> Ran:
        env = {
            "KUBECONFIG": str(self.kubeconfig),
            "TZ": "UTC",
            "STORK_RETRY_SECONDS": self.retry_seconds,
        }
        result = CliRunner().invoke(cli, list(args), env=env)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        return Ran(result.stdout, result.stderr, result.exit_code)


@pytest.fixture
def relay(clusters: Clusters) -> Iterator[Relay]:
    with relay_for(clusters.sandbox, "source") as running:
        yield running


@pytest.fixture
def relayed(clusters: Clusters, relay: Relay, tmp_path: Path) -> Path:
    return write_relay_kubeconfig(
        clusters.kubeconfig("source"), relay, tmp_path / "relay.kubeconfig"
    )


def lifecycle(
    clusters: Clusters, namespace: str, tag: str, tmp_path: Path
) -> list[tuple[list[str], str | None]]:
    """Every storkctl command once, in an order that works, with its exact output (None: any
    output, e.g. a help text), for objects named after ``tag``."""
    policy, schedule, migration, pair = f"sp-{tag}", f"ms-{tag}", f"m-{tag}", f"cp-{tag}"
    n = ["-n", namespace]
    created = clusters.source.get(ClusterPairResource, "remote", namespace=namespace)["metadata"][
        "creationTimestamp"
    ]
    when = dt.datetime.fromisoformat(created.replace("Z", "+00:00")).strftime("%d %b %y %H:%M UTC")
    return [
        (
            ["create", "schedulepolicy", policy, "-i", "15"],
            f"Schedule policy {policy} created successfully\n",
        ),
        (
            ["get", "schedulepolicy", policy],
            f"NAME{' ' * (len(policy) - 1)}INTERVAL-MINUTES   DAILY   WEEKLY   MONTHLY\n{policy}   15                 N/A     N/A      N/A\n",
        ),
        (["describe", "schedulepolicy", policy], None),
        (
            ["get", "clusterpair", *n],
            f"NAME     STORAGE-STATUS   SCHEDULER-STATUS   CREATED\nremote   NotProvided      Ready              {when}\n",
        ),
        (
            [
                "create",
                "migrationschedule",
                schedule,
                "-c",
                "remote",
                "--namespaces",
                namespace,
                "-s",
                policy,
                *n,
            ],
            f"MigrationSchedule {schedule} created successfully\n",
        ),
        (
            ["suspend", "migrationschedule", schedule, *n],
            f"MigrationSchedule {schedule} suspended successfully\n",
        ),
        (
            ["resume", "migrationschedule", schedule, *n],
            f"MigrationSchedule {schedule} resumed successfully\n",
        ),
        (["get", "migrationschedule", schedule, *n], None),
        (
            ["create", "migration", migration, "-c", "remote", "--namespaces", namespace, *n],
            f"Migration {migration} created successfully\n",
        ),
        (["get", "migration", migration, *n, "-o", "yaml"], None),
        (
            ["activate", "migrations", *n],
            f"Setting the ApplicationActivated status in the MigrationSchedule {namespace}/{schedule} to true\n",
        ),
        (["deactivate", "migrations", *n], ""),
        (["delete", "migration", migration, *n], f"Migration {migration} deleted successfully\n"),
        (
            ["delete", "migrationschedule", schedule, *n],
            f"MigrationSchedule {schedule} deleted successfully\n",
        ),
        (["delete", "schedulepolicy", policy], f"Schedule policy {policy} deleted successfully\n"),
        (["generate", "clusterpair", pair, *n], None),
        (
            [
                "create",
                "clusterpair",
                pair,
                "--mode",
                "sync-dr",
                "-u",
                "--src-kube-file",
                "{relayed}",
                "--dest-kube-file",
                str(clusters.kubeconfig("destination")),
                *n,
            ],
            f"ClusterPair {pair} created successfully. Direction Source -> Destination\n\n",
        ),
        (["delete", "clusterpair", pair, *n], f"ClusterPair {pair} deleted successfully\n"),
        (["generate", "destination-rbac"], None),
        (["version"], None),
    ]


@pytest.fixture
def remote_pair(clusters: Clusters, namespace: str) -> None:
    body = {
        "apiVersion": API,
        "kind": "ClusterPair",
        "metadata": {"name": "remote", "namespace": namespace},
        "spec": {"options": {}},
    }
    clusters.source.create(ClusterPairResource.from_dict(body))
    patch_status(
        clusters.source,
        ClusterPairResource,
        "remote",
        namespace,
        {"schedulerStatus": "Ready", "storageStatus": "NotProvided"},
    )


@pytest.mark.parametrize(
    ("status", "headers"),
    [(429, {"Retry-After": "1"}), (503, {})],
    ids=["429-retry-after", "503"],
)
@pytest.mark.usefixtures("remote_pair")
def test_every_command_rides_out_a_while_of_429_or_503(
    clusters: Clusters,
    namespace: str,
    relay: Relay,
    relayed: Path,
    tmp_path: Path,
    status: int,
    headers: dict[str, str],
) -> None:
    tag = uuid.uuid4().hex[:6]
    storkctl = Through(relayed)
    try:
        for args, expected in lifecycle(clusters, namespace, tag, tmp_path):
            args = [str(relayed) if a == "{relayed}" else a for a in args]
            before = relay.answered
            relay.answer(status, headers=headers, count=2)
            started = time.monotonic()
            ran = storkctl(*args)
            assert (ran.code, ran.stderr) == (0, ""), (args, ran)
            if expected is not None:
                assert ran.stdout == expected, args
            if args[0] not in ("generate", "version"):  # those never talk to the cluster
                assert relay.answered == before + 2, args  # the faults were met, and ridden out
                if status == 429:
                    assert time.monotonic() - started >= 2.0  # Retry-After honoured, twice
            relay.passthrough()
    finally:
        delete_quietly(clusters.source, SchedulePolicyResource, f"sp-{tag}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def unreachable(tmp_path: Path, relayed: Path) -> Path:
    """The same credentials, for a loopback port where nothing listens."""
    data = yaml.safe_load(relayed.read_text())
    for entry in data["clusters"]:
        entry["cluster"]["server"] = f"https://127.0.0.1:{free_port()}"
    path = tmp_path / "refused.kubeconfig"
    path.write_text(yaml.safe_dump(data))
    return path


def _one_error_line(stdout: str, stderr: str, code: int) -> None:
    assert code == 1, (stdout, stderr)
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("error: "), stderr
    assert "Traceback" not in stdout + stderr


@pytest.mark.usefixtures("remote_pair")
def test_when_the_faults_outlast_the_retries_one_error_line(
    clusters: Clusters,
    namespace: str,
    relay: Relay,
    relayed: Path,
    unreachable: Path,
    tmp_path: Path,
) -> None:
    relay.answer(503, duration=600)
    seen: dict[str, list[str]] = {}
    for kubeconfig in (relayed, unreachable):
        storkctl = Through(kubeconfig, retry_seconds="1")
        for args, _ in lifecycle(clusters, namespace, "x", tmp_path):
            args = [str(kubeconfig) if a == "{relayed}" else a for a in args]
            if args[0] in ("generate", "version"):
                continue
            started = time.monotonic()
            ran = storkctl(*args)
            _one_error_line(ran.stdout, ran.stderr, ran.code)
            assert time.monotonic() - started < 20, args  # bounded
            seen.setdefault(str(kubeconfig), []).append(ran.stderr)
    assert any(
        "kept answering 503 ServiceUnavailable until storkctl gave up retrying" in e
        for e in seen[str(relayed)]
    )
    assert any("was refused until storkctl gave up retrying" in e for e in seen[str(unreachable)])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["get", "clusterpair"], "kept answering 429 TooManyRequests until storkctl gave up"),
        (
            ["delete", "schedulepolicy", "nothing"],
            "Unable to verify if the schedule policy is linked",
        ),
        (["create", "migration", "m", "-c", "p", "--namespaces", "a"], "kept answering 429"),
        (
            ["create", "migrationschedule", "s", "-c", "p", "--namespaces", "a"],
            "unable to find the cluster pair",
        ),
    ],
)
def test_as_its_own_process_too(relay: Relay, relayed: Path, args: list[str], says: str) -> None:
    relay.answer(429, headers={"Retry-After": "0"}, duration=600)
    ran = subprocess_run(relayed, *args, STORK_RETRY_SECONDS="1")
    _one_error_line(ran.stdout, ran.stderr, ran.returncode)
    assert says in ran.stderr


def test_stork_install_rides_out_faults_and_fails_in_one_line(relay: Relay, relayed: Path) -> None:
    stork = [sys.executable, "-m", "stork.cli.stork_main", "install", "--kubeconfig", str(relayed)]
    relay.answer(503, count=3)
    ok = subprocess.run(stork, capture_output=True, text=True, check=False, timeout=300)
    assert ok.returncode == 0, ok.stderr
    relay.answer(503, duration=600)
    env = {**os.environ, "STORK_RETRY_SECONDS": "1"}
    failed = subprocess.run(
        stork, capture_output=True, text=True, check=False, timeout=300, env=env
    )
    _one_error_line(failed.stdout, failed.stderr, failed.returncode)
