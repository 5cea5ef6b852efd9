"""Tiny random problems (≤ 5 employees × 4 benefits, small costs) for exhaustive checks.

`tiny_doc(seed=..., family=...)` switches on one constraint family on top of a base problem
whose equity band is loose; `family="all"` switches everything on at once. `chain` is a
requirement chain under a tight band: a prerequisite given without its dependent would lift
the group's mean, which the rule forbids.
"""

from __future__ import annotations

import random
from typing import Any

from solver.candidates import Compiled
from solver.decompose import Prices

FAMILIES = (
    "plain",
    "allowance",
    "budget",
    "capacity",
    "exclusive",
    "requires",
    "chain",
    "equity_band",
    "top_up",
    "need",
    "core",
    "maxmin",
    "all",
)


def tiny_doc(*, seed: int, family: str, employees: int = 4) -> dict[str, Any]:
    rng = random.Random(f"{family}-{seed}")
    on = {family} if family != "all" else set(FAMILIES)
    names = ["A", "B", "C", "D"]
    benefits: list[dict[str, Any]] = []
    for index, name in enumerate(names):
        item: dict[str, Any] = {"id": name, "cost": rng.randint(1, 6)}
        if index == 3:
            item["max_units"] = rng.randint(2, 3)
        benefits.append(item)
    if "capacity" in on:
        benefits[rng.randrange(4)]["capacity"] = rng.randint(1, 2)
    if "exclusive" in on:
        benefits[0]["exclusive_group"] = "tier"
        benefits[1]["exclusive_group"] = "tier"
    if "requires" in on:
        benefits[2]["requires"] = ["B"] if "exclusive" not in on else ["A"]
    if "chain" in on:  # D requires C requires B (or A): prerequisites nobody may want
        benefits[2].setdefault("requires", ["B"])
        benefits[3]["requires"] = ["C"]
    if "core" in on:
        benefits.append({"id": "CORE", "cost": rng.randint(1, 4), "core": True})
    people = []
    for index in range(employees):
        wanted = rng.sample(names, rng.randint(1, 4))
        preferences: dict[str, Any] = {}
        for name in wanted:
            points = rng.choice([5, 10, 15, 25])
            units = rng.randint(1, benefits[3]["max_units"]) if name == "D" else 1
            preferences[name] = {"points": points, "units": units} if units > 1 else points
        person: dict[str, Any] = {
            "id": f"E{index}",
            "group": "G1" if index % 2 == 0 or employees < 3 else "G2",
            "preferences": preferences,
        }
        if "allowance" in on:
            person["allowance"] = rng.randint(2, 8)
        if "requires" in on or "chain" in on:
            person.setdefault("allowance", rng.randint(3, 9))
        if "top_up" in on:
            person["top_up_limit"] = rng.randint(0, 3)
            person.setdefault("allowance", rng.randint(2, 6))
        if "need" in on:
            person["need"] = rng.choice([0.5, 1, 1.5, 2])
        if index == employees - 1 and family in ("plain", "all"):
            person["eligible"] = [name for name in names if name != wanted[0]]
        people.append(person)
    if employees >= 4:
        people[-1]["preferences"] = {} if seed % 3 == 0 else people[-1]["preferences"]
    budgets: list[dict[str, Any]] = []
    if "maxmin" in on and "budget" not in on:
        budgets.append({"id": "total", "cap": rng.randint(9, 16)})
    if "budget" in on:
        budgets.append({"id": "all", "cap": rng.randint(6, 14) + (8 if "core" in on else 0)})
        budgets.append({"id": "ab", "cap": rng.randint(1, 5), "benefits": ["A", "B"]})
    if "core" in on and "budget" not in on:
        core_cost = benefits[-1]["cost"] * employees
        budgets.append({"id": "total", "cap": core_cost + rng.randint(4, 10)})
    tolerance: float = 5.0
    absolute = 0
    if "equity_band" in on or "top_up" in on or "need" in on or "chain" in on:
        tolerance = rng.choice([0, 0.1, 0.25, 0.5])
        absolute = rng.choice([0, 1, 2])
    return {
        "format": "flexben.problem/v1",
        "currency": "EUR",
        "points_per_employee": 100,
        "policy": {
            "objective": "maxmin" if "maxmin" in on else "utilitarian",
            "equity_tolerance": tolerance,
            "equity_absolute": absolute,
        },
        "budgets": budgets,
        "peer_groups": [],
        "benefits": benefits,
        "employees": people,
    }


def random_prices(compiled: Compiled, rng: random.Random) -> Prices:
    """Non-negative prices on a tiny problem's budgets and capacities: any of them must
    leave a Lagrangian bound above the optimum."""
    return Prices(
        budgets=tuple((scope, rng.choice([0.0, 0.001, 0.01, 0.2])) for scope in compiled.budgets),
        capacities=tuple((b, rng.choice([0.0, 0.05, 0.5])) for b, _ in compiled.capacities),
    )
