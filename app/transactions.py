"""Release the request's transaction before a sync endpoint hands back to the event loop.

On SQLite every transaction holds the database write lock (BEGIN IMMEDIATE). FastAPI runs a
sync endpoint in one thread-pool hop and the session dependency's teardown in another; a
transaction left open in between keeps the lock while the teardown waits for a free thread,
and under concurrency every thread may be waiting for that lock: nothing moves until the
30 s busy timeout. Endpoints decorated here end their transaction (rolling back anything
uncommitted, which a successful write never leaves) before returning or raising.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")


def releases_transaction(endpoint: Callable[P, R]) -> Callable[P, R]:
    """For sync endpoints taking a `session` keyword (how FastAPI passes it)."""

    @functools.wraps(endpoint)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = kwargs["session"]
        assert isinstance(session, Session)
        try:
            return endpoint(*args, **kwargs)
        finally:
            session.rollback()

    return wrapper
