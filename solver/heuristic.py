"""Construction heuristics: a valid allocation, fast, for any set of persons and resources.

1. `level_allocation`: the band caps each participant's v/need near the group mean, and a
   greedy "best under the cap" gets stuck low (people below the cap pull the mean down).
   So the whole group rises together: for a common level L every participant takes the best
   bundle whose employer value fits L * need (paying the excess from their top-up limit when
   they can), and L is searched (bisection on validity, keeping the best valid level).
   At a level, the shared money and places go to the most satisfaction per cost first,
   whoever asks. Where whole units cannot sit near the cap (one expensive favourite), a
   reward for value makes participants with listed bundles (`solver.bundles`) fill their
   room with what they also want, lifting the mean (`_rewarded_levels`).
2. `fill`: greedy fill by satisfaction per cost, one unit at a time through the exact
   `AllocationState.try_add_with_prerequisites` (a wish with its missing prerequisites, all
   or nothing; raising a mean lifts its cap, so passes repeat).
A prerequisite nobody asked for is only ever given together with the wish that requires it.
3. `fill_lowest_first`: for maxmin, the least satisfied participant is served first.
Every result is checked exactly; the empty allocation (always valid) is the last resort.
"""

from __future__ import annotations

import functools
import heapq
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from solver.bundles import Bundle, bundle_options
from solver.candidates import (
    BudgetScope,
    Candidate,
    GroupRule,
    Person,
    by_group,
    satisfaction_weight,
)
from solver.model import Limits
from solver.state import AllocationState, missing_prerequisites

LEVEL_STEPS = 24  # bisection steps on the common level (at most)
LEVEL_PRECISION = 2000  # stop once the level is known to 1/2000 of its range
# A group of at least LEVEL_SAMPLE_GROUPS x LEVEL_SAMPLE persons searches its level on a
# sample of about LEVEL_SAMPLE (a statistical sample size: the band compares the highest
# ratio with the mean, both estimated well by a few hundred evenly spread persons).
LEVEL_SAMPLE = 400
LEVEL_SAMPLE_GROUPS = 3
FILL_PASSES = 6
# A participant whose whole-unit bundles are listed (`solver.bundles`) takes, at a level,
# the bundle that best trades satisfaction against value lifting the group's mean
# (`_rewarded_levels`): over VALUE_LEVELS levels, with REWARD_STEPS bisection steps each.
VALUE_LEVELS = 16
REWARD_STEPS = 5
# The reward is for v / (level need), at most 1: a reward this large (satisfaction is at
# most 1) makes value decide, so a band that fails with it fails with any.
MOST_REWARD = 16.0

Line = tuple[str, str, int, int]  # person, benefit, units, contribution


def construct(
    persons: Sequence[Person],
    groups: Sequence[GroupRule],
    limits: Limits,
    *,
    maxmin: bool = False,
    thorough: bool = True,
) -> AllocationState:
    """A valid allocation of `persons` within `limits`: levels per group, then greedy fill.

    `thorough`: the level search also tries rewarded levels and grants short resources by
    satisfaction per cost (`level_allocation`): better allocations for several times the
    plain search's work."""
    state = AllocationState(persons, groups, limits)
    budget_left = dict(state.budget_left)
    capacity_left = dict(state.capacity_left)
    members = by_group(persons)
    rules = {rule.id: rule for rule in groups}
    lines: list[Line] = []
    for group_id in sorted(members):
        chosen = level_allocation(
            members[group_id],
            rules[group_id],
            state.budget_scopes,
            budget_left,
            capacity_left,
            thorough=thorough,
        )
        lines.extend(chosen)
    state.load(lines)
    if state.violations():  # cannot happen by construction; never hand out an invalid start
        state = AllocationState(persons, groups, limits)
    if maxmin:
        fill_lowest_first(state)
    fill(state)
    return state


