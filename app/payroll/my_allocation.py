"""GET /me/periods/{id}/allocation: the caller's published allocation and why.

Only the caller's own rows are read; peer-group figures (participants, mean value) appear
only for groups of at least 5 participants, and below that size the explanations name the
band without its figures (security.disclosure).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.allocations.explanations import worded
from app.allocations.models import Run, RunEmployee
from app.allocations.schemas import MyAllocationOut, PeerGroupFigures, WishOut
from app.allocations.service import group_participants
from app.auth.principal import Principal
from app.errors import NotFound
from app.i18n import DEFAULT_LANGUAGE
from app.payroll import repository as publications
from app.payroll.models import PayrollLine
from app.preferences.service import own_employee, visible_period
from app.security.disclosure import peer_figures_shown


def my_allocation(
    session: Session, period_id: str, principal: Principal, *, language: str = DEFAULT_LANGUAGE
) -> MyAllocationOut:
    """The caller's published allocation, explanations worded in `language`."""
    period = visible_period(session, period_id)
    employee = own_employee(session, principal)
    publication = publications.current_publication(session, period.id)
    if publication is None:
        raise NotFound(f"period {period_id!r} has no published allocation yet")
    run = session.get_one(Run, publication.run_id)
    mine = session.get(RunEmployee, (run.id, employee.external_id))
    if mine is None:
        raise NotFound("you were not part of the published allocation of this period")
    lines = session.scalars(
        select(PayrollLine)
        .where(
            PayrollLine.publication_id == publication.id,
            PayrollLine.employee == employee.external_id,
        )
        .order_by(PayrollLine.benefit, PayrollLine.effective_from)
    ).all()
    # What is received now: the latest segment of each benefit.
    received = {line.benefit: line.units for line in lines if line.kind == "benefit"}
    wishes = []
    for code in sorted(mine.preferences):
        entry = mine.preferences[code]
        wanted, got = int(entry.get("units", 1)), received.get(code, 0)
        wishes.append(
            WishOut(
                benefit=code,
                points=int(entry["points"]),
                units_wanted=wanted,
                units_received=min(got, wanted),
                honoured=got >= wanted,
            )
        )
    group = next((g for g in (run.groups or []) if g.get("id") == mine.peer_group), None)
    participants = group_participants(run, mine.peer_group)
    shown = peer_figures_shown(participants)
    figures = None
    if shown and group is not None:
        figures = PeerGroupFigures(
            code=mine.peer_group, participants=participants, mean_value=group.get("mean_value")
        )
    return MyAllocationOut(
        period_id=period.id,
        version=publication.version,
        currency=publication.currency,
        effective_from=publication.effective_from.isoformat(),
        effective_to=publication.effective_to.isoformat(),
        lines=[
            {
                "benefit": line.benefit,
                "kind": line.kind,
                "units": line.units,
                "employer_cost": line.employer_cost,
                "employee_cost": line.employee_cost,
                "payroll_code": line.payroll_code,
                "taxable": line.taxable,
                # The person's timeline: a line amended by an event ends, its replacement starts.
                "effective_from": line.effective_from.isoformat(),
                "effective_to": line.effective_to.isoformat(),
            }
            for line in lines
        ],
        points_given=sum(w.points for w in wishes),
        points_honoured=round(sum(w.points * w.units_received / w.units_wanted for w in wishes), 6),
        satisfaction=mine.satisfaction,
        wishes=wishes,
        unmet=worded(
            session,
            mine.explanations,
            currency=publication.currency,
            band_figures=shown,
            language=language,
        ),
        allowance=mine.allowance,
        allowance_used=mine.value,
        allowance_remaining=None if mine.allowance is None else max(mine.allowance - mine.value, 0),
        leftover_policy=(run.kpis or {}).get("leftover_policy", "forfeit"),
        peer_group=figures,
    )
