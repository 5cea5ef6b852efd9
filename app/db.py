"""Persistence foundation: declarative Base, engines, sessions, shared column types."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from fastapi import Request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


READ_ONLY = "flexben_read_only"  # execution option: this transaction only reads


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and write-locking transactions for writers only.

    pysqlite's own transaction handling breaks SAVEPOINTs, so it is switched off and we emit
    BEGIN ourselves. A writing transaction begins IMMEDIATE, taking the write lock up front:
    two concurrent read-modify-write requests then serialise instead of failing with
    "database is locked". A read-only one (`read_session`) begins DEFERRED: under WAL it
    reads a snapshot and never blocks a writer, however long it stays open.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not _is_memory_database(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def _is_memory_database(engine: Engine) -> bool:
    return engine.url.database in (None, "", ":memory:")


# 19 digits in a row may be an integer beyond 64 bits, which orjson reads as a float.
_LONG_NUMBER = re.compile(r"\d{19}")


def loads_json(text: str | bytes) -> Any:
    """JSON columns as read: orjson (a run's 100,000 rows several times faster), the
    standard library for what orjson reads differently (NaN, very long numbers): the
    values are the standard library's."""
    as_text = text.decode() if isinstance(text, bytes) else text
    if _LONG_NUMBER.search(as_text):
        return json.loads(as_text)
    try:
        return orjson.loads(as_text)
    except orjson.JSONDecodeError:
        return json.loads(as_text)


_ONLY_JSON_TYPES = (
    orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dumps_json(value: Any) -> str:
    """JSON columns as written: orjson (compact; a run's 100,000 explanations in a fraction
    of the time), the standard library for what orjson refuses (keys that are not text,
    integers beyond 64 bits, subclasses, dates, dataclasses: written or refused the
    standard library's way). NaN and infinities, which are not JSON, are written as null
    on every database (PostgreSQL refuses the standard library's NaN)."""
    try:
        return orjson.dumps(value, option=_ONLY_JSON_TYPES).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value)


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for `database_url` (SQLite file or PostgreSQL via psycopg 3)."""
    if database_url.startswith("sqlite"):
        engine = create_engine(
            database_url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_deserializer=loads_json,
            json_serializer=dumps_json,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(database_url, echo=echo, pool_pre_ping=True, json_deserializer=loads_json)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def read_session(factory: sessionmaker[Session]) -> Session:
    """A session whose transactions only read: on SQLite they take no write lock."""
    bind = factory.kw.get("bind")
    session = factory(bind=_read_only_engine(bind)) if isinstance(bind, Engine) else factory()
    session.info[READ_ONLY] = True
    return session


@lru_cache(maxsize=8)
def _read_only_engine(engine: Engine) -> Engine:
    """The same engine and pool; its transactions begin DEFERRED on SQLite."""
    return engine.execution_options(**{READ_ONLY: True})


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = "_flexben_writes"


def writes(endpoint: Any) -> Any:
    """Mark a GET endpoint that writes (an audited read): its transaction takes the lock."""
    setattr(endpoint, WRITES, True)
    return endpoint


def _reads_only(request: Request) -> bool:
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    return request.method in SAFE_METHODS and not getattr(endpoint, WRITES, False)


def get_session_factory(request: Request) -> sessionmaker[Session]:
    """FastAPI dependency: the app's session factory (tests bind it to their transaction)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


# Ends request transactions off the event loop, on threads of their own: not the request
# thread pool, whose threads may all be waiting for the SQLite write lock that a session
# waiting here holds (that deadlocked the pool), and not the loop, which would stall.
_ENDING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="flexben-commit")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: one session per request, and the owner of its transaction.

    Commits when the endpoint returned, rolls back when it raised; services only flush.
    Used with `scope="function"`, so this runs as soon as the endpoint is done, before the
    response is sent: a client never sees a result that is not committed, and the
    transaction (on SQLite, a writer's lock) is never held while the response travels.
    GET / HEAD requests read in a read-only transaction (`read_session`) unless the
    endpoint is marked `writes`.
    """
    factory: sessionmaker[Session] = request.app.state.session_factory
    session = session_for(request, factory)
    loop = asyncio.get_running_loop()
    try:
        yield session
        await loop.run_in_executor(_ENDING, session.commit)
    except BaseException:
        await loop.run_in_executor(_ENDING, session.rollback)
        raise
    finally:
        await loop.run_in_executor(_ENDING, session.close)


def session_for(request: Request, factory: sessionmaker[Session]) -> Session:
    """The request's session: read-only for GET / HEAD unless the endpoint `writes`."""
    return read_session(factory) if _reads_only(request) else factory()


@contextmanager
def owning_transaction(session: Session) -> Iterator[Session]:
    """Commit `session` if the block succeeds, roll back if it raises; then close it."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def write_now(session: Session, work: Callable[[Session], None]) -> None:
    """Commit what `session` did so far, do `work` in a write transaction of its own and
    commit it (e.g. an API key's last-use stamp, before the request's own work). A
    read-only session reads only again afterwards (no write lock on SQLite)."""
    read_only = session.info.pop(READ_ONLY, False)
    session.commit()
    work(session)  # on SQLite a write as first statement locks like BEGIN IMMEDIATE
    session.commit()
    if read_only:
        session.info[READ_ONLY] = True


def end_reads(session: Session) -> None:
    """End a transaction that only read (e.g. authentication, before the thread-pool hop
    to the endpoint): a writer's SQLite lock is never held across that hop; the endpoint's
    work begins a transaction of its own."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_reads() on a session with pending writes")
    session.rollback()


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_read_only(session: Session, _context: Any, _instances: Any) -> None:
    """A read-only request that writes is a bug on every backend (SQLite would fail only
    under concurrency): say which marker is missing."""
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a GET endpoint wrote to the database: mark it with app.db.writes")
