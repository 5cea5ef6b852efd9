"""Synthetic `flexben.problem/v1` organisations for trials, tests and benchmarks.

`generate(employees=N, seed=S)` returns a JSON-ready dict: grades x sites as peer groups, a
catalogue of 26 benefits (core benefits, exclusive tiers, capacity-limited perks, multi-unit
benefits, requirements), need weights, top-up limits, eligibility gaps, skewed popularity,
5% non-participants, budgets by group and by benefit and a total that binds somewhat.
Deterministic for a seed: only `random.Random(seed)` is used, and every collection is
iterated in a fixed order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from solver.types import PROBLEM_FORMAT

GRADES = ("L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8")
SITES = ("HQ", "NORTH", "SOUTH", "EAST", "WEST", "PORT", "LAB", "REMOTE", "PLANT", "ISLAND")
POINTS_PER_EMPLOYEE = 100
NON_PARTICIPANT_SHARE = 0.05


@dataclass(frozen=True, slots=True)
class _Item:
    id: str
    cost: int
    popularity: float  # relative weight when employees pick what they want
    core: bool = False
    max_units: int = 1
    capacity_share: float | None = None  # capacity as a share of the head count
    exclusive_group: str | None = None
    requires: tuple[str, ...] = ()
    min_grade: int = 0  # index into GRADES: eligibility gap by grade
    sites: tuple[str, ...] | None = None  # eligibility gap by site (None: every site)


CATALOGUE: tuple[_Item, ...] = (
    _Item("HEALTH", 120000, 0, core=True),
    _Item("PENSION-BASE", 60000, 0, core=True),
    _Item("LIFE", 15000, 0, core=True, min_grade=1),
    _Item("SPOUSE-HEALTH", 80000, 3.0, requires=("HEALTH",)),
    _Item("DENTAL-A", 20000, 4.0, exclusive_group="dental"),
    _Item("DENTAL-B", 45000, 3.0, exclusive_group="dental"),
    _Item("DENTAL-C", 70000, 1.5, exclusive_group="dental", min_grade=2),
    _Item("CHILD-DENTAL", 15000, 1.5, requires=("DENTAL-B",)),
    _Item("GYM", 36000, 6.0),
    _Item("FAMILY-GYM", 24000, 1.5, requires=("GYM",)),
    _Item("LEAVE", 25000, 8.0, max_units=5),
    _Item("TRAINING", 40000, 4.0, max_units=3),
    _Item("PENSION-TOPUP", 30000, 5.0, max_units=4),
    _Item("MEAL", 12000, 5.0, max_units=4),
    _Item("PARKING", 90000, 4.0, capacity_share=0.06, sites=("HQ", "NORTH", "PORT", "PLANT")),
    _Item("EV-CHARGING", 30000, 1.0, capacity_share=0.02, requires=("PARKING",)),
    _Item("BIKE", 50000, 3.0),
    _Item("TRANSIT", 42000, 4.5, sites=("HQ", "NORTH", "SOUTH", "EAST", "WEST", "LAB")),
    _Item("CAR-S", 180000, 1.5, exclusive_group="car", min_grade=2),
    _Item("CAR-M", 260000, 1.2, exclusive_group="car", min_grade=3),
    _Item("CAR-L", 380000, 0.6, exclusive_group="car", min_grade=4),
    _Item("CHILDCARE", 150000, 2.0, capacity_share=0.03, sites=("HQ", "LAB")),
    _Item("COACHING", 60000, 1.5, capacity_share=0.05),
    _Item("PHONE", 30000, 3.0),
    _Item("WELLNESS", 20000, 3.5, max_units=2),
    _Item("SABBATICAL", 200000, 0.5, capacity_share=0.01, min_grade=1),
)
MOBILITY = ("BIKE", "CAR-L", "CAR-M", "CAR-S", "EV-CHARGING", "PARKING", "TRANSIT")
NEED_WEIGHTS = ((1.0, 0.85), (1.25, 0.1), (1.5, 0.05))
TOP_UP_LIMITS = ((0, 0.65), (20000, 0.15), (50000, 0.12), (100000, 0.08))


def generate(*, employees: int, seed: int, groups: int | None = None) -> dict[str, Any]:
    """A synthetic organisation of `employees` people in `groups` peer groups (grade x site)."""
    if employees < 1:
        raise ValueError(f"employees: got {employees}, expected an integer >= 1")
    group_count = groups if groups is not None else _default_groups(employees)
    if not 1 <= group_count <= min(employees, len(GRADES) * len(SITES)):
        raise ValueError(
            f"groups: got {group_count}, expected 1 <= groups <= "
            f"{min(employees, len(GRADES) * len(SITES))} for {employees} employees"
        )
    rng = random.Random(seed)
    group_ids = _group_ids(group_count)
    people = _employees(rng, employees, group_ids)
    benefits = [_benefit_document(item, employees) for item in CATALOGUE]
    return {
        "format": PROBLEM_FORMAT,
        "currency": "EUR",
        "points_per_employee": POINTS_PER_EMPLOYEE,
        "policy": {"objective": "utilitarian", "equity_tolerance": 0.15, "equity_absolute": 10000},
        "budgets": _budgets(rng, people, group_ids),
        "peer_groups": _group_overrides(rng, group_ids),
        "benefits": benefits,
        "employees": people,
    }


def _default_groups(employees: int) -> int:
    return max(1, min(employees // 5, 16 if employees < 5000 else 40))


def _group_ids(count: int) -> list[str]:
    """`count` grade x site combinations, as square as possible (grades vary fastest)."""
    grade_count = min(len(GRADES), max(1, round(count**0.5)))
    while grade_count * len(SITES) < count:
        grade_count += 1
    site_count = -(-count // grade_count)
    combos = [f"{site}-{grade}" for site in SITES[:site_count] for grade in GRADES[:grade_count]]
    return combos[:count]


def _grade_index(group_id: str) -> int:
    return GRADES.index(group_id.rsplit("-", 1)[1])


def _site(group_id: str) -> str:
    return group_id.rsplit("-", 1)[0]


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights=weights)[0]


def _eligible(item: _Item, group_id: str, rng: random.Random) -> bool:
    if _grade_index(group_id) < item.min_grade:
        return False
    if item.sites is not None and _site(group_id) not in item.sites:
        return False
    # Individual gaps (tenure, contract type): a few people miss a few benefits.
    return item.core or rng.random() >= 0.04


def _employees(rng: random.Random, count: int, group_ids: list[str]) -> list[dict[str, Any]]:
    # Lower grades are larger: skewed group sizes, every group used at least once.
    weights = [1.0 / (1 + 0.35 * _grade_index(g)) * rng.uniform(0.6, 1.4) for g in group_ids]
    assigned = list(group_ids) + rng.choices(group_ids, weights=weights, k=count - len(group_ids))
    rng.shuffle(assigned)
    return [_employee(rng, f"E{index + 1:05d}", group) for index, group in enumerate(assigned)]


def _employee(rng: random.Random, employee_id: str, group_id: str) -> dict[str, Any]:
    grade = _grade_index(group_id)
    eligible = [item for item in CATALOGUE if _eligible(item, group_id, rng)]
    document: dict[str, Any] = {
        "id": employee_id,
        "group": group_id,
        "allowance": 220000 + 60000 * grade,
        "need": _pick(rng, NEED_WEIGHTS),
        "top_up_limit": _pick(rng, TOP_UP_LIMITS),
        "eligible": sorted(item.id for item in eligible),
        "preferences": {},
    }
    if rng.random() >= NON_PARTICIPANT_SHARE:
        document["preferences"] = _preferences(rng, [i for i in eligible if not i.core])
    return document


def _preferences(rng: random.Random, optional: list[_Item]) -> dict[str, Any]:
    wanted: list[_Item] = []
    pool = list(optional)
    for _ in range(min(len(pool), rng.randint(3, 9))):
        choice = rng.choices(pool, weights=[i.popularity for i in pool])[0]
        pool.remove(choice)
        if choice.exclusive_group is not None:  # one tier of a group is what people ask for
            pool = [i for i in pool if i.exclusive_group != choice.exclusive_group]
        wanted.append(choice)
    points = _split_points(rng, len(wanted))
    preferences: dict[str, Any] = {}
    for item, share in sorted(zip(wanted, points, strict=True), key=lambda pair: pair[0].id):
        units = rng.randint(1, item.max_units) if item.max_units > 1 else 1
        preferences[item.id] = share if units == 1 else {"points": share, "units": units}
    return preferences


def _split_points(rng: random.Random, count: int) -> list[int]:
    """`count` positive integers summing to at most POINTS_PER_EMPLOYEE, skewed to the first."""
    raw = [rng.paretovariate(1.6) for _ in range(count)]
    total = sum(raw)
    points = [max(1, int(POINTS_PER_EMPLOYEE * value / total)) for value in raw]
    while sum(points) > POINTS_PER_EMPLOYEE:
        points[points.index(max(points))] -= 1
    return points


def _benefit_document(item: _Item, employees: int) -> dict[str, Any]:
    document: dict[str, Any] = {"id": item.id, "cost": item.cost}
    if item.core:
        document["core"] = True
    if item.max_units > 1:
        document["max_units"] = item.max_units
    if item.capacity_share is not None:
        document["capacity"] = max(1, round(item.capacity_share * employees))
    if item.exclusive_group is not None:
        document["exclusive_group"] = item.exclusive_group
    if item.requires:
        document["requires"] = list(item.requires)
    return document


def _wanted_value(person: dict[str, Any]) -> int:
    costs = {item.id: item.cost for item in CATALOGUE}
    value = 0
    for benefit, preference in person["preferences"].items():
        units = preference["units"] if isinstance(preference, dict) else 1
        value += costs[benefit] * units
    return min(value, int(person["allowance"]))


def _core_cost(person: dict[str, Any]) -> int:
    return sum(item.cost for item in CATALOGUE if item.core and item.id in person["eligible"])


def _budgets(
    rng: random.Random, people: list[dict[str, Any]], group_ids: list[str]
) -> list[dict[str, Any]]:
    core = sum(_core_cost(person) for person in people)
    wanted = sum(_wanted_value(person) for person in people)
    budgets: list[dict[str, Any]] = [{"id": "total", "cap": core + int(wanted * 0.62)}]
    sites = sorted({_site(g) for g in group_ids})
    for site in sites[:2]:  # two sites run their own budget
        members = [p for p in people if _site(p["group"]) == site]
        site_groups = sorted(g for g in group_ids if _site(g) == site)
        site_core = sum(_core_cost(p) for p in members)
        site_wanted = sum(_wanted_value(p) for p in members)
        cap = site_core + int(site_wanted * rng.uniform(0.55, 0.7))
        budgets.append({"id": f"site-{site.lower()}", "cap": cap, "groups": site_groups})
    mobility_wanted = 0
    costs = {item.id: item.cost for item in CATALOGUE}
    for person in people:
        for benefit, preference in person["preferences"].items():
            if benefit in MOBILITY:
                units = preference["units"] if isinstance(preference, dict) else 1
                mobility_wanted += costs[benefit] * units
    budgets.append(
        {"id": "mobility", "cap": max(1, int(mobility_wanted * 0.5)), "benefits": list(MOBILITY)}
    )
    return budgets


def _group_overrides(rng: random.Random, group_ids: list[str]) -> list[dict[str, Any]]:
    overrides: list[dict[str, Any]] = []
    for group_id in group_ids:
        roll = rng.random()
        if roll < 0.12:
            overrides.append({"id": group_id, "equity_tolerance": 0.1, "equity_absolute": 5000})
        elif roll < 0.2:
            overrides.append({"id": group_id, "equity_tolerance": 0.25})
    return overrides
