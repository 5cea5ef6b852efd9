"""Load a generated `flexben.problem/v1` document into the service's tables (bulk inserts),
as a closed period ready to run. Used by the run benchmarks and the worker tests.

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
    """Insert catalogue, people, a period and preferences; returns the period id."""
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
        ],
    )
    overrides = {g["id"]: g for g in doc.get("peer_groups", [])}
    codes = sorted({e["group"] for e in doc["employees"]})
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
    group_ids = _pairs(session, select(PeerGroup.code, PeerGroup.id))
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
                "hire_date": date(2020, 1, 1),
                "fte": Decimal(1),
                "need": Decimal(str(e.get("need", 1))),
                "top_up_limit": e.get("top_up_limit", 0),
                "allowance_override": e.get("allowance"),
                "attributes": {},
                "active": True,
                "version": 1,
            }
            for e in doc["employees"]
        ],
    )
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
    session.commit()
    return period_id
