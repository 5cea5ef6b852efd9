"""The `flexben` console script: service commands plus the solver's commands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

import app.wiring  # noqa: F401 (every seam filled in, every job kind registered)
from app.allocations.solver_adapter import solver_cli
from app.employees.cli import add_commands as add_domain_commands
from app.portal.cli import sign_in_link
from app.privacy.cli import add_commands as add_privacy_commands

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="flexben allocation service")
cli.registered_commands.extend(solver_cli.registered_commands)

api_keys_cli = typer.Typer(no_args_is_help=True, help="Manage API keys")
cli.add_typer(api_keys_cli, name="api-keys")


def _refuse_unmigrated(database_url: str) -> None:
    """Exit with a clear message when the schema is not at head."""
    from app.db import make_engine
    from app.migrate import schema_state

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            reason = schema_state(connection)
    finally:
        engine.dispose()
    if reason is not None:
        typer.echo(f"error: {reason}", err=True)
        raise typer.Exit(code=1)


@contextmanager
def _migrated_sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on `database_url` once its schema is at head (else exit 1, like
    `_refuse_unmigrated`); the engine is disposed on exit."""
    from app.db import make_engine, make_session_factory

    _refuse_unmigrated(database_url)
    engine = make_engine(database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@cli.command()
def migrate() -> None:
    """Upgrade the database (FLEXBEN_DATABASE_URL) to the latest schema."""
    from app.config import get_settings
    from app.migrate import upgrade_to_head

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    typer.echo("database at the latest schema")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker", help="also run `flexben worker` beside the API (one-box deployments)"
        ),
    ] = False,
) -> None:
    """Serve the API (the database must be migrated to the latest schema)."""
    import subprocess
    import sys

    import uvicorn

    from app.config import get_settings

    settings = get_settings()
    _refuse_unmigrated(settings.database_url)
    job_worker = (
        subprocess.Popen([sys.executable, "-m", "app.cli", "worker"]) if with_worker else None
    )
    try:
        uvicorn.run(
            "app.main:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level,
            proxy_headers=False,  # forwarded headers: app/security/proxies.py (trusted only)
            # Idle keep-alive connections stay open longer than clients and proxies keep
            # them (uvicorn's 5 s default closes them as a client reuses one: resets).
            timeout_keep_alive=75,
            access_log=False,  # the app writes its own JSON access log (app/security/logs.py)
        )
    finally:
        if job_worker is not None:  # the worker lives and dies with the API
            job_worker.terminate()
            job_worker.wait(timeout=30)


@api_keys_cli.command("list")
def api_keys_list() -> None:
    """List API keys (never their secrets): id, roles, employee, state, last use."""
    from sqlalchemy import select

    from app.auth.models import ApiKey
    from app.config import get_settings
    from app.db import utcnow

    settings = get_settings()
    with _migrated_sessions(settings.database_url) as sessions, sessions() as session:
        now = utcnow()
        for key in session.scalars(select(ApiKey).order_by(ApiKey.created_at)):
            state = (
                "revoked"
                if key.revoked_at
                else "expired"
                if key.expires_at and key.expires_at <= now
                else "active"
            )
            used = key.last_used_at.isoformat() if key.last_used_at else "never used"
            employee = f" employee={key.employee_external_id}" if key.employee_external_id else ""
            typer.echo(
                f"{key.public_id}  {state:<7}  {','.join(key.roles)}{employee}  "
                f"person={key.person_id}  "
                f"{key.name!r}  {used}"
            )


@api_keys_cli.command("revoke")
def api_keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (from create or list)")],
) -> None:
    """Revoke an API key; it stops working on its next request."""
    from app.auth.service import revoke_api_key
    from app.config import get_settings
    from app.errors import NotFound

    settings = get_settings()
    try:
        with _migrated_sessions(settings.database_url) as sessions, sessions() as session:
            revoke_api_key(session, key_id)
            session.commit()
    except NotFound as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(code=1) from exc
    typer.echo(f"revoked {key_id}")


@api_keys_cli.command("create")
def api_keys_create(
    name: Annotated[str, typer.Option("--name", help="What the key is for")],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="employee, hr_admin, approver, payroll, finance or auditor (repeatable)",
        ),
    ],
    employee: Annotated[
        str | None, typer.Option("--employee", help="external_id an employee key acts as")
    ] = None,
    same_person_as: Annotated[
        str | None,
        typer.Option(
            "--same-person-as",
            help="id of a key of the same person (four-eyes counts them as one person)",
        ),
    ] = None,
) -> None:
    """Create an API key; the key is printed alone on the last line (shown once).

    The key belongs to the employee it is bound to, to the person of --same-person-as,
    or else to a new person."""
    from app.audit.service import record
    from app.auth.service import binding_errors, create_api_key, owner_of_key
    from app.config import get_settings
    from app.errors import DomainError, Unprocessable

    settings = get_settings()
    try:
        with _migrated_sessions(settings.database_url) as sessions, sessions() as session:
            errors = binding_errors(session, employee)
            if errors:
                raise Unprocessable("invalid API key request", errors=errors)
            issued = create_api_key(
                session,
                name=name,
                roles=role,
                pepper=settings.secret_key.get_secret_value(),
                employee_external_id=employee,
                owner=owner_of_key(session, same_person_as) if same_person_as else None,
            )
            record(
                session,
                None,
                "api_key.create",
                "api_key",
                issued.api_key.public_id,
                None,
                issued.api_key,
            )
            session.commit()
    except DomainError as exc:
        messages = "; ".join(str(err["msg"]) for err in exc.errors or []) or exc.detail
        typer.echo(f"error: {messages}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"API key {issued.api_key.public_id} ({', '.join(issued.api_key.roles)}):")
    typer.echo(issued.key)


@cli.command()
def worker(
    solver_processes: Annotated[
        int | None,
        typer.Option(min=1, help="processes per solve (FLEXBEN_SOLVER_PROCESSES; 0: cores)"),
    ] = None,
) -> None:
    """Execute queued jobs (runs, budget curves) until stopped (PostgreSQL: the procrastinate
    queue, any number of workers; SQLite: polls the jobs table)."""
    import logging

    import app.job_kinds  # noqa: F401 (registers every job kind)
    from app.config import get_settings
    from app.jobs.runner import work

    if solver_processes is not None:  # the option wins over the environment
        os.environ["FLEXBEN_SOLVER_PROCESSES"] = str(solver_processes)
        get_settings.cache_clear()
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    with _migrated_sessions(settings.database_url) as sessions:
        work(settings, sessions)


add_domain_commands(cli)  # demo, import employees
add_privacy_commands(cli)  # purge-preferences


cli.command("sign-in-link")(sign_in_link)


def main() -> None:
    import solver.cli

    solver.cli.exit_when_solved = True  # a real process: no teardown after the result
    cli()


if __name__ == "__main__":
    main()
