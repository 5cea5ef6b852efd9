"""Run services without HTTP: a peer group's size in a run (what disclosure decides on)."""

from __future__ import annotations

from app.allocations.models import Run
from app.allocations.service import group_participants


def test_group_participants_reads_the_runs_group_figures() -> None:
    run = Run(groups=[{"id": "HQ", "participants": 7}, {"id": "LAB", "participants": None}])
    assert group_participants(run, "HQ") == 7
    assert group_participants(run, "LAB") == 0
    assert group_participants(run, "NOPE") == 0
    assert group_participants(Run(groups=None), "HQ") == 0
