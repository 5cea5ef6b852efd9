"""The inputs read from the database, and the problem document made from them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.allocations.inputs import BudgetInput, Wish
from app.allocations.period_inputs import period_inputs
from app.allocations.problem import canonical_json, document, sha256_hex
from app.ids import time_ordered_uuid
from app.periods.models import Period
from app.preferences.models import Preference
from solver.load import load_problem
from tests.domain_factories import make_benefit, make_employee, make_peer_group
from tests.input_factories import benefit, employee, inputs


def make_period(session: Session, **overrides: Any) -> Period:
    values: dict[str, Any] = {
        "name": "2027",
        "currency": "EUR",
        "effective_from": date(2027, 1, 1),
        "effective_to": date(2027, 12, 31),
        "points_per_employee": 100,
        "allowance": {
            "default": 365000,
            "by_group": {"SALES": 730000},
            "prorate_fte": True,
            "prorate_start": True,
        },
        "budgets": [],
        "policy": {"objective": "maxmin", "equity_tolerance": "0.1", "equity_absolute": 500},
        "benefits": None,
        "leftover_policy": "forfeit",
        "status": "closed",
        "version": 1,
    }
    values.update(overrides)
    period = Period(id=time_ordered_uuid(), **values)
    session.add(period)
    session.commit()
    return period


def prefer(session: Session, period: Period, employee_id: int, points: dict[str, Any]) -> None:
    session.add(
        Preference(
            period_id=period.id,
            employee_id=employee_id,
            version=1,
            points=points,
            submitted_by="test",
        )
    )
    session.commit()


def test_the_document_holds_every_input_resolved(session: Session) -> None:
    hq = make_peer_group(session, code="HQ")
    sales = make_peer_group(session, code="SALES", equity_tolerance=Decimal("0.25"))
    junior = make_employee(
        session,
        external_id="E1",
        peer_group=hq,
        hire_date=date(2026, 9, 1),
        fte=Decimal("0.5"),
        top_up_limit=1000,
        need=Decimal("1.5"),
    )
    late = make_employee(session, external_id="E2", peer_group=sales, hire_date=date(2027, 7, 1))
    make_employee(session, external_id="E3", peer_group=hq, active=False)
    make_benefit(session, code="HEALTH", core=True, cost=1000, category="health")
    make_benefit(session, code="GYM", cost=300, category="wellbeing")
    make_benefit(session, code="BIKE", cost=500, category="mobility", capacity=3)
    make_benefit(
        session,
        code="CAR",
        cost=900,
        category="mobility",
        eligibility={"attr": "tenure_months", "op": ">=", "value": 6},
    )
    make_benefit(session, code="OLD", cost=100, active=False)
    make_benefit(session, code="ADDON", cost=100, requires=["OLD"])
    period = make_period(
        session,
        budgets=[
            {"id": "total", "cap": 10**7},
            {"id": "mobility", "cap": 800, "categories": ["mobility"]},
            {"id": "sales-gym", "cap": 700, "groups": ["SALES"], "benefits": ["GYM", "CAR"]},
            {"id": "nothing", "cap": 1, "categories": ["health"], "benefits": ["GYM"]},
        ],
    )
    prefer(
        session,
        period,
        junior.id,
        {
            "GYM": {"points": 60, "units": 1},
            "CAR": {"points": 30, "units": 1},
            "OLD": {"points": 10, "units": 1},
        },
    )
    prefer(session, period, late.id, {"BIKE": {"points": 100, "units": 1}})

    doc = document(period_inputs(session, period, carried_over={"E1": 7}))
    load_problem(doc)  # valid for the solver
    assert [b["id"] for b in doc["benefits"]] == ["BIKE", "CAR", "GYM", "HEALTH"]
    assert doc["budgets"] == [
        {"id": "total", "cap": 10**7},
        {"id": "mobility", "cap": 800, "benefits": ["BIKE", "CAR"]},
        {"id": "sales-gym", "cap": 700, "groups": ["SALES"], "benefits": ["CAR", "GYM"]},
    ]
    assert doc["policy"] == {"objective": "maxmin", "equity_tolerance": 0.1, "equity_absolute": 500}
    assert doc["peer_groups"] == [{"id": "SALES", "equity_tolerance": 0.25}]
    e1, e2 = doc["employees"]
    # Hired 2026-09-01: 4 months of tenure on 2027-01-01, not eligible for CAR.
    assert e1["eligible"] == ["BIKE", "GYM", "HEALTH"]
    assert e1["preferences"] == {"CAR": 30, "GYM": 60}  # OLD is no longer offered
    assert e1["allowance"] == 365000 // 2 + 7 and e1["need"] == 1.5
    assert e1["top_up_limit"] == 1000 and e1["group"] == "HQ"
    # by_group amount, pro-rated from 1 July: 730000 x 184/365.
    assert e2["allowance"] == 730000 * 184 // 365 and e2["eligible"][0] == "BIKE"

    assert canonical_json(doc) == canonical_json(
        document(period_inputs(session, period, carried_over={"E1": 7}))
    )
    assert len(sha256_hex(canonical_json(doc))) == 64


def test_a_document_of_some_employees_resolves_budgets_against_everyone() -> None:
    hq = employee(external_id="E1", group="HQ", eligible=("GYM",), wishes={"GYM": Wish(10)})
    sales = employee(
        external_id="E2",
        group="SALES",
        wishes={"GYM": Wish(5, spelled_out=True), "LEAVE": Wish(5, units=2)},
    )
    problem = inputs(
        benefits=(benefit(code="GYM"), benefit(code="LEAVE", max_units=2)),
        employees=(hq, sales),
        budgets=(
            BudgetInput(id="sales", cap=9, groups=("SALES", "LYON")),
            BudgetInput(id="none", cap=9, categories=("travel",)),
        ),
    )
    doc = document(problem, employees=[sales])
    assert doc["budgets"] == [{"id": "sales", "cap": 9, "groups": ["SALES"]}]
    (only,) = doc["employees"]
    assert only["preferences"] == {
        "GYM": {"points": 5, "units": 1},  # spelled out as stored: the bytes keep it
        "LEAVE": {"points": 5, "units": 2},
    }
    assert "allowance" not in only and "leftover_policy" not in doc
    assert document(replace(problem, leftover_policy="cash"))["leftover_policy"] == "cash"
    load_problem(document(problem))  # valid for the solver
