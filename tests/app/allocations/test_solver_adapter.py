"""Where the service's solves work: FLEXBEN_SOLVER_PROCESSES, FLEXBEN_SOLVER_EXECUTOR and
FLEXBEN_RAY_ADDRESS reach the solver's options; `flexben worker --solver-processes` wins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer
from pydantic import ValidationError

from app.allocations.solver_adapter import _options
from app.cli import cli
from app.config import Settings, get_settings
from solver.executors import default_processes


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_use_every_core_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FLEXBEN_SOLVER_PROCESSES", "FLEXBEN_SOLVER_EXECUTOR", "FLEXBEN_RAY_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    options = _options(None)
    assert options.processes == default_processes()
    assert (options.executor, options.ray_address) == ("process", None)
    assert options.time_limit_s == 60.0


def test_environment_reaches_the_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEXBEN_SOLVER_PROCESSES", "3")
    monkeypatch.setenv("FLEXBEN_SOLVER_EXECUTOR", "ray")
    monkeypatch.setenv("FLEXBEN_RAY_ADDRESS", "ray-head:6379")
    options = _options(12.5)
    assert (options.processes, options.executor, options.ray_address) == (3, "ray", "ray-head:6379")
    assert options.time_limit_s == 12.5


def test_bad_values_are_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="solver_executor"):
        Settings(solver_executor="spark")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="solver_processes"):
        Settings(solver_processes=-1)


def test_worker_option_parses() -> None:
    command = typer.main.get_command(cli).commands["worker"]  # type: ignore[attr-defined]
    context = command.make_context("worker", ["--solver-processes", "2"])
    assert context.params["solver_processes"] == 2
    with pytest.raises(Exception, match="greater than or equal to 1"):
        command.make_context("worker", ["--solver-processes", "0"])
