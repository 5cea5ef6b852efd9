"""Shared fixtures: real databases built by the real migrations, on SQLite and PostgreSQL.

- `backend`: "sqlite" always, "postgresql" when FLEXBEN_TEST_DATABASE_URL (default: the
  local server) is reachable; skipped otherwise, and under CI=true that skip is a failure.
- `session`: a Session inside a per-test transaction that is rolled back at the end;
  service code may `commit()` freely (commits release savepoints).
- `api`: a TestClient on the real app whose requests share that transaction, with
  `api.auth("hr_admin")` returning headers of a fresh API key.
- `fresh_db`: a brand-new migrated database and an app bound to it, with real separate
  connections, for concurrency tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Ray reads this once, when it is first imported (any test file may import it first, e.g.
# tests/test_deploy.py): without it Ray swaps 127.0.0.1 for the machine's outward address,
# and a loopback-only test cluster is unreachable.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import (
    get_session,
    get_session_factory,
    make_engine,
    owning_transaction,
    session_for,
)
from app.main import create_app
from app.migrate import upgrade_to_head
from tests.factories import TEST_SECRET_KEY, make_api_key

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Iterator[None] | pytest.TestReport:
    """Under CI=true a skipped PostgreSQL (or Ray) test is a failure, whatever skipped it."""
    report: pytest.TestReport = yield
    if report.skipped and os.environ.get("CI") == "true":
        for marker, what in (("postgres", "PostgreSQL"), ("ray", "Ray")):
            if item.get_closest_marker(marker):
                report.outcome = "failed"
                report.longrepr = f"{what} test skipped under CI=true: {report.longrepr}"
    return report


def test_settings(database_url: str) -> Settings:
    # No rate limits: tests reuse one key and refuse many tokens freely; the limiters have their own
    # tests (tests/app/security/test_limits.py) on an app built with a tight limit.
    return Settings(
        environment="test",
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        rate_limit_per_minute=0,
        auth_failures_per_minute=0,
    )


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_admin_url() -> str:
    return os.environ.get("FLEXBEN_TEST_DATABASE_URL", DEFAULT_PG_URL)


def _postgres_reachable(admin_url: str) -> str | None:
    """None when reachable, else why not."""
    engine = create_engine(admin_url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """URL of a PostgreSQL database we may create throw-away databases from."""
    admin_url = _postgres_admin_url()
    problem = _postgres_reachable(admin_url)
    if problem is not None:
        message = f"PostgreSQL unreachable at {make_url(admin_url).render_as_string()}: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    return admin_url


class PostgresDatabases:
    """Creates and drops uniquely named databases on the admin server."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")

    def create(self, label: str) -> str:
        name = f"flexben_test_{label}_{_worker_id()}_{uuid.uuid4().hex[:8]}"
        with self._engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self._engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self._engine.dispose()


@pytest.fixture(scope="session")
def postgres_databases(postgres_admin_url: str) -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases(postgres_admin_url)
    yield databases
    databases.close()


def _new_database_url(
    request: pytest.FixtureRequest, backend: str, directory: Path, label: str
) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.create(label)


def _drop_database(request: pytest.FixtureRequest, url: str) -> None:
    if url.startswith("postgresql"):
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        databases.drop(url)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "postgresql":
        request.getfixturevalue("postgres_admin_url")
    return name


@pytest.fixture(scope="session")
def database_url(
    request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per backend per test session (per xdist worker), built by migrations."""
    url = _new_database_url(request, backend, tmp_path_factory.mktemp("db"), "shared")
    upgrade_to_head(url)
    yield url
    _drop_database(request, url)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions joining the test transaction; their commits release savepoints."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture(scope="session")
def shared_app(database_url: str) -> FastAPI:
    return create_app(test_settings(database_url))


class ApiClient(TestClient):
    """TestClient on the real app, plus the test's session and an API-key helper."""

    def __init__(self, app: FastAPI, *, session: Session, backend: str) -> None:
        super().__init__(app, raise_server_exceptions=True)
        self.session = session
        self.backend = backend

    def auth(self, *roles: str, employee: str | None = None) -> dict[str, str]:
        """Authorization headers of a new API key holding `roles`."""
        key = make_api_key(self.session, roles=list(roles), employee=employee)
        return {"Authorization": f"Bearer {key}"}


def share_transaction(app: FastAPI, session_factory: sessionmaker[Session]) -> None:
    """Requests of `app` use sessions of the test's transaction, owned as in production
    (commit on success, roll back on error; read-only for GET), until overrides clear."""

    async def request_session(request: Request) -> AsyncIterator[Session]:
        with owning_transaction(session_for(request, session_factory)) as request_session:
            yield request_session

    app.dependency_overrides[get_session] = request_session
    app.dependency_overrides[get_session_factory] = lambda: session_factory


@pytest.fixture
def api(
    shared_app: FastAPI,
    session: Session,
    session_factory: sessionmaker[Session],
    backend: str,
) -> Iterator[ApiClient]:
    share_transaction(shared_app, session_factory)
    try:
        with ApiClient(shared_app, session=session, backend=backend) as client:
            yield client
    finally:
        shared_app.dependency_overrides.clear()


@dataclass
class FreshDatabase:
    """A new migrated database and an app bound to it (real, separate connections)."""

    url: str
    backend: str
    app: FastAPI

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.engine
        return engine

    def session(self) -> Session:
        factory: sessionmaker[Session] = self.app.state.session_factory
        return factory()

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=True)

    def auth(self, *roles: str, employee: str | None = None) -> dict[str, str]:
        with self.session() as session:
            key = make_api_key(session, roles=list(roles), employee=employee)
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def fresh_db(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path
) -> Iterator[FreshDatabase]:
    url = _new_database_url(request, backend, tmp_path, "fresh")
    upgrade_to_head(url)
    app = create_app(test_settings(url))
    try:
        yield FreshDatabase(url=url, backend=backend, app=app)
    finally:
        app.state.engine.dispose()
        _drop_database(request, url)
