"""Removing a node from the host, so that ``down`` leaves nothing behind.

First the orderly way, while the cluster still answers: the controller-manager and the
scheduler are stopped (nothing re-creates or re-binds a pod) and every pod is deleted, so that
the kubelet stops them through containerd, which tears down their networks (CNI DEL: veth,
address, cache), netns files, log links and shims. Then, whatever is left (a stopped or crashed
cluster, a pod that would not go): every process in the node's cgroups is killed, containerd's
containers and tasks are deleted, containerd and its shims end, and the mounts, the bridge, the
cgroups, the CNI cache entries, the kubelet's log links and the shims' sockets of this node are
removed. Each step runs whatever the one before left.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx2

from stork.sandbox import cgroups, mounts
from stork.sandbox.errors import SandboxError
from stork.sandbox.nodes import SandboxNode
from stork.sandbox.processes import ProcessRecord, terminate

#: Where the kubelet links every container's log (a fixed path, whatever its root-dir).
CONTAINER_LOG_LINKS = Path("/var/log/containers")
#: libcni's cache of ADD results, by network name, container id and interface.
CNI_CACHE = Path("/var/lib/cni/results")
#: containerd-shim's sockets (a fixed directory, whatever containerd's state directory).
SHIM_SOCKETS = Path("/run/containerd/s")
#: The kubelet's device-manager socket (a fixed path); shared by every kubelet on the host.
DEVICE_PLUGINS = Path("/var/lib/kubelet/device-plugins")
ORDERLY_TIMEOUT = 30.0


def shim_pids(containerd_socket: Path) -> list[int]:
    """containerd-shim processes started by the containerd of that socket (their -address)."""
    want = str(containerd_socket)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if not argv or b"containerd-shim" not in argv[0]:
            continue
        args = [a.decode(errors="replace") for a in argv]
        if any(a == "-address" and b == want for a, b in itertools.pairwise(args)):
            found.append(int(entry.name))
    return found


def shim_socket(containerd_socket: Path, namespace: str, shim_id: str) -> Path:
    """The socket containerd 1.6 gives a shim: a digest of its address, namespace and id."""
    digest = hashlib.sha256(f"{containerd_socket}/{namespace}/{shim_id}".encode()).hexdigest()
    return SHIM_SOCKETS / digest


def cni_cache_entries(network: str, names: list[str]) -> list[str]:
    """The CNI cache entries of one network among ``names``: its own (``<network>-<id>-<if>``)
    and the loopback entries of the same containers (``cni-loopback-<id>-lo``) (pure)."""
    ids = {n[len(network) + 1 :].rsplit("-", 1)[0] for n in names if n.startswith(f"{network}-")}
    return sorted(
        n
        for n in names
        if n.startswith(f"{network}-") or n in {f"cni-loopback-{i}-lo" for i in ids}
    )


def _delete_pods(api: httpx2.Client) -> None:
    """Delete every pod of the cluster at once (grace 0: the kubelet kills them in seconds)."""
    r = api.get("/api/v1/pods")
    r.raise_for_status()
    namespaces = {(p.get("metadata") or {}).get("namespace") for p in r.json().get("items", [])}
    for ns in sorted(n for n in namespaces if n):
        api.delete(f"/api/v1/namespaces/{ns}/pods", params={"gracePeriodSeconds": "0"})


def _containers(node: SandboxNode) -> list[str]:
    return node.ctr("containers", "ls", "-q", timeout=10).split()


def _wait_until_empty(node: SandboxNode, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := _containers(node)) and time.monotonic() < deadline:
        time.sleep(0.25)
    return left


def teardown(
    node: SandboxNode, records: list[ProcessRecord], api: httpx2.Client | None
) -> list[str]:
    """Remove everything of ``node`` from the host; returns what was left behind.

    ``records`` are the cluster's processes (its controller-manager is stopped here, before the
    pods are deleted); ``api`` an admin client of the cluster, None when it does not answer.
    """
    by_name = {r.component: r for r in records}
    left: list[str] = []
    seen: list[str] = []  # containerd's containers, for their shims' sockets

    def step(what: str, action: Callable[[], list[str] | None]) -> None:
        try:
            left.extend(action() or [])
        except (OSError, SandboxError, subprocess.SubprocessError, httpx2.HTTPError) as e:
            left.append(f"{what}: {e}")

    def stop(*components: str) -> None:
        terminate([by_name[c] for c in components if c in by_name])

    def orderly() -> None:
        if api is None or not node.containerd_ready():
            return
        seen.extend(_containers(node))
        _delete_pods(api)
        _wait_until_empty(node, ORDERLY_TIMEOUT)

    def kill_containers() -> list[str]:
        stuck = cgroups.kill_all(node.cgroup)
        return [f"processes {sorted(stuck)} in cgroup {node.cgroup}"] if stuck else []

    def delete_containers() -> None:
        if not node.containerd_ready():
            return
        for cid in _containers(node):
            seen.append(cid)
            with contextlib.suppress(SandboxError):
                node.ctr("tasks", "delete", "--force", cid, timeout=20)
            with contextlib.suppress(SandboxError):
                node.ctr("containers", "delete", cid, timeout=20)

    def end_shims() -> None:
        for pid in shim_pids(node.socket):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for cid in seen:  # a killed shim leaves its socket
            shim_socket(node.socket, "k8s.io", cid).unlink(missing_ok=True)

    def unmount() -> list[str]:
        return [f"mount {m}" for w in (node.run, node.root) for m in mounts.unmount_below(w)]

    def host_leftovers() -> None:
        if CONTAINER_LOG_LINKS.is_dir():
            logs = str(node.root / "pod-logs") + "/"
            for link in CONTAINER_LOG_LINKS.iterdir():
                if link.is_symlink() and str(link.readlink()).startswith(logs):
                    link.unlink()
        if CNI_CACHE.is_dir():
            names = [p.name for p in CNI_CACHE.iterdir()]
            for name in cni_cache_entries(node.network_name, names):
                (CNI_CACHE / name).unlink(missing_ok=True)

    def remove_run_dir() -> None:
        if not mounts.below(node.run):
            shutil.rmtree(node.run, ignore_errors=True)
            with contextlib.suppress(OSError):
                node.run.parent.rmdir()  # /run/stork-sandbox/<id>, once both nodes went

    step("stopping the controller-manager and the scheduler",
         lambda: stop("kube-scheduler", "kube-controller-manager"))  # fmt: skip
    step("deleting the pods", orderly)
    step("stopping the kubelet", lambda: stop("kubelet"))
    step("killing the containers", kill_containers)
    step("deleting the containers", delete_containers)
    step("stopping containerd", lambda: stop("containerd"))
    step("ending the shims", end_shims)
    step("unmounting", unmount)
    step("deleting the bridge", node.bridge_down)
    step("removing the cgroups", lambda: [f"cgroup {p}" for p in cgroups.remove(node.cgroup)])
    step("removing the CNI cache and log links", host_leftovers)
    step("removing the run directory", remove_run_dir)
    return left


def remove_shared_leftovers() -> None:
    """What every kubelet shares on the host, once no sandbox with nodes is left: the device
    manager's socket, and the directories the kubelets and the CNI made (only when empty)."""
    sock = DEVICE_PLUGINS / "kubelet.sock"
    if sock.is_socket():
        sock.unlink()
    for d in (
        DEVICE_PLUGINS,
        DEVICE_PLUGINS.parent,
        CONTAINER_LOG_LINKS,
        CNI_CACHE,
        CNI_CACHE.parent,
        SHIM_SOCKETS,
        SHIM_SOCKETS.parent,
    ):
        with contextlib.suppress(OSError):
            d.rmdir()
