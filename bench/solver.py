"""Solver benchmark: the engine against a plain monolithic PuLP MILP, side by side.

One table, instance family (`solver.families`) x size: 200 employees in 60 s, 1,000 in 20 s,
10,000 in 90 s (peer groups as the family's generator decides). Every measurement runs in a
fresh child process so time and peak memory (ru_maxrss of the child, plus each of its worker
processes' peak as reported by the engine) are its own; every allocation is re-checked by
the exact checker (`valid`). The monolithic MILP gets the same time limit as the engine
(HiGHS through PuLP, its own time limit, stopped from outside at three times that).
`bound` is the best bound the method proves and `kind` what proved it (the engine: `LP`
relaxation, `Lagr. MILP` its Lagrangian dual with per-group MILPs, `Lagr. LP` with per-group
LPs, `MILP` its monolithic polish; the monolithic method: its MILP's dual bound); `gap %` is
the proven gap (bound - objective) / bound and `% bound` objective / bound.

- default, also `--quick` (`make bench`; about 30 min on 2 cores): sizes 200 and 1,000 for
  every family, 10,000 for the engine only on `mixed`;
- `--all`: every family at every size, the 10,000 monolithic runs included;
- `--full`: `--all` plus the monolithic MILP given 600 s at 200 employees (the issue's
  yardstick: the engine in 60 s should be ahead of it).
`--families a,b` and `--sizes 200,1000` narrow a run, `--engine-only` skips the monolithic
MILP, `--jobs 2` runs the monolithic MILPs two at a time after the engine's runs. The
machine is shared: figures vary with its load (printed at start and end).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

LIMITS = {200: 60.0, 1000: 20.0, 10000: 90.0}  # employees -> seconds
QUICK_LARGE_FAMILIES = ("mixed",)
SEED = 1
PROCESSES = 2
Run = tuple[str, int, str, float]  # (family, employees, method, seconds)


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # ru_maxrss is in KiB on Linux


def _problem(family: str, employees: int) -> Any:
    from solver.generate import generate
    from solver.load import load_problem

    # The default family keeps the figures comparable with earlier runs (16 groups below
    # 5,000 employees, 40 above: the generator's own default).
    return load_problem(generate(employees=employees, seed=SEED, family_name=family))


def measure_engine(family: str, employees: int, seconds: float) -> dict[str, Any]:
    from solver.engine import solve
    from solver.types import SolveOptions
    from solver.validate import check_assignment

    problem = _problem(family, employees)
    started = time.monotonic()
    outcome = solve(problem, SolveOptions(time_limit_s=seconds, processes=PROCESSES))
    elapsed = time.monotonic() - started
    worker_mib = outcome.worker_peak_kib / 1024
    return {
        "seconds": elapsed,
        # Workers are started by a fork server, not by this process: add each worker's peak
        # (as many as run at once) to this process's own.
        "peak_mib": _peak_mib() + PROCESSES * worker_mib,
        "objective": outcome.objective,
        "bound": outcome.bound,
        "valid": not check_assignment(problem, outcome.assignment),
        "status": f"{outcome.status}/{outcome.solver.stopped_by}",
        "bound_kind": bound_kind(outcome.notes),
    }


BOUND_KINDS = (  # the engine's note "bound: ..." -> the table's short name
    ("Lagrangian dual (per-group MILPs", "Lagr. MILP"),
    ("Lagrangian dual (per-group LPs", "Lagr. LP"),
    ("Lagrangian relaxation", "Lagr. LP"),
    ("LP relaxation", "LP"),
    ("monolithic MILP", "MILP"),
    ("trivial", "trivial"),
)


def bound_kind(notes: tuple[str, ...]) -> str | None:
    """What proved the engine's bound, in short (its last note "bound: ...")."""
    said = [note.removeprefix("bound: ") for note in notes if note.startswith("bound: ")]
    if not said:
        return None
    return next((short for prefix, short in BOUND_KINDS if said[-1].startswith(prefix)), said[-1])


def measure_monolithic(family: str, employees: int, seconds: float) -> dict[str, Any]:
    from pulp import HiGHS

    from solver.candidates import compile_problem
    from solver.decompose import read_solution
    from solver.engine import full_limits, to_assignment
    from solver.model import ObjectiveSpec, build_model
    from solver.validate import check_assignment, objective

    problem = _problem(family, employees)
    compiled = compile_problem(problem)
    started = time.monotonic()
    limits = full_limits(compiled)
    kind = problem.policy.objective
    model, variables = build_model(
        "monolithic", compiled.persons, compiled.groups, limits, ObjectiveSpec(kind)
    )
    model.solve(HiGHS(msg=False, timeLimit=seconds))
    elapsed = time.monotonic() - started
    info = model.solverModel.getInfo()
    dual = -float(info.mip_dual_bound)
    state = read_solution(variables, compiled.persons, compiled.groups, limits)
    valid, value = False, None
    if state is not None and info.primal_solution_status == 2:
        assignment = to_assignment(compiled, state)
        valid = not check_assignment(problem, assignment)
        value = float(objective(problem, assignment))
    return {
        "seconds": elapsed,
        "peak_mib": _peak_mib(),
        "objective": value,
        "bound": dual if abs(dual) < 1e30 else None,
        "valid": valid,
        "status": str(model.solverModel.getModelStatus()).rsplit(".", 1)[-1],
        "bound_kind": "MILP dual",
    }


