"""Two local clusters, ``source`` and ``destination``, managed as one sandbox in a directory.

Layout of the directory: ``state.json`` (ports, pids, what was started), ``logs/``,
``source/`` and ``destination/`` (etcd data and PKI, and with nodes ``node/``), and the
kubeconfigs ``source.kubeconfig``, ``destination.kubeconfig`` and ``kubeconfig`` (both contexts).

Each sandbox has an id (from its directory) that names what it puts on the host: its iptables
rules (``netguard``: whenever it runs as root) and, with nodes, its slot's addresses, bridges
and cgroups. ``down`` removes exactly those.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from stork.sandbox import hostlimits, mounts, netguard, teardown
from stork.sandbox.binaries import binary_dir, node_binary_dir
from stork.sandbox.cluster import READY_TIMEOUT, ClusterSpec, SandboxCluster
from stork.sandbox.errors import SandboxError
from stork.sandbox.kubeconfig import ClusterCredentials, write_kubeconfig
from stork.sandbox.locking import exclusive
from stork.sandbox.nodes import SandboxNode, missing_prerequisites
from stork.sandbox.processes import terminate
from stork.sandbox.slots import RUN_ROOT, SlotRegistry, bridge_exists, node_network

CLUSTER_SPECS = (
    ClusterSpec("source", "10.96.0.0/16", "10.96.0.1"),
    ClusterSpec("destination", "10.100.0.0/16", "10.100.0.1"),
)
CLUSTER_NAMES = tuple(s.name for s in CLUSTER_SPECS)
_STATE_VERSION = 1
#: Where the inotify limit found before the first sandbox with nodes is kept.
_INOTIFY_RECORD = "inotify-max-user-instances"


@dataclass(frozen=True)
class ClusterStatus:
    """What ``stork sandbox status`` shows for one cluster."""

    name: str
    url: str
    health: str
    #: the cluster's Node (its address), "" without nodes
    node: str = ""


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
        self._slot: int | None = None
        self._guarded = False

    @property
    def id(self) -> str:
        """A short id of this sandbox (from its directory), in everything it puts on the host."""
        return hashlib.sha256(str(self.dir).encode()).hexdigest()[:8]

    @property
    def slot(self) -> int | None:
        """The node slot this sandbox holds (``slots``), None without nodes."""
        return self._slot

    def has_nodes(self) -> bool:
        """True when the sandbox here runs with nodes."""
        data = self._load()
        return data is not None and data.get("slot") is not None

    # -- paths -------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        """Where ports and pids are recorded."""
        return self.dir / "state.json"

    def kubeconfig(self, cluster: str | None = None) -> Path:
        """The kubeconfig of one cluster, or the combined one (contexts source, destination)."""
        return self.dir / (f"{cluster}.kubeconfig" if cluster else "kubeconfig")

    # -- state -------------------------------------------------------------------------------

    def _exclusive(self) -> AbstractContextManager[None]:
        return exclusive(self.dir / ".lock")

    def _new_clusters(
        self, binaries: Path, node_binaries: Path | None
    ) -> dict[str, SandboxCluster]:
        clusters = {
            s.name: SandboxCluster(s, self.dir / s.name, self.dir / "logs", binaries)
            for s in CLUSTER_SPECS
        }
        for c in clusters.values():
            c.on_change = self._save
            if self._slot is not None and node_binaries is not None:
                c.node = SandboxNode(
                    cluster=c.spec.name,
                    sandbox_id=self.id,
                    net=node_network(self._slot, c.spec.name),
                    root=c.root / "node",
                    binaries=node_binaries,
                    pki=c.pki,
                    service_ips=tuple(s.service_ip for s in CLUSTER_SPECS),
                )
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
        slot = data.get("slot")
        self._slot = int(slot) if slot is not None else None
        self._guarded = bool(data.get("guard", False))
        nodes = data.get("nodeBinaries")
        clusters = self._new_clusters(Path(data["binaries"]), Path(nodes) if nodes else None)
        for name, c in clusters.items():
            if name in data["clusters"]:  # absent when a crash came before its first process
                c.load(data["clusters"][name])
        self._stopped = set(data.get("stopped", []))
        return clusters

    def _save(self) -> None:
        with self._state_lock:
            first = next(iter(self._clusters.values()))
            data = {
                "version": _STATE_VERSION,
                "id": self.id,
                "binaries": str(first.binaries),
                "slot": self._slot,
                "nodeBinaries": str(first.node.binaries) if first.node else None,
                "guard": self._guarded,
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

    def up(self, nodes: bool = False) -> UpResult:
        """Start both clusters in parallel, or reuse them when they already run; with
        ``nodes``, each gets a real node (root and the Debian packages are needed: without
        them this fails at once, saying what is missing).

        State left by a run that crashed (recorded processes gone, not stopped on purpose) is
        cleaned: surviving processes of that run are ended and its data is removed.
        """
        started = time.monotonic()
        if nodes and (why := missing_prerequisites()):
            raise SandboxError(why)
        node_binaries = node_binary_dir() if nodes else None
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
                if not crashed and nodes and self._slot is None:
                    raise SandboxError(
                        f"the sandbox in {self.dir} runs without nodes: stop it with "
                        f"`stork sandbox down --dir {self.dir}`, then `up --nodes`"
                    )
                if not crashed:
                    self._guard()
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
            self._stopped = set()
            self._slot = self._registry().claim(self.dir, self.id) if nodes else None
            if nodes and hostlimits.raise_limit(RUN_ROOT / _INOTIFY_RECORD):
                self._log(f"raised fs.inotify.max_user_instances to {hostlimits.WANTED}")
            self._clusters = self._new_clusters(binaries, node_binaries)
            self._save()  # the slot is recorded before anything uses it
            with_nodes = f" with nodes (slot {self._slot})" if nodes else ""
            self._log(f"starting clusters {' and '.join(CLUSTER_NAMES)}{with_nodes} in {self.dir}")
            try:
                self._guard()  # before any apiserver can dial anything
                self._run_parallel(list(self._clusters.values()), keep_ports=False)
                self._guard()  # now with the apiservers' ports for the pods' DNAT
            except BaseException:
                self._remove(list(self._clusters.values()))
                raise
            self._write_kubeconfigs()
            return UpResult(reused=False, seconds=time.monotonic() - started)

    # -- the host's side ---------------------------------------------------------------------

    def _registry(self) -> SlotRegistry:
        return SlotRegistry(RUN_ROOT, _claims_slot, bridge_exists)

    def guard_spec(self) -> netguard.GuardSpec:
        """What the sandbox's iptables rules guard: both service CIDRs, and with nodes the pod
        networks, the bridges, and the Service IPs pods reach."""
        clusters = list(self._clusters.values())
        nodes = [c.node for c in clusters if c.node is not None]
        dnat = tuple(
            netguard.Dnat(c.spec.service_ip, c.ports.apiserver)
            for c in clusters
            if c.ports is not None and nodes
        )
        return netguard.GuardSpec(
            sandbox_id=self.id,
            cidrs=tuple(s.service_cidr for s in CLUSTER_SPECS)
            + tuple(n.net.pod_cidr for n in nodes),
            bridges=tuple(n.net.bridge for n in nodes),
            dnat=dnat,
        )

    def _guard(self) -> None:
        """Install (or refresh) the host-side guard when running as root."""
        if os.geteuid() != 0:
            return
        try:
            netguard.install(self.guard_spec())
        except netguard.GuardError as e:
            raise SandboxError(str(e)) from e
        if not self._guarded:
            self._guarded = True
            self._save()

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
        """End the recorded processes, remove what the nodes and the guard put on the host,
        then data, state and kubeconfigs (logs stay)."""
        with ThreadPoolExecutor(max_workers=max(1, len(clusters))) as pool:
            left = list(pool.map(_teardown_node, clusters))
            list(pool.map(lambda c: c.stop(), clusters))
        if os.geteuid() == 0:
            try:
                netguard.remove(self.id)
            except netguard.GuardError as e:
                if self._guarded:
                    left.append([str(e)])
        if self._slot is not None:
            registry = self._registry()
            registry.release(self.dir, self._slot)
            if not registry.claims():
                teardown.remove_shared_leftovers()
                hostlimits.restore(RUN_ROOT / _INOTIFY_RECORD)
        for c in clusters:
            if stuck := mounts.unmount_below(c.root):
                # Removing a directory with a mount in it would delete what the mount shows.
                left.append([f"mount {m}" for m in stuck] + [f"kept {c.root}"])
            else:
                shutil.rmtree(c.root, ignore_errors=True)
        for problem in (p for problems in left for p in problems):
            self._log(f"warning: left behind: {problem}")
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

    def load_image(self, archive: Path, names: tuple[str, ...] = CLUSTER_NAMES) -> str:
        """Import an OCI image archive into the nodes of the named clusters; returns the
        image's name. The sandbox must run with nodes."""
        image = ""
        for name in names:
            node = self._cluster(name).node
            if node is None:
                raise SandboxError(
                    f"the sandbox in {self.dir} has no nodes (start it with `up --nodes`)"
                )
            image = node.load_image(archive)
        return image

    def node_name(self, name: str) -> str | None:
        """The Node's name (its address) of one cluster, None without nodes."""
        node = self._cluster(name).node
        return node.name if node else None

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
            ClusterStatus(
                n,
                c.url if c.ports else "<none>",
                c.health() if c.ports else "Stopped",
                c.node.name if c.node else "",
            )
            for n, c in clusters.items()
        ]


def _claims_slot(directory: Path, slot: int) -> bool:
    """True when the sandbox in ``directory`` records ``slot`` (its state.json)."""
    try:
        data = json.loads((directory / "state.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("slot") == slot


def _teardown_node(cluster: SandboxCluster) -> list[str]:
    """Remove a cluster's node from the host (the orderly way while its apiserver answers)."""
    if cluster.node is None:
        return []
    with cluster.admin_client() as client:
        try:
            answers = cluster.running() and client.get("/readyz").status_code == 200
        except httpx2.HTTPError:
            answers = False
        return teardown.teardown(cluster.node, cluster.processes, client if answers else None)
