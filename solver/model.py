"""PuLP models of the allocation problem: one function per constraint family.

`build_model` assembles the families for any subset of persons (the whole organisation, one
peer group, ...) with the shared resources it may use (`Limits`). Variables exist only for
pairs that can be non-zero (candidates); each banded group's mean is its own variable, so
the model grows linearly with the preference entries. Every constraint is named with its
family prefix. Expressions are built as `LpAffineExpression` from (variable, coefficient)
lists, never with Python `sum()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pulp import LpAffineExpression, LpConstraint, LpMaximize, LpProblem, LpVariable, const

from solver.candidates import BudgetScope, GroupRule, Person, by_group, satisfaction_weight
from solver.types import Objective

# Tie-break towards smaller employee contributions: total penalty per person <= this.
CONTRIBUTION_PENALTY = 1e-6


@dataclass(frozen=True, slots=True)
class Limits:
    """Shared resources available to the persons being modelled (core use already removed)."""

    budgets: tuple[tuple[BudgetScope, int], ...]  # scope -> employer cost available
    capacities: tuple[tuple[str, int], ...]  # benefit -> units available


@dataclass(slots=True)
class ModelVars:
    units: dict[tuple[str, str], LpVariable] = field(default_factory=dict)
    contributions: dict[tuple[str, str], LpVariable] = field(default_factory=dict)
    means: dict[str, LpVariable] = field(default_factory=dict)
    min_satisfaction: LpVariable | None = None
    # The rows the peer groups share: after an LP solve their duals price them (`pi`).
    budget_rows: list[tuple[BudgetScope, LpConstraint]] = field(default_factory=list)
    capacity_rows: list[tuple[str, LpConstraint]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ObjectiveSpec:
    kind: Objective = "utilitarian"
    # maxmin: "min" maximises the minimum; "total" maximises the total keeping `floor`.
    phase: str = "total"
    floor: float | None = None  # every participant's satisfaction >= floor
    # Lagrangian prices on shared resources (satisfaction per minor unit / per place), their
    # use subtracted from the objective: a priced relaxation bounds the problem from above.
    budget_prices: tuple[tuple[BudgetScope, float], ...] = ()
    capacity_prices: tuple[tuple[str, float], ...] = ()


def build_model(
    name: str,
    persons: Sequence[Person],
    groups: Sequence[GroupRule],
    limits: Limits,
    objective: ObjectiveSpec,
    *,
    relax: bool = False,
) -> tuple[LpProblem, ModelVars]:
    """The full model for `persons`; `relax` makes every variable continuous (LP bound)."""
    problem = LpProblem(name, LpMaximize)
    variables = add_variables(problem, persons, relax=relax)
    add_employee_contributions(problem, variables, persons)
    add_allowance(problem, variables, persons)
    add_budgets(problem, variables, persons, limits)
    add_capacity(problem, variables, persons, limits)
    add_exclusive_groups(problem, variables, persons)
    add_requires(problem, variables, persons)
    add_prerequisite_only(problem, variables, persons)
    add_equity_band(problem, variables, persons, groups)
    set_objective(problem, variables, persons, objective)
    return problem, variables


def add_variables(problem: LpProblem, persons: Sequence[Person], *, relax: bool) -> ModelVars:
    """u(e, b) per candidate; w(e, b) only for persons who may top up."""
    category = const.LpContinuous if relax else const.LpInteger
    variables = ModelVars()
    for person in persons:
        for candidate in person.candidates:
            key = (person.id, candidate.benefit)
            variables.units[key] = problem.add_variable(
                f"u_{person.id}_{candidate.benefit}", 0, candidate.max_units, category
            )
            if person.top_up_limit > 0:
                variables.contributions[key] = problem.add_variable(
                    f"w_{person.id}_{candidate.benefit}",
                    0,
                    min(person.top_up_limit, candidate.cost * candidate.max_units),
                    category,
                )
    return variables


def employer_value_terms(
    person: Person, variables: ModelVars, scale: float = 1.0
) -> list[tuple[LpVariable, float]]:
    """v(e) = sum over candidates of cost * u - w, times `scale`."""
    terms: list[tuple[LpVariable, float]] = []
    for candidate in person.candidates:
        key = (person.id, candidate.benefit)
        terms.append((variables.units[key], candidate.cost * scale))
        if key in variables.contributions:
            terms.append((variables.contributions[key], -scale))
    return terms


def add_employee_contributions(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person]
) -> None:
    """w(e, b) <= cost * u(e, b) and sum_b w(e, b) <= top-up limit."""
    for person in persons:
        if person.top_up_limit <= 0:
            continue
        total: list[tuple[LpVariable, float]] = []
        for candidate in person.candidates:
            key = (person.id, candidate.benefit)
            line = LpAffineExpression(
                [(variables.contributions[key], 1), (variables.units[key], -candidate.cost)]
            )
            problem.addConstraint(
                LpConstraint(line, const.LpConstraintLE, f"contribution_line_{key[0]}_{key[1]}", 0)
            )
            total.append((variables.contributions[key], 1))
        problem.addConstraint(
            LpConstraint(
                LpAffineExpression(total),
                const.LpConstraintLE,
                f"contribution_limit_{person.id}",
                person.top_up_limit,
            )
        )


def add_allowance(problem: LpProblem, variables: ModelVars, persons: Sequence[Person]) -> None:
    """Employer cost of optional benefits <= the person's allowance (when set)."""
    for person in persons:
        if person.allowance is None or not person.candidates:
            continue
        most = sum(c.cost * c.max_units for c in person.candidates)
        if most <= person.allowance:
            continue  # can never bind
        problem.addConstraint(
            LpConstraint(
                LpAffineExpression(employer_value_terms(person, variables)),
                const.LpConstraintLE,
                f"allowance_{person.id}",
                person.allowance,
            )
        )


