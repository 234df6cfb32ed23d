"""Two local clusters, ``source`` and ``destination``, managed as one sandbox in a directory.

Layout of the directory: ``state.json`` (ports, pids, what was started), ``logs/``,
``source/`` and ``destination/`` (etcd data and PKI), and the kubeconfigs
``source.kubeconfig``, ``destination.kubeconfig`` and ``kubeconfig`` (both contexts).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stork.sandbox.binaries import binary_dir
from stork.sandbox.cluster import READY_TIMEOUT, ClusterSpec, SandboxCluster, SandboxError
from stork.sandbox.kubeconfig import ClusterCredentials, write_kubeconfig
from stork.sandbox.processes import terminate

CLUSTER_SPECS = (
    ClusterSpec("source", "10.96.0.0/16", "10.96.0.1"),
    ClusterSpec("destination", "10.100.0.0/16", "10.100.0.1"),
)
CLUSTER_NAMES = tuple(s.name for s in CLUSTER_SPECS)
_STATE_VERSION = 1


@dataclass(frozen=True)
class ClusterStatus:
    """What ``stork sandbox status`` shows for one cluster."""

    name: str
    url: str
    health: str


@dataclass(frozen=True)
class UpResult:
    """The outcome of ``up``."""

    reused: bool
    seconds: float


class Sandbox:
    """The sandbox in ``directory``; every method is safe to call from several processes."""

    def __init__(self, directory: Path, log: Callable[[str], None] = lambda _: None) -> None:
        self.dir = directory.resolve()
        self._log = log
        self._state_lock = threading.Lock()
        self._clusters: dict[str, SandboxCluster] = {}
        self._stopped: set[str] = set()

    # -- paths -------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        """Where ports and pids are recorded."""
        return self.dir / "state.json"

    def kubeconfig(self, cluster: str | None = None) -> Path:
        """The kubeconfig of one cluster, or the combined one (contexts source, destination)."""
        return self.dir / (f"{cluster}.kubeconfig" if cluster else "kubeconfig")

    # -- state -------------------------------------------------------------------------------

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".lock").open("w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _new_clusters(self, binaries: Path) -> dict[str, SandboxCluster]:
        clusters = {
            s.name: SandboxCluster(s, self.dir / s.name, self.dir / "logs", binaries)
            for s in CLUSTER_SPECS
        }
        for c in clusters.values():
            c.on_change = self._save
        return clusters

    def _load(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise SandboxError(f"cannot read {self.state_path}: {e}") from e
        if data.get("version") != _STATE_VERSION:
            raise SandboxError(f"{self.state_path} was written by another version of stork")
        return data

    def _restore(self, data: dict[str, Any]) -> dict[str, SandboxCluster]:
        clusters = self._new_clusters(Path(data["binaries"]))
        for name, c in clusters.items():
            if name in data["clusters"]:  # absent when a crash came before its first process
                c.load(data["clusters"][name])
        self._stopped = set(data.get("stopped", []))
        return clusters

    def _save(self) -> None:
        with self._state_lock:
            data = {
                "version": _STATE_VERSION,
                "binaries": str(next(iter(self._clusters.values())).binaries),
                "stopped": sorted(self._stopped),
                "clusters": {
                    n: c.to_json() for n, c in self._clusters.items() if c.ports is not None
                },
            }
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=2) + "\n")
            tmp.replace(self.state_path)

    def _cluster(self, name: str) -> SandboxCluster:
        if name not in CLUSTER_NAMES:
            raise SandboxError(
                f"unknown cluster {name!r}: choose one of {', '.join(CLUSTER_NAMES)}"
            )
        data = self._load()
        if data is None:
            raise SandboxError(f"no sandbox in {self.dir}: run `stork sandbox up --dir {self.dir}`")
        self._clusters = self._restore(data)
        return self._clusters[name]

    # -- operations --------------------------------------------------------------------------

    def up(self) -> UpResult:
        """Start both clusters in parallel, or reuse them when they already run.

        State left by a run that crashed (recorded processes gone, not stopped on purpose) is
        cleaned: surviving processes of that run are ended and its data is removed.
        """
        started = time.monotonic()
        with self._exclusive():
            binaries = binary_dir()
            data = self._load()
            if data is not None:
                self._clusters = self._restore(data)
                crashed = [
                    n
                    for n, c in self._clusters.items()
                    if n not in self._stopped and not c.running()
                ]
                if not crashed:
                    to_start = [self._clusters[n] for n in sorted(self._stopped)]
                    self._log_reuse(to_start)
                    self._run_parallel(to_start, keep_ports=True)
                    self._stopped.clear()
                    self._save()
                    self._wait_ready(list(self._clusters.values()))
                    self._write_kubeconfigs()
                    return UpResult(reused=not to_start, seconds=time.monotonic() - started)
                self._log(
                    f"found state of a sandbox that is not running ({', '.join(crashed)} "
                    "stopped unexpectedly); cleaning it up"
                )
                self._remove(list(self._clusters.values()))
            self._clusters = self._new_clusters(binaries)
            self._stopped = set()
            self._log(f"starting clusters {' and '.join(CLUSTER_NAMES)} in {self.dir}")
            try:
                self._run_parallel(list(self._clusters.values()), keep_ports=False)
            except BaseException:
                self._remove(list(self._clusters.values()))
                raise
            self._write_kubeconfigs()
            return UpResult(reused=False, seconds=time.monotonic() - started)

    def _log_reuse(self, to_start: list[SandboxCluster]) -> None:
        if to_start:
            names = " and ".join(c.spec.name for c in to_start)
            self._log(f"sandbox in {self.dir} is up; starting stopped cluster {names}")
        else:
            self._log(f"sandbox in {self.dir} is already running; reusing it")

    def _run_parallel(self, clusters: list[SandboxCluster], keep_ports: bool) -> None:
        if not clusters:
            return
        with ThreadPoolExecutor(max_workers=len(clusters)) as pool:
            futures = [pool.submit(c.start, keep_ports) for c in clusters]
            errors = [f.exception() for f in futures]
        self._save()
        failures = [e for e in errors if e is not None]
        if failures:
            if len(failures) == 1:
                raise failures[0]
            raise SandboxError("\n".join(str(e) for e in failures))

    def _wait_ready(self, clusters: list[SandboxCluster]) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        for c in clusters:
            while (health := c.health()) != "Ready":
                if time.monotonic() > deadline:
                    raise SandboxError(f"{c.spec.name} is running but not ready: {health}")
                time.sleep(0.2)

    def _write_kubeconfigs(self) -> None:
        creds = [self._clusters[n].credentials() for n in CLUSTER_NAMES]
        for c in creds:
            write_kubeconfig(self.kubeconfig(c.name), [c], c.name)
        write_kubeconfig(self.kubeconfig(), creds, CLUSTER_NAMES[0])

    def _remove(self, clusters: list[SandboxCluster]) -> None:
        """End the recorded processes and remove data, state and kubeconfigs (logs stay)."""
        with ThreadPoolExecutor(max_workers=max(1, len(clusters))) as pool:
            list(pool.map(lambda c: c.stop(), clusters))
        for c in clusters:
            shutil.rmtree(c.root, ignore_errors=True)
        for path in [self.state_path, self.kubeconfig()] + [
            self.kubeconfig(n) for n in CLUSTER_NAMES
        ]:
            path.unlink(missing_ok=True)

    def down(self) -> bool:
        """End exactly the processes ``up`` started and remove the data; False if none."""
        with self._exclusive():
            data = self._load()
            if data is None:
                return False
            self._clusters = self._restore(data)
            self._remove(list(self._clusters.values()))
            return True

    def stop(self, name: str) -> None:
        """Stop one cluster's processes; its data, ports and certificates are kept."""
        with self._exclusive():
            cluster = self._cluster(name)
            cluster.stop()
            self._stopped.add(name)
            self._save()

    def start(self, name: str) -> None:
        """Start one stopped cluster again, with the same data, ports and certificates."""
        with self._exclusive():
            cluster = self._cluster(name)
            if cluster.running():
                self._log(f"{name} is already running")
            else:
                terminate(cluster.processes)  # whatever part of it may still run
                cluster.start(keep_ports=True)
            self._stopped.discard(name)
            self._save()

    def credentials(self, name: str) -> ClusterCredentials:
        """Admin credentials (URL, CA, client certificate and key) of one running cluster."""
        return self._cluster(name).credentials()

    def status(self) -> list[ClusterStatus] | None:
        """Each cluster's URL and health, or None when there is no sandbox here."""
        data = self._load()
        if data is None:
            return None
        clusters = self._restore(data)
        return [
            ClusterStatus(n, c.url if c.ports else "<none>", c.health() if c.ports else "Stopped")
            for n, c in clusters.items()
        ]