@dataclass(slots=True)
class _Resources:
    """The budgets and capacities one group may still use, with each benefit's covering
    budgets resolved once for the group (the level search asks thousands of times)."""

    group: str
    scopes: tuple[BudgetScope, ...]
    budget_left: dict[str, int]
    capacity_left: dict[str, int]
    covering: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def budgets_of(self, benefit: str) -> tuple[str, ...]:
        found = self.covering.get(benefit)
        if found is None:
            found = tuple(s.id for s in self.scopes if s.covers(self.group, benefit))
            self.covering[benefit] = found
        return found

    def take(self, candidate: Candidate, units: int) -> bool:
        """Reserve `units` at full cost (top-ups only ever lower the real use)."""
        benefit = candidate.benefit
        places = self.capacity_left.get(benefit)
        if places is not None and places < units:
            return False
        spend = candidate.cost * units
        covering = self.budgets_of(benefit)
        budget_left = self.budget_left
        for b in covering:
            if budget_left[b] < spend:
                return False
        for b in covering:
            budget_left[b] -= spend
        if places is not None:
            self.capacity_left[benefit] = places - units
        return True

    def take_all(self, package: Sequence[Candidate]) -> bool:
        """Reserve one unit of every candidate of `package`, or nothing."""
        if len(package) == 1:
            return self.take(package[0], 1)
        return self.take_units([(candidate, 1) for candidate in package])

    def take_units(self, package: Sequence[tuple[Candidate, int]]) -> bool:
        """Reserve `units` of every candidate of `package` at full cost, or nothing."""
        money: dict[str, int] = {}
        places: dict[str, int] = {}
        for candidate, units in package:
            if candidate.benefit in self.capacity_left:
                places[candidate.benefit] = places.get(candidate.benefit, 0) + units
            for b in self.budgets_of(candidate.benefit):
                money[b] = money.get(b, 0) + candidate.cost * units
        if any(self.capacity_left[b] < n for b, n in places.items()):
            return False
        if any(self.budget_left[b] < spend for b, spend in money.items()):
            return False
        for b, n in places.items():
            self.capacity_left[b] -= n
        for b, spend in money.items():
            self.budget_left[b] -= spend
        return True

    def copy(self) -> _Resources:
        return _Resources(
            self.group,
            self.scopes,
            dict(self.budget_left),
            dict(self.capacity_left),
            self.covering,
        )


class _ExactEfficiency:
    """A sort key's tie-breaker: the exact satisfaction per cost as a ratio of integers,
    compared (by cross-multiplying) only when two floats are equal."""

    __slots__ = ("denominator", "numerator")

    def __init__(self, person: Person, candidate: Candidate) -> None:
        if candidate.points == 0 or person.total_points == 0:
            self.numerator, self.denominator = 0, 1
            return
        self.numerator = candidate.points * (1 if candidate.cost > 0 else 10**12)
        self.denominator = candidate.wanted_units * person.total_points * max(1, candidate.cost)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _ExactEfficiency):
            return NotImplemented
        return self.numerator * other.denominator == other.numerator * self.denominator

    def __lt__(self, other: _ExactEfficiency) -> bool:  # best first
        return self.numerator * other.denominator > other.numerator * self.denominator

    __hash__ = None  # type: ignore[assignment]


def _weight(person: Person, candidate: Candidate) -> float:
    """`satisfaction_weight` in floating point (sort keys and scores, never validity)."""
    if candidate.points == 0 or person.total_points == 0:
        return 0.0
    return candidate.points / (candidate.wanted_units * person.total_points)


def efficiency_key(person: Person, candidate: Candidate) -> tuple[float, _ExactEfficiency]:
    """Best satisfaction per cost first: a float, exact where floats tie."""
    weight = _weight(person, candidate)
    efficiency = weight / candidate.cost if candidate.cost > 0 else weight * 1e12
    return -efficiency, _ExactEfficiency(person, candidate)


@functools.lru_cache(maxsize=65536)
def wanted_by_efficiency(person: Person) -> tuple[Candidate, ...]:
    """The person's wanted candidates, best satisfaction per cost first (ties by id)."""
    return tuple(
        sorted(
            (c for c in person.candidates if c.points > 0),
            key=lambda c: (*efficiency_key(person, c), c.benefit),
        )
    )


