"""The layers of a cluster's client stack, over a scripted stand-in for the network.

The whole stack against a real apiserver (through the fault relay) is in
tests/integration/test_client_stack.py.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from stork.kube.window import AdaptiveWindow


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


class Admits(httpx2.AsyncBaseTransport):
    """A server that admits ``capacity`` requests at once and answers the rest 429 (as an
    apiserver's in-flight limit does), each admitted one taking ``seconds``."""

    def __init__(self, capacity: int, seconds: float) -> None:
        self.capacity = capacity
        self.seconds = seconds
        self.in_flight = 0
        self.answers: list[int] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self.in_flight >= self.capacity:
            self.answers.append(429)
            return httpx2.Response(429, headers={"Retry-After": "1"})
        self.in_flight += 1
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.in_flight -= 1
        self.answers.append(200)
        return httpx2.Response(200, stream=httpx2.ByteStream(b"{}"))


def test_a_server_that_admits_two_at_once_is_sent_about_two_at_a_time() -> None:
    """32 callers at once against a server that admits 2: the window narrows to about 2, so
    most requests are admitted at their first try (a pause of every request after each 429,
    as before, left each burst of 32 with 30 answers 429: 15 for each admitted request)."""
    server = Admits(capacity=2, seconds=0.005)
    transport = AsyncRetryTransport(
        RateLimitTransport(server, TokenBucket(100000, 100000)),
        RetryPolicy(deadline=60.0, backoff=Backoff(base=0.0, cap=0.0, cap_retry_after=0.05)),
    )

    async def go() -> None:
        async with httpx2.AsyncClient(transport=transport, base_url="https://127.0.0.1:1") as c:
            queue = list(range(400))

            async def caller() -> None:
                while queue:
                    queue.pop()
                    assert (await c.get("/api")).status_code == 200

            await asyncio.gather(*(caller() for _ in range(32)))

    asyncio.run(go())
    assert server.answers.count(200) == 400
    assert server.answers.count(429) < 200  # AIMD's sawtooth: about one per 3 admitted


def test_the_window_halves_once_per_round_and_grows_back() -> None:
    window = AdaptiveWindow(ceiling=64)

    async def go() -> list[float]:
        seen = []
        async with contextlib.AsyncExitStack() as stack:
            rounds = [await stack.enter_async_context(window.slot()) for _ in range(16)]
            for sent_in in rounds:  # a burst of 16, all answered 429: one halving
                window.throttled(sent_in)
            seen.append(window.limit)
        async with window.slot() as sent_in:  # a request of the next round: halved again
            window.throttled(sent_in)
        seen.append(window.limit)
        for _ in range(10):
            window.admitted()
        seen.append(window.limit)
        return seen

    halved, again, grown = asyncio.run(go())
    assert halved == 8.0  # min(64, 16 in flight) / 2
    assert again == 1.0  # min(8, 1 in flight) / 2, never below 1
    assert 4.0 < grown < 5.0  # about sqrt(2 * 10) more


def test_a_full_window_holds_the_next_request_until_one_ends() -> None:
    window = AdaptiveWindow(ceiling=1)

    async def go() -> list[str]:
        order = []

        async def one(name: str, hold: float) -> None:
            async with window.slot():
                order.append(f"{name} in")
                await asyncio.sleep(hold)
                order.append(f"{name} out")

        await asyncio.gather(one("a", 0.05), one("b", 0))
        return order

    assert asyncio.run(go()) == ["a in", "a out", "b in", "b out"]


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


def _rate_limit_layer(http: httpx2.AsyncClient) -> RateLimitTransport:
    transport = http._transport
    assert isinstance(transport, UpgradeBypass)
    layer = transport.direct
    while not isinstance(layer, RateLimitTransport):
        layer = layer.inner  # type: ignore[attr-defined]
    return layer


def test_the_bulk_lane_has_its_own_pool_and_window_and_the_same_rate_limit(
    tmp_path: Path,
) -> None:
    config = load_config(unreachable_kubeconfig(tmp_path / "config"))
    hooks = RequestHooks(response=lambda _req, _resp: None)
    two = cluster_client(config, hooks, bulk_in_flight=3)
    control, bulk = _rate_limit_layer(two.http), _rate_limit_layer(two.bulk.http)
    assert two.bulk.http is not two.http
    assert control.limiter is bulk.limiter is two.limiter
    assert control.window is not bulk.window
    assert (control.window.ceiling, bulk.window.ceiling) == (256, 3)
    # Every connection of a pool is kept between requests: a burst does not open new ones.
    pools = [layer.inner._pool for layer in (control, bulk)]  # type: ignore[attr-defined]
    assert [(p._max_connections, p._max_keepalive_connections) for p in pools] == [
        (100, 100),
        (3, 3),
    ]
    asyncio.run(two.aclose())
    assert two.http.is_closed
    assert two.bulk.http.is_closed

    one = cluster_client(config)  # a single lane: bulk is the same client
    assert one.bulk is one.rest
    asyncio.run(one.aclose())
    assert one.http.is_closed


def test_a_full_bulk_window_does_not_hold_a_control_request() -> None:
    """The point of the lanes: with the bulk lane's window full, a control request (a
    schedule's trigger) is sent at once."""
    limiter = TokenBucket(1000.0, 1000)
    released, full = asyncio.Event(), asyncio.Event()
    held: list[str] = []

    class Held(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            if request.url.path == "/bulk":
                held.append(request.url.path)
                if len(held) == 2:
                    full.set()
                await released.wait()
            return httpx2.Response(200, stream=httpx2.ByteStream(b"{}"))

    async def go() -> list[str]:
        bulk = RateLimitTransport(Held(), limiter, AdaptiveWindow(ceiling=2))
        control = RateLimitTransport(Held(), limiter)
        done: list[str] = []
        base = "http://127.0.0.1:1"
        async with (
            httpx2.AsyncClient(transport=bulk, base_url=base) as b,
            httpx2.AsyncClient(transport=control, base_url=base) as c,
        ):

            async def send(client: httpx2.AsyncClient, path: str) -> None:
                await client.get(path)
                done.append(path)

            waiting = [asyncio.create_task(send(b, "/bulk")) for _ in range(4)]
            await asyncio.wait_for(full.wait(), timeout=5)
            assert bulk.window.in_flight == 2  # the other two wait for a place
            await asyncio.wait_for(send(c, "/control"), timeout=5)
            released.set()
            await asyncio.gather(*waiting)
        return done

    assert asyncio.run(go()) == ["/control", "/bulk", "/bulk", "/bulk", "/bulk"]
