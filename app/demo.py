"""The demo organisation: ~300 employees in 10 peer groups, 25 benefits exercising every
benefit feature, and an open period with realistic preferences.

Idempotent: what already exists (by code, external_id, period name, current preference)
is left alone, so running it twice changes nothing. Deterministic: a fixed seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.principal import Principal
from app.benefits.models import Benefit
from app.benefits.schemas import BenefitCreate
from app.benefits.service import create_benefit
from app.employees import repository as people
from app.employees.models import Employee, PeerGroup
from app.periods import repository as periods_repo
from app.periods.models import Period
from app.periods.schemas import PeriodCreate
from app.periods.service import create_period, open_period
from app.preferences.models import Preference, PreferenceVersion
from app.preferences.rules import check_submission
from app.preferences.service import load_context

PERIOD_NAME = "Demo 2027 flex"
EMPLOYEES = 300
SEED = 2027
DEMO_PRINCIPAL = Principal(id="demo-loader", name="flexben demo", roles=frozenset({"hr_admin"}))

# (code, name, equity_tolerance, equity_absolute): tolerances differ by group on purpose.
PEER_GROUPS: list[tuple[str, str, Decimal | None, int | None]] = [
    ("HQ-L1", "Headquarters, level 1", None, None),
    ("HQ-L2", "Headquarters, level 2", None, None),
    ("HQ-L3", "Headquarters, level 3", Decimal("0.10"), 10000),
    ("HQ-L4", "Headquarters, level 4", Decimal("0.10"), 10000),
    ("LYON-L1", "Lyon plant, level 1", Decimal("0.20"), None),
    ("LYON-L2", "Lyon plant, level 2", Decimal("0.20"), None),
    ("LYON-L3", "Lyon plant, level 3", None, None),
    ("SALES-L1", "Field sales, level 1", None, 5000),
    ("SALES-L2", "Field sales, level 2", None, 5000),
    ("REMOTE-L2", "Remote staff, level 2", None, None),
]

SENIOR = {"any": [{"attr": "grade", "op": "in", "value": ["L3", "L4"]}]}
BENEFITS: list[dict[str, Any]] = [
    # core: everyone eligible gets them, no points
    {
        "code": "HEALTH",
        "name": "Health insurance",
        "category": "health",
        "cost": 120000,
        "core": True,
        "payroll_code": "BEN-HEALTH",
    },
    {
        "code": "PENSION",
        "name": "Pension top-up",
        "category": "finance",
        "cost": 60000,
        "core": True,
        "payroll_code": "BEN-PENS",
    },
    {
        "code": "LIFE",
        "name": "Life insurance",
        "category": "finance",
        "cost": 15000,
        "core": True,
        "eligibility": {"attr": "employment_type", "op": "!=", "value": "intern"},
    },
    # exclusive tiers
    {
        "code": "DENTAL-BASIC",
        "name": "Dental cover, basic",
        "category": "health",
        "cost": 20000,
        "exclusive_group": "dental",
    },
    {
        "code": "DENTAL-PLUS",
        "name": "Dental cover, plus",
        "category": "health",
        "cost": 45000,
        "exclusive_group": "dental",
    },
    {
        "code": "DENTAL-PREMIUM",
        "name": "Dental cover, premium",
        "category": "health",
        "cost": 70000,
        "exclusive_group": "dental",
    },
    {
        "code": "VISION-A",
        "name": "Vision cover A",
        "category": "health",
        "cost": 12000,
        "exclusive_group": "vision",
    },
    {
        "code": "VISION-B",
        "name": "Vision cover B",
        "category": "health",
        "cost": 22000,
        "exclusive_group": "vision",
    },
    # requires
    {
        "code": "SPOUSE-HEALTH",
        "name": "Spouse health cover",
        "category": "family",
        "cost": 80000,
        "requires": ["HEALTH"],
    },
    {
        "code": "FAMILY-DENTAL",
        "name": "Family dental add-on",
        "category": "family",
        "cost": 30000,
        "requires": ["DENTAL-PLUS"],
    },
    {
        "code": "BIKE",
        "name": "Bike lease",
        "category": "mobility",
        "cost": 48000,
        "taxable": True,
        "payroll_code": "BIK-BIKE",
    },
    {
        "code": "BIKE-INSURANCE",
        "name": "Bike insurance",
        "category": "mobility",
        "cost": 6000,
        "requires": ["BIKE"],
    },
    # capacity
    {
        "code": "PARKING",
        "name": "Parking place",
        "category": "mobility",
        "cost": 90000,
        "capacity": 40,
        "taxable": True,
        "eligibility": {"attr": "location", "op": "in", "value": ["HQ", "LYON"]},
    },
    {
        "code": "CHILDCARE",
        "name": "Childcare place",
        "category": "family",
        "cost": 150000,
        "capacity": 15,
        "eligibility": {"attr": "has_children", "op": "==", "value": True},
    },
    # multi-unit
    {"code": "LEAVE", "name": "Extra leave day", "category": "time", "cost": 25000, "max_units": 5},
    {
        "code": "LANGUAGE",
        "name": "Language course term",
        "category": "learning",
        "cost": 40000,
        "max_units": 3,
    },
    {
        "code": "TRAINING",
        "name": "Training credit",
        "category": "learning",
        "cost": 30000,
        "max_units": 4,
    },
    # eligibility rules
    {
        "code": "CAR",
        "name": "Company car",
        "category": "mobility",
        "cost": 400000,
        "taxable": True,
        "payroll_code": "BIK-CAR",
        "eligibility": SENIOR,
    },
    {
        "code": "SABBATICAL",
        "name": "Sabbatical month",
        "category": "time",
        "cost": 200000,
        "eligibility": {
            "all": [
                {"attr": "tenure_months", "op": ">=", "value": 36},
                {"attr": "employment_type", "op": "in", "value": ["full_time", "part_time"]},
            ]
        },
    },
    {
        "code": "REMOTE-KIT",
        "name": "Home office kit",
        "category": "wellbeing",
        "cost": 50000,
        "eligibility": {"attr": "location", "op": "==", "value": "REMOTE"},
    },
    {
        "code": "TRANSIT",
        "name": "Transit pass",
        "category": "mobility",
        "cost": 36000,
        "eligibility": {"not": {"attr": "location", "op": "==", "value": "REMOTE"}},
    },
    # sensitive (choices are personal data) and taxable perks
    {
        "code": "FERTILITY",
        "name": "Fertility support",
        "category": "family",
        "cost": 100000,
        "sensitive": True,
    },
    {
        "code": "COUNSELLING",
        "name": "Counselling sessions",
        "category": "wellbeing",
        "cost": 30000,
        "sensitive": True,
        "max_units": 2,
    },
    {
        "code": "GYM",
        "name": "Gym membership",
        "category": "wellbeing",
        "cost": 36000,
        "taxable": True,
        "payroll_code": "BIK-GYM",
    },
    {
        "code": "MEALS",
        "name": "Meal vouchers",
        "category": "wellbeing",
        "cost": 60000,
        "taxable": True,
    },
]

FIRST = [
    "Ana",
    "Bo",
    "Chen",
    "Dara",
    "Eli",
    "Farah",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
    "Omar",
    "Pia",
    "Quinn",
    "Rui",
    "Sami",
    "Tess",
    "Uma",
    "Vic",
    "Wen",
    "Xia",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Martin",
    "Bernard",
    "Dubois",
    "Rossi",
    "Novak",
    "Silva",
    "Khan",
    "Larsen",
    "Okafor",
    "Tanaka",
    "Garcia",
    "Schmidt",
    "Moreau",
    "Costa",
    "Ivanova",
    "Nguyen",
]


@dataclass
class DemoSummary:
    peer_groups_created: int = 0
    benefits_created: int = 0
    employees_created: int = 0
    period_id: str = ""
    period_created: bool = False
    preferences_created: int = 0


def _peer_groups(session: Session, summary: DemoSummary) -> dict[str, PeerGroup]:
    existing = {g.code: g for g in session.scalars(select(PeerGroup))}
    for code, name, tolerance, absolute in PEER_GROUPS:
        if code not in existing:
            group = PeerGroup(
                code=code, name=name, equity_tolerance=tolerance, equity_absolute=absolute
            )
            session.add(group)
            existing[code] = group
            summary.peer_groups_created += 1
    session.flush()
    return existing


def _benefits(session: Session, summary: DemoSummary) -> None:
    existing = set(session.scalars(select(Benefit.code)))
    for spec in BENEFITS:
        if spec["code"] not in existing:
            create_benefit(session, BenefitCreate.model_validate(spec))
            summary.benefits_created += 1


def _employee_values(index: int, rng: random.Random, group: PeerGroup) -> dict[str, Any]:
    location, grade = group.code.split("-")
    location = {"SALES": "HQ"}.get(location, location)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    employment_type = rng.choices(
        ["full_time", "part_time", "fixed_term", "intern"], weights=[80, 12, 5, 3]
    )[0]
    fte = (
        Decimal(1)
        if employment_type != "part_time"
        else rng.choice([Decimal("0.5"), Decimal("0.8")])
    )
    # Mostly long-standing staff; a few hired during the 2027 period (pro-rated allowance).
    if rng.random() < 0.06:
        hire = date(2027, 1, 1) + timedelta(days=rng.randrange(30, 300))
    else:
        hire = date(2008, 1, 1) + timedelta(days=rng.randrange(0, 365 * 18))
    has_children = rng.random() < 0.35
    needs_more = rng.random() < 0.05
    return {
        "external_id": f"E{index:05d}",
        "email": f"{first.lower()}.{last.lower()}.{index}@demo.flexben.dev",
        "display_name": f"{first} {last}",
        "peer_group_id": group.id,
        "grade": grade,
        "location": location,
        "employment_type": employment_type,
        "hire_date": hire,
        "fte": fte,
        "need": Decimal("1.25") if needs_more else Decimal(1),
        "need_reason": "disability accommodation" if needs_more else None,
        "top_up_limit": rng.choice([0, 0, 0, 50000, 100000]),
        "allowance_override": None,
        "attributes": {"has_children": has_children, "union_member": rng.random() < 0.3},
        "active": True,
        "version": 1,
    }


def _employees(session: Session, groups: dict[str, PeerGroup], summary: DemoSummary) -> None:
    rng = random.Random(SEED)
    ordered = [groups[code] for code, *_ in PEER_GROUPS]
    weights = [40, 45, 30, 12, 50, 35, 15, 35, 20, 18]
    wanted = []
    for index in range(1, EMPLOYEES + 1):
        group = rng.choices(ordered, weights=weights)[0]
        wanted.append(_employee_values(index, rng, group))  # always drawn: stays deterministic
    existing = people.existing_for_import(session, [row["external_id"] for row in wanted])
    missing = [row for row in wanted if row["external_id"] not in existing]
    people.bulk_insert_employees(session, missing)
    session.flush()
    summary.employees_created = len(missing)


def _period(session: Session, summary: DemoSummary) -> Period:
    period = session.scalar(select(Period).where(Period.name == PERIOD_NAME))
    if period is None:
        now = datetime.now(UTC).replace(microsecond=0)
        body = PeriodCreate.model_validate(
            {
                "name": PERIOD_NAME,
                "currency": "EUR",
                "opens_at": now.isoformat(),
                "closes_at": (now + timedelta(days=30)).isoformat(),
                "effective_from": "2027-01-01",
                "effective_to": "2027-12-31",
                "points_per_employee": 100,
                "allowance": {
                    "default": 250000,
                    "by_group": {"HQ-L3": 320000, "HQ-L4": 400000, "LYON-L3": 300000},
                    "prorate_fte": True,
                    "prorate_start": True,
                },
                "budgets": [
                    {"id": "total", "cap": 90000000},
                    {"id": "mobility", "cap": 9000000, "categories": ["mobility"]},
                    {"id": "hq", "cap": 30000000, "groups": ["HQ-L1", "HQ-L2", "HQ-L3", "HQ-L4"]},
                    {"id": "cars", "cap": 6000000, "benefits": ["CAR"]},
                ],
                "policy": {
                    "objective": "utilitarian",
                    "equity_tolerance": 0.15,
                    "equity_absolute": 20000,
                },
                "benefits": None,
                "leftover_policy": "forfeit",
            }
        )
        period = create_period(session, body)
        summary.period_created = True
    if period.status == "draft":
        period = open_period(session, period.id, lambda _etag: None)
    summary.period_id = period.id
    return period


def _wish_list(rng: random.Random, options: list[tuple[str, int]], budget: int) -> dict[str, Any]:
    """2-5 wanted benefits, points summing to at most `budget`, some with several units."""
    chosen = rng.sample(options, k=min(len(options), rng.randint(2, 5)))
    weights = [rng.randint(1, 10) for _ in chosen]
    spend = rng.choice([budget, budget, budget - 10])
    points: dict[str, Any] = {}
    for (code, max_units), weight in zip(chosen, weights, strict=True):
        share = max(1, spend * weight // sum(weights))
        units = rng.randint(1, max_units) if max_units > 1 else 1
        points[code] = share if units == 1 else {"points": share, "units": units}
    return points


def _preferences(session: Session, period: Period, summary: DemoSummary) -> None:
    """Realistic submissions, checked by the API's own rules, written in one transaction."""
    if period.status != "open":
        return
    rng = random.Random(SEED + 1)
    employees = session.scalars(
        select(Employee).where(Employee.active.is_(True)).order_by(Employee.external_id)
    ).all()
    offered = list(periods_repo.offered_benefits(session, period))
    done = set(
        session.scalars(select(Preference.employee_id).where(Preference.period_id == period.id))
    )
    now = datetime.now(UTC)
    for employee in employees:
        takes_part = rng.random() < 0.85  # drawn for everyone: deterministic
        choice_seed = rng.random()
        if not takes_part or employee.id in done:
            continue
        context = load_context(session, period, employee, offered=offered)
        options = [
            (b.code, b.max_units)
            for b in context.benefits
            if not b.core and b.code not in context.ineligible
        ]
        if len(options) < 2:
            continue
        wishes = _wish_list(random.Random(choice_seed), options, period.points_per_employee)
        checked = check_submission(
            wishes,
            offered=context.offered,
            ineligible=context.ineligible,
            points_per_employee=period.points_per_employee,
        )
        if checked.errors:  # cannot happen with the options above; never store invalid data
            continue
        points = {e.benefit: {"points": e.points, "units": e.units} for e in checked.entries}
        values = {
            "period_id": period.id,
            "employee_id": employee.id,
            "version": 1,
            "points": points,
            "submitted_by": DEMO_PRINCIPAL.id,
            "on_behalf": True,
            "submitted_at": now,
        }
        session.add(Preference(**values))
        session.add(PreferenceVersion(**values))
        summary.preferences_created += 1
    session.flush()


def load_demo(session: Session) -> DemoSummary:
    """Load (or complete) the demo organisation; returns what was created this time."""
    summary = DemoSummary()
    groups = _peer_groups(session, summary)
    _benefits(session, summary)
    _employees(session, groups, summary)
    period = _period(session, summary)
    _preferences(session, period, summary)
    return summary
