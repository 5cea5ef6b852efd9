"""The only module of `app` that imports `solver`."""

from __future__ import annotations

from solver.cli import cli as solver_cli

__all__ = ["solver_cli"]
