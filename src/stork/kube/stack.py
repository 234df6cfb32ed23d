"""One client stack per cluster: lightkube's AsyncClient and the dict-level ``Rest`` on one
httpx2 client, whose transport is the same for every request the controller sends there.

From the outside in, a request passes:

1. the retry layer (``kube.transport``: 429 with Retry-After, 5xx and lost connections, for a
   bounded time), except WebSocket upgrades (pods/exec), which go straight on: running a
   command twice is the caller's decision, not the transport's;
2. the metering layer: every answer of every try, for the request metrics;
3. the cluster's rate limiter (a token per try) and its adaptive window of requests in flight
   (``kube.window``: halved on a 429, grown again as requests are admitted);
4. httpx2's HTTP transport, with TLS set up from the kubeconfig as lightkube does it. httpx2
   ignores ``verify=`` when a transport is given, so the SSL context is built here; proxies
   from the environment are never used for cluster connections.

So status writes, events, leases, watches and the engine's requests get the same limits and
retries. One ``ClusterClient`` per cluster, reused; ``aclose`` closes all of it.

The controller's source has two lanes on the cluster's rate limiter: ``lightkube`` and
``rest`` (control: looks at schedules, status writes, events, leases, watches) and ``bulk`` (a
migration's LISTs), with a connection pool and a window of its own, at most
:data:`BULK_IN_FLIGHT` requests (``bulk_in_flight``; without it ``bulk`` is ``rest``). A burst of
migrations then neither queues a schedule's trigger behind it in our pool nor fills the API
server with so many requests that each one waits long there (its latency grows with the
requests it holds, not its throughput).
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass

import httpx2
from lightkube import AsyncClient
from lightkube.config import client_adapter
from lightkube.config.kubeconfig import SingleConfig
from lightkube.config.models import User

from stork.api.constants import FIELD_MANAGER
from stork.kube.ratelimit import TokenBucket
from stork.kube.rest import Rest
from stork.kube.transport import AsyncRetryTransport, OnRetry, RetryPolicy
from stork.kube.window import AdaptiveWindow

REQUEST_TIMEOUT = 30.0
QPS = 200.0
BURST = 400
#: Requests of the bulk lane in flight at once to one cluster (every migration together).
BULK_IN_FLIGHT = 32
#: Connections of a lane's pool, every one kept open between requests (httpx's default keeps
#: 20: past 20 requests at once, each burst closed connections and opened new ones, a TLS
#: handshake each, on both sides).
CONNECTIONS = 100
OnResponse = Callable[[httpx2.Request, httpx2.Response], None]
"""Called with every answer of every try (before any retry)."""


@dataclass(frozen=True)
class RequestHooks:
    """What the metering layer reports to (e.g. Prometheus counters of one cluster)."""

    response: OnResponse | None = None
    retry: OnRetry | None = None


class RateLimitTransport(httpx2.AsyncBaseTransport):
    """Takes a token of ``limiter`` and a place in ``window`` for each request; a 429 narrows
    the window, an admitted request widens it again."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        limiter: TokenBucket,
        window: AdaptiveWindow | None = None,
    ) -> None:
        self.inner = inner
        self.limiter = limiter
        self.window = window or AdaptiveWindow()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Wait for a token and a place in the window, then send."""
        await self.limiter.acquire()
        async with self.window.slot() as sent_in:
            response = await self.inner.handle_async_request(request)
            if response.status_code == 429:
                self.window.throttled(sent_in)
            elif response.status_code < 500:
                self.window.admitted()
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


class MeteredTransport(httpx2.AsyncBaseTransport):
    """Reports every answer to ``on_response``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, on_response: OnResponse) -> None:
        self.inner = inner
        self._on_response = on_response

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send, and report the answer."""
        response = await self.inner.handle_async_request(request)
        self._on_response(request, response)
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


class UpgradeBypass(httpx2.AsyncBaseTransport):
    """Sends WebSocket upgrades to ``direct`` (never retried), everything else to ``retrying``.

    A refused upgrade's body (the apiserver's Status saying why) is read here, so that the
    caller can still quote it after the WebSocket client has closed the response.
    """

    def __init__(
        self, retrying: httpx2.AsyncBaseTransport, direct: httpx2.AsyncBaseTransport
    ) -> None:
        self.retrying = retrying
        self.direct = direct

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Route by the ``Upgrade`` header."""
        if "upgrade" not in request.headers:
            return await self.retrying.handle_async_request(request)
        response = await self.direct.handle_async_request(request)
        if response.status_code != 101:
            await response.aread()
        return response

    async def aclose(self) -> None:
        """Close the stack (``direct`` is a part of ``retrying``)."""
        await self.retrying.aclose()


