"""A node's configuration: what keeps it private to its sandbox and its machine."""

from pathlib import Path

import pytest

from stork.sandbox import nodes
from stork.sandbox.nodes import NO_PULL_PROXY, SandboxNode, missing_prerequisites
from stork.sandbox.pki import PkiPaths
from stork.sandbox.slots import node_network


def _node(tmp_path: Path, slot: int = 3) -> SandboxNode:
    return SandboxNode(
        cluster="destination",
        sandbox_id="abcd1234",
        net=node_network(slot, "destination"),
        root=tmp_path / "destination" / "node",
        binaries=tmp_path / "bin",
        pki=PkiPaths(tmp_path / "destination" / "pki"),
        service_ips=("10.96.0.1", "10.100.0.1"),
    )


def test_the_kubelet_serves_only_authenticated_authorized_clients(tmp_path: Path) -> None:
    config = _node(tmp_path).kubelet_config()
    assert config["authentication"] == {
        "anonymous": {"enabled": False},
        "webhook": {"enabled": True},
        "x509": {"clientCAFile": str(tmp_path / "destination" / "pki" / "ca.crt")},
    }
    assert config["authorization"] == {"mode": "Webhook"}
    assert config["readOnlyPort"] == 0
    assert (config["address"], config["healthzBindAddress"]) == ("127.0.3.3", "127.0.3.3")
    assert config["cgroupRoot"] == "/stork-abcd1234-destination"
    assert config["resolvConf"] == ""  # no nameserver: pods resolve nothing outside


def test_pods_get_no_default_route_no_masquerade_no_forwarding(tmp_path: Path) -> None:
    plugin = _node(tmp_path).cni_config()["plugins"][0]  # type: ignore[index]
    assert plugin["bridge"] == "stork3-dst"
    assert plugin["isGateway"] is False  # the bridge plugin would turn on ip_forward
    assert plugin["ipMasq"] is False
    ipam = plugin["ipam"]
    assert ipam["ranges"] == [[{"subnet": "10.244.8.0/24", "gateway": "10.244.8.1"}]]
    assert ipam["routes"] == [{"dst": "10.96.0.1/32"}, {"dst": "10.100.0.1/32"}]
    assert str(tmp_path) in ipam["dataDir"]


def test_containerd_keeps_its_state_private_and_never_pulls(tmp_path: Path) -> None:
    node = _node(tmp_path)
    text = node.containerd_config()
    assert f'address = "{node.socket}"' in text
    assert "restrict_oom_score_adj = true" in text
    assert "netns_mounts_under_state_dir = true" in text
    assert str(node.run) in text
    assert str(node.root) in text
    env = node._env(proxy=True)
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == NO_PULL_PROXY
    assert "/usr/sbin" not in env["PATH"]  # the kubelet must find no iptables


def test_without_root_nodes_fail_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes.os, "geteuid", lambda: 1000)
    why = missing_prerequisites()
    assert why is not None
    assert "needs root" in why
    assert "\n" not in why


def test_missing_packages_are_named_with_the_remedy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nodes.os, "geteuid", lambda: 0)
    monkeypatch.setattr(nodes.shutil, "which", lambda *a, **k: None)
    monkeypatch.setattr(nodes.os, "access", lambda *a: False)
    why = missing_prerequisites()
    assert why is not None
    assert "\n" not in why
    for named in ("containerd", "runc", "containernetworking-plugins", "make packages"):
        assert named in why
