"""Budget curve benchmark: a 10-step sweep of the total budget (warm starts) against 10
independent cold solves of the same caps, on a generated organisation.

    python -m bench curve
    python -m bench.curve --employees 1000 --steps 10 --time-limit 60 --seed 7

Printed side by side per cap: total satisfaction and seconds of the sweep's step and of
the independent run; then the totals and the price of fairness at the generated cap.
"""

from __future__ import annotations

import argparse
import time

from solver.engine import solve
from solver.generate import generate
from solver.load import load_problem
from solver.sweep import price_of_fairness, step_figures, sweep_budget, sweep_caps, with_cap
from solver.types import SolveOptions

BUDGET = "total"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.curve", description=__doc__)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--time-limit", type=float, default=60.0, help="per solve, seconds")
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--low", type=float, default=0.8, help="first cap / generated cap")
    parser.add_argument("--high", type=float, default=1.2, help="last cap / generated cap")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv if argv is not None else [])
    problem = load_problem(generate(employees=args.employees, seed=args.seed))
    cap = next(budget.cap for budget in problem.budgets if budget.id == BUDGET)
    caps = sweep_caps(int(cap * args.low), int(cap * args.high), args.steps)
    options = SolveOptions(time_limit_s=args.time_limit, processes=args.processes)
    print(
        f"{args.employees} employees, budget {BUDGET!r} {caps[0]:,}..{caps[-1]:,} minor units "
        f"in {len(caps)} steps; time limit {args.time_limit:g} s per solve",
        flush=True,
    )

    started = time.monotonic()
    curve = sweep_budget(problem, BUDGET, caps, options)
    curve_seconds = time.monotonic() - started

    cold: list[dict[str, object]] = []
    cold_started = time.monotonic()
    for each in caps:
        capped = with_cap(problem, BUDGET, each)
        began = time.monotonic()
        outcome = solve(capped, options)
        cold.append(step_figures(capped, BUDGET, outcome, time.monotonic() - began))
    cold_seconds = time.monotonic() - cold_started

    header = f"{'cap':>14} | {'sweep sat.':>10} {'s':>7} {'how':>18} | {'indep. sat.':>11} {'s':>7}"
    print(header)
    print("-" * len(header))
    for step, alone in zip(curve, cold, strict=True):
        how = step["method"]
        print(
            f"{step['cap']:>14,} | {step.get('total_satisfaction', 0):>10.3f} "
            f"{step['seconds']:>7.2f} {how:>18} | {alone.get('total_satisfaction', 0):>11.3f} "
            f"{alone['seconds']:>7.2f}"
        )
    sweep_total = sum(float(step.get("total_satisfaction", 0)) for step in curve)
    cold_total = sum(float(str(alone.get("total_satisfaction", 0))) for alone in cold)
    print("-" * len(header))
    print(
        f"{'total':>14} | {sweep_total:>10.3f} {curve_seconds:>7.2f} {'':>18} | "
        f"{cold_total:>11.3f} {cold_seconds:>7.2f}"
    )
    print(
        f"sweep: {curve_seconds:.1f} s = {curve_seconds / cold_seconds:.0%} of 10 independent "
        f"runs ({cold_seconds:.1f} s); satisfaction summed over the steps "
        f"{sweep_total / cold_total:.2%} of theirs",
        flush=True,
    )
    monotone = all(
        curve[i]["total_satisfaction"] <= curve[i + 1]["total_satisfaction"]
        for i in range(len(curve) - 1)
    )
    print(f"sweep curve monotone in cap: {monotone}")
    began = time.monotonic()
    fairness = price_of_fairness(problem, options)
    print(
        f"price of fairness at the generated cap {cap:,}: {fairness['percent']}% "
        f"(with band {fairness['with_band']}, without {fairness['without_band']}; "
        f"{time.monotonic() - began:.1f} s)"
    )


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
