"""What a node's teardown reads from the host: mount points by prefix, cgroup hierarchies."""

import hashlib
from pathlib import Path

from stork.sandbox.cgroups import v1_hierarchies
from stork.sandbox.mounts import below, mount_points
from stork.sandbox.teardown import cni_cache_entries, shim_socket

MOUNTINFO = """\
22 1 0:21 / / rw shared:1 - ext4 /dev/vda rw
30 22 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw
31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu
32 30 0:28 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
33 30 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
40 22 0:50 / /tmp/sb/source/node/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access rw - tmpfs tmpfs rw
41 22 0:51 / /run/stork-sandbox/abcd/source/containerd/io.containerd.runtime.v2.task/k8s.io/c1/rootfs rw - overlay overlay rw
42 22 0:52 / /tmp/sb/source/node/with\\040space rw - tmpfs tmpfs rw
43 22 0:53 / /tmp/sb/source/node rw - tmpfs tmpfs rw
44 43 0:54 / /tmp/sb/source/node rw - tmpfs tmpfs rw
45 22 0:55 / /tmp/sb/source/node-other rw - tmpfs tmpfs rw
"""


def test_mount_points_are_unescaped() -> None:
    assert "/tmp/sb/source/node/with space" in mount_points(MOUNTINFO)


def test_below_lists_deepest_first_and_never_a_sibling_with_the_same_prefix() -> None:
    found = below(Path("/tmp/sb/source/node"), MOUNTINFO)
    assert found[0].endswith("kube-api-access")
    assert "/tmp/sb/source/node-other" not in found
    assert found[-1] == "/tmp/sb/source/node"
    assert set(found) == {
        "/tmp/sb/source/node/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access",
        "/tmp/sb/source/node/with space",
        "/tmp/sb/source/node",
    }


def test_v1_hierarchies_are_the_cgroup_mounts_only() -> None:
    assert v1_hierarchies(MOUNTINFO, Path("/sys/fs/cgroup")) == [
        Path("/sys/fs/cgroup/cpu"),
        Path("/sys/fs/cgroup/memory"),
    ]


def test_cni_cache_entries_of_one_network_and_its_containers_loopback() -> None:
    names = [
        "stork-abcd-source-c1-eth0",
        "cni-loopback-c1-lo",
        "stork-abcd-source-c2-eth0",
        "cni-loopback-c2-lo",
        "stork-ffff-source-c3-eth0",  # another sandbox's
        "cni-loopback-c3-lo",
        "stork-abcd-destination-c4-eth0",  # the other node's
    ]
    assert cni_cache_entries("stork-abcd-source", names) == [
        "cni-loopback-c1-lo",
        "cni-loopback-c2-lo",
        "stork-abcd-source-c1-eth0",
        "stork-abcd-source-c2-eth0",
    ]


def test_shim_socket_is_containerds_digest_of_address_namespace_and_id() -> None:
    sock = shim_socket(Path("/run/x/containerd.sock"), "k8s.io", "abc")
    assert sock.parent == Path("/run/containerd/s")
    assert sock.name == hashlib.sha256(b"/run/x/containerd.sock/k8s.io/abc").hexdigest()
