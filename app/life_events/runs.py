"""Event runs: re-allocate one employee of a publication, every other line held fixed.

`start_event_run` freezes the solver's input (`flexben.event/v1`: the employee's
one-person problem, the fixed use of everyone else's published lines aggregated by group
and benefit, the publication's group figures, the employee's previous lines) on a `Run`
with `life_event_id`; the `event_run` job solves it (solver.event via the adapter) and
writes the run's lines as the whole next publication: the publication amended with only
that employee's lines changed, effective-dated. Approval (four-eyes) publishes it as N+1.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations import solver_adapter
from app.allocations.explanations import storable
from app.allocations.inputs import EmployeeInput, ProblemInputs, Wish, allowance_of
from app.allocations.jobs import ALLOCATION_RUN, finish_run
from app.allocations.models import Run, RunEmployee
from app.allocations.problem import canonical_json, document, sha256_hex
from app.allocations.results import RunOutcome, failed_outcome, line_row, solver_columns
from app.allocations.seams import current_inputs
from app.allocations.solver_result import SolverIdentity, SolverResult
from app.audit.service import record
from app.auth.principal import Principal
from app.employees.models import Employee, PeerGroup
from app.errors import Conflict
from app.ids import time_ordered_uuid
from app.jobs.registry import Finish, JobContext, JobKind, register
from app.jobs.service import enqueue
from app.life_events.models import LifeEvent
from app.life_events.service import mark_published
from app.payroll import repository as publications
from app.payroll.models import PayrollLine, Publication
from app.payroll.service import Amendment, register_amendment
from app.periods.models import Period
from app.periods.service import get_period

log = logging.getLogger(__name__)

KIND = "event_run"
EVENT_FORMAT = "flexben.event/v1"
OTHERS = "(others)"  # fixed lines of everyone else are aggregated under this name
# A leave is decided without the solver: every line of the person ends on its date.
LEAVE = SolverResult(status="optimal", solver=SolverIdentity("event", "1", 0.0))


def _days(start: date, end: date) -> int:
    """Days from start to end, both included (0 when end is before start)."""
    return max((end - start).days + 1, 0)


def _part(amount: int, line: PayrollLine, end: date) -> int:
    """A line's amount from its start to `end`: pro rata of its own days, rounded down once."""
    return amount * _days(line.effective_from, end) // _days(line.effective_from, line.effective_to)


# ---------------------------------------------------------------- the frozen input


def _lines_of(session: Session, publication: Publication) -> list[tuple[PayrollLine, str]]:
    """The publication's lines with each employee's peer group code."""
    rows = session.execute(
        select(PayrollLine, PeerGroup.code)
        .join(Employee, Employee.external_id == PayrollLine.employee)
        .join(PeerGroup, PeerGroup.id == Employee.peer_group_id)
        .where(PayrollLine.publication_id == publication.id)
        .order_by(PayrollLine.employee, PayrollLine.benefit, PayrollLine.effective_from)
    )
    return [(line, code) for line, code in rows]


def _fixed(
    lines: list[tuple[PayrollLine, str]], person: str, when: date, period_days: int
) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """Fixed use (aggregated) and the person's lines running on `when` (annual contribution)."""
    totals: dict[tuple[str, str, str, bool], list[int]] = {}
    previous: dict[str, dict[str, int]] = {}

    def add(key: tuple[str, str, str, bool], units: int, cost: int) -> None:
        entry = totals.setdefault(key, [0, 0])
        entry[0] += units
        entry[1] += cost

    for line, group in lines:
        if line.kind != "benefit":
            continue  # leftover cash is paid after allocation; no budget counts it
        if line.employee != person:
            holds = line.effective_to >= when
            add((OTHERS, group, line.benefit, holds), line.units, line.employer_cost)
        elif line.effective_to < when:
            add((person, group, line.benefit, False), line.units, line.employer_cost)
        elif line.effective_from <= when:
            before = _part(line.employer_cost, line, when - timedelta(days=1))
            add((person, group, line.benefit, False), line.units, before)
            span = _days(line.effective_from, line.effective_to)
            previous[line.benefit] = {
                "units": line.units,
                "contribution": line.employee_cost * period_days // span if span else 0,
            }
    fixed = [
        {
            "employee": employee,
            "group": group,
            "benefit": benefit,
            "units": units,
            "employer_cost": cost,
            "holds_place": holds,
        }
        for (employee, group, benefit, holds), (units, cost) in sorted(totals.items())
    ]
    return fixed, previous


