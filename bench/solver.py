"""Solver benchmark: the engine against a plain monolithic PuLP MILP, side by side.

`make bench` (quick) or `python -m bench.solver --full`. Generated organisations of 200 (16 peer
groups), 1,000 (16) and 10,000 employees (40). Every measurement runs in a fresh child
process so time and peak memory (ru_maxrss of the child, plus each of its worker processes'
peak as reported by the engine) are its own; every
allocation is re-checked by the exact checker (`valid`). The monolithic MILP gets the same
time limit as the engine (HiGHS through PuLP, its own time limit, stopped from outside at
three times that); quick mode skips the 10,000-employee monolithic run and the 200-employee
run with 600 s, which `--full` adds. The machine is shared: figures vary with its load.
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
from typing import Any

CASES = ((200, 16, 60.0), (1000, 16, 20.0), (10000, 40, 90.0))
SEED = 1
PROCESSES = 2


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # ru_maxrss is in KiB on Linux


def _problem(employees: int, groups: int) -> Any:
    from solver.generate import generate
    from solver.load import load_problem

    return load_problem(generate(employees=employees, seed=SEED, groups=groups))


def measure_engine(employees: int, groups: int, seconds: float) -> dict[str, Any]:
    from solver.engine import solve
    from solver.types import SolveOptions
    from solver.validate import check_assignment

    problem = _problem(employees, groups)
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
    }


def measure_monolithic(employees: int, groups: int, seconds: float) -> dict[str, Any]:
    from pulp import HiGHS

    from solver.candidates import compile_problem
    from solver.decompose import read_solution
    from solver.engine import full_limits, to_assignment
    from solver.model import ObjectiveSpec, build_model
    from solver.validate import check_assignment, objective

    problem = _problem(employees, groups)
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
    }


def _child(method: str, employees: int, groups: int, seconds: float) -> dict[str, Any]:
    """One measurement in a fresh interpreter, stopped from outside if it overruns."""
    command = [sys.executable, "-m", "bench.solver", "--one", method, str(employees)]
    command += [str(groups), str(seconds)]
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


def _row(case: str, method: str, limit: float, figures: dict[str, Any]) -> str:
    objective, bound = figures.get("objective"), figures.get("bound")
    gap = (bound - objective) / abs(bound) if objective is not None and bound else None
    return (
        f"| {case:<12} | {method:<16} | {limit:>6.0f} | {_cell(figures.get('seconds'), 1):>7} "
        f"| {_cell(figures.get('peak_mib'), 0):>8} | {_cell(objective, 3):>10} "
        f"| {_cell(bound, 3):>10} | {_cell(gap * 100 if gap is not None else None, 2):>6} "
        f"| {'yes' if figures.get('valid') else 'NO':<5} | {figures.get('status', '')} |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.solver", description=__doc__)
    parser.add_argument("--full", action="store_true", help="add the long monolithic runs")
    parser.add_argument("--one", nargs=4, metavar=("METHOD", "N", "GROUPS", "SECONDS"))
    args = parser.parse_args(argv if argv is not None else _own_arguments())
    if args.one:
        warnings.simplefilter("ignore")
        method, employees, groups, seconds = args.one
        measure = measure_engine if method == "engine" else measure_monolithic
        print(json.dumps(measure(int(employees), int(groups), float(seconds))), flush=True)
        return
    print(f"solver benchmark: seed {SEED}, {PROCESSES} worker processes, {os.cpu_count()} CPUs")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (shared machine)")
    header = "| case         | method           | limit  | seconds | peak MiB |  objective"
    print(header + " |      bound | gap %  | valid | status |")
    print("|" + "---|" * 10)
    for employees, groups, seconds in CASES:
        case = f"{employees}/{groups}g"
        print(_row(case, "engine", seconds, _child("engine", employees, groups, seconds)))
        if employees <= 1000 or args.full:
            figures = _child("monolithic", employees, groups, seconds)
            print(_row(case, "monolithic MILP", seconds, figures))
        if employees == 200 and args.full:
            figures = _child("monolithic", employees, groups, 600.0)
            print(_row(case, "monolithic MILP", 600.0, figures))
        sys.stdout.flush()
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


def _own_arguments() -> list[str]:
    """Arguments after `solver` when run as `python -m bench solver ...`."""
    argv = sys.argv[1:]
    return [a for a in argv if a != "solver"]


if __name__ == "__main__":
    main()