def add_budgets(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person], limits: Limits
) -> None:
    """Employer cost inside each budget's scope <= what is available of its cap."""
    for index, (scope, available) in enumerate(limits.budgets):
        terms: list[tuple[LpVariable, float]] = []
        for person in persons:
            for candidate in person.candidates:
                if not scope.covers(person.group, candidate.benefit):
                    continue
                key = (person.id, candidate.benefit)
                terms.append((variables.units[key], candidate.cost))
                if key in variables.contributions:
                    terms.append((variables.contributions[key], -1))
        if terms:
            row = LpConstraint(
                LpAffineExpression(terms),
                const.LpConstraintLE,
                f"budget_{index}_{scope.id}",
                available,
            )
            problem.addConstraint(row)
            variables.budget_rows.append((scope, row))


def add_capacity(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person], limits: Limits
) -> None:
    """Units of a capacity-limited benefit <= the places available."""
    for benefit_id, available in limits.capacities:
        terms = [
            (variables.units[(person.id, benefit_id)], 1.0)
            for person in persons
            if (person.id, benefit_id) in variables.units
        ]
        if terms:
            row = LpConstraint(
                LpAffineExpression(terms), const.LpConstraintLE, f"capacity_{benefit_id}", available
            )
            problem.addConstraint(row)
            variables.capacity_rows.append((benefit_id, row))


def add_exclusive_groups(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person]
) -> None:
    """At most one benefit of an exclusive group per person."""
    for person in persons:
        by_group: dict[str, list[tuple[LpVariable, float]]] = {}
        for candidate in person.candidates:
            if candidate.exclusive_group is not None:
                by_group.setdefault(candidate.exclusive_group, []).append(
                    (variables.units[(person.id, candidate.benefit)], 1.0)
                )
        for group_id in sorted(by_group):
            if len(by_group[group_id]) >= 2:
                problem.addConstraint(
                    LpConstraint(
                        LpAffineExpression(by_group[group_id]),
                        const.LpConstraintLE,
                        f"exclusive_{person.id}_{group_id}",
                        1,
                    )
                )


def add_requires(problem: LpProblem, variables: ModelVars, persons: Sequence[Person]) -> None:
    """u(e, b) <= max_units(b) * u(e, r) for every optional benefit r that b requires."""
    for person in persons:
        for candidate in person.candidates:
            for required in candidate.requires:
                expression = LpAffineExpression(
                    [
                        (variables.units[(person.id, candidate.benefit)], 1.0),
                        (variables.units[(person.id, required)], -float(candidate.max_units)),
                    ]
                )
                problem.addConstraint(
                    LpConstraint(
                        expression,
                        const.LpConstraintLE,
                        f"requires_{person.id}_{candidate.benefit}_{required}",
                        0,
                    )
                )


def add_prerequisite_only(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person]
) -> None:
    """u(e, p) <= sum of u(e, d) over the candidates d that require p, for a p e gave no
    points to: a prerequisite nobody asked for is given only with a benefit that needs it
    (u(e, p) <= 1 already), never to lift a peer group's mean (DESIGN.md "Meaning")."""
    for person in persons:
        for candidate in person.candidates:
            if not candidate.prerequisite_only:
                continue
            terms = [(variables.units[(person.id, candidate.benefit)], 1.0)]
            terms.extend(
                (variables.units[(person.id, dependent)], -1.0)
                for dependent in candidate.required_by
            )
            problem.addConstraint(
                LpConstraint(
                    LpAffineExpression(terms),
                    const.LpConstraintLE,
                    f"prerequisite_{person.id}_{candidate.benefit}",
                    0,
                )
            )