def _frozen(base: Run, mine: RunEmployee | None, group: str) -> dict[str, Any] | None:
    figures = next((g for g in base.groups or [] if g.get("id") == group), None)
    if figures is None or not figures.get("participants") or figures.get("mean_value") is None:
        return None
    return {
        "participants": int(figures["participants"]),
        "mean": str(Fraction(figures["mean_value"])),
        "includes_employee": mine is not None
        and mine.peer_group == group
        and mine.satisfaction is not None,
    }


def event_document(session: Session, event: LifeEvent, period: Period) -> dict[str, Any]:
    """The `flexben.event/v1` document of the event's run: the person's one-person problem
    (from the period's current inputs) against the publication it amends."""
    publication = publications.current_publication(session, period.id)
    if publication is None:
        raise Conflict("the period has no publication to amend")
    base = session.get_one(Run, publication.run_id)
    person = event.employee.external_id
    group = event.peer_group.code if event.peer_group is not None else None
    period_days = _days(period.effective_from, period.effective_to)
    fixed, previous = _fixed(
        _lines_of(session, publication), person, event.effective_date, period_days
    )
    inputs = current_inputs(session, period)
    mine = next((e for e in inputs.employees if e.external_id == person), None)
    if mine is None:
        raise Conflict(f"{person} is not active: activate the employee before an event run")
    changeable = _changeable(inputs, event.categories)
    held = held_codes(previous, changeable)
    mine = _event_employee(
        mine, event, group=group or mine.group, held=held, previous=previous, inputs=inputs
    )
    # Held lines are wishes of one point each: the budget of points grows by as many.
    inputs = replace(inputs, points_per_employee=inputs.points_per_employee + len(held))
    mine_before = session.get(RunEmployee, (base.id, person))
    return {
        "format": EVENT_FORMAT,
        "event": event.id,
        "kind": event.kind,
        "base_version": publication.version,
        "effective_date": event.effective_date.isoformat(),
        "employee": person,
        "days": _days(event.effective_date, period.effective_to),
        "period_days": period_days,
        "problem": document(inputs, employees=[mine]),
        "fixed": fixed,
        "frozen": _frozen(base, mine_before, mine.group),
        "previous": previous,
        "changeable": None if changeable is None else sorted(changeable),
    }


def _event_employee(
    mine: EmployeeInput,
    event: LifeEvent,
    *,
    group: str,
    held: set[str],
    previous: Mapping[str, Mapping[str, int]],
    inputs: ProblemInputs,
) -> EmployeeInput:
    """The person as the event re-allocates them: the event's group and wishes (a transfer
    keeps the period's unless changed), each held line a 1-point wish so that the checker
    sees it chosen, and the annual allowance of the group (the event's days pro-rate it, a
    hire's from the hire date, so no pro-rating by hire date here)."""
    if event.preferences is not None:
        wishes = {
            code: Wish(points=wish["points"], units=wish["units"], spelled_out=True)
            for code, wish in event.preferences.items()
        }
    else:
        wishes = dict(mine.wishes) if event.kind == "transfer" else {}
    for code in sorted(held):
        wishes[code] = Wish(points=1, units=previous[code]["units"], spelled_out=True)
    basis = replace(mine.basis, hire_date=None)
    return replace(
        mine,
        group=group,
        wishes=wishes,
        basis=basis,
        allowance=allowance_of(inputs, basis, group),
    )


def _changeable(inputs: ProblemInputs, categories: list[str] | None) -> set[str] | None:
    if categories is None:
        return None
    return {b.code for b in inputs.benefits if b.category in categories}