def _child(method: str, family: str, employees: int, seconds: float) -> dict[str, Any]:
    """One measurement in a fresh interpreter, stopped from outside if it overruns."""
    command = [sys.executable, "-m", "bench.solver", "--one", method, family, str(employees)]
    command += [str(seconds)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=3 * seconds + 60, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": "killed (overran 3x its time limit)", "valid": False}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"status": f"failed: {done.stderr.strip().splitlines()[-1:]}", "valid": False}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _cell(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _row(family: str, employees: int, method: str, limit: float, figures: dict[str, Any]) -> str:
    objective, bound = figures.get("objective"), figures.get("bound")
    gap = (bound - objective) / abs(bound) if objective is not None and bound else None
    share = 100 * objective / bound if objective is not None and bound else None
    return (
        f"| {family:<12} | {employees:>6} | {method:<10} | {limit:>5.0f} "
        f"| {_cell(figures.get('seconds'), 1):>7} | {_cell(figures.get('peak_mib'), 0):>6} "
        f"| {_cell(objective, 3):>10} | {_cell(bound, 3):>10} "
        f"| {_cell(figures.get('bound_kind')):<10} "
        f"| {_cell(gap * 100 if gap is not None else None, 2):>6} | {_cell(share, 2):>7} "
        f"| {'yes' if figures.get('valid') else 'NO':<5} | {figures.get('status', '')} |"
    )


def _runs(args: argparse.Namespace) -> list[Run]:
    """(family, employees, method, seconds) in the order they are measured."""
    from solver.families import FAMILIES

    families = args.families.split(",") if args.families else list(FAMILIES)
    unknown = [name for name in families if name not in FAMILIES]
    if unknown:
        raise SystemExit(f"unknown families {unknown}; known: {', '.join(FAMILIES)}")
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else list(LIMITS)
    runs: list[Run] = []
    for family in families:
        for employees in sizes:
            seconds = LIMITS.get(employees, 60.0)
            large = employees >= 10000
            quick = not (args.all or args.full)
            if quick and large and family not in QUICK_LARGE_FAMILIES:
                continue
            runs.append((family, employees, "engine", seconds))
            if not (quick and large) and not args.engine_only:
                runs.append((family, employees, "MILP", seconds))
            if args.full and employees == 200 and not args.engine_only:
                runs.append((family, employees, "MILP", 600.0))
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.solver", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the ~30 min subset (default)")
    parser.add_argument("--all", action="store_true", help="every family at every size")
    parser.add_argument("--full", action="store_true", help="--all and the 600 s MILP at 200")
    parser.add_argument("--families", help="comma-separated family names (default: all)")
    parser.add_argument("--sizes", help="comma-separated sizes (default: 200,1000,10000)")
    parser.add_argument("--engine-only", action="store_true", help="no monolithic MILP runs")
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="monolithic MILPs run this many at a time, after the engine's runs (HiGHS's MIP"
        " search takes one core: 2 on 2 cores halves a --full run's 100 min of 600 s MILPs)",
    )
    parser.add_argument("--one", nargs=4, metavar=("METHOD", "FAMILY", "N", "SECONDS"))
    args = parser.parse_args(argv if argv is not None else _own_arguments())
    if args.one:
        warnings.simplefilter("ignore")
        method, family, employees, seconds = args.one
        measure = measure_engine if method == "engine" else measure_monolithic
        print(json.dumps(measure(family, int(employees), float(seconds))), flush=True)
        return
    print(f"solver benchmark: seed {SEED}, {PROCESSES} worker processes, {os.cpu_count()} CPUs")
    print(f"load average at start: {_load()} (shared machine)")
    print(
        "| family       |      N | method     | limit | seconds | peak M |  objective "
        "|      bound | kind       | gap %  | % bound | valid | status |"
    )
    print("|" + "---|" * 13)
    for (family, employees, method, seconds), figures in _measured(_runs(args), args.jobs):
        print(_row(family, employees, method, seconds, figures), flush=True)
    print(f"load average at end: {_load()}")


def _measured(
    runs: list[Run], jobs: int, measure: Callable[..., dict[str, Any]] = _child
) -> Iterator[tuple[Run, dict[str, Any]]]:
    """Each run with its figures, one at a time in order; with `jobs` > 1 the monolithic runs
    come last, `jobs` at a time (the engine's runs use every core: always alone)."""
    alone = [run for run in runs if jobs == 1 or run[2] == "engine"]
    for family, employees, method, seconds in alone:
        yield (family, employees, method, seconds), measure(_kind(method), family, employees,
                                                           seconds)  # fmt: skip
    together = [run for run in runs if run not in alone]
    if not together:
        return
    with ThreadPoolExecutor(jobs) as pool:
        futures = [pool.submit(measure, _kind(run[2]), run[0], run[1], run[3]) for run in together]
        for run, future in zip(together, futures, strict=True):
            yield run, future.result()


def _kind(method: str) -> str:
    return "engine" if method == "engine" else "monolithic"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def _own_arguments() -> list[str]:
    """Arguments after `solver` when run as `python -m bench solver ...`."""
    argv = sys.argv[1:]
    return [a for a in argv if a != "solver"]


if __name__ == "__main__":
    main()
