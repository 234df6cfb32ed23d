"""Pausing Python's cyclic garbage collector around bursts of allocation.

Decoding a LIST page or transforming thousands of objects creates many container objects at
once, none of which can be garbage yet; each burst sets off the collector again and again, and
its full collections traverse the whole heap (informer caches included). Pausing it for such a
burst, which contains no ``await``, costs nothing in memory (reference counting still frees
everything that is not in a cycle) and makes these steps several times faster.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with the cyclic GC off (unchanged when it already is off)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