def start_event_run(session: Session, event: LifeEvent, principal: Principal) -> Run:
    """Queue the event's run (flushed; executed once committed)."""
    period = get_period(session, event.period_id)
    if period.status != "published":
        raise Conflict(f"the period is {period.status}: event runs amend a published period")
    if event.status != "confirmed":
        hint = "confirm it first" if event.status == "reported" else "it is already published"
        raise Conflict(f"the event is {event.status}; {hint}")
    text = canonical_json(event_document(session, event, period))
    run = Run(
        id=time_ordered_uuid(),
        period_id=period.id,
        status="queued",
        created_by=principal.id,
        created_by_person=principal.person,
        problem=text,
        problem_sha256=sha256_hex(text),
        time_limit_s=None,
        life_event_id=event.id,
        attempts=0,
    )
    session.add(run)
    session.flush()
    enqueue(session, kind=KIND, job_id=run.id, period_id=period.id, created_by=principal.id)
    record(session, principal, "life_event.run", "run", run.id, None, run)
    return run


def base_version(run: Run) -> int:
    """The publication an event run amends."""
    return int(json.loads(stored_event_document(run))["base_version"])


def stored_event_document(run: Run) -> str:
    """An event run's problem: stored when the run is started (one person's, small)."""
    if run.problem is None:
        raise ValueError(f"event run {run.id} has no stored problem")
    return run.problem


# ---------------------------------------------------------------- the job


def _line_row(line: PayrollLine, **changes: Any) -> dict[str, Any]:
    row = {
        "employee": line.employee,
        "benefit": line.benefit,
        "kind": line.kind,
        "units": line.units,
        "employer_cost": line.employer_cost,
        "employee_cost": line.employee_cost,
        "effective_from": line.effective_from,
        "effective_to": line.effective_to,
    }
    return {**row, **changes}


def amended_lines(
    lines: list[PayrollLine],
    doc: Mapping[str, Any],
    result: SolverResult | None,
    period_end: date,
) -> list[dict[str, Any]]:
    """The next publication's lines: only the person's change (a leave: `result` None)."""
    person, when = doc["employee"], date.fromisoformat(doc["effective_date"])
    allocated = () if result is None else result.lines
    held = {line.benefit for line in allocated if line.held}
    amended: list[dict[str, Any]] = []
    for line in lines:
        if line.employee != person or line.effective_to < when:
            amended.append(_line_row(line))
        elif result is None:  # a leave: every line ends on the date
            if line.effective_from <= when:
                amended.append(
                    _line_row(
                        line,
                        effective_to=when,
                        employer_cost=_part(line.employer_cost, line, when),
                        employee_cost=_part(line.employee_cost, line, when),
                    )
                )
        elif line.benefit in held and line.kind == "benefit":
            amended.append(_line_row(line))
        elif line.effective_from < when:  # ends the day before its replacement
            end = when - timedelta(days=1)
            amended.append(
                _line_row(
                    line,
                    effective_to=end,
                    employer_cost=_part(line.employer_cost, line, end),
                    employee_cost=_part(line.employee_cost, line, end),
                )
            )
    for new in allocated:
        if not new.held:
            amended.append(
                {
                    **line_row(new._replace(employee=person)),
                    "effective_from": when,
                    "effective_to": period_end,
                }
            )
    return sorted(amended, key=lambda r: (r["employee"], r["benefit"], r["effective_from"]))


def _employees(
    base_employees: list[RunEmployee], doc: Mapping[str, Any], result: SolverResult | None
) -> list[dict[str, Any]]:
    columns = ("employee", "peer_group", "satisfaction", "value", "top_up", "allowance",
               "leftover", "preferences", "explanations")  # fmt: skip
    rows = [{c: getattr(r, c) for c in columns} for r in base_employees]
    if result is None:
        return rows
    person = doc["problem"]["employees"][0]
    (mine,) = result.employees.values()
    before = next((r["preferences"] or {} for r in rows if r["employee"] == doc["employee"]), {})
    rows = [r for r in rows if r["employee"] != doc["employee"]]
    rows.append(
        {
            "employee": doc["employee"],
            "peer_group": person["group"],
            "satisfaction": mine.satisfaction,
            "value": mine.value,
            "top_up": mine.top_up,
            "allowance": person.get("allowance"),
            "leftover": 0,
            "preferences": _stored_wishes(doc, person["preferences"], before),
            "explanations": storable(mine.explanations),
        }
    )
    return rows


