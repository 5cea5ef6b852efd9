"""Python's cyclic garbage collector, paused while the solver builds many objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block.

    Loading and compiling a 100,000-employee problem build millions of objects, none in a
    reference cycle; the collector's passes over that growing heap took longer than parsing
    the document (half of a 44 MB load). Reference counting still frees everything as
    usual; the collector resumes, as it was, when the block ends.
    """
    if not gc.isenabled():  # nested, or the caller turned it off
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
