"""Pre- and post-exec rules running their commands in real containers (sandbox with nodes).

The background action uses Stork's documented form: ``background: true`` and a command that
holds ``${WAIT_CMD}`` (Stork's example holds a MySQL lock with it). Whether it is really held
until the resources are applied is checked from inside the container: once released, the
command asks a witness on the host (reachable from the pods at their bridge's address) whether
the migrated object is on the destination yet, and writes the answer into the container.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from lightkube import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from stork.kube.config import make_client
from stork.kube.resources import ClusterPairResource
from stork.sandbox.seeds import seed_objects
from stork.sandbox.slots import node_network
from tests.integration.conftest import Clusters, RunningController
from tests.integration.test_migration import kubectl, run_migration
from tests.integration.test_nodes import busybox_deployment, pod_exec, wait_ready
from tests.integration.test_rules import make_rule
from tests.waiting import wait_for

APP = busybox_deployment("db", 2, ["sleep", "3600"])


@pytest.fixture
def app(node_clusters: Clusters, node_namespace: str) -> list[str]:
    """Two Running busybox pods on the source's node, a ConfigMap, a Ready pair; pod names."""
    kubectl(node_clusters.kubeconfig("source"), "apply", "-n", node_namespace, "-f", "-", stdin=APP)
    node_clusters.source.create(
        ConfigMap(metadata=ObjectMeta(name="marker", namespace=node_namespace), data={"a": "1"})
    )
    make_pair(node_clusters, node_namespace)
    pods = wait_ready(node_clusters.source, node_namespace, 2, {"app": "db"})
    return sorted(p.metadata.name for p in pods if p.metadata and p.metadata.name)


def make_pair(clusters: Clusters, namespace: str) -> None:
    """The ClusterPair ``remote`` in ``namespace``, to the destination (loopback: for the
    controller on the host)."""
    pair = copy.deepcopy(seed_objects(clusters.sandbox.credentials("destination"))[1])
    pair["metadata"] = {"name": "remote", "namespace": namespace}
    pair.pop("status")
    clusters.source.create(ClusterPairResource.from_dict(pair))


@pytest.fixture
def controller(start_node_controller: Callable[..., RunningController]) -> RunningController:
    """The host's controller, trying a command once."""
    return start_node_controller("--pair-check-interval", "1", "--rule-command-tries", "1")


def read(clusters: Clusters, namespace: str, pod: str, path: str) -> str:
    done = pod_exec(clusters.kubeconfig("source"), namespace, pod, f"cat {path}")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_pre_and_post_exec_commands_run_in_every_pod(
    node_clusters: Clusters, node_namespace: str, app: list[str], controller: RunningController
) -> None:
    make_rule(node_clusters, node_namespace, "freeze",
              {"type": "command", "value": "echo pre-exec in $(hostname) >> /tmp/rules.log"})  # fmt: skip
    make_rule(node_clusters, node_namespace, "thaw",
              {"type": "command", "value": "echo post-exec in $(hostname) >> /tmp/rules.log"})  # fmt: skip
    result = run_migration(
        node_clusters, node_namespace, "ruled", preExecRule="freeze", postExecRule="thaw"
    )
    assert result["status"] == "Successful", result
    for pod in app:
        assert read(node_clusters, node_namespace, pod, "/tmp/rules.log") == (
            f"pre-exec in {pod}\npost-exec in {pod}\n"
        )


