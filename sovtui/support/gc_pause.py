"""Pause the cyclic garbage collector while one bulk parse builds many objects.

A 10,000-row answer or a 5,000-node summary allocates hundreds of thousands of containers
that all survive until the parse ends; meanwhile the collector runs again and again, and its
full passes walk every object of the process (the TUI's widgets included): half a big parse's
time, and 100-200 ms frozen frames. Paused for the parse, the collector runs once after it.
Reference counting still frees everything that is not a cycle, so memory does not pile up.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block, unless the collector was already off (then it
    stays off: a caller that turned it off keeps it off)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
