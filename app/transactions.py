"""End the request's transaction as soon as a sync endpoint is done.

On SQLite every transaction holds the database write lock (BEGIN IMMEDIATE). The session
dependency closes the session only after the response is sent; a read-only endpoint would
keep the lock meanwhile and serialise every other request behind its network I/O. (Before
`get_session` became async its clean-up even waited for a thread-pool slot while holding
the lock, which stalled the whole pool under load.) Endpoints decorated here end their
transaction (rolling back anything uncommitted, which a successful write never leaves)
before returning or raising.
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