class Witness:
    """An HTTP server on the host, on the source node's bridge address: ``GET /<ns>/<name>``
    answers whether that ConfigMap is on the destination right now."""

    def __init__(self, clusters: Clusters, address: str) -> None:
        self.answers: list[str] = []
        # One client, one request at a time: in two CI runs, of two pods asking at once after
        # their release, one never got an answer when each request made a client of its own.
        destination = make_client(clusters.kubeconfig("destination"))
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                _, namespace, name = self.path.split("/")
                try:
                    with lock:
                        destination.get(ConfigMap, name, namespace=namespace)
                    answer = "present"
                except ApiError as e:
                    answer = "absent" if e.status.code == 404 else f"error {e.status.code}"
                except Exception as e:  # noqa: BLE001 - said to the pod and kept for the test
                    answer = f"error {type(e).__name__}"
                witness.answers.append(answer)
                body = answer.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        witness = self
        self.destination = destination
        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.address = address
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ask(self, namespace: str, name: str) -> str:
        """The shell command with which a pod asks (the answer on stdout); up to 3 times, 5 s
        each, should an answer get lost."""
        request = f"GET /{namespace}/{name} HTTP/1.0\\r\\n\\r\\n"
        once = f"printf '{request}' | nc -w 5 {self.address} {self.port} | tail -n 1"
        return (
            f'{{ for i in 1 2 3; do a="$({once})"; [ -n "$a" ] && break; done; printf %s "$a"; }}'
        )


@pytest.fixture
def witness(node_clusters: Clusters) -> Iterator[Witness]:
    slot = node_clusters.sandbox.slot
    assert slot is not None
    w = Witness(node_clusters, node_network(slot, "source").gateway)
    yield w
    w.server.shutdown()
    w.server.server_close()
    w.destination.close()


def inside(clusters: Clusters, namespace: str, pod: str, ask: str, witness: Witness) -> str:
    """What a timeout should tell: the witness's answers, the pod's processes and files, and
    whether the witness answers that pod now."""
    seen = pod_exec(clusters.kubeconfig("source"), namespace, pod, f"ps; ls -l /tmp; {ask}")
    return f"the witness answered {witness.answers}; in {pod}: {seen.stdout}{seen.stderr}"


def test_a_background_command_holds_wait_cmd_until_the_resources_are_applied(
    node_clusters: Clusters,
    node_namespace: str,
    app: list[str],
    controller: RunningController,
    witness: Witness,
) -> None:
    ask = witness.ask(node_namespace, "marker")
    # Before the migration the witness says so from inside a container too.
    assert (
        pod_exec(node_clusters.kubeconfig("source"), node_namespace, app[0], ask).stdout == "absent"
    )
    held = f"echo held > /tmp/hold.log; ${{WAIT_CMD}}; {ask} > /tmp/after-release"
    make_rule(node_clusters, node_namespace, "lock",
              {"type": "command", "background": True, "value": held})  # fmt: skip
    result = run_migration(node_clusters, node_namespace, "held", preExecRule="lock")
    assert result["status"] == "Successful", result
    for pod in app:
        assert read(node_clusters, node_namespace, pod, "/tmp/hold.log") == "held\n"
        after = wait_for(
            lambda pod=pod: (
                pod_exec(
                    node_clusters.kubeconfig("source"),
                    node_namespace,
                    pod,
                    "cat /tmp/after-release",
                ).stdout
            ),
            timeout=60,
            what=f"the held command in {pod} to end",
            also=lambda pod=pod: inside(node_clusters, node_namespace, pod, ask, witness),
        )
        assert after == "present", f"{pod} was released before the ConfigMap was applied"
    # Before the migration, then once per pod after its release (an ask that got no answer
    # and was repeated may add one more), never "absent" after a release.
    assert witness.answers[0] == "absent", witness.answers
    assert set(witness.answers[1:]) == {"present"}, witness.answers
    assert len(witness.answers) >= 3, witness.answers


def test_a_failing_command_fails_the_migration_with_storks_message(
    node_clusters: Clusters, node_namespace: str, app: list[str], controller: RunningController
) -> None:
    make_rule(node_clusters, node_namespace, "broken", {"type": "command", "value": "exit 3"})
    result = run_migration(node_clusters, node_namespace, "failing", preExecRule="broken")
    assert result["status"] == "Failed", result
    message = str(result["conditions"][0]["message"])
    prefixes = [
        f"Error running PreExecRule: command: exit 3 failed in pod: [{node_namespace}] {pod} due to: "
        for pod in app
    ]
    assert any(message.startswith(p) for p in prefixes), message
    assert "exit code 3" in message, message
    assert not result.get("resources"), result  # the rule runs before anything is applied