def greedy_bundle(
    person: Person,
    cost_limit: int,
    resources: _Resources | None,
    wanted: Sequence[Candidate] | None = None,
    held: dict[str, int] | None = None,
) -> dict[str, int]:
    """The units a person takes within `cost_limit`: best satisfaction per cost first
    (`wanted`: the person's `wanted_by_efficiency`, when the caller has it), on top of
    `held` (already reserved; such benefits get no more units). `resources` None: money
    and places are no object."""
    units: dict[str, int] = dict(held or {})  # only benefits with at least one unit
    spent = 0
    taken_groups: set[str] = set()
    if units:
        chosen = [(c, units[c.benefit]) for c in person.candidates if c.benefit in units]
        spent = sum(c.cost * n for c, n in chosen)
        taken_groups = {c.exclusive_group for c, _ in chosen if c.exclusive_group is not None}
    for candidate in wanted_by_efficiency(person) if wanted is None else wanted:
        if candidate.benefit in units:
            continue
        # A prerequisite comes only with the wish that needs it (transitively).
        if candidate.requires:
            package = [candidate, *missing_prerequisites(person, candidate, units)]
            package_cost = sum(c.cost for c in package)
        else:
            package, package_cost = [candidate], candidate.cost
        if spent + package_cost > cost_limit or not _exclusive_fits(package, taken_groups):
            continue
        if resources is not None and not resources.take_all(package):
            continue
        for c in package:
            units[c.benefit] = units.get(c.benefit, 0) + 1
            if c.exclusive_group is not None:
                taken_groups.add(c.exclusive_group)
        spent += package_cost
        more = min(candidate.max_units, candidate.wanted_units) - units[candidate.benefit]
        while (
            more > 0
            and spent + candidate.cost <= cost_limit
            and (resources is None or resources.take(candidate, 1))
        ):
            units[candidate.benefit] += 1
            spent += candidate.cost
            more -= 1
    return units


def _exclusive_fits(package: Sequence[Candidate], taken: set[str]) -> bool:
    needed = [c.exclusive_group for c in package if c.exclusive_group is not None]
    return not needed or (len(set(needed)) == len(needed) and taken.isdisjoint(needed))


@dataclass(slots=True)
class _Level:
    """One level's allocation of a group: lines, resources left, per-person employer value
    and the total satisfaction (a float: it only ranks levels, never decides validity)."""

    lines: list[Line]
    resources: _Resources
    values: dict[str, int]
    score: float
    level: int | None = None


def level_allocation(
    persons: Sequence[Person],
    rule: GroupRule,
    scopes: tuple[BudgetScope, ...],
    budget_left: dict[str, int],
    capacity_left: dict[str, int],
    *,
    thorough: bool = True,
) -> list[Line]:
    """Lines for one group at the best valid common level; consumes the resources used.

    A large group's level is searched on an evenly spread sample of it first (with its
    share of the resources), then tried on the whole group: one pass over everyone
    instead of one per bisection step. Only if the band fails there does the whole group
    search below that level."""
    resources = _Resources(rule.id, scopes, budget_left, capacity_left)
    order = [
        (person, wanted_by_efficiency(person))
        for person in sorted(persons, key=lambda p: (-_scarce_weight(p, capacity_left), p.id))
    ]
    if not rule.banded:
        chosen = _at_level(order, None, resources.copy())
        _commit(resources, chosen.resources)
        return chosen.lines
    band = _Band(rule, [p for p in persons if p.participant])
    high = max((_most_value(p) for p in band.participants), default=0) + 1
    if len(order) >= LEVEL_SAMPLE_GROUPS * LEVEL_SAMPLE:
        sampled = _sampled_level(order, rule, resources, high, thorough=thorough)
        if sampled is not None:
            trial = _at_level(order, sampled, resources.copy())
            if band.holds(trial.values):
                _commit(resources, trial.resources)
                return trial.lines
            high = sampled  # the whole group's level is lower than its sample's
    best = _best_level(order, band, resources, high, thorough=thorough)
    if thorough:
        score = 0.0 if best is None else best.score
        rewarded = _rewarded_levels(order, band, resources, score)
        if rewarded is not None:
            best = rewarded
    if best is None:
        trial = _at_level(order, 0, resources.copy())
        best = trial if band.holds(trial.values) else _Level([], resources.copy(), {}, 0.0)
    _commit(resources, best.resources)
    return best.lines


def _best_level(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    band: _Band,
    resources: _Resources,
    high: int,
    *,
    thorough: bool,
) -> _Level | None:
    """The valid common level below `high` with the best score, persons served in order;
    `thorough`, where the shared resources fall short at that level, again with them granted
    by satisfaction per cost (`_granted`), the better of the two."""
    best = _bisected(order, band, resources, high, by_person=True)
    if not thorough or best is None or best.level is None:
        return best
    if _short(order, best.level, resources):  # then who gets the resources matters
        # Granting by satisfaction per cost only leaves more room: search above that level.
        granted = _bisected(order, band, resources, high, by_person=False, low=best.level)
        if granted is not None and granted.score > best.score:
            best = granted
    return best


