"""WorkQueue: de-duplication, one worker per key, delayed adds, capped back-off."""

from __future__ import annotations

import asyncio

import pytest

from stork.runtime.workqueue import QueueShutDownError, WorkQueue


def test_duplicate_adds_are_queued_once() -> None:
    async def scenario() -> list[str]:
        q: WorkQueue[str] = WorkQueue()
        for key in ("a", "b", "a", "a"):
            q.add(key)
        assert len(q) == 2
        return [await q.get(), await q.get()]

    assert asyncio.run(scenario()) == ["a", "b"]


def test_key_added_while_processing_runs_again_after_done() -> None:
    async def scenario() -> tuple[int, str]:
        q: WorkQueue[str] = WorkQueue()
        q.add("a")
        key = await q.get()
        q.add("a")  # a change arrives while "a" is being reconciled
        queued_during = len(q)
        q.done(key)
        return queued_during, await asyncio.wait_for(q.get(), 1)

    assert asyncio.run(scenario()) == (0, "a")


def test_add_after_keeps_the_earliest_schedule() -> None:
    async def scenario() -> float:
        q: WorkQueue[str] = WorkQueue()
        loop = asyncio.get_running_loop()
        start = loop.time()
        q.add_after("a", 5.0)
        q.add_after("a", 0.05)
        q.add_after("a", 3.0)  # later than the scheduled one: ignored
        await asyncio.wait_for(q.get(), 2)
        return loop.time() - start

    assert asyncio.run(scenario()) < 1.0


def test_backoff_doubles_and_is_capped_and_forget_resets() -> None:
    async def scenario() -> tuple[list[float], float]:
        q: WorkQueue[str] = WorkQueue(base_delay=0.5, max_delay=4.0)
        delays = [q.backoff("a") for _ in range(6)]
        q.forget("a")
        return delays, q.backoff("a")

    delays, after_forget = asyncio.run(scenario())
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert after_forget == 0.5


def test_shut_down_wakes_waiting_workers() -> None:
    async def scenario() -> None:
        q: WorkQueue[str] = WorkQueue()
        waiter = asyncio.create_task(q.get())
        await asyncio.sleep(0)
        await q.shut_down()
        with pytest.raises(QueueShutDownError):
            await asyncio.wait_for(waiter, 1)
        q.add("late")
        assert len(q) == 0

    asyncio.run(scenario())


def test_adds_retries_and_longest_running_are_counted() -> None:
    now = [100.0]

    async def scenario() -> list[tuple[int, int, int, float]]:
        q: WorkQueue[str] = WorkQueue(clock=lambda: now[0])
        seen = []
        for key in ("a", "b", "a"):  # "a" twice while waiting: one add
            q.add(key)
        seen.append((len(q), q.adds, q.retries, q.longest_running()))
        first = await q.get()
        now[0] = 103.0
        second = await q.get()
        now[0] = 110.0
        seen.append((len(q), q.adds, q.retries, q.longest_running()))  # "a" started at 100
        q.backoff(first)
        q.done(first)
        seen.append((len(q), q.adds, q.retries, q.longest_running()))  # "b" started at 103
        q.done(second)
        seen.append((len(q), q.adds, q.retries, q.longest_running()))
        return seen

    assert asyncio.run(scenario()) == [
        (2, 2, 0, 0.0),
        (0, 2, 0, 10.0),
        (0, 2, 1, 7.0),
        (0, 2, 1, 0.0),
    ]
