"""The proven upper bound: the Lagrangian dual of the shared budgets and capacities.

Relaxing the rows that couple the peer groups (budgets, capacities) with multipliers y >= 0
leaves one independent problem per group: the most satisfaction under the group's own rules
(allowances, exclusive tiers, requirements, the equity band) minus the priced use of the
shared resources. For ANY y >= 0

    L(y) = sum over groups of that maximum + y . (what is available)

is an upper bound of the whole problem, so correctness never depends on how good y is.

y starts from the LP relaxation's duals (where L with the groups' LPs equals the LP bound,
its minimum) or from the greedy prices, which a few projected subgradient steps on the
groups' priced LPs improve (Polyak step toward the best known allocation). The final round
solves each group's priced problem as an integer MILP: its dual bound after a node limit
bounds that group's term and lies below its LP, since per-person integrality (a favourite
costing more than the allowance is not 0.7 of a benefit) now counts. From the LP's duals
the LP round also takes each group's band bound (`solver.band_bound`: whole units under
the equity band, a second valid bound of the same term) where it is lower: it needs no
MILP, so a group the clock cuts off in the first MILP round still counts with it.

Every round is one picklable task per group on the solve's executor. Work limits (steps,
nodes per group size) decide the bound; the deadline only cuts a round off, and then the
best complete round stands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from solver.backends import BackendName, run_model
from solver.band_bound import band_term
from solver.candidates import Compiled, GroupRule, Person
from solver.decompose import Line, Prices, peak_kib, set_start
from solver.executors import Executor, Stored, largest_first
from solver.model import Limits, ModelVars, ObjectiveSpec, build_model
from solver.person_bound import person_terms
from solver.state import AllocationState

# Subgradient steps on the groups' LPs from greedy prices. From the LP's duals none: the
# priced LPs are at their minimum there, and only the integer rounds can beat the LP bound.
SUBGRADIENT_STEPS = 6
# A group's MILP may process about this many persons x nodes: the same work for every group
# (a group of 60 gets 10 nodes, one of 600 or more its root node alone).
NODE_WORK = 600
# Rounds of the groups' priced MILPs (the last ones only when time is left: a round the clock
# cuts off is dropped). Each gives a bound; the steps between them use the integer points.
INTEGER_ROUNDS = 3
FIRST_STEP = 1.0  # the Polyak step's factor, halved whenever a round does not improve the bound
NO_LIMITS = Limits((), ())  # a group's priced problem: the shared rows are priced, not imposed

Use = tuple[dict[str, float], dict[str, float]]  # (spend by budget id, units by capacity)


@dataclass(frozen=True, slots=True)
class PricedTask:
    """One group's priced problem: its LP (`node_limit` None) or its node-limited MILP."""

    rule: GroupRule
    members: Stored[tuple[Person, ...]]
    prices: Prices  # every shared resource, priced (0 where free)
    backend: BackendName
    node_limit: int | None = None
    start: tuple[Line, ...] = ()  # the group's allocation: the MILP's first incumbent
    band: bool = False  # an LP task also takes the group's band bound where it is lower


@dataclass(frozen=True, slots=True)
class PricedTerm:
    group: str
    bound: float | None  # proven upper bound of the group's priced problem (None: unproven)
    use: Use  # what the best point found uses of the shared resources (LP: the subgradient)
    peak_kib: int = 0


def solve_priced(task: PricedTask) -> PricedTerm:
    """The group's priced problem, solved in a worker: its bound and resource use."""
    persons = task.members.get()
    spec = ObjectiveSpec(budget_prices=task.prices.budgets, capacity_prices=task.prices.capacities)
    relax = task.node_limit is None
    problem, variables = build_model(
        f"priced_{task.rule.id}", persons, (task.rule,), NO_LIMITS, spec, relax=relax
    )
    if not problem.variables():
        return PricedTerm(task.rule.id, 0.0, ({}, {}), peak_kib())
    if relax:
        result = run_model(problem, task.backend, mip=False)
        bound = result.objective if result.proven_optimal else None
        if task.band:
            bound = _with_band(bound, task, persons)
    else:
        start = AllocationState(persons, (task.rule,), NO_LIMITS)
        start.load(task.start)
        set_start(variables, start, persons)
        result = run_model(
            problem,
            task.backend,
            node_limit=task.node_limit,
            warm_start=True,
            primal_heuristics=False,
        )
        bound = result.bound
    use = _use(persons, task.prices, variables) if result.has_solution else ({}, {})
    return PricedTerm(task.rule.id, bound, use, peak_kib())


