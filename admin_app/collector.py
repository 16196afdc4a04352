"""Pausing Python's cyclic garbage collector while a burst of short-lived rows goes by.

Rows fetched by the thousand (a streamed export, a decoded duplicates scan, the ids a merge
moved) form no reference cycles: reference counting frees them. But each one counts as an
allocation, and enough of them make the collector run a full collection of the whole process
(a fifth of a big merge, more than half of an export) for nothing.

The pause is process-wide: while it lasts, no thread collects cycles (memory they hold waits
for the end). It wraps work that ends: a merge, an export, a duplicates scan (about a minute at
a million companies, in the background job when there is a queue)."""
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_paused = 0
_collect_after = False
_paused_lock = threading.Lock()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (nesting and threads allowed): the collector is
    back on when the last one leaves, if it was on when the first came in."""
    global _paused, _collect_after
    with _paused_lock:
        if _paused == 0:
            _collect_after = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _collect_after:
                gc.enable()
