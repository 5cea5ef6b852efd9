"""A person's whole-unit bundles: every way to receive their wishes, listed when few.

A bundle holds whole units of wished benefits (up to the units wanted), the prerequisites
those need (each once, as the rules allow a prerequisite only with a benefit requiring
it), at most one benefit per exclusive tier, and costs at most the allowance plus the
top-up limit. Every allocation a person can validly hold is one of them, so the heuristic
chooses among them and the band bound (`solver.band_bound`) bounds over them.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

from solver.candidates import Candidate, Person
from solver.state import missing_prerequisites

BUNDLES = 64  # a person with more combinations of units is not listed (work)


@dataclass(frozen=True, slots=True)
class Bundle:
    cost: int  # full cost, before any top-up
    satisfaction: float  # float: ranks bundles and bounds, never decides validity
    units: tuple[tuple[Candidate, int], ...]  # sorted by benefit id


@functools.lru_cache(maxsize=65536)
def bundle_options(person: Person) -> tuple[Bundle, ...] | None:
    """The person's bundles, cheapest first (the most satisfying first at equal cost);
    None when there are more than BUNDLES combinations of wished units to list."""
    wanted = [c for c in person.candidates if c.points > 0]
    ranges = [range(c.max_units + 1) for c in wanted]
    if math.prod(len(r) for r in ranges) > BUNDLES:
        return None
    limit = None if person.allowance is None else person.allowance + person.top_up_limit
    bundles: list[Bundle] = []
    for counts in itertools.product(*ranges):
        units = {c.benefit: n for c, n in zip(wanted, counts, strict=True) if n}
        package = dict(units)
        for c in wanted:
            if units.get(c.benefit) and c.requires:
                for needed in missing_prerequisites(person, c, package):
                    package[needed.benefit] = 1
        chosen = tuple((c, package[c.benefit]) for c in person.candidates if c.benefit in package)
        tiers = [c.exclusive_group for c, _ in chosen if c.exclusive_group is not None]
        cost = sum(c.cost * n for c, n in chosen)
        if len(tiers) != len(set(tiers)) or (limit is not None and cost > limit):
            continue
        bundles.append(Bundle(cost, _satisfaction(person, chosen), chosen))
    return tuple(sorted(bundles, key=lambda b: (b.cost, -b.satisfaction)))


def _satisfaction(person: Person, chosen: tuple[tuple[Candidate, int], ...]) -> float:
    return sum(
        c.points * min(n, c.wanted_units) / (c.wanted_units * person.total_points)
        for c, n in chosen
        if c.points > 0
    )
