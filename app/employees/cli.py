"""`flexben demo` and `flexben import employees FILE`: the same rules as the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.errors import DomainError

import_cli = typer.Typer(no_args_is_help=True, help="Import data files")


def demo() -> None:
    """Load the demo organisation (idempotent): people, benefits, an open period."""
    from app.config import get_settings
    from app.db import make_engine, make_session_factory, owning_transaction
    from app.demo import load_demo

    engine = make_engine(get_settings().database_url)
    try:
        with owning_transaction(make_session_factory(engine)()) as session:
            summary = load_demo(session)
    finally:
        engine.dispose()
    typer.echo(
        f"demo organisation ready: +{summary.peer_groups_created} peer groups, "
        f"+{summary.benefits_created} benefits, +{summary.employees_created} employees, "
        f"+{summary.preferences_created} preference submissions; "
        f"period {summary.period_id} ({'created' if summary.period_created else 'existing'})"
    )


@import_cli.command("employees")
def import_employees(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSON array")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, write nothing")] = False,
) -> None:
    """Upsert employees by external_id from a CSV (header row) or JSON file; all or nothing."""
    from app.config import get_settings
    from app.db import make_engine, make_session_factory, owning_transaction
    from app.employees.service import import_employees as run_import

    content_type = "application/json" if file.suffix.lower() == ".json" else "text/csv"
    engine = make_engine(get_settings().database_url)
    try:
        with owning_transaction(make_session_factory(engine)()) as session:
            report = run_import(
                session, file.read_bytes(), content_type=content_type, dry_run=dry_run
            )
    except DomainError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        for error in exc.errors or []:
            where = f"row {error['row']}" if "row" in error else ".".join(map(str, error["loc"]))
            column = f", {error['column']}" if error.get("column") else ""
            typer.echo(f"  {where}{column}: {error.get('message', error['msg'])}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps(report.model_dump(exclude={"created_ids", "updated_ids"})))


def add_commands(cli: typer.Typer) -> None:
    cli.command()(demo)
    cli.add_typer(import_cli, name="import")
