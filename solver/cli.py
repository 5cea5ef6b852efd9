"""`flexben solve | check | generate`: the solver's command line.

Exit codes: 0 success (`solve`: optimal or feasible; `check`: valid), 1 `check` found
violations or `solve` ended in error, 2 invalid input (every issue printed with its JSON
path), 3 `solve` found the problem infeasible (the reasons are in the result).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from solver.errors import ProblemError
from solver.load import load_problem_file
from solver.report import to_json_bytes
from solver.types import Backend, SolveOptions

cli = typer.Typer(no_args_is_help=True, add_completion=False)
# Set by the `flexben` console script, never by tests (they run commands in-process): then
# `solve` ends its process once the result is written, without freeing its heap object by
# object (6.6 s after a 100,000-employee solve); the operating system reclaims it at once.
exit_when_solved = False

EXIT_INVALID = 2
EXIT_INFEASIBLE = 3


def _fail_invalid(what: str, error: ProblemError) -> typer.Exit:
    typer.echo(f"{what} is invalid ({len(error.issues)} issue(s)):", err=True)
    for issue in error.issues:
        typer.echo(f"  {issue}", err=True)
    return typer.Exit(EXIT_INVALID)


def _write(doc: object, output: Path | None) -> None:
    """`doc` as compact JSON (`to_json_bytes`) to `output`, or to standard output."""
    data = to_json_bytes(doc)
    if output is None:
        typer.echo(data, nl=False)
    else:
        output.write_bytes(data)


@cli.command("solve")
def solve_command(  # noqa: PLR0917 - one parameter per CLI option
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM.json", exists=True)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the result here")
    ] = None,
    time_limit: Annotated[
        float, typer.Option(help="wall-clock limit of loading and solving, seconds")
    ] = 60.0,
    gap: Annotated[float, typer.Option(help="relative gap accepted as optimal")] = 1e-4,
    backend: Annotated[str, typer.Option(help="auto, highs or cbc")] = "auto",
    reproducible: Annotated[
        bool, typer.Option("--reproducible", help="write solver.seconds as 0")
    ] = False,
    processes: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (default: this machine's cores)"),
    ] = None,
    executor: Annotated[str, typer.Option(help="process or ray")] = "process",
    ray_address: Annotated[
        str | None, typer.Option(help="the Ray cluster (with --executor ray), e.g. HOST:6379")
    ] = None,
) -> None:
    """Solve a flexben.problem/v1 file into a flexben.allocation/v1 result.

    The result is the same with any executor and number of processes; only --time-limit
    (a wall-clock cut-off, reported as solver.stopped_by) may change it."""
    from solver.api import solve_problem  # the engine is only loaded when solving
    from solver.executors import default_processes

    if backend not in ("auto", "highs", "cbc"):
        typer.echo(f"--backend must be auto, highs or cbc, not {backend!r}", err=True)
        raise typer.Exit(EXIT_INVALID)
    if executor not in ("process", "ray"):
        typer.echo(f"--executor must be process or ray, not {executor!r}", err=True)
        raise typer.Exit(EXIT_INVALID)
    if ray_address is not None and executor != "ray":
        typer.echo("--ray-address needs --executor ray", err=True)
        raise typer.Exit(EXIT_INVALID)
    if time_limit <= 0 or not 0 <= gap < 1:
        typer.echo("--time-limit must be > 0 and --gap in [0, 1)", err=True)
        raise typer.Exit(EXIT_INVALID)
    started = time.monotonic()  # the time limit counts loading too
    try:
        problem = load_problem_file(problem_file)
    except ProblemError as error:
        raise _fail_invalid(str(problem_file), error) from None
    time_limit = max(1.0, time_limit - (time.monotonic() - started))
    chosen: Backend = "highs" if backend == "highs" else "cbc" if backend == "cbc" else "auto"
    options = SolveOptions(
        time_limit_s=time_limit,
        gap=gap,
        backend=chosen,
        processes=processes or default_processes(),
        executor="ray" if executor == "ray" else "process",
        ray_address=ray_address,
    )
    result = solve_problem(problem, options, reproducible=reproducible)
    _write(result, output)
    summary = (
        f"status {result['status']}, objective {result['objective']}, gap {result['gap']},"
        f" stopped by {result['solver']['stopped_by']}"
    )
    typer.echo(summary, err=True)
    code = 0
    if result["status"] == "infeasible":
        for item in result["infeasibility"]:
            typer.echo(f"  {item['text']}", err=True)
        code = EXIT_INFEASIBLE
    if result["status"] == "error":
        typer.echo(f"  {result.get('error')}", err=True)
        code = 1
    _end(code)


def _end(code: int) -> None:
    if exit_when_solved:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    if code:
        raise typer.Exit(code)


@cli.command("check")
def check_command(
    problem_file: Annotated[Path, typer.Argument(metavar="PROBLEM.json", exists=True)],
    result_file: Annotated[Path, typer.Argument(metavar="RESULT.json", exists=True)],
) -> None:
    """Independently re-check a result against its problem (exact arithmetic)."""
    from solver.validate import check_result

    try:
        problem = load_problem_file(problem_file)
    except ProblemError as error:
        raise _fail_invalid(str(problem_file), error) from None
    try:
        result: Any = json.loads(result_file.read_text(encoding="utf-8"))
    except ValueError as error:
        typer.echo(f"{result_file} is not valid JSON: {error}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    if not isinstance(result, dict):
        typer.echo(f"{result_file} must hold a JSON object", err=True)
        raise typer.Exit(EXIT_INVALID)
    violations = check_result(problem, result)
    if violations:
        typer.echo(f"invalid: {len(violations)} violation(s)")
        for violation in violations:
            typer.echo(f"  {violation}")
        raise typer.Exit(1)
    typer.echo("valid")


@cli.command("generate")
def generate_command(  # noqa: PLR0917 - one parameter per CLI option
    employees: Annotated[int, typer.Option(min=1, help="number of employees")],
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    groups: Annotated[int | None, typer.Option(min=1, help="number of peer groups")] = None,
    family: Annotated[
        str, typer.Option(help="instance family (see solver/families.py)")
    ] = "default",
    knob: Annotated[
        list[str] | None, typer.Option("--set", help="override a family knob: NAME=VALUE")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the problem here")
    ] = None,
) -> None:
    """Write a synthetic flexben.problem/v1 organisation (deterministic for a seed)."""
    from solver.families import family as named_family
    from solver.generate import generate

    try:
        knobs = dict(item.split("=", 1) for item in knob or [] if "=" in item)
        if len(knobs) != len(knob or []):
            raise ValueError("--set takes NAME=VALUE")
        mix = named_family(family).with_knobs(knobs)
        doc = generate(employees=employees, seed=seed, groups=groups, mix=mix)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(EXIT_INVALID) from None
    _write(doc, output)
