"""Load a generated `flexben.problem/v1` document into the service's tables (bulk inserts),
as a closed period ready to run. Used by the run benchmarks and the worker tests.

Peer groups, benefits and employees already in the tables (by code, external_id) are kept:
a benchmark can import the employees through the HTTP import route first (`employees_csv`,
after `seed_peer_groups`), then seed the rest.

Everyone is eligible for every benefit (the generator's eligibility lists are not
expressible as rules and do not matter for timing); allowances become per-employee
overrides (no pro-ration), so the period's allowance rules are empty.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.benefits.models import Benefit
from app.employees.models import Employee, PeerGroup
from app.ids import time_ordered_uuid
from app.periods.models import Period
from app.preferences.models import Preference

BATCH = 5000


def _batches(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        session.execute(insert(table), rows[start : start + BATCH])


def _pairs(session: Session, stmt: Any) -> dict[Any, Any]:
    # Not dict(result): a Result has keys(), so dict() would read it as a mapping.
    return {row[0]: row[1] for row in session.execute(stmt)}


def _preference(entry: Any) -> dict[str, int]:
    if isinstance(entry, dict):
        return {"points": int(entry["points"]), "units": int(entry.get("units", 1))}
    return {"points": int(entry), "units": 1}


def seed_problem(session: Session, doc: dict[str, Any], *, status: str = "closed") -> str:
    """Insert the catalogue, people, a period and preferences (what is not there yet) and
    commit; returns the period id."""
    seed_benefits(session, doc)
    seed_peer_groups(session, doc)
    seed_employees(session, doc)
    period_id = seed_period(session, doc, status=status)
    session.commit()
    return period_id


def seed_benefits(session: Session, doc: dict[str, Any]) -> None:
    existing = set(session.scalars(select(Benefit.code)))
    _batches(
        session,
        Benefit,
        [
            {
                "code": b["id"],
                "name": b["id"].title(),
                "description": "",
                "category": None,
                "cost": b["cost"],
                "max_units": b.get("max_units", 1),
                "capacity": b.get("capacity"),
                "core": b.get("core", False),
                "exclusive_group": b.get("exclusive_group"),
                "requires": b.get("requires", []),
                "eligibility": None,
                "payroll_code": f"BIK-{b['id']}",
                "taxable": True,
                "sensitive": False,
                "active": True,
                "version": 1,
            }
            for b in doc["benefits"]
            if b["id"] not in existing
        ],
    )


def seed_peer_groups(session: Session, doc: dict[str, Any]) -> None:
    """The employees' peer groups (the import route needs them to exist), flushed."""
    overrides = {g["id"]: g for g in doc.get("peer_groups", [])}
    existing = set(session.scalars(select(PeerGroup.code)))
    codes = sorted({e["group"] for e in doc["employees"]} - existing)
    _batches(
        session,
        PeerGroup,
        [
            {
                "code": code,
                "name": code,
                "equity_tolerance": overrides.get(code, {}).get("equity_tolerance"),
                "equity_absolute": overrides.get(code, {}).get("equity_absolute"),
                "version": 1,
            }
            for code in codes
        ],
    )
    session.flush()


# What a generated employee becomes: the same in the bulk insert and in the import CSV.
HIRE_DATE = date(2020, 1, 1)


def seed_employees(session: Session, doc: dict[str, Any]) -> None:
    group_ids = _pairs(session, select(PeerGroup.code, PeerGroup.id))
    existing = set(session.scalars(select(Employee.external_id)))
    _batches(
        session,
        Employee,
        [
            {
                "external_id": e["id"],
                "email": None,
                "display_name": e["id"],
                "peer_group_id": group_ids[e["group"]],
                "employment_type": "full_time",
                "hire_date": HIRE_DATE,
                "fte": Decimal(1),
                "need": Decimal(str(e.get("need", 1))),
                "top_up_limit": e.get("top_up_limit", 0),
                "allowance_override": e.get("allowance"),
                "attributes": {},
                "active": True,
                "version": 1,
            }
            for e in doc["employees"]
            if e["id"] not in existing
        ],
    )


def employees_csv(doc: dict[str, Any]) -> bytes:
    """The document's employees as a file for POST /employees/import (the same rows as
    `seed_employees` inserts)."""
    lines = [
        "external_id,display_name,peer_group,employment_type,hire_date,fte,need,"
        "top_up_limit,allowance_override"
    ]
    for e in doc["employees"]:
        allowance = e.get("allowance")
        lines.append(
            f"{e['id']},{e['id']},{e['group']},full_time,{HIRE_DATE.isoformat()},1,"
            f"{Decimal(str(e.get('need', 1)))},{e.get('top_up_limit', 0)},"
            f"{'' if allowance is None else allowance}"
        )
    return ("\n".join(lines) + "\n").encode()


def seed_period(session: Session, doc: dict[str, Any], *, status: str = "closed") -> str:
    """The period (allowances are the employees' overrides) and the preferences of the
    employees who gave points; flushed, returns the period id."""
    policy = dict(doc["policy"])
    policy["equity_tolerance"] = str(policy.get("equity_tolerance", "0.15"))
    period_id = time_ordered_uuid()
    session.add(
        Period(
            id=period_id,
            name="seeded",
            currency=doc["currency"],
            effective_from=date(2027, 1, 1),
            effective_to=date(2027, 12, 31),
            points_per_employee=doc["points_per_employee"],
            allowance={
                "default": None,
                "by_group": {},
                "prorate_fte": False,
                "prorate_start": False,
            },
            budgets=list(doc["budgets"]),
            policy=policy,
            benefits=None,
            leftover_policy="forfeit",
            status=status,
            version=1,
        )
    )
    session.flush()
    employee_ids = _pairs(session, select(Employee.external_id, Employee.id))
    _batches(
        session,
        Preference,
        [
            {
                "period_id": period_id,
                "employee_id": employee_ids[e["id"]],
                "version": 1,
                "points": {code: _preference(v) for code, v in sorted(e["preferences"].items())},
                "submitted_by": "seed",
                "on_behalf": True,
            }
            for e in doc["employees"]
            if e.get("preferences")
        ],
    )
    return period_id
