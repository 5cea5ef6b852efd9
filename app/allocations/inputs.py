"""What a run's problem takes from the domains built on runs, through seams they fill in.

Payroll publishes runs and scenarios run them, so both import allocations and allocations
imports neither: payroll registers the allowance carried into a period from its
publications (app/payroll/repository.py), scenarios the problem of a scenario run
(app/scenarios/service.py). app.main imports both domains, as app.life_events does for
payroll's Amendment.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from app.periods.models import Period

# external_id -> allowance carried into the period (from the previous period's publication).
CarryOverInto = Callable[[Session, Period], dict[str, int]]
# (canonical problem text, its SHA-256) of the scenario with this id, a scenario of the period.
ScenarioProblem = Callable[[Session, Period, str], tuple[str, str]]

_CARRY_OVER: list[CarryOverInto] = []
_SCENARIO_PROBLEM: list[ScenarioProblem] = []


def register_carry_over(source: CarryOverInto) -> None:
    _CARRY_OVER[:] = [source]


def register_scenario_problem(source: ScenarioProblem) -> None:
    _SCENARIO_PROBLEM[:] = [source]


def carried_over_into(session: Session, period: Period) -> dict[str, int]:
    if not _CARRY_OVER:  # pragma: no cover (app.main imports the payroll domain)
        raise RuntimeError("no carry-over source: import app.payroll.repository first")
    return _CARRY_OVER[0](session, period)


def carried_over_to(session: Session, period: Period, external_id: str) -> int:
    """What one employee carries into `period` (0 when nothing)."""
    return carried_over_into(session, period).get(external_id, 0)


def scenario_problem_text(session: Session, period: Period, scenario_id: str) -> tuple[str, str]:
    if not _SCENARIO_PROBLEM:  # pragma: no cover (app.main imports the scenarios domain)
        raise RuntimeError("no scenario problems: import app.scenarios.service first")
    return _SCENARIO_PROBLEM[0](session, period, scenario_id)
