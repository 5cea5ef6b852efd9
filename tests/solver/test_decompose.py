"""Splitting by peer group: shares never exceed what is left, priced bounds are bounds."""

from __future__ import annotations

import pytest

from solver.bound import PricedTask, solve_priced
from solver.candidates import Compiled, compile_problem
from solver.decompose import (
    GroupTask,
    RelaxationTask,
    priced_usage,
    solve_group,
    solve_relaxation,
    split_shares,
)
from solver.engine import full_limits
from solver.executors import Stored
from solver.generate import generate
from solver.load import load_problem
from solver.model import ObjectiveSpec
from solver.state import AllocationState
from tests.solver import factories


def _compiled(*, employees: int, seed: int, groups: int) -> Compiled:
    return compile_problem(load_problem(generate(employees=employees, seed=seed, groups=groups)))


def test_shares_never_exceed_what_is_left_of_a_budget_or_capacity() -> None:
    compiled = _compiled(employees=120, seed=3, groups=6)
    usage, _ = priced_usage(compiled)
    shares = split_shares(compiled, usage)
    for scope in compiled.budgets:
        given = sum(
            {s.id: v for s, v in limits.budgets}.get(scope.id, 0) for limits in shares.values()
        )
        assert given <= scope.cap - scope.core_use
    for benefit, available in compiled.capacities:
        given = sum(dict(limits.capacities).get(benefit, 0) for limits in shares.values())
        assert 0 <= given <= available


def test_demand_above_supply_is_scaled_for_every_group() -> None:
    compiled = _compiled(employees=120, seed=3, groups=6)
    usage = {rule.id: ({"total": 1e12}, {}) for rule in compiled.groups}
    shares = split_shares(compiled, usage)
    totals = [{s.id: v for s, v in limits.budgets}["total"] for limits in shares.values()]
    assert min(totals) > 0 and max(totals) - min(totals) <= 1


def test_priced_group_relaxations_bound_the_lp_relaxation() -> None:
    compiled = _compiled(employees=80, seed=9, groups=4)
    _, prices = priced_usage(compiled)
    lagrangian = prices.value(compiled)
    for rule in compiled.groups:
        task = PricedTask(
            rule=rule,
            members=Stored(tuple(p for p in compiled.persons if p.group == rule.id)),
            prices=prices,
            backend="highs",
        )
        part = solve_priced(task).bound
        assert part is not None
        lagrangian += part
    relaxation = solve_relaxation(RelaxationTask(compiled, full_limits(compiled), "highs", 60))
    assert relaxation.objective is not None
    assert lagrangian >= relaxation.objective - 1e-6


@pytest.mark.parametrize("node_limit", [0, 1])
def test_a_group_task_returns_a_valid_allocation_within_its_shares(node_limit: int) -> None:
    compiled = _compiled(employees=40, seed=2, groups=2)
    usage, _ = priced_usage(compiled)
    shares = split_shares(compiled, usage)
    rule = compiled.groups[0]
    persons = tuple(p for p in compiled.persons if p.group == rule.id)
    result = solve_group(
        GroupTask(
            rule, Stored(persons), shares[rule.id], ObjectiveSpec(), "highs", node_limit, 1e-4
        )
    )
    state = AllocationState(persons, (rule,), shares[rule.id])
    state.load(result.lines)
    assert state.violations() == []
    assert state.objective() > 0


def test_the_greedy_breaks_ties_by_person_id() -> None:
    """Two equal wishes for the last place: the lower id takes it, whatever the order."""
    doc = factories.problem_doc(
        benefits=[factories.benefit("PARKING", cost=500, capacity=1)],
        employees=[
            factories.employee("B", group="FIRST", preferences={"PARKING": 10}),
            factories.employee("A", group="SECOND", preferences={"PARKING": 10}),
        ],
    )
    usage, prices = priced_usage(compile_problem(load_problem(doc)))
    assert (usage["FIRST"][1], usage["SECOND"][1]) == ({"PARKING": 0.0}, {"PARKING": 1.0})
    assert prices.capacities == (("PARKING", 1.0),)  # a whole satisfaction per place