def _with_band(bound: float | None, task: PricedTask, persons: tuple[Person, ...]) -> float | None:
    """The smaller of the group's LP bound and its band bound (`solver.band_bound`: whole
    units kept), both valid for the same priced problem. Only LP rounds compute it: the
    first MILP round falls back on (and compares with) their terms."""
    budget_prices = task.prices.budgets
    places = dict(task.prices.capacities)
    prices = {
        candidate.benefit: (
            sum(
                price
                for scope, price in budget_prices
                if scope.covers(task.rule.id, candidate.benefit)
            ),
            places.get(candidate.benefit, 0.0),
        )
        for person in persons
        for candidate in person.candidates
    }
    band = band_term(task.rule, persons, prices)
    if band is None:
        return bound
    return band if bound is None else min(bound, band)


def _use(persons: tuple[Person, ...], prices: Prices, variables: ModelVars) -> Use:
    spend = {scope.id: 0.0 for scope, _ in prices.budgets}
    places = {benefit: 0.0 for benefit, _ in prices.capacities}
    for person in persons:
        for candidate in person.candidates:
            key = (person.id, candidate.benefit)
            units = float(variables.units[key].value() or 0.0)
            paid = 0.0
            if key in variables.contributions:
                paid = float(variables.contributions[key].value() or 0.0)
            for scope, _ in prices.budgets:
                if scope.covers(person.group, candidate.benefit):
                    spend[scope.id] += candidate.cost * units - paid
            if candidate.benefit in places:
                places[candidate.benefit] += units
    return spend, places


# --- the dual, round by round --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lagrangian:
    """One solve's Lagrangian dual: the problem, its groups on the executor, the deadline."""

    compiled: Compiled
    members: Mapping[str, Stored[tuple[Person, ...]]]  # every person, by group
    executor: Executor
    backend: BackendName
    deadline: float
    starts: Mapping[str, tuple[Line, ...]]  # each group's allocation (the MILPs' incumbents)


@dataclass(frozen=True, slots=True)
class Proven:
    bound: float | None  # the best complete round's L(y) (None: no round completed)
    kind: str  # which round proved it, in words
    cut_off: bool  # the deadline stopped a round: the best complete one stands
    peak_kib: int = 0


@dataclass(slots=True)
class _Search:
    """The rounds so far: the best L(y), its y and round, the step factor, workers' memory."""

    best: float | None = None
    at: Prices | None = None
    terms: list[PricedTerm] = field(default_factory=list)  # the best round's group terms
    kind: str = ""
    theta: float = FIRST_STEP
    peak_kib: int = 0

    def offer(
        self, value: float | None, prices: Prices, terms: list[PricedTerm], kind: str
    ) -> None:
        self.peak_kib = max([self.peak_kib, *(term.peak_kib for term in terms)])
        if value is not None and (self.best is None or value < self.best):
            self.best, self.at, self.terms, self.kind = value, prices, terms, kind
        else:
            self.theta /= 2

    def proven(self, *, cut_off: bool) -> Proven:
        return Proven(self.best, self.kind, cut_off, self.peak_kib)


def lagrangian_bound(
    dual: Lagrangian, start: Prices, target: float, *, steps: int, rounds: int = INTEGER_ROUNDS
) -> Proven:
    """min over the rounds of L(y) from `start`: the groups' priced LPs with `steps`
    subgradient steps (0 from the LP's duals: the LP round is at its minimum there and only
    gives each group's LP term), then `rounds` rounds of the groups' priced MILPs, a step
    between two (the incumbents' resource use as the subgradient).

    In the first MILP round a group the deadline cuts off keeps its LP term at the same y
    (still a valid bound: the clock costs tightness, never validity). `target` is the
    objective of a known allocation (at most the optimum): the Polyak steps aim there.
    """
    search = _Search()
    if not _lp_steps(dual, search, complete(dual.compiled, start), target, steps):
        return search.proven(cut_off=True)
    if search.at is None:
        return search.proven(cut_off=False)
    return _integer_rounds(dual, search, target, steps=steps, rounds=rounds)


