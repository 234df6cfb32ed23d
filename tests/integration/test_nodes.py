"""Real nodes (`stork sandbox up --nodes`): pods run, exec and logs go through the apiserver to
the kubelet, pods reach their apiservers and nothing else, stop/start keep a node.

Also the helpers the other tests on nodes share (a busybox pod, waiting for Ready pods,
kubectl exec).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml
from lightkube import Client
from lightkube.resources.core_v1 import Node, Pod

from stork.sandbox import Sandbox
from stork.sandbox.images import BUSYBOX_IMAGE
from stork.sandbox.processes import ProcessRecord, is_running
from stork.sandbox.slots import node_network
from tests.integration.conftest import Clusters
from tests.integration.test_migration import KUBECTL, kubectl
from tests.waiting import wait_for

NODE_COMPONENTS = {"containerd", "kubelet", "kube-scheduler"}
CONTROL_PLANE = {"etcd", "kube-apiserver", "kube-controller-manager"}


def busybox_pod(
    name: str, namespace: str, command: str, labels: dict[str, str] | None = None
) -> str:
    """A busybox pod running `command`, as YAML."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": {
                "terminationGracePeriodSeconds": 1,
                "containers": [
                    {
                        "name": "main",
                        "image": BUSYBOX_IMAGE,
                        "imagePullPolicy": "Never",
                        "command": ["sh", "-c", command],
                    }
                ],
            },
        }
    )


def busybox_deployment(name: str, replicas: int, command: list[str]) -> str:
    """A Deployment of busybox pods labelled ``app: <name>`` running `command`, as YAML."""
    labels = {"app": name}
    container = {"name": name, "image": BUSYBOX_IMAGE, "imagePullPolicy": "Never"}
    spec = {"terminationGracePeriodSeconds": 1, "containers": [{**container, "command": command}]}
    return yaml.safe_dump(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": spec},
            },
        }
    )


def ready_pods(client: Client, namespace: str, selector: dict[str, str] | None = None) -> list[Pod]:
    """The pods of `namespace` (matching `selector`) that are Running and Ready."""
    out = []
    for pod in client.list(Pod, namespace=namespace, labels=selector or {}):
        status = pod.status
        if status is None or status.phase != "Running" or pod.metadata is None:
            continue
        if pod.metadata.deletionTimestamp is not None:
            continue
        if any(c.type == "Ready" and c.status == "True" for c in status.conditions or []):
            out.append(pod)
    return out


def wait_ready(
    client: Client,
    namespace: str,
    count: int,
    selector: dict[str, str] | None = None,
    timeout: float = 120.0,
) -> list[Pod]:
    """Wait until exactly `count` pods are Running and Ready."""
    return wait_for(
        lambda: (pods := ready_pods(client, namespace, selector)) and len(pods) == count and pods,
        timeout=timeout,
        what=f"{count} Ready pods in {namespace}",
    )


