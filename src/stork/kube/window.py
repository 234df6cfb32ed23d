"""How many requests to one cluster are in flight at once, adapted to what the server admits.

An apiserver that admits few requests at once (``--max-mutating-requests-inflight``, or API
Priority and Fairness rejecting a full queue) answers the rest 429. Pausing every request for
the Retry-After then sends nothing for a second after each burst; instead the window shrinks
by half on a 429 (once per round of requests: the 429s of one burst count once) and grows by
one per window's worth of admitted requests, so the client settles at about what the server
takes. A window never shrinks below one request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

#: The window of a cluster that has never answered 429: wider than any caller's concurrency.
CEILING = 256


class AdaptiveWindow:
    """Additive increase, multiplicative decrease of the requests in flight."""

    def __init__(self, ceiling: int = CEILING) -> None:
        if ceiling < 1:
            raise ValueError("ceiling must be >= 1")
        self.ceiling = ceiling
        self.limit = float(ceiling)
        self.in_flight = 0
        self._round = 0
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        """Hold one place in the window for a request; yields the round it was sent in."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < max(1, int(self.limit)))
            self.in_flight += 1
        try:
            yield self._round
        finally:
            async with self._changed:
                self.in_flight -= 1
                self._changed.notify_all()

    def throttled(self, sent_in: int) -> None:
        """A request sent in round ``sent_in`` was answered 429: halve the window, unless an
        answer of that round halved it already."""
        if sent_in != self._round:
            return
        self._round += 1
        self.limit = max(1.0, min(self.limit, float(self.in_flight)) / 2)

    def admitted(self) -> None:
        """A request was admitted (any answer but 429 or 5xx): widen the window a little."""
        self.limit = min(float(self.ceiling), self.limit + 1 / max(self.limit, 1.0))