def add_equity_band(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person], groups: Sequence[GroupRule]
) -> None:
    """v(e)/need(e) <= (1 + tolerance) * mean_g + absolute, the mean its own variable.

    `equity_mean_<g>`: |P(g)| * mean_g = sum over P(g) of v/need (each member listed once);
    `equity_band_<e>`: one row per participant of a banded group.
    """
    rules = {rule.id: rule for rule in groups}
    members = by_group(p for p in persons if p.participant and rules[p.group].banded)
    for group_id in sorted(members):
        rule = rules[group_id]
        mean = problem.add_variable(f"mean_{group_id}", 0, None, const.LpContinuous)
        variables.means[group_id] = mean
        definition: list[tuple[LpVariable, float]] = [(mean, -float(rule.participants))]
        for person in members[group_id]:
            definition.extend(employer_value_terms(person, variables, 1.0 / float(person.need)))
        problem.addConstraint(
            LpConstraint(
                LpAffineExpression(definition), const.LpConstraintEQ, f"equity_mean_{group_id}", 0
            )
        )
        factor = float(1 + rule.tolerance)
        for person in members[group_id]:
            if not person.candidates:
                continue  # v(e) = 0 always satisfies the band
            terms = employer_value_terms(person, variables, 1.0 / float(person.need))
            terms.append((mean, -factor))
            problem.addConstraint(
                LpConstraint(
                    LpAffineExpression(terms),
                    const.LpConstraintLE,
                    f"equity_band_{person.id}",
                    rule.absolute,
                )
            )


def satisfaction_terms(person: Person, variables: ModelVars) -> list[tuple[LpVariable, float]]:
    return [
        (variables.units[(person.id, c.benefit)], float(satisfaction_weight(person, c)))
        for c in person.candidates
        if c.points > 0
    ]


def set_objective(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person], spec: ObjectiveSpec
) -> None:
    """Utilitarian total (minus a tiny contribution penalty), or a maxmin phase."""
    total: list[tuple[LpVariable, float]] = []
    for person in persons:
        total.extend(satisfaction_terms(person, variables))
        if person.top_up_limit > 0:
            penalty = -CONTRIBUTION_PENALTY / person.top_up_limit
            total.extend(
                (variables.contributions[(person.id, c.benefit)], penalty)
                for c in person.candidates
            )
    if spec.kind == "maxmin":
        add_satisfaction_floor(problem, variables, persons, spec)
        if spec.phase == "min" and variables.min_satisfaction is not None:
            problem.setObjective(LpAffineExpression([(variables.min_satisfaction, 1.0)]))
            return
    if spec.budget_prices or spec.capacity_prices:
        total = _priced(total, variables, persons, spec)
    problem.setObjective(LpAffineExpression(total))


def _priced(
    terms: list[tuple[LpVariable, float]],
    variables: ModelVars,
    persons: Sequence[Person],
    spec: ObjectiveSpec,
) -> list[tuple[LpVariable, float]]:
    """`terms` minus the priced use of shared resources, one coefficient per variable."""
    coefficients: dict[str, float] = {}
    by_name: dict[str, LpVariable] = {}
    for variable, coefficient in terms:
        coefficients[variable.name] = coefficients.get(variable.name, 0.0) + coefficient
        by_name[variable.name] = variable

    def add(variable: LpVariable, coefficient: float) -> None:
        coefficients[variable.name] = coefficients.get(variable.name, 0.0) + coefficient
        by_name[variable.name] = variable

    capacity_prices = dict(spec.capacity_prices)
    for person in persons:
        for candidate in person.candidates:
            key = (person.id, candidate.benefit)
            for scope, price in spec.budget_prices:
                if scope.covers(person.group, candidate.benefit):
                    add(variables.units[key], -price * candidate.cost)
                    if key in variables.contributions:
                        add(variables.contributions[key], price)
            if candidate.benefit in capacity_prices:
                add(variables.units[key], -capacity_prices[candidate.benefit])
    return [(by_name[name], coefficients[name]) for name in sorted(coefficients)]


def add_satisfaction_floor(
    problem: LpProblem, variables: ModelVars, persons: Sequence[Person], spec: ObjectiveSpec
) -> None:
    """maxmin: z <= s(e) for every participant (phase "min"), or s(e) >= floor (phase "total")."""
    participants = [p for p in persons if p.participant]
    if not participants:
        return
    floor_var: LpVariable | None = None
    if spec.phase == "min":
        floor_var = problem.add_variable("maxmin_min", 0, 1, const.LpContinuous)
        variables.min_satisfaction = floor_var
    for person in participants:
        terms = satisfaction_terms(person, variables)
        if floor_var is not None:
            terms.append((floor_var, -1.0))
            rhs = 0.0
        elif spec.floor is not None:
            rhs = spec.floor
        else:
            continue
        problem.addConstraint(
            LpConstraint(
                LpAffineExpression(terms), const.LpConstraintGE, f"maxmin_floor_{person.id}", rhs
            )
        )
