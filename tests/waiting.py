"""Waiting on a condition with a timeout (tests never sleep to synchronise)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T],
    timeout: float = 30.0,
    what: str = "condition",
    also: Callable[[], str] | None = None,
) -> T:
    """Poll ``condition`` until it returns a truthy value; fail the test after ``timeout``
    (saying ``also()`` too, when given: what the test knows then)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            more = f"; {also()}" if also is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}{more}")
        time.sleep(0.05)
