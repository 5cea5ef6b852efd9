"""`flexben purge-preferences`: apply the preference retention (run it daily)."""

from __future__ import annotations

from typing import Annotated

import typer


def purge_preferences_command(
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=1, help="retention in days (default FLEXBEN_PREFERENCE_RETENTION_DAYS)"
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, purge nothing")] = False,
) -> None:
    """Purge preferences of periods published longer ago than the retention."""
    from app.config import get_settings
    from app.db import make_engine, make_session_factory, owning_transaction
    from app.privacy.retention import purge_preferences

    settings = get_settings()
    retention = days if days is not None else settings.preference_retention_days
    engine = make_engine(settings.database_url)
    try:
        with owning_transaction(make_session_factory(engine)()) as session:
            purged = purge_preferences(session, older_than_days=retention, dry_run=dry_run)
    finally:
        engine.dispose()
    verb = "would purge" if dry_run else "purged"
    for item in purged:
        since = (
            f"published {item.published_at:%Y-%m-%d}"
            if item.published_at is not None
            else f"closed {item.closed_at:%Y-%m-%d}, never published"
        )
        typer.echo(
            f"{verb} period {item.period_id} ({since}): "
            f"{item.preferences} preferences, {item.preference_versions} versions, "
            f"{item.runs} runs"
        )
    typer.echo(f"{len(purged)} period(s) {verb}; retention {retention} days")


def add_commands(cli: typer.Typer) -> None:
    cli.command("purge-preferences")(purge_preferences_command)
