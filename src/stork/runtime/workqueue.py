"""A work queue for reconciles: de-duplicated keys, one worker per key, delays and back-off.

Semantics follow client-go's workqueue: a key added while queued is not queued twice; a key
added while being processed is processed once more after ``done``; ``add_after`` schedules an
add (keeping the earliest of several schedules); failures back off exponentially, capped.
It counts what client-go's workqueue metrics report (adds, retries, how long the oldest key
in process has been running); the metrics module reads those at scrape time.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class QueueShutDownError(Exception):
    """The queue was shut down; workers stop."""


class WorkQueue(Generic[K]):
    """Keys to reconcile. Use from one event loop."""

    def __init__(
        self,
        base_delay: float = 0.5,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queue: deque[K] = deque()
        self._queued: set[K] = set()
        #: Keys being processed, with when each was handed out.
        self._processing: dict[K, float] = {}
        self._dirty: set[K] = set()
        self._timers: dict[K, tuple[float, asyncio.TimerHandle]] = {}
        self._failures: dict[K, int] = {}
        #: Keys queued since the start (an add of a key already queued does not count).
        self.adds = 0
        #: Failures that backed a key off.
        self.retries = 0
        self._wakeup = asyncio.Condition()
        self._shut_down = False
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock

    def __len__(self) -> int:
        return len(self._queue)

    def add(self, key: K) -> None:
        """Queue a key now (no-op when already queued; re-run when being processed)."""
        if self._shut_down:
            return
        if key in self._processing:
            self._dirty.add(key)
            return
        if key in self._queued:
            return
        self._queued.add(key)
        self._queue.append(key)
        self.adds += 1
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._wakeup:
            self._wakeup.notify()

    def add_after(self, key: K, delay: float) -> None:
        """Queue a key after ``delay`` seconds, unless an earlier add is already scheduled."""
        if delay <= 0:
            self.add(key)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        scheduled = self._timers.get(key)
        if scheduled is not None:
            if scheduled[0] <= due:
                return
            scheduled[1].cancel()
        handle = loop.call_at(due, self._fire, key)
        self._timers[key] = (due, handle)

    def _fire(self, key: K) -> None:
        self._timers.pop(key, None)
        self.add(key)

    def backoff(self, key: K) -> float:
        """Record a failure of ``key`` and return how long to wait before the next try."""
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        self.retries += 1
        return float(min(self.base_delay * 2 ** (failures - 1), self.max_delay))

    def forget(self, key: K) -> None:
        """Clear the failure count of ``key`` after a success."""
        self._failures.pop(key, None)

    def failures(self, key: K) -> int:
        """How many times in a row ``key`` has failed."""
        return self._failures.get(key, 0)

    async def get(self) -> K:
        """Wait for a key; the caller must call ``done(key)`` when finished with it."""
        async with self._wakeup:
            while True:
                if self._shut_down:
                    raise QueueShutDownError
                if self._queue:
                    break
                await self._wakeup.wait()
            key = self._queue.popleft()
            self._queued.discard(key)
            self._processing[key] = self._clock()
            return key

    def done(self, key: K) -> None:
        """Mark ``key`` processed; queue it again if it was added meanwhile."""
        self._processing.pop(key, None)
        if key in self._dirty:
            self._dirty.discard(key)
            self.add(key)

    def longest_running(self) -> float:
        """Seconds the oldest key still being processed has been running (0 when none)."""
        if not self._processing:
            return 0.0
        return max(0.0, self._clock() - min(self._processing.values()))

    async def shut_down(self) -> None:
        """Stop handing out keys; waiting workers get QueueShutDownError."""
        self._shut_down = True
        for _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        async with self._wakeup:
            self._wakeup.notify_all()