def pod_exec(
    kubeconfig: Path, namespace: str, pod: str, command: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`kubectl exec` of `sh -c command` (through the apiserver to the kubelet)."""
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "exec", *(["-i"] if stdin is not None else []),
         "-n", namespace, pod, "--", "sh", "-c", command],
        input=stdin, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


def records(sandbox: Sandbox) -> dict[str, list[ProcessRecord]]:
    """The processes state.json records, per cluster."""
    state: dict[str, Any] = json.loads(sandbox.state_path.read_text())
    return {
        name: [ProcessRecord.from_json(p) for p in c["processes"]]
        for name, c in state["clusters"].items()
    }


def test_both_nodes_are_ready_named_by_their_address_and_recorded(node_clusters: Clusters) -> None:
    for name, client in (
        ("source", node_clusters.source),
        ("destination", node_clusters.destination),
    ):
        nodes = list(client.list(Node))
        assert [n.metadata.name for n in nodes if n.metadata] == [
            node_clusters.sandbox.node_name(name)
        ]
        node = nodes[0]
        assert node.status is not None
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
        assert [
            (a.type, a.address) for a in node.status.addresses or [] if a.type == "InternalIP"
        ] == [("InternalIP", node_clusters.sandbox.node_name(name))]
    for name, recorded in records(node_clusters.sandbox).items():
        assert {r.component for r in recorded} == CONTROL_PLANE | NODE_COMPONENTS, name
        assert all(is_running(r) for r in recorded), name


def test_a_pod_runs_and_exec_and_logs_go_through_the_apiserver(
    node_clusters: Clusters, node_namespace: str
) -> None:
    source = node_clusters.kubeconfig("source")
    kubectl(
        source,
        "apply",
        "-f",
        "-",
        stdin=busybox_pod("hello", node_namespace, "echo hello from the pod; sleep 3600"),
    )
    wait_ready(node_clusters.source, node_namespace, 1)
    assert kubectl(source, "logs", "-n", node_namespace, "hello") == "hello from the pod\n"
    done = pod_exec(source, node_namespace, "hello", "cat /etc/hostname")
    assert (done.returncode, done.stdout) == (0, "hello\n"), done.stderr
    done = pod_exec(
        source, node_namespace, "hello", "cat > /tmp/in; cat /tmp/in", stdin="through stdin\n"
    )
    assert done.stdout == "through stdin\n", done.stderr
    failing = pod_exec(source, node_namespace, "hello", "exit 3")
    assert failing.returncode == 3


def test_pods_reach_the_apiservers_by_their_service_ips_and_nothing_else(
    node_clusters: Clusters, node_namespace: str
) -> None:
    source = node_clusters.kubeconfig("source")
    kubectl(source, "apply", "-f", "-", stdin=busybox_pod("probe", node_namespace, "sleep 3600"))
    wait_ready(node_clusters.source, node_namespace, 1)
    routes = pod_exec(source, node_namespace, "probe", "ip route").stdout.splitlines()
    assert not [r for r in routes if r.startswith("default")], routes
    slot = node_clusters.sandbox.slot
    assert slot is not None
    pod_cidr = node_network(slot, "source").pod_cidr
    assert sorted(r.split()[0] for r in routes) == sorted(["10.96.0.1", "10.100.0.1", pod_cidr])
    for service_ip in ("10.96.0.1", "10.100.0.1"):  # the source's and the destination's
        # plain HTTP to the TLS port: Go's HTTPS server (the apiserver) says what it is
        request = f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {service_ip} 443"
        done = pod_exec(source, node_namespace, "probe", request)
        assert "Client sent an HTTP request to an HTTPS server" in done.stdout, (service_ip, done)
    # TEST-NET-3: never routed anywhere; the pod has no route to it at all
    started = time.monotonic()
    done = pod_exec(source, node_namespace, "probe", "nc -w 5 203.0.113.1 80")
    assert done.returncode != 0
    assert "Network is unreachable" in done.stderr
    assert time.monotonic() - started < 5


def test_stop_and_start_keep_the_node_and_its_running_pods(
    node_clusters: Clusters, node_namespace: str
) -> None:
    destination = node_clusters.kubeconfig("destination")
    kubectl(destination, "create", "namespace", node_namespace)
    kubectl(
        destination, "apply", "-f", "-", stdin=busybox_pod("keeper", node_namespace, "sleep 3600")
    )
    before = wait_ready(node_clusters.destination, node_namespace, 1)[0]
    assert before.status is not None
    container = (before.status.containerStatuses or [])[0]
    node_clusters.sandbox.stop("destination")
    stopped = {r.component for r in records(node_clusters.sandbox)["destination"] if is_running(r)}
    assert stopped == set()
    node_clusters.sandbox.start("destination")
    after = wait_ready(node_clusters.destination, node_namespace, 1)[0]
    assert after.status is not None
    again = (after.status.containerStatuses or [])[0]
    # the same container, never restarted: the node's runtime came back to it
    assert (again.containerID, again.restartCount) == (container.containerID, 0)
    assert node_clusters.sandbox.status() is not None
    assert {s.health for s in node_clusters.sandbox.status() or []} == {"Ready"}
