from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from solver.generate import generate
from solver.load import load_problem


def _benefits(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {benefit["id"]: benefit for benefit in doc["benefits"]}


def test_same_seed_same_document_and_another_seed_differs() -> None:
    assert generate(employees=120, seed=7) == generate(employees=120, seed=7)
    assert generate(employees=120, seed=7) != generate(employees=120, seed=8)


@pytest.mark.parametrize(("employees", "groups"), [(30, 4), (200, 16), (1000, 40)])
def test_documents_load_and_use_every_requested_group(employees: int, groups: int) -> None:
    doc = generate(employees=employees, seed=3, groups=groups)
    problem = load_problem(doc)
    assert len(problem.employees) == employees
    assert len({employee.group for employee in problem.employees}) == groups


def test_catalogue_has_every_feature_the_model_handles() -> None:
    benefits = _benefits(generate(employees=50, seed=1))
    assert 20 <= len(benefits) <= 30
    assert any(b.get("core") for b in benefits.values())
    assert any(b.get("max_units", 1) > 1 for b in benefits.values())
    assert any("capacity" in b for b in benefits.values())
    assert any(b.get("requires") for b in benefits.values())
    tiers = Counter(b["exclusive_group"] for b in benefits.values() if "exclusive_group" in b)
    assert tiers and min(tiers.values()) >= 2


def test_people_differ_in_need_top_up_eligibility_and_participation() -> None:
    doc = generate(employees=2000, seed=5)
    people = doc["employees"]
    everything = {b["id"] for b in doc["benefits"]}
    assert {p["need"] for p in people} >= {1.0, 1.25, 1.5}
    assert any(p["top_up_limit"] > 0 for p in people)
    assert any(set(p["eligible"]) != everything for p in people)
    non_participants = sum(1 for p in people if not p["preferences"])
    assert 0.03 <= non_participants / len(people) <= 0.07
    assert all(
        sum(v if isinstance(v, int) else v["points"] for v in p["preferences"].values()) <= 100
        for p in people
    )


def test_popularity_is_skewed() -> None:
    doc = generate(employees=1000, seed=2)
    wanted = Counter(b for p in doc["employees"] for b in p["preferences"])
    counts = sorted(wanted.values())
    assert counts[-1] >= 5 * counts[0]


def test_budgets_by_group_and_by_benefit_and_group_overrides() -> None:
    doc = generate(employees=400, seed=4, groups=16)
    budgets = doc["budgets"]
    assert budgets[0]["id"] == "total" and "groups" not in budgets[0]
    assert any("groups" in b for b in budgets)
    assert any("benefits" in b for b in budgets)
    assert doc["peer_groups"], "a few groups override the policy's tolerance"


def test_bad_sizes_are_rejected_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="employees"):
        generate(employees=0, seed=1)
    with pytest.raises(ValueError, match="groups"):
        generate(employees=10, seed=1, groups=11)
