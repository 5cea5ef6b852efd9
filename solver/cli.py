"""`flexben solve | check | generate`: the solver's command line."""

from __future__ import annotations

import typer

cli = typer.Typer(no_args_is_help=True, add_completion=False)
