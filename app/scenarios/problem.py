"""The problem document of a scenario: the period's current inputs with the overrides.

The period row is never changed: the overridden settings go into a transient copy of it
(never added to the session) that the ordinary problem builder reads, then costs and
capacities are adjusted in the document.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.allocations.problem import build_problem, canonical_json, sha256_hex
from app.benefits.models import Benefit
from app.payroll import repository as publications
from app.periods.models import Period
from app.scenarios.models import Scenario
from app.scenarios.overrides import adjust_benefits, overridden_settings
from app.scenarios.schemas import Overrides


def overrides_of(scenario: Scenario) -> Overrides:
    return Overrides.model_validate(scenario.overrides)


def _transient_copy(period: Period, settings: dict[str, Any]) -> Period:
    columns = {attr.key: getattr(period, attr.key) for attr in inspect(Period).column_attrs}
    return Period(**{**columns, **settings})


def scenario_problem(session: Session, period: Period, overrides: Overrides) -> dict[str, Any]:
    """The `flexben.problem/v1` document of `period` under `overrides`."""
    carried = publications.carry_over_into(session, period)
    virtual = _transient_copy(period, overridden_settings(session, period, overrides))
    doc = build_problem(session, virtual, carried_over=carried)
    rows = session.execute(select(Benefit.code, Benefit.category)).all()
    categories = {code: category for code, category in rows}  # noqa: C416 (Row, not pair)
    adjust_benefits(doc, overrides, categories)
    return doc


def baseline_problem(session: Session, period: Period) -> dict[str, Any]:
    carried = publications.carry_over_into(session, period)
    return build_problem(session, period, carried_over=carried)


def scenario_problem_text(session: Session, period: Period, scenario: Scenario) -> tuple[str, str]:
    """Canonical text and SHA-256 of a scenario's problem (what a scenario run stores)."""
    text = canonical_json(scenario_problem(session, period, overrides_of(scenario)))
    return text, sha256_hex(text)