def _lp_steps(dual: Lagrangian, search: _Search, prices: Prices, target: float, steps: int) -> bool:
    """The LP rounds from `prices`, a step between two; False: the deadline cut one off."""
    for step in range(steps + 1):
        # The band bound only where the LP round is the one round: from the LP's duals. From
        # greedy prices (large problems) the steps need every round fast, and move y anyway.
        found = _round(dual, prices, milp=False, band=steps == 0)
        if None in found:
            # Still a bound: a group the clock cut off counts with its persons alone.
            terms = _persons_alone_where_late(dual, prices, found)
            late = found.count(None)
            kind = (
                f"Lagrangian dual (per-group LPs, {late} of {len(found)} groups' persons "
                f"alone; {step} LP steps)"
            )
            search.offer(dual_value(dual.compiled, prices, terms), prices, terms, kind)
            return False
        terms = [term for term in found if term is not None]
        value = dual_value(dual.compiled, prices, terms)
        terms_kind = "per-group LPs and band bounds" if steps == 0 else "per-group LPs"
        kind = f"Lagrangian dual ({terms_kind}; {step} LP steps)"
        search.offer(value, prices, terms, kind)
        moved = _step(dual, prices, terms, value=value, target=target, theta=search.theta)
        if moved is None or step == steps:
            break
        prices = moved
    return True


def _persons_alone_where_late(
    dual: Lagrangian, prices: Prices, found: list[PricedTerm | None]
) -> list[PricedTerm]:
    """The round's terms, a group cut off replaced by its persons-alone term at the same
    prices (`solver.person_bound`: valid for any prices, computed here in microseconds)."""
    by_group = list(zip(sorted(dual.members), found, strict=True))
    late = frozenset(group for group, term in by_group if term is None)
    alone = person_terms(dual.compiled, prices.budgets, prices.capacities, late)
    return [
        term if term is not None else PricedTerm(group, alone[group], ({}, {}))
        for group, term in by_group
    ]


def _integer_rounds(
    dual: Lagrangian, search: _Search, target: float, *, steps: int, rounds: int
) -> Proven:
    """The MILP rounds from the best LP round's y, a step between two."""
    assert search.at is not None
    prices, fallback = search.at, search.terms
    for index in range(rounds):
        found = _round(dual, prices, milp=True, starts=dual.starts)
        late = found.count(None)
        if index > 0 and late:
            return search.proven(cut_off=True)
        # The LP terms are at these prices in the first round only.
        lps = fallback if index == 0 else [None] * len(found)
        tight = [_tighter(term, lp) for term, lp in zip(found, lps, strict=True)]
        terms = [term for term in tight if term is not None]
        if len(terms) < len(found):  # a MILP unproven (CBC stopped by its node limit)
            break
        value = dual_value(dual.compiled, prices, terms)
        search.offer(
            value, prices, terms, _integer_kind(steps, index, len(terms) - late, len(terms))
        )
        if index == 0:  # the first integer step starts afresh (its round took no step)
            search.theta = FIRST_STEP
        moved = _step(dual, prices, terms, value=value, target=target, theta=search.theta)
        if late or moved is None or index == rounds - 1:
            return search.proven(cut_off=late > 0)
        prices = moved
    return search.proven(cut_off=False)


def _tighter(milp: PricedTerm | None, lp: PricedTerm | None) -> PricedTerm | None:
    """The group's MILP term, unless cut off, unproven or (float noise) above its LP term
    at the same prices (None: neither proves a bound)."""
    if milp is None or milp.bound is None:
        return lp
    if lp is not None and lp.bound is not None and milp.bound > lp.bound:
        return lp
    return milp


def _integer_kind(steps: int, integer_steps: int, solved: int, groups: int) -> str:
    which = (
        "per-group MILPs"
        if solved == groups
        else f"per-group MILPs for {solved} of {groups} groups, LPs and band bounds for the rest"
    )
    return f"Lagrangian dual ({which}; {steps} LP and {integer_steps} integer steps)"


def priced_value(dual: Lagrangian, prices: Prices, *, milp: bool) -> float | None:
    """L(prices) from the groups' priced LPs or MILPs (None: unproven or cut off)."""
    prices = complete(dual.compiled, prices)
    found = _round(dual, prices, milp=milp, starts=dual.starts)
    terms = [term for term in found if term is not None]
    return dual_value(dual.compiled, prices, terms) if len(terms) == len(found) else None