def _bisected(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    band: _Band,
    resources: _Resources,
    high: int,
    *,
    by_person: bool,
    low: int = 0,
) -> _Level | None:
    """Bisection on the level between `low` (known valid: its allocation is a candidate
    too) and `high`: the valid level with the best score. (Regula falsi on the band's
    margin took fewer passes but, validity not being monotone in the level, settled on
    worse levels: 10,000 employees' heuristics 2.9% below bisection's.)"""
    precision = max(1, high // LEVEL_PRECISION)
    best: _Level | None = None
    if low > 0:
        trial = _at_level(order, low, resources.copy(), by_person=by_person)
        best = trial if band.holds(trial.values) else None
    for _ in range(LEVEL_STEPS):
        if high - low <= precision:
            break
        level = (low + high) // 2
        trial = _at_level(order, level, resources.copy(), by_person=by_person)
        if band.holds(trial.values):
            low = level
            if best is None or trial.score > best.score:
                best = trial
        else:
            high = level
    return best


def _short(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]], level: int, resources: _Resources
) -> bool:
    """The shared resources cannot give everyone what they wish at `level`."""
    _, wishes = _wishes(order, level)
    package = [(c, n) for person, _ in order for c, n in _units(person, wishes[person.id])]
    return not resources.copy().take_units(package)


def _units(person: Person, units: dict[str, int]) -> list[tuple[Candidate, int]]:
    return [(c, units[c.benefit]) for c in person.candidates if c.benefit in units]


def _rewarded_levels(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    band: _Band,
    resources: _Resources,
    to_beat: float,
) -> _Level | None:
    """The best valid allocation scoring above `to_beat` where, at a level L, each participant
    takes the bundle with the most satisfaction + reward * v / (need L) (v their employer
    value, at most L need); None if there is none.

    The band needs the participants' mean close to the highest ratio: at a high level a
    few reach it and the rest pull the mean down. A reward for value makes everyone fill
    their room with what they also want (the Lagrangian of the band's mean, as in
    `solver.band_bound`); the smallest reward that makes the band hold is found by
    bisection. Levels: the VALUE_LEVELS ratios most bundles land on exactly (where many
    participants can sit at the cap)."""
    if len(order) > LEVEL_SAMPLE:
        return None  # the sampled search of large groups stays as it is (work)
    participants = [person for person, _ in order if person.participant]
    listed = sum(1 for person in participants if bundle_options(person) is not None)
    if 2 * listed < len(participants):
        return None  # the reward acts through listed participants: too few to lift the mean
    levels = _bundle_levels(order)
    # The most promising levels first; none can score above what fits it, band ignored.
    hopes = {level: _most_satisfaction(order, level) for level in levels}
    best: _Level | None = None
    for level in sorted(levels, key=lambda level: (-hopes[level], level)):
        if hopes[level] <= (to_beat if best is None else best.score):
            break
        found = _rewarded_level(order, band, resources, level)
        if found is not None and found.score > (to_beat if best is None else best.score):
            best = found
    return best


def _most_satisfaction(order: Sequence[tuple[Person, tuple[Candidate, ...]]], level: int) -> float:
    """At most the score of any allocation at `level`: each listed participant's best bundle
    that fits it, everyone else all they asked for (band, budgets and capacities ignored)."""
    total = 0.0
    for person, wanted in order:
        bundles = bundle_options(person) if person.participant else None
        if bundles is None:
            total += sum(_weight(person, c) * c.wanted_units for c in wanted)
            continue
        limit = level * person.need.numerator // person.need.denominator
        if person.allowance is not None:
            limit = min(limit, person.allowance)
        room = limit + person.top_up_limit
        total += max((b.satisfaction for b in bundles if b.cost <= room), default=0.0)
    return total


def _bundle_levels(order: Sequence[tuple[Person, tuple[Candidate, ...]]]) -> list[int]:
    counts: dict[int, int] = {}
    for person, _ in order:
        options = bundle_options(person) if person.participant else None
        for bundle in options or ():
            if bundle.cost > 0 and (person.allowance is None or bundle.cost <= person.allowance):
                ratio = bundle.cost * person.need.denominator // person.need.numerator
                counts[ratio] = counts.get(ratio, 0) + 1
    ranked = sorted(counts, key=lambda ratio: (-counts[ratio], ratio))
    return sorted(ranked[:VALUE_LEVELS], reverse=True)


