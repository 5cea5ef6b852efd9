"""`flexben sign-in-link`: a one-time portal sign-in URL, alone on the last line."""

from __future__ import annotations

from typing import Annotated

import typer


def sign_in_link(
    employee: Annotated[
        str | None, typer.Option("--employee", help="external_id of the employee to sign in")
    ] = None,
    api_key_roles: Annotated[
        list[str] | None,
        typer.Option(
            "--api-key-roles",
            help="roles of an HR/admin user: hr_admin, approver, payroll, finance, auditor "
            "(repeatable)",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="the person's name (an admin's identity)")
    ] = None,
) -> None:
    """Print a one-time sign-in URL (FLEXBEN_PUBLIC_URL base); it works once and expires
    after FLEXBEN_SIGN_IN_LINK_MINUTES."""
    from app.audit.service import record
    from app.cli import _migrated_sessions
    from app.config import get_settings
    from app.errors import DomainError
    from app.portal.service import SIGN_IN_PATH, issue_link
    from app.portal.settings import PortalSettings

    portal = PortalSettings()
    roles = list(api_key_roles or [])
    if not employee and not roles:
        typer.echo("error: give --employee EXTERNAL_ID or --api-key-roles ROLE...", err=True)
        raise typer.Exit(code=2)
    try:
        with _migrated_sessions(get_settings().database_url) as sessions, sessions() as session:
            token = issue_link(
                session,
                roles=roles,
                minutes=portal.sign_in_link_minutes,
                employee=employee,
                name=name or (None if employee else "administrator"),
            )
            who = employee or name or "administrator"
            record(session, None, "portal.sign_in_link.issue", "person", who, None, None)
            session.commit()
    except DomainError as exc:
        messages = "; ".join(str(err["msg"]) for err in exc.errors or []) or exc.detail
        typer.echo(f"error: {messages}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"One-time sign-in link (valid {portal.sign_in_link_minutes} minutes):")
    typer.echo(f"{portal.public_url.rstrip('/')}{SIGN_IN_PATH}{token}")
