"""The layers of a cluster's client stack, over a scripted stand-in for the network.

The whole stack against a real apiserver (through the fault relay) is in
tests/integration/test_client_stack.py.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx2
import yaml

from stork.kube.config import load_config
from stork.kube.errors import Backoff
from stork.kube.ratelimit import TokenBucket
from stork.kube.stack import (
    MeteredTransport,
    RateLimitTransport,
    RequestHooks,
    UpgradeBypass,
    cluster_client,
)
from stork.kube.transport import AsyncRetryTransport, RetryPolicy


class Script(httpx2.AsyncBaseTransport):
    """Answers in order: a status code (with Retry-After for 429) per request."""

    def __init__(self, *codes: int, retry_after: str = "2") -> None:
        self.codes = list(codes)
        self.sent: list[str] = []
        self.retry_after = retry_after

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent.append(request.method)
        code = self.codes.pop(0)
        headers = {"Retry-After": self.retry_after} if code == 429 else {}
        body = b'{"kind":"Status","message":"no kubelet"}' if code >= 400 else b"{}"
        return httpx2.Response(code, headers=headers, stream=httpx2.ByteStream(body))


async def _no_sleep(_seconds: float) -> None:
    return None


FAST = RetryPolicy(deadline=60.0, backoff=Backoff(base=0.0, cap=0.0, cap_retry_after=0.0))


def test_every_try_is_counted_and_every_retry_reported() -> None:
    seen: list[int] = []
    retried: list[int | None] = []
    script = Script(429, 503, 200)
    metered = MeteredTransport(script, lambda _req, resp: seen.append(resp.status_code))
    transport = AsyncRetryTransport(
        metered,
        FAST,
        on_retry=lambda _req, resp, _err: retried.append(resp.status_code if resp else None),
        sleep=_no_sleep,
    )

    async def go() -> int:
        async with httpx2.AsyncClient(transport=transport, base_url="https://127.0.0.1:1") as c:
            return (await c.get("/api")).status_code

    assert asyncio.run(go()) == 200
    assert seen == [429, 503, 200]
    assert retried == [429, 503]


def test_a_429_holds_every_request_to_the_cluster_for_its_retry_after() -> None:
    limiter = TokenBucket(1000, 1000)
    transport = RateLimitTransport(Script(429, 200), limiter)

    async def go() -> tuple[int, float]:
        async with httpx2.AsyncClient(transport=transport, base_url="https://127.0.0.1:1") as c:
            first = (await c.get("/api")).status_code
            started = time.monotonic()
            await limiter.acquire()  # any request now waits for the pause to end
            return first, time.monotonic() - started

    first, waited = asyncio.run(go())
    assert first == 429
    assert waited >= 1.9


def test_a_servers_retry_after_cannot_park_the_cluster_for_long() -> None:
    limiter = TokenBucket(1000, 1000)
    transport = RateLimitTransport(Script(429, retry_after="3600"), limiter, max_pause=30)

    async def go() -> float:
        async with httpx2.AsyncClient(transport=transport, base_url="https://127.0.0.1:1") as c:
            await c.get("/api")
        return limiter.paused()

    assert 29 < asyncio.run(go()) <= 30


def test_upgrades_are_never_retried_and_their_refusal_stays_readable() -> None:
    script = Script(500, 500, 200)
    transport = UpgradeBypass(AsyncRetryTransport(script, FAST, sleep=_no_sleep), script)

    async def go() -> tuple[int, bytes, int]:
        async with httpx2.AsyncClient(transport=transport, base_url="https://127.0.0.1:1") as c:
            async with c.stream("GET", "/exec", headers={"Upgrade": "websocket"}) as refused:
                pass  # closed unread, as a WebSocket client does with a refusal
            plain = await c.get("/api")  # the same 500 is retried for a plain GET
            return refused.status_code, refused.content, plain.status_code

    code, body, plain = asyncio.run(go())
    assert (code, plain) == (500, 200)
    assert b"no kubelet" in body
    assert script.sent == ["GET", "GET", "GET"]


def unreachable_kubeconfig(path: Path) -> Path:
    """A kubeconfig of a cluster at 127.0.0.1:1 (nothing listens; nothing is sent there)."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "c",
                "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    return path


def test_lightkube_and_rest_share_one_http_client(tmp_path: Path) -> None:
    hooks = RequestHooks(response=lambda _req, _resp: None)
    client = cluster_client(load_config(unreachable_kubeconfig(tmp_path / "config")), hooks)
    # lightkube's httpx2 client is not public: this pins where the stack finds it.
    assert client.lightkube._client._client is client.http
    assert isinstance(client.http._transport, UpgradeBypass)
    assert not client.http.trust_env  # no proxies or netrc from the environment
    asyncio.run(client.aclose())
    assert client.http.is_closed
