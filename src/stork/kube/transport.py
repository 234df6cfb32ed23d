"""An httpx2 transport layer that retries what ``stork.kube.errors`` says is retryable.

Every client of a cluster (lightkube's, the engine's REST client, storkctl's) sends its requests
through it, so 429 with ``Retry-After``, 5xx and lost connections are handled once, the same
way, for a bounded time (``RetryPolicy.deadline``); after that the last answer (or error) is
what the caller sees. Streaming answers (watches) are retried only before their body is read.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx2

from stork.kube.errors import Backoff, Disposition, error_disposition, retry_after_seconds
from stork.kube.errors import status_disposition as _status_disposition

OnRetry = Callable[[httpx2.Request, httpx2.Response | None, BaseException | None], None]
"""Called before each retry with the request and the answer (or error) that caused it."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to keep trying one request, and how to space the tries.

    The default rides out a busy or restarting apiserver (429s, a few seconds of 503s); a
    longer outage is the caller's to handle (a migration retries its stage, a watch lists
    again, a lease renewal gives up before its renew deadline), not one request's.
    """

    deadline: float = 15.0
    backoff: Backoff = field(default_factory=Backoff)


class _Tries:
    """The retry decisions for one request; the transports only send and sleep."""

    def __init__(
        self, policy: RetryPolicy, request: httpx2.Request, clock: Callable[[], float]
    ) -> None:
        self._policy = policy
        self._request = request
        self._clock = clock
        self._started = clock()
        self._attempt = 0

    def sent(self) -> None:
        """Count one try."""
        self._attempt += 1

    def after_error(self, error: httpx2.TransportError) -> float | None:
        """Seconds to wait before trying again after ``error`` (None: give up, raise it)."""
        if error_disposition(error, self._request.method) is not Disposition.RETRY:
            return None
        return self._delay(None)

    def after_response(self, response: httpx2.Response) -> float | None:
        """Seconds to wait before trying again after ``response`` (None: it is the answer)."""
        if response.status_code < 400:
            return None
        if _status_disposition(response.status_code, self._request.method) is not (
            Disposition.RETRY
        ):
            return None
        return self._delay(response)

    def _delay(self, response: httpx2.Response | None) -> float | None:
        after = retry_after_seconds(response.headers.get("Retry-After")) if response else None
        delay = self._policy.backoff.delay(self._attempt, after)
        if self._clock() + delay - self._started > self._policy.deadline:
            return None
        return delay


class AsyncRetryTransport(httpx2.AsyncBaseTransport):
    """Wraps an async transport (e.g. ``httpx2.AsyncHTTPTransport``) with retries."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport,
        policy: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self._on_retry = on_retry
        self._sleep = sleep
        self._clock = clock

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send ``request``, retrying retryable answers and errors until the deadline."""
        tries = _Tries(self.policy, request, self._clock)
        while True:
            tries.sent()
            try:
                response = await self.inner.handle_async_request(request)
            except httpx2.TransportError as e:
                delay = tries.after_error(e)
                if delay is None:
                    raise
                if self._on_retry is not None:
                    self._on_retry(request, None, e)
                await self._sleep(delay)
                continue
            delay = tries.after_response(response)
            if delay is None:
                return response
            await response.aclose()
            if self._on_retry is not None:
                self._on_retry(request, response, None)
            await self._sleep(delay)

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self.inner.aclose()


class RetryTransport(httpx2.BaseTransport):
    """Wraps a synchronous transport (``httpx2.HTTPTransport``) with retries (storkctl)."""

    def __init__(
        self,
        inner: httpx2.BaseTransport,
        policy: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        self._on_retry = on_retry
        self._sleep = sleep
        self._clock = clock

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send ``request``, retrying retryable answers and errors until the deadline."""
        tries = _Tries(self.policy, request, self._clock)
        while True:
            tries.sent()
            try:
                response = self.inner.handle_request(request)
            except httpx2.TransportError as e:
                delay = tries.after_error(e)
                if delay is None:
                    raise
                if self._on_retry is not None:
                    self._on_retry(request, None, e)
                self._sleep(delay)
                continue
            delay = tries.after_response(response)
            if delay is None:
                return response
            response.close()
            if self._on_retry is not None:
                self._on_retry(request, response, None)
            self._sleep(delay)

    def close(self) -> None:
        """Close the wrapped transport."""
        self.inner.close()
