"""Scale benchmark: `python -m bench scale [--growth 10000,25000,...] [--skip-baseline]`.

Measured as a user would: the problem is generated to a file first (not timed), then
`flexben solve FILE --time-limit T --processes 2 -o OUT` runs as a child process; the wall
time includes loading and writing. Peak memory is the largest sum of the resident memory of
the child and all its descendants (the worker processes), sampled every 0.1 s from /proc.
Quality is the objective over the result's proven bound. Cases:
- 100,000 employees with 40 and with 400 peer groups at --time-limit 45 (targets: wall <= 60 s,
  >= 93% of the bound, peak < 4 GiB), and each instance family of `flexben generate
  --family` at 100,000 (`--families a,b`; default: every family but `default`, which the two
  cases above are);
- 10,000 employees at --time-limit 15 against the same engine at --time-limit 90 (the
  baseline, measured in the same run);
- `--ray`: the 100,000/40 case again with `--executor ray` on a Ray cluster this script
  starts on 127.0.0.1 (a head without CPUs and two one-CPU nodes, workers at niceness 0;
  stopped after), peak memory including the nodes' workers;
- growth: seconds per 1,000 employees at each size of --growth (time limit 600 s, so work
  limits end the solves; within +-25% of each other means no superlinear step).
The machine is shared: the load average is printed at start and end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.support import flexben_command, solve_in_child

SEED = 7
PROCESSES = 2
LARGE = ((100_000, 40), (100_000, 400))  # --large 40,400 (empty: none)
LARGE_LIMIT_S = 45.0
GROWTH = (10_000, 25_000, 50_000, 100_000, 200_000)
GROWTH_LIMIT_S = 600.0
GIB = 1024**3
FAMILY_EMPLOYEES = 100_000
DEFAULT_FAMILY_GROUPS = 80  # the default family's most peer groups (grades x sites)


def _other_families() -> list[str]:
    from solver.families import FAMILIES

    return [name for name in FAMILIES if name != "default"]


def _generate(folder: Path, employees: int, groups: int | None, family: str = "default") -> Path:
    """A generated problem file (`groups` None: as many peer groups as the family makes)."""
    path = folder / f"p{employees}_{groups or 'f'}_{family}.json"
    if not path.exists():
        command = [flexben_command(), "generate", "--employees", str(employees)]
        command += ["--seed", str(SEED), "--family", family, "-o", str(path)]
        if groups is not None:
            command += ["--groups", str(groups)]
        if groups is not None and groups > DEFAULT_FAMILY_GROUPS:
            # beyond grades x sites: the group size says how many groups there are
            command += ["--set", f"group_size={employees // groups}"]
        subprocess.run(command, check=True)
    return path


def _large_row(case: str, figures: dict[str, Any]) -> None:
    print(_row(case, LARGE_LIMIT_S, figures), flush=True)
    ok = (
        figures.get("wall_s", 1e9) <= 60
        and (figures.get("quality") or 0) >= 0.93
        and figures.get("peak_mib", 1e9) * 2**20 < 4 * GIB
    )
    print(f"  targets (wall <= 60 s, >= 93% of bound, < 4 GiB): {'met' if ok else 'MISSED'}")


def measure(problem: Path, time_limit: float) -> dict[str, Any]:
    """One `flexben solve` child: wall seconds, peak MiB of its process tree, quality."""
    return solve_in_child(problem, time_limit, PROCESSES)


def measure_on_ray(problem: Path) -> dict[str, Any]:
    """`measure` with `--executor ray` on a three-node Ray cluster on this machine."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # keep 127.0.0.1 (read at import)
    from ray._private.ray_constants import RAY_WORKER_NICENESS
    from ray.cluster_utils import Cluster

    os.environ[RAY_WORKER_NICENESS] = "0"  # the raylets read it: workers at normal priority
    cluster: Any = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False},
    )
    try:
        nodes = [cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1") for _ in range(2)]
        cluster.wait_for_nodes()
        raylets = [node.all_processes["raylet"][0].process.pid for node in nodes]
        options = ["--executor", "ray", "--ray-address", cluster.address]
        return solve_in_child(
            problem, LARGE_LIMIT_S, PROCESSES, options=options, label=".ray", also_measured=raylets
        )
    finally:
        cluster.shutdown()  # the processes it started, by pid


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _row(case: str, limit: float, figures: dict[str, Any]) -> str:
    quality = figures.get("quality")
    return (
        f"| {case:<14} | {limit:>5.0f} | {_cell(figures.get('wall_s')):>7} "
        f"| {_cell(figures.get('peak_mib'), 0):>8} | {_cell(figures.get('objective'), 2):>11} "
        f"| {_cell(figures.get('bound'), 2):>11} "
        f"| {_cell(quality * 100 if quality is not None else None, 2):>7} "
        f"| {figures.get('status', '')} |"
    )


HEADER = (
    "| case           | limit | wall s  | peak MiB |   objective |       bound | % bound | status |"
)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__)
    parser.add_argument("--growth", default=",".join(str(n) for n in GROWTH))
    parser.add_argument("--large", default="40,400", help="peer groups of the 100,000 cases")
    parser.add_argument(
        "--families", default=",".join(_other_families()), help="families at 100,000 (or none)"
    )
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--ray", action="store_true", help="100,000/40 on a local Ray cluster")
    parser.add_argument("--folder", default=None, help="keep generated problems here")
    args = parser.parse_args(
        argv if argv is not None else [a for a in sys.argv[1:] if a != "scale"]
    )
    growth = [int(n) for n in args.growth.split(",") if n]
    folder = Path(args.folder or tempfile.mkdtemp(prefix="flexben-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"scale benchmark: seed {SEED}, {PROCESSES} processes, {os.cpu_count()} CPUs")
    print(f"load average at start: {os.getloadavg()} (shared machine)", flush=True)
    print(HEADER)
    print("|" + "---|" * 8, flush=True)
    for employees, groups in LARGE:
        if str(groups) in args.large.split(","):
            figures = measure(_generate(folder, employees, groups), LARGE_LIMIT_S)
            _large_row(f"{employees}/{groups}g", figures)
    if args.ray:
        _large_row("100000/40g ray", measure_on_ray(_generate(folder, 100_000, 40)))
    for family in [name for name in args.families.split(",") if name]:
        figures = measure(_generate(folder, FAMILY_EMPLOYEES, None, family), LARGE_LIMIT_S)
        _large_row(f"{family[:14]}", figures)
    if not args.skip_baseline:
        ten = _generate(folder, 10_000, 40)
        baseline = measure(ten, 90.0)
        print(_row("10000/40g", 90.0, baseline), flush=True)
        fast = measure(ten, 15.0)
        print(_row("10000/40g", 15.0, fast), flush=True)
        reached = (fast.get("objective") or 0) >= (baseline.get("objective") or 1e18)
        print(f"  15 s reaches the 90 s quality: {'yes' if reached else 'NO'}", flush=True)
    if growth:
        print("\n| employees | groups | wall s | s per 1,000 | status |")
        print("|---|---|---|---|---|")
        for employees in growth:
            groups = max(4, employees // 2500)
            figures = measure(_generate(folder, employees, groups), GROWTH_LIMIT_S)
            per = figures["wall_s"] / (employees / 1000)
            print(
                f"| {employees:>9} | {groups:>6} | {figures['wall_s']:>6.1f} | {per:>11.2f} "
                f"| {figures.get('status', '')} |",
                flush=True,
            )
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
