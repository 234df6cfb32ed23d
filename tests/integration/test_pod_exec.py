"""pods/exec through lightkube's exec on the cluster's client stack, against the sandbox.

The sandbox has no kubelet, so no command really runs (that needs a real node); what is
checked is everything up to the kubelet: the request through the real apiserver with the
stack's credentials and metering, its refusals turned into clear errors, and an upgrade never
retried by the transport (running a command twice is the rule's decision).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx2
import pytest

from stork.kube.config import load_config
from stork.kube.podexec import ExecError, PodExec
from stork.kube.stack import RequestHooks, cluster_client
from tests.integration.conftest import Clusters
from tests.integration.test_rules import ghost_node, running_pod  # noqa: F401 - a fixture
from tests.relay import Relay


@pytest.fixture
def ghost_pod(clusters: Clusters, namespace: str, ghost_node: str) -> str:  # noqa: F811
    """A Running pod on a Node whose kubelet would be 127.0.0.1:1, where nothing listens."""
    running_pod(clusters, namespace, ghost_node)
    return "db-0"


def run_exec(kubeconfig: Path, namespace: str, pod: str) -> tuple[str, list[tuple[str, int]]]:
    """The ExecError of one exec, and the (method, status) of every answer the stack saw."""
    answers: list[tuple[str, int]] = []
    hooks = RequestHooks(lambda req, resp: answers.append((req.method, resp.status_code)))

    async def go() -> str:
        client = cluster_client(load_config(kubeconfig), hooks)
        try:
            await PodExec(client.lightkube).run(namespace, pod, "db", ["sh", "-c", "true"], 20)
        except ExecError as e:
            return str(e)
        finally:
            await client.aclose()
        raise AssertionError("the exec succeeded without a kubelet")

    return asyncio.run(go()), answers


def test_the_apiserver_reaches_for_the_kubelet_and_its_refusal_is_the_error(
    clusters: Clusters, namespace: str, ghost_pod: str
) -> None:
    error, answers = run_exec(clusters.kubeconfig("source"), namespace, ghost_pod)
    assert "127.0.0.1:1" in error, error
    assert "connection refused" in error, error
    assert answers == [("GET", 101)]  # upgraded, then the Status said why it failed


def test_a_refused_upgrade_says_why(clusters: Clusters, namespace: str) -> None:
    error, answers = run_exec(clusters.kubeconfig("source"), namespace, "missing")
    assert error == 'pods "missing" not found'
    assert answers == [("GET", 404)]


def test_an_exec_is_not_retried_by_the_transport_but_other_requests_are(
    namespace: str, ghost_pod: str, relay: Relay, relay_kubeconfig: Path
) -> None:
    relay.answer(503, message="apiserver is shutting down", count=1)
    error, answers = run_exec(relay_kubeconfig, namespace, ghost_pod)
    assert error == "apiserver is shutting down"
    assert answers == [("GET", 503)]
    relay.answer(503, count=1)

    async def get() -> int:
        client = cluster_client(load_config(relay_kubeconfig))
        try:
            pod = await client.rest.request("GET", f"/api/v1/namespaces/{namespace}/pods")
            return pod.status_code
        finally:
            await client.aclose()

    assert asyncio.run(get()) == httpx2.codes.OK
    assert relay.answered == 2
