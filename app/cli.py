"""The `flexben` console script: service commands plus the solver's commands."""

from __future__ import annotations

import typer

from app.allocations.solver_adapter import solver_cli

cli = typer.Typer(no_args_is_help=True, add_completion=False, help="flexben allocation service")
cli.registered_commands.extend(solver_cli.registered_commands)


def main() -> None:
    cli()
