"""A run's problem: the period's current inputs (or a scenario's) as canonical text + SHA-256.

Built by the run's job when it starts, not in `POST /runs`: at 100,000 employees building
takes tens of seconds, which a request must not hold (nor a SQLite write lock with it).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.allocations.problem import build_problem, canonical_json, sha256_hex
from app.payroll import repository as publications
from app.periods.models import Period


def current_problem(session: Session, period: Period) -> tuple[str, str]:
    """The canonical problem text of the period's current inputs, and its SHA-256."""
    carried = publications.carry_over_into(session, period)
    text = canonical_json(build_problem(session, period, carried_over=carried))
    return text, sha256_hex(text)


def run_problem(session: Session, period: Period, scenario_id: str | None) -> tuple[str, str]:
    """The baseline problem of `period`, or the problem of its scenario `scenario_id`."""
    if scenario_id is None:
        return current_problem(session, period)
    from app.scenarios.problem import scenario_problem_text
    from app.scenarios.service import scenario_of_period

    scenario = scenario_of_period(session, scenario_id, period.id)
    return scenario_problem_text(session, period, scenario)
