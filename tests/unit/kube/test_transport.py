"""The retrying transport layer: the loop around an inner transport, with a fake clock.

The inner transport here is a scripted stand-in for the network (answers in order), so that
the decisions can be checked exactly; the integration tests run it against real apiservers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx2
import pytest

from stork.kube.errors import Backoff
from stork.kube.transport import AsyncRetryTransport, RetryPolicy, RetryTransport

Script = list[int | Exception]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def _answer(step: int | Exception, request: httpx2.Request) -> httpx2.Response:
    if isinstance(step, Exception):
        raise step
    headers = {"Retry-After": "2"} if step == 429 else {}
    return httpx2.Response(step, headers=headers, request=request, content=b"{}")


class SyncScript(httpx2.BaseTransport):
    def __init__(self, script: Script) -> None:
        self.script = list(script)
        self.sent = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent += 1
        return _answer(self.script.pop(0), request)


class AsyncScript(httpx2.AsyncBaseTransport):
    def __init__(self, script: Script) -> None:
        self.script = list(script)
        self.sent = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.sent += 1
        return _answer(self.script.pop(0), request)


POLICY = RetryPolicy(deadline=20.0, backoff=Backoff(base=1.0, cap=4.0))


def run_sync(method: str, script: Script) -> tuple[int | str, int, list[float]]:
    clock = Clock()
    inner = SyncScript(script)
    retries: list[int | None] = []
    transport = RetryTransport(
        inner,
        POLICY,
        on_retry=lambda _req, resp, _err: retries.append(resp.status_code if resp else None),
        sleep=clock.sleep,
        clock=clock,
    )
    with httpx2.Client(transport=transport, base_url="https://127.0.0.1:1") as client:
        try:
            outcome: int | str = client.request(method, "/api").status_code
        except httpx2.TransportError as e:
            outcome = type(e).__name__
    assert len(retries) == inner.sent - 1
    return outcome, inner.sent, clock.slept


def run_async(method: str, script: Script) -> tuple[int | str, int, list[float]]:
    clock = Clock()
    inner = AsyncScript(script)

    async def go() -> int | str:
        transport = AsyncRetryTransport(inner, POLICY, sleep=clock.asleep, clock=clock)
        async with httpx2.AsyncClient(transport=transport, base_url="https://127.0.0.1:1") as c:
            try:
                return (await c.request(method, "/api")).status_code
            except httpx2.TransportError as e:
                return type(e).__name__

    return asyncio.run(go()), inner.sent, clock.slept


RUNNERS: list[Callable[[str, Script], tuple[int | str, int, list[float]]]] = [run_sync, run_async]


@pytest.mark.parametrize("run", RUNNERS)
def test_busy_then_ok_honours_retry_after(
    run: Callable[..., tuple[int | str, int, list[float]]],
) -> None:
    assert run("GET", [429, 503, 200]) == (200, 3, [2.0, 2.0])


@pytest.mark.parametrize("run", RUNNERS)
def test_post_is_not_resent_after_a_5xx_or_a_lost_answer(
    run: Callable[..., tuple[int | str, int, list[float]]],
) -> None:
    assert run("POST", [500, 200]) == (500, 1, [])
    assert run("POST", [httpx2.ReadTimeout("slow"), 200]) == ("ReadTimeout", 1, [])
    assert run("POST", [httpx2.ConnectError("refused"), 201]) == (201, 2, [1.0])


@pytest.mark.parametrize("run", RUNNERS)
def test_final_answers_are_returned_at_once(
    run: Callable[..., tuple[int | str, int, list[float]]],
) -> None:
    assert run("GET", [404]) == (404, 1, [])
    assert run("PATCH", [409]) == (409, 1, [])


@pytest.mark.parametrize("run", RUNNERS)
def test_gives_up_at_the_deadline_with_the_last_answer(
    run: Callable[..., tuple[int | str, int, list[float]]],
) -> None:
    # 1 + 2 + 4 + 4 + 4 + 4 = 19 s of waits fit in 20 s; one more 4 would not.
    outcome, sent, slept = run("GET", [503] * 10)
    assert (outcome, sent, slept) == (503, 7, [1.0, 2.0, 4.0, 4.0, 4.0, 4.0])
    outcome, sent, _ = run("GET", [httpx2.ConnectError("down")] * 10)
    assert (outcome, sent) == ("ConnectError", 7)
