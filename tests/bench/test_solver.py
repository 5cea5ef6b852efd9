"""The solver benchmark's table: which bound, the proven gap, and the runs it measures."""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

from bench.solver import _measured, _row, _runs, bound_kind


def _args(**given: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "all": False,
        "full": False,
        "families": "favourite",
        "sizes": "1000",
        "engine_only": False,
    }
    return argparse.Namespace(**(defaults | given))


def test_the_kind_is_the_last_bound_note_in_short() -> None:
    notes = (
        "LP relaxation: 1.20s",
        "bound: LP relaxation",
        "bound: Lagrangian dual (per-group MILPs; 0 LP and 1 integer steps) from the LP's duals",
    )
    assert bound_kind(notes) == "Lagr. MILP"
    assert bound_kind(("bound: LP relaxation",)) == "LP"
    assert bound_kind(("polish: 0.10s",)) is None


def test_a_row_shows_the_kind_and_the_proven_gap() -> None:
    figures = {"objective": 95.0, "bound": 100.0, "bound_kind": "Lagr. MILP", "valid": True}
    row = _row("favourite", 1000, "engine", 20.0, figures)
    cells = [cell.strip() for cell in row.split("|")]
    assert cells[9:12] == ["Lagr. MILP", "5.00", "95.00"]


def test_engine_only_skips_the_monolithic_runs() -> None:
    assert _runs(_args()) == [
        ("favourite", 1000, "engine", 20.0),
        ("favourite", 1000, "MILP", 20.0),
    ]
    assert _runs(_args(engine_only=True)) == [("favourite", 1000, "engine", 20.0)]


def test_with_jobs_the_monolithic_runs_come_last_and_together() -> None:
    runs = [
        ("a", 200, "engine", 60.0),
        ("a", 200, "MILP", 60.0),
        ("a", 200, "MILP", 600.0),
        ("b", 200, "engine", 60.0),
        ("b", 200, "MILP", 600.0),
    ]
    running: list[int] = [0, 0]  # now, most at once
    lock = threading.Lock()

    def measure(method: str, family: str, employees: int, seconds: float) -> dict[str, Any]:
        with lock:
            running[0] += 1
            running[1] = max(running)
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return {"method": method, "family": family, "seconds": seconds}

    measured = list(_measured(runs, 2, measure))
    assert [run for run, _ in measured] == [runs[0], runs[3], runs[1], runs[2], runs[4]]
    assert [figures["method"] for _, figures in measured] == ["engine"] * 2 + ["monolithic"] * 3
    assert running[1] == 2
    assert [run for run, _ in _measured(runs, 1, measure)] == runs  # one at a time: in order