def _rewarded_level(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    band: _Band,
    resources: _Resources,
    level: int,
) -> _Level | None:
    """At `level`, the smallest reward up to MOST_REWARD (bisection) that makes the band
    hold, and its allocation (None: none holds)."""
    plain = _wishes(order, level)
    trial = _at_level(order, level, resources.copy(), reward=0.0, plain=plain)
    if band.holds(trial.values):
        return trial
    high = MOST_REWARD
    trial = _at_level(order, level, resources.copy(), reward=high, plain=plain)
    if not band.holds(trial.values):
        return None
    found, low = trial, 0.0
    for _ in range(REWARD_STEPS):
        middle = (low + high) / 2
        trial = _at_level(order, level, resources.copy(), reward=middle, plain=plain)
        if band.holds(trial.values):
            found, high = trial, middle
        else:
            low = middle
    return found


def _rewarded_bundle(
    person: Person, bundles: tuple[Bundle, ...], value_limit: int, reward: float
) -> Bundle | None:
    """The bundle with the most satisfaction + reward * v / value_limit that fits."""
    room = value_limit + person.top_up_limit
    best: Bundle | None = None
    best_score = 0.0
    for bundle in bundles:  # cheapest first: ties keep the cheaper bundle
        if bundle.cost > room:
            break
        score = bundle.satisfaction + reward * min(bundle.cost, value_limit) / value_limit
        if score > best_score:
            best, best_score = bundle, score
    return best


