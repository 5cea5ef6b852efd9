"""Small keyword-only factories for people, benefits and periods (commit their rows)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.benefits.models import Benefit
from app.employees.models import Employee, PeerGroup


def make_peer_group(session: Session, *, code: str = "HQ-L2", **overrides: Any) -> PeerGroup:
    group = PeerGroup(code=code, name=overrides.pop("name", f"Group {code}"), **overrides)
    session.add(group)
    session.commit()
    return group


def make_employee(
    session: Session,
    *,
    external_id: str = "E1",
    peer_group: PeerGroup,
    **overrides: Any,
) -> Employee:
    values: dict[str, Any] = {
        "display_name": f"Employee {external_id}",
        "grade": "L2",
        "location": "HQ",
        "hire_date": date(2020, 1, 1),
        "fte": Decimal(1),
        "need": Decimal(1),
        "attributes": {},
    }
    values.update(overrides)
    employee = Employee(external_id=external_id, peer_group=peer_group, **values)
    session.add(employee)
    session.commit()
    return employee


def make_benefit(session: Session, *, code: str = "GYM", **overrides: Any) -> Benefit:
    values: dict[str, Any] = {
        "name": f"Benefit {code}",
        "description": "",
        "category": "wellbeing",
        "cost": 36000,
        "max_units": 1,
        "core": False,
        "requires": [],
        "eligibility": None,
        "taxable": False,
        "sensitive": False,
        "active": True,
    }
    values.update(overrides)
    benefit = Benefit(code=code, **values)
    session.add(benefit)
    session.commit()
    return benefit


def period_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST /api/v1/periods body; override any field."""
    body: dict[str, Any] = {
        "name": "2027 flex",
        "currency": "EUR",
        "opens_at": None,
        "closes_at": None,
        "effective_from": "2027-01-01",
        "effective_to": "2027-12-31",
        "points_per_employee": 100,
        "allowance": {
            "default": 300000,
            "by_group": {},
            "prorate_fte": True,
            "prorate_start": True,
        },
        "budgets": [{"id": "total", "cap": 250000000}],
        "policy": {"objective": "utilitarian", "equity_tolerance": 0.15, "equity_absolute": 0},
        "benefits": None,
        "leftover_policy": "forfeit",
    }
    body.update(overrides)
    return body