def held_codes(previous: Mapping[str, Any], changeable: Iterable[str] | None) -> set[str]:
    """Benefits of the person's previous lines the event may not change (held)."""
    if changeable is None:
        return set()
    return set(previous) - set(changeable)


def _stored_wishes(
    doc: Mapping[str, Any], solved: Mapping[str, Any], before: Mapping[str, Any]
) -> dict[str, Any]:
    """The person's wishes as they made them: a held line is a 1-point wish only for the
    solver (so that the checker sees it chosen); the person's own points for it stay."""
    held = held_codes(doc["previous"], doc["changeable"])
    wishes: dict[str, Any] = {}
    for code, wish in solved.items():
        if code in held:
            if code in before:  # else: a line they had without wishing it (a prerequisite)
                wishes[code] = before[code]
            continue
        wishes[code] = wish if isinstance(wish, dict) else {"points": wish, "units": 1}
    return wishes


def event_outcome(  # noqa: PLR0917 (the job's one call)
    doc: Mapping[str, Any],
    result: SolverResult | None,
    lines: list[PayrollLine],
    base: Run,
    base_employees: list[RunEmployee],
    period_end: date,
) -> RunOutcome:
    """A leave (`result` None) needs no solve: its lines end on the date."""
    said = result or LEAVE
    status = said.status
    columns: dict[str, Any] = {
        "status": "succeeded" if said.solved else "infeasible",
        "solver_status": status if status in ("optimal", "feasible", "infeasible") else "error",
        **solver_columns(replace(said, solver=said.solver or LEAVE.solver)),
        "groups": base.groups,  # the frozen figures carry over to the next publication
        "budgets": said.budgets or base.budgets,
        "kpis": {"life_event": doc["event"], "kind": doc["kind"], "employee": doc["employee"]},
        "error": None,
    }
    if columns["status"] != "succeeded":
        columns["error"] = " ".join(said.diagnosis or said.violations) or (
            said.error or "the event has no valid allocation"
        )
        if status == "error":
            columns["status"] = "failed"
        return RunOutcome(columns=columns)
    return RunOutcome(
        columns=columns,
        lines=amended_lines(lines, doc, result, period_end),
        employees=_employees(base_employees, doc, result),
    )


def execute_event_run(context: JobContext) -> Finish:
    with context.session() as session:
        run = session.get_one(Run, context.job_id)
        period = session.get_one(Period, run.period_id)
        doc = json.loads(stored_event_document(run))
        publication = publications.publication(session, period.id, doc["base_version"])
        assert publication is not None
        base = session.get_one(Run, publication.run_id)
        session.expunge(base)
        lines = [line for line, _ in _lines_of(session, publication)]
        base_employees = list(
            session.scalars(select(RunEmployee).where(RunEmployee.run_id == base.id))
        )
        for row in [*lines, *base_employees]:
            session.expunge(row)
        span = (period.effective_from, period.effective_to)
        session.rollback()
    try:
        result = None
        if doc["kind"] != "leave":
            result = solver_adapter.solve_event(doc, time_limit_s=None)
        outcome = event_outcome(doc, result, lines, base, base_employees, span[1])
    except Exception as error:  # recorded on the run; the worker carries on
        log.exception("event run %s failed", context.job_id)
        outcome = failed_outcome(f"the event run failed unexpectedly: {error!r}")
    return finish_run(outcome, span)


EVENT_RUN = register(
    JobKind(
        name=KIND,
        execute=execute_event_run,
        started=ALLOCATION_RUN.started,
        requeued=ALLOCATION_RUN.requeued,
        failed=ALLOCATION_RUN.failed,
    )
)
register_amendment(Amendment(base_version=base_version, published=mark_published))