def _sampled_level(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    rule: GroupRule,
    resources: _Resources,
    high: int,
    *,
    thorough: bool,
) -> int | None:
    """The best level of every k-th person of `order` (about LEVEL_SAMPLE of them) given
    the same share of the group's budgets and capacities."""
    step = math.ceil(len(order) / LEVEL_SAMPLE)
    sample = order[::step]
    participants = [person for person, _ in sample if person.participant]
    if len(participants) < 2:
        return None
    scale = (len(sample), len(order))
    share = _Resources(
        resources.group,
        resources.scopes,
        {b: left * scale[0] // scale[1] for b, left in resources.budget_left.items()},
        {b: left * scale[0] // scale[1] for b, left in resources.capacity_left.items()},
        resources.covering,
    )
    sample_band = _Band(replace(rule, participants=len(participants)), participants)
    best = _best_level(sample, sample_band, share, high, thorough=thorough)
    return None if best is None else best.level


class _Band:
    """A group's equity band, checked in floating point with an exact check near the edge."""

    RELATIVE_EDGE = 1e-9  # floats this close to the cap are decided exactly

    def __init__(self, rule: GroupRule, participants: list[Person]) -> None:
        self.rule = rule
        self.participants = participants
        self.needs = [(p.id, float(p.need)) for p in participants]

    def holds(self, values: dict[str, int]) -> bool:
        if not self.participants:
            return True
        cap, highest = self._cap_and_highest(values)
        if abs(highest - cap) > self.RELATIVE_EDGE * max(1.0, abs(cap)):
            return highest < cap
        return self._holds_exactly(values)

    def _cap_and_highest(self, values: dict[str, int]) -> tuple[float, float]:
        ratios = [values.get(pid, 0) / need for pid, need in self.needs]
        mean = sum(ratios) / self.rule.participants
        return float(1 + self.rule.tolerance) * mean + self.rule.absolute, max(ratios)

    def _holds_exactly(self, values: dict[str, int]) -> bool:
        ratios = [Fraction(values.get(p.id, 0)) / p.need for p in self.participants]
        mean = sum(ratios, Fraction(0)) / self.rule.participants
        return max(ratios) <= (1 + self.rule.tolerance) * mean + self.rule.absolute


def _commit(target: _Resources, used: _Resources) -> None:
    target.budget_left.update(used.budget_left)
    target.capacity_left.update(used.capacity_left)


def _scarce_weight(person: Person, capacity_left: dict[str, int]) -> Fraction:
    return max(
        (satisfaction_weight(person, c) for c in person.candidates if c.benefit in capacity_left),
        default=Fraction(0),
    )


def _most_value(person: Person) -> int:
    """The largest v(e)/need(e) the person could ever reach."""
    total = sum(c.cost * c.max_units for c in person.candidates)
    if person.allowance is not None:
        total = min(total, person.allowance)
    return math.ceil(Fraction(total) / person.need)


def _at_level(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    level: int | None,
    resources: _Resources,
    *,
    reward: float | None = None,
    plain: _Wishes | None = None,
    by_person: bool = False,
) -> _Level:
    """Every person of `order` (with their wanted candidates) takes the best bundle whose
    employer value fits `level * need` (participants) and their allowance: greedily by
    satisfaction per cost, or (`reward` given, a listed participant) the listed bundle with
    the most satisfaction + reward * v / (level need).

    The shared money and places go to the most satisfaction per cost first, whoever asks
    (`_granted`): handed out person by person, the first persons' least efficient units
    would take what later persons' best ones need. Then each person tops their bundle up
    with what is still left, in `order`. `plain`: `_wishes` at this level, when known.
    `by_person`: each person in `order` takes their greedy bundle from what is left (a
    quarter of the work: the level search ranks levels so, `_best_level` then grants)."""
    if by_person:
        limits = {person.id: _level_limit(person, level) for person, _ in order}
        wishes: dict[str, dict[str, int]] = {}
        granted: dict[str, dict[str, int]] = {}
    else:
        limits, wishes = plain if plain is not None else _wishes(order, level)
        if reward is not None:
            wishes = dict(wishes)
            for person, _ in order:
                units = _rewarded_units(person, limits[person.id], reward)
                if units is not None:
                    wishes[person.id] = units
        granted = _granted(order, wishes, resources)
    lines: list[Line] = []
    values: dict[str, int] = {}
    score = 0.0
    for person, wanted in order:
        value_limit = limits[person.id]
        held = granted.get(person.id, {})
        if by_person or held != wishes[person.id]:
            held = greedy_bundle(
                person, _cost_limit(person, value_limit), resources, wanted, held=held
            )
        if not held:
            continue
        chosen = [(c, held[c.benefit]) for c in person.candidates if c.benefit in held]
        cost = sum(c.cost * u for c, u in chosen)
        top_up = 0 if value_limit is None else max(0, cost - value_limit)
        values[person.id] = cost - top_up
        for candidate, count in chosen:  # candidates are sorted by benefit id
            paid = min(top_up, candidate.cost * count)
            top_up -= paid
            lines.append((person.id, candidate.benefit, count, paid))
            score += _weight(person, candidate) * min(count, candidate.wanted_units)
    return _Level(lines, resources, values, score, level)


_Wishes = tuple[dict[str, int | None], dict[str, dict[str, int]]]  # value limits, units


def _wishes(order: Sequence[tuple[Person, tuple[Candidate, ...]]], level: int | None) -> _Wishes:
    """Each person's value limit at `level` and the greedy bundle they would take within it
    if money and places were no object."""
    limits: dict[str, int | None] = {}
    wishes: dict[str, dict[str, int]] = {}
    for person, wanted in order:
        value_limit = _level_limit(person, level)
        limits[person.id] = value_limit
        wishes[person.id] = greedy_bundle(person, _cost_limit(person, value_limit), None, wanted)
    return limits, wishes


def _level_limit(person: Person, level: int | None) -> int | None:
    """The employer value a person may hold at `level` (participants) and their allowance."""
    value_limit: int | None = None
    if level is not None and person.participant:
        value_limit = level * person.need.numerator // person.need.denominator
    if person.allowance is not None:
        value_limit = (
            person.allowance if value_limit is None else min(value_limit, person.allowance)
        )
    return value_limit


def _cost_limit(person: Person, value_limit: int | None) -> int:
    return 10**15 if value_limit is None else value_limit + person.top_up_limit


def _granted(
    order: Sequence[tuple[Person, tuple[Candidate, ...]]],
    wishes: dict[str, dict[str, int]],
    resources: _Resources,
) -> dict[str, dict[str, int]]:
    """The wished units `resources` can give, most satisfaction per cost first: each unit
    with the prerequisites it needs as one package, given only once those it requires from
    the person's other packages are given (ties: person, then the person's own order)."""
    packages: list[tuple[float, str, int, tuple[Candidate, ...]]] = []
    for person, wanted in order:
        wish = wishes[person.id]
        if wish:
            for efficiency, package in _packages(person, tuple(sorted(wish.items())), wanted):
                packages.append((-efficiency, person.id, len(packages), package))
    if resources.take_units([(c, 1) for *_, package in packages for c in package]):
        return {person_id: wish for person_id, wish in wishes.items() if wish}  # all fits
    packages.sort(key=lambda item: item[:3])
    granted: dict[str, dict[str, int]] = {}
    for _, person_id, _, package in packages:
        held = granted.setdefault(person_id, {})
        if len(package) == 1:
            if package[0].requires and any(held.get(r, 0) == 0 for r in package[0].requires):
                continue
            if resources.take(package[0], 1):
                held[package[0].benefit] = held.get(package[0].benefit, 0) + 1
            continue
        inside = {c.benefit for c in package}
        if any(
            held.get(required, 0) == 0 and required not in inside
            for c in package
            for required in c.requires
        ):
            continue
        if resources.take_units([(c, 1) for c in package]):
            for c in package:
                held[c.benefit] = held.get(c.benefit, 0) + 1
    return {person_id: held for person_id, held in granted.items() if held}


@functools.lru_cache(maxsize=65536)
def _packages(
    person: Person, wish: tuple[tuple[str, int], ...], wanted: tuple[Candidate, ...]
) -> tuple[tuple[float, tuple[Candidate, ...]], ...]:
    """The wished units one by one in the person's own order, each with the prerequisites
    it needs, and their satisfaction per cost."""
    units = dict(wish)
    listed: dict[str, int] = {}
    packages: list[tuple[float, tuple[Candidate, ...]]] = []
    for candidate in wanted:
        for _ in range(units.get(candidate.benefit, 0) - listed.get(candidate.benefit, 0)):
            package = (candidate, *missing_prerequisites(person, candidate, listed))
            for c in package:
                listed[c.benefit] = listed.get(c.benefit, 0) + 1
            weight = _weight(person, candidate)
            cost = sum(c.cost for c in package)
            packages.append((weight / cost if cost > 0 else weight * 1e12, package))
    return tuple(packages)


def _rewarded_units(
    person: Person, value_limit: int | None, reward: float | None
) -> dict[str, int] | None:
    """The rewarded bundle's units (None: no reward, or the person's bundles are not listed:
    the caller takes the greedy bundle)."""
    if reward is None or value_limit is None or value_limit <= 0 or not person.participant:
        return None
    bundles = bundle_options(person)
    if bundles is None:
        return None
    bundle = _rewarded_bundle(person, bundles, value_limit, reward)
    return {} if bundle is None else {c.benefit: n for c, n in bundle.units}


def fill(
    state: AllocationState, passes: int = FILL_PASSES, *, deadline: float | None = None
) -> bool:
    """Add units by satisfaction per cost while every rule holds; True if anything changed.

    `deadline` (time.monotonic()): stop there (the caller reports the time limit)."""
    if deadline is not None and time.monotonic() >= deadline:
        return False
    order = sorted(
        (
            (*efficiency_key(ps.person, c), person_id, c.benefit, c)
            for person_id, ps in state.persons.items()
            for c in ps.person.candidates
            if c.points > 0
        ),
        key=lambda item: item[:4],
    )
    changed_any = False
    for _ in range(passes):
        changed = False
        for index, (_, _, person_id, _, candidate) in enumerate(order):
            if deadline is not None and index % 256 == 0 and time.monotonic() >= deadline:
                return changed_any or changed
            limit = min(candidate.max_units, candidate.wanted_units)
            while state.units(
                person_id, candidate.benefit
            ) < limit and state.try_add_with_prerequisites(person_id, candidate):
                changed = True
        changed_any |= changed
        if not changed:
            break
    return changed_any


def fill_lowest_first(state: AllocationState) -> None:
    """maxmin: repeatedly give the least satisfied participant their most efficient unit."""
    heap = [
        (state.satisfaction(pid), pid) for pid, ps in state.persons.items() if ps.person.participant
    ]
    heapq.heapify(heap)
    while heap:
        _, person_id = heapq.heappop(heap)
        person = state.persons[person_id].person
        for candidate in wanted_by_efficiency(person):
            limit = min(candidate.max_units, candidate.wanted_units)
            if state.units(
                person_id, candidate.benefit
            ) < limit and state.try_add_with_prerequisites(person_id, candidate):
                heapq.heappush(heap, (state.satisfaction(person_id), person_id))
                break
