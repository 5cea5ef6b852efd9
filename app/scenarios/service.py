"""Scenarios: create, read, change (If-Match), list, and apply to their period."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.allocations.seams import ScenarioRuns, register_scenario_runs
from app.audit.service import record, snapshot
from app.auth.principal import Principal
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable, error_item
from app.http import etag_of_version
from app.ids import time_ordered_uuid
from app.periods.models import Period
from app.periods.schemas import PeriodPatch
from app.periods.service import get_period, patch_period
from app.scenarios.models import Scenario
from app.scenarios.overrides import catalogue_overrides, check_overrides, overridden_settings
from app.scenarios.problem import overrides_of, scenario_problem_text
from app.scenarios.schemas import AppliedOut, ScenarioCreate, ScenarioOut, ScenarioPatch

Precondition = Callable[[str], None]
# Period states in which its settings may change (app.periods.service.EDITABLE: all fields).
SETTINGS_EDITABLE = ("draft", "closed")  # see app.periods.service.EDITABLE


def scenario_out(scenario: Scenario) -> ScenarioOut:
    return ScenarioOut(
        id=scenario.id,
        period_id=scenario.period_id,
        name=scenario.name,
        description=scenario.description,
        overrides=overrides_of(scenario).shown(),
        created_by=scenario.created_by,
        created_at=scenario.created_at,
        updated_at=scenario.updated_at,
        applied_at=scenario.applied_at,
        applied_by=scenario.applied_by,
    )


def get_scenario(session: Session, scenario_id: str, *, for_update: bool = False) -> Scenario:
    stmt = select(Scenario).where(Scenario.id == scenario_id)
    scenario = session.scalar(stmt.with_for_update() if for_update else stmt)
    if scenario is None:
        raise NotFound(f"no scenario with id {scenario_id!r}")
    return scenario


def scenario_of_period(session: Session, scenario_id: str, period_id: str) -> Scenario:
    """The scenario a request body names, which must belong to the period (422 otherwise)."""
    scenario = session.get(Scenario, scenario_id)
    if scenario is None or scenario.period_id != period_id:
        raise Unprocessable(
            f"scenario_id: no scenario {scenario_id!r} in period {period_id!r}",
            errors=[error_item(["body", "scenario_id"], "must name a scenario of this period")],
        )
    return scenario


def scenarios_of_period(period_id: str) -> Select[Any]:
    return select(Scenario).where(Scenario.period_id == period_id)


def create_scenario(
    session: Session, period_id: str, body: ScenarioCreate, principal: Principal
) -> Scenario:
    period = get_period(session, period_id)
    check_overrides(session, period, body.overrides)
    now = utcnow()
    scenario = Scenario(
        id=time_ordered_uuid(),
        period_id=period.id,
        name=body.name,
        description=body.description,
        overrides=body.overrides.stored(),
        version=1,
        created_by=principal.id,
        created_at=now,
        updated_at=now,
    )
    session.add(scenario)
    record(session, principal, "scenario.create", "scenario", scenario.id, None, scenario)
    session.flush()
    return scenario


def patch_scenario(
    session: Session, scenario_id: str, body: ScenarioPatch, precondition: Precondition
) -> Scenario:
    scenario = get_scenario(session, scenario_id, for_update=True)
    precondition(etag_of_version(scenario.version))
    before = snapshot(scenario)
    changes = body.model_dump(exclude_unset=True)
    nulls = [name for name, value in changes.items() if value is None]
    if nulls:
        raise Unprocessable(
            "these fields cannot be null",
            errors=[error_item(["body", name], "cannot be null") for name in nulls],
        )
    if body.overrides is not None:
        check_overrides(session, get_period(session, scenario.period_id), body.overrides)
        scenario.overrides = body.overrides.stored()
    if body.name is not None:
        scenario.name = body.name
    if body.description is not None:
        scenario.description = body.description
    scenario.version += 1
    scenario.updated_at = utcnow()
    record(session, None, "scenario.update", "scenario", scenario.id, before, scenario)
    session.flush()
    return scenario


def apply_scenario(session: Session, scenario_id: str, principal: Principal) -> AppliedOut:
    """Copy the scenario's overrides into its period's settings (flushed; audited as
    `scenario.apply` and `period.update`).

    Only while the period's settings may change (draft, or closed for the allocation settings:
    the decided scenario becomes the plan of the final run); catalogue-level overrides (costs,
    capacities) are refused: benefits are shared by every period and change through
    PATCH /api/v1/benefits/{code}."""
    scenario = get_scenario(session, scenario_id, for_update=True)
    period = get_period(session, scenario.period_id, for_update=True)
    if period.status not in SETTINGS_EDITABLE:
        raise Conflict(
            f"the period is {period.status}: its settings may change only while it is draft "
            "or closed, so the scenario cannot be applied to it"
        )
    overrides = overrides_of(scenario)
    catalogue = catalogue_overrides(overrides)
    if catalogue:
        raise Conflict(
            "the scenario changes the benefit catalogue ("
            + ", ".join(catalogue)
            + "), which every period shares; change the benefits with "
            "PATCH /api/v1/benefits/{code}, remove these overrides, then apply",
            errors=[
                error_item(["scenario", "overrides", name], "catalogue-level: not a period setting")
                for name in catalogue
            ],
        )
    settings = overridden_settings(session, period, overrides)
    before = {name: getattr(period, name) for name in settings}
    changed = sorted(name for name, value in settings.items() if before[name] != value)
    scenario_before = snapshot(scenario)
    scenario.applied_at, scenario.applied_by = utcnow(), principal.id
    scenario.version += 1
    # Committed with the period's change (patch_period also records "period.update").
    record(session, principal, "scenario.apply", "scenario", scenario.id, scenario_before, scenario)
    patched = patch_period(
        session,
        period.id,
        # Only what changes: a closed period refuses even a no-op write of a frozen field.
        PeriodPatch.model_validate({name: settings[name] for name in changed}),
        precondition=lambda _etag: None,
    )
    return AppliedOut(scenario=scenario_out(scenario), period_id=patched.id, changed=changed)


def scenario_run_problem(session: Session, period: Period, scenario_id: str) -> tuple[str, str]:
    """The problem a run of the scenario solves (404 unless it is a scenario of `period`)."""
    return scenario_problem_text(
        session, period, scenario_of_period(session, scenario_id, period.id)
    )


def check_scenario_of_period(session: Session, period: Period, scenario_id: str) -> None:
    scenario_of_period(session, scenario_id, period.id)


# Runs check and build scenario problems through app.allocations.seams.
register_scenario_runs(ScenarioRuns(check=check_scenario_of_period, problem=scenario_run_problem))
