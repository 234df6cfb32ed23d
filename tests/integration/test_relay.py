"""The test fault relay itself, in front of the sandbox's source apiserver."""

from __future__ import annotations

import time
from pathlib import Path

import httpx2
import pytest

from stork.kube.config import load_config
from stork.kube.http import http_client
from tests.relay import Relay
from tests.waiting import wait_for

PATH = "/api/v1/namespaces/default"


def client(kubeconfig: Path, timeout: float = 10.0) -> httpx2.Client:
    """A client with the kubeconfig's credentials; each test client has its own connections."""
    return http_client(load_config(kubeconfig), timeout)


def test_passes_through_then_answers_for_a_count_with_the_clusters_ca(
    relay_kubeconfig: Path, relay: Relay
) -> None:
    with client(relay_kubeconfig) as c:
        assert c.get(PATH).json()["metadata"]["name"] == "default"
    relay.answer(429, headers={"Retry-After": "3"}, count=2)
    codes = []
    for _ in range(3):
        with client(
            relay_kubeconfig
        ) as c:  # verifies the relay's certificate with the cluster's CA
            response = c.get(PATH)
        codes.append(response.status_code)
        if response.status_code == 429:
            assert response.headers["Retry-After"] == "3"
            body = response.json()
            assert (body["kind"], body["reason"], body["code"]) == (
                "Status",
                "TooManyRequests",
                429,
            )
            assert body["details"] == {"retryAfterSeconds": 3}
    assert codes == [429, 429, 200]
    assert relay.answered == 2


def test_answers_for_a_duration(relay_kubeconfig: Path, relay: Relay) -> None:
    relay.answer(503, duration=1.0)
    started = time.monotonic()

    def code() -> int:
        with client(relay_kubeconfig) as c:
            return c.get(PATH).status_code

    assert code() == 503
    wait_for(lambda: code() == 200, timeout=10, what="pass-through after the duration")
    assert time.monotonic() - started >= 1.0


def test_silence_kills_existing_connections_for_good_and_new_ones_while_it_lasts(
    relay_kubeconfig: Path, relay: Relay
) -> None:
    with client(relay_kubeconfig, timeout=1.0) as old:
        assert old.get(PATH).status_code == 200  # a kept-alive connection
        relay.silent()
        # Accepted, but not even the TLS handshake gets through.
        with client(relay_kubeconfig, timeout=1.0) as new, pytest.raises(httpx2.ConnectTimeout):
            new.get(PATH)
        relay.passthrough()
        with pytest.raises(httpx2.ReadTimeout):
            old.get(PATH)  # same connection: still dead
    with client(relay_kubeconfig, timeout=1.0) as new:
        assert new.get(PATH).status_code == 200


def test_delay_holds_each_chunk_from_the_server(relay_kubeconfig: Path, relay: Relay) -> None:
    with client(relay_kubeconfig) as c:
        c.get(PATH)  # connected: the handshake's own chunks are not timed below
        relay.delay(0.5)
        started = time.monotonic()
        assert c.get(PATH).status_code == 200
        assert time.monotonic() - started >= 0.5
        relay.passthrough()
        started = time.monotonic()
        c.get(PATH)
        assert time.monotonic() - started < 0.5
