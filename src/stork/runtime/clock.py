"""Where "now" comes from: the real clock in production, an injected one in tests."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """A source of timezone-aware instants."""

    def now(self) -> dt.datetime:
        """The current instant (timezone-aware)."""


class SystemClock:
    """The machine's clock."""

    def now(self) -> dt.datetime:
        """The current instant in UTC."""
        return dt.datetime.now(dt.UTC)
