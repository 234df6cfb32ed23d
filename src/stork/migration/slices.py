"""The pure CPU work of a migration in time slices that give the event loop its turn.

Transforming, hashing and planning thousands of objects is pure Python: run in one go it
holds the event loop for seconds, and meanwhile nothing else of the controller runs (Lease
renewals, watches, probes, the other migrations' requests). Work done through
:func:`in_slices` returns to the loop at least every :data:`SLICE_SECONDS`. A thread would not
help: the GIL makes it take the loop's turns just the same, and adds the hand-overs' cost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from stork.runtime.gcpause import paused_gc

T = TypeVar("T")
R = TypeVar("R")

#: Longest stretch of CPU work between two turns of the event loop (seconds).
SLICE_SECONDS = 0.02


async def in_slices(
    items: Iterable[T], work: Callable[[T], R], budget: float = SLICE_SECONDS
) -> list[R]:
    """``[work(item) for item in items]``, yielding to the event loop every ``budget`` seconds.

    The cyclic GC is paused within a slice (see ``stork.runtime.gcpause``), never across an
    ``await``.
    """
    out: list[R] = []
    pending = iter(items)
    while True:
        deadline = time.perf_counter() + budget
        with paused_gc():
            for item in pending:
                out.append(work(item))
                if time.perf_counter() >= deadline:
                    break
            else:
                return out
        await asyncio.sleep(0)


class Turns:
    """Yield to the event loop from a loop of many small steps, at most every ``budget`` s."""

    def __init__(self, budget: float = SLICE_SECONDS) -> None:
        self._budget = budget
        self._deadline = time.perf_counter() + budget

    async def take(self) -> None:
        """Give the loop its turn if this slice has used up its budget."""
        if time.perf_counter() >= self._deadline:
            await asyncio.sleep(0)
            self._deadline = time.perf_counter() + self._budget
