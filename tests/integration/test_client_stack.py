"""One client stack per cluster: lightkube's calls (status writes, events, leases) and the
engine's REST calls get the same retries and metering, against the sandbox through the relay."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lightkube import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from stork.controller.metrics import Metrics
from stork.kube.config import load_config
from stork.kube.stack import RequestHooks, cluster_client
from stork.runtime.leader import LeaderElector
from tests.relay import Relay


def test_lightkube_and_rest_calls_are_retried_after_429_and_counted(
    relay_kubeconfig: Path, relay: Relay, namespace: str
) -> None:
    metrics = Metrics()

    async def scenario() -> tuple[str, list[str]]:
        client = cluster_client(load_config(relay_kubeconfig), metrics.request_hooks("source"))
        try:
            relay.answer(429, headers={"Retry-After": "1"}, count=2)
            created = await client.lightkube.create(  # a POST: 429 is safe to resend
                ConfigMap(metadata=ObjectMeta(name="once", namespace=namespace))
            )
            relay.answer(503, count=1, close_existing=True)
            got = await client.rest.request("GET", f"/api/v1/namespaces/{namespace}/configmaps")
            assert created.metadata is not None
            return str(created.metadata.name), [i["metadata"]["name"] for i in got.json()["items"]]
        finally:
            await client.aclose()

    name, listed = asyncio.run(scenario())
    assert name == "once"
    assert name in listed
    assert relay.answered == 3
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in metrics.registry.collect()
        for s in family.samples
    }
    retries = "stork_api_request_retries_total"
    assert samples[(retries, (("cluster", "source"), ("code", "429")))] == 2
    assert samples[(retries, (("cluster", "source"), ("code", "503")))] == 1
    requests = "stork_api_requests_total"
    assert samples[(requests, (("cluster", "source"), ("code", "429"), ("method", "POST")))] == 2
    assert samples[(requests, (("cluster", "source"), ("code", "201"), ("method", "POST")))] == 1


def test_a_post_is_not_resent_after_a_5xx(
    relay_kubeconfig: Path, relay: Relay, namespace: str
) -> None:
    async def scenario() -> int:
        client = cluster_client(load_config(relay_kubeconfig))
        relay.answer(503, count=1)
        try:
            await client.lightkube.create(
                ConfigMap(metadata=ObjectMeta(name="maybe", namespace=namespace))
            )
        except ApiError as e:
            return e.status.code or 0
        finally:
            await client.aclose()
        return 0

    assert asyncio.run(scenario()) == 503
    assert relay.answered == 1


def test_lease_renewals_ride_out_a_busy_apiserver(
    relay_kubeconfig: Path, relay: Relay, namespace: str
) -> None:
    answers: list[int] = []
    hooks = RequestHooks(lambda _req, resp: answers.append(resp.status_code))

    async def scenario() -> bool:
        client = cluster_client(load_config(relay_kubeconfig), hooks)
        elector = LeaderElector(client.lightkube, namespace, "me", name="stack-test")
        try:
            relay.answer(429, headers={"Retry-After": "1"}, count=2)
            return await elector._acquire()  # GET (404), then create: one try of the election
        finally:
            await client.aclose()

    assert asyncio.run(scenario())
    assert answers[:2] == [429, 429]
    assert relay.answered == 2
