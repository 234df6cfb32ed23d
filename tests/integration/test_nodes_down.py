"""Two sandboxes with nodes at once never clash, and `down` leaves nothing of one behind:
no process, mount, cgroup (v1 hierarchies and /sys/fs/cgroup/unified), bridge, veth, netns or
iptables rule, while the others keep all of theirs (their guards too: same CIDRs, their own
rules)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from lightkube.resources.core_v1 import Node

from stork.kube.config import make_client
from stork.sandbox import Sandbox, cgroups, mounts, netguard
from stork.sandbox.nodes import cgroup_name, run_dir
from stork.sandbox.processes import is_running
from stork.sandbox.slots import RUN_ROOT, node_network
from stork.sandbox.teardown import CNI_CACHE, CONTAINER_LOG_LINKS, shim_pids, shim_socket
from tests.integration.conftest import Clusters
from tests.integration.test_migration import kubectl
from tests.integration.test_nodes import busybox_pod, records, wait_ready
from tests.integration.test_sandbox_lifecycle import _alive

CLUSTERS = ("source", "destination")


def containers(sandbox: Sandbox) -> dict[str, list[str]]:
    """containerd's container ids on each node of `sandbox`."""
    out = {}
    for c in CLUSTERS:
        sock = run_dir(sandbox.id, c) / "containerd.sock"
        done = subprocess.run(
            ["ctr", "--address", str(sock), "-n", "k8s.io", "containers", "ls", "-q"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        out[c] = done.stdout.split()
    return out


def host_state(sandbox: Sandbox, slot: int, ids: dict[str, list[str]]) -> dict[str, Any]:
    """What of `sandbox` (holding `slot`, with these containers) is on the host right now."""
    bridges = [node_network(slot, c).bridge for c in CLUSTERS]
    claim = RUN_ROOT / "slots" / str(slot)
    sockets = [
        shim_socket(run_dir(sandbox.id, c) / "containerd.sock", "k8s.io", i)
        for c in CLUSTERS
        for i in ids[c]
    ]
    links = [p for p in CONTAINER_LOG_LINKS.glob("*") if p.is_symlink()]
    return {
        "log links": [p.name for p in links if str(p.readlink()).startswith(str(sandbox.dir))],
        "CNI cache": [p.name for p in CNI_CACHE.glob(f"stork-{sandbox.id}-*")],
        "shim sockets": [str(p) for p in sockets if p.exists()],
        "bridges": [b for b in bridges if Path(f"/sys/class/net/{b}").exists()],
        "cgroups": [p for c in CLUSTERS for p in cgroups.exists(cgroup_name(sandbox.id, c))],
        "mounts": mounts.below(sandbox.dir) + mounts.below(RUN_ROOT / sandbox.id),
        "rules": sandbox.id in netguard.listing("filter") + netguard.listing("nat"),
        "run dirs": [c for c in CLUSTERS if run_dir(sandbox.id, c).exists()],
        "slot claimed": claim.exists() and json.loads(claim.read_text())["dir"] == str(sandbox.dir),
    }


def test_a_second_sandbox_with_nodes_runs_beside_and_its_down_leaves_nothing(
    clusters: Clusters, node_clusters: Clusters, tmp_path: Path
) -> None:
    other = Sandbox(tmp_path / "other")
    started = time.monotonic()
    other.up(nodes=True)
    up_seconds = time.monotonic() - started
    slot = other.slot
    try:
        assert slot is not None
        assert slot != node_clusters.sandbox.slot
        assert other.node_name("source") != node_clusters.sandbox.node_name("source")
        with make_client(other.kubeconfig("source")) as client:
            assert [n.metadata.name for n in client.list(Node) if n.metadata] == [
                other.node_name("source")
            ]
            kubectl(other.kubeconfig("source"), "apply", "-f", "-",
                    stdin=busybox_pod("p", "default", "sleep 3600"))  # fmt: skip
            wait_ready(client, "default", 1)
        ids = containers(other)
        before = host_state(other, slot, ids)
        assert len(ids["source"]) == 2  # the pod's sandbox (pause) and its container
        assert before["shim sockets"], "the formula of shim_socket must match containerd's"
        assert before["log links"]
        assert before["CNI cache"]
        assert len(before["bridges"]) == 2
        assert before["cgroups"]
        assert before["rules"]
        assert before["slot claimed"]
        assert [m for m in before["mounts"] if "/netns/cni-" in m], "the pod's netns file"
        veths = [p.name for p in Path(f"/sys/class/net/{before['bridges'][0]}/brif").iterdir()]
        assert veths, "the pod's veth on the bridge"
        processes = [r for rs in records(other).values() for r in rs]
        shims = shim_pids(run_dir(other.id, "source") / "containerd.sock")
        assert shims
    finally:
        other.down()
    assert host_state(other, slot, ids) == {
        "log links": [],
        "CNI cache": [],
        "shim sockets": [],
        "bridges": [],
        "cgroups": [],
        "mounts": [],
        "rules": False,
        "run dirs": [],
        "slot claimed": False,
    }
    assert not [v for v in veths if Path(f"/sys/class/net/{v}").exists()]
    assert not [r.component for r in processes if is_running(r)]
    assert not [p for p in shims if _alive(p)]
    assert not other.state_path.exists()
    # the session's sandboxes kept all of their own, the guard of the one without nodes too
    assert netguard.present(node_clusters.sandbox.id)
    assert netguard.present(clusters.sandbox.id)
    assert {s.health for s in node_clusters.sandbox.status() or []} == {"Ready"}
    print(f"second sandbox with nodes up in {up_seconds:.1f}s")
