"""The inputs and problem of a scenario: the period's current inputs with the overrides
(app.scenarios.overrides.overridden); the period row is never changed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.allocations.inputs import ProblemInputs
from app.allocations.problem import canonical_json, document, sha256_hex
from app.allocations.seams import current_inputs
from app.periods.models import Period
from app.scenarios.models import Scenario
from app.scenarios.overrides import overridden
from app.scenarios.schemas import Overrides


def overrides_of(scenario: Scenario) -> Overrides:
    return Overrides.model_validate(scenario.overrides)


def scenario_inputs(session: Session, period: Period, overrides: Overrides) -> ProblemInputs:
    """The inputs of `period` under `overrides`."""
    return overridden(current_inputs(session, period), overrides)


def scenario_problem_text(session: Session, period: Period, scenario: Scenario) -> tuple[str, str]:
    """Canonical text and SHA-256 of a scenario's problem (what a scenario run stores)."""
    text = canonical_json(document(scenario_inputs(session, period, overrides_of(scenario))))
    return text, sha256_hex(text)
