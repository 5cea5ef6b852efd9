"""A run's problem: the period's current inputs (or a scenario's) as canonical text + SHA-256,
and what it takes from the domains built on runs, through seams they fill in.

Built by the run's job when it starts, not in `POST /runs`: at 100,000 employees building
takes tens of seconds, which a request must not hold (nor a SQLite write lock with it).

Payroll publishes runs and scenarios run them, so both import allocations and allocations
imports neither: payroll registers the allowance carried into a period from its
publications (app/payroll/repository.py), scenarios the check and the problem of a scenario
run (app/scenarios/service.py). app.main imports both domains, as app.life_events does for
payroll's Amendment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.allocations.inputs import ProblemInputs
from app.allocations.period_inputs import period_inputs
from app.allocations.problem import canonical_json, document, sha256_hex
from app.periods.models import Period

# external_id -> allowance carried into the period (from the previous period's publication).
CarryOverInto = Callable[[Session, Period], dict[str, int]]


@dataclass(frozen=True)
class ScenarioRuns:
    """What runs need of scenarios: `check` raises (404) unless the id is a scenario of the
    period (cheap: in the request); `problem` is the scenario run's (canonical text, SHA-256)
    (in the run's job)."""

    check: Callable[[Session, Period, str], None]
    problem: Callable[[Session, Period, str], tuple[str, str]]


_CARRY_OVER: list[CarryOverInto] = []
_SCENARIO_RUNS: list[ScenarioRuns] = []


def register_carry_over(source: CarryOverInto) -> None:
    _CARRY_OVER[:] = [source]


def register_scenario_runs(source: ScenarioRuns) -> None:
    _SCENARIO_RUNS[:] = [source]


def carried_over_into(session: Session, period: Period) -> dict[str, int]:
    if not _CARRY_OVER:  # pragma: no cover (app.main imports the payroll domain)
        raise RuntimeError("no carry-over source: import app.payroll.repository first")
    return _CARRY_OVER[0](session, period)


def carried_over_to(session: Session, period: Period, external_id: str) -> int:
    """What one employee carries into `period` (0 when nothing)."""
    return carried_over_into(session, period).get(external_id, 0)


def scenario_runs() -> ScenarioRuns:
    if not _SCENARIO_RUNS:  # pragma: no cover (app.main imports the scenarios domain)
        raise RuntimeError("no scenario runs: import app.scenarios.service first")
    return _SCENARIO_RUNS[0]


def current_inputs(session: Session, period: Period) -> ProblemInputs:
    """The period's current inputs, carried-over allowance included."""
    return period_inputs(session, period, carried_over=carried_over_into(session, period))


def current_problem(session: Session, period: Period) -> tuple[str, str]:
    """The canonical problem text of the period's current inputs, and its SHA-256."""
    text = canonical_json(document(current_inputs(session, period)))
    return text, sha256_hex(text)


def run_problem(session: Session, period: Period, scenario_id: str | None) -> tuple[str, str]:
    """The baseline problem of `period`, or the problem of its scenario `scenario_id`."""
    if scenario_id is None:
        return current_problem(session, period)
    return scenario_runs().problem(session, period, scenario_id)