def _step(
    dual: Lagrangian,
    prices: Prices,
    terms: list[PricedTerm],
    *,
    value: float | None,
    target: float,
    theta: float,
) -> Prices | None:
    if value is None:
        return None
    return subgradient_step(dual.compiled, prices, total_use(terms), value, target, theta)


def _round(
    dual: Lagrangian,
    prices: Prices,
    *,
    milp: bool,
    starts: Mapping[str, tuple[Line, ...]] | None = None,
    band: bool = False,
) -> list[PricedTerm | None]:
    """Every group's priced problem through the executor, in group order (None: cut off)."""
    rules = {rule.id: rule for rule in dual.compiled.groups}
    sizes = Counter(person.group for person in dual.compiled.persons)
    tasks = [
        PricedTask(
            rule=rules[group],
            members=members,
            prices=prices,
            backend=dual.backend,
            node_limit=node_limit(sizes[group]) if milp else None,
            start=(starts or {}).get(group, ()),
            band=band,
        )
        for group, members in sorted(dual.members.items())
    ]
    pairs = dual.compiled.group_pairs()
    work = [pairs.get(task.rule.id, 0) for task in tasks]
    return largest_first(dual.executor, solve_priced, tasks, dual.deadline, work)


def node_limit(persons: int) -> int:
    return max(1, NODE_WORK // max(1, persons))


def complete(compiled: Compiled, prices: Prices) -> Prices:
    """`prices` on every shared resource (0 where it had none), in the problem's order."""
    budgets = {scope.id: price for scope, price in prices.budgets}
    capacities = dict(prices.capacities)
    return Prices(
        budgets=tuple((scope, budgets.get(scope.id, 0.0)) for scope in compiled.budgets),
        capacities=tuple(
            (benefit, capacities.get(benefit, 0.0)) for benefit, _ in compiled.capacities
        ),
    )


def dual_value(compiled: Compiled, prices: Prices, terms: list[PricedTerm]) -> float | None:
    """L(y): the groups' terms (in group order) plus the prices' value; None if one is unproven."""
    total = 0.0
    for term in sorted(terms, key=lambda term: term.group):
        if term.bound is None:
            return None
        total += term.bound
    return total + prices.value(compiled)


def total_use(terms: list[PricedTerm]) -> Use:
    spend: dict[str, float] = {}
    places: dict[str, float] = {}
    for term in sorted(terms, key=lambda term: term.group):
        for key, amount in sorted(term.use[0].items()):
            spend[key] = spend.get(key, 0.0) + amount
        for key, amount in sorted(term.use[1].items()):
            places[key] = places.get(key, 0.0) + amount
    return spend, places


def subgradient_step(  # noqa: PLR0917 - the step's inputs, all of them used
    compiled: Compiled, prices: Prices, use: Use, value: float, target: float, theta: float
) -> Prices | None:
    """One projected subgradient step from `prices` (L(prices) = `value`, the groups using
    `use`), of Polyak length theta (value - target) / |g|^2, projected on y >= 0.

    Each resource is measured in its available amount (a budget in its cap, a capacity in
    its places), so money and places move alike. None: nothing to move (the subgradient
    vanishes or the bound already meets the target).
    """
    spend, places = use
    available_money = {scope.id: scope.cap - scope.core_use for scope in compiled.budgets}
    available_places = dict(compiled.capacities)
    # (scaled multiplier, scaled subgradient, scale) per resource, budgets first
    coordinates: list[tuple[float, float, float]] = []
    for scope, price in prices.budgets:
        scale = float(max(1, available_money[scope.id]))
        slack = available_money[scope.id] - spend.get(scope.id, 0.0)
        coordinates.append((price * scale, slack / scale, scale))
    for benefit, price in prices.capacities:
        scale = float(max(1, available_places[benefit]))
        slack = available_places[benefit] - places.get(benefit, 0.0)
        coordinates.append((price * scale, slack / scale, scale))
    norm = sum(slope * slope for _, slope, _ in coordinates)
    if norm <= 0.0 or value <= target:
        return None
    length = theta * (value - target) / norm
    moved = [max(0.0, y - length * slope) / scale for y, slope, scale in coordinates]
    count = len(prices.budgets)
    return Prices(
        budgets=tuple(
            (scope, price) for (scope, _), price in zip(prices.budgets, moved[:count], strict=True)
        ),
        capacities=tuple(
            (benefit, price)
            for (benefit, _), price in zip(prices.capacities, moved[count:], strict=True)
        ),
    )
