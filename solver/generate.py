"""Synthetic `flexben.problem/v1` organisations for trials, tests and benchmarks.

`generate(employees=N, seed=S)` returns a JSON-ready dict: grades x sites as peer groups, a
catalogue of 26 benefits (core benefits, exclusive tiers, capacity-limited perks, multi-unit
benefits, requirements), need weights, top-up limits, eligibility gaps, skewed popularity,
5% non-participants, budgets by group and by benefit and a total that binds somewhat.
Deterministic for a seed: only `random.Random(seed)` is used, and every collection is
iterated in a fixed order.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any

from solver.families import Mix, family
from solver.types import PROBLEM_FORMAT

GRADES = ("L1", "L2", "L3", "L4", "L5", "L6", "L7", "L8")
SITES = ("HQ", "NORTH", "SOUTH", "EAST", "WEST", "PORT", "LAB", "REMOTE", "PLANT", "ISLAND")
POINTS_PER_EMPLOYEE = 100
MAX_GROUPS = 400  # families with a group size may go beyond grades x sites


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
# Benefits limited by tenure (the `tenure_gap` knob): newer employees may not have them.
TENURE_LIMITED = frozenset({"SABBATICAL", "CAR-S", "CAR-M", "CAR-L", "COACHING", "TRAINING"})
# The `chains` knob: SPOUSE-HEALTH requires an optional HEALTH-PLUS, CHILD-HEALTH requires
# SPOUSE-HEALTH (a three-benefit chain where the first link is rarely wanted for itself).
CHAIN_ITEMS = (
    _Item("HEALTH-PLUS", 60000, 1.0),
    _Item("CHILD-HEALTH", 30000, 2.0, requires=("SPOUSE-HEALTH",)),
)


def catalogue(mix: Mix) -> tuple[_Item, ...]:
    if not mix.chains:
        return CATALOGUE
    items = tuple(
        dataclasses.replace(item, requires=("HEALTH-PLUS",), popularity=4.0)
        if item.id == "SPOUSE-HEALTH"
        else item
        for item in CATALOGUE
    )
    return items + CHAIN_ITEMS


def generate(
    *,
    employees: int,
    seed: int,
    groups: int | None = None,
    family_name: str = "default",
    mix: Mix | None = None,
) -> dict[str, Any]:
    """A synthetic organisation of `employees` people in `groups` peer groups (grade x site),
    of the named family (`solver.families`), or of `mix` when given."""
    if employees < 1:
        raise ValueError(f"employees: got {employees}, expected an integer >= 1")
    mix = mix if mix is not None else family(family_name)
    group_count = groups if groups is not None else _default_groups(employees, mix)
    most = len(GRADES) * len(SITES) if mix.group_size is None else MAX_GROUPS
    if not 1 <= group_count <= min(employees, most):
        raise ValueError(
            f"groups: got {group_count}, expected 1 <= groups <= "
            f"{min(employees, most)} for {employees} employees"
        )
    rng = random.Random(seed)
    items = catalogue(mix)
    group_ids = _group_ids(group_count)
    people = _employees(rng, employees, group_ids, items, mix)
    benefits = [_benefit_document(item, employees, mix) for item in items]
    return {
        "format": PROBLEM_FORMAT,
        "currency": "EUR",
        "points_per_employee": POINTS_PER_EMPLOYEE,
        "policy": {"objective": "utilitarian", "equity_tolerance": 0.15, "equity_absolute": 10000},
        "budgets": _budgets(rng, people, group_ids, items, mix),
        "peer_groups": _group_overrides(rng, group_ids),
        "benefits": benefits,
        "employees": people,
    }


def _default_groups(employees: int, mix: Mix) -> int:
    if mix.group_size is not None:
        return max(1, min(employees // mix.group_size, MAX_GROUPS))
    return max(1, min(employees // 5, 16 if employees < 5000 else 40))


def _group_ids(count: int) -> list[str]:
    """`count` grade x site combinations, as square as possible (grades vary fastest); beyond
    grades x sites, more numbered sites (eligible for no site-limited benefit)."""
    sites: tuple[str, ...] = SITES
    if count > len(GRADES) * len(SITES):
        extra = -(-count // len(GRADES)) - len(SITES)
        sites = SITES + tuple(f"SITE{index + 1:03d}" for index in range(extra))
    grade_count = min(len(GRADES), max(1, round(count**0.5)))
    while grade_count * len(sites) < count:
        grade_count += 1
    site_count = -(-count // grade_count)
    combos = [f"{site}-{grade}" for site in sites[:site_count] for grade in GRADES[:grade_count]]
    return combos[:count]


def _grade_index(group_id: str) -> int:
    return GRADES.index(group_id.rsplit("-", 1)[1])


def _site(group_id: str) -> str:
    return group_id.rsplit("-", 1)[0]


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights=weights)[0]


def _eligible(item: _Item, group_id: str, rng: random.Random, mix: Mix) -> bool:
    if _grade_index(group_id) < item.min_grade:
        return False
    if item.sites is not None and _site(group_id) not in item.sites:
        return False
    if item.core:
        return True
    # Individual gaps (tenure, contract type): a few people miss a few benefits. The tenure
    # knob draws only when set, so the default family's random stream is unchanged.
    if mix.tenure_gap > 0 and item.id in TENURE_LIMITED and rng.random() < mix.tenure_gap:
        return False
    return rng.random() >= mix.individual_gap


def _employees(
    rng: random.Random, count: int, group_ids: list[str], items: tuple[_Item, ...], mix: Mix
) -> list[dict[str, Any]]:
    # Lower grades are larger: skewed group sizes, every group used at least once.
    weights = [1.0 / (1 + 0.35 * _grade_index(g)) * rng.uniform(0.6, 1.4) for g in group_ids]
    assigned = list(group_ids) + rng.choices(group_ids, weights=weights, k=count - len(group_ids))
    rng.shuffle(assigned)
    return [
        _employee(rng, f"E{index + 1:05d}", group, items, mix)
        for index, group in enumerate(assigned)
    ]


def _employee(
    rng: random.Random, employee_id: str, group_id: str, items: tuple[_Item, ...], mix: Mix
) -> dict[str, Any]:
    grade = _grade_index(group_id)
    eligible = [item for item in items if _eligible(item, group_id, rng, mix)]
    document: dict[str, Any] = {
        "id": employee_id,
        "group": group_id,
        "allowance": 220000 + 60000 * grade,
        "need": _pick(rng, mix.need_weights),
        "top_up_limit": _pick(rng, mix.top_up_limits),
        "eligible": sorted(item.id for item in eligible),
        "preferences": {},
    }
    if rng.random() >= mix.non_participant_share:
        document["preferences"] = _preferences(rng, [i for i in eligible if not i.core], mix)
    if mix.no_allowance_share > 0 and rng.random() < mix.no_allowance_share:
        document["allowance"] = None
    return document


def _preferences(rng: random.Random, optional: list[_Item], mix: Mix) -> dict[str, Any]:
    wanted: list[_Item] = []
    pool = list(optional)
    for _ in range(min(len(pool), rng.randint(*mix.wishes))):
        if not pool:  # exclusive tiers removed the rest
            break
        choice = rng.choices(pool, weights=[i.popularity for i in pool])[0]
        pool.remove(choice)
        if choice.exclusive_group is not None:  # one tier of a group is what people ask for
            pool = [i for i in pool if i.exclusive_group != choice.exclusive_group]
        wanted.append(choice)
    points = _split_points(rng, len(wanted), mix.points_shape)
    preferences: dict[str, Any] = {}
    for item, share in sorted(zip(wanted, points, strict=True), key=lambda pair: pair[0].id):
        units = rng.randint(1, item.max_units) if item.max_units > 1 else 1
        preferences[item.id] = share if units == 1 else {"points": share, "units": units}
    return preferences


def _split_points(rng: random.Random, count: int, shape: float) -> list[int]:
    """`count` positive integers summing to at most POINTS_PER_EMPLOYEE, skewed to the first
    (a small Pareto `shape`: one favourite takes most)."""
    raw = [rng.paretovariate(shape) for _ in range(count)]
    total = sum(raw)
    points = [max(1, int(POINTS_PER_EMPLOYEE * value / total)) for value in raw]
    while sum(points) > POINTS_PER_EMPLOYEE:
        points[points.index(max(points))] -= 1
    return points


def _benefit_document(item: _Item, employees: int, mix: Mix) -> dict[str, Any]:
    document: dict[str, Any] = {"id": item.id, "cost": item.cost}
    if item.core:
        document["core"] = True
    if item.max_units > 1:
        document["max_units"] = item.max_units
    if item.capacity_share is not None:
        share = (
            item.capacity_share * mix.capacity_scale
            if mix.capacity_scale != 1
            else item.capacity_share
        )
        document["capacity"] = max(1, round(share * employees))
    if item.exclusive_group is not None:
        document["exclusive_group"] = item.exclusive_group
    if item.requires:
        document["requires"] = list(item.requires)
    return document


def _wanted_value(person: dict[str, Any], costs: dict[str, int]) -> int:
    value = 0
    for benefit, preference in person["preferences"].items():
        units = preference["units"] if isinstance(preference, dict) else 1
        value += costs[benefit] * units
    if person["allowance"] is None:
        return value
    return min(value, int(person["allowance"]))


def _core_cost(person: dict[str, Any], items: tuple[_Item, ...]) -> int:
    return sum(item.cost for item in items if item.core and item.id in person["eligible"])


def _budgets(
    rng: random.Random,
    people: list[dict[str, Any]],
    group_ids: list[str],
    items: tuple[_Item, ...],
    mix: Mix,
) -> list[dict[str, Any]]:
    costs = {item.id: item.cost for item in items}
    core = sum(_core_cost(person, items) for person in people)
    wanted = sum(_wanted_value(person, costs) for person in people)
    total = core + int(wanted * mix.total_budget_share)
    budgets: list[dict[str, Any]] = [{"id": "total", "cap": total}]
    sites = sorted({_site(g) for g in group_ids})
    for site in sites[:2]:  # two sites run their own budget
        members = [p for p in people if _site(p["group"]) == site]
        site_groups = sorted(g for g in group_ids if _site(g) == site)
        site_core = sum(_core_cost(p, items) for p in members)
        site_wanted = sum(_wanted_value(p, costs) for p in members)
        cap = site_core + int(site_wanted * rng.uniform(*mix.site_budget_share))
        budgets.append({"id": f"site-{site.lower()}", "cap": cap, "groups": site_groups})
    mobility_wanted = 0
    for person in people:
        for benefit, preference in person["preferences"].items():
            if benefit in MOBILITY:
                units = preference["units"] if isinstance(preference, dict) else 1
                mobility_wanted += costs[benefit] * units
    budgets.append(
        {
            "id": "mobility",
            "cap": max(1, int(mobility_wanted * mix.mobility_budget_share)),
            "benefits": list(MOBILITY),
        }
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