def ssl_context(config: SingleConfig, trust_env: bool = False) -> ssl.SSLContext:
    """The TLS settings of a kubeconfig (CA, client certificate), as lightkube reads them.

    The controller never takes them from the environment; storkctl, on a user's machine,
    honours SSL_CERT_FILE as kubectl's tools do (``trust_env``) for a cluster without a CA.
    """
    return client_adapter.verify_cluster(
        config.cluster, config.user or User(), config.abs_file, trust_env=trust_env
    )


def cluster_transport(
    config: SingleConfig,
    limiter: TokenBucket,
    hooks: RequestHooks | None = None,
    retry: RetryPolicy | None = None,
    window: AdaptiveWindow | None = None,
    connections: int = CONNECTIONS,
) -> httpx2.AsyncBaseTransport:
    """The transport stack of one cluster (see the module's docstring), on a pool of
    ``connections``."""
    verify: ssl.SSLContext | bool = (
        ssl_context(config) if config.cluster.server.startswith("https") else False
    )
    sender: httpx2.AsyncBaseTransport = RateLimitTransport(
        httpx2.AsyncHTTPTransport(
            verify=verify,
            trust_env=False,
            limits=httpx2.Limits(
                max_connections=connections,
                max_keepalive_connections=connections,
                keepalive_expiry=30.0,
            ),
        ),
        limiter,
        window,
    )
    hooks = hooks or RequestHooks()
    if hooks.response is not None:
        sender = MeteredTransport(sender, hooks.response)
    return UpgradeBypass(AsyncRetryTransport(sender, retry, on_retry=hooks.retry), sender)


@dataclass(frozen=True)
class ClusterClient:
    """lightkube's client and the dict-level REST client of one cluster, on one httpx2 client,
    and the bulk lane's REST client, on another with the same rate limiter."""

    lightkube: AsyncClient
    rest: Rest
    limiter: TokenBucket
    bulk: Rest

    @property
    def http(self) -> httpx2.AsyncClient:
        """The httpx2 client both use (base URL, credentials, the transport stack)."""
        return self.rest.http

    async def aclose(self) -> None:
        """Close the connections (both lanes)."""
        await self.rest.http.aclose()
        if self.bulk is not self.rest:
            await self.bulk.http.aclose()


def cluster_client(
    config: SingleConfig,
    hooks: RequestHooks | None = None,
    *,
    qps: float = QPS,
    burst: int = BURST,
    timeout: float = REQUEST_TIMEOUT,
    retry: RetryPolicy | None = None,
    bulk_in_flight: int | None = None,
) -> ClusterClient:
    """The client stack of one cluster; build one per cluster and reuse it. With
    ``bulk_in_flight``, its bulk lane holds at most that many requests in flight."""
    limiter = TokenBucket(qps, burst)

    def lane(window: AdaptiveWindow | None, connections: int) -> AsyncClient:
        return AsyncClient(
            config=config,
            field_manager=FIELD_MANAGER,
            timeout=httpx2.Timeout(timeout),
            transport=cluster_transport(config, limiter, hooks, retry, window, connections),
            trust_env=False,
        )

    lightkube = lane(None, CONNECTIONS)
    # lightkube does not take an httpx2 client, but it builds one from the same config with
    # our transport: that one is shared (its attribute is not public; a unit test pins it).
    http: httpx2.AsyncClient = lightkube._client._client
    rest = Rest(http)
    if bulk_in_flight is None:
        return ClusterClient(lightkube, rest, limiter, rest)
    bulk_lane = lane(AdaptiveWindow(ceiling=bulk_in_flight), bulk_in_flight)
    bulk: httpx2.AsyncClient = bulk_lane._client._client
    return ClusterClient(lightkube, rest, limiter, Rest(bulk))
