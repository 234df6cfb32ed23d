"""Fixtures for tests against the real sandbox clusters (no mock API server anywhere).

The sandbox is started once per test session in a temporary directory and stopped at the end,
or reused (and left running) when $STORK_SANDBOX_DIR names a running one.

Tests whose pods must really run use ``node_clusters`` instead: a second sandbox, started
with ``--nodes`` once per session (or reused from $STORK_NODES_SANDBOX_DIR), skipped with the
reason where nodes cannot run (not root, packages or binaries missing).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lightkube import ApiError, Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from stork.kube.config import make_client
from stork.sandbox import Sandbox
from stork.sandbox.nodes import unavailable
from tests.relay import Relay, relay_for, write_relay_kubeconfig


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.path):
            item.add_marker(pytest.mark.integration)


@dataclass(frozen=True)
class Clusters:
    """The running sandbox and an admin client for each of its clusters."""

    sandbox: Sandbox
    source: Client
    destination: Client

    def kubeconfig(self, cluster: str | None = None) -> Path:
        return self.sandbox.kubeconfig(cluster)


def _running(directory: Path) -> bool:
    status = Sandbox(directory).status()
    return status is not None and all(s.health == "Ready" for s in status)


def _session_clusters(
    tmp_path_factory: pytest.TempPathFactory, reuse_env: str, nodes: bool
) -> Iterator[Clusters]:
    reuse = os.environ.get(reuse_env)
    if reuse and _running(Path(reuse)) and (not nodes or Sandbox(Path(reuse)).has_nodes()):
        sandbox, owned = Sandbox(Path(reuse)), False
    else:
        sandbox, owned = Sandbox(tmp_path_factory.mktemp("nodes" if nodes else "sandbox")), True
        sandbox.up(nodes=nodes)
    from stork.api.crd import CRDS, crd_manifest
    from stork.kube.crds import apply_crds

    source = make_client(sandbox.kubeconfig("source"))
    destination = make_client(sandbox.kubeconfig("destination"))
    manifests = [crd_manifest(info) for info in CRDS]
    apply_crds(source, manifests)
    apply_crds(destination, manifests)
    try:
        yield Clusters(sandbox, source, destination)
    finally:
        source.close()
        destination.close()
        if owned:
            sandbox.down()


@pytest.fixture(scope="session")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clusters]:
    yield from _session_clusters(tmp_path_factory, "STORK_SANDBOX_DIR", nodes=False)


@pytest.fixture(scope="session")
def node_clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clusters]:
    """A sandbox whose clusters have a real node each: pods run."""
    if why := unavailable():
        pytest.skip(f"no sandbox nodes on this machine: {why}")
    yield from _session_clusters(tmp_path_factory, "STORK_NODES_SANDBOX_DIR", nodes=True)


@dataclass
class RunningController:
    """`stork run` in a subprocess; its log goes to a file (a pipe could fill up and block)."""

    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout=30)


@pytest.fixture
def start_controller(
    clusters: Clusters, tmp_path: Path
) -> Iterator[Callable[..., RunningController]]:
    """Start `stork run` against the source with extra flags; stopped after the test."""
    yield from _controller_starter(clusters, tmp_path)


@pytest.fixture
def start_node_controller(
    node_clusters: Clusters, tmp_path: Path
) -> Iterator[Callable[..., RunningController]]:
    """`start_controller` for the sandbox with nodes."""
    yield from _controller_starter(node_clusters, tmp_path)


def _controller_starter(
    clusters: Clusters, tmp_path: Path
) -> Iterator[Callable[..., RunningController]]:
    started: list[RunningController] = []

    def start(*flags: str) -> RunningController:
        log = tmp_path / f"controller-{len(started)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "stork.cli.stork_main",
                    "run",
                    "--kubeconfig",
                    str(clusters.kubeconfig("source")),
                    # Free loopback ports: tests run side by side (flags given later win).
                    "--metrics-bind-address",
                    "127.0.0.1:0",
                    "--health-probe-bind-address",
                    "127.0.0.1:0",
                    *flags,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        started.append(RunningController(proc, log))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def controller(start_controller: Callable[..., RunningController]) -> RunningController:
    """`stork run` against the source, checking pairs every second."""
    return start_controller("--pair-check-interval", "1")


def release_schedules(client: Client, namespace: str) -> None:
    """Take the finalizers off the MigrationSchedules of ``namespace``: once a test's controller
    has stopped, nothing would remove them, and the namespace would stay Terminating for ever
    (visible to every later test that lists schedules across namespaces)."""
    from lightkube.types import PatchType

    from stork.kube.resources import MigrationScheduleResource

    try:
        schedules = list(client.list(MigrationScheduleResource, namespace=namespace))
    except ApiError as e:
        if e.status.code == 404:
            return
        raise
    for obj in schedules:
        if obj.metadata and obj.metadata.finalizers:
            client.patch(
                MigrationScheduleResource,
                str(obj.metadata.name),
                {"metadata": {"finalizers": None}},
                namespace=namespace,
                patch_type=PatchType.MERGE,
            )


@pytest.fixture
def namespace(clusters: Clusters) -> Iterator[str]:
    """A fresh namespace on the source; deleted from both clusters after the test."""
    yield from _fresh_namespace(clusters, "t")


def _fresh_namespace(clusters: Clusters, prefix: str) -> Iterator[str]:
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    clusters.source.create(Namespace(metadata=ObjectMeta(name=name)))
    yield name
    for client in (clusters.source, clusters.destination):
        release_schedules(client, name)
        try:
            client.delete(Namespace, name)
        except ApiError as e:
            if e.status.code != 404:
                raise


@pytest.fixture
def relay(clusters: Clusters) -> Iterator[Relay]:
    """The fault relay (tests/relay.py) in front of the source's apiserver, passing through."""
    with relay_for(clusters.sandbox, "source") as running:
        yield running


@pytest.fixture
def relay_kubeconfig(clusters: Clusters, relay: Relay, tmp_path: Path) -> Path:
    """The source's admin kubeconfig, pointed at ``relay``."""
    return write_relay_kubeconfig(clusters.kubeconfig("source"), relay, tmp_path / "relay.kc")


@pytest.fixture
def node_namespace(node_clusters: Clusters) -> Iterator[str]:
    """`namespace` on the sandbox with nodes."""
    yield from _fresh_namespace(node_clusters, "n")
